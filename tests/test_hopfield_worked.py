"""The continuous Hopfield engine and its rules (EFP, continuous sigprop, EP) against the
papers' equations written out unit by unit, with explicit Python loops over i and j.

Nothing here calls the engine's kernels or NumPy matrix products to build the expected
values: each Euler step, each phase and each Hebbian update is plain scalar arithmetic.

* EFP Eq. (1), one Euler step by Eq. (7), on a NON-SQUARE loop net 3-4-5-2 (the loop
  matrix is 4 x 2, so a transposed or mis-indexed matrix cannot pass by shape): for unit
  j of layer l,

      a_j  = sum_i W_l[j, i] rho(s_{l-1, i}) + b_l[j]         (i -> j, the layer below)
           + sum_i W_loop[j, i] rho(s_{L, i})    (l = 1)        (i in O -> j in I, the loop)
      ds_j = rho'(s_j) a_j - s_j  - beta (s_j - d_j)  (l = L)
      s_j <- clip(s_j + h ds_j, 0, 1)

  with rho = clip(., 0, 1), rho' = 1 on the closed [0, 1], every layer reading the states
  of the previous step, and the input's rate rho(x). The STATE is clipped, not the
  increment as Eq. (7) prints it (nplearn's documented reading: the printed form would
  forbid a state from ever falling).
  The loop runs from the output O to the input-receiving layer I, as EFP's text and
  sigprop Eq. (13) say (EFP Eq. (1) prints "i in I -> j in O").
* EFP Eq. (6): Delta W_l[j, i] = (1/beta) mean_n rho(s^0_{l-1, i}) (rho(s^b_{l, j}) - rho(s^0_{l, j}))
  (i presynaptic, at the free state; j postsynaptic, the change), the loop with pre = layer L,
  post = layer 1, a bias as a weight from a unit of rate 1. The rule returns
  g = -alpha_l Delta W_l (per-layer rates alpha_l, EFP Table 1; the optimiser does p -= lr g).
* Continuous sigprop: Eq. (14) is EFP Eq. (6); on the loop matrix S_1 of Eq. (12) it reads
  Delta S_1[j, i] = (1/beta) mean_n rho(s^0_{L, i}) (rho(s^b_{1, j}) - rho(s^0_{1, j})).
* EP: EFP Eq. (5), Delta W_l[j, i] = (1/beta) mean_n (rho(s^b_j) rho(s^b_i) - rho(s^0_j) rho(s^0_i)),
  on a symmetric net (layer l also driven from above by W_{l+1}^T).
"""
import numpy as np
import pytest

from nplearn.hopfield import HopfieldNet, clamped_phase, free_phase, hebbian_update, relax
from nplearn.train import build

BACKENDS = ("numpy", "numba")


# ---- the equations by hand: lists of lists of floats, loops over units ---------------------
def rho(v):
    return min(1.0, max(0.0, v))


def drho(v):
    return 1.0 if 0.0 <= v <= 1.0 else 0.0


def as_lists(a):
    return [[float(v) for v in row] for row in np.asarray(a)]


def euler_step(P, x, s, beta=0.0, d=None, h=0.5, symmetric=False):
    """One synchronous Euler step (EFP Eq. 1 and 7) of ONE example; ``s = [s_1..s_L]``."""
    L = len(s)
    rates = [[rho(v) for v in x]] + [[rho(v) for v in s_l] for s_l in s]    # rho of the old step
    new = []
    for l in range(1, L + 1):
        W, b = P[f"W{l}"], P[f"b{l}"]
        layer = []
        for j in range(len(s[l - 1])):
            a = b[j]
            for i in range(len(rates[l - 1])):
                a += W[j][i] * rates[l - 1][i]                          # i -> j
            if not symmetric and l == 1:
                for i in range(len(rates[L])):
                    a += P["W_loop"][j][i] * rates[L][i]                # i in O -> j in I
            if symmetric and l < L:
                for k in range(len(rates[l + 1])):
                    a += P[f"W{l + 1}"][k][j] * rates[l + 1][k]         # from above (EP)
            sj = s[l - 1][j]
            ds = drho(sj) * a - sj
            if l == L and beta != 0:
                ds -= beta * (sj - d[j])                                # the nudge
            layer.append(min(1.0, max(0.0, sj + h * ds)))               # the state clipped
        new.append(layer)
    return new


