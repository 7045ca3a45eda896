"""``Classifier.trace_step``: one update recorded whole, for every rule.

The record's promise (``docs/trace.md``): inputs, the arrays before, every intermediate in
computing order with its equation, the update direction, the change the optimiser applied
and the arrays after, with ``before + applied == after`` bit for bit; and the step it
records is the very step training makes.
"""
import copy

import numpy as np
import pytest

from nplearn import Classifier
from nplearn.optim import SGD
from nplearn.rules import RULES
from nplearn.rules.step_record import KINDS, StepRecord, direction_key, put
from nplearn.train import build, one_hot, train_step

X = np.random.default_rng(0).random((5, 16))          # in [0, 1]: also 4x4 one-channel images
y = np.array([0, 1, 2, 1, 0])


def classifier(rule, **kw):
    small = {"rule_params": {"conv": ((2, 3, 1, 1),)}} if rule.startswith("snn_") else {}
    return Classifier(rule=rule, hidden_sizes=(6, 5), random_state=0, **{**small, **kw})


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.fixture(scope="module", params=list(RULES))
def traced(request):
    clf = classifier(request.param)
    clf.trace_step(X, y)                               # a second step: optimiser state is live
    return request.param, clf, clf.trace_step(X, y)


def test_before_plus_applied_is_after_bitwise(traced):
    rule, clf, rec = traced
    trained = {**clf.model_.params, **clf.rule_.learned_params()}
    assert rec.params == list(trained)                  # every trained array, in order
    for call in rec.calls:
        for name in call.params:
            assert same_bits(call[f"{name}_before"] + call[f"{name}_applied"],
                             call[f"{name}_after"]), (rule, name)
            assert direction_key(name) in call, (rule, name)
    for name in rec.params:                             # the last call's after is the model now
        assert same_bits(rec.calls[-1][f"{name}_after"], trained[name]), name


def test_sections_in_order_and_every_intermediate_has_its_equation(traced):
    rule, _, rec = traced
    for call in rec.calls:
        kinds = [KINDS.index(call.kind(k)) for k in call]
        assert kinds == sorted(kinds), rule
        assert {"input", "before", "intermediate", "direction", "applied", "after"} <= \
            {call.kind(k) for k in call}
        assert list(call)[:2] == ["x", "y"]
        assert "loss" in call and np.isfinite(call["loss"])
        assert [k for k in call if call.kind(k) == "intermediate" and k != "loss"], rule
        for name, value, equation, text, kind in call.entries:
            if kind in ("intermediate", "direction"):
                assert equation and text, (rule, name)
                if not name.startswith("mask_"):        # dropout masks cite no equation
                    assert any(w in equation for w in ("Eq.", "Sec.", "Alg.")), (rule, name)


#: The rules that take a ``conv`` front end (the ``snn_*`` ones always have one).
CONV_RULES = ["bp", "fa", "dfa", "pepita", "sigprop"]


@pytest.mark.parametrize("rule", CONV_RULES)
def test_conv_variants_record_the_identity_too(rule):
    clf = Classifier(rule=rule, hidden_sizes=(5,), conv=((2, 3, 1, 1),), random_state=0)
    clf.trace_step(X, y)
    rec = clf.trace_step(X, y)
    assert rec["W1_before"].ndim == 4                   # a kernel (C_out, C_in, k, k)
    assert rec["a_1"].shape[:2] == (len(X), 2)          # a map per example and channel
    for name in rec.params:
        assert same_bits(rec[f"{name}_before"] + rec[f"{name}_applied"],
                         rec[f"{name}_after"]), (rule, name)
        assert direction_key(name) in rec and rec.kind(direction_key(name)) == "direction"


def test_dfa_record_reads_in_computing_order():
    rec = classifier("dfa").trace_step(X, y)
    B = ["B1", "B2"]
    steps = ["a_1", "h_1", "fprime_1", "a_2", "h_2", "fprime_2", "a_3", "y_hat", "loss", "e",
             "delta_1", "delta_2"]
    directions = ["dW_1", "db_1", "dW_2", "db_2", "dW_3", "db_3"]
    params = ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert list(rec) == (["x", "y"] + [f"{p}_before" for p in params] + B + steps
                         + directions + [f"{p}_applied" for p in params]
                         + [f"{p}_after" for p in params])
    assert rec.equation("delta_1") == "DFA Eq. (8)" and rec.equation("dW_1") == "DFA Eq. (10)"
    assert rec.description("delta_2") == "delta_2 = (B_2 e) ⊙ f'(a_2)"
    np.testing.assert_allclose(rec["delta_1"], (rec["e"] @ rec["B1"].T) * rec["fprime_1"],
                               rtol=1e-12)


