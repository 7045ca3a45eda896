"""DRTP (Frenkel, Lefebvre & Bol 2021): shapes, fixed B, a worked example written out by hand,
identities with BP and DFA, no dependence of the hidden updates on the layers above, and
learning on the digits with measured numbers."""
import math

import numpy as np
import pytest

from nplearn import Classifier, load_dataset
from nplearn.analysis import AlignmentRecorder
from nplearn.experiments import preset
from nplearn.rules import BP, DFA, RULES
from nplearn.rules.drtp import DRTP
from nplearn.testing import random_batch
from nplearn.train import build


def test_registered_and_shapes(rng):
    assert RULES["drtp"] is DRTP
    model, rule = build("drtp", 7, 3, (6, 5, 4), rng=0)
    assert {k: B.shape for k, B in rule.B_.items()} == {"B1": (6, 3), "B2": (5, 3), "B3": (4, 3)}
    x, Y = random_batch(rng, 9, 7, 3)
    g = rule.updates(model, x, Y)
    assert {k: v.shape for k, v in g.items()} == {k: v.shape for k, v in model.params.items()}
    assert rule.learned_params() == {}
    assert [B.shape == M.shape for _, B, M in rule.feedback_pairs(model)] == [True] * 3


def test_feedback_is_fixed_during_training():
    d = load_dataset("digits")
    clf = Classifier(rule="drtp", hidden_sizes=(12, 8), epochs=2, random_state=0)
    clf.fit(d.x_train[:300], d.y_train[:300])
    rule = clf.rule_
    B0 = {k: v.copy() for k, v in rule.B_.items()}
    W0 = clf.model_.params["W1"].copy()
    clf.partial_fit(d.x_train[:300], d.y_train[:300])
    assert not np.array_equal(W0, clf.model_.params["W1"])                  # it trains
    assert all(np.array_equal(B0[k], rule.B_[k]) for k in B0)               # B does not


