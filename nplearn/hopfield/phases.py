"""Free and weakly clamped phases (EFP Sec. 3.1, 3.2.2 and Sec. 4 steps 1-3): validation
and backend choice around the Euler loops of :mod:`nplearn.hopfield.dynamics`.

A phase never modifies its starting state: it returns new arrays ``[s_1, ..., s_L]``.
"""
import numpy as np

from .dynamics import phases_numba, phases_numpy, relax_numba, relax_numpy

BACKENDS = ("numba", "numpy")
RELAX = {"numpy": relax_numpy, "numba": relax_numba}
PHASES = {"numpy": phases_numpy, "numba": phases_numba}


def _check_array(name, a, shape, dtype):
    a = np.asarray(a)
    if a.ndim == 1 and len(shape) == 2 and shape[0] is None:
        a = a[None, :]                                      # one example as a batch of 1
    if a.ndim != len(shape) or any(m is not None and m != k for m, k in zip(shape, a.shape)):
        want = "(" + ", ".join("n" if m is None else str(m) for m in shape) + ")"
        raise ValueError(f"{name} must have shape {want}, got {a.shape}")
    if not np.issubdtype(a.dtype, np.number) or not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite numbers (no NaN or inf)")
    return np.ascontiguousarray(a, dtype=dtype)


def check_inputs(net, x, s=None, d=None, name_s="s0"):
    """Validate and cast ``x`` ``(n, n_0)``, states ``[s_1..s_L]`` and target ``d`` ``(n, n_L)``
    to ``net.dtype``, C-contiguous. Returns ``(x, s, d)`` (``s``, ``d`` None if not given)."""
    x = _check_array("x", x, (None, net.sizes[0]), net.dtype)
    n = x.shape[0]
    if n < 1:
        raise ValueError("x must hold at least one example (row)")
    if s is not None:
        if len(s) != net.n_layers:
            raise ValueError(f"{name_s} must hold {net.n_layers} layer states, got {len(s)}")
        s = [_check_array(f"{name_s}[{k}]", s_k, (n, m), net.dtype)
             for k, (s_k, m) in enumerate(zip(s, net.sizes[1:]))]
    if d is not None:
        d = _check_array("d", d, (n, net.sizes[-1]), net.dtype)
    return x, s, d


def _check_scalar(name, v, dtype):
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return dtype.type(v)


def relax(net, x, s0=None, n_steps=20, beta=0.0, d=None, h=0.5, backend="numba"):
    """Run ``n_steps`` Euler steps (EFP Eq. 1 and 7) from ``s0`` with the input clamped to ``x``.

    Parameters
    ----------
    net : HopfieldNet
    x : ndarray of shape (n, n_0)
        Clamped input (a 1-D ``x`` is one example).
    s0 : list of ndarray, shapes ``(n, n_l)``, or None
        Starting states ``[s_1, ..., s_L]`` (None: zeros). Not modified.
    n_steps : int >= 0
    beta : float
        Nudge strength (EFP Eq. 1, 4); 0 is the free phase. ``d`` is required if ``beta != 0``.
    d : ndarray of shape (n, n_L) or None
        Target (one-hot for classification).
    h : float > 0
        Euler step size (EFP Sec. 4: 0.5).
    backend : {"numba", "numpy"}

    Returns
    -------
    list of ndarray
        The states ``[s_1, ..., s_L]`` after ``n_steps`` steps, each in [0, 1] if ``n_steps > 0``.
    """
    beta, h = check_phase(net, backend, beta, h, n_steps)
    if beta != 0 and d is None:
        raise ValueError("a nudged phase (beta != 0) needs the target d")
    x, s0, d = check_inputs(net, x, s0, d)
    s = start_state(net, x, s0)
    if d is None:
        d = np.zeros_like(s[-1])                            # unused: beta = 0
    RELAX[backend](x, s, *kernel_params(net), net.symmetric, int(n_steps), h, beta, d)
    return list(s)


def check_phase(net, backend, beta, h, *n_steps):
    """Validate the backend, step counts, ``beta`` and ``h``; returns them in ``net.dtype``."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    for n in n_steps:
        if int(n) != n or n < 0:
            raise ValueError(f"n_steps must be a non-negative integer, got {n}")
    beta = _check_scalar("beta", beta, net.dtype)
    h = _check_scalar("h", h, net.dtype)
    if h <= 0:
        raise ValueError(f"step size h must be > 0, got {h}")
    return beta, h


def start_state(net, x, s0):
    """A fresh tuple of states to relax in place: a copy of ``s0``, or zeros."""
    return tuple(s_k.copy() for s_k in s0) if s0 is not None else tuple(net.zero_state(x.shape[0]))


def kernel_params(net):
    """``(W, b, W_loop)`` as the kernels take them: tuples of C-contiguous arrays of one dtype
    (``W_loop`` is ``(0, 0)`` for a symmetric net)."""
    cast = lambda a: np.ascontiguousarray(a, dtype=net.dtype)    # one array type for Numba
    W, b = tuple(cast(W_l) for W_l in net.W[1:]), tuple(cast(b_l) for b_l in net.b[1:])
    return W, b, cast(net.W_loop if not net.symmetric else np.zeros((0, 0)))


def free_phase(net, x, s0=None, n_steps=20, h=0.5, backend="numba"):
    """Free phase: relax with ``beta = 0`` from ``s0`` (zeros, or persistent particles)."""
    return relax(net, x, s0, n_steps, 0.0, None, h, backend)


def clamped_phase(net, x, s_free, d, beta, n_steps=4, h=0.5, backend="numba"):
    """Weakly clamped phase: relax with the nudge ``-beta (s_L - d)`` STARTING FROM THE FREE
    FIXED POINT ``s_free`` (EFP Sec. 3.1; Sec. 4 step 3)."""
    return relax(net, x, s_free, n_steps, beta, d, h, backend)
