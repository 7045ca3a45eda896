"""Convolution and max pooling written as matrix products (im2col), batch-first.

A convolution is one dense layer applied to every ``k x k`` patch of the image. ``im2col``
("image to columns") copies each patch, across all input channels, into one ROW of a
matrix; the convolution is then ONE matrix product, with the kernels as the rows of ``K2``:

    cols  = im2col(x)                   (n*Ho*Wo, C_in*k*k)   one row per output pixel
    a     = cols @ K2.T + b             (n*Ho*Wo, C_out)      K2 = K.reshape(C_out, -1)

exactly the dense ``a = h @ W.T + b`` (DFA Eq. 1-3) with ``cols`` for ``h`` and ``K2`` for
``W``. The backward pass is two more products, the dense ones with the same stand-ins:

    dJ/dx = col2im(delta_rows @ K2)     (n, C_in, H, W)       dense: ``delta @ W``
    g_K   = delta_rows.T @ cols / n     (C_out, C_in*k*k)     dense: ``delta.T @ h / n``

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
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


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


def im2col(x, k, stride=1, padding=0):
    """Every ``k x k`` patch of ``x`` as one row: the patch matrix of a convolution.

    Parameters
    ----------
    x : ndarray of shape (n, C, H, W)
    k, stride, padding : int
        Kernel size (square), stride and zero padding on each side.

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
    p = padding
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))) if p else x   # (n, C, H+2p, W+2p)
    win = sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]   # (n, C, Ho, Wo, k, k), a view
    # row-major would be win.transpose(0, 2, 3, 1, 4, 5).reshape(n*Ho*Wo, C*k*k); the same
    # matrix, built as the transpose of (C, k, k, n, Ho, Wo):
    cols_T = np.ascontiguousarray(win.transpose(1, 4, 5, 0, 2, 3))    # (C, k, k, n, Ho, Wo), the one copy
    return cols_T.reshape(C * k * k, n * Ho * Wo).T                   # (n*Ho*Wo, C*k*k)


def col2im(cols, x_shape, k, stride=1, padding=0):
    """The adjoint of :func:`im2col`: add each patch row back onto the pixels it came from.

    ``<im2col(x), cols> == <x, col2im(cols)>`` for all ``x`` and ``cols``; where patches
    overlap (``stride < k``) their entries are summed. ``col2im(im2col(x))`` is therefore
    ``x`` times the number of patches covering each pixel, not ``x``.

    Parameters
    ----------
    cols : ndarray of shape (n*Ho*Wo, C*k*k)
    x_shape : tuple (n, C, H, W)
        Shape of the image the patches were taken from.
    k, stride, padding : int

    Returns
    -------
    ndarray of shape x_shape, dtype of ``cols``
    """
    if len(x_shape) != 4:
        raise ValueError(f"x_shape must be (n, C, H, W), got {tuple(x_shape)}")
    n, C, H, W = x_shape
    Ho, Wo = conv_output_size(H, k, stride, padding), conv_output_size(W, k, stride, padding)
    if cols.shape != (n * Ho * Wo, C * k * k):
        raise ValueError(f"cols must have shape {(n * Ho * Wo, C * k * k)} for x_shape "
                         f"{tuple(x_shape)}, k={k}, stride={stride}, padding={padding}; "
                         f"got {cols.shape}")
    p, s = padding, stride
    # entry (c, i, j) of every patch; a view if cols is column-major (as from im2col)
    c = cols.T.reshape(C, k, k, n, Ho, Wo)
    xp = np.zeros((C, n, H + 2 * p, W + 2 * p), cols.dtype)  # channels first: contiguous adds
    for i in range(k):                 # k*k strided adds, one per kernel offset (not per pixel)
        for j in range(k):
            xp[:, :, i:i + s * Ho:s, j:j + s * Wo:s] += c[:, i, j]        # offset (i, j) of every patch
    return xp.transpose(1, 0, 2, 3)[:, :, p:p + H, p:p + W]               # (n, C, H, W), padding dropped


