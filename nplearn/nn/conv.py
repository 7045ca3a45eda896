"""Convolution and max pooling written as matrix products (im2col), batch-first.

A convolution is one dense layer applied to every ``k x k`` patch of the image. ``im2col``
("image to columns") copies each patch, across all input channels, into one ROW of a
matrix; the convolution is then ONE matrix product, with the kernels as the rows of ``K2``:

    cols  = im2col(x)                   (n*Ho*Wo, C_in*k*k)   one row per output pixel
    a     = cols @ K2.T + b             (n*Ho*Wo, C_out)      K2 = K.reshape(C_out, -1)

exactly the dense ``a = h @ W.T + b`` (DFA Eq. 1-3) with ``cols`` for ``h`` and ``K2`` for
``W``. The backward pass is two more products, the dense ones with the same stand-ins:

    dJ/dx = col2im(delta_rows @ K2)     (n, C_in, H, W)       dense: ``delta @ W``
    g_K   = delta_rows.T @ cols         (C_out, C_in*k*k)     dense: ``delta.T @ h``

``col2im`` is the adjoint of ``im2col``: it adds every patch row back onto the pixels it was
copied from (overlapping patches add up), which makes ``col2im(delta_rows @ K2)`` the
transposed convolution. ``delta_rows`` is ``delta`` of shape ``(n, C_out, Ho, Wo)`` with
its channel axis last, ``(n*Ho*Wo, C_out)``, rows in the order of ``cols``.

Legend (symbol -> code -> shape):

=========================  ==============  ============================
input image(s)             ``x``           ``(n, C_in, H, W)``
kernels                    ``K``           ``(C_out, C_in, k, k)``
biases, one per map        ``b``           ``(C_out,)``
patch matrix               ``cols``        ``(n*Ho*Wo, C_in*k*k)``
pre-activation maps        ``a``           ``(n, C_out, Ho, Wo)``
``dJ/da``                  ``delta``       ``(n, C_out, Ho, Wo)``
=========================  ==============  ============================

``Ho = (H + 2 padding - k) // stride + 1`` (:func:`conv_output_size`); the rows of ``cols``
run over ``(n, ho, wo)`` row-major, its columns over ``(C_in, kh, kw)``, the order of
``K.reshape(C_out, -1)``. As in every deep-learning library, "convolution" here is the
cross-correlation (the kernel is not flipped).

Max pooling takes the largest entry of each non-overlapping ``size x size`` window (stride
``size``, the rows and columns that do not fill a window are dropped, as in PyTorch); its
backward pass routes each gradient to the entry that was the maximum.

Speed: the matrix products are BLAS's; the memory-bound passes around them (``im2col``,
``col2im``, ``maxpool2d``, ``maxpool2d_backward``, the bias add and the bias sums of
``g_b``) run as Numba kernels by default. Each kernel (``_*_numba``) has a readable NumPy twin (``_*_numpy``) with the same
signature that fills the same preallocated output with the same numbers, bit for bit (no
fastmath, the same order of additions; ``tests/test_conv.py``). The public functions
validate, allocate and pick the backend (``backend="numpy"`` runs the twin). The kernels
are serial and release the GIL: a batch's two halves run them in two threads at once
(:mod:`nplearn.rules.halves`).
"""
import numpy as np
from numba import njit, prange
from numpy.lib.stride_tricks import sliding_window_view

#: The implementations every public function here can run.
BACKENDS = ("numba", "numpy")


def conv_output_size(size, k, stride=1, padding=0):
    """Output length of a convolution along one axis: ``(size + 2 padding - k) // stride + 1``.

    Raises
    ------
    ValueError
        ``k`` or ``stride`` below 1, ``padding`` below 0, or a kernel larger than the padded
        input.
    """
    for name, v, low in (("kernel size", k, 1), ("stride", stride, 1), ("padding", padding, 0)):
        if int(v) != v or v < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {v!r}")
    if k > size + 2 * padding:
        raise ValueError(f"kernel size {k} is larger than the padded input "
                         f"({size} + 2 * padding {padding} = {size + 2 * padding})")
    return (size + 2 * padding - k) // stride + 1


