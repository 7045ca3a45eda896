"""Hebbian updates from the free (``beta = 0``) and weakly clamped (``beta``) fixed points.

* EP's contrastive Hebbian update, EFP Eq. (5) (Scellier & Bengio 2017, Eq. 13):
  ``Delta W_ij = (1/beta) (rho(s_i^beta) rho(s_j^beta) - rho(s_i^0) rho(s_j^0))``.
* EFP's unidirectional update, EFP Eq. (6):
  ``Delta W_ij = (1/beta) rho(s_i^0) (rho(s_j^beta) - rho(s_j^0))``.

Pre/post in Eq. (6): EFP Eq. (1) sums ``w_ij rho(s_i)`` over ``i -> j``, so ``i`` is the
PRESYNAPTIC unit and ``j`` the postsynaptic one; Sec. 3.2.1 holds "the presynaptic neuron
... constant". So the presynaptic rate is taken at the free fixed point and the
postsynaptic rate changes: with ``W_l`` of shape ``(n_post, n_pre) = (n_l, n_{l-1})``,
``Delta W_l = (1/beta) (rho(s_l^beta) - rho(s_l^0))^T rho(s_{l-1}^0) / n``. For the loop
``O -> I``, pre = output layer L, post = layer 1. A bias is a weight from a unit of rate 1.

Batch: every update is the mean over the ``n`` rows. Sign: the optimiser does
``p -= lr * g``, so these functions return ``g = -Delta W``. For EP, ``g`` tends to the
gradient ``dC(s*)/dW`` of the cost at the free fixed point as ``beta -> 0`` (EP Theorem);
for EFP Eq. (6), ``g`` is NOT a gradient. The twins and kernels write into ``gW``, ``gb``
(tuples of arrays shaped like ``W_1..W_L``, ``b_1..b_L``) and ``gW_loop`` in place.
"""
import numpy as np
from numba import njit


# ---- NumPy twins: the readable form --------------------------------------------------------
def chl_numpy(x, s0, sb, beta, loop, gW, gb, gW_loop):
    """EP, EFP Eq. (5), batch mean, ``g = -Delta W``; ``loop``: also fill ``gW_loop``."""
    n, L = x.shape[0], len(s0)
    r0 = [np.clip(x, 0.0, 1.0)] + [np.clip(s_k, 0.0, 1.0) for s_k in s0]   # rho(s^0)
    rb = [np.clip(x, 0.0, 1.0)] + [np.clip(s_k, 0.0, 1.0) for s_k in sb]   # rho(s^beta)
    c = -1.0 / (beta * n)                                       # g = -Delta W, batch mean
    for l in range(1, L + 1):
        gW[l - 1][...] = c * (rb[l].T @ rb[l - 1] - r0[l].T @ r0[l - 1])   # EFP Eq. (5)
        gb[l - 1][...] = c * (rb[l] - r0[l]).sum(axis=0)                    # EFP Eq. (5), bias
    if loop:
        gW_loop[...] = c * (rb[1].T @ rb[L] - r0[1].T @ r0[L])              # EFP Eq. (5), O -> I


def efp_numpy(x, s0, sb, beta, loop, gW, gb, gW_loop):
    """EFP Eq. (6), batch mean, ``g = -Delta W``; pre = free rate, post = the change."""
    n, L = x.shape[0], len(s0)
    r0 = [np.clip(x, 0.0, 1.0)] + [np.clip(s_k, 0.0, 1.0) for s_k in s0]   # rho(s^0)
    rb = [np.clip(x, 0.0, 1.0)] + [np.clip(s_k, 0.0, 1.0) for s_k in sb]   # rho(s^beta)
    c = -1.0 / (beta * n)
    for l in range(1, L + 1):
        gW[l - 1][...] = c * ((rb[l] - r0[l]).T @ r0[l - 1])                # SP Eq. (14); EFP Eq. (6)
        gb[l - 1][...] = c * (rb[l] - r0[l]).sum(axis=0)                    # SP Eq. (14); EFP Eq. (6): bias
    if loop:
        gW_loop[...] = c * ((rb[1] - r0[1]).T @ r0[L])                      # SP Eq. (14); EFP Eq. (6): O -> I


