"""The angle between EP's update and BP's gradient (nplearn.analysis.ep_angles): BPTT through
the free phase against the engine and central differences, EP's theorem (the angle vanishes
as beta -> 0 at a converged fixed point), the rule left untouched, and the recorder."""
import copy

import numpy as np
import pytest

import nplearn
from nplearn.analysis import angle
from nplearn.analysis.ep_angles import (EPAngleRecorder, ep_bp_angles, free_phase_gradient,
                                        free_phase_residual)
from nplearn.hopfield import HopfieldNet, free_phase
from nplearn.optim import get_optimizer
from nplearn.testing import central_differences
from nplearn.train import build, train
from nplearn.train.loop import one_hot


def small_net(connectivity, seed=0, scale=1.5):
    """3-4-5-2 with random biases and large enough weights that some units clip."""
    rng = np.random.default_rng(seed)
    net = HopfieldNet((3, 4, 5, 2), connectivity=connectivity, rng=seed)
    for k, p in net.params.items():
        p[...] = rng.uniform(-scale, scale, p.shape)
    if "W_loop" in net.fixed:
        net.fixed["W_loop"][...] = rng.uniform(-scale, scale, net.fixed["W_loop"].shape)
    x = rng.uniform(0, 1, (5, 3))
    Y = one_hot(rng.integers(0, 2, 5), 2)
    start = [rng.uniform(0.05, 0.95, (5, m)) for m in net.sizes[1:]]
    return net, x, Y, start


@pytest.mark.parametrize("connectivity", ["symmetric", "loop"])
def test_the_forward_relaxation_is_the_engines(connectivity):
    net, x, Y, start = small_net(connectivity)
    _, s = free_phase_gradient(net, x, Y, start, 9, 0.5)
    ref = free_phase(net, x, start, 9, 0.5, backend="numpy")
    for a, b in zip(s, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert any(np.any((a == 0) | (a == 1)) for a in s)           # some units are clipped


@pytest.mark.parametrize("connectivity", ["symmetric", "loop"])
def test_bptt_gradient_matches_central_differences_of_the_engines_free_phase(connectivity):
    """dC/dW of C = mean 1/2 ||s_L - d||^2 after 7 free steps of the ENGINE (independent of the
    code under test), for every W_l, b_l and the trained loop matrix."""
    net, x, Y, start = small_net(connectivity, seed=1)
    grads, _ = free_phase_gradient(net, x, Y, start, 7, 0.5)

    def cost():
        s = free_phase(net, x, start, 7, 0.5, backend="numpy")
        return float(np.mean(0.5 * np.sum((s[-1] - Y) ** 2, axis=1)))

    num = central_differences(cost, net.params, eps=1e-6)
    assert grads.keys() == net.params.keys()
    for k in net.params:
        np.testing.assert_allclose(grads[k], num[k], rtol=1e-6, atol=1e-9, err_msg=k)
        assert np.abs(num[k]).max() > 1e-4, k


def test_eps_update_tends_to_the_gradient_as_beta_goes_to_zero():
    """EP's theorem (Scellier & Bengio 2017): at a converged free fixed point and a converged
    nudged phase, -Delta W / beta -> dC/dW as beta -> 0. Symmetric nudge: error O(beta^2)."""
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, (8, 6))
    Y = one_hot(rng.integers(0, 3, 8), 3)
    shapes = {"W1": (5, 6), "b1": (5,), "W2": (3, 5), "b2": (3,)}
    weights = {k: rng.uniform(-1, 1, shape) for k, shape in shapes.items()}   # biases too
    angles = {}
    for beta in (1.0, 1e-3):
        model, rule = build("ep", 6, 3, (5,), rng=0, rule_params={
            "n_free": 400, "n_clamped": 400, "beta": beta, "symmetric_nudge": True,
            "persistent": False})
        for k, v in weights.items():
            model.params[k][...] = v
        angles[beta] = ep_bp_angles(model, rule, x, Y)
        assert angles[beta]["residual"] < 1e-9                    # s^0 is a fixed point
    assert max(angles[1e-3][k] for k in ("W1", "W2")) < 0.05
    assert max(angles[1.0][k] for k in ("W1", "W2")) > 0.05      # a finite beta is biased


def test_angles_read_the_rules_update_and_leave_the_rule_as_it_was(rng):
    """From the particles of the probe rows, the angle is that of the update the rule returns
    against the BPTT gradient from the same start; the trained rule's particles are unchanged."""
    d = nplearn.load_dataset("digits")
    clf = nplearn.Classifier(rule="ep", hidden_sizes=(20,), epochs=1, random_state=0)
    clf.fit(d.x_train[:200], d.y_train[:200])
    model, rule = clf.model_, clf.rule_
    idx = np.array([3, 17, 150, 199])
    x, Y = d.x_train[idx], one_hot(d.y_train[idx], 10)
    before = [p.copy() for p in rule.particles_]
    out = ep_bp_angles(model, rule, x, Y, idx=idx)
    assert all(np.array_equal(a, b) for a, b in zip(before, rule.particles_))
    start = [p[idx] for p in before]
    assert all(s.any() for s in start)                           # particles, not zeros
    twin = copy.deepcopy(rule)
    g = twin.updates(model, x, Y, idx=idx)
    bp, s0 = free_phase_gradient(model, x, Y, start, rule.n_free_, rule.h)
    for l in (1, 2):
        assert out[f"W{l}"] == pytest.approx(angle(g[f"W{l}"], bp[f"W{l}"]), abs=1e-9)
        assert 0 < out[f"W{l}"] < 90                              # a descent direction here
    assert out["residual"] == pytest.approx(free_phase_residual(model, x, s0, rule.h))
    with pytest.raises(ValueError, match="EP rule"):
        ep_bp_angles(*build("efp", 64, 10, (5, 5), rng=0), x, Y)


def test_recorder_records_during_training_without_changing_it():
    d = nplearn.load_dataset("digits")
    x, y = d.x_train[:300], d.y_train[:300]
    params = []
    for with_recorder in (False, True):
        model, rule = build("ep", 64, 10, (20,), rng=0)
        rule.prepare(model, x)
        rec = EPAngleRecorder(x[:32], y[:32], idx=np.arange(32), every=5)
        train(model, rule, get_optimizer("sgd", 1.0), x, y, epochs=2, batch_size=50, rng=0,
              progress=False, eval_train=False, callbacks=[rec] if with_recorder else [])
        params.append({k: v.copy() for k, v in model.params.items()})
    for k in params[0]:
        np.testing.assert_array_equal(params[0][k], params[1][k], err_msg=k)
    h = rec.history
    assert len(h["ep_bp_angle"]) == len(h["step"]) == len(h["residual"]) >= 3
    assert all(0 <= v[k] <= 180 for v in h["ep_bp_angle"] for k in ("W1", "W2"))


def test_plot_ep_angles_draws_the_recorded_angles():
    from matplotlib.figure import Figure
    from nplearn.plot.ep_angles import plot_ep_angles
    h = {"epoch": [0.0, 1.0, 2.0], "ep_bp_angle": [{"W1": 40.0, "W2": 35.0}, {"W1": 30.0, "W2": 25.0},
                                                    {"W1": 20.0, "W2": 15.0}]}
    fig = plot_ep_angles([h, h])
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()][:2] == ["W1", "W2"]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [40.0, 30.0, 20.0])
    with pytest.raises(ValueError, match="EPAngleRecorder"):
        plot_ep_angles({"epoch": [], "ep_bp_angle": []})
