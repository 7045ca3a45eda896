"""Relaxation of the continuous Hopfield network: EFP Eq. (1) integrated by Euler, Eq. (7).

For relaxing layer l = 1..L (code index ``k = l - 1``), with ``r_l = rho(s_l)``, ``r_0 = rho(x)``,
and ``h`` the Euler STEP size of EFP Eq. (7) (not a hidden rate, as ``h`` is in :mod:`nplearn.nn`):

    a_l = W_l r_{l-1} + b_l                          # EFP Eq. (1), sum_{i->j} w_ij rho(s_i) + b_j
        + W_{l+1}^T r_{l+1}    (symmetric, l < L)    # EP: -dE/ds_l, EFP Eq. (2)
        + W_loop r_L           (loop, l = 1)         # EFP Eq. (1), sum_{i in O -> j in I}
    ds_l/dt = rho'(s_l) a_l - s_l                    # EFP Eq. (1), r_j = 1
              - beta (s_L - d)  (l = L only)         # EFP Eq. (1), = -beta dC/ds, Eq. (3-4)
    s_l <- clip(s_l + h ds_l/dt, 0, 1)               # EFP Eq. (7), see below

For symmetric weights ``ds/dt = -dF/ds`` with ``F = E + beta C`` (EFP Eq. 2-4). The input
is clamped, so its drive ``W_1 rho(x)`` is the same at every step: both backends compute it
once per phase.

The loop runs from the output layer O to the input-receiving layer I, as EFP's text ("the final
feedback loop from the output neurons to the input receiving neurons") and sigprop Eq. (13)
say; EFP Eq. (1) prints its sum over ``i in I -> j in O``.

Euler clipping: EFP Eq. (7) as printed clips the INCREMENT ``h ds/dt`` to [0, 1], which
would forbid a state from ever decreasing. The text ("the state update is clipped" to keep
the neuron in [0, 1]) and the EP reference code clip the STATE; we do that.

``rho'(s) = 1`` on the CLOSED interval [0, 1] (the gradient of Theano's ``clip`` in the EP
reference code). On the open interval, a unit clipped to exactly 0 would have
``ds/dt = 0 - 0`` and never move again. Since the clipped states always lie in [0, 1],
``rho' = 1`` there and each Euler step is a projected gradient step on ``F`` over the box.

All layers move synchronously: every ``ds_l/dt`` of a step reads the rates of the previous
step. ``relax_numpy`` and ``relax_numba`` have the same signature and math;
both update the states ``s`` (a tuple of C-contiguous arrays) in place.

How the Numba kernel orders the same arithmetic (``relax_numpy`` is the readable form)
------------------------------------------------------------------------------------
Layer ``l`` at step ``t + 1`` reads only its own state and its neighbours' rates at step
``t``. So a layer may run several steps ahead of the layers it feeds, as long as it never
passes a layer it reads by more than one step. In the loop net the layers form one cycle
``1 -> 2 -> ... -> L -> 1``: each layer can advance ``L`` steps while the others wait, and
its input product for those ``L`` steps, ``[r_{l-1}(t); ...; r_{l-1}(t + L - 1)] W_l^T``,
is ONE matrix product with ``L n`` rows instead of ``L`` products with ``n`` rows. The
weights are then read from memory once per ``L`` steps, not once per step. In the symmetric
net every layer reads both neighbours, so the even and the odd layers take turns, two steps
at a time. Every state still gets exactly the numbers of the synchronous step: the order of
the work changes, not its inputs. (A BLAS call may round a row differently when it holds
more rows; ``_stack_rows`` says when the kernel stacks.)
"""
import numpy as np
from numba import njit


def drho(s):
    """``rho'(s)``: 1 on the CLOSED interval [0, 1], else 0 (module docstring).

    The feedforward ``hard_sigmoid`` of :mod:`nplearn.nn.activations` has its derivative 1 on
    the OPEN interval (0, 1); the two differ only at ``s = 0`` and ``s = 1`` (docs page
    "Decisions", section "rho' at the ends of [0, 1]").
    """
    return ((s >= 0) & (s <= 1)).astype(s.dtype)