def test_worked_example_by_hand():
    """2-2-2-2 tanh net, logistic output, two examples, every number by scalar loops.

    delta_l[i, j] = (sum_c B_l[j, c] y*[i, c]) * (1 - tanh(a_l[i, j])^2)   hidden, from y*
    e[i, c]       = sigmoid(a_3[i, c]) - y*[i, c]                           output
    g_W_l[j, k]   = (1/n) sum_i delta_l[i, j] h_{l-1}[i, k],  g_b_l[j] = (1/n) sum_i delta_l[i, j]
    """
    model, rule = build("drtp", 2, 2, (2, 2), rng=0)
    W = {1: [[0.5, -0.3], [0.2, 0.4]], 2: [[-0.6, 0.1], [0.3, 0.7]], 3: [[0.8, -0.2], [-0.5, 0.9]]}
    b = {1: [0.1, -0.1], 2: [0.0, 0.2], 3: [-0.3, 0.05]}
    for l in (1, 2, 3):
        model.params[f"W{l}"][...] = W[l]
        model.params[f"b{l}"][...] = b[l]
    B = {1: [[0.7, -0.4], [0.1, 0.9]], 2: [[-0.2, 0.6], [0.5, 0.3]]}
    for l in (1, 2):
        rule.B_[f"B{l}"][...] = B[l]
    x = [[0.3, -0.8], [1.0, 0.5]]
    Y = [[1.0, 0.0], [0.0, 1.0]]
    n = 2
    h = {0: x}
    a = {}
    for l in (1, 2, 3):                                  # DFA Eq. (1)-(3), scalar form
        a[l] = [[sum(W[l][j][k] * h[l - 1][i][k] for k in range(2)) + b[l][j] for j in range(2)]
                for i in range(n)]
        act = math.tanh if l < 3 else (lambda v: 1 / (1 + math.exp(-v)))
        h[l] = [[act(a[l][i][j]) for j in range(2)] for i in range(n)]
    delta = {3: [[h[3][i][c] - Y[i][c] for c in range(2)] for i in range(n)]}
    for l in (1, 2):
        delta[l] = [[sum(B[l][j][c] * Y[i][c] for c in range(2)) * (1 - math.tanh(a[l][i][j]) ** 2)
                     for j in range(2)] for i in range(n)]
    g = rule.updates(model, np.array(x), np.array(Y))
    for l in (1, 2, 3):
        gW = [[sum(delta[l][i][j] * h[l - 1][i][k] for i in range(n)) / n for k in range(2)]
              for j in range(2)]
        gb = [sum(delta[l][i][j] for i in range(n)) / n for j in range(2)]
        np.testing.assert_allclose(g[f"W{l}"], gW, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(g[f"b{l}"], gb, rtol=1e-12, atol=1e-15)
    # the same example with the error in place of the target (DFA) gives another update
    dfa = DFA()
    dfa.B_ = rule.B_
    assert not np.allclose(dfa.updates(model, np.array(x), np.array(Y))["W1"], g["W1"])


def test_output_layer_is_bp_and_hidden_is_dfa_with_the_target_for_the_error(rng):
    """One hidden layer: DRTP's output update is BP's exactly (its true local gradient).
    Any depth: the hidden deltas are DFA's Eq. (8) evaluated at e := y*."""
    x, Y = random_batch(rng, 8, 6, 4)
    model, rule = build("drtp", 6, 4, (5,), init="uniform_fan_in", rng=1)
    g, g_bp = rule.updates(model, x, Y), BP().updates(model, x, Y)
    assert np.array_equal(g["W2"], g_bp["W2"]) and np.array_equal(g["b2"], g_bp["b2"])
    assert not np.allclose(g["W1"], g_bp["W1"])
    model, rule = build("drtp", 6, 4, (5, 3), init="uniform_fan_in", rng=2)
    dfa = DFA()
    dfa.B_ = rule.B_
    fwd = model.forward(x)
    d_drtp, d_dfa = rule.deltas(model, fwd, fwd.y_hat - Y), dfa.deltas(model, fwd, Y)
    for l in (1, 2):
        np.testing.assert_allclose(d_drtp[l], d_dfa[l], rtol=1e-13)


def test_hidden_updates_do_not_depend_on_the_layers_above(rng):
    """Feedforward training (no update locking): the update of W_l reads only x, W_1..W_l, B_l
    and y*. Changing W_3 leaves DRTP's g[W_1], g[W_2] unchanged; DFA's change."""
    x, Y = random_batch(rng, 8, 6, 3)
    model, rule = build("drtp", 6, 3, (5, 4), init="uniform_fan_in", rng=3)
    dfa = DFA()
    dfa.B_ = rule.B_
    before, before_dfa = rule.updates(model, x, Y), dfa.updates(model, x, Y)
    model.params["W3"] += rng.normal(size=model.params["W3"].shape)
    after, after_dfa = rule.updates(model, x, Y), dfa.updates(model, x, Y)
    for k in ("W1", "b1", "W2", "b2"):
        assert np.array_equal(before[k], after[k]), k
    assert not np.allclose(before_dfa["W1"], after_dfa["W1"])
    assert not np.allclose(before["W3"], after["W3"])


def test_targets_must_be_one_hot(rng):
    model, rule = build("drtp", 6, 3, (5,), rng=0)
    x, _ = random_batch(rng, 4, 6, 3)
    with pytest.raises(ValueError, match="one-hot"):
        rule.updates(model, x, np.full((4, 3), 1 / 3))


def test_conv_net(rng):
    model, rule = build("drtp", 16, 3, (4,), rng=0, conv=((2, 3, 1),), image_shape=(1, 4, 4))
    x, Y = random_batch(rng, 5, 16, 3)
    g = rule.updates(model, x, Y)
    assert {k: v.shape for k, v in g.items()} == {k: v.shape for k, v in model.params.items()}
    assert rule.B_["B1"].shape == (2 * 1 * 1, 3)          # injected after 2x2 pooling of 2x2 maps


def test_learns_on_digits_and_its_updates_descend():
    """2x100 tanh, logistic output with BCE, RMSprop lr 3e-3, 60 epochs of 64 (the DFA-family
    preset of ``nplearn compare``), seeds 0, 1, 2, the fixed test split.

    Measured (1 BLAS thread): test error 2.50 / 3.06 / 3.33 %, mean 2.96 %; DFA on the same
    settings 2.22 %. The control, the same net with B = 0 (hidden layers frozen at their
    random init, only the output layer trains), reached 7.22 / 8.89 / 7.50 %, mean 7.87 %:
    the bound 4.5 % lies between, so the test fails if the hidden layers stop learning.
    At the end of seed 0 the hidden update angles to BP were 85.2 / 86.1 deg (below 90:
    descent) and the feedback angles B_l vs (W_L ... W_{l+1})^T 107.9 / 109.0 deg (above 90:
    the forward weights anti-align with B, since y* stands in for -e in sign).
    """
    d = load_dataset("digits")
    errors = []
    for seed in (0, 1, 2):
        clf = Classifier(rule="drtp", **preset("dfa", hidden_sizes=(100, 100)), random_state=seed)
        rec = AlignmentRecorder(d.x_train, d.y_train, every=10_000, max_samples=128)
        clf.fit(d.x_train, d.y_train, callbacks=[rec] if seed == 0 else [])
        errors.append(1 - clf.score(d.x_test, d.y_test))
        if seed == 0:
            final = rec.as_arrays()
            upd = final["update_angle_mean"][-1]
            fb = [final["feedback_angle"][k][-1] for k in ("B1", "B2")]
    assert np.mean(errors) <= 0.045, np.round(errors, 4)
    assert np.all(upd < 90), upd
    assert np.all(np.array(fb) > 90), fb
