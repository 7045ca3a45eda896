"""PEPITA (Dellaferrera & Kreiman 2022): worked example, structural facts, Sec. 4.3's argument."""
import numpy as np
import pytest

from nplearn.nn import MLP, ConvNet
from nplearn.optim import get_optimizer
from nplearn.rules import PEPITA
from nplearn.train import build
from nplearn.train.loop import one_hot


def _rule(model, F, **kw):
    rule = PEPITA(**kw)
    rule.setup(model, np.random.default_rng(0))
    rule.B_["F"] = np.asarray(F, dtype=float)
    return rule


def test_worked_example_one_step():
    """2-2-2 ReLU net, softmax output, by hand.

    x = (1, 0), W1 = I, W2 = 0, target class 0, F = I.
    Standard pass: h1 = relu(x) = (1, 0); a2 = 0, y_hat = softmax(0) = (.5, .5);
    e = y_hat - y = (-.5, .5).
    Modulated pass: x_err = x + F e = (.5, .5); h1_err = (.5, .5).
    Eq. (3): dW1 = (h1 - h1_err) x_err^T = (.5, -.5)^T (.5, .5) = [[.25, .25], [-.25, -.25]].
    Eq. (5): dW2 = e h1_err^T = (-.5, .5)^T (.5, .5) = [[-.25, -.25], [.25, .25]].
    """
    net = MLP((2, 2, 2), activation="relu", loss="softmax_ce", init="zero")
    net.params["W1"][:] = np.eye(2)
    rule = _rule(net, np.eye(2))
    x, Y = np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]])
    tr = {}
    g = rule.updates(net, x, Y, trace=tr)
    np.testing.assert_allclose(tr["e"], [[-0.5, 0.5]])
    np.testing.assert_allclose(tr["x_err"], [[0.5, 0.5]])
    np.testing.assert_allclose(tr["h_1_err"], [[0.5, 0.5]])
    np.testing.assert_allclose(g["W1"], [[0.25, 0.25], [-0.25, -0.25]])
    np.testing.assert_allclose(g["W2"], [[-0.25, -0.25], [0.25, 0.25]])
    assert not g["b1"].any() and not g["b2"].any()
    # Eq. (6): W <- W - eta Delta W
    get_optimizer("sgd", 0.1).step(net.params, g)
    np.testing.assert_allclose(net.params["W1"], [[0.975, -0.025], [0.025, 1.025]])


def test_zero_F_gives_no_hidden_update_even_with_dropout():
    """F = 0: both passes see the same input, and (same masks) the same activities."""
    rng = np.random.default_rng(1)
    net = MLP((6, 9, 7, 3), activation="relu", loss="softmax_ce", init="he", dropout=0.3, rng=rng)
    rule = _rule(net, np.zeros((6, 3)))
    x, Y = rng.normal(size=(5, 6)), one_hot(rng.integers(0, 3, 5), 3)
    g = rule.updates(net, x, Y, rng=rng)
    assert not g["W1"].any() and not g["W2"].any()
    assert np.abs(g["W3"]).max() > 0                     # the output layer still learns, Eq. (5)


def test_batch_form_and_variants_match_the_equations():
    rng = np.random.default_rng(3)
    net = MLP((5, 8, 6, 4), activation="relu", loss="softmax_ce", init="he", rng=rng)
    F = rng.uniform(-0.5, 0.5, (5, 4))
    x, Y = rng.normal(size=(7, 5)), one_hot(rng.integers(0, 4, 7), 4)
    relu = lambda a: np.maximum(a, 0)                                       # noqa: E731
    W1, W2, W3 = net.params["W1"], net.params["W2"], net.params["W3"]
    h1, h2 = relu(x @ W1.T), relu(relu(x @ W1.T) @ W2.T)
    soft = lambda a: np.exp(a) / np.exp(a).sum(1, keepdims=True)            # noqa: E731
    e = soft(h2 @ W3.T) - Y
    xe = x + e @ F.T
    h1e = relu(xe @ W1.T)
    h2e = relu(h1e @ W2.T)
    for pre in ("modulated", "standard"):
        for out in ("standard", "modulated"):
            g = _rule(net, F, presynaptic=pre, output_error=out).updates(net, x, Y)
            p0, p1, p2 = (xe, h1e, h2e) if pre == "modulated" else (x, h1, h2)
            e_out = e if out == "standard" else soft(h2e @ W3.T) - Y
            np.testing.assert_allclose(g["W1"], (h1 - h1e).T @ p0 / 7, rtol=1e-12)  # Eq. (3)
            np.testing.assert_allclose(g["W2"], (h2 - h2e).T @ p1 / 7, rtol=1e-12)  # Eq. (4)
            np.testing.assert_allclose(g["W3"], e_out.T @ p2 / 7, rtol=1e-12)       # Eq. (5)


def test_F_follows_table_2():
    net = MLP((64, 10, 10), init="he", rng=0)
    rule = PEPITA(F_scale=0.05)                           # Table 2 (the default is 0.1)
    rule.setup(net, np.random.default_rng(0))
    F = rule.F_
    assert F.shape == (64, 10)
    bound = 0.05 * np.sqrt(6 / 64)
    assert np.abs(F).max() <= bound and np.abs(F).max() > 0.9 * bound
    with pytest.raises(ValueError, match="presynaptic"):
        PEPITA(presynaptic="both").setup(net, np.random.default_rng(0))
    with pytest.raises(ValueError, match="output_error"):
        PEPITA(output_error="x").setup(net, np.random.default_rng(0))


