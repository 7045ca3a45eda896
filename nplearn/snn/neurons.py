"""Integrate-and-fire neurons and the arc-tangent surrogate of their spike (SP Sec. VI-A).

Kohan, A. A., Rietman, E. A. & Siegelmann, H. T. (2023). Signal Propagation: A Framework
for Learning and Inference In a Forward Pass. IEEE TNNLS. arXiv:2204.01723. Sec. VI,
Eq. (15)-(17).

One IF neuron per unit, simulated for ``T`` steps; the neuron is an "activation function"
applied at every step. With ``u_0 = 0``, for ``t = 1..T``::

    v_t = u_{t-1} + a_t              charge, the subthreshold dynamics (Eq. 15)
    s_t = H(v_t - theta)             fire: 1 if v_t >= theta, else 0
    u_t = v_t (1 - s_t)              hard reset to 0 after a spike

The spike ``H`` has derivative zero almost everywhere. Surrogate learning keeps ``H`` in
the forward pass and puts the derivative of the arc tangent ``g`` (Eq. 16) in its place
in the backward pass: ``ds_t/dv_t := g'(v_t - theta)`` (Eq. 17).

Legend (symbol -> code -> shape; ``...`` is the unit shape, ``(n_l,)`` or ``(C, H, W)``):

=========================  ===========  =====================
input current ``h_i^t``    ``a``        ``(T, n, ...)``
voltage before firing      ``v``        ``(T, n, ...)``
spikes                     ``s``        ``(T, n, ...)``
threshold                  ``theta``    scalar
=========================  ===========  =====================

The paper's ``h_i^t`` of Eq. (15), "the layer's activations", is the current ``a_t`` that
the layer's weights deliver at step ``t``.

Reset: the paper does not print it. We reset to zero (a "hard" reset, the convention of
the SpikingJelly IF node the paper's setting matches); the backward pass differentiates the
reset too, ``du_t/dv_t = (1 - s_t) - v_t ds_t/dv_t``.

Speed: both passes run as Numba kernels (``_if_forward_numba``, ``_if_backward_numba``) when
the spike is :func:`heaviside`; each has a NumPy twin (``_if_*_numpy``) with the same
arguments and, without fastmath, the same numbers bit for bit (``tests/test_spiking.py``).
Every unit is independent, so they work on ``(T, P)`` views of the arrays' memory, the units
of one step in the order they are stored (a conv layer's maps are channels-last
``(T, n, Ho, Wo, C)`` in memory, the layout its matrix product writes). :func:`if_forward`
and :func:`if_backward` find that view, allocate their outputs in the same layout and pick
the backend.
"""
import numpy as np
from numba import njit, prange

from ..nn.conv import maxpool2d, maxpool2d_backward

#: The implementations :func:`if_forward` and :func:`if_backward` can run.
BACKENDS = ("numba", "numpy")


def heaviside(x):
    """The spike: ``1`` where ``x >= 0``, else ``0`` (dtype of ``x``)."""
    return (x >= 0).astype(x.dtype)


def arctan_surrogate(x):
    """``g(x) = arctan(pi x) / pi + 1/2``, a smooth step from 0 to 1 (SP Eq. 16)."""
    return np.arctan(np.pi * x) / np.pi + 0.5                     # SP Eq. (16)


def arctan_surrogate_grad(x):
    """``g'(x) = 1 / (1 + (pi x)^2)``, the surrogate derivative of the spike (SP Eq. 17)."""
    return 1.0 / (1.0 + (np.pi * x) ** 2)                          # SP Eq. (17)