def run(P, X, S, n_steps, beta=0.0, D=None, h=0.5, symmetric=False):
    """``n_steps`` Euler steps for every example; ``S[n] = [s_1..s_L]`` of example n."""
    out = []
    for n in range(len(X)):
        s = [list(s_l) for s_l in S[n]]
        for _ in range(n_steps):
            s = euler_step(P, X[n], s, beta, None if D is None else D[n], h, symmetric)
        out.append(s)
    return out


def efp_eq6(P, X, S0, Sb, beta):
    """EFP Eq. (6), batch mean: ``Delta W`` keyed like the params (loop included)."""
    N, L = len(X), len(S0[0])
    dW = {}

    def rates(n, S, l):
        return [rho(v) for v in (X[n] if l == 0 else S[n][l - 1])]

    pairs = [(f"W{l}", l - 1, l) for l in range(1, L + 1)]
    if "W_loop" in P:
        pairs.append(("W_loop", L, 1))                                  # pre = output, post = layer 1
    for key, pre, post in pairs:
        n_post, n_pre = len(P[key]), len(P[key][0])
        dW[key] = [[sum(rates(n, S0, pre)[i] * (rates(n, Sb, post)[j] - rates(n, S0, post)[j])
                        for n in range(N)) / (beta * N) for i in range(n_pre)]
                   for j in range(n_post)]
        if key != "W_loop":
            dW[f"b{post}"] = [sum(rates(n, Sb, post)[j] - rates(n, S0, post)[j]
                                  for n in range(N)) / (beta * N) for j in range(n_post)]
    return dW


def efp_eq6_swapped(P, X, S0, Sb, beta):
    """Eq. (6) with the roles swapped (pre changes, post held at the free state)."""
    N, L = len(X), len(S0[0])
    out = {}
    for l in range(1, L + 1):
        pre = [[rho(v) for v in (X[n] if l == 1 else S0[n][l - 2])] for n in range(N)]
        pre_b = [[rho(v) for v in (X[n] if l == 1 else Sb[n][l - 2])] for n in range(N)]
        post = [[rho(v) for v in S0[n][l - 1]] for n in range(N)]
        out[f"W{l}"] = [[sum((pre_b[n][i] - pre[n][i]) * post[n][j] for n in range(N)) / (beta * N)
                         for i in range(len(pre[0]))] for j in range(len(post[0]))]
    return out


def chl_eq5(P, X, S0, Sb, beta):
    """EFP Eq. (5) (EP's contrastive Hebbian update), batch mean, symmetric net."""
    N, L = len(X), len(S0[0])
    dW = {}
    for l in range(1, L + 1):
        def r(n, S, k):
            return [rho(v) for v in (X[n] if k == 0 else S[n][k - 1])]
        n_post, n_pre = len(P[f"W{l}"]), len(P[f"W{l}"][0])
        dW[f"W{l}"] = [[sum(r(n, Sb, l)[j] * r(n, Sb, l - 1)[i] - r(n, S0, l)[j] * r(n, S0, l - 1)[i]
                            for n in range(N)) / (beta * N) for i in range(n_pre)]
                       for j in range(n_post)]
        dW[f"b{l}"] = [sum(r(n, Sb, l)[j] - r(n, S0, l)[j] for n in range(N)) / (beta * N)
                       for j in range(n_post)]
    return dW


# ---- fixtures: a non-square loop net with weights that keep states off the clip bounds -----
SIZES = (3, 4, 5, 2)


def _loop_net(train_loop=True):
    net = HopfieldNet(SIZES, connectivity="loop", train_loop=train_loop, rng=0)
    rng = np.random.default_rng(42)
    arrays = {**net.params, **net.fixed}
    for k, v in arrays.items():
        v[...] = rng.uniform(-0.9, 0.9, v.shape) + (0.25 if k.startswith("b") else 0.0)
    return net


def _params(net):
    return {k: as_lists(v) if v.ndim == 2 else [float(u) for u in v]
            for k, v in {**net.params, **net.fixed}.items()}


X = np.array([[0.2, 0.9, 0.5], [1.3, -0.4, 0.7]])                    # rho(x) clips 1.3 and -0.4
# The rules refuse inputs outside [0, 1] in a direct call (no input map fitted); rho(X01) = rho(X)
X01 = np.clip(X, 0.0, 1.0)
D = np.array([[1.0, 0.0], [0.0, 1.0]])


def _batch_states(S):
    """Per-example lists -> the engine's per-layer arrays."""
    return [np.array([S[n][k] for n in range(len(S))]) for k in range(len(S[0]))]


def _example_states(s):
    """The engine's per-layer arrays -> per-example lists."""
    return [[list(map(float, s_k[n])) for s_k in s] for n in range(s[0].shape[0])]


