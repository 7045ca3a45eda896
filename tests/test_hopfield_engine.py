"""The Hopfield engine: one Euler step in closed form, bounds, energy descent, fixed points,
EP's update -> the cost gradient as beta -> 0, shapes, bad input."""
import numpy as np
import pytest

from nplearn.hopfield import (HopfieldNet, clamped_phase, free_phase, hebbian_update, relax,
                              two_phase_update)


def _tiny(connectivity):
    """1-1-1 net: W1 = 0.4, b1 = 0.1, W2 = 0.6, b2 = -0.2, (loop) W_loop = -0.4."""
    net = HopfieldNet((1, 1, 1), connectivity, init="zero")
    net.params.update(W1=np.array([[0.4]]), b1=np.array([0.1]),
                      W2=np.array([[0.6]]), b2=np.array([-0.2]))
    if connectivity == "loop":
        net.params["W_loop"] = np.array([[-0.4]])
    return net


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_one_euler_step_closed_form(backend):
    # x = 0.5, s1 = 0.5, s2 = 0.25, h = 0.5, beta = 1, d = 1; rho = identity on [0, 1].
    x, s0, d = np.array([[0.5]]), [np.array([[0.5]]), np.array([[0.25]])], np.array([[1.0]])
    # symmetric: a1 = 0.4*0.5 + 0.1 + 0.6*0.25 = 0.45, ds1 = 0.45 - 0.5 = -0.05 -> s1 = 0.475
    #            a2 = 0.6*0.5 - 0.2 = 0.1, ds2 = 0.1 - 0.25 - 1*(0.25 - 1) = 0.6 -> s2 = 0.55
    s = relax(_tiny("symmetric"), x, s0, 1, beta=1.0, d=d, h=0.5, backend=backend)
    np.testing.assert_allclose([s[0][0, 0], s[1][0, 0]], [0.475, 0.55], rtol=1e-12)
    # loop: a1 = 0.4*0.5 + 0.1 - 0.4*0.25 = 0.2, ds1 = 0.2 - 0.5 = -0.3 -> s1 = 0.35; s2 as above
    s = relax(_tiny("loop"), x, s0, 1, beta=1.0, d=d, h=0.5, backend=backend)
    np.testing.assert_allclose([s[0][0, 0], s[1][0, 0]], [0.35, 0.55], rtol=1e-12)
    # the STATE is clipped (EFP Eq. 7 as corrected): d = 1, beta = 10 -> s2 = 0.25 + 0.5*7.35 -> 1
    s = relax(_tiny("symmetric"), x, s0, 1, beta=10.0, d=d, backend=backend)
    assert s[1][0, 0] == 1.0


def _net(connectivity, sizes=(4, 5, 4, 3), scale=1.0, seed=0):
    net = HopfieldNet(sizes, connectivity, init="uniform_fan_in", rng=seed)
    for p in net.params.values():
        p *= scale
    x = np.random.default_rng(seed + 1).uniform(0, 1, (6, sizes[0]))
    d = np.eye(sizes[-1])[np.arange(6) % sizes[-1]]
    return net, x, d


@pytest.mark.parametrize("connectivity", ["symmetric", "loop"])
def test_states_stay_in_unit_interval(connectivity):
    net, x, d = _net(connectivity, scale=5.0)
    s0 = [np.random.default_rng(2).uniform(-3, 3, (6, m)) for m in net.sizes[1:]]
    for n_steps in (1, 7):
        for s_k in relax(net, x, s0, n_steps, beta=2.0, d=d):
            assert s_k.min() >= 0.0 and s_k.max() <= 1.0


def test_energy_decreases_along_free_and_clamped_euler_steps():
    # Inside the box rho(s) = s, so E is a quadratic and a clipped Euler step is a projected
    # gradient step on it: monotone for h below 2 / (largest Hessian eigenvalue) (h = 0.05).
    net, x, d = _net("symmetric", scale=2.0)
    s = net.zero_state(6)
    E = [net.energy(x, s)]
    for _ in range(100):
        s = free_phase(net, x, s, n_steps=1, h=0.05)
        E.append(net.energy(x, s))
    assert np.all(np.diff(E, axis=0) <= 1e-12) and np.all(E[-1] < E[0])
    F = [net.total_energy(x, s, 1.0, d)]
    for _ in range(50):
        s = clamped_phase(net, x, s, d, beta=1.0, n_steps=1, h=0.05)
        F.append(net.total_energy(x, s, 1.0, d))
    assert np.all(np.diff(F, axis=0) <= 1e-12)


