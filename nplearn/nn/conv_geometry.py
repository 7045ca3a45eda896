"""What every network with conv blocks shares: layer specs, map shapes, initial weights, input rows.

Used by :class:`~nplearn.nn.ConvNet`, sigprop's ``SigpropNet`` and the spiking
``SpikingConvNet``. A conv block is conv -> non-linearity -> ``pool x pool`` max pooling;
``image_shapes[l]`` is the image that layer ``l``'s output ``h_l`` flattens (after pooling),
``conv_shapes[l]`` the shape of its pre-activation maps ``a_l`` (before pooling).
"""
import numpy as np

from .conv import conv_output_size


def conv_spec(c, l):
    """``(channels, kernel, stride[, padding])`` -> ``(channels, kernel, stride, padding)``."""
    c = tuple(c)
    if len(c) == 3:
        c = c + (0,)
    if len(c) != 4 or any(int(v) != v for v in c):
        raise ValueError(f"conv layer {l}: give (channels, kernel, stride) or (channels, "
                         f"kernel, stride, padding) as integers, got {c}")
    C, k, s, p = (int(v) for v in c)
    if C < 1 or k < 1 or s < 1 or p < 0:
        raise ValueError(f"conv layer {l}: channels, kernel and stride must be >= 1 and "
                         f"padding >= 0, got {c}")
    return C, k, s, p


def image_shape_for(n_features, image_shape=None, square_if_none=True):
    """``(C, H, W)`` of flat rows of ``n_features`` inputs: ``image_shape`` checked against
    ``n_features``, or, if it is ``None`` and ``square_if_none``, a square single-channel image.

    Raises
    ------
    ValueError
        ``image_shape`` is not three sizes whose product is ``n_features``; or it is ``None``
        and either ``square_if_none`` is off or ``n_features`` is not a square.
    """
    n_features = int(n_features)
    if image_shape is None:
        side = int(round(np.sqrt(n_features)))
        if not square_if_none or side * side != n_features:
            raise ValueError(f"conv layers need image_shape=(channels, height, width) for "
                             f"{n_features} input features")
        return (1, side, side)
    shape = tuple(int(s) for s in image_shape)
    if len(shape) != 3 or int(np.prod(shape)) != n_features:
        raise ValueError(f"image_shape {shape} has {int(np.prod(shape))} pixels, the input has "
                         f"{n_features} features; give (channels, height, width) with that "
                         f"product")
    return shape


def conv_geometry(image_shape, conv, pool):
    """Check the conv blocks and work out their shapes.

    Parameters
    ----------
    image_shape : tuple of int
        ``(C, H, W)`` of the input.
    conv : sequence of tuple
        ``(channels, kernel, stride[, padding])`` per conv layer.
    pool : int
        Max-pooling size after each conv layer (1: none).

    Returns
    -------
    conv : tuple of (C, k, stride, padding)
    conv_shapes : list
        ``[None, (C_1, Ho_1, Wo_1), ...]``, the maps before pooling.
    image_shapes : list
        ``[image_shape, (C_1, Ho_1 // pool, Wo_1 // pool), ...]``, after pooling.
    """
    image_shape = tuple(int(s) for s in image_shape)
    if len(image_shape) != 3 or min(image_shape) < 1:
        raise ValueError(f"image_shape must be (channels, height, width), positive, "
                         f"got {image_shape}")
    if int(pool) != pool or pool < 1:
        raise ValueError(f"pool must be an integer >= 1 (1 = no pooling), got {pool!r}")
    conv = tuple(conv_spec(c, l) for l, c in enumerate(conv, 1))
    image_shapes, conv_shapes = [image_shape], [None]
    for l, (C, k, s, p) in enumerate(conv, 1):
        _, H, W = image_shapes[-1]
        try:
            Ho, Wo = conv_output_size(H, k, s, p), conv_output_size(W, k, s, p)
        except ValueError as err:
            raise ValueError(f"conv layer {l} on {H}x{W} maps: {err}") from None
        if Ho < pool or Wo < pool:
            raise ValueError(f"conv layer {l} outputs {Ho}x{Wo} maps, smaller than the "
                             f"{pool}x{pool} pooling window")
        conv_shapes.append((C, Ho, Wo))
        image_shapes.append((C, Ho // pool, Wo // pool))
    return conv, conv_shapes, image_shapes


def init_params(sizes, conv, image_shapes, init, rng, dtype):
    """``{"W1": ..., "b1": ..., ...}``: 4-D kernels for the first ``len(conv)`` layers (fan-in
    ``C_in k k``), ``(n_l, n_{l-1})`` matrices after them, from the initialiser ``init``."""
    params = {}
    for l in range(1, len(sizes)):
        if l <= len(conv):
            C_out, k, _, _ = conv[l - 1]
            C_in = image_shapes[l - 1][0]
            K2, b = init(C_out, C_in * k * k, rng, dtype)               # fan-in C_in k k
            params[f"W{l}"], params[f"b{l}"] = K2.reshape(C_out, C_in, k, k), b
        else:
            params[f"W{l}"], params[f"b{l}"] = init(sizes[l], sizes[l - 1], rng, dtype)
    return params


def as_rows(x, image_shape, n_0):
    """``x`` as ``(n, n_0)`` rows, from rows or from ``(n, C, H, W)`` images."""
    x = np.asarray(x)
    if x.ndim == 4 and image_shape is not None and x.shape[1:] == tuple(image_shape):
        return x.reshape(x.shape[0], -1)
    if x.ndim == 2 and x.shape[1] == n_0:
        return x
    shape = f" or (n, *{tuple(image_shape)})" if image_shape is not None else ""
    raise ValueError(f"x must have shape (n, {n_0}){shape}, got {x.shape}")
