"""EP and EFP as learning rules: the updates are the engine's Eq. (5)/(6) times the per-layer
rates, EFP's Sec. 3.2.2 loop steps the optimiser ``num_loops`` times per batch, persistent
particles, the estimator round trip and the alignment records."""
import numpy as np
import pytest

import nplearn
from nplearn.analysis import (AlignmentRecorder, HopfieldRecorder, feedback_angles,
                              loop_angles, relaxation_curves)
from nplearn.hopfield import clamped_phase, free_phase, hebbian_update
from nplearn.optim import get_optimizer
from nplearn.train import build, train_step
from nplearn.train.loop import one_hot


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (6, 8))
    return x, one_hot(rng.integers(0, 3, 6), 3)


def _copy(params):
    return {k: v.copy() for k, v in params.items()}


def test_ep_update_is_eq5_times_the_layer_rates_and_writes_no_parameter(batch):
    x, Y = batch
    model, rule = build("ep", 8, 3, (5,), rng=0,
                        rule_params={"persistent": False, "random_sign": False})
    before = _copy(model.params)
    g = rule.updates(model, x, Y)
    s0 = free_phase(model, x, None, rule.n_free_)
    sb = clamped_phase(model, x, s0, Y, rule.beta_, rule.n_clamped_)
    ref = hebbian_update(model, "chl", x, s0, sb, rule.beta_)
    assert rule.rates_ == (0.2, 0.1)                  # reference 0.1, 0.05 at our beta = 2 x 0.5
    for l, r in ((1, 0.2), (2, 0.1)):
        np.testing.assert_allclose(g[f"W{l}"], r * ref[f"W{l}"], rtol=1e-12)
        np.testing.assert_allclose(g[f"b{l}"], r * ref[f"b{l}"], rtol=1e-12)
    assert all(np.array_equal(before[k], model.params[k]) for k in before)


def _reference_step(W, b, x, d, beta_ref, alphas, n_free, n_clamped, eps):
    """One minibatch of the EP reference code's math, written from its equations (not from
    nplearn): E with rho(s) = s on [0, 1], cost ||s_L - d||^2 WITHOUT the 1/2, nudge
    F = E + beta_ref C, Euler steps eps clipped to [0, 1], and the update
    W_l += alpha_l / beta_ref * mean_n (rho(s_l^b) rho(s_{l-1}^b)^T - rho(s_l^0) rho(s_{l-1}^0)^T)."""
    L = len(W)

    def relax(s, beta, n):
        for _ in range(n):
            r = [x] + s
            ds = []
            for l in range(L):
                a = r[l] @ W[l].T + b[l] + (r[l + 2] @ W[l + 1] if l + 1 < L else 0)
                g = a - s[l]                                          # -dE/ds_l on [0, 1]
                if l == L - 1:
                    g = g - beta * 2.0 * (s[l] - d)                  # -beta_ref dC/ds, C = ||.||^2
                ds.append(g)
            s = [np.clip(s_l + eps * g, 0.0, 1.0) for s_l, g in zip(s, ds)]
        return s

    s0 = relax([np.zeros((x.shape[0], Wl.shape[0])) for Wl in W], 0.0, n_free)
    sb = relax(s0, beta_ref, n_clamped)
    n = x.shape[0]
    W_new, b_new = [], []
    for l in range(L):
        pre0, preb = ([x] + s0)[l], ([x] + sb)[l]
        W_new.append(W[l] + alphas[l] / beta_ref * (sb[l].T @ preb - s0[l].T @ pre0) / n)
        b_new.append(b[l] + alphas[l] / beta_ref * (sb[l] - s0[l]).sum(axis=0) / n)
    return W_new, b_new