@pytest.mark.parametrize("conv", [None, ((4, 5, 1),)])
def test_F_bound_uses_the_input_size_3072_on_cifar(conv):
    """n_0 in +-F_scale sqrt(6 / n_0) is the network's input, 32*32*3 on CIFAR, fully connected
    or conv (Table 2's F row prints 28*28*1 for the FC CIFAR columns; docs/rules/pepita.md)."""
    model, rule = build("pepita", 3072, 10, (8,) if conv is None else (), conv=conv,
                        image_shape=(3, 32, 32), rng=0, rule_params={"F_scale": 0.05})
    bound = 0.05 * np.sqrt(6 / (32 * 32 * 3))
    assert rule.F_.shape == (3072, 10)
    assert bound * 0.99 < np.abs(rule.F_).max() <= bound
    assert np.abs(rule.F_).max() < 0.05 * np.sqrt(6 / (28 * 28 * 1)) / 1.9   # not Table 2's print


def test_conv_update_is_mean_over_output_pixels_of_diff_times_patch():
    """Sec. 3.3, written out with loops: per filter, the mean over output pixels of
    (h - h_err) at that pixel times the modulated input patch; then the batch mean."""
    rng = np.random.default_rng(4)
    net = ConvNet((2, 6, 6), conv=((3, 3, 1, 1),), hidden_sizes=(), n_classes=4,
                  activation="relu", loss="softmax_ce", init="he", pool=2, rng=rng)
    rule = PEPITA()
    rule.setup(net, rng)
    rule.B_["F"] = rng.uniform(-1, 1, rule.F_.shape)
    x, Y = rng.uniform(size=(3, 72)), one_hot(rng.integers(0, 4, 3), 4)
    g = rule.updates(net, x, Y)
    fwd = net.forward(x)
    err = net.forward(x + (fwd.y_hat - Y) @ rule.F_.T)
    d = fwd.conv_h[1] - err.conv_h[1]                         # (n, 3, 6, 6)
    xe = np.pad(err.h[0].reshape(3, 2, 6, 6), ((0, 0), (0, 0), (1, 1), (1, 1)))
    want = np.zeros((3, 2, 3, 3))
    for s in range(3):
        for i in range(6):
            for j in range(6):
                want += d[s, :, i, j][:, None, None, None] * xe[s, None, :, i:i + 3, j:j + 3]
    want /= 3 * 36
    np.testing.assert_allclose(g["W1"], want, rtol=1e-10, atol=1e-14)
    assert g["W1"].shape == net.params["W1"].shape and not g["b1"].any()


def test_biases_stay_zero_in_training():
    from nplearn import Classifier, load_dataset
    d = load_dataset("digits")
    clf = Classifier(rule="pepita", hidden_sizes=(32,), epochs=2, random_state=0)
    clf.fit(d.x_train, d.y_train)
    assert clf.optimizer_.name == "sgd" and clf.optimizer_.momentum == 0.9
    assert clf.model_.dropout == 0.1
    for l in (1, 2):
        assert not clf.model_.params[f"b{l}"].any()
    assert clf.model_.f.name == "relu" and clf.model_.loss.name == "softmax_ce"


def test_linear_network_anti_aligns_sec_4_3():
    """Sec. 4.3: linear net h = A x, y = W h, whitened inputs (x x^T = I over the batch),
    targets T x. While PEPITA (presynaptic x, as in Eq. 8) learns, tr(F W A) decreases
    (Eq. 22-25) and the angle between W A and F^T rises above 90 deg.

    Measured: over the first 150 steps the cost falls from 5.4 to 0.9 and tr(F W A) falls
    at 98 % of the steps (-0.17 -> -0.62); once the error is small it levels off and creeps
    back up slowly (-0.50 after 2000 steps), with the angle still above 100 deg.
    """
    rng = np.random.default_rng(5)
    n_in, n_hid, n_out, n = 20, 30, 5, 400
    X = rng.normal(size=(n, n_in))
    X -= X.mean(0)
    U, _, Vt = np.linalg.svd(X, full_matrices=False)
    X = U @ Vt * np.sqrt(n)                                   # X.T @ X / n = I
    T = rng.normal(size=(n_out, n_in)) / np.sqrt(n_in)
    net = MLP((n_in, n_hid, n_out), activation="linear", loss="mse", init="uniform_fan_in", rng=rng)
    net.params["b1"][:] = 0
    net.params["b2"][:] = 0
    rule = _rule(net, rng.uniform(-1, 1, (n_in, n_out)) / np.sqrt(n_in), presynaptic="standard")
    opt = get_optimizer("sgd", 0.02)
    trace, cost, norm_A = [], [], []
    for _ in range(151):
        A, W = net.params["W1"], net.params["W2"]
        trace.append(np.trace(rule.F_ @ W @ A))
        cost.append(np.sum((T - W @ A) ** 2))
        norm_A.append(np.linalg.norm(A))
        opt.step(net.params, rule.updates(net, X, X @ T.T))
    trace = np.array(trace)
    assert cost[-1] < 0.25 * cost[0]                          # it learns T ...
    assert np.all(np.diff(norm_A) > 0)                        # ... ||A|| grows (Fig. 3c) ...
    assert np.mean(np.diff(trace) < 0) > 0.95                 # ... and tr(F W A) decreases
    assert trace[-1] < trace[0] - 0.3
    P = net.params["W2"] @ net.params["W1"]
    cos = P.ravel() @ rule.F_.T.ravel() / np.linalg.norm(P) / np.linalg.norm(rule.F_)
    assert np.degrees(np.arccos(cos)) > 100