# ---- Numba kernels: the same lines; each product written once, into the output ---------
_jit = njit(cache=True, error_model="numpy")


@_jit
def _rates(x, s):
    """``[rho(x), rho(s_1), ..., rho(s_L)]``."""
    r = [np.minimum(np.maximum(x, 0.0), 1.0).astype(x.dtype)]
    for k in range(len(s)):
        r.append(np.minimum(np.maximum(s[k], 0.0), 1.0).astype(x.dtype))
    return r


@_jit
def _scale(c, g, neg):
    """``g = c * (g - neg)`` in place (``neg`` with 0 rows: ``g = c * g``), as the twin rounds it."""
    sub = neg.shape[0] > 0
    for i in range(g.shape[0]):
        for j in range(g.shape[1]):
            v = g[i, j] - neg[i, j] if sub else g[i, j]
            g[i, j] = c * v


@_jit
def chl_numba(x, s0, sb, beta, loop, gW, gb, gW_loop):
    n, L = x.shape[0], len(s0)
    r0, rb = _rates(x, s0), _rates(x, sb)
    c = -1.0 / (beta * n)
    size = max([gW[k].size for k in range(L)] + [gW_loop.size])
    neg = np.empty(size, x.dtype)                                       # one scratch product
    for l in range(1, L + 1):
        np.dot(rb[l].T, rb[l - 1], gW[l - 1])                           # rho(s^b)_l^T rho(s^b)_{l-1}
        neg_l = neg[:gW[l - 1].size].reshape(gW[l - 1].shape)
        np.dot(r0[l].T, r0[l - 1], neg_l)                               # rho(s^0)_l^T rho(s^0)_{l-1}
        _scale(c, gW[l - 1], neg_l)                                     # EFP Eq. (5)
        gb[l - 1][:] = c * (rb[l] - r0[l]).sum(axis=0)                  # EFP Eq. (5), bias
    if loop:
        neg_l = neg[:gW_loop.size].reshape(gW_loop.shape)
        np.dot(rb[1].T, rb[L], gW_loop)
        np.dot(r0[1].T, r0[L], neg_l)
        _scale(c, gW_loop, neg_l)                                       # EFP Eq. (5), O -> I


@_jit
def efp_numba(x, s0, sb, beta, loop, gW, gb, gW_loop):
    n, L = x.shape[0], len(s0)
    r0, rb = _rates(x, s0), _rates(x, sb)
    c = -1.0 / (beta * n)
    none = np.empty((0, 0), x.dtype)
    for l in range(1, L + 1):
        dr = np.ascontiguousarray((rb[l] - r0[l]).T)                       # (n_l, n)
        np.dot(dr, r0[l - 1], gW[l - 1])
        _scale(c, gW[l - 1], none)                                      # SP Eq. (14); EFP Eq. (6)
        gb[l - 1][:] = c * dr.sum(axis=1)                               # SP Eq. (14); EFP Eq. (6): bias
    if loop:
        np.dot(np.ascontiguousarray((rb[1] - r0[1]).T), r0[L], gW_loop)
        _scale(c, gW_loop, none)                                        # SP Eq. (14); EFP Eq. (6): O -> I


#: The two Hebbian updates by name, each as its NumPy twin and Numba kernel: ``"chl"`` (EP, EFP
#: Eq. 5) and ``"efp"`` (EFP Eq. 6). Not :data:`nplearn.rules.RULES`, the learning rules.
HEBBIAN_UPDATES = {"chl": {"numpy": chl_numpy, "numba": chl_numba},
                   "efp": {"numpy": efp_numpy, "numba": efp_numba}}