# ---- EFP: one Euler step, the phases, Eq. (6) -----------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_one_euler_step_by_hand(backend):
    net = _loop_net()
    P = _params(net)
    # start states with units exactly at 0 and 1 (rho' = 1 there) and outside [0, 1] (rho' = 0)
    S = [[[0.0, 0.3, 1.0, 0.6], [0.1, 0.5, 0.9, 0.2, 0.7], [0.4, 0.8]],
         [[1.2, -0.1, 0.5, 0.25], [0.6, 0.0, 0.33, 1.0, 0.45], [0.9, 0.05]]]
    for beta in (0.0, 0.7):
        want = run(P, as_lists(X), S, 1, beta, as_lists(D))
        got = relax(net, X, _batch_states(S), 1, beta, D, backend=backend)
        np.testing.assert_allclose(np.concatenate([g.ravel() for g in got]),
                                   np.concatenate([np.ravel(w) for w in _batch_states(want)]),
                                   rtol=1e-13, atol=1e-15)
    # the step moved every layer, and the clamp matters (the nudged step differs)
    assert not np.allclose(_batch_states(run(P, as_lists(X), S, 1, 0.7, as_lists(D)))[-1],
                           _batch_states(run(P, as_lists(X), S, 1, 0.0))[-1])


@pytest.mark.parametrize("backend", BACKENDS)
def test_free_and_clamped_phases_and_eq6_by_hand(backend):
    net = _loop_net()
    P = _params(net)
    n_free, n_clamped, beta = 12, 6, 0.8
    zero = [[[0.0] * m for m in SIZES[1:]] for _ in range(len(X))]
    S0 = run(P, as_lists(X), zero, n_free)                              # free phase from zero
    Sb = run(P, as_lists(X), S0, n_clamped, beta, as_lists(D))          # clamped, FROM the free state
    s0 = free_phase(net, X, None, n_free, backend=backend)
    sb = clamped_phase(net, X, s0, D, beta, n_clamped, backend=backend)
    for got, want in ((s0, S0), (sb, Sb)):
        for k in range(3):
            np.testing.assert_allclose(got[k], _batch_states(want)[k], rtol=1e-12, atol=1e-14)
    # the example exercises interior units and clipped ones
    flat = np.concatenate([v.ravel() for v in s0 + sb])
    assert np.mean((flat > 0) & (flat < 1)) > 0.5 and np.any((flat == 0) | (flat == 1))

    dW = efp_eq6(P, as_lists(X), S0, Sb, beta)
    g = hebbian_update(net, "efp", X, s0, sb, beta, backend=backend)
    assert set(g) == set(dW) == {"W1", "b1", "W2", "b2", "W3", "b3", "W_loop"}
    for k in dW:
        np.testing.assert_allclose(g[k], -np.array(dW[k]), rtol=1e-11, atol=1e-14)   # g = -Delta W
        assert np.linalg.norm(dW[k]) > 1e-3, k                                      # not trivially 0

    # the check has teeth: with pre and post swapped, or the hidden signs flipped, it fails
    swapped = efp_eq6_swapped(P, as_lists(X), S0, Sb, beta)
    for k in ("W1", "W2", "W3"):
        assert not np.allclose(-np.array(swapped[k]), g[k], rtol=1e-3, atol=1e-6), k
    for k in ("W1", "W2"):
        assert not np.allclose(np.array(dW[k]), g[k], rtol=1e-3, atol=1e-6), k   # sign flipped


def _efp_rule(name, rates, **params):
    model, rule = build(name, SIZES[0], SIZES[-1], SIZES[1:-1], rng=0,
                        rule_params={"n_free": 10, "n_clamped": 5, "beta": 0.6,
                                     "lr_layers": rates, **params})
    ref = _loop_net(train_loop=rule.train_loop)
    for k, v in {**ref.params, **ref.fixed}.items():
        ({**model.params, **model.fixed})[k][...] = v
    return model, rule