# ---- NumPy twin: the readable form --------------------------------------------------------
def relax_numpy(x, s, W, b, W_loop, symmetric, n_steps, h, beta, d):
    """Run ``n_steps`` Euler steps in place on ``s = (s_1, ..., s_L)``.

    ``W``, ``b``: tuples ``(W_1, ..., W_L)``, ``(b_1, ..., b_L)``; ``W_loop`` is ignored when
    ``symmetric``. ``h``, ``beta`` are scalars of the states' dtype; ``d`` is ``(n, n_L)``.
    """
    L = len(s)
    rx = np.clip(x, 0.0, 1.0)                                           # rho(x), (n, n_0)
    a_in = rx @ W[0].T                                                  # W_1 rho(x): x is clamped
    for _ in range(n_steps):
        r = [np.clip(s_k, 0.0, 1.0) for s_k in s]                       # rho(s) of the last step
        for k in range(L):
            a = (a_in if k == 0 else r[k - 1] @ W[k].T) + b[k]          # SP Eq. (13); EFP Eq. (1): sum w_ij rho(s_i) + b_j
            if symmetric and k < L - 1:
                a = a + r[k + 1] @ W[k + 1]                             # EFP Eq. (2): -dE/ds_l, from above
            if not symmetric and k == 0:
                a = a + r[L - 1] @ W_loop.T                             # SP Eq. (12), (13): loop O -> I; EFP Eq. (1), departs: O -> I as its text says, Eq. (1) prints I -> O
            ds = drho(s[k]) * a - s[k]                                  # SP Eq. (13); EFP Eq. (1): leak r_j = 1
            if k == L - 1:
                ds = ds - beta * (s[k] - d)                             # SP Eq. (13); EFP Eq. (1): nudge
            s[k][...] = np.clip(s[k] + h * ds, 0.0, 1.0)                # EFP Eq. (7), departs: clips the state, not h ds/dt


# ---- Numba kernel: the same lines; products by BLAS, the rest fused per element -----------
# error_model="numpy" and no fastmath, so rounding matches the twin.
_jit = njit(cache=True, error_model="numpy")
ROWS = 512             # relax_numba works through the batch in chunks of this many rows


@_jit
def _clip01(v):
    return min(max(v, 0.0), 1.0)


@_jit
def _stack_rows(n, W):
    """Whether to form a block's products as one BLAS call of ``steps * n`` rows.

    It pays once the weights no longer sit in the core's cache (an L2 of about 1-2 MB):
    then the call is bound by reading ``W`` from memory. Below that, each step gets its own
    call of ``n`` rows, which rounds every row exactly as a step-by-step loop does (stacking
    can change the last bits of a float64 product, or of any product with ``n = 1``).
    """
    return n > 1 and W.size * W.itemsize > 1 << 20


@_jit
def _product(R, row0, steps, n, Wt, out):
    """``out[:steps n] = R[row0 : row0 + steps n] @ Wt`` (the rates of ``steps`` steps)."""
    if _stack_rows(n, Wt):
        np.dot(R[row0:row0 + steps * n], Wt, out[:steps * n])
    else:
        for j in range(steps):
            np.dot(R[row0 + j * n:row0 + (j + 1) * n], Wt, out[j * n:(j + 1) * n])