def test_reference_settings_make_the_reference_codes_step_in_our_convention():
    """REFERENCE["784-500-500-10"] (beta 2, rates .8/.2/.02 at learning_rate 1) moves the
    weights exactly as the reference code's net2 (beta 1, rates .4/.1/.01, cost without 1/2)
    does, on a scaled-down 8-6-5-3 net: nplearn's beta is 2 beta_ref and its rates 2 alpha_ref."""
    from nplearn.rules.ep import REFERENCE
    ref = REFERENCE["784-500-500-10"]
    assert ref["rule_params"]["beta"] == 2 * 1.0
    assert ref["rule_params"]["lr_layers"] == tuple(2 * a for a in (0.4, 0.1, 0.01))
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, (7, 8))
    Y = one_hot(rng.integers(0, 3, 7), 3)
    params = {**ref["rule_params"], "persistent": False, "random_sign": False}
    model, rule = build("ep", 8, 3, (6, 5), rng=0, rule_params=params)
    for k in model.params:                                            # nonzero biases too
        model.params[k][...] = rng.uniform(-0.8, 0.8, model.params[k].shape)
    W = [model.params[f"W{l}"].copy() for l in (1, 2, 3)]
    b = [model.params[f"b{l}"].copy() for l in (1, 2, 3)]
    W_ref, b_ref = _reference_step(W, b, x, Y, 1.0, (0.4, 0.1, 0.01), 150, 6, 0.5)
    train_step(model, rule, get_optimizer("sgd", ref["learning_rate"]), x, Y)
    for l in (1, 2, 3):
        np.testing.assert_allclose(model.params[f"W{l}"], W_ref[l - 1], rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(model.params[f"b{l}"], b_ref[l - 1], rtol=1e-10, atol=1e-13)
        assert not np.allclose(model.params[f"W{l}"], W[l - 1])      # the step moved them


@pytest.mark.parametrize("hidden, steps, beta, rates", [
    ((5,), (20, 4), 1.0, (0.2, 0.1)),                              # net1, unchanged
    ((5, 4), (150, 6), 2.0, (0.4, 0.1, 0.01)),                     # net2, rates halved
    ((5, 4, 3), (500, 8), 2.0, (0.128, 0.032, 0.008, 0.002)),      # net3, rates halved
    ((5, 4, 3, 3), (500, 8), 2.0, (0.128, 0.032, 0.008, 0.002, 0.0005)),
])
def test_ep_arguments_left_none_follow_the_depth(hidden, steps, beta, rates):
    from nplearn.rules.ep import DEPTH_DEFAULTS, REFERENCE
    model, rule = build("ep", 8, 3, hidden, rng=0)
    assert (rule.n_free, rule.n_clamped, rule.beta, rule.lr_layers) == (None,) * 4  # as passed
    assert rule.dynamics() == {"n_free": steps[0], "n_clamped": steps[1], "beta": beta, "h": 0.5}
    assert rule.rates_ == pytest.approx(rates, rel=1e-15)
    assert model.n_predict == 5 * steps[0]
    ref = {2: "784-500-10", 3: "784-500-500-10", 4: "784-500-500-500-10"}.get(len(hidden) + 1)
    if ref and len(hidden) > 1:                # net2, net3: the reference's step at factor 2
        assert [2 * r for r in DEPTH_DEFAULTS[len(hidden) + 1]["lr_layers"]] == \
            pytest.approx(REFERENCE[ref]["rule_params"]["lr_layers"], rel=1e-15)
    x, Y = np.random.default_rng(0).uniform(0, 1, (4, 8)), one_hot(np.arange(4) % 3, 3)
    tr = {}
    rule.updates(model, x, Y, trace=tr)
    assert tr["beta"] == beta
    _, own = build("ep", 8, 3, hidden, rng=0, rule_params={"n_free": 7, "beta": 0.5,
                                                           "lr_layers": (1.0,) * len(rates)})
    assert own.dynamics() == {"n_free": 7, "n_clamped": steps[1], "beta": 0.5, "h": 0.5}
    assert own.rates_ == (1.0,) * len(rates)


def test_ep_symmetric_nudge_is_the_centred_difference(batch):
    x, Y = batch
    model, rule = build("ep", 8, 3, (5,), rng=1,
                        rule_params={"persistent": False, "symmetric_nudge": True,
                                     "lr_layers": (1.0, 1.0)})
    g = rule.updates(model, x, Y)
    s0 = free_phase(model, x, None, rule.n_free_)
    sp = clamped_phase(model, x, s0, Y, rule.beta_, rule.n_clamped_)
    sm = clamped_phase(model, x, s0, Y, -rule.beta_, rule.n_clamped_)
    ref = hebbian_update(model, "chl", x, sm, sp, 2 * rule.beta_)
    assert all(np.allclose(g[k], ref[k], rtol=1e-12) for k in ref)


def test_ep_random_sign_draws_both_signs(batch):
    x, Y = batch
    model, rule = build("ep", 8, 3, (5,), rng=0, rule_params={"persistent": False})
    rng = np.random.default_rng(0)
    signs = set()
    for _ in range(20):
        tr = {}
        rule.updates(model, x, Y, rng=rng, trace=tr)
        signs.add(np.sign(tr["beta"]))
    assert signs == {-1.0, 1.0}


def test_ep_persistent_particles_are_keyed_by_training_index(batch):
    x, Y = batch
    model, rule = build("ep", 8, 3, (5,), rng=0, rule_params={"random_sign": False})
    x = np.vstack([x, x[:1]])                          # row 6 repeats row 0: its own particle
    Y = np.vstack([Y, Y[:1]])
    idx = np.array([3, 9, 0, 4, 1, 2, 5])
    rule.updates(model, x, Y, idx=idx)
    assert [p.shape for p in rule.particles_] == [(10, 5), (10, 3)]   # grown to max(idx) + 1
    s0 = free_phase(model, x, None, rule.n_free_)
    for k in range(2):
        assert np.array_equal(rule.particles_[k][idx], s0[k])
        assert not rule.particles_[k][[6, 7, 8]].any()               # never seen: zero states
    tr = {}
    rule.updates(model, x[::-1], Y[::-1], idx=idx[::-1], trace=tr)   # same weights, reordered
    expect = free_phase(model, x[::-1], [s[::-1] for s in s0], rule.n_free_)
    assert np.array_equal(tr["s_free_1"], expect[0]) and np.array_equal(tr["s_free_2"], expect[1])
    state = rule.state()
    assert np.array_equal(state["particle_1"], rule.particles_[0])


def test_ep_without_indices_starts_from_zero_and_stores_nothing(batch):
    x, Y = batch
    model, rule = build("ep", 8, 3, (5,), rng=0)
    g1 = rule.updates(model, x, Y)
    g2 = rule.updates(model, x, Y)                     # rng None: no random sign, no particles
    assert all(np.array_equal(g1[k], g2[k]) for k in g1)
    assert [p.shape[0] for p in rule.particles_] == [0, 0]
    with pytest.raises(ValueError, match="idx"):
        rule.updates(model, x, Y, idx=np.arange(3))


def test_efp_loop_continues_by_call_number_not_by_array_identity(batch):
    x, Y = batch
    model, rule = build("efp", 8, 3, (5, 4), rng=0)
    tr0, tr1, tr1_copy = {}, {}, {}
    g0 = rule.updates(model, x, Y, loop=0, trace=tr0)
    g1 = rule.updates(model, x.copy(), Y, loop=1, trace=tr1)   # a copy of the batch continues
    expect = free_phase(model, x, [tr0["s_free_1"], tr0["s_free_2"], tr0["s_free_3"]],
                        rule.n_free)
    assert np.array_equal(tr1["s_free_3"], expect[2])
    rule.updates(model, x, Y, loop=0)
    rule.updates(model, x, Y, loop=1, trace=tr1_copy)
    assert np.array_equal(tr1["s_free_3"], tr1_copy["s_free_3"])
    with pytest.raises(ValueError, match="loop=0"):
        rule.updates(model, x, Y, loop=1)                       # the batch's loop has ended
    again = rule.updates(model, x.copy(), Y, loop=0)            # loop 0 always starts from zero
    assert all(np.array_equal(g0[k], again[k]) for k in g0)
    assert not all(np.array_equal(g0[k], g1[k]) for k in g0)
    with pytest.raises(ValueError, match="num_loops"):
        rule.updates(model, x, Y, loop=2)


def test_efp_update_is_eq6_and_the_loop_matrix_stays_fixed_by_default(batch):
    x, Y = batch
    model, rule = build("efp", 8, 3, (5, 4), rng=0)
    assert "W_loop" not in model.params and rule.rates_ == (0.2, 0.05, 0.01)   # Table 1
    g = rule.updates(model, x, Y)
    s0 = free_phase(model, x, None, rule.n_free)
    sb = clamped_phase(model, x, s0, Y, rule.beta, rule.n_clamped)
    ref = hebbian_update(model, "efp", x, s0, sb, rule.beta)
    for l, r in zip((1, 2, 3), rule.rates_):
        np.testing.assert_allclose(g[f"W{l}"], r * ref[f"W{l}"], rtol=1e-12)
    assert set(g) == set(model.params)


def test_efp_with_the_chl_update_is_eq5_written_out_on_the_loop_network(batch):
    # EFP Sec. 5.2 / Fig. 4: the loop network's phases with EP's update, Eq. (5), by hand
    x, Y = batch
    model, rule = build("efp", 8, 3, (5, 4), rng=0, rule_params={"update": "chl"})
    assert not model.symmetric
    trace = {}
    g = rule.updates(model, x, Y, trace=trace)
    rho = lambda s: np.clip(s, 0.0, 1.0)                              # noqa: E731
    r0 = [rho(x)] + [rho(trace[f"s_free_{l}"]) for l in (1, 2, 3)]
    rb = [rho(x)] + [rho(trace[f"s_nudged_{l}"]) for l in (1, 2, 3)]
    n, beta = x.shape[0], rule.beta
    for l, r in zip((1, 2, 3), rule.rates_):
        dW = (rb[l].T @ rb[l - 1] - r0[l].T @ r0[l - 1]) / (beta * n)   # Eq. (5), batch mean
        np.testing.assert_allclose(g[f"W{l}"], -r * dW, rtol=1e-10, atol=1e-14)
    assert rule.equations["update"] == "EFP Eq. (5)" and "rho(s^beta_{pre})" in rule.update_formula
    g6 = build("efp", 8, 3, (5, 4), rng=0)[1].updates(model, x, Y)
    assert not np.allclose(g6["W2"], g["W2"])                         # Eq. (6) differs
    with pytest.raises(ValueError, match="update"):
        nplearn.rules.get_rule("efp", update="ep")


def test_efp_loop_steps_the_optimiser_num_loops_times_and_continues_the_free_state(batch):
    x, Y = batch
    model, rule = build("efp", 8, 3, (5, 4), rng=0, rule_params={"num_loops": 3})
    opt = get_optimizer("sgd", 1.0)
    p0 = _copy(model.params)
    train_step(model, rule, opt, x, Y)
    assert opt.t == 3
    # replay by hand: each iteration continues from the previous free state, new weights
    ref, _ = build("efp", 8, 3, (5, 4), rng=0, rule_params={"num_loops": 3})
    assert all(np.array_equal(p0[k], ref.params[k]) for k in p0)
    s = None
    for _ in range(3):
        s0 = free_phase(ref, x, s, rule.n_free)
        sb = clamped_phase(ref, x, s0, Y, rule.beta, rule.n_clamped)
        g = hebbian_update(ref, "efp", x, s0, sb, rule.beta)
        for l, r in zip((1, 2, 3), rule.rates_):
            ref.params[f"W{l}"] -= r * g[f"W{l}"]
            ref.params[f"b{l}"] -= r * g[f"b{l}"]
        s = s0
    for k in model.params:
        np.testing.assert_allclose(model.params[k], ref.params[k], rtol=1e-10, atol=1e-14)


def test_efp_trained_loop_needs_a_rate_for_it():
    with pytest.raises(ValueError, match="lr_layers"):
        build("efp", 8, 3, (5, 4), rng=0,
              rule_params={"train_loop": True, "lr_layers": (0.2, 0.05, 0.01)})
    model, rule = build("efp", 8, 3, (5, 4), rng=0,
                        rule_params={"train_loop": True, "lr_layers": (1, 1, 1, 0.5)})
    assert "W_loop" in model.params


@pytest.mark.parametrize("kw", [{"activation": "tanh"}, {"dropout": 0.5}, {"loss": "softmax_ce"}])
def test_hopfield_rules_refuse_what_the_network_cannot_do(kw):
    with pytest.raises(ValueError):
        build("ep", 8, 3, (5,), rng=0, **kw)


def test_prediction_is_the_output_state_after_the_free_phase(batch):
    x, Y = batch
    model, rule = build("efp", 8, 3, (5, 4), rng=0)
    assert model.n_predict == rule.num_loops * rule.n_free
    s = free_phase(model, x, None, model.n_predict)
    assert np.array_equal(model.logits(x), s[-1]) and np.array_equal(model.logits(x), s[-1])
    assert np.array_equal(model.hidden(x)[1], s[1])
    assert np.isclose(model.loss.loss(s[-1], Y), 0.5 * np.mean(np.sum((s[-1] - Y) ** 2, 1)))


@pytest.mark.parametrize("rule, hidden", [("ep", (30,)), ("efp", (30, 30))])
def test_classifier_fits_predicts_and_round_trips(rule, hidden, tmp_path):
    d = nplearn.load_dataset("digits")
    clf = nplearn.Classifier(rule=rule, hidden_sizes=hidden, batch_size=20, epochs=2,
                             learning_rate=1.0 if rule == "ep" else 10.0, random_state=0)
    clf.fit(d.x_train, d.y_train)
    assert clf.score(d.x_test, d.y_test) > 0.5                      # chance: 0.1
    clf.save(tmp_path / "m")
    back = nplearn.Classifier.load(tmp_path / "m")
    assert np.array_equal(back.predict(d.x_test), clf.predict(d.x_test))


def test_alignment_records_for_hopfield_rules(batch):
    d = nplearn.load_dataset("digits")
    x, y = d.x_train[:300], d.y_train[:300]
    rec, al = HopfieldRecorder(x, y, every=5, max_samples=32), AlignmentRecorder(x, y, every=5)
    clf = nplearn.Classifier(rule="efp", hidden_sizes=(10, 10), batch_size=20, epochs=1,
                             learning_rate=10.0, random_state=0)
    clf.fit(x, y, callbacks=[rec, al])
    assert al.history["update_angle_mean"][-1] == []                # no delta_l in EFP
    assert al.history["feedback_angle"][-1] == pytest.approx(rec.history["loop_angle"][-1])
    assert set(loop_angles(clf.model_)) == {"W2", "W3", "W_loop"}
    assert feedback_angles(clf.model_, clf.rule_) == pytest.approx(loop_angles(clf.model_))
    n = clf.rule_.n_free * clf.rule_.num_loops + clf.rule_.n_clamped + 1
    assert len(rec.history["error"][-1]) == n and rec.history["energy"][-1] is None


def test_relaxation_curves_energy_falls_in_the_free_phase(batch):
    x, Y = batch
    model, _ = build("ep", 8, 3, (5,), rng=0)
    c = relaxation_curves(model, x, Y, n_free=15, n_clamped=5, beta=1.0, h=0.2)
    assert c["error"].shape == c["energy"].shape == (21,)
    assert np.all(np.diff(c["energy"][:16]) <= 1e-12)


def test_input_map_is_the_identity_on_unit_interval_data_and_min_max_otherwise():
    from nplearn.rules.hopfield_base import fit_input_map
    assert fit_input_map(np.random.default_rng(0).uniform(0, 1, (20, 3))) == {}
    X = np.array([[-2.0, 5.0, 1.0], [0.0, 7.0, 1.0], [2.0, 6.0, 1.0]])
    m = fit_input_map(X)
    mapped = (X - m["input_lo"]) * m["input_scale"]
    np.testing.assert_allclose(mapped, [[0, 0, 0], [0.5, 1, 0], [1, 0.5, 0]])   # constant -> 0


def test_standardised_inputs_are_mapped_in_training_and_prediction(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int)
    clf = nplearn.Classifier(rule="ep", hidden_sizes=(6,), epochs=1, random_state=0).fit(X, y)
    lo, scale = clf.rule_.input_map_["input_lo"], clf.rule_.input_map_["input_scale"]
    assert np.array_equal(lo, X.min(0)) and np.allclose(scale, 1 / (X.max(0) - X.min(0)))
    s = free_phase(clf.model_, (X - lo) * scale, None, clf.model_.n_predict)
    assert np.array_equal(clf.model_.logits(X), s[-1])           # prediction maps its input
    clf.save(tmp_path / "m")
    back = nplearn.Classifier.load(tmp_path / "m")
    assert np.array_equal(back.predict_proba(X), clf.predict_proba(X))
    digits = nplearn.load_dataset("digits")                      # pixels in [0, 1]: identity
    clf = nplearn.Classifier(rule="ep", hidden_sizes=(6,), epochs=1, random_state=0)
    assert clf.fit(digits.x_val, digits.y_val).rule_.state() == {
        k: v for k, v in clf.rule_.state().items() if k.startswith("particle_")}


@pytest.mark.parametrize("rule", ["ep", "efp", "sigprop_ct"])
def test_direct_updates_outside_the_unit_interval_say_what_to_do(rule, batch):
    x, Y = batch
    model, r = build(rule, 8, 3, (5,), rng=0)
    with pytest.raises(ValueError, match="MinMaxScaler.*rule.prepare"):
        r.updates(model, x - 0.5, Y)
    r.prepare(model, x - 0.5)                                    # fits the map: now it trains
    g = r.updates(model, x - 0.5, Y)
    assert all(np.all(np.isfinite(v)) for v in g.values())
