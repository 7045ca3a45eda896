"""Fused optimiser updates: one pass over the parameters instead of several.

Each update has a readable NumPy twin (``*_numpy``) and a Numba kernel
(``*_numba``) with the same signature and the same math
(``tests/test_kernels.py`` asserts they agree). The kernels exist for speed only:
the NumPy forms make 4-9 passes over the parameters, some into fresh
temporaries, which for a 784-800-800-10 network cost more than the step's
matrix products (``benchmarks/README.md``). The public functions flatten the
arrays, cast the scalars to the parameters' dtype (so float32 stays float32)
and pick the backend.

All updates are in place on ``p`` and on the state arrays; ``g`` may be used
as scratch by the NumPy twins. Each returns ``True`` if an updated entry of ``p``
is NaN or beyond ``+-bound`` (the training loop's divergence check, read in the
same pass at no extra memory traffic; ``abs(p) <= bound`` is False for NaN).

The papers print only the plain step, ``W(t+1) = W(t) - eta Delta W`` (PEPITA Eq. 6; the
other papers in words), with ``g = -Delta W`` the rule's update direction; momentum,
RMSProp and Adam are the usual textbook forms, written in the comments.
"""
import numpy as np
from numba import njit


# ---- NumPy twins: the readable form -----------------------------------------------------
def sgd_numpy(p, g, lr, bound):
    p -= lr * g                                           # PEPITA Eq. (6): p <- p - lr g
    return not np.all(np.abs(p) <= bound)


def momentum_numpy(p, g, v, lr, mu, bound):
    v *= mu
    v += g                                                # v <- mu v + g
    p -= lr * v                                           # p <- p - lr v
    return not np.all(np.abs(p) <= bound)


def rmsprop_numpy(p, g, r, lr, rho, eps, bound):
    r *= rho
    r += (1 - rho) * (g * g)                              # r <- rho r + (1 - rho) g^2
    p -= lr * g / (np.sqrt(r) + eps)                      # p <- p - lr g / (sqrt(r) + eps)
    return not np.all(np.abs(p) <= bound)


def adam_numpy(p, g, m, v, lr, beta1, beta2, eps, c1, c2, bound):
    m *= beta1
    m += (1 - beta1) * g                                  # m <- b1 m + (1 - b1) g
    v *= beta2
    v += (1 - beta2) * (g * g)                            # v <- b2 v + (1 - b2) g^2
    p -= (lr / c1) * m / (np.sqrt(v / c2) + eps)          # bias-corrected step
    return not np.all(np.abs(p) <= bound)


# ---- Numba kernels: the same lines, one element at a time ---------------------------------
# error_model="numpy": x / 0 gives inf as in NumPy. No fastmath, so rounding matches. The
# check ORs booleans, which vectorises without fastmath (measured: no slower than without).
_jit = njit(cache=True, error_model="numpy")


@_jit
def sgd_numba(p, g, lr, bound):
    bad = False
    for i in range(p.size):
        p[i] -= lr * g[i]                                 # PEPITA Eq. (6): p <- p - lr g
        bad |= not abs(p[i]) <= bound
    return bad


@_jit
def momentum_numba(p, g, v, lr, mu, bound):
    bad = False
    for i in range(p.size):
        v[i] = mu * v[i] + g[i]                           # v <- mu v + g
        p[i] -= lr * v[i]                                 # p <- p - lr v
        bad |= not abs(p[i]) <= bound
    return bad


@_jit
def rmsprop_numba(p, g, r, lr, rho, eps, bound):
    bad = False
    for i in range(p.size):
        r[i] = rho * r[i] + (1 - rho) * (g[i] * g[i])     # r <- rho r + (1 - rho) g^2
        p[i] -= lr * g[i] / (np.sqrt(r[i]) + eps)         # p <- p - lr g / (sqrt(r) + eps)
        bad |= not abs(p[i]) <= bound
    return bad


@_jit
def adam_numba(p, g, m, v, lr, beta1, beta2, eps, c1, c2, bound):
    bad = False
    for i in range(p.size):
        m[i] = beta1 * m[i] + (1 - beta1) * g[i]          # m <- b1 m + (1 - b1) g
        v[i] = beta2 * v[i] + (1 - beta2) * (g[i] * g[i])  # v <- b2 v + (1 - b2) g^2
        p[i] -= (lr / c1) * m[i] / (np.sqrt(v[i] / c2) + eps)   # bias-corrected step
        bad |= not abs(p[i]) <= bound
    return bad


KERNELS = {name: {"numpy": globals()[f"{name}_numpy"], "numba": globals()[f"{name}_numba"]}
           for name in ("sgd", "momentum", "rmsprop", "adam")}
BACKENDS = ("numba", "numpy")
_LARGEST = {np.dtype(t): np.finfo(t).max for t in (np.float32, np.float64)}   # bound=None


def fused_update(name, backend, p, g, *state_and_scalars, bound=None):
    """Apply update ``name`` in place. ``state_and_scalars``: the state arrays (same shape
    as ``p``) then the scalars, in the order of the ``*_numpy`` signature, without ``bound``.

    Returns ``True`` if an updated entry of ``p`` is NaN, inf or beyond ``+-bound``
    (``None``: the largest finite number of ``p``'s dtype, so only NaN and inf count).
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    arrays = [p, g]
    scalars = []
    as_dtype = p.dtype.type
    for a in state_and_scalars:
        if isinstance(a, np.ndarray):
            arrays.append(a)
        else:
            scalars.append(as_dtype(a))
    largest = _LARGEST[p.dtype]
    scalars.append(largest if bound is None or bound >= largest else as_dtype(bound))
    if backend == "numba" and all(a.flags.c_contiguous for a in arrays):
        return bool(KERNELS[name]["numba"](*(a.reshape(-1) for a in arrays), *scalars))
    return bool(KERNELS[name]["numpy"](*arrays, *scalars))
