"""BFA (Luo, Fu & Glass 2017, Eq. 15-29): identities, gradients, one step by hand, training,
generation (Fig. 6) and the digits acceptance."""
import numpy as np
import pytest
from matplotlib.image import imread

from nplearn import Classifier, load_dataset
from nplearn.analysis import feedback_angles, update_angles
from nplearn.analysis.generation import class_means, generation_errors
from nplearn.cli import main
from nplearn.experiments import preset
from nplearn.nn import MLP
from nplearn.optim import SGD
from nplearn.plot import plot_generated, savefig
from nplearn.plot.generation import infer_image_shape
from nplearn.rules import BP, BFA
from nplearn.rules.bfa import generate
from nplearn.testing import central_differences, random_batch
from nplearn.train import build, train_step


def bfa_net(sizes, rng, activation="tanh", x_loss="mse"):
    model = MLP(sizes, activation=activation, init="uniform_fan_in", rng=rng)
    rule = BFA(x_loss=x_loss)
    rule.setup(model, rng)
    return model, rule


@pytest.mark.parametrize("seed", range(4))
def test_feedback_network_mirrors_the_forward_one(seed):
    rng = np.random.default_rng(seed)
    hidden = tuple(int(s) for s in rng.integers(1, 9, int(rng.integers(0, 4))))
    sizes = (int(rng.integers(1, 12)), *hidden, int(rng.integers(2, 7)))
    dtype = ["float64", "float32"][seed % 2]
    model, rule = build("bfa", sizes[0], sizes[-1], hidden, rng=seed, dtype=dtype)
    L = model.n_layers
    for k in range(1, L + 1):                      # <-w_k: n_{L-k+1} -> n_{L-k}, like W_{L-k+1}^T
        assert rule.B_[f"V{k}"].shape == model.W[L - k + 1].T.shape
        assert rule.B_[f"c{k}"].shape == (sizes[L - k],) and not rule.B_[f"c{k}"].any()
    x, Y = random_batch(rng, 5, sizes[0], sizes[-1], dtype)
    tr = {}
    g = rule.updates(model, x, Y, trace=tr)
    assert g.keys() == model.params.keys() | rule.learned_params().keys()
    for k, p in {**model.params, **rule.learned_params()}.items():
        assert g[k].shape == p.shape and g[k].dtype == p.dtype, k
    assert tr["x_hat"].shape == tr["e_back"].shape == (5, sizes[0])
    for k in range(1, L):
        assert tr[f"delta_back_{k}"].shape == (5, sizes[L - k])
    assert generate(model, rule).shape == (sizes[-1], sizes[0])


@pytest.mark.parametrize("sizes", [(5, 4, 3), (6, 5, 4, 3, 2), (3, 7, 7, 7, 4)])
def test_forward_phase_with_transposed_forward_weights_is_bp(sizes, rng):
    """<-w_k := W_{L-k+1}^T (views): Eq. (18)-(19) become BP's Eq. (6), bit for bit."""
    model, rule = bfa_net(sizes, rng)
    L = model.n_layers
    for k in range(1, L):
        rule.B_[f"V{k}"] = model.W[L - k + 1].T
    x, Y = random_batch(rng, 8, sizes[0], sizes[-1])
    g, g_bp = rule.updates(model, x, Y), BP().updates(model, x, Y)
    for k in g_bp:
        np.testing.assert_array_equal(g[k], g_bp[k])
    _, per_weight = update_angles(model, rule, x, Y)
    assert all(v == pytest.approx(0, abs=1e-5) for v in per_weight.values())