def if_forward(a, theta, spike=heaviside, backend="numba", spikes=True):
    """Simulate IF neurons driven by the currents ``a`` for ``T = len(a)`` steps.

    Parameters
    ----------
    a : ndarray of shape (T, n, ...)
        Input current at every step; ``np.broadcast_to`` of one step's current is read once.
    theta : float
        Firing threshold (0.5 for sigprop, 1.0 for BP and Shallow, SP Sec. VI-A).
    spike : callable, default :func:`heaviside`
        The firing function of ``v - theta``. Tests pass :func:`arctan_surrogate` to make
        the whole network smooth, so that the surrogate backward pass is its exact gradient
        (any spike but :func:`heaviside` runs the NumPy twin).
    backend : {"numba", "numpy"}
    spikes : bool, default True
        ``False``: do not store ``s`` (return ``None`` for it), when only ``v`` is read
        later; ``s_t = spike(v_t - theta)`` is that function of ``v`` (saves a pass over
        memory as large as ``v``).

    Returns
    -------
    v : ndarray of shape (T, n, ...)
        Voltage after charging, before the reset. Same memory layout as ``a``.
    s : ndarray of shape (T, n, ...) or None
        Spikes.
    """
    a = np.asarray(a)
    a2, empty_like = _steps(a)                                     # (T or 1, P)
    v = empty_like(a.shape[0])
    s = empty_like(a.shape[0]) if spikes else None
    v2, s2 = _steps(v)[0], (_steps(s)[0] if spikes else np.zeros((1, 1), a.dtype))
    c = _constants(theta, a.dtype)
    if _pick(backend) == "numba" and spike is heaviside:
        _if_forward_numba(a2, c, v2, s2, spikes)
    else:
        _if_forward_numpy(a2, c, v2, s2, spikes, spike)
    return v, s


def if_backward(v, s, theta, ds=None, dv=None, surrogate=True, sum_steps=False,
                backend="numba"):
    """Back-propagation through time of :func:`if_forward`: ``dJ/da`` from ``dJ/ds``, ``dJ/dv``.

    Runs backward over the steps of the voltage recurrence (and its reset)::

        dv_t~ = dv_t + (ds_t - v_t du_t) g'(v_t - theta) + (1 - s_t) du_t
        da_t = du_{t-1} = dv_t~                       (du_T = 0)

    where ``dv_t~`` is the total derivative at ``v_t`` and ``dv_t`` its direct part.

    Parameters
    ----------
    v, s : ndarray of shape (T, n, ...)
        From :func:`if_forward`. ``s=None``: the spikes of :func:`heaviside`,
        ``H(v - theta)``, recomputed from ``v`` (the same numbers, one array less to read).
    theta : float
    ds : ndarray of shape (T, n, ...), optional
        ``dJ/ds_t`` from the layers the spikes feed (``None``: zero).
    dv : ndarray of shape (T, n, ...), optional
        ``dJ/dv_t`` where a loss reads the voltage directly (sigprop "voltage"; ``None``: zero).
    surrogate : bool, default True
        ``ds_t/dv_t = g'(v_t - theta)`` (SP Eq. 17). ``False``: the spike's true derivative,
        zero almost everywhere, so nothing flows through a spike (only ``dv`` and the
        ``(1 - s_t)`` of the reset carry the signal).
    sum_steps : bool, default False
        Return ``sum_t dJ/da_t`` (shape ``(1, n, ...)``), all a layer whose input current
        is the same at every step needs, without storing each step.
    backend : {"numba", "numpy"}

    Returns
    -------
    da : ndarray of shape (T, n, ...), or (1, n, ...) with ``sum_steps``
        ``dJ/da_t``, in the memory layout of ``v``.
    """
    T = v.shape[0]
    v2, empty_like = _steps(v)
    if v2.shape[0] != T:
        raise ValueError("v must hold every step (not a broadcast view)")
    s2, ds2, dv2 = (None if x is None else _steps_like(x, v2, empty_like) for x in (s, ds, dv))
    da = empty_like(1 if sum_steps else T)
    c = _constants(theta, v.dtype)
    kernel = _if_backward_numba if _pick(backend) == "numba" else _if_backward_numpy
    zero = np.zeros((1, 1), v.dtype)                               # stands in for a missing s, ds, dv
    kernel(v2, zero if s2 is None else s2, s2 is not None, c, zero if ds2 is None else ds2,
           ds2 is not None, zero if dv2 is None else dv2, dv2 is not None, bool(surrogate),
           _steps(da)[0])
    return da