def conv2d(x, K, b, stride=1, padding=0):
    """Convolution layer, forward: ``a = cols @ K2.T + b`` reshaped to maps.

    Parameters
    ----------
    x : ndarray of shape (n, C_in, H, W)
    K : ndarray of shape (C_out, C_in, k, k)
    b : ndarray of shape (C_out,)
    stride, padding : int

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
    cols = im2col(x, k, stride, padding)                            # (n*Ho*Wo, C_in*k*k)
    a = cols @ K.reshape(C_out, -1).T                               # (n*Ho*Wo, C_out): a = W h + b per patch,
    a += b                                                          # + b in place (a new array costs 2x the GEMM)
    Ho, Wo = conv_output_size(H, k, stride, padding), conv_output_size(W, k, stride, padding)
    return a.reshape(n, Ho, Wo, C_out).transpose(0, 3, 1, 2), cols  # (n, C_out, Ho, Wo)


def conv2d_backward_input(delta, K, x_shape, stride=1, padding=0):
    """``dJ/dx`` from ``delta = dJ/da``: the transposed convolution ``col2im(delta_rows @ K2)``.

    Parameters
    ----------
    delta : ndarray of shape (n, C_out, Ho, Wo)
    K : ndarray of shape (C_out, C_in, k, k)
        The forward kernels for BP, or a feedback kernel of the same shape (FA).
    x_shape : tuple (n, C_in, H, W)
    stride, padding : int

    Returns
    -------
    ndarray of shape x_shape
    """
    C_out, k = _check_kernel(K, x_shape[1] if len(x_shape) == 4 else None)
    rows = _rows(delta, C_out)                                      # (n*Ho*Wo, C_out)
    d_cols = (K.reshape(C_out, -1).T @ rows.T).T                    # rows @ K2, column-major for col2im
    return col2im(d_cols, x_shape, k, stride, padding)              # dense: W^T delta


def conv2d_grads(delta, cols, kernel_shape):
    """Weight and bias updates of a convolution layer, mean over the batch, sum over pixels.

    The dense ``g_W = delta.T @ h / n`` (DFA Eq. 10) with one row per output pixel:
    ``g_K = delta_rows.T @ cols / n``, ``g_b = delta.sum(axis=(0, 2, 3)) / n``. (The code
    forms ``g_K`` as the transpose of ``cols.T @ delta_rows``, the same numbers, because
    that product runs 7-27 % faster on the column-major ``cols``.)

    Parameters
    ----------
    delta : ndarray of shape (n, C_out, Ho, Wo)
        ``dJ/da`` (or a rule's stand-in for it).
    cols : ndarray of shape (n*Ho*Wo, C_in*k*k)
        The patch matrix of the layer's input (:func:`conv2d` returns it).
    kernel_shape : tuple (C_out, C_in, k, k)
        Shape of ``g_K`` (``cols`` alone cannot tell ``C_in`` from ``k``).

    Returns
    -------
    g_K : ndarray of shape kernel_shape
    g_b : ndarray of shape (C_out,)
    """
    n, C_out = delta.shape[0], kernel_shape[0]
    rows = _rows(delta, C_out)                                      # (n*Ho*Wo, C_out)
    if cols.shape != (rows.shape[0], int(np.prod(kernel_shape[1:]))):
        raise ValueError(f"cols of shape {cols.shape} do not match delta {delta.shape} and "
                         f"kernel {tuple(kernel_shape)}")
    g_K = ((cols.T @ rows).T / n).reshape(kernel_shape)             # rows.T @ cols / n: sum over pixels, mean over n
    g_b = rows.sum(axis=0) / n
    return g_K, g_b


def maxpool2d(x, size=2):
    """Max pooling over non-overlapping ``size x size`` windows (stride ``size``).

    Rows and columns beyond the last full window are dropped (``Hp = H // size``).

    Parameters
    ----------
    x : ndarray of shape (n, C, H, W)
    size : int

    Returns
    -------
    out : ndarray of shape (n, C, Hp, Wp)
    idx : ndarray of int, shape (n, C, Hp, Wp)
        Where each maximum sits: its flat index ``h * W + w`` in its ``(H, W)`` map, so that
        ``out == x.reshape(n, C, H*W)`` taken at ``idx``.
    """
    n, C, H, W = _check_image(x)
    if int(size) != size or size < 1:
        raise ValueError(f"pool size must be an integer >= 1, got {size!r}")
    if size > min(H, W):
        raise ValueError(f"pool size {size} is larger than the {H}x{W} maps")
    Hp, Wp = H // size, W // size
    win = (x[:, :, :Hp * size, :Wp * size].reshape(n, C, Hp, size, Wp, size)
           .transpose(0, 1, 2, 4, 3, 5).reshape(n, C, Hp, Wp, size * size))   # one window per row
    pos = win.argmax(axis=-1)                                       # (n, C, Hp, Wp), in-window position
    rows = np.arange(Hp)[:, None] * size + pos // size              # h of each maximum
    cols = np.arange(Wp)[None, :] * size + pos % size               # w of each maximum
    idx = rows * W + cols                                           # (n, C, Hp, Wp)
    out = np.take_along_axis(x.reshape(n, C, H * W), idx.reshape(n, C, -1), axis=2)
    return out.reshape(n, C, Hp, Wp), idx


def maxpool2d_backward(dout, idx, x_shape):
    """Route ``dout = dJ/dout`` to the maxima: ``dJ/dx`` is zero except at ``idx``.

    Parameters
    ----------
    dout : ndarray of shape (n, C, Hp, Wp)
    idx : ndarray of shape (n, C, Hp, Wp)
        From :func:`maxpool2d`.
    x_shape : tuple (n, C, H, W)

    Returns
    -------
    ndarray of shape x_shape, dtype of ``dout``
    """
    if dout.shape != idx.shape or len(x_shape) != 4 or tuple(x_shape[:2]) != dout.shape[:2]:
        raise ValueError(f"dout {dout.shape}, idx {idx.shape} and x_shape {tuple(x_shape)} "
                         f"do not belong to one pooling")
    n, C, H, W = x_shape
    dx = np.zeros((n, C, H * W), dout.dtype)
    np.put_along_axis(dx, idx.reshape(n, C, -1), dout.reshape(n, C, -1), axis=2)  # windows do not overlap
    return dx.reshape(x_shape)


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