def im2col(x, k, stride=1, padding=0, backend="numba"):
    """Every ``k x k`` patch of ``x`` as one row: the patch matrix of a convolution.

    Parameters
    ----------
    x : ndarray of shape (n, C, H, W)
    k, stride, padding : int
        Kernel size (square), stride and zero padding on each side.
    backend : {"numba", "numpy"}
        The kernel or its readable NumPy twin (the same numbers).

    Returns
    -------
    cols : ndarray of shape (n*Ho*Wo, C*k*k)
        Row ``(i*Ho + ho)*Wo + wo`` is the patch of example ``i`` under output pixel
        ``(ho, wo)``, flattened in ``(C, kh, kw)`` order. Same dtype as ``x``. Stored
        column-major (the transpose of a C-contiguous ``(C*k*k, n*Ho*Wo)`` array): the copy
        that builds it, and :func:`col2im`'s adds, then run along contiguous memory, 3-10x
        faster than with a row-major ``cols`` (``benchmarks/README.md``).
    """
    n, C, H, W = _check_image(x)
    Ho, Wo = conv_output_size(H, k, stride, padding), conv_output_size(W, k, stride, padding)
    cols_T = np.empty((C, k, k, n, Ho, Wo), x.dtype)                 # (C, k, k, n, Ho, Wo)
    _pick(IM2COL, backend)(x, int(stride), int(padding), cols_T)
    return cols_T.reshape(C * k * k, n * Ho * Wo).T                   # (n*Ho*Wo, C*k*k)


def col2im(cols, x_shape, k, stride=1, padding=0, backend="numba"):
    """The adjoint of :func:`im2col`: add each patch row back onto the pixels it came from.

    ``<im2col(x), cols> == <x, col2im(cols)>`` for all ``x`` and ``cols``; where patches
    overlap (``stride < k``) their entries are summed. ``col2im(im2col(x))`` is therefore
    ``x`` times the number of patches covering each pixel, not ``x``.

    Parameters
    ----------
    cols : ndarray of shape (n*Ho*Wo, C*k*k)
        Fastest column-major, as :func:`im2col` and :func:`conv2d_backward_input` make it.
    x_shape : tuple (n, C, H, W)
        Shape of the image the patches were taken from.
    k, stride, padding : int
    backend : {"numba", "numpy"}

    Returns
    -------
    ndarray of shape x_shape, C-contiguous, dtype of ``cols``
    """
    if len(x_shape) != 4:
        raise ValueError(f"x_shape must be (n, C, H, W), got {tuple(x_shape)}")
    n, C, H, W = x_shape
    Ho, Wo = conv_output_size(H, k, stride, padding), conv_output_size(W, k, stride, padding)
    if cols.shape != (n * Ho * Wo, C * k * k):
        raise ValueError(f"cols must have shape {(n * Ho * Wo, C * k * k)} for x_shape "
                         f"{tuple(x_shape)}, k={k}, stride={stride}, padding={padding}; "
                         f"got {cols.shape}")
    c = cols.T.reshape(C, k, k, n, Ho, Wo)      # entry (c, i, j) of every patch; a view if
    out = np.empty(tuple(x_shape), cols.dtype)  # cols is column-major (as from im2col)
    _pick(COL2IM, backend)(c, int(stride), int(padding), out)
    return out


def conv2d(x, K, b, stride=1, padding=0, backend="numba"):
    """Convolution layer, forward: ``a = cols @ K2.T + b`` reshaped to maps.

    Parameters
    ----------
    x : ndarray of shape (n, C_in, H, W)
    K : ndarray of shape (C_out, C_in, k, k)
    b : ndarray of shape (C_out,)
    stride, padding : int
    backend : {"numba", "numpy"}
        Of :func:`im2col` and the bias add.

    Returns
    -------
    a : ndarray of shape (n, C_out, Ho, Wo)
        Pre-activation maps (a transposed view of the ``(n, Ho, Wo, C_out)`` product).
    cols : ndarray of shape (n*Ho*Wo, C_in*k*k)
        ``im2col(x)``, kept for the weight update :func:`conv2d_grads`.
    """
    n, C_in, H, W = _check_image(x)
    C_out, k = _check_kernel(K, C_in)
    if np.shape(b) != (C_out,):
        raise ValueError(f"b must have shape ({C_out},), one bias per output map; got {np.shape(b)}")
    cols = im2col(x, k, stride, padding, backend)                   # (n*Ho*Wo, C_in*k*k)
    a = cols @ K.reshape(C_out, -1).T                               # (n*Ho*Wo, C_out): a = W h + b per patch,
    _pick(ADD_BIAS, backend)(a, b.astype(a.dtype, copy=False))      # + b in place (a new array costs 2x the GEMM)
    Ho, Wo = conv_output_size(H, k, stride, padding), conv_output_size(W, k, stride, padding)
    return a.reshape(n, Ho, Wo, C_out).transpose(0, 3, 1, 2), cols  # (n, C_out, Ho, Wo)


