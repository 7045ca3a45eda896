"""Target generators and comparison functions of signal propagation, with their gradients.

Kohan, A. A., Rietman, E. A. & Siegelmann, H. T. (2023). Signal Propagation: A Framework
for Learning and Inference In a Forward Pass. IEEE Transactions on Neural Networks and
Learning Systems. Sec. III-B (Eq. 5-8), III-D (Eq. 1, 10), III-E (sparse targets).

Legend (paper -> code -> shape), ``m`` classes, ``n`` examples, ``k`` generator outputs
(``k = n_1`` dense, ``k < n_1`` sparse), ``d`` units of the layer compared:

=====================  ===============  ======================================
``c_m`` (one-hot)      ``C``            ``(m, m)``, the identity: one row per class
``S_1``, ``d_1``       ``S1``, ``d1``   ``(k, m)``, ``(k,)``
``S_2``, ``d_2``       ``S2``, ``d2``   ``(k, m)``, ``(k,)`` (Target-Input only)
``t_1`` Target-Only    ``t``            ``(m, n_1)``: one target per class
``t_1`` Target-Input   ``t``            ``(n, m, n_1)``: one per class and example
``h_i``                ``h``            ``(n, d)``
``O(h_i, t_i)``        ``z``            ``(n, m)``, the logits of Eq. (9)
=====================  ===============  ======================================

Every function here works on a target of either shape: ``(m, d)`` (shared by the batch)
or ``(n, m, d)`` (one set per example).
"""
import numpy as np

GENERATORS = ("target_only", "target_input")
COMPARISONS = ("dot", "l2")


def init_generator(kind, n_out, n_classes, init, rng, dtype):
    """``{"S1": (n_out, m), "d1": (n_out,)}`` (and ``"S2"``, ``"d2"`` for Target-Input)."""
    params = {}
    for j in (1, 2) if kind == "target_input" else (1,):
        params[f"S{j}"], params[f"d{j}"] = init(n_out, n_classes, rng, dtype)
    return params


def generate(params, kind, f, h1, n_1):
    """The first layer's targets ``t_1`` from every class's one-hot context.

    Parameters
    ----------
    params : dict
        ``S1, d1`` (and ``S2, d2``), as :func:`init_generator` made them.
    kind : {"target_only", "target_input"}
    f : Activation
    h1 : ndarray of shape (n, n_1)
        The first layer's output (used by Target-Input only).
    n_1 : int
        Width of ``h_1``; a sparse target (``k < n_1`` rows of ``S1``) is zero-filled to it.

    Returns
    -------
    t : ndarray of shape (m, n_1) (Target-Only) or (n, m, n_1) (Target-Input)
    cache : tuple
        What :func:`generate_backward` needs.
    """
    S1, d1 = params["S1"], params["d1"]
    k, m = S1.shape
    C = np.eye(m, dtype=S1.dtype)                   # c_m for every class m, one per row
    u1 = C @ S1.T + d1                              # SP Eq. (1): S_1 c_m + d_1   (m, k)
    g1 = f.f(u1)                                    # SP Eq. (1): t_1 = f(S_1 c_m + d_1)
    if kind == "target_only":
        return zero_fill(g1, n_1), (C, u1, g1, None, None, h1)
    u2 = C @ params["S2"].T + params["d2"]          # SP Eq. (10): S_2 c_m + d_2   (m, k)
    g2 = f.f(u2)
    t = h1[:, None, :k] * g1 + g2                   # SP Eq. (10): t_1 = h_1 f(S_1 c_m + d_1) + f(S_2 c_m + d_2)
    return zero_fill(t, n_1), (C, u1, g1, u2, g2, h1)