@pytest.mark.parametrize("rule", ["bp", "fa", "dfa", "ifa", "drtp", "pepita"])
def test_feedforward_intermediates_in_computing_order(rule):
    rec = classifier(rule).trace_step(X, y)
    names = [k for k in rec if rec.kind(k) == "intermediate"]
    top_down = rule in ("bp", "fa")
    deltas = ["delta_2", "delta_1"] if top_down else ["delta_1", "delta_2"]
    expect = ["a_1", "h_1", "fprime_1", "a_2", "h_2", "fprime_2", "a_3", "y_hat", "loss", "e"]
    assert [k for k in names if k in expect + deltas] == expect + deltas
    assert [k for k in rec if rec.kind(k) == "direction"] == \
        ["dW_1", "db_1", "dW_2", "db_2", "dW_3", "db_3"]
    assert rec.equation("e") == ("DFA Eq. (5)" if rule != "pepita" else rec.equation("e"))


def test_a_student_checks_bp_against_the_weights_before():
    clf = Classifier(rule="bp", hidden_sizes=(5,), random_state=0)
    clf.trace_step(X, y, classes=np.arange(3))
    rec = clf.trace_step(X, y)                          # weights have moved once already
    W2, h1, e = rec["W2_before"], rec["h_1"], rec["e"]
    np.testing.assert_allclose(rec["fprime_1"], 1 - h1 ** 2, rtol=1e-12)   # tanh'
    np.testing.assert_allclose(rec["delta_1"], (e @ W2) * (1 - h1 ** 2), rtol=1e-12)
    np.testing.assert_allclose(rec["dW_1"], -rec["delta_1"].T @ rec["x"] / len(X), rtol=1e-12)
    assert not np.allclose(W2, rec["W2_after"])         # the update moved W_2 ...
    assert same_bits(clf.model_.params["W2"], rec["W2_after"])   # ... to where the model is


def test_sgd_applies_lr_times_the_direction_and_rmsprop_does_not():
    sgd = Classifier(rule="dfa", hidden_sizes=(5,), optimizer="sgd", learning_rate=0.1,
                     random_state=0).trace_step(X, y)
    for name in sgd.params:                             # p -= lr g, and dW = -g
        assert same_bits(sgd[f"{name}_applied"], 0.1 * sgd[direction_key(name)]), name
    rms = Classifier(rule="dfa", hidden_sizes=(5,), random_state=0).trace_step(X, y)
    lr = 3e-3                                           # the DFA family's default
    ratio = np.abs(rms["W1_applied"]).sum() / np.abs(lr * rms["dW_1"]).sum()
    assert ratio > 3                                    # RMSprop's first step: ~lr sign(g)


@pytest.mark.parametrize("rule", list(RULES))
def test_the_traced_step_is_the_training_step(rule):
    small = {"rule_params": {"conv": ((2, 3, 1, 1),)}} if rule.startswith("snn_") else {}
    if rule == "pepita":
        small = {"dropout": 0.1}                        # the masks come from the same draws
    runs = []
    for trace in (False, True):
        model, r = build(rule, 16, 3, (6, 5), rng=0, **small)
        opt = SGD(0.05, momentum=0.9)
        for _ in range(2):
            train_step(model, r, opt, X, one_hot(y, 3), rng=np.random.default_rng(1),
                       trace=trace)
        runs.append(({**model.params, **r.learned_params()}, opt.state_dict()))
    (p0, s0), (p1, s1) = runs
    assert all(same_bits(p0[k], p1[k]) for k in p0), rule
    assert s0.keys() == s1.keys() and all(
        same_bits(s0[k], s1[k]) if isinstance(s0[k], np.ndarray) else s0[k] == s1[k]
        for k in s0), rule


def test_efp_loop_records_every_call_chained():
    clf = classifier("efp")
    rec = clf.trace_step(X, y)
    n = clf.rule_.num_loops
    assert n == 2 and len(rec.calls) == n and rec.calls[0] is rec
    assert [c["loop"] for c in rec.calls] == list(range(n))
    for first, second in zip(rec.calls, rec.calls[1:]):
        for name in rec.params:
            assert same_bits(first[f"{name}_after"], second[f"{name}_before"])
    assert not np.array_equal(rec.calls[0]["s_free_3"], rec.calls[1]["s_free_3"])