def conv2d_backward_input(delta, K, x_shape, stride=1, padding=0, backend="numba"):
    """``dJ/dx`` from ``delta = dJ/da``: the transposed convolution ``col2im(delta_rows @ K2)``.

    Parameters
    ----------
    delta : ndarray of shape (n, C_out, Ho, Wo)
    K : ndarray of shape (C_out, C_in, k, k)
        The forward kernels for BP, or a feedback kernel of the same shape (FA).
    x_shape : tuple (n, C_in, H, W)
    stride, padding : int
    backend : {"numba", "numpy"}
        Of :func:`col2im`.

    Returns
    -------
    ndarray of shape x_shape, C-contiguous
    """
    C_out, _ = _check_kernel(K, x_shape[1] if len(x_shape) == 4 else None)
    return _backward_input(_rows(delta, C_out), K, x_shape, stride, padding, backend)


def conv2d_grads(delta, cols, kernel_shape, backend="numba"):
    """Weight and bias updates of a convolution layer, SUMMED over the rows (examples and pixels).

    The dense ``g_W = delta.T @ h`` (DFA Eq. 10 without its ``1/n``) with one row per output
    pixel: ``g_K = delta_rows.T @ cols``, ``g_b = delta.sum(axis=(0, 2, 3))``. Sums, not
    batch means, because the rows need not be one batch of examples: the spiking net stacks
    ``T`` steps of ``n`` examples, sigprop inputs and targets, and their ``delta`` already
    carries the loss's ``1/n``; a caller that wants the mean divides by ``n`` itself
    (:meth:`~nplearn.nn.ConvNet.grads`). (The code forms ``g_K`` as the transpose of
    ``cols.T @ delta_rows``, the same numbers, because that product runs 7-27 % faster on
    the column-major ``cols``.)

    Parameters
    ----------
    delta : ndarray of shape (n, C_out, Ho, Wo)
        ``dJ/da`` (or a rule's stand-in for it).
    cols : ndarray of shape (n*Ho*Wo, C_in*k*k)
        The patch matrix of the layer's input (:func:`conv2d` returns it).
    kernel_shape : tuple (C_out, C_in, k, k)
        Shape of ``g_K`` (``cols`` alone cannot tell ``C_in`` from ``k``).
    backend : {"numba", "numpy"}
        Of the bias sums (the same numbers).

    Returns
    -------
    g_K : ndarray of shape kernel_shape
        ``sum_rows delta_rows^T cols``.
    g_b : ndarray of shape (C_out,)
        ``delta`` summed over examples and pixels.
    """
    return _grads(_rows(delta, kernel_shape[0]), delta, cols, kernel_shape, backend)


def conv2d_backward(delta, K, cols, x_shape, stride=1, padding=0, backend="numba"):
    """A conv layer's whole backward pass: ``(dJ/dx, g_K, g_b)`` from one ``delta``.

    The numbers of :func:`conv2d_backward_input` and :func:`conv2d_grads`, bit for bit, with
    ``delta`` turned into its row matrix once instead of twice.

    Parameters
    ----------
    delta : ndarray of shape (n, C_out, Ho, Wo)
    K : ndarray of shape (C_out, C_in, k, k)
        The kernels ``dJ/dx`` is taken through (BP: the forward kernels).
    cols : ndarray of shape (n*Ho*Wo, C_in*k*k)
        :func:`conv2d`'s patch matrix of the layer's input.
    x_shape : tuple (n, C_in, H, W)
    stride, padding : int
    backend : {"numba", "numpy"}

    Returns
    -------
    dx : ndarray of shape x_shape
    g_K : ndarray of the shape of K
        Summed over the rows, as :func:`conv2d_grads`.
    g_b : ndarray of shape (C_out,)
    """
    C_out, _ = _check_kernel(K, x_shape[1] if len(x_shape) == 4 else None)
    rows = _rows(delta, C_out)                                      # (n*Ho*Wo, C_out), once
    g_K, g_b = _grads(rows, delta, cols, K.shape, backend)
    return _backward_input(rows, K, x_shape, stride, padding, backend), g_K, g_b