def test_efp_rule_updates_are_minus_alpha_times_eq6_by_hand():
    rates = (0.3, 0.2, 0.1, 0.05)
    model, rule = _efp_rule("efp", rates, num_loops=2, train_loop=True)
    P = _params(model)
    zero = [[[0.0] * m for m in SIZES[1:]] for _ in range(len(X))]
    S0 = run(P, as_lists(X), zero, 10)
    Sb = run(P, as_lists(X), S0, 5, 0.6, as_lists(D))
    dW = efp_eq6(P, as_lists(X), S0, Sb, 0.6)
    g = rule.updates(model, X01, D, loop=0)
    alpha = {"W1": 0.3, "b1": 0.3, "W2": 0.2, "b2": 0.2, "W3": 0.1, "b3": 0.1, "W_loop": 0.05}
    assert set(g) == set(alpha)
    for k in alpha:
        np.testing.assert_allclose(g[k], -alpha[k] * np.array(dW[k]), rtol=1e-11, atol=1e-14)
    # Sec. 3.2.2: the second call of the loop on the same batch continues from the free state
    # of the first (nothing applied in between here, so the weights are the same)
    S0_2 = run(P, as_lists(X), S0, 10)
    Sb_2 = run(P, as_lists(X), S0_2, 5, 0.6, as_lists(D))
    dW_2 = efp_eq6(P, as_lists(X), S0_2, Sb_2, 0.6)
    g_2 = rule.updates(model, X01, D, loop=1)
    for k in alpha:
        np.testing.assert_allclose(g_2[k], -alpha[k] * np.array(dW_2[k]), rtol=1e-11, atol=1e-14)


def test_efp_fixed_loop_gets_no_update_and_is_used_in_the_dynamics():
    model, rule = _efp_rule("efp", (0.3, 0.2, 0.1), num_loops=1, train_loop=False)
    P = _params(model)
    zero = [[[0.0] * m for m in SIZES[1:]] for _ in range(len(X))]
    S0 = run(P, as_lists(X), zero, 10)
    Sb = run(P, as_lists(X), S0, 5, 0.6, as_lists(D))
    dW = efp_eq6(P, as_lists(X), S0, Sb, 0.6)
    g = rule.updates(model, X01, D)
    assert "W_loop" not in g
    for k, a in (("W1", 0.3), ("W2", 0.2), ("W3", 0.1)):
        np.testing.assert_allclose(g[k], -a * np.array(dW[k]), rtol=1e-11, atol=1e-14)


# ---- continuous sigprop: Eq. (14) through EFP Eq. (6) on the loop matrix ---------------------
def test_sigprop_ct_loop_update_by_hand():
    """sigprop Eq. (14) on S_1 = W_loop (Eq. 12): pre = the output layer's free rate, post =
    the first hidden layer's change; one free / clamped / update cycle (num_loops = 1)."""
    rates = (0.3, 0.2, 0.1, 0.05)
    model, rule = _efp_rule("sigprop_ct", rates)
    assert rule.train_loop and rule.num_loops == 1
    P = _params(model)
    N, beta = len(X), 0.6
    zero = [[[0.0] * m for m in SIZES[1:]] for _ in range(N)]
    S0 = run(P, as_lists(X), zero, 10)
    Sb = run(P, as_lists(X), S0, 5, beta, as_lists(D))
    dS1 = [[sum(rho(S0[n][2][i]) * (rho(Sb[n][0][j]) - rho(S0[n][0][j])) for n in range(N))
            / (beta * N) for i in range(SIZES[-1])] for j in range(SIZES[1])]     # sigprop Eq. (14)
    g = rule.updates(model, X01, D)
    assert g["W_loop"].shape == (4, 2)
    np.testing.assert_allclose(g["W_loop"], -0.05 * np.array(dS1), rtol=1e-11, atol=1e-14)
    assert np.linalg.norm(dS1) > 1e-3
    # pre and post swapped on the loop (post at the output's change) would be another matrix
    dS1_T = [[sum((rho(Sb[n][2][i]) - rho(S0[n][2][i])) * rho(S0[n][0][j]) for n in range(N))
              / (beta * N) for i in range(SIZES[-1])] for j in range(SIZES[1])]
    assert not np.allclose(g["W_loop"], -0.05 * np.array(dS1_T), rtol=1e-3, atol=1e-6)


