"""Every Numba kernel agrees with its NumPy twin over random sizes and seeds."""
import numpy as np
import pytest

from nplearn.optim import SGD, Adam, RMSprop
from nplearn.optim.kernels import KERNELS, fused_update

SCALARS = {"sgd": (0.1,), "momentum": (0.1, 0.9), "rmsprop": (1e-3, 0.9, 1e-8),
           "adam": (1e-3, 0.9, 0.999, 1e-8, 0.19, 0.002)}
N_STATE = {"sgd": 0, "momentum": 1, "rmsprop": 1, "adam": 2}


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name", sorted(KERNELS))
def test_numba_kernel_matches_numpy_twin(name, seed):
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in rng.integers(1, 40, int(rng.integers(1, 3))))
    p, g = rng.normal(size=shape), rng.normal(size=shape)
    state = [np.abs(rng.normal(size=shape)) for _ in range(N_STATE[name])]
    ref = [a.copy() for a in (p, g, *state)]
    fused_update(name, "numpy", *ref[:2], *ref[2:], *SCALARS[name])
    out = [a.copy() for a in (p, g, *state)]
    fused_update(name, "numba", *out[:2], *out[2:], *SCALARS[name])
    for a, b in zip(out[:1] + out[2:], ref[:1] + ref[2:]):       # p and the state arrays
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=0)


@pytest.mark.parametrize("cls", [SGD, RMSprop, Adam])
def test_float32_stays_float32_and_backends_agree(cls):
    rng = np.random.default_rng(0)
    W0 = rng.normal(size=(30, 20)).astype(np.float32)
    grads = [rng.normal(size=(30, 20)).astype(np.float32) for _ in range(3)]
    results = {}
    for backend in ("numpy", "numba"):
        opt, params = cls(lr=0.01, backend=backend), {"W": W0.copy()}
        for g in grads:
            opt.step(params, {"W": g.copy()})
        results[backend] = params["W"]
    assert results["numba"].dtype == np.float32
    np.testing.assert_allclose(results["numba"], results["numpy"], rtol=1e-6)


def test_non_contiguous_falls_back_to_numpy():
    p = np.ones((6, 4))[:, ::2]
    fused_update("sgd", "numba", p, np.ones_like(p), 0.5)
    np.testing.assert_array_equal(p, 0.5)


def test_unknown_backend():
    with pytest.raises(ValueError, match="backend"):
        SGD(0.1, backend="cuda")


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_kernel_and_twin_flag_the_same_entries_beyond_the_bound(name):
    """The divergence flag (NaN, inf, |p| > bound after the update) agrees between backends."""
    rng = np.random.default_rng(1)
    for case in ("fine", "nan", "inf", "large"):
        p, g = rng.normal(size=50), rng.normal(size=50) * 1e-3
        if case != "fine":
            p[17] = {"nan": np.nan, "inf": -np.inf, "large": 2e6}[case]
        state = [np.abs(rng.normal(size=50)) for _ in range(N_STATE[name])]
        flags = []
        for backend in ("numpy", "numba"):
            arrays = [a.copy() for a in (p, g, *state)]
            flags.append(fused_update(name, backend, *arrays, *SCALARS[name], bound=1e6))
        assert flags[0] == flags[1] == (case != "fine"), (case, flags)
    # bound None: only NaN and inf count, however large the entries
    p = np.full(4, 1e300)
    assert not fused_update("sgd", "numba", p, np.zeros(4), 0.1)
    assert fused_update("sgd", "numba", np.array([np.nan]), np.zeros(1), 0.1)
