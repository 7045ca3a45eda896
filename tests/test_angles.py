"""Angle definitions on constructed cases with known answers, and the update angles of every
rule that trains an MLP against a direct computation (central-difference gradients, the
angle's definition written out)."""
import numpy as np
import pytest

from nplearn import Classifier, load_dataset
from nplearn.analysis import (AlignmentRecorder, angle, angles_from_updates, feedback_angles,
                              product, product_angle, row_angles, update_angles)
from nplearn.nn import MLP
from nplearn.rules import BP, DFA, FA, IFA, RULES
from nplearn.testing import numerical_gradient, random_batch
from nplearn.train import build


def test_angle_known_cases(rng):
    u = rng.normal(size=(4, 5))
    assert angle(u, u) == pytest.approx(0.0, abs=1e-6)
    assert angle(u, -u) == pytest.approx(180.0)
    assert angle(u, 7.5 * u) == pytest.approx(0.0, abs=1e-6)          # scale invariant
    assert angle([1, 0], [0, 3]) == pytest.approx(90.0)
    assert angle([1, 0], [1, 1]) == pytest.approx(45.0)
    assert np.isnan(angle(u, 0 * u))
    with pytest.raises(ValueError):
        angle(u, u[:2])


def test_row_angles():
    U = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0], [0.0, 0.0]])
    V = np.array([[2.0, 0.0], [-1.0, -1.0], [1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(row_angles(U, V)[:3], [0.0, 180.0, 90.0], atol=1e-6)
    assert np.isnan(row_angles(U, V)[3])


def test_product_order(rng):
    W1, W2, W3 = rng.normal(size=(3, 4)), rng.normal(size=(5, 3)), rng.normal(size=(2, 5))
    np.testing.assert_allclose(product([W1, W2, W3]), W3 @ W2 @ W1)
    assert product_angle([W1, W2], W2 @ W1) == pytest.approx(0.0, abs=1e-5)


def test_fa_with_transposed_weights_is_zero_degrees(rng):
    model = MLP((6, 5, 4, 3), init="uniform_fan_in", rng=rng)
    fa = FA()
    fa.setup(model, rng)
    for l in (1, 2):
        fa.B_[f"B{l}"] = model.W[l + 1].T
    assert all(v == pytest.approx(0.0, abs=1e-5) for v in feedback_angles(model, fa).values())
    x, Y = random_batch(rng, 9, 6, 3)
    per_sample, per_weight = update_angles(model, fa, x, Y)
    for a in per_sample.values():
        np.testing.assert_allclose(a, 0.0, atol=1e-5)
    assert all(v == pytest.approx(0.0, abs=1e-5) for v in per_weight.values())


def test_feedback_pairs_shapes(rng):
    model = MLP((6, 5, 4, 3), rng=rng)
    for rule in (FA(), DFA(), IFA()):
        rule.setup(model, rng)
        for name, B, M in rule.feedback_pairs(model):
            assert B.shape == M.shape, (rule.name, name)
    assert BP().feedback_pairs(model) == []


def test_recorder_history_shapes():
    d = load_dataset("digits")
    rec = AlignmentRecorder(d.x_train, d.y_train, every=2, max_samples=64)
    clf = Classifier(rule="dfa", hidden_sizes=(12, 8), epochs=1, random_state=0)
    clf.fit(d.x_train[:200], d.y_train[:200], callbacks=[rec])
    a = rec.as_arrays()
    n = len(a["step"])
    assert a["step"].tolist() == [0, 2, 4]              # 200 samples / 64 = 4 steps; every 2
    assert a["update_angle_mean"].shape == (n, 2)       # two hidden layers
    assert a["weight_angle"].shape == (n, 3) and a["weight_norm"].shape == (n, 3)
    assert set(a["feedback_angle"]) == {"B1", "B2"}
    assert rec.seconds_ > 0


# ---- the update angles against a direct computation, for every rule that trains an MLP ----
# The weight-update angle compares what the rule RETURNS (the array the optimiser applies)
# with the true gradient. Here the gradient comes from central differences of the loss
# (nplearn.testing), not from BP's code, and the angle from its definition written out.
NOT_BP_NETS = {"ep", "efp", "sigprop_ct", "sigprop", "snn_bp", "snn_shallow", "snn_sigprop"}
FEEDFORWARD = sorted(set(RULES) - NOT_BP_NETS)
VARIANTS = [(r, {}) for r in FEEDFORWARD] + [
    ("pepita", {"F_scale": 20.0, "presynaptic": "standard"}),
    ("pepita", {"F_scale": 20.0, "output_error": "modulated"}),
    ("dfa", {"shared_feedback": True})]


def _direct_angle(u, v):
    u, v = np.ravel(u), np.ravel(v)
    cos = np.dot(u, v) / np.sqrt(np.dot(u, u) * np.dot(v, v))
    return float(np.degrees(np.arccos(min(1.0, max(-1.0, cos)))))


def _build(rule, params=None, sizes=(6, 5, 5, 3), seed=0, **kw):
    params = dict(params or {})
    if rule == "pepita":
        params.setdefault("F_scale", 20.0)        # F of order 1: angles far from 0 and 90 deg
    return build(rule, sizes[0], sizes[-1], sizes[1:-1], init="uniform_fan_in", dropout=0.0,
                 rng=seed, rule_params=params, **kw)


def test_every_feedforward_rule_trains_a_network_bp_differentiates():
    for rule in FEEDFORWARD:
        model, _ = _build(rule)
        assert isinstance(model, MLP), rule      # else add it to NOT_BP_NETS (no update angles)


@pytest.mark.parametrize("rule, params", VARIANTS, ids=lambda v: str(v))
def test_weight_update_angle_is_the_angle_of_the_returned_update_to_the_gradient(rule, params):
    model, r = _build(rule, params)
    x, Y = random_batch(np.random.default_rng(1), 7, 6, 3)
    g = r.updates(model, x, Y)                                   # what the optimiser applies
    grad = numerical_gradient(model, x, Y)                      # dJ/dW by central differences
    _, per_weight = update_angles(model, r, x, Y)
    assert sorted(per_weight) == [1, 2, 3]
    for l in (1, 2, 3):
        want = _direct_angle(g[f"W{l}"], grad[f"W{l}"])
        assert per_weight[l] == pytest.approx(want, abs=0.05), (rule, l)
    if rule == "bp":
        assert all(a == pytest.approx(0.0, abs=0.05) for a in per_weight.values())


def test_pepita_output_layer_angle_uses_the_modulated_presynaptic_pass():
    """PEPITA Eq. (5): Delta W_L = e (h_{L-1}^err)^T. The output layer's angle to BP's
    gradient e h_{L-1}^T is therefore NOT 0 (the angle once reported, when the analysis
    rebuilt the update from e and the standard pass); with presynaptic="standard" it is 0."""
    model, rule = _build("pepita", sizes=(6, 8, 3))
    x, Y = random_batch(np.random.default_rng(2), 16, 6, 3)
    _, per_weight = update_angles(model, rule, x, Y)
    fwd = model.forward(x)
    e = fwd.y_hat - Y
    x_err = x + e @ rule.F_.T                                   # PEPITA Eq. (2)
    h_err = np.maximum(x_err @ model.W[1].T + model.b[1], 0.0)  # ReLU, the modulated pass
    h = np.maximum(x @ model.W[1].T + model.b[1], 0.0)
    assert per_weight[2] == pytest.approx(_direct_angle(e.T @ h_err, e.T @ h), abs=1e-6)
    assert per_weight[2] > 10.0
    rule.presynaptic = "standard"
    assert update_angles(model, rule, x, Y)[1][2] == pytest.approx(0.0, abs=1e-5)


def test_per_sample_update_angles_against_deltas_written_out(rng):
    """Per sample: PEPITA's postsynaptic factor h_1 - h_1^err and DFA's (B_1 e) ⊙ f'(a_1),
    each against BP's delta_1 = (W_2^T e) ⊙ f'(a_1), written out here."""
    x, Y = random_batch(rng, 5, 6, 3)
    for name in ("pepita", "dfa"):
        model, rule = _build(name, sizes=(6, 8, 3))
        a1 = x @ model.W[1].T + model.b[1]
        f = (lambda a: np.maximum(a, 0.0)) if name == "pepita" else np.tanh
        df = (a1 > 0).astype(float) if name == "pepita" else 1 - np.tanh(a1) ** 2
        y_hat = model.loss.output(f(a1) @ model.W[2].T + model.b[2])
        e = y_hat - Y
        bp = (e @ model.W[2]) * df                                          # DFA Eq. (6)
        if name == "pepita":
            mine = f(a1) - f((x + e @ rule.F_.T) @ model.W[1].T + model.b[1])   # PEPITA Eq. (3)
        else:
            mine = (e @ rule.B_["B1"].T) * df                               # DFA Eq. (8)
        per_sample, _ = update_angles(model, rule, x, Y)
        want = [_direct_angle(mine[i], bp[i]) for i in range(len(x))]
        np.testing.assert_allclose(per_sample[1], want, atol=1e-6)


def test_conv_weight_update_angles_against_central_differences(rng):
    model, rule = build("dfa", 16, 3, (4,), init="uniform_fan_in", rng=0,
                        conv=((2, 3, 1),), image_shape=(1, 4, 4), pool=1)
    x, Y = random_batch(rng, 4, 16, 3)
    g, grad = rule.updates(model, x, Y), numerical_gradient(model, x, Y)
    per_sample, per_weight = update_angles(model, rule, x, Y)
    assert per_sample[1].shape == (4,)
    for l in (1, 2, 3):
        assert per_weight[l] == pytest.approx(_direct_angle(g[f"W{l}"], grad[f"W{l}"]), abs=0.05)


def test_dropout_masks_are_shared_with_bp():
    """Same seed, same masks: BP against itself is 0 deg everywhere, with dropout on."""
    model, _ = build("bp", 6, 3, (5, 5), init="uniform_fan_in", dropout=0.4, rng=0)
    x, Y = random_batch(np.random.default_rng(3), 9, 6, 3)
    per_sample, per_weight = update_angles(model, BP(), x, Y, seed=5)
    for a in per_sample.values():
        np.testing.assert_allclose(a, 0.0, atol=1e-5)
    assert all(v == pytest.approx(0.0, abs=1e-5) for v in per_weight.values())
    # and the masks matter: BP with another seed's masks is another update
    g5 = BP().updates(model, x, Y, rng=np.random.default_rng(5))
    g6 = BP().updates(model, x, Y, rng=np.random.default_rng(6))
    assert _direct_angle(g5["W1"], g6["W1"]) > 1


def test_a_rule_whose_forward_pass_differs_is_refused():
    class Early(DFA):                 # draws from the generator before its forward pass
        def updates(self, model, x, Y, rng=None, **kw):
            rng.random()
            return super().updates(model, x, Y, rng=rng, **kw)

    model, _ = build("dfa", 6, 3, (5,), init="uniform_fan_in", dropout=0.5, rng=0)
    rule = Early()
    rule.setup(model, np.random.default_rng(0))
    x, Y = random_batch(np.random.default_rng(4), 8, 6, 3)
    with pytest.raises(ValueError, match="dropout masks"):
        update_angles(model, rule, x, Y)


def test_angles_from_recorded_updates():
    tr_a = {"delta_1": np.array([[1.0, 0.0], [0.0, 1.0]])}
    tr_b = {"delta_1": np.array([[1.0, 1.0], [0.0, -2.0]])}
    g_a, g_b = {"W1": np.eye(2), "W2": np.ones((1, 2))}, {"W1": -np.eye(2), "W2": np.ones((1, 2))}
    per_sample, per_weight = angles_from_updates(tr_a, g_a, tr_b, g_b, 2)
    np.testing.assert_allclose(per_sample[1], [45.0, 180.0])
    assert per_weight == pytest.approx({1: 180.0, 2: 0.0}, abs=1e-5)
    assert angles_from_updates({}, g_a, tr_b, g_b, 2)[0] == {}     # a rule recording no delta


def test_recorder_measures_update_angles_only_on_networks_bp_differentiates():
    d = load_dataset("digits")
    rec = AlignmentRecorder(d.x_train, d.y_train, every=10, max_samples=32)
    clf = Classifier(rule="efp", hidden_sizes=(8, 8), epochs=1, batch_size=100, random_state=0,
                     rule_params={"n_free": 2, "n_clamped": 1, "num_loops": 1})
    clf.fit(d.x_train[:200], d.y_train[:200], callbacks=[rec])
    assert all(e == [] for e in rec.history["update_angle_mean"] + rec.history["weight_angle"])
    assert set(rec.history["feedback_angle"][0]) == {"W2", "W3", "W_loop"}
    rec = AlignmentRecorder(d.x_train, d.y_train, every=10, max_samples=64)
    clf = Classifier(rule="pepita", hidden_sizes=(16,), epochs=1, random_state=0,
                     rule_params={"F_scale": 20.0})
    clf.fit(d.x_train[:200], d.y_train[:200], callbacks=[rec])
    assert rec.history["weight_angle"][-1][1] > 10.0            # the output layer is not 0 deg