def if_backward_pooled(v, theta, dh, idx, surrogate=True, sum_steps=False, backend="numba",
                       into="ds"):
    """:func:`if_backward` of a pooled conv layer from the gradient of a POOLED output.

    The numbers of ``if_backward(v, None, theta, ds=ds)`` with ``ds`` the un-pooled ``dh``
    (:func:`~nplearn.nn.maxpool2d_backward` per step: ``dh`` routed to the units ``idx``,
    zero elsewhere), bit for bit. The Numba kernel never stores ``ds``, which is as large
    as ``v`` and three quarters zeros: it un-pools one image at a time into a buffer and runs
    the recurrence on it while it is in cache.

    Parameters
    ----------
    v : ndarray of shape (T, n, C, H, W)
        Voltages of :func:`if_forward` (spikes ``H(v - theta)``, recomputed).
    theta : float
    dh : ndarray of shape (T, n, C, Hp, Wp) or (T, n, C*Hp*Wp)
        ``dJ/dout`` of the pooled spikes (or voltages, ``into="dv"``) at every step.
    idx : ndarray of shape (T*n, C, Hp, Wp)
        The pooling argmax (:func:`spike_maxpool`): flat ``h * W + w`` in each map.
    surrogate, sum_steps, backend
        As for :func:`if_backward`.
    into : {"ds", "dv"}
        What ``dh`` un-pools to: ``dJ/ds`` (pooled spikes) or ``dJ/dv`` (pooled voltages,
        sigprop's voltage mode): ``if_backward(v, None, theta, dv=dv)``.

    Returns
    -------
    da : ndarray of shape (T, n, C, H, W), or (1, n, C, H, W) with ``sum_steps``
        In the memory layout of ``v``.
    """
    if into not in ("ds", "dv"):
        raise ValueError(f"into must be 'ds' or 'dv', got {into!r}")
    T, n, C, H, W = v.shape
    vh = v.transpose(0, 1, 3, 4, 2)
    fast = (_pick(backend) == "numba" and vh.flags.c_contiguous and idx.dtype == np.int64
            and idx.shape[:2] == (T * n, C) and idx.size == dh.size)
    if not fast:                                                  # un-pool, then the recurrence
        ds = np.empty((T, n, H, W, C), dh.dtype).transpose(0, 1, 4, 2, 3)   # v's layout
        maxpool2d_backward(dh.reshape(idx.shape), idx, (T * n, C, H, W),
                           out=ds.reshape(T * n, C, H, W), backend=backend)
        grad = {"ds": ds} if into == "ds" else {"dv": ds}
        return if_backward(v, None, theta, **grad, surrogate=surrogate, sum_steps=sum_steps,
                           backend=backend)
    da = np.empty((1 if sum_steps else T, n, H, W, C), v.dtype)
    _if_backward_pooled_numba(vh, _constants(theta, v.dtype),
                              np.ascontiguousarray(dh, v.dtype).reshape(T, n, C, -1),
                              np.ascontiguousarray(idx).reshape(T, n, C, -1), bool(surrogate),
                              into == "dv", da)
    return da.transpose(0, 1, 4, 2, 3)


