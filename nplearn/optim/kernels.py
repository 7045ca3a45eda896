"""Fused optimiser updates: one pass over the parameters instead of several.

Each update has a readable NumPy twin (``*_numpy``) and a Numba kernel
(``*_numba``) with the same signature and the same math (STYLE.md rule 6;
``tests/test_kernels.py`` asserts they agree). The kernels exist for speed only:
the NumPy forms make 4-9 passes over the parameters, some into fresh
temporaries, which for a 784-800-800-10 network cost more than the step's
matrix products (``benchmarks/README.md``). The public functions flatten the
arrays, cast the scalars to the parameters' dtype (so float32 stays float32)
and pick the backend.

All updates are in place on ``p`` and on the state arrays; ``g`` may be used
as scratch by the NumPy twins.
"""
import numpy as np
from numba import njit


# ---- NumPy twins: the readable form -----------------------------------------------------
def sgd_numpy(p, g, lr):
    p -= lr * g                                           # p <- p - lr g


def momentum_numpy(p, g, v, lr, mu):
    v *= mu
    v += g                                                # v <- mu v + g
    p -= lr * v                                           # p <- p - lr v


def rmsprop_numpy(p, g, r, lr, rho, eps):
    r *= rho
    r += (1 - rho) * (g * g)                              # r <- rho r + (1 - rho) g^2
    p -= lr * g / (np.sqrt(r) + eps)                      # p <- p - lr g / (sqrt(r) + eps)


def adam_numpy(p, g, m, v, lr, beta1, beta2, eps, c1, c2):
    m *= beta1
    m += (1 - beta1) * g                                  # m <- b1 m + (1 - b1) g
    v *= beta2
    v += (1 - beta2) * (g * g)                            # v <- b2 v + (1 - b2) g^2
    p -= (lr / c1) * m / (np.sqrt(v / c2) + eps)          # bias-corrected step


# ---- Numba kernels: the same lines, one element at a time ---------------------------------
# error_model="numpy": x / 0 gives inf as in NumPy. No fastmath, so rounding matches.
_jit = njit(cache=True, error_model="numpy")


@_jit
def sgd_numba(p, g, lr):
    for i in range(p.size):
        p[i] -= lr * g[i]


@_jit
def momentum_numba(p, g, v, lr, mu):
    for i in range(p.size):
        v[i] = mu * v[i] + g[i]
        p[i] -= lr * v[i]


@_jit
def rmsprop_numba(p, g, r, lr, rho, eps):
    for i in range(p.size):
        r[i] = rho * r[i] + (1 - rho) * (g[i] * g[i])
        p[i] -= lr * g[i] / (np.sqrt(r[i]) + eps)


@_jit
def adam_numba(p, g, m, v, lr, beta1, beta2, eps, c1, c2):
    for i in range(p.size):
        m[i] = beta1 * m[i] + (1 - beta1) * g[i]
        v[i] = beta2 * v[i] + (1 - beta2) * (g[i] * g[i])
        p[i] -= (lr / c1) * m[i] / (np.sqrt(v[i] / c2) + eps)


KERNELS = {name: {"numpy": globals()[f"{name}_numpy"], "numba": globals()[f"{name}_numba"]}
           for name in ("sgd", "momentum", "rmsprop", "adam")}
BACKENDS = ("numba", "numpy")


def fused_update(name, backend, p, g, *state_and_scalars):
    """Apply update ``name`` in place. ``state_and_scalars``: the state arrays (same shape
    as ``p``) then the scalars, in the order of the ``*_numpy`` signature."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    arrays = [p, g, *(a for a in state_and_scalars if isinstance(a, np.ndarray))]
    scalars = [p.dtype.type(s) for s in state_and_scalars if not isinstance(s, np.ndarray)]
    if backend == "numba" and all(a.flags.c_contiguous for a in arrays):
        KERNELS[name]["numba"](*(a.reshape(-1) for a in arrays), *scalars)
    else:
        KERNELS[name]["numpy"](*arrays, *scalars)
