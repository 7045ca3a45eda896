"""BDFA (Luo, Fu & Glass 2017, Eq. 30-42, 51): identities, the true gradient of the feedback
loss, one step by hand, training and the digits acceptance."""
import math

import numpy as np
import pytest

from nplearn import Classifier, load_dataset
from nplearn.analysis import feedback_angles, update_angles
from nplearn.experiments import preset
from nplearn.nn import MLP
from nplearn.optim import SGD
from nplearn.rules import BDFA, BP
from nplearn.rules.bdfa import TABLE_2
from nplearn.testing import central_differences, random_batch
from nplearn.train import build, train_step


def bdfa_net(sizes, rng, alpha=0.0, activation="tanh"):
    model = MLP(sizes, activation=activation, init="uniform_fan_in", rng=rng)
    rule = BDFA(alpha=alpha)
    rule.setup(model, rng)
    return model, rule


@pytest.mark.parametrize("seed", range(4))
def test_shapes(seed):
    rng = np.random.default_rng(seed)
    hidden = tuple(int(s) for s in rng.integers(1, 9, int(rng.integers(0, 4))))
    sizes = (int(rng.integers(1, 12)), *hidden, int(rng.integers(2, 7)))
    dtype = ["float64", "float32"][seed % 2]
    model, rule = build("bdfa", sizes[0], sizes[-1], hidden, rng=seed, dtype=dtype,
                        rule_params={"alpha": 0.25})
    assert rule.B_.keys() == {f"B{l}" for l in range(1, len(hidden) + 1)}
    for l, n_l in enumerate(hidden, start=1):
        assert rule.B_[f"B{l}"].shape == (n_l, sizes[-1])          # (n_l, n_classes)
    x, Y = random_batch(rng, 5, sizes[0], sizes[-1], dtype)
    tr = {}
    g = rule.updates(model, x, Y, trace=tr)
    assert g.keys() == model.params.keys() | rule.learned_params().keys()
    for k, p in {**model.params, **rule.learned_params()}.items():
        assert g[k].shape == p.shape and g[k].dtype == p.dtype, k
    for l, n_l in enumerate(hidden, start=1):
        assert tr[f"a_back_{l}"].shape == (5, n_l) and tr[f"feedback_loss_{l}"].shape == (5,)


def test_feedback_l_feeds_layer_l(rng):
    """Eq. (36)-(37) with <-w_l for layer l (widths differ, so only this pairing fits)."""
    model, rule = bdfa_net((4, 5, 6, 7, 3), rng)
    x, Y = random_batch(rng, 3, 4, 3)
    tr = {}
    rule.updates(model, x, Y, trace=tr)
    for l in (1, 2, 3):
        expect = (tr["e"] @ rule.B_[f"B{l}"].T) * (1 - tr[f"h_{l}"] ** 2)
        np.testing.assert_allclose(tr[f"delta_{l}"], expect)


def test_one_hidden_layer_with_output_weights_transposed_is_bp(rng):
    model, rule = bdfa_net((6, 5, 3), rng)
    rule.B_["B1"] = model.W[2].T                          # a view: the very same BLAS call
    x, Y = random_batch(rng, 9, 6, 3)
    g, g_bp = rule.updates(model, x, Y), BP().updates(model, x, Y)
    for k in g_bp:
        np.testing.assert_array_equal(g[k], g_bp[k])
    assert feedback_angles(model, rule)["B1"] == pytest.approx(0, abs=1e-5)
    per_sample, _ = update_angles(model, rule, x, Y)
    np.testing.assert_allclose(per_sample[1], 0, atol=1e-5)


@pytest.mark.parametrize("alpha", [0.0, 0.25])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_feedback_update_is_the_gradient_of_eq_40_41(alpha, activation, rng):
    """The printed Eq. (42) is not a gradient; ours is, checked by central differences."""
    model, rule = bdfa_net((6, 5, 4, 3), rng, alpha=alpha, activation=activation)
    for k in rule.B_:
        rule.B_[k] *= 4.0                                 # |s| of order 1: sigmoid not flat
    x, Y = random_batch(rng, 11, 6, 3)
    g = rule.feedback_updates(model, x, Y, model.forward(x))
    num = central_differences(lambda: rule.feedback_loss(model, x, Y), rule.B_)
    for k in rule.B_:
        np.testing.assert_allclose(g[k], num[k], rtol=1e-6, atol=1e-10, err_msg=k)
        assert np.abs(num[k]).max() > 1e-3