def _backward_input(rows, K, x_shape, stride, padding, backend):
    """``col2im(delta_rows @ K2)``; ``rows`` from :func:`_rows`.

    Done for a few whole images at a time (with either backend), so that each block of
    ``delta_rows @ K2`` (as large as ``cols``: ``k*k`` numbers per input pixel and channel)
    is added back while it is in cache instead of going to memory and back: 1.8x faster
    for the spiking net's second layer (``benchmarks/README.md``). Every entry is the same
    dot product over ``C_out`` as in one product over all rows, and every pixel's patches
    belong to its own image's block, so ``col2im`` adds them in the same order; but BLAS
    may round a few entries differently in the last bit (it splits a product into blocks
    of its own, and the boundaries move), a difference seen in float64, not float32."""
    C_out, k = K.shape[0], K.shape[2]
    n = x_shape[0]
    per_image = rows.shape[0] // n                                  # Ho * Wo rows per image
    K2T = K.reshape(C_out, -1).T                                    # (C_in*k*k, C_out)
    entries = per_image * K2T.shape[0]                              # of delta_rows @ K2, per image
    step = max(_TILE_ENTRIES // max(1, entries), -(-_TILE_FLOP // max(1, entries * C_out)))
    if 2 * step > n:
        d_cols = (K2T @ rows.T).T                                   # rows @ K2, column-major for col2im
        return col2im(d_cols, x_shape, k, stride, padding, backend)  # dense: W^T delta
    dx = np.empty(tuple(x_shape), rows.dtype)
    for b0 in range(0, n - step + 1, step):
        b1 = b0 + step if n - b0 >= 2 * step else n                 # the last block takes the rest
        d_cols = (K2T @ rows[b0 * per_image:b1 * per_image].T).T    # this block's rows @ K2
        dx[b0:b1] = col2im(d_cols, (b1 - b0, *x_shape[1:]), k, stride, padding, backend)
    return dx


#: Blocks of :func:`_backward_input`: about 2**18 entries of ``delta_rows @ K2`` (1 MB in
#: float32, small enough to stay in a core's L2 cache until ``col2im`` has added it back),
#: and never fewer than 2**22 multiply-adds, so that BLAS runs every block with the kernels
#: it uses for large products (OpenBLAS has "small matrix" kernels below about 10**6).
_TILE_ENTRIES, _TILE_FLOP = 1 << 18, 1 << 22


def _grads(rows, delta, cols, kernel_shape, backend="numba"):
    """``g_K = delta_rows.T @ cols`` and ``g_b``, sums; ``rows`` from :func:`_rows`."""
    if cols.shape != (rows.shape[0], int(np.prod(kernel_shape[1:]))):
        raise ValueError(f"cols of shape {cols.shape} do not match delta {delta.shape} and "
                         f"kernel {tuple(kernel_shape)}")
    g_K = (cols.T @ rows).T.reshape(kernel_shape)                   # rows.T @ cols: sum over the rows
    g_b = _pick(COL_SUMS, backend)(rows)
    return g_K, g_b


def maxpool2d(x, size=2, backend="numba"):
    """Max pooling over non-overlapping ``size x size`` windows (stride ``size``).

    Rows and columns beyond the last full window are dropped (``Hp = H // size``). Where
    a window holds several maxima (spikes: 0 or 1) the first in row-major order wins, as
    with ``np.argmax``.

    Parameters
    ----------
    x : ndarray of shape (n, C, H, W)
        Any memory layout (the spiking network pools views of channels-last maps).
    size : int
    backend : {"numba", "numpy"}

    Returns
    -------
    out : ndarray of shape (n, C, Hp, Wp)
    idx : ndarray of int64, shape (n, C, Hp, Wp)
        Where each maximum sits: its flat index ``h * W + w`` in its ``(H, W)`` map, so that
        ``out == x.reshape(n, C, H*W)`` taken at ``idx``.
    """
    n, C, H, W = _check_image(x)
    if int(size) != size or size < 1:
        raise ValueError(f"pool size must be an integer >= 1, got {size!r}")
    if size > min(H, W):
        raise ValueError(f"pool size {size} is larger than the {H}x{W} maps")
    size = int(size)
    out = np.empty((n, C, H // size, W // size), x.dtype)
    idx = np.empty(out.shape, np.int64)
    _pick(MAXPOOL, backend)(x, size, out, idx)
    return out, idx


def empty_channels_last(shape, dtype):
    """An uninitialised ``(n, C, H, W)`` array stored channels last (``(n, H, W, C)`` memory).

    The layout :func:`conv2d` returns its maps in. A ``delta`` in this layout turns into the
    row matrix of :func:`conv2d_backward` and :func:`conv2d_grads` without a copy (a
    C-contiguous one is transposed first: 0.8 ms of a 10 ms MNIST conv layer,
    ``benchmarks/README.md``); pass it as ``out`` of :func:`maxpool2d_backward`.
    """
    n, C, H, W = shape
    return np.empty((n, H, W, C), dtype).transpose(0, 3, 1, 2)


def maxpool2d_backward(dout, idx, x_shape, out=None, backend="numba"):
    """Route ``dout = dJ/dout`` to the maxima: ``dJ/dx`` is zero except at ``idx``.

    Parameters
    ----------
    dout : ndarray of shape (n, C, Hp, Wp)
    idx : ndarray of shape (n, C, Hp, Wp)
        From :func:`maxpool2d`.
    x_shape : tuple (n, C, H, W)
    out : ndarray of shape x_shape, optional
        Written in full (zeros and the routed entries), in whatever memory layout it has;
        default: a new C-contiguous array.
    backend : {"numba", "numpy"}

    Returns
    -------
    ndarray of shape x_shape, dtype of ``dout`` (``out`` if given)
    """
    if dout.shape != idx.shape or len(x_shape) != 4 or tuple(x_shape[:2]) != dout.shape[:2]:
        raise ValueError(f"dout {dout.shape}, idx {idx.shape} and x_shape {tuple(x_shape)} "
                         f"do not belong to one pooling")
    if out is None:
        out = np.empty(tuple(x_shape), dout.dtype)
    elif out.shape != tuple(x_shape):
        raise ValueError(f"out must have shape {tuple(x_shape)}, got {out.shape}")
    _pick(UNPOOL, backend)(dout, idx, out)
    return out


# ----------------------------------------------------- NumPy twins: the readable form
# Each fills its last argument(s); the Numba kernel below it takes the same arguments.
def _im2col_numpy(x, stride, padding, cols_T):
    """``cols_T[c, i, j, n, ho, wo] = x_pad[n, c, stride*ho + i, stride*wo + j]``."""
    C, k, _, n, Ho, Wo = cols_T.shape
    p = padding
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))) if p else x   # (n, C, H+2p, W+2p)
    win = sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]   # (n, C, Ho, Wo, k, k), a view
    # row-major cols would be win.transpose(0, 2, 3, 1, 4, 5).reshape(n*Ho*Wo, C*k*k); the
    # same matrix, built as the transpose of (C, k, k, n, Ho, Wo):
    cols_T[...] = win.transpose(1, 4, 5, 0, 2, 3)


