"""One conv layer's geometry and linear algebra, on flat rows, for every network with conv layers.

A conv block is ``conv -> f -> max pool``; the non-linearity (or the IF neurons) is the
network's own, the rest is the same in :class:`~nplearn.nn.ConvNet`,
:class:`~nplearn.rules.sigprop_net.SigpropNet` and :class:`~nplearn.snn.SpikingConvNet`:

    a     = conv(x, K) + b             (N, C, Ho, Wo)   :meth:`ConvBlock.current`
    h     = flatten(maxpool(c))        (N, n_l)         :meth:`ConvBlock.pool_flat`, c = f(a)
    dJ/dc = unpool(dJ/dh)              (N, C, Ho, Wo)   :meth:`ConvBlock.unpool`
    dJ/dx = conv^T(delta, M)           (N, n_{l-1})     :meth:`ConvBlock.back_input`
    g_K, g_b, summed over the rows                      :meth:`ConvBlock.grads`

``N`` counts rows, whatever they are (examples, ``T`` steps of ``n`` examples, inputs and
targets); inputs and outputs are flat ``(N, n)`` vectors, ``x`` of ``in_shape``, ``h`` of
``out_shape``. The maps ``a`` and an un-pooled gradient are ``(N, C, Ho, Wo)`` views of
channels-last memory, the layout the im2col product writes and the update reads without a
copy (:func:`~nplearn.nn.conv.empty_channels_last`); without pooling the un-pooled gradient
is the flat one reshaped. The matrix forms are in :mod:`nplearn.nn.conv`.
"""
from .conv import (conv2d, conv2d_backward_input, conv2d_grads, empty_channels_last, maxpool2d,
                   maxpool2d_backward)


class ConvBlock:
    """Geometry of one conv layer and the products on it (module docstring).

    Parameters
    ----------
    spec : tuple (C, k, stride, padding)
    in_shape : tuple (C_in, H, W)
        The image the flat input holds.
    conv_shape : tuple (C, Ho, Wo)
        The maps before pooling.
    out_shape : tuple (C, Hp, Wp)
        The image the flat output holds (``conv_shape`` if ``pool == 1``).
    pool : int
        Max-pooling size and stride; 1: none.
    """

    def __init__(self, spec, in_shape, conv_shape, out_shape, pool):
        self.C, self.k, self.stride, self.padding = (int(v) for v in spec)
        self.in_shape, self.conv_shape, self.out_shape = tuple(in_shape), tuple(conv_shape), tuple(out_shape)
        self.pool = int(pool)

    @property
    def kernel_shape(self):
        """``(C, C_in, k, k)``, the shape of ``K``."""
        return (self.C, self.in_shape[0], self.k, self.k)

    def current(self, x, K, b, backend="numba"):
        """``a = conv(x, K) + b`` from flat ``x`` ``(N, n_{l-1})``: ``(a, cols)`` of
        :func:`~nplearn.nn.conv2d`, ``a`` of shape ``(N, C, Ho, Wo)`` (channels last)."""
        return conv2d(x.reshape(x.shape[0], *self.in_shape), K, b, self.stride, self.padding,
                      backend)

    def pool_flat(self, c, backend="numba"):
        """Max-pool maps ``(N, C, Ho, Wo)`` to flat ``(N, n_l)``; return it and the argmax
        (``None`` without pooling, the output then a flat view of ``c``)."""
        if self.pool == 1:
            return c.reshape(c.shape[0], -1), None
        out, idx = maxpool2d(c, self.pool, backend)
        return out.reshape(c.shape[0], -1), idx

    def unpool(self, dh, idx, backend="numba"):
        """Adjoint of :meth:`pool_flat`: flat ``(N, n_l)`` to ``(N, C, Ho, Wo)``, each entry
        routed to its maximum, channels last (without pooling: ``dh`` reshaped)."""
        d = dh.reshape(dh.shape[0], *self.out_shape)                # (N, C, Hp, Wp)
        if idx is None:
            return d
        shape = (dh.shape[0], *self.conv_shape)
        return maxpool2d_backward(d, idx, shape, out=empty_channels_last(shape, d.dtype),
                                  backend=backend)

    def back_input(self, delta, M, backend="numba"):
        """``M^T delta``: the transposed convolution of ``delta`` ``(N, C, Ho, Wo)`` with a
        kernel ``M`` of ``K``'s shape, flat ``(N, n_{l-1})``."""
        N = delta.shape[0]
        dx = conv2d_backward_input(delta, M, (N, *self.in_shape), self.stride, self.padding,
                                   backend)
        return dx.reshape(N, -1)

    def grads(self, delta, cols, backend="numba"):
        """``(g_K, g_b)`` SUMMED over the ``N`` rows (:func:`~nplearn.nn.conv2d_grads`);
        ``cols`` from :meth:`current`."""
        return conv2d_grads(delta, cols, self.kernel_shape, backend)
