"""Angle definitions on constructed cases with known answers."""
import numpy as np
import pytest

from nplearn import Classifier, load_dataset
from nplearn.analysis import (AlignmentRecorder, angle, feedback_angles, product, product_angle,
                              row_angles, update_angles)
from nplearn.nn import MLP
from nplearn.rules import BP, DFA, FA, IFA
from nplearn.testing import random_batch


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