@pytest.mark.parametrize("x_loss", ["mse", "logistic_bce"])
@pytest.mark.parametrize("sizes", [(4, 3), (5, 4, 3), (6, 5, 4, 3)])
def test_symmetric_backward_phase_is_the_gradient_of_the_reconstruction_loss(sizes, x_loss, rng):
    """With W_{L-k} = <-w_{k+1}^T, Eq. (27)-(29) are BP on Eq. (16): central differences agree."""
    model, rule = bfa_net(sizes, rng, x_loss=x_loss)
    L = model.n_layers
    for k in range(1, L + 1):
        rule.B_[f"V{k}"] = model.W[L - k + 1].T.copy()
        rule.B_[f"c{k}"] = rng.normal(0, 0.3, size=sizes[L - k])
    x, Y = rng.random((7, sizes[0])), random_batch(rng, 7, sizes[0], sizes[-1])[1]
    g = rule.feedback_updates(model, x, Y, model.forward(x))
    num = central_differences(lambda: rule.feedback_loss(model, x, Y), rule.B_)
    for k in rule.B_:
        np.testing.assert_allclose(g[k], num[k], rtol=1e-6, atol=1e-9, err_msg=k)
    angles = feedback_angles(model, rule)
    assert len(angles) == L and all(v == pytest.approx(0, abs=1e-5) for v in angles.values())


def test_last_backward_layer_is_always_the_gradient(rng):
    """<-w_L and c_L need no transported error: exact for any forward weights; the others not."""
    model, rule = bfa_net((6, 5, 4, 3), rng)
    x, Y = rng.random((9, 6)), random_batch(rng, 9, 6, 3)[1]
    g = rule.feedback_updates(model, x, Y, model.forward(x))
    num = central_differences(lambda: rule.feedback_loss(model, x, Y), rule.B_)
    for k in ("V3", "c3"):
        np.testing.assert_allclose(g[k], num[k], rtol=1e-6, atol=1e-9, err_msg=k)
    assert not np.allclose(g["V1"], num["V1"], rtol=1e-2)   # FA-style: W_2 is not <-w_2^T