@pytest.mark.parametrize("connectivity", ["symmetric", "loop"])
def test_free_fixed_point_and_clamped_phase_with_beta_zero(connectivity):
    net, x, d = _net(connectivity, scale=0.5)
    s_star = free_phase(net, x, n_steps=200)
    s_next = relax(net, x, s_star, 1)                      # s = clip(s + h ds/dt) leaves s
    for a, b in zip(s_next, s_star):
        np.testing.assert_allclose(a, b, atol=1e-12)
    for a, b in zip(clamped_phase(net, x, s_star, d, beta=0.0, n_steps=10), s_star):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_ep_update_tends_to_cost_gradient():
    # Tiny 2-3-2 symmetric net with small weights and positive biases: the free fixed point is
    # unique (Hessian I - W_sym is positive definite) and strictly inside (0, 1)^n, where
    # rho(s) = s, so s*(W) solves a linear system and J(W) = C(s*(W)) is smooth: its central
    # differences are well posed. EP theorem: -Delta W(beta) -> dJ/dW as beta -> 0, with an
    # O(beta) error one-sided and O(beta^2) for the two-sided mean of beta and -beta.
    net = HopfieldNet((2, 3, 2), init="uniform_fan_in", rng=1)
    for p in ("W1", "W2"):
        net.params[p] *= 0.5
    net.params["b1"][:], net.params["b2"][:] = 0.4, 0.3
    x, d = np.array([[0.3, 0.8]]), np.array([[1.0, 0.0]])
    fixed = lambda: free_phase(net, x, n_steps=300, backend="numpy")
    s_star = fixed()
    assert all(np.all((0.05 < s) & (s < 0.95)) for s in s_star)

    def grad(beta):
        s_b = clamped_phase(net, x, s_star, d, beta, n_steps=300, backend="numpy")
        return hebbian_update(net, "chl", x, s_star, s_b, beta, backend="numpy")

    g1, g2 = grad(1e-3), {k: (grad(1e-3)[k] + grad(-1e-3)[k]) / 2 for k in net.params}
    eps = 1e-5
    for key, idx in (("W1", (2, 1)), ("W2", (0, 2)), ("b1", (1,)), ("b2", (1,))):
        p = net.params[key]
        p[idx] += eps
        c_plus = net.cost(fixed(), d)[0]
        p[idx] -= 2 * eps
        c_minus = net.cost(fixed(), d)[0]
        p[idx] += eps
        fd = (c_plus - c_minus) / (2 * eps)                      # dJ/dp by central differences
        assert abs(fd) > 1e-3
        np.testing.assert_allclose(g1[key][idx], fd, rtol=2e-2)
        np.testing.assert_allclose(g2[key][idx], fd, rtol=1e-5)


@pytest.mark.parametrize("connectivity", ["symmetric", "loop"])
@pytest.mark.parametrize("sizes", [(3, 2), (7, 4, 5), (2, 6, 3, 5)])
def test_shapes(connectivity, sizes):
    if connectivity == "loop" and len(sizes) < 3:
        with pytest.raises(ValueError, match="at least 3 layers"):
            HopfieldNet(sizes, connectivity)
        return
    for train_loop in (True, False):
        net = HopfieldNet(sizes, connectivity, train_loop=train_loop, rng=0)
        x = np.full(sizes[0], 0.5)                               # one example, 1-D
        s = free_phase(net, x, n_steps=3)
        assert [s_k.shape for s_k in s] == [(1, m) for m in sizes[1:]]
        s_b = clamped_phase(net, x, s, np.eye(sizes[-1])[:1], beta=0.5, n_steps=2)
        for rule in ("chl", "efp"):
            g = hebbian_update(net, rule, x, s, s_b, 0.5)
            assert g.keys() == net.params.keys()
            assert all(g[k].shape == net.params[k].shape for k in g)
        has_loop = connectivity == "loop"
        assert ("W_loop" in net.params) == (has_loop and train_loop)
        assert ("W_loop" in net.fixed) == (has_loop and not train_loop)
        if has_loop:
            assert net.W_loop.shape == (sizes[1], sizes[-1])


def test_bad_input_raises_value_error_naming_the_problem():
    net, x, d = _net("symmetric")
    s = free_phase(net, x, n_steps=2)
    with pytest.raises(ValueError, match=r"x must have shape \(n, 4\)"):
        free_phase(net, x[:, :3])
    x_nan = x.copy()
    x_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="x must be finite"):
        free_phase(net, x_nan)
    with pytest.raises(ValueError, match="d must be finite"):
        clamped_phase(net, x, s, d * np.nan, beta=1.0)
    with pytest.raises(ValueError, match="needs the target d"):
        relax(net, x, s, 2, beta=1.0)
    with pytest.raises(ValueError, match="s0 must hold 3 layer states"):
        relax(net, x, s[:2], 2)
    with pytest.raises(ValueError, match=r"s0\[1\] must have shape \(6, 4\)"):
        relax(net, x, [s[0], s[1][:, :2], s[2]], 2)
    with pytest.raises(ValueError, match="beta must be finite"):
        relax(net, x, s, 2, beta=np.nan, d=d)
    with pytest.raises(ValueError, match="step size h"):
        relax(net, x, s, 2, h=0.0)
    with pytest.raises(ValueError, match="n_steps"):
        relax(net, x, s, -1)
    with pytest.raises(ValueError, match="backend"):
        relax(net, x, s, 1, backend="cuda")
    with pytest.raises(ValueError, match=r"beta must be finite and > 0 for rule 'efp'"):
        hebbian_update(net, "efp", x, s, s, -0.5)
    with pytest.raises(ValueError, match=r"beta must be finite and nonzero for rule 'chl'"):
        hebbian_update(net, "chl", x, s, s, 0.0)
    with pytest.raises(ValueError, match="unknown Hebbian rule"):
        hebbian_update(net, "cd", x, s, s, 0.5)
    with pytest.raises(ValueError, match=r"beta must be finite and > 0 for rule 'efp'"):
        two_phase_update(net, "efp", x, d, -1.0, s)
    with pytest.raises(ValueError, match=r"d must have shape \(6, 3\)"):
        two_phase_update(net, "chl", x, d[:, :2], 1.0, s)
    with pytest.raises(ValueError, match="n_steps"):
        two_phase_update(net, "chl", x, d, 1.0, s, n_free=2.5)
    with pytest.raises(ValueError, match="connectivity"):
        HopfieldNet((3, 2), "recurrent")
    with pytest.raises(ValueError, match="symmetric weights"):
        HopfieldNet((3, 2, 2), "loop").energy(x[:, :3], s)