def test_one_step_by_hand():
    # 2-2-1, ReLU, linear output with J = 1/2 (y_hat - y)^2: every number below is exact.
    model = MLP((2, 2, 1), activation="relu", loss="mse", init="zero")
    model.params["W1"][:] = [[0.5, 0.0], [-0.5, 0.5]]
    model.params["W2"][:] = [[2.0, 2.0]]
    rule = BDFA()
    rule.setup(model, np.random.default_rng(0))
    B1 = rule.B_["B1"]
    B1[:] = [[1.0], [-1.0]]                             # <-w_1, shape (n_1, n_classes) = (2, 1)
    x, Y = np.array([[1.0, 2.0]]), np.array([[1.0]])
    tr = train_step(model, rule, SGD(lr=0.1), x, Y, trace=True)
    # a_1 = W_1 x = [0.5, 0.5] = h_1, f'(a_1) = [1, 1]; y_hat = 2, e = 1 (Eq. 35)
    np.testing.assert_array_equal(tr["h_1"], [[0.5, 0.5]])
    np.testing.assert_array_equal(tr["e"], [[1.0]])
    # Eq. (36): delta_1 = (<-w_1 e) ⊙ f'(a_1) = [1, -1];  Eq. (38): dW_1 = -delta_1 x^T
    np.testing.assert_array_equal(tr["delta_1"], [[1.0, -1.0]])
    np.testing.assert_array_equal(tr["dW_1"], [[-1.0, -2.0], [1.0, 2.0]])
    # Eq. (39): <-a_1 = <-w_1 y = [1, -1];  <-a_1 . h_1 = 0.5 - 0.5 = 0
    np.testing.assert_array_equal(tr["a_back_1"], [[1.0, -1.0]])
    # Eq. (40): l_1 = 1 - sigmoid(0) = 0.5
    np.testing.assert_array_equal(tr["feedback_loss_1"], [0.5])
    # true gradient: -sigmoid(0) (1 - sigmoid(0)) h_1 y^T = -0.25 [0.5, 0.5]^T,
    # so the change (paper's sign) is d<-w_1 = +[[0.125], [0.125]]
    np.testing.assert_array_equal(tr["dB_1"], [[0.125], [0.125]])
    assert rule.B_["B1"] is B1                           # trained in place by the optimiser
    np.testing.assert_allclose(B1, [[1.0125], [-0.9875]])
    np.testing.assert_allclose(model.params["W1"], [[0.4, -0.2], [-0.4, 0.7]])


def test_eq_51_trains_the_feedback_on_y_plus_alpha_y_hat():
    model = MLP((2, 2, 1), activation="relu", loss="mse", init="zero")
    model.params["W1"][:] = [[0.5, 0.0], [-0.5, 0.5]]
    model.params["W2"][:] = [[2.0, 2.0]]
    rule = BDFA(alpha=0.25)
    rule.setup(model, np.random.default_rng(0))
    rule.B_["B1"][:] = [[1.0], [-1.0]]
    tr = {}
    g = rule.updates(model, np.array([[1.0, 2.0]]), np.array([[1.0]]), trace=tr)
    # y' = y + 0.25 y_hat = 1 + 0.5 = 1.5;  <-a_1 = [1.5, -1.5], . h_1 = 0 -> sigmoid' = 0.25
    np.testing.assert_array_equal(tr["a_back_1"], [[1.5, -1.5]])
    # gradient -0.25 h_1 y'^T = -0.25 * [0.5, 0.5] * 1.5 = -0.1875 each; forward phase unchanged
    np.testing.assert_array_equal(g["B1"], [[-0.1875], [-0.1875]])
    np.testing.assert_array_equal(tr["delta_1"], [[1.0, -1.0]])
    with pytest.raises(ValueError, match="alpha"):
        BDFA(alpha=-1.0).setup(model, np.random.default_rng(0))


