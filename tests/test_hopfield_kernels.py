"""Every Hopfield Numba kernel agrees with its NumPy twin (float64, rtol 1e-10): random sizes,
seeds, betas, step counts, both connectivities."""
import numpy as np
import pytest

from nplearn.hopfield import (HopfieldNet, clamped_phase, free_phase, hebbian_update, relax,
                              two_phase_update)
from nplearn.hopfield.dynamics import ROWS


def _random_case(seed, connectivity, dtype="float64", sizes=None, n=None):
    rng = np.random.default_rng(seed)
    L = int(rng.integers(1 if connectivity == "symmetric" else 2, 5))     # weight layers
    sizes = sizes or tuple(int(m) for m in rng.integers(1, 7, L + 1))
    net = HopfieldNet(sizes, connectivity, init="uniform_fan_in", dtype=dtype, rng=seed)
    for p in net.params.values():
        p *= rng.uniform(0.5, 3.0)                         # reach the clipping bounds too
    n = n or int(rng.integers(1, 6))
    x = rng.uniform(-0.2, 1.2, (n, sizes[0]))
    s0 = [rng.uniform(-0.5, 1.5, (n, m)) for m in sizes[1:]]   # rho' = 0 outside [0, 1]
    d = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
    return net, x, s0, d, float(rng.uniform(-1.0, 1.0)), int(rng.integers(0, 16))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("connectivity", ["symmetric", "loop"])
def test_relax_kernel_matches_numpy_twin(connectivity, seed):
    net, x, s0, d, beta, n_steps = _random_case(seed, connectivity)
    ref = relax(net, x, s0, n_steps, beta, d, backend="numpy")
    out = relax(net, x, s0, n_steps, beta, d, backend="numba")
    for a, b in zip(out, ref):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=0)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("rule", ["chl", "efp"])
@pytest.mark.parametrize("connectivity", ["symmetric", "loop"])
def test_hebbian_kernel_matches_numpy_twin(connectivity, rule, seed):
    net, x, s0, d, beta, n_steps = _random_case(seed, connectivity)
    beta = abs(beta) + 0.1
    s_free = relax(net, x, s0, n_steps, backend="numpy")
    s_nudged = relax(net, x, s_free, 4, beta, d, backend="numpy")
    ref = hebbian_update(net, rule, x, s_free, s_nudged, beta, backend="numpy")
    out = hebbian_update(net, rule, x, s_free, s_nudged, beta, backend="numba")
    assert out.keys() == ref.keys() == net.params.keys()
    for k in ref:
        np.testing.assert_allclose(out[k], ref[k], rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("connectivity", ["symmetric", "loop"])
def test_float32_stays_float32_and_backends_agree(connectivity):
    net, x, s0, d, beta, _ = _random_case(3, connectivity, dtype="float32")
    out = {b: relax(net, x, s0, 10, beta, d, backend=b) for b in ("numpy", "numba")}
    g = {b: hebbian_update(net, "efp", x, out[b], out[b], 0.5, backend=b) for b in out}
    for a, b in zip(out["numba"], out["numpy"]):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert all(v.dtype == np.float32 for v in g["numba"].values())


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("connectivity", ["symmetric", "loop"])
def test_relax_kernel_matches_twin_with_stacked_products_and_row_chunks(connectivity, seed):
    # Weights above 1 MB (float64 400 x 400) make the kernel stack several steps' rates into
    # one product; more than ROWS rows make it relax the batch in chunks.
    sizes, n = [((5, 400, 400, 3), 4), ((3, 4, 5, 2), ROWS + 3)][seed % 2]
    net, x, s0, d, beta, n_steps = _random_case(seed, connectivity, sizes=sizes, n=n)
    for p in net.params.values():
        p /= 30 if sizes[1] == 400 else 1                  # keep 400 inputs from saturating
    ref = relax(net, x, s0, n_steps + 1, beta, d, backend="numpy")
    out = relax(net, x, s0, n_steps + 1, beta, d, backend="numba")
    for a, b in zip(out, ref):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=0)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("connectivity", ["symmetric", "loop"])
def test_two_phase_update_kernel_matches_twin(connectivity, seed):
    net, x, s0, d, beta, n_steps = _random_case(seed, connectivity)
    rule = ("chl", "efp")[seed % 2]
    beta = abs(beta) + 0.1
    ref = two_phase_update(net, rule, x, d, beta, s0, n_steps, 5, backend="numpy")
    out = two_phase_update(net, rule, x, d, beta, s0, n_steps, 5, backend="numba")
    for a, b in zip(out[0] + out[1], ref[0] + ref[1]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=0)
    for k in ref[2]:
        np.testing.assert_allclose(out[2][k], ref[2][k], rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("connectivity", ["symmetric", "loop"])
def test_two_phase_update_is_the_three_calls_bit_for_bit(connectivity, dtype, backend):
    net, x, s0, d, beta, _ = _random_case(7, connectivity, dtype=dtype)
    rule, beta = ("efp", 0.6) if connectivity == "loop" else ("chl", -0.6)
    s, sb, g = two_phase_update(net, rule, x, d, beta, s0, 9, 4, 0.5, backend)
    s_ref = free_phase(net, x, s0, 9, 0.5, backend)
    sb_ref = clamped_phase(net, x, s_ref, d, beta, 4, 0.5, backend)
    g_ref = hebbian_update(net, rule, x, s_ref, sb_ref, beta, backend)
    assert all(np.array_equal(a, b) for a, b in zip(s + sb, s_ref + sb_ref))
    assert g.keys() == g_ref.keys() and all(np.array_equal(g[k], g_ref[k]) for k in g)