@_jit
def _euler_block(s_k, A, A_step, b_k, top, add_top, nudge, d, beta, h, steps, R_k, n):
    """``steps`` Euler steps of one layer from its input products; rates into ``R_k[n:]``.

    Step ``j`` reads its input ``A[j * A_step * n:]`` (``A_step`` 0: the constant input
    drive) and, if ``add_top``, ``top[j * n:]``.
    """
    for j in range(steps):
        a0, r0 = j * A_step * n, (j + 1) * n
        for i in range(n):
            for q in range(s_k.shape[1]):
                v = A[a0 + i, q] + b_k[q]                               # SP Eq. (13); EFP Eq. (1): + b_j
                if add_top:
                    v = v + top[j * n + i, q]                           # from above / loop (Eq. (2) / (1))
                sij = s_k[i, q]
                g = 1.0 if (sij >= 0 and sij <= 1) else 0.0             # rho'(s)
                ds = g * v - sij                                        # SP Eq. (13); EFP Eq. (1): leak r_j = 1
                if nudge:
                    ds = ds - beta * (sij - d[i, q])                    # SP Eq. (13); EFP Eq. (1): nudge
                s_k[i, q] = _clip01(sij + h * ds)                       # EFP Eq. (7), departs: clips the state
                R_k[r0 + i, q] = s_k[i, q]                              # rho(s) = s once clipped


@_jit
def _transposes(W, symmetric):
    """C-contiguous copies of ``W_l^T`` for the symmetric net's weights above 1 MB (else empty
    arrays): ``r @ WT[l].T`` is the top-down product ``r W_l``. OpenBLAS multiplies by the
    transposed view of a C-contiguous matrix 3-4x faster than by the C-contiguous ``W_l``
    itself (a scratch measurement, ``(40, 1500) @ (1500, 1500)`` float32, one thread); the
    copy costs one pass over ``W_l`` per call."""
    WT = [np.empty((0, 0), W[0].dtype) for _ in range(len(W))]
    for k in range(1 if symmetric else len(W), len(W)):                # W_1 is never needed
        if not _stack_rows(2, W[k]):
            continue                            # small: r @ W_l as before, rounding unchanged
        n_out, n_in = W[k].shape
        WT[k] = np.empty((n_in, n_out), W[k].dtype)
        for i0 in range(0, n_out, 64):                                  # blocked: cache-friendly
            for j0 in range(0, n_in, 64):
                for i in range(i0, min(i0 + 64, n_out)):
                    for j in range(j0, min(j0 + 64, n_in)):
                        WT[k][j, i] = W[k][i, j]
    return WT


@_jit
def _drive(x, W_1):
    """The input drive ``rho(x) W_1^T``, ``(n, n_1)``: the same at every step of a phase."""
    a_in = np.empty((x.shape[0], W_1.shape[0]), x.dtype)
    np.dot(np.minimum(np.maximum(x, 0.0), 1.0).astype(x.dtype), W_1.T, a_in)
    return a_in


@_jit
def _relax_rows(a_in, s, W, WT, b, W_loop, symmetric, n_steps, h, beta, d):
    """``relax_numba`` on one chunk of rows, from its input drive ``a_in``; ``s`` a list;
    ``WT``: ``_transposes(W, symmetric)``."""
    L, n = len(s), a_in.shape[0]
    dt = a_in.dtype
    B = 2 if symmetric else L                   # steps a layer may run ahead (module docstring)
    # R[k]: rates rho(s_k) at steps base[k], ..., base[k] + B, each n rows; P[k]: the input
    # products of a block, Q[k]: the products from above (symmetric) or the loop (layer 1).
    R = [np.empty(((B + 1) * n, s[k].shape[1]), dt) for k in range(L)]
    P = [np.empty((B * n if k > 0 else 0, s[k].shape[1]), dt) for k in range(L)]
    Q = [np.empty((B * n if (k < L - 1 if symmetric else k == 0) else 0, s[k].shape[1]), dt)
         for k in range(L)]
    for k in range(L):
        for i in range(n):
            for q in range(s[k].shape[1]):
                R[k][i, q] = _clip01(s[k][i, q])
    tau = np.zeros(L, np.int64)                 # tau[k]: the step s[k] has reached
    base = np.zeros(L, np.int64)
    order = [k for k in range(0, L, 2)] + [k for k in range(1, L, 2)] if symmetric \
        else [k for k in range(L)]
    while tau.min() < n_steps:
        for k in order:
            t0 = tau[k]
            t1 = min(n_steps, t0 + B)                                   # advance s[k] to t1
            if k > 0:
                t1 = min(t1, tau[k - 1] + 1)
            if symmetric and k < L - 1:
                t1 = min(t1, tau[k + 1] + 1)
            if not symmetric and k == 0:
                t1 = min(t1, tau[L - 1] + 1)
            m = t1 - t0
            if m <= 0:
                continue
            add_top = Q[k].shape[0] > 0
            src = k + 1 if symmetric else L - 1                         # the top / loop input
            if (k > 0 and t0 < base[k - 1]) or (add_top and t0 < base[src]):
                raise RuntimeError("relax_numba: a layer's rates were overwritten early")
            if k > 0:
                _product(R[k - 1], (t0 - base[k - 1]) * n, m, n, W[k].T, P[k])  # SP Eq. (13); EFP Eq. (1): W_l r_{l-1}
            if add_top and symmetric:
                if WT[k + 1].size > 0:                                  # EFP Eq. (2): W_{l+1}^T r_{l+1}
                    _product(R[k + 1], (t0 - base[k + 1]) * n, m, n, WT[k + 1].T, Q[k])
                else:
                    _product(R[k + 1], (t0 - base[k + 1]) * n, m, n, W[k + 1], Q[k])
            elif add_top:
                _product(R[L - 1], (t0 - base[L - 1]) * n, m, n, W_loop.T, Q[k])  # SP Eq. (12), (13): loop O -> I; EFP Eq. (1), departs: O -> I
            j0 = (t0 - base[k]) * n                                     # keep step t0 in slot 0
            if j0 > 0:
                R[k][:n] = R[k][j0:j0 + n]
            base[k] = t0
            _euler_block(s[k], a_in if k == 0 else P[k], 0 if k == 0 else 1, b[k], Q[k],
                         add_top, k == L - 1, d, beta, h, m, R[k], n)
            tau[k] = t1