def _col2im_numpy(c, stride, padding, out):
    """``out[n, c, y, x] = sum`` of ``c[c, i, j, n, ho, wo]`` over the ``(i, j, ho, wo)`` with
    ``stride*ho + i - padding = y``, ``stride*wo + j - padding = x``, added in ``(i, j)`` order."""
    C, k, _, n, Ho, Wo = c.shape
    H, W = out.shape[2:]
    p, s = padding, stride
    xp = np.zeros((C, n, H + 2 * p, W + 2 * p), out.dtype)  # channels first: contiguous adds
    for i in range(k):                 # k*k strided adds, one per kernel offset (not per pixel)
        for j in range(k):
            xp[:, :, i:i + s * Ho:s, j:j + s * Wo:s] += c[:, i, j]        # offset (i, j) of every patch
    out[...] = xp.transpose(1, 0, 2, 3)[:, :, p:p + H, p:p + W]           # (n, C, H, W), padding dropped


def _maxpool_numpy(x, size, out, idx):
    """Window maxima and their flat positions ``h * W + w`` (first maximum, as np.argmax)."""
    n, C, H, W = x.shape
    Hp, Wp = out.shape[2:]
    win = (x[:, :, :Hp * size, :Wp * size].reshape(n, C, Hp, size, Wp, size)
           .transpose(0, 1, 2, 4, 3, 5).reshape(n, C, Hp, Wp, size * size))   # one window per row
    pos = win.argmax(axis=-1)                                       # (n, C, Hp, Wp), in-window position
    rows = np.arange(Hp)[:, None] * size + pos // size              # h of each maximum
    cols = np.arange(Wp)[None, :] * size + pos % size               # w of each maximum
    idx[...] = rows * W + cols                                      # (n, C, Hp, Wp)
    out[...] = np.take_along_axis(win, pos[..., None], axis=-1)[..., 0]


def _add_bias_numpy(a, b):
    """``a += b`` on every row of ``a`` ``(rows, C)``."""
    a += b


def _col_sums_numpy(rows):
    """``rows.sum(axis=0)``: for a row-major ``rows`` NumPy adds the rows one after the
    other into the ``C`` sums (no pairwise summation across rows)."""
    return rows.sum(axis=0)


def _unpool_numpy(dout, idx, out):
    """``out`` zero but ``out[n, c, idx // W, idx % W] = dout`` (the windows do not overlap)."""
    n, C, H, W = out.shape
    dx = np.zeros((n, C, H * W), dout.dtype)
    np.put_along_axis(dx, idx.reshape(n, C, -1), dout.reshape(n, C, -1), axis=2)
    out[...] = dx.reshape(out.shape)