def test_one_step_by_hand():
    # Forward 2-2-1, ReLU, linear output with J = 1/2 (y_hat - y)^2; backward 1-2-2, ReLU,
    # x_loss "mse" (identity f_x): every number below is exact.
    model = MLP((2, 2, 1), activation="relu", loss="mse", init="zero")
    model.params["W1"][:] = [[0.5, 0.0], [-0.5, 0.5]]
    model.params["W2"][:] = [[2.0, 2.0]]
    rule = BFA()
    rule.setup(model, np.random.default_rng(0))
    rule.B_["V1"][:] = [[1.0], [-1.0]]                  # <-w_1: y (1) -> <-h_1 (2)
    rule.B_["V2"][:] = [[0.5, 0.0], [0.0, 1.0]]         # <-w_2: <-h_1 (2) -> x_hat (2)
    x, Y = np.array([[1.0, 2.0]]), np.array([[1.0]])
    V1, c1 = rule.B_["V1"], rule.B_["c1"]               # the very arrays the optimiser updates
    stats = {}
    rule.updates(model, x, Y, stats=stats)
    # J = 1/2 (2 - 1)^2 = 0.5 (see below);  Eq. (16): 1/2 ||x_hat - x||^2 = 1/2 (0.25 + 4)
    assert stats["loss"] == 0.5 and stats["feedback_loss"] == 2.125
    tr = train_step(model, rule, SGD(lr=0.1), x, Y, trace=True)
    # Forward phase. a_1 = W_1 x = [0.5, -0.5 + 1] = [0.5, 0.5] = h_1, f'(a_1) = [1, 1];
    # y_hat = 2 * 0.5 + 2 * 0.5 = 2, e = y_hat - y = 1 (Eq. 17), J = 0.5
    np.testing.assert_array_equal(tr["h_1"], [[0.5, 0.5]])
    np.testing.assert_array_equal(tr["e"], [[1.0]])
    # Eq. (18): delta_1 = (<-w_1 e) ⊙ f'(a_1) = [1, -1]
    np.testing.assert_array_equal(tr["delta_1"], [[1.0, -1.0]])
    # Eq. (20)-(22): dW_1 = -delta_1 x^T = [[-1, -2], [1, 2]];  dW_2 = -e h_1^T = [[-0.5, -0.5]]
    np.testing.assert_array_equal(tr["dW_1"], [[-1.0, -2.0], [1.0, 2.0]])
    np.testing.assert_array_equal(tr["dW_2"], [[-0.5, -0.5]])
    # Backward phase. Eq. (23): <-a_1 = <-w_1 y = [1, -1], <-h_1 = ReLU = [1, 0], f' = [1, 0]
    np.testing.assert_array_equal(tr["a_back_1"], [[1.0, -1.0]])
    np.testing.assert_array_equal(tr["h_back_1"], [[1.0, 0.0]])
    # Eq. (25): x_hat = <-w_2 <-h_1 = [0.5, 0];  Eq. (26): <-e = x_hat - x = [-0.5, -2]
    np.testing.assert_array_equal(tr["x_hat"], [[0.5, 0.0]])
    np.testing.assert_array_equal(tr["e_back"], [[-0.5, -2.0]])
    # Eq. (27): delta <-a_1 = (W_1 <-e) ⊙ f'(<-a_1) = [0.5 * -0.5, -0.5 * -0.5 + 0.5 * -2] ⊙ [1, 0]
    #                                                = [-0.25, -0.75] ⊙ [1, 0] = [-0.25, 0]
    np.testing.assert_array_equal(tr["delta_back_1"], [[-0.25, 0.0]])
    # Eq. (29): d<-w_2 = -<-e <-h_1^T = [[0.5, 0], [2, 0]];  d<-w_1 = -delta <-a_1 y^T = [[0.25], [0]]
    np.testing.assert_array_equal(tr["dV_2"], [[0.5, 0.0], [2.0, 0.0]])
    np.testing.assert_array_equal(tr["dV_1"], [[0.25], [0.0]])
    np.testing.assert_array_equal(tr["dc_2"], [0.5, 2.0])
    np.testing.assert_array_equal(tr["dc_1"], [0.25, 0.0])
    # SGD, lr 0.1, on both networks in one step, in place
    np.testing.assert_allclose(model.params["W1"], [[0.4, -0.2], [-0.4, 0.7]])
    np.testing.assert_allclose(model.params["W2"], [[1.95, 1.95]])
    assert rule.B_["V1"] is V1 and rule.B_["c1"] is c1
    np.testing.assert_allclose(V1, [[1.025], [-1.0]])
    np.testing.assert_allclose(c1, [0.025, 0.0])
    np.testing.assert_allclose(rule.B_["V2"], [[0.55, 0.0], [0.2, 1.0]])
    np.testing.assert_allclose(rule.B_["c2"], [0.05, 0.2])


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def test_feedback_weights_change_while_forward_weights_train(digits):
    clf = Classifier(rule="bfa", hidden_sizes=(20, 20), epochs=1, learning_rate=1e-3,
                     random_state=0).partial_fit(digits.x_train, digits.y_train)
    W0 = {k: v.copy() for k, v in clf.model_.params.items()}
    B0 = {k: v.copy() for k, v in clf.rule_.B_.items()}
    before = clf.rule_.feedback_loss(clf.model_, digits.x_train, np.eye(10)[digits.y_train])
    arrays = clf.rule_.learned_params()
    for _ in range(5):
        clf.partial_fit(digits.x_train, digits.y_train)
    assert all(arrays[k] is clf.rule_.B_[k] for k in arrays)       # trained in place
    for k in W0:
        assert not np.array_equal(W0[k], clf.model_.params[k]), k
    for k in B0:
        assert not np.array_equal(B0[k], clf.rule_.B_[k]), k
    after = clf.rule_.feedback_loss(clf.model_, digits.x_train, np.eye(10)[digits.y_train])
    assert after < 0.7 * before                                       # Eq. (16) falls
    assert set(feedback_angles(clf.model_, clf.rule_)) == {"B0", "B1", "B2"}   # by layer fed