@_jit
def relax_numba(x, s, W, b, W_loop, symmetric, n_steps, h, beta, d):
    n = x.shape[0]
    WT = _transposes(W, symmetric and n_steps > 0)
    for i0 in range(0, n if n_steps > 0 else 0, ROWS):   # rows relax independently: chunks
        i1 = min(n, i0 + ROWS)                             # bound the buffers' memory
        _relax_rows(_drive(x[i0:i1], W[0]), [s_k[i0:i1] for s_k in s], W, WT, b, W_loop,
                    symmetric, n_steps, h, beta, d[i0:i1])


# ---- The two phases of one update (EFP Sec. 3.1, Sec. 4 steps 1-3): twin and kernel -------
def phases_numpy(x, s, sb, W, b, W_loop, symmetric, n_free, n_clamped, h, beta, d):
    """Free phase in place on ``s`` (``beta = 0``), then ``sb = s`` and the clamped phase on
    ``sb`` from the free fixed point (EFP Sec. 3.1). Arguments as in ``relax_numpy``."""
    relax_numpy(x, s, W, b, W_loop, symmetric, n_free, h, beta - beta, np.zeros_like(d))
    for s_k, sb_k in zip(s, sb):
        sb_k[...] = s_k
    relax_numpy(x, sb, W, b, W_loop, symmetric, n_clamped, h, beta, d)


@_jit
def phases_numba(x, s, sb, W, b, W_loop, symmetric, n_free, n_clamped, h, beta, d):
    n = x.shape[0]
    zero = np.zeros_like(d)
    WT = _transposes(W, symmetric)
    for i0 in range(0, n, ROWS):
        i1 = min(n, i0 + ROWS)
        a_in = _drive(x[i0:i1], W[0])                       # one drive for both phases
        s_c, sb_c = [s_k[i0:i1] for s_k in s], [sb_k[i0:i1] for sb_k in sb]
        if n_free > 0:
            _relax_rows(a_in, s_c, W, WT, b, W_loop, symmetric, n_free, h, beta - beta,  # 0
                        zero[i0:i1])
        for k in range(len(s)):
            sb_c[k][...] = s_c[k]
        if n_clamped > 0:
            _relax_rows(a_in, sb_c, W, WT, b, W_loop, symmetric, n_clamped, h, beta, d[i0:i1])