# ------------------------------------------------ Numba kernels: the same, loop by loop
# No fastmath: the same roundings as the twins. Serial and GIL-free (nogil): the parallelism
# is over rows, two halves of a batch in two threads (nplearn.rules.halves); prange marks
# the loop whose iterations are independent (in a serial kernel it is range). The kernels index C-contiguous arrays through flat views with unsigned offsets (no
# negative-index checks, so the inner loops vectorise: 2-4x faster), and never divide per
# element. Each wrapper below hands a kernel contiguous arrays (a copy if need be).
_kernel = njit(cache=True, nogil=True, error_model="numpy")


@_kernel
def _im2col_kernel(x, stride, padding, cols_T):
    C, k, _, n, Ho, Wo = cols_T.shape
    H, W = x.shape[2], x.shape[3]
    xf, of = x.reshape(-1), cols_T.reshape(-1)
    for q in prange(C * k * k * n):                                  # one (c, i, j, n) plane each
        c, i, j, b = q // (k * k * n), q // (k * n) % k, q // n % k, q % n
        lo = min(Wo, max(0, -((j - padding) // stride)))             # first wo inside the image
        hi = max(lo, min(Wo, (W - 1 + padding - j) // stride + 1))   # one past the last
        for ho in range(Ho):
            y = stride * ho + i - padding
            d = np.uint64((q * Ho + ho) * Wo)                          # cols_T[c, i, j, b, ho, 0]
            if y < 0 or y >= H:
                for wo in range(np.uint64(Wo)):
                    of[d + wo] = 0
                continue
            s = np.uint64((b * C + c) * H * W + y * W + lo * stride + j - padding)   # x[b, c, y, .]
            for wo in range(np.uint64(lo)):
                of[d + wo] = 0
            d0 = d + np.uint64(lo)
            if stride == 1:
                for m in range(np.uint64(hi - lo)):
                    of[d0 + m] = xf[s + m]
            else:
                st = np.uint64(stride)
                for m in range(np.uint64(hi - lo)):
                    of[d0 + m] = xf[s + st * m]
            for wo in range(np.uint64(hi), np.uint64(Wo)):
                of[d + wo] = 0


def _im2col_numba(x, stride, padding, cols_T):
    _im2col_kernel(np.ascontiguousarray(x), stride, padding, cols_T)


@_kernel
def _col2im_kernel(c, stride, padding, out):
    C, k, _, n, Ho, Wo = c.shape
    H, W = out.shape[2], out.shape[3]
    cf, of = c.reshape(-1), out.reshape(-1)
    for q in prange(n * C):                                          # one (n, c) map each
        b, ch = q // C, q % C
        base = np.uint64(q * H * W)
        for m in range(np.uint64(H * W)):
            of[base + m] = 0
        for i in range(k):
            for j in range(k):                                       # offset (i, j): the twin's order
                lo = min(Wo, max(0, -((j - padding) // stride)))
                hi = max(lo, min(Wo, (W - 1 + padding - j) // stride + 1))
                for ho in range(Ho):
                    y = stride * ho + i - padding
                    if y < 0 or y >= H:
                        continue
                    d = base + np.uint64(y * W + lo * stride + j - padding)
                    s = np.uint64(((((ch * k + i) * k + j) * n + b) * Ho + ho) * Wo + lo)
                    if stride == 1:
                        for m in range(np.uint64(hi - lo)):
                            of[d + m] += cf[s + m]
                    else:
                        st = np.uint64(stride)
                        for m in range(np.uint64(hi - lo)):
                            of[d + st * m] += cf[s + m]


def _col2im_numba(c, stride, padding, out):
    dst = out if out.flags.c_contiguous else np.empty(out.shape, out.dtype)
    _col2im_kernel(np.ascontiguousarray(c), stride, padding, dst)
    if dst is not out:
        out[...] = dst


@_kernel
def _maxpool_nchw(x, size, out, idx):
    n, C, Hp, Wp = out.shape
    H, W = x.shape[2], x.shape[3]
    xf, of, jf = x.reshape(-1), out.reshape(-1), idx.reshape(-1)
    for q in prange(n * C):                                          # one (n, c) map each
        src, dst = np.uint64(q * H * W), np.uint64(q * Hp * Wp)
        for r in range(Hp):
            for s in range(Wp):
                k0 = np.uint64(r * size * W + s * size)              # flat h * W + w in the map
                best, at = xf[src + k0], k0
                for di in range(size):
                    for dj in range(size):
                        k = k0 + np.uint64(di * W + dj)
                        v = xf[src + k]
                        take = (v > best) | (np.isnan(v) & ~np.isnan(best))   # argmax: first max, NaN wins
                        best = v if take else best
                        at = k if take else at
                o = dst + np.uint64(r * Wp + s)
                of[o], jf[o] = best, at


@_kernel
def _maxpool_nhwc(xh, size, out, idx):
    n, C, Hp, Wp = out.shape                                         # xh: (n, H, W, C), channels last
    H, W = xh.shape[1], xh.shape[2]
    xf, of, jf = xh.reshape(-1), out.reshape(-1), idx.reshape(-1)
    for b in prange(n):
        best = np.empty(C, xh.dtype)                                 # the C maps of one window
        at = np.empty(C, np.int64)
        for r in range(Hp):
            for s in range(Wp):
                k0 = r * size * W + s * size
                src = np.uint64((b * H * W + k0) * C)
                for ch in range(np.uint64(C)):
                    best[ch], at[ch] = xf[src + ch], k0
                for di in range(size):
                    for dj in range(size):
                        k = k0 + di * W + dj
                        src = np.uint64((b * H * W + k) * C)
                        for ch in range(np.uint64(C)):
                            v = xf[src + ch]
                            take = (v > best[ch]) | (np.isnan(v) & ~np.isnan(best[ch]))
                            best[ch] = v if take else best[ch]
                            at[ch] = k if take else at[ch]
                dst = np.uint64(b * C * Hp * Wp + r * Wp + s)
                for ch in range(np.uint64(C)):
                    o = dst + ch * np.uint64(Hp * Wp)
                    of[o], jf[o] = best[ch], at[ch]


@_kernel
def _maxpool2_nhwc(xh, out, idx):
    """:func:`_maxpool_nhwc` for 2x2 windows (the default pool): each image's windows are
    worked out channels last (contiguous, vectorised over the channels) into two buffers,
    then written out channels first; the same comparisons in the same order."""
    n, C, Hp, Wp = out.shape                                         # xh: (n, H, W, C)
    H, W = xh.shape[1], xh.shape[2]
    xf, of, jf = xh.reshape(-1), out.reshape(-1), idx.reshape(-1)
    P, uC = np.uint64(Hp * Wp), np.uint64(C)
    one, dW, dW1 = np.int32(1), np.int32(W), np.int32(W + 1)
    for b in prange(n):
        ob = np.empty(Hp * Wp * C, xh.dtype)                         # (Hp, Wp, C)
        ib = np.empty(Hp * Wp * C, np.int32)
        for r in range(Hp):
            for q in range(Wp):
                k0 = np.int32(2 * r * W + 2 * q)                     # flat h * W + w
                s0 = np.uint64((b * H * W + k0) * C)
                s1, s2 = s0 + uC, s0 + np.uint64(W * C)
                s3, w = s2 + uC, np.uint64((r * Wp + q) * C)
                for ch in range(uC):                                 # row-major: k0, +1, +W, +W+1
                    best, at = xf[s0 + ch], k0
                    v = xf[s1 + ch]
                    take = (v > best) | ((v != v) & (best == best))     # argmax: first max, NaN wins
                    best = v if take else best
                    at = k0 + one if take else at
                    v = xf[s2 + ch]
                    take = (v > best) | ((v != v) & (best == best))
                    best = v if take else best
                    at = k0 + dW if take else at
                    v = xf[s3 + ch]
                    take = (v > best) | ((v != v) & (best == best))
                    best = v if take else best
                    at = k0 + dW1 if take else at
                    ob[w + ch], ib[w + ch] = best, at
        base = np.uint64(b) * uC * P
        for ch in range(uC):                                         # to channels first
            for p in range(P):
                of[base + ch * P + p] = ob[p * uC + ch]
                jf[base + ch * P + p] = ib[p * uC + ch]


def _maxpool_numba(x, size, out, idx):
    """The kernel for the memory order of ``x`` (channels first or last); ``out``, ``idx`` are
    C-contiguous (as :func:`maxpool2d` makes them)."""
    xh = x.transpose(0, 2, 3, 1)
    if xh.flags.c_contiguous and not x.flags.c_contiguous:
        if size == 2:
            _maxpool2_nhwc(xh, out, idx)
        else:
            _maxpool_nhwc(xh, size, out, idx)
    else:
        _maxpool_nchw(np.ascontiguousarray(x), size, out, idx)


@_kernel
def _unpool_nchw(dout, idx, out):
    n, C, H, W = out.shape
    P = dout.shape[2] * dout.shape[3]
    df, jf, of = dout.reshape(-1), idx.reshape(-1), out.reshape(-1)
    for q in prange(n * C):
        base, src = np.uint64(q * H * W), np.uint64(q * P)
        for m in range(np.uint64(H * W)):
            of[base + m] = 0
        for m in range(np.uint64(P)):
            of[base + np.uint64(jf[src + m])] = df[src + m]


@_kernel
def _unpool_nhwc(dout, idx, out_h):
    n, H, W, C = out_h.shape                                         # channels last
    P = dout.shape[2] * dout.shape[3]
    df, jf, of = dout.reshape(-1), idx.reshape(-1), out_h.reshape(-1)
    for b in prange(n):
        base = np.uint64(b * H * W * C)
        for m in range(np.uint64(H * W * C)):
            of[base + m] = 0
        for ch in range(C):
            src = np.uint64((b * C + ch) * P)
            for m in range(np.uint64(P)):
                of[base + np.uint64(jf[src + m]) * np.uint64(C) + np.uint64(ch)] = df[src + m]


def _unpool_numba(dout, idx, out):
    """The kernel for the memory order of ``out`` (channels first or last)."""
    dout, idx = np.ascontiguousarray(dout), np.ascontiguousarray(idx)
    if out.flags.c_contiguous:
        _unpool_nchw(dout, idx, out)
    elif out.transpose(0, 2, 3, 1).flags.c_contiguous:
        _unpool_nhwc(dout, idx, out.transpose(0, 2, 3, 1))
    else:
        tmp = np.empty(out.shape, out.dtype)
        _unpool_nchw(dout, idx, tmp)
        out[...] = tmp


@_kernel
def _add_bias_kernel(a, b):
    R, C = a.shape
    af = a.reshape(-1)
    n_chunks = (R + 255) // 256
    for job in prange(n_chunks):                                     # 256 rows each
        for r in range(job * 256, min(R, job * 256 + 256)):
            base = np.uint64(r * C)
            for c in range(np.uint64(C)):
                af[base + c] += b[c]


@njit(cache=True, nogil=True, error_model="numpy")
def _col_sums_kernel(a, out):
    R, C = a.shape
    af = a.reshape(-1)
    for c in range(C):
        out[c] = 0
    for r in range(R):                                               # row after row, as NumPy
        base = np.uint64(r * C)
        for c in range(np.uint64(C)):
            out[c] += af[base + c]


def _col_sums_numba(rows):
    """The twin's sums, 4-6x faster (NumPy's reduction over the outer axis runs one short
    inner loop per row); a column-major ``rows`` (NumPy sums it pairwise) goes to NumPy."""
    if not rows.flags.c_contiguous or rows.flags.f_contiguous:
        return rows.sum(axis=0)
    out = np.empty(rows.shape[1], rows.dtype)
    _col_sums_kernel(rows, out)
    return out


def _add_bias_numba(a, b):
    if a.flags.c_contiguous:
        _add_bias_kernel(a, b)
    else:
        a += b


ADD_BIAS = {"numpy": _add_bias_numpy, "numba": _add_bias_numba}
COL_SUMS = {"numpy": _col_sums_numpy, "numba": _col_sums_numba}
IM2COL = {"numpy": _im2col_numpy, "numba": _im2col_numba}
COL2IM = {"numpy": _col2im_numpy, "numba": _col2im_numba}
MAXPOOL = {"numpy": _maxpool_numpy, "numba": _maxpool_numba}
UNPOOL = {"numpy": _unpool_numpy, "numba": _unpool_numba}


def _pick(kernels, backend):
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    return kernels[backend]


def _check_image(x):
    if np.ndim(x) != 4:
        raise ValueError(f"images must be 4-D (n, channels, height, width), got shape "
                         f"{np.shape(x)}")
    return x.shape


def _check_kernel(K, C_in=None):
    if np.ndim(K) != 4 or K.shape[2] != K.shape[3]:
        raise ValueError(f"kernels must be 4-D (C_out, C_in, k, k) with square k x k, got "
                         f"shape {np.shape(K)}")
    if C_in is not None and K.shape[1] != C_in:
        raise ValueError(f"channel mismatch: the kernels expect {K.shape[1]} input channels, "
                         f"the images have {C_in}")
    return K.shape[0], K.shape[2]


def _rows(delta, C_out):
    """``(n, C_out, Ho, Wo)`` -> ``(n*Ho*Wo, C_out)``, rows in the order of ``cols``.

    Built column-major, as the transpose of the ``(C_out, n*Ho*Wo)`` maps (a cheaper copy
    than ``delta.transpose(0, 2, 3, 1).reshape(-1, C_out)``, the same matrix).
    """
    if np.ndim(delta) != 4 or delta.shape[1] != C_out:
        raise ValueError(f"delta must have shape (n, {C_out}, Ho, Wo), got {np.shape(delta)}")
    return delta.transpose(1, 0, 2, 3).reshape(C_out, -1).T
