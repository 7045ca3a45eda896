"""Relaxation of the continuous Hopfield network: EFP Eq. (1) integrated by Euler, Eq. (7).

For relaxing layer l = 1..L (code index ``k = l - 1``), with ``r_l = rho(s_l)``, ``r_0 = rho(x)``:

    a_l = W_l r_{l-1} + b_l                          # EFP Eq. (1), sum_{i->j} w_ij rho(s_i) + b_j
        + W_{l+1}^T r_{l+1}    (symmetric, l < L)    # EP: -dE/ds_l, EFP Eq. (2)
        + W_loop r_L           (loop, l = 1)         # EFP Eq. (1), sum_{i in O -> j in I}
    ds_l/dt = rho'(s_l) a_l - s_l                    # EFP Eq. (1), r_j = 1
              - beta (s_L - d)  (l = L only)         # EFP Eq. (1), = -beta dC/ds, Eq. (3-4)
    s_l <- clip(s_l + h ds_l/dt, 0, 1)               # EFP Eq. (7), see below

For symmetric weights ``ds/dt = -dF/ds`` with ``F = E + beta C`` (EFP Eq. 2-4).

Euler clipping: EFP Eq. (7) as printed clips the INCREMENT ``h ds/dt`` to [0, 1], which
would forbid a state from ever decreasing. The text ("the state update is clipped" to keep
the neuron in [0, 1]) and the EP reference code clip the STATE; we do that.

``rho'(s) = 1`` on the CLOSED interval [0, 1] (the gradient of Theano's ``clip`` in the EP
reference code). On the open interval, a unit clipped to exactly 0 would have
``ds/dt = 0 - 0`` and never move again. Since the clipped states always lie in [0, 1],
``rho' = 1`` there and each Euler step is a projected gradient step on ``F`` over the box.

All layers move synchronously: every ``ds_l/dt`` of a step reads the rates of the previous
step. ``relax_numpy`` and ``relax_numba`` have the same signature and math (STYLE.md rule
6); both update the states ``s`` (a tuple of C-contiguous arrays) in place.
"""
import numpy as np
from numba import njit


def drho(s):
    """``rho'(s)``: 1 on [0, 1], else 0 (see the module docstring for the closed interval)."""
    return ((s >= 0) & (s <= 1)).astype(s.dtype)


# ---- NumPy twin: the readable form --------------------------------------------------------
def relax_numpy(x, s, W, b, W_loop, symmetric, n_steps, h, beta, d):
    """Run ``n_steps`` Euler steps in place on ``s = (s_1, ..., s_L)``.

    ``W``, ``b``: tuples ``(W_1, ..., W_L)``, ``(b_1, ..., b_L)``; ``W_loop`` is ignored when
    ``symmetric``. ``h``, ``beta`` are scalars of the states' dtype; ``d`` is ``(n, n_L)``.
    """
    L = len(s)
    rx = np.clip(x, 0.0, 1.0)                                           # rho(x), (n, n_0)
    for _ in range(n_steps):
        r = [np.clip(s_k, 0.0, 1.0) for s_k in s]                       # rho(s) of the last step
        for k in range(L):
            r_below = rx if k == 0 else r[k - 1]
            a = r_below @ W[k].T + b[k]                                 # EFP Eq. (1), (n, n_l)
            if symmetric and k < L - 1:
                a = a + r[k + 1] @ W[k + 1]                             # EP, -dE/ds: from above
            if not symmetric and k == 0:
                a = a + r[L - 1] @ W_loop.T                             # EFP Eq. (1): loop O -> I
            ds = drho(s[k]) * a - s[k]                                  # EFP Eq. (1), r_j = 1
            if k == L - 1:
                ds = ds - beta * (s[k] - d)                             # EFP Eq. (1), nudge
            s[k][...] = np.clip(s[k] + h * ds, 0.0, 1.0)                # EFP Eq. (7), state clipped


# ---- Numba kernel: the same lines; products by BLAS, the rest fused per element -----------
# error_model="numpy" and no fastmath, so rounding matches the twin.
_jit = njit(cache=True, error_model="numpy")


@_jit
def _clip01(v):
    return min(max(v, 0.0), 1.0)


@_jit
def relax_numba(x, s, W, b, W_loop, symmetric, n_steps, h, beta, d):
    L = len(s)
    n = x.shape[0]
    rx = np.empty_like(x)
    for i in range(n):
        for j in range(x.shape[1]):
            rx[i, j] = _clip01(x[i, j])
    r = [np.empty_like(s[k]) for k in range(L)]
    for _ in range(n_steps):
        for k in range(L):
            for i in range(n):
                for j in range(s[k].shape[1]):
                    r[k][i, j] = _clip01(s[k][i, j])
        for k in range(L):
            a = (rx if k == 0 else r[k - 1]) @ W[k].T                   # (n, n_l)
            top = np.empty((0, 0), dtype=x.dtype)
            if symmetric and k < L - 1:
                top = r[k + 1] @ W[k + 1]
            elif not symmetric and k == 0:
                top = r[L - 1] @ W_loop.T
            add_top = top.shape[0] > 0
            nudge = k == L - 1
            s_k = s[k]
            for i in range(n):
                for j in range(s_k.shape[1]):
                    v = a[i, j] + b[k][j]
                    if add_top:
                        v = v + top[i, j]
                    sij = s_k[i, j]
                    g = 1.0 if (sij >= 0 and sij <= 1) else 0.0         # rho'(s)
                    ds = g * v - sij
                    if nudge:
                        ds = ds - beta * (sij - d[i, j])
                    s_k[i, j] = _clip01(sij + h * ds)