def if_forward_pool(a, theta, size=2, backend="numba"):
    """:func:`if_forward` of conv maps with ``spikes=False``, then :func:`spike_maxpool` of
    every step: ``(v, out, idx)``, the same numbers.

    With the Numba backend, 2x2 windows and ``a`` stored channels last (as :func:`conv2d`
    writes it, possibly one step broadcast over the ``T``), one kernel does both, image by
    image, and pools each step's voltages while they are in cache instead of reading ``v``
    back from memory.

    Parameters
    ----------
    a : ndarray of shape (T, n, C, H, W)
    theta : float
    size : int
    backend : {"numba", "numpy"}

    Returns
    -------
    v : ndarray of shape (T, n, C, H, W)
        In the memory layout :func:`if_forward` gives it.
    out, idx : ndarrays of shape (T*n, C, H // size, W // size)
        As :func:`spike_maxpool` of ``v.reshape(T*n, C, H, W)``.
    """
    T, n, C, H, W = a.shape
    a1 = a[:1] if T > 1 and a.strides[0] == 0 else a               # the same current every step
    ah = a1.transpose(0, 1, 3, 4, 2)
    if not (_pick(backend) == "numba" and size == 2 and ah.flags.c_contiguous
            and min(H, W) >= 2):
        v, _ = if_forward(a, theta, backend=backend, spikes=False)
        out, idx = spike_maxpool(v.reshape(T * n, C, H, W), theta, size, backend)
        return v, out, idx
    vh = np.empty((T, n, H, W, C), a.dtype)
    out = np.empty((T * n, C, H // 2, W // 2), a.dtype)
    idx = np.empty(out.shape, np.int64)
    _if_forward_pool2_numba(ah, _constants(theta, a.dtype), vh, out, idx)
    return vh.transpose(0, 1, 4, 2, 3), out, idx


def spike_maxpool(v, theta, size=2, backend="numba"):
    """Max pooling of the spikes ``H(v - theta)`` of conv maps, read from the voltage ``v``.

    The same numbers as :func:`~nplearn.nn.maxpool2d` of ``heaviside(v - theta)``: a
    window's output is 1 if any of its units fired, and ``idx`` is the first unit (in
    row-major order) that fired, else the window's first unit, as ``np.argmax`` picks.

    Parameters
    ----------
    v : ndarray of shape (n, C, H, W)
        Voltages, e.g. one step per row of ``n`` (any layout; channels-last is fastest).
    theta : float
    size : int
        Window and stride.
    backend : {"numba", "numpy"}

    Returns
    -------
    out : ndarray of shape (n, C, H // size, W // size)
    idx : ndarray of int64, shape (n, C, H // size, W // size)
    """
    vh = v.transpose(0, 2, 3, 1)
    if _pick(backend) == "numpy" or not vh.flags.c_contiguous:
        return maxpool2d(heaviside(v - _constants(theta, v.dtype)[0]), size, backend)
    n, C, H, W = v.shape
    if int(size) != size or not 1 <= size <= min(H, W):
        raise ValueError(f"pool size must be an integer in 1..{min(H, W)}, got {size!r}")
    out = np.empty((n, C, H // size, W // size), v.dtype)
    idx = np.empty(out.shape, np.int64)
    c = _constants(theta, v.dtype)
    if size == 2:
        _spike_maxpool2_numba(vh, c, out, idx)
    else:
        _spike_maxpool_numba(vh, c, int(size), out, idx)
    return out, idx


# ------------------------------------------------------------- the (T, P) views
def _steps(x):
    """``x`` ``(T, n, ...)`` as a ``(T', P)`` view in memory order, and ``empty_like(T)``.

    ``P`` runs over one step's units in the order they are stored (e.g. channels last for a
    conv layer's maps); a broadcast time axis (stride 0) gives ``T' = 1``. ``empty_like(T)``
    makes a ``(T, n, ...)`` array whose ``(T, P)`` view lists the units in the same order.
    An ``x`` whose steps are not each one block of memory is copied first."""
    if x.shape[0] > 1 and x.strides[0] == 0:
        x = x[:1]                                                  # the same current every step
    order = _unit_order(x)
    y = x.transpose([0, *order])
    if not (y[0].flags.c_contiguous and (y.shape[0] == 1 or y.strides[0] == y[0].nbytes)):
        y = np.ascontiguousarray(y)
    back = np.argsort([0, *order])

    def empty_like(T):
        return np.empty((T, *y.shape[1:]), x.dtype).transpose(back)
    return y.reshape(y.shape[0], -1), empty_like


def _unit_order(x):
    """The unit axes ``1..ndim-1`` of ``x`` from the largest stride to the smallest."""
    return sorted(range(1, x.ndim), key=lambda i: -abs(x.strides[i]))   # stable for ties


def _steps_like(x, v2, empty_like):
    """``_steps(x)`` if it lists the units as ``v2`` (made by ``empty_like``) does, else ``x``
    copied into that layout (and its time axis broadcast to ``v2``'s)."""
    x2, _ = _steps(x)
    ref = empty_like(1)
    same = [i for i in _unit_order(x) if x.shape[i] > 1] == [i for i in _unit_order(ref)
                                                           if ref.shape[i] > 1]
    if x2.shape == v2.shape and same:
        return x2
    y = empty_like(v2.shape[0])
    y[...] = x                                                     # rearranged (and broadcast)
    return _steps(y)[0]


def _constants(theta, dtype):
    """``(theta, 1, pi)`` in the arrays' dtype, so float32 arithmetic stays float32."""
    if not theta > 0:
        raise ValueError(f"the threshold theta must be > 0, got {theta!r}")
    return np.array([theta, 1.0, np.pi], dtype)


def _pick(backend):
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    return backend


# ------------------------------------------------------ NumPy twins: the readable form
# (T, P) arrays; c = (theta, 1, pi). The Numba kernels below take the same arguments.
def _if_forward_numpy(a, c, v, s, store_s, spike=heaviside):
    """SP Eq. (15) with a hard reset, for every unit at once, one step at a time."""
    theta = c[0]
    u = np.zeros_like(v[0])                                        # u_0 = 0
    for t in range(v.shape[0]):
        v[t] = u + a[0 if len(a) == 1 else t]                      # SP Eq. (15): v_t = v_{t-1} + h_t
        s_t = spike(v[t] - theta)                                  # fire at theta
        if store_s:
            s[t] = s_t
        u = v[t] * (1.0 - s_t)                                     # hard reset to 0
    return v, s


def _if_backward_numpy(v, s, has_s, c, ds, has_ds, dv, has_dv, surrogate, da):
    """BPTT through the IF recurrence, one step at a time from the last (:func:`if_backward`)."""
    theta, T = c[0], v.shape[0]
    steps = np.empty_like(v) if len(da) == 1 else da               # dJ/da_t of every step
    du = np.zeros_like(v[0])                                       # nothing after the last step
    for t in range(T - 1, -1, -1):
        s_t = s[t] if has_s else heaviside(v[t] - theta)           # the spikes, or recomputed
        d = du * (1.0 - s_t)                                       # through u_t = v_t (1 - s_t)
        if has_dv:
            d = d + dv[t]
        if surrogate:
            dst = ds[t] - v[t] * du if has_ds else -v[t] * du      # total dJ/ds_t, reset included
            d = d + dst * arctan_surrogate_grad(v[t] - theta)      # SP Eq. (17): ds_t/dv_t := g'
        steps[t] = d                                               # dv_t/da_t = 1 (Eq. 15)
        du = d                                                     # dv_t/du_{t-1} = 1 (Eq. 15)
    if len(da) == 1:
        da[0] = steps.sum(axis=0)                                  # t = 0, 1, ... in order
    return da


# ---------------------------------------- Numba kernels: the same, one unit at a time
# No fastmath, constants in the arrays' dtype: the twins' roundings. Serial and GIL-free
# (nogil), so two halves of a batch run in two threads (nplearn.rules.halves); prange marks
# the independent chunks of units (range in a serial kernel). Unsigned indices skip the
# negative-index checks (4x faster inner loops).
_kernel = njit(cache=True, nogil=True, error_model="numpy")
_CHUNK = 4096


@_kernel
def _if_forward_numba(a, c, v, s, store_s):
    theta, one, zero = c[0], c[1], c[1] - c[1]
    T, P = v.shape
    for job in prange((P + _CHUNK - 1) // _CHUNK):
        lo = job * _CHUNK
        m = min(P, lo + _CHUNK) - lo
        u = np.zeros(m, v.dtype)
        for t in range(T):
            at, vt = a[0 if a.shape[0] == 1 else t, lo:lo + m], v[t, lo:lo + m]
            if store_s:
                st = s[t, lo:lo + m]
                for p in range(np.uint64(m)):
                    x = u[p] + at[p]                               # SP Eq. (15)
                    f = one if x - theta >= zero else zero         # heaviside(v - theta)
                    vt[p], st[p] = x, f
                    u[p] = x * (one - f)                           # hard reset
            else:
                for p in range(np.uint64(m)):
                    x = u[p] + at[p]
                    f = one if x - theta >= zero else zero
                    vt[p] = x
                    u[p] = x * (one - f)


@_kernel
def _if_backward_numba(v, s, has_s, c, ds, has_ds, dv, has_dv, surrogate, da):
    theta, one, pi, zero = c[0], c[1], c[2], c[1] - c[1]
    T, P = v.shape
    for job in prange((P + _CHUNK - 1) // _CHUNK):
        lo = job * _CHUNK
        m = min(P, lo + _CHUNK) - lo
        du = np.zeros(m, v.dtype)
        steps = np.empty((T, m), v.dtype)
        for t in range(T - 1, -1, -1):
            vt, st, dt = v[t, lo:lo + m], (s[t, lo:lo + m] if has_s else s[0, :1]), steps[t]
            dst_in = ds[t, lo:lo + m] if has_ds else ds[0, :1]
            dv_in = dv[t, lo:lo + m] if has_dv else dv[0, :1]
            for p in range(np.uint64(m)):
                f = st[p] if has_s else (one if vt[p] - theta >= zero else zero)
                d = du[p] * (one - f)                              # through the reset
                if has_dv:
                    d = d + dv_in[p]
                if surrogate:
                    dst = dst_in[p] - vt[p] * du[p] if has_ds else -vt[p] * du[p]
                    z = pi * (vt[p] - theta)
                    d = d + dst * (one / (one + z * z))            # SP Eq. (17)
                dt[p] = d
                du[p] = d
        if da.shape[0] == 1:
            out = da[0, lo:lo + m]
            for p in range(np.uint64(m)):
                acc = steps[0, p]
                for t in range(1, T):
                    acc = acc + steps[t, p]                        # t = 0, 1, ... in order
                out[p] = acc
        else:
            for t in range(T):
                da[t, lo:lo + m] = steps[t]


@_kernel
def _spike_maxpool_numba(vh, c, size, out, idx):
    theta, one, zero = c[0], c[1], c[1] - c[1]
    n, C, Hp, Wp = out.shape                                       # vh: (n, H, W, C), channels last
    H, W = vh.shape[1], vh.shape[2]
    vf, of, jf = vh.reshape(-1), out.reshape(-1), idx.reshape(-1)
    for b in prange(n):
        best = np.empty(C, vh.dtype)                               # the C maps of one window
        at = np.empty(C, np.int64)
        for r in range(Hp):
            for q in range(Wp):
                k0 = r * size * W + q * size                       # flat h * W + w
                for ch in range(np.uint64(C)):
                    best[ch], at[ch] = zero, k0
                for di in range(size):
                    for dj in range(size):
                        k = k0 + di * W + dj
                        src = np.uint64((b * H * W + k) * C)
                        for ch in range(np.uint64(C)):
                            take = (vf[src + ch] - theta >= zero) & (best[ch] == zero)   # first to fire
                            best[ch] = one if take else best[ch]
                            at[ch] = k if take else at[ch]
                dst = np.uint64(b * C * Hp * Wp + r * Wp + q)
                for ch in range(np.uint64(C)):
                    o = dst + ch * np.uint64(Hp * Wp)
                    of[o], jf[o] = best[ch], at[ch]


@njit(cache=True, nogil=True, error_model="numpy")
def _pool2_image(vf, src, H, W, theta, ob, ib, of, jf, dst, C, Hp, Wp):
    """The 2x2 spike pooling of one image: its channels-last voltages ``vf[src:]`` ->
    ``of[dst:]``, ``jf[dst:]`` channels first, through the buffers ``ob``, ``ib``."""
    zero = theta - theta
    P, uC = np.uint64(Hp * Wp), np.uint64(C)
    one, dW, dW1 = np.int32(1), np.int32(W), np.int32(W + 1)
    for r in range(Hp):
        for q in range(Wp):
            k0 = np.int32(2 * r * W + 2 * q)                       # flat h * W + w of the window
            s0 = src + np.uint64(k0) * uC
            s1, s2 = s0 + uC, s0 + np.uint64(W * C)
            s3, w = s2 + uC, np.uint64((r * Wp + q) * C)
            for ch in range(uC):                                   # the four units, row-major
                m0 = np.int32(vf[s0 + ch] - theta >= zero)
                m1 = np.int32(vf[s1 + ch] - theta >= zero)
                m2 = np.int32(vf[s2 + ch] - theta >= zero)
                m3 = np.int32(vf[s3 + ch] - theta >= zero)
                # offset of the first to fire (0 if none): 0, 1, W or W + 1
                off = (one - m0) * (m1 + (one - m1) * (m2 * dW + (one - m2) * m3 * dW1))
                ob[w + ch] = m0 | m1 | m2 | m3
                ib[w + ch] = k0 + off
    for ch in range(uC):                                           # to channels first
        for p in range(P):
            of[dst + ch * P + p] = ob[p * uC + ch]
            jf[dst + ch * P + p] = ib[p * uC + ch]


@_kernel
def _spike_maxpool2_numba(vh, c, out, idx):
    """:func:`_spike_maxpool_numba` for 2x2 windows, the default: each image's windows are
    worked out channels last (contiguous, vectorised over the channels, no branches) into
    two buffers, then written out channels first (2x faster on the first layer's maps)."""
    n, C, Hp, Wp = out.shape                                       # vh: (n, H, W, C), channels last
    H, W = vh.shape[1], vh.shape[2]
    vf, of, jf = vh.reshape(-1), out.reshape(-1), idx.reshape(-1)
    for b in prange(n):
        ob = np.empty(Hp * Wp * C, np.int32)                       # fired?  (Hp, Wp, C)
        ib = np.empty(Hp * Wp * C, np.int32)                       # where   (Hp, Wp, C)
        _pool2_image(vf, np.uint64(b * H * W * C), H, W, c[0], ob, ib, of, jf,
                     np.uint64(b * C * Hp * Wp), C, Hp, Wp)


@_kernel
def _if_forward_pool2_numba(a, c, v, out, idx):
    """:func:`_if_forward_numba` (``spikes=False``) and :func:`_spike_maxpool2_numba` of
    every step, one image at a time: each step's voltages are pooled while in cache. ``a``
    ``(T or 1, n, H, W, C)``, ``v`` ``(T, n, H, W, C)``, ``out``, ``idx`` ``(T*n, C, Hp, Wp)``."""
    theta, one, zero = c[0], c[1], c[1] - c[1]
    T, n, H, W, C = v.shape
    Hp, Wp = out.shape[2], out.shape[3]
    P = H * W * C
    af, vf, of, jf = a.reshape(-1), v.reshape(-1), out.reshape(-1), idx.reshape(-1)
    for b in prange(n):
        u = np.zeros(P, v.dtype)                                   # u_0 = 0
        ob = np.empty(Hp * Wp * C, np.int32)
        ib = np.empty(Hp * Wp * C, np.int32)
        for t in range(T):
            at = af[((0 if a.shape[0] == 1 else t) * n + b) * P:][:P]
            src = np.uint64((t * n + b) * P)
            vt = vf[(t * n + b) * P:(t * n + b + 1) * P]
            for p in range(np.uint64(P)):                          # as _if_forward_numba
                x = u[p] + at[p]                                   # SP Eq. (15)
                f = one if x - theta >= zero else zero
                vt[p] = x
                u[p] = x * (one - f)                               # hard reset
            _pool2_image(vf, src, H, W, theta, ob, ib, of, jf,
                         np.uint64((t * n + b) * C * Hp * Wp), C, Hp, Wp)


@_kernel
def _if_backward_pooled_numba(vh, c, dh, idx, surrogate, as_dv, da):
    """:func:`_if_backward_numba` with ``ds`` (or, ``as_dv``, ``dv``) un-pooled per image into
    a buffer, ``s`` from ``v``: the same operations on every unit, in the same order."""
    theta, one, pi, zero = c[0], c[1], c[2], c[1] - c[1]
    T, n, H, W, C = vh.shape
    P, Q = H * W * C, dh.shape[3]                                  # units per map set, pooled per map
    uP, uC = np.uint64(P), np.uint64(C)
    vf, df, jf, af = vh.reshape(-1), dh.reshape(-1), idx.reshape(-1), da.reshape(-1)
    n_jobs = min(n, 64)
    for job in prange(n_jobs):                                     # a run of images each
        ds = np.empty(T * P, vh.dtype)                             # un-pooled dJ/ds, then dJ/da_t
        du = np.empty(P, vh.dtype)
        for b in range(job * n // n_jobs, (job + 1) * n // n_jobs):
            ds[:] = zero
            for t in range(T):                                     # maxpool2d_backward of one image
                src = np.uint64(((t * n + b) * C) * Q)
                dst = np.uint64(t * P)
                for ch in range(uC):
                    for m in range(np.uint64(Q)):
                        o = src + ch * np.uint64(Q) + m
                        ds[dst + np.uint64(jf[o]) * uC + ch] = df[o]
            du[:] = zero
            for t in range(T - 1, -1, -1):                         # as _if_backward_numba
                vt = vf[(t * n + b) * P:(t * n + b + 1) * P]
                dt = ds[t * P:(t + 1) * P]
                for p in range(uP):
                    f = one if vt[p] - theta >= zero else zero
                    d = du[p] * (one - f)
                    if as_dv:
                        d = d + dt[p]
                    if surrogate:
                        dst = -vt[p] * du[p] if as_dv else dt[p] - vt[p] * du[p]
                        z = pi * (vt[p] - theta)
                        d = d + dst * (one / (one + z * z))        # SP Eq. (17)
                    dt[p] = d
                    du[p] = d
            if da.shape[0] == 1:
                out = af[b * P:(b + 1) * P]
                for p in range(uP):
                    acc = ds[p]
                    for t in range(1, T):
                        acc = acc + ds[np.uint64(t * P) + p]       # t = 0, 1, ... in order
                    out[p] = acc
            else:
                for t in range(T):
                    af[(t * n + b) * P:(t * n + b + 1) * P] = ds[t * P:(t + 1) * P]