def test_eq_51_worked_with_a_logistic_output_and_two_classes():
    """Eq. (51) as run on CIFAR-10: y' = y + alpha y_hat with y_hat = sigmoid(a_L) (Eq. 30's
    output), every number written out. The forward phase ignores alpha; only the feedback's
    update reads y'."""
    sig = lambda v: 1.0 / (1.0 + math.exp(-v))
    model = MLP((2, 2, 2), activation="relu", loss="logistic_bce", init="zero")
    model.params["W1"][:] = [[0.5, 0.0], [-0.5, 0.5]]      # a_1 = h_1 = [0.5, 0.5] for x = [1, 2]
    model.params["W2"][:] = [[2.0, 0.0], [0.0, -2.0]]      # a_2 = [1, -1]
    x, Y = np.array([[1.0, 2.0]]), np.array([[1.0, 0.0]])
    y_hat = [sig(1.0), sig(-1.0)]
    g = {}
    for alpha in (0.0, 0.25):
        rule = BDFA(alpha=alpha)
        rule.setup(model, np.random.default_rng(0))
        rule.B_["B1"][:] = [[1.0, -1.0], [0.5, 2.0]]        # <-w_1, (n_1, n_classes)
        tr = {}
        g[alpha] = rule.updates(model, x, Y, trace=tr)
        y1 = [Y[0, c] + alpha * y_hat[c] for c in range(2)]           # Eq. (51)
        B = rule.B_["B1"]
        a_back = [sum(B[j, c] * y1[c] for c in range(2)) for j in range(2)]   # Eq. (39)
        s = sum(a_back[j] * 0.5 for j in range(2))                     # <-a_1 . h_1
        np.testing.assert_allclose(tr["a_back_1"], [a_back], rtol=1e-14)
        np.testing.assert_allclose(tr["feedback_loss_1"], [1.0 - sig(s)], rtol=1e-14)  # Eq. (40)
        dB = [[sig(s) * (1.0 - sig(s)) * 0.5 * y1[c] for c in range(2)] for j in range(2)]
        np.testing.assert_allclose(tr["dB_1"], dB, rtol=1e-14)        # -(d l_1 / d<-w_1)
        e = [y_hat[0] - 1.0, y_hat[1]]                                 # Eq. (35): alpha-free
        np.testing.assert_allclose(tr["delta_1"], [[B[j, 0] * e[0] + B[j, 1] * e[1]
                                                    for j in range(2)]], rtol=1e-14)  # Eq. (36)
    # alpha changes y', hence s and the feedback's update; the forward weights' are the same
    assert not np.allclose(g[0.0]["B1"], g[0.25]["B1"])
    for k in model.params:
        np.testing.assert_array_equal(g[0.0][k], g[0.25][k])


def test_table_2_setting_reaches_the_rule():
    """Eq. (51)'s CIFAR-10 alpha is a documented setting: TABLE_2 through Classifier."""
    assert TABLE_2 == {"rule": "bdfa", "rule_params": {"alpha": 0.25}}
    X, y = np.random.default_rng(0).uniform(size=(30, 5)), np.arange(30) % 3
    clf = Classifier(**TABLE_2, hidden_sizes=(4,), epochs=1, random_state=0).fit(X, y)
    assert clf.rule_.alpha == 0.25


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def test_feedback_weights_change_while_forward_weights_train(digits):
    clf = Classifier(rule="bdfa", hidden_sizes=(20, 20), epochs=1, learning_rate=1e-3,
                     random_state=0).partial_fit(digits.x_train, digits.y_train)
    Y = np.eye(10)[digits.y_train]
    W0 = {k: v.copy() for k, v in clf.model_.params.items()}
    B0 = {k: v.copy() for k, v in clf.rule_.B_.items()}
    before = clf.rule_.feedback_loss(clf.model_, digits.x_train, Y)
    arrays = clf.rule_.learned_params()
    for _ in range(5):
        clf.partial_fit(digits.x_train, digits.y_train)
    assert all(arrays[k] is clf.rule_.B_[k] for k in arrays)
    for k in W0:
        assert not np.array_equal(W0[k], clf.model_.params[k]), k
    for k in B0:
        assert not np.array_equal(B0[k], clf.rule_.B_[k]), k
    assert clf.rule_.feedback_loss(clf.model_, digits.x_train, Y) < before   # Eq. (40)-(41) fall


@pytest.mark.parametrize("hidden", [(100,), (100, 100)])
def test_digits_acceptance(hidden, digits):
    """Issue [4/8]: test error <= 6%, mean of 3 seeds, with the compare preset."""
    errors = []
    for seed in (0, 1, 2):
        clf = Classifier(rule="bdfa", **preset("bdfa", hidden_sizes=hidden), random_state=seed)
        clf.fit(digits.x_train, digits.y_train)
        errors.append(1 - clf.score(digits.x_test, digits.y_test))
    assert np.mean(errors) <= 0.06, np.round(errors, 4)
