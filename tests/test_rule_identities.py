"""Exact identities between the rules of the DFA paper (docs/decisions.md, "How the code is written").

The feedback matrices are set to VIEWS of the transposed forward weights, so both rules
make the very same BLAS call and must agree bit for bit. With a copy (another memory
layout) BLAS may sum in another order and they agree only to rounding; that case is
checked separately with a 1e-12 relative tolerance.
"""
import numpy as np
import pytest

from nplearn.nn import MLP
from nplearn.rules import BP, DFA, FA, IFA

from nplearn.testing import random_batch as batch


@pytest.mark.parametrize("sizes", [(5, 4, 3), (6, 5, 4, 3, 2), (3, 7, 7, 7, 4)])
def test_fa_with_transposed_forward_weights_is_bp(sizes, rng):
    model = MLP(sizes, init="uniform_fan_in", rng=rng)
    fa = FA()
    fa.setup(model, rng)
    for l in range(1, model.n_layers):
        fa.B_[f"B{l}"] = model.W[l + 1].T            # B_l := W_{l+1}^T (a view: see below)
    x, Y = batch(rng, 8, sizes[0], sizes[-1])
    g_fa, g_bp = fa.updates(model, x, Y), BP().updates(model, x, Y)
    for k in g_bp:
        np.testing.assert_array_equal(g_fa[k], g_bp[k])


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu"])
def test_one_hidden_layer_dfa_with_output_weights_transposed_is_bp(activation, rng):
    model = MLP((6, 5, 3), activation=activation, init="uniform_fan_in", rng=rng)
    dfa = DFA()
    dfa.setup(model, rng)
    dfa.B_["B1"] = model.W[2].T                      # B_1 := W_2^T (a view: see below)
    x, Y = batch(rng, 9, 6, 3)
    g_dfa, g_bp = dfa.updates(model, x, Y), BP().updates(model, x, Y)
    for k in g_bp:
        np.testing.assert_array_equal(g_dfa[k], g_bp[k])


def test_fa_with_copied_transposes_agrees_to_rounding(rng):
    model = MLP((64, 20, 20, 10), init="uniform_fan_in", rng=rng)
    fa = FA()
    fa.setup(model, rng)
    for l in (1, 2):
        fa.B_[f"B{l}"] = model.W[l + 1].T.copy()
    x, Y = batch(rng, 16, 64, 10)
    g_fa, g_bp = fa.updates(model, x, Y), BP().updates(model, x, Y)
    for k in g_bp:
        np.testing.assert_allclose(g_fa[k], g_bp[k], rtol=1e-12, atol=1e-15)


def test_ifa_with_one_hidden_layer_is_dfa(rng):
    model = MLP((6, 5, 3), rng=rng)
    dfa, ifa = DFA(), IFA()
    dfa.setup(model, rng)
    ifa.setup(model, rng)
    ifa.B_["B1"] = dfa.B_["B1"]
    x, Y = batch(rng, 4, 6, 3)
    g_dfa, g_ifa = dfa.updates(model, x, Y), ifa.updates(model, x, Y)
    for k in g_dfa:
        np.testing.assert_array_equal(g_dfa[k], g_ifa[k])


def test_ifa_carries_delta_forward(rng):
    """DFA Eq. (9): delta_2 = (W_2 delta_1) ⊙ f'(a_2), written out by hand."""
    model = MLP((4, 5, 6, 3), rng=rng)
    ifa = IFA()
    ifa.setup(model, rng)
    x, Y = batch(rng, 3, 4, 3)
    tr = {}
    ifa.updates(model, x, Y, trace=tr)
    h2 = tr["h_2"]
    d1 = (tr["e"] @ ifa.B_["B1"].T) * (1 - tr["h_1"] ** 2)
    d2 = (d1 @ model.W[2].T) * (1 - h2 ** 2)
    np.testing.assert_allclose(tr["delta_1"], d1)
    np.testing.assert_allclose(tr["delta_2"], d2)


def test_dfa_sends_the_error_directly(rng):
    """DFA Eq. (8) for a 3-hidden-layer net: each delta_l depends only on e and f'(a_l)."""
    model = MLP((4, 5, 5, 5, 3), rng=rng)
    dfa = DFA()
    dfa.setup(model, rng)
    x, Y = batch(rng, 3, 4, 3)
    tr = {}
    dfa.updates(model, x, Y, trace=tr)
    for l in (1, 2, 3):
        expect = (tr["e"] @ dfa.B_[f"B{l}"].T) * (1 - tr[f"h_{l}"] ** 2)
        np.testing.assert_allclose(tr[f"delta_{l}"], expect)
    assert dfa.B_["B1"].shape == (5, 3)


def test_shared_feedback(rng):
    model = MLP((4, 5, 5, 3), rng=rng)
    dfa = DFA(shared_feedback=True)
    dfa.setup(model, rng)
    assert dfa.B_["B1"] is dfa.B_["B2"]
    with pytest.raises(ValueError, match="equal hidden widths"):
        DFA(shared_feedback=True).setup(MLP((4, 5, 6, 3), rng=rng), rng)


def test_feedback_law(rng):
    """B entries uniform in +-1/sqrt(fan_out), fan_out = rows (DFA paper Sec. 4)."""
    model = MLP((10, 400, 3), rng=rng)
    dfa = DFA()
    dfa.setup(model, rng)
    B = dfa.B_["B1"]
    assert B.shape == (400, 3)
    r = 1 / np.sqrt(400)
    assert np.abs(B).max() <= r and np.abs(B).max() > 0.9 * r


def test_default_initial_conditions():
    """DFA paper Sec. 4: FA/DFA zero with tanh/logistic, uniform fan-in otherwise; IFA random."""
    from nplearn.train import build
    for rule, act, zero in [("dfa", "tanh", True), ("fa", "logistic", True), ("dfa", "relu", False),
                            ("bp", "tanh", False), ("ifa", "tanh", False)]:
        model, _ = build(rule, 5, 3, (4, 4), activation=act, rng=0)
        assert (np.count_nonzero(model.params["W1"]) == 0) == zero, (rule, act)


def test_zero_init_dfa_learns_from_zero(rng):
    """With zero weights, BP's hidden deltas vanish but DFA's do not (Sec. 3)."""
    model = MLP((4, 5, 5, 3), init="zero", rng=rng)
    x, Y = batch(rng, 6, 4, 3)
    dfa = DFA()
    dfa.setup(model, rng)
    assert np.abs(dfa.updates(model, x, Y)["W1"]).sum() > 0
    assert np.abs(BP().updates(model, x, Y)["W1"]).sum() == 0