def hebbian_update(net, rule, x, s_free, s_nudged, beta, backend="numba"):
    """Update directions ``g = -Delta W`` keyed like ``net.params`` (EFP Eq. 5 or 6).

    Parameters
    ----------
    net : HopfieldNet
    rule : {"chl", "efp"}
        ``"chl"``: EP's contrastive Hebbian update, Eq. (5); ``beta != 0`` (the EP reference
        code draws the sign of ``beta`` at random). ``"efp"``: Eq. (6); ``beta > 0``
        (EFP Sec. 3.1: the clamped phase perturbs the output toward the target, ``beta > 0``).
    x : ndarray (n, n_0); s_free, s_nudged : lists of ``(n, n_l)``
        The input and the free / weakly clamped states (fixed points) ``s^0``, ``s^beta``.
    beta : float
        The ``beta`` the clamped phase used.
    backend : {"numba", "numpy"}

    Returns
    -------
    dict
        ``{"W1": (n_1, n_0), "b1": (n_1,), ..., "W_loop": (n_1, n_L) if trained}``; apply with
        ``p -= lr * g``. A fixed ``W_loop`` gets no entry.
    """
    from .phases import check_inputs                          # phases imports dynamics only
    _check_rule(rule, backend, beta)
    x, s0, _ = check_inputs(net, x, s_free, name_s="s_free")
    _, sb, _ = check_inputs(net, x, s_nudged, name_s="s_nudged")
    return _update(net, rule, backend, x, tuple(s0), tuple(sb), net.dtype.type(beta))


def two_phase_update(net, rule, x, d, beta, s0=None, n_free=20, n_clamped=4, h=0.5,
                     backend="numba"):
    """One update of EP or EFP in one call: free phase, clamped phase, Hebbian update.

    The same as ``s_free = free_phase(net, x, s0, n_free, h)``, ``s_nudged =
    clamped_phase(net, x, s_free, d, beta, n_clamped, h)`` and ``g = hebbian_update(net,
    rule, x, s_free, s_nudged, beta)`` (EFP Sec. 3.1, Sec. 4 steps 1-4), bit for bit, but
    validated once and with the input drive ``rho(x) W_1^T`` computed once for both phases.

    Parameters
    ----------
    net, rule, x, beta, backend
        As in :func:`hebbian_update`.
    d : ndarray of shape (n, n_L)
        Target of the clamped phase.
    s0 : list of ndarray or None
        Start of the free phase (None: zeros; EP's persistent particles; EFP's last free
        state). Not modified.
    n_free, n_clamped : int >= 0
        Euler steps of the two phases; ``h`` their step size.

    Returns
    -------
    s_free, s_nudged : lists of ndarray ``(n, n_l)``
    g : dict
        As returned by :func:`hebbian_update`.
    """
    from .phases import PHASES, check_inputs, check_phase, kernel_params, start_state
    _check_rule(rule, backend, beta)
    beta, h = check_phase(net, backend, beta, h, n_free, n_clamped)
    x, s0, d = check_inputs(net, x, s0, d)
    s = start_state(net, x, s0)
    sb = tuple(np.empty_like(s_k) for s_k in s)
    PHASES[backend](x, s, sb, *kernel_params(net), net.symmetric, int(n_free), int(n_clamped),
                    h, beta, d)
    return list(s), list(sb), _update(net, rule, backend, x, s, sb, beta)


def _check_rule(rule, backend, beta):
    from .phases import BACKENDS
    if rule not in HEBBIAN_UPDATES:
        raise ValueError(f"unknown Hebbian rule {rule!r}; choose one of "
                         f"{sorted(HEBBIAN_UPDATES)}")
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    if not np.isfinite(beta) or beta == 0 or (rule == "efp" and beta < 0):
        need = "> 0" if rule == "efp" else "nonzero"
        raise ValueError(f"beta must be finite and {need} for rule {rule!r} "
                         f"(the update divides by beta), got {beta}")


def _update(net, rule, backend, x, s0, sb, beta):
    """Run the Hebbian kernel on validated tuples; ``g`` keyed like ``net.params``."""
    gW = tuple(np.empty_like(W_l) for W_l in net.W[1:])
    gb = tuple(np.empty_like(b_l) for b_l in net.b[1:])
    loop = "W_loop" in net.params
    gW_loop = np.empty_like(net.W_loop) if loop else np.zeros((0, 0), net.dtype)
    HEBBIAN_UPDATES[rule][backend](x, s0, sb, beta, loop, gW, gb, gW_loop)
    g = {}
    for l in range(1, net.n_layers + 1):
        g[f"W{l}"], g[f"b{l}"] = gW[l - 1], gb[l - 1]
    if loop:
        g["W_loop"] = gW_loop
    return g