def generate_backward(params, kind, f, dt, cache):
    """Gradients of a loss through ``t_1`` into the generator (and into ``h_1``).

    Parameters
    ----------
    params : dict
    kind : {"target_only", "target_input"}
    f : Activation
    dt : ndarray shaped like ``t_1``
        ``dL/dt_1``.
    cache : tuple
        From :func:`generate`.

    Returns
    -------
    g : dict
        ``dL/dS1, dL/dd1`` (and ``S2, d2``).
    dh1 : ndarray of shape (n, n_1) or None
        ``dL/dh_1`` through the scale ``h_1 f(S_1 c + d_1)`` of Eq. (10); ``None`` for
        Target-Only, whose targets do not depend on the input.
    """
    C, u1, g1, u2, g2, h1 = cache
    k = g1.shape[1]
    dt = dt[..., :k]                                # the zero-filled units carry no gradient
    if kind == "target_only":
        delta1 = dt * f.df(u1, g1)                  # (m, k)
        return {"S1": delta1.T @ C, "d1": delta1.sum(axis=0)}, None
    delta1 = np.einsum("nmk,nk->mk", dt, h1[:, :k]) * f.df(u1, g1)   # through the scale
    delta2 = dt.sum(axis=0) * f.df(u2, g2)                           # through the shift
    dh1 = np.zeros_like(h1)
    dh1[:, :k] = np.einsum("nmk,mk->nk", dt, g1)
    g = {"S1": delta1.T @ C, "d1": delta1.sum(axis=0),
         "S2": delta2.T @ C, "d2": delta2.sum(axis=0)}
    return g, dh1


def zero_fill(t, n):
    """A sparse target ``(..., k)`` padded with zeros to ``(..., n)`` (Sec. III-E).

    The generator's ``k`` outputs fill the first ``k`` units; the last ``n - k`` are zero.
    """
    k = t.shape[-1]
    if k == n:
        return t
    out = np.zeros(t.shape[:-1] + (n,), t.dtype)
    out[..., :k] = t
    return out


def compare(h, t, comparison="dot"):
    """Logits ``z = O(h_i, t_i)``, ``(n, m)``: one score per example and class target.

    ``"dot"``: ``z = h t^T`` (Eq. 6). ``"l2"``: ``z = -||t - h||^2`` (Eq. 7, negated so that
    the nearest target scores highest, as Eq. 9's ``-O`` does).

    A conv layer's ``h`` and ``t`` arrive as its pooled maps flattened to ``d = C*H*W`` units,
    and both comparisons SUM over all ``d``: over channels and pixels. The other option is
    to average the per-pixel channel comparison over the ``H*W`` pixels, the same logits
    divided by ``H*W``, i.e. a softmax temperature in Eq. (9) that grows with the map.
    Chosen: the sum. Eq. (6) is a dot product of two layer outputs of "the same size output
    dimension" (Sec. III-C) and says nothing of pixels; the sum is that formula unchanged,
    dense and conv layers share it, and this function need not know the map's shape (the
    digits comparison of the two: docs page "Decisions", sigprop).
    """
    if comparison == "dot":
        if t.ndim == 2:
            return h @ t.T                                          # SP Eq. (6): O_dot = h_i . t_i^T
        return np.einsum("nd,nmd->nm", h, t)                        # SP Eq. (6), one target set per example
    if t.ndim == 2:
        hh, tt = np.sum(h * h, axis=1)[:, None], np.sum(t * t, axis=1)
        return -(hh - 2.0 * h @ t.T + tt)                           # SP Eq. (7): -sum_k (t_k - h_k)^2
    return -np.sum((t - h[:, None, :]) ** 2, axis=2)                # SP Eq. (7)


def compare_backward(h, t, E, comparison="dot"):
    """``dL/dh`` and ``dL/dt`` from ``E = dL/dz`` of shape ``(n, m)``.

    Returns
    -------
    dh : ndarray of shape (n, d)
    dt : ndarray shaped like ``t``
    """
    if comparison == "dot":
        if t.ndim == 2:
            return E @ t, E.T @ h                                   # z = h t^T
        return np.einsum("nm,nmd->nd", E, t), E[:, :, None] * h[:, None, :]
    if t.ndim == 2:                                                 # dz/dh = 2 (t - h), dz/dt = 2 (h - t)
        dh = 2.0 * (E @ t - E.sum(axis=1)[:, None] * h)
        dt = 2.0 * (E.T @ h - E.sum(axis=0)[:, None] * t)
        return dh, dt
    diff = t - h[:, None, :]                                        # (n, m, d)
    return 2.0 * np.einsum("nm,nmd->nd", E, diff), -2.0 * E[:, :, None] * diff