def test_an_optimiser_whose_step_reads_the_weights_is_refused():
    class Decay(SGD):                                  # p <- (1 - wd) p - lr g: s depends on p
        def _update(self, k, p, g, bound):
            p *= 0.9
            return super()._update(k, p, g, bound)

    model, r = build("bp", 16, 3, (5,), rng=0)
    with pytest.raises(RuntimeError, match="not p - s"):
        train_step(model, r, Decay(0.1), X, one_hot(y, 3), trace=True)


def test_step_record_is_a_plain_ordered_mapping(tmp_path):
    rec = StepRecord("demo")
    rec.put("x", np.ones((2, 3)), "DFA Eq. (1)", "the input", "input")
    rec.put("h_1", np.zeros((2, 4)), "DFA Eq. (1)", "h_1 = f(a_1)")
    rec["note"] = 1.5                                   # a plain key: no tags
    assert list(rec) == ["x", "h_1", "note"] and rec["h_1"].shape == (2, 4)
    assert rec.equation("x") == "DFA Eq. (1)" and rec.description("h_1") == "h_1 = f(a_1)"
    assert rec.equation("note") == "" and rec.kind("note") == "intermediate"
    assert [e.name for e in rec.entries] == list(rec) and rec.entries[0].kind == "input"
    with pytest.raises(KeyError):
        rec.equation("missing")
    with pytest.raises(ValueError, match="kind"):
        rec.put("z", 0, kind="later")
    assert "h_1" in repr(rec) and "DFA Eq. (1)" in repr(rec)
    np.savez(tmp_path / "rec.npz", **rec)
    assert np.load(tmp_path / "rec.npz")["x"].shape == (2, 3)
    copied = copy.deepcopy(rec)
    assert copied.equation("x") == "DFA Eq. (1)" and copied.calls[0] is copied
    plain = {}
    put(plain, "e", np.zeros(3), "DFA Eq. (5)")        # a direct rule call's plain dict
    assert list(plain) == ["e"]
    assert [direction_key(k) for k in ("W1", "b12", "W_loop", "S1")] == \
        ["dW_1", "db_12", "dW_loop", "dS_1"]


def test_rule_specific_intermediates_rebuild_their_successors():
    """A student's checks, one per family, from the record alone (weights before)."""
    bfa = classifier("bfa").trace_step(X, y)            # backward phase, Eq. (26)-(29)
    np.testing.assert_allclose(bfa["e_back"], bfa["x_hat"] - bfa["x"], rtol=1e-12)
    np.testing.assert_allclose(bfa["delta_back_2"], (bfa["e_back"] @ bfa["W1_before"].T)
                               * bfa["fprime_back_2"], rtol=1e-12)
    np.testing.assert_allclose(bfa["dV_3"], -bfa["e_back"].T @ bfa["h_back_2"] / len(X),
                               rtol=1e-12)
    pep = classifier("pepita", dropout=0.0).trace_step(X, y)   # modulated pass, Eq. (2)-(3)
    np.testing.assert_allclose(pep["x_err"], pep["x"] + pep["e"] @ pep["F"].T, rtol=1e-12)
    np.testing.assert_allclose(pep["delta_1"], pep["h_1"] - pep["h_1_err"], rtol=1e-12)
    np.testing.assert_allclose(pep["dW_1"], -pep["delta_1"].T @ pep["x_err"] / len(X),
                               rtol=1e-12)
    sp = classifier("sigprop").trace_step(X, y)         # z_l = h_l t_l^T, Eq. (6)
    np.testing.assert_allclose(sp["z_2"], sp["h_2"] @ sp["t_2"].T, rtol=1e-12)
    assert np.isclose(sp["loss"], sp["L_1"] + sp["L_2"] + sp["L_3"], rtol=1e-12)
    efp = classifier("efp").trace_step(X, y)            # EFP Eq. (6), before alpha_l
    rho = lambda s: np.clip(s, 0.0, 1.0)                # noqa: E731
    np.testing.assert_allclose(efp["dW_2"], (rho(efp["s_nudged_2"]) - rho(efp["s_free_2"])).T
                               @ rho(efp["s_free_1"]) / efp["beta"] / len(X), rtol=1e-10)
    snn = classifier("snn_bp").trace_step(X, y)         # SP Eq. (15): v^t = u^(t-1) + a^t
    v, s, a = snn["v_1"], snn["s_1"], snn["a_1"]
    np.testing.assert_allclose(v[1], v[0] * (1 - s[0]) + a[1], rtol=1e-12)