def test_sigprop_ct_target_is_the_nudged_output_through_the_loop():
    """Eq. (12) read on the engine. From a free FIXED POINT s^0, one clamped Euler step moves
    every interior output unit to h_L - eta e_L with eta = h beta (h_L = s^0_L, e_L = h_L - d);
    on the next step the first hidden layer's input changes by exactly S_1 (-eta e_L), the
    error sent forward through the loop S_1 = W_loop, so an interior unit of layer 1 moves
    by h S_1 (-eta e_L)."""
    net = HopfieldNet(SIZES, connectivity="loop", rng=3)
    rng = np.random.default_rng(3)
    for k, v in {**net.params, **net.fixed}.items():     # a contraction: a clean interior fixed point
        v[...] = rng.uniform(-0.4, 0.4, v.shape) + (0.5 if k[0] == "b" else 0.0)
    x, d, beta, h = np.array([[0.2, 0.9, 0.5]]), np.array([[1.0, 0.0]]), 0.8, 0.5
    s0 = free_phase(net, x, None, 400, backend="numpy")
    np.testing.assert_allclose(np.concatenate(relax(net, x, s0, 1, backend="numpy"), axis=1),
                               np.concatenate(s0, axis=1), atol=1e-13)   # a fixed point
    h_L = [float(v) for v in s0[2][0]]
    h_1 = [float(v) for v in s0[0][0]]
    assert all(0 < v < 1 for v in h_L + h_1)
    s1 = relax(net, x, s0, 1, beta, d, h, backend="numpy")
    s2 = relax(net, x, s0, 2, beta, d, h, backend="numpy")
    eta = h * beta
    target = [h_L[i] - eta * (h_L[i] - d[0][i]) for i in range(2)]      # h_L - eta e_L
    np.testing.assert_allclose(s1[2][0], target, atol=1e-12)
    np.testing.assert_allclose(s1[0][0], h_1, atol=1e-12)                # layer 1 read the old rates
    S_1 = as_lists(net.W_loop)
    move = [h * sum(S_1[j][i] * (-eta * (h_L[i] - d[0][i])) for i in range(2)) for j in range(4)]
    np.testing.assert_allclose(np.array(s2[0][0]) - h_1, move, atol=1e-12)
    assert np.linalg.norm(move) > 1e-3


# ---- EP: EFP Eq. (5) on a tiny symmetric net -------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_ep_symmetric_dynamics_and_chl_by_hand(backend):
    net = HopfieldNet((3, 4, 2), connectivity="symmetric", rng=1)
    rng = np.random.default_rng(7)
    for k, v in net.params.items():
        v[...] = rng.uniform(-1.0, 1.0, v.shape) + (0.3 if k.startswith("b") else 0.0)
    P = _params(net)
    beta = 0.9
    zero = [[[0.0] * 4, [0.0] * 2] for _ in range(len(X))]
    S0 = run(P, as_lists(X), zero, 15, symmetric=True)
    Sb = run(P, as_lists(X), S0, 6, beta, as_lists(D), symmetric=True)
    s0 = free_phase(net, X, None, 15, backend=backend)
    sb = clamped_phase(net, X, s0, D, beta, 6, backend=backend)
    for got, want in ((s0, S0), (sb, Sb)):
        for k in range(2):
            np.testing.assert_allclose(got[k], _batch_states(want)[k], rtol=1e-12, atol=1e-14)
    dW = chl_eq5(P, as_lists(X), S0, Sb, beta)
    g = hebbian_update(net, "chl", X, s0, sb, beta, backend=backend)
    for k in dW:
        np.testing.assert_allclose(g[k], -np.array(dW[k]), rtol=1e-11, atol=1e-14)
        assert np.linalg.norm(dW[k]) > 1e-3, k
    # Eq. (5) is not Eq. (6) here: the presynaptic change counts
    assert not np.allclose(np.array(dW["W2"]), np.array(efp_eq6(P, as_lists(X), S0, Sb, beta)["W2"]),
                           rtol=1e-3, atol=1e-6)


def test_ep_rule_updates_are_minus_alpha_times_eq5_by_hand():
    model, rule = build("ep", 3, 2, (4,), rng=0,
                        rule_params={"n_free": 15, "n_clamped": 6, "beta": 0.9,
                                     "lr_layers": (0.4, 0.15), "persistent": False,
                                     "random_sign": False})
    rng = np.random.default_rng(7)
    for k, v in model.params.items():
        v[...] = rng.uniform(-1.0, 1.0, v.shape) + (0.3 if k.startswith("b") else 0.0)
    P = _params(model)
    zero = [[[0.0] * 4, [0.0] * 2] for _ in range(len(X))]
    S0 = run(P, as_lists(X), zero, 15, symmetric=True)
    Sb = run(P, as_lists(X), S0, 6, 0.9, as_lists(D), symmetric=True)
    dW = chl_eq5(P, as_lists(X), S0, Sb, 0.9)
    g = rule.updates(model, X01, D)
    for k, a in (("W1", 0.4), ("b1", 0.4), ("W2", 0.15), ("b2", 0.15)):
        np.testing.assert_allclose(g[k], -a * np.array(dW[k]), rtol=1e-11, atol=1e-14)