def test_generate_one_image_per_label(rng):
    model, rule = bfa_net((6, 5, 3), rng)
    G = generate(model, rule)
    assert G.shape == (3, 6)
    np.testing.assert_array_equal(generate(model, rule, [2, 0, 2]), G[[2, 0, 2]])
    # x_hat = <-w_2 f(<-w_1 y + c_1) + c_2 for y = e_1
    expect = rule.B_["V2"] @ np.tanh(rule.B_["V1"][:, 1] + rule.B_["c1"]) + rule.B_["c2"]
    np.testing.assert_allclose(G[1], expect)
    with pytest.raises(ValueError, match="class indices"):
        generate(model, rule, [3])


def test_generation_errors_and_plot(tmp_path, rng):
    x = rng.random((40, 16))
    y = np.arange(40) % 4
    means = class_means(x, y, 4)
    err = generation_errors(means + 0.01, np.arange(4), x, y)
    np.testing.assert_allclose(err["own"], 1e-4)
    assert np.all(err["nearest_other"] > err["own"]) and np.all(err["random"] > err["own"])
    np.testing.assert_array_equal(err["nearest_class"], np.arange(4))
    assert infer_image_shape(64) == (1, 8, 8) and infer_image_shape(3072) == (3, 32, 32)
    assert infer_image_shape(10) == (1, 1, 10)
    fig = plot_generated(means, labels="abcd", class_means=means, errors=err["own"])
    png, svg = savefig(fig, tmp_path / "gen")
    assert imread(png).std() > 0.02 and svg.stat().st_size > 1000
    savefig(plot_generated(rng.random((2, 48))), tmp_path / "rgb")      # (3, 4, 4) images


def test_cli_generate(tmp_path, capsys):
    assert main(["train", "--rule", "bfa", "--hidden", "20", "--epochs", "2",
                 "--out", str(tmp_path / "bfa")]) == 0
    assert main(["generate", str(tmp_path / "bfa"), "--dataset", "digits"]) == 0
    out = capsys.readouterr().out
    assert "random image" in out and "labels" in out
    for name in ("generated.png", "generated.svg", "generated.npz"):
        assert (tmp_path / "bfa" / name).is_file(), name
    with np.load(tmp_path / "bfa" / "generated.npz") as f:
        assert f["images"].shape == (10, 64)
    assert main(["generate", str(tmp_path / "bfa" / "model.npz"), "--out",
                 str(tmp_path / "g")]) == 0 and (tmp_path / "g" / "generated.png").is_file()
    assert main(["train", "--rule", "dfa", "--epochs", "1", "--out", str(tmp_path / "dfa")]) == 0
    capsys.readouterr()
    assert main(["generate", str(tmp_path / "dfa")]) == 1
    assert "only a BFA model" in capsys.readouterr().err


@pytest.mark.parametrize("hidden", [(100,), (100, 100)])
def test_digits_acceptance(hidden, digits):
    """Issue [4/8]: test error <= 6% (mean of 3 seeds, compare preset), and the images
    generated from one-hot labels are their class means (far closer than a random image)."""
    errors = []
    for seed in (0, 1, 2):
        clf = Classifier(rule="bfa", **preset("bfa", hidden_sizes=hidden), random_state=seed)
        clf.fit(digits.x_train, digits.y_train)
        errors.append(1 - clf.score(digits.x_test, digits.y_test))
        err = generation_errors(generate(clf.model_, clf.rule_), np.arange(10),
                                digits.x_train, digits.y_train, random_state=seed)
        assert np.all(err["nearest_class"] == np.arange(10))
        assert err["own"].mean() < 0.05 * err["random"].mean()
    assert np.mean(errors) <= 0.06, np.round(errors, 4)
