"""A convolutional network: conv blocks, then the fully connected layers of :class:`MLP`.

Layers, indexed from 1 like the papers (``C`` conv layers, ``L`` weight layers in all)::

    x (n, C_0, H_0, W_0)
    l = 1..C:      a_l = conv(h_{l-1}, K_l) + b_l        (n, C_l, Ho_l, Wo_l)   pre-activation
                   f(a_l)                                (n, C_l, Ho_l, Wo_l)   ``conv_h[l]``
                   h_l = flatten(maxpool(f(a_l)))        (n, n_l)               n_l = C_l Hp_l Wp_l
    l = C+1..L-1:  h_l = f(h_{l-1} @ W_l.T + b_l)        (n, n_l)               as in MLP (dropout)
    l = L:         y_hat = f_y(h_{L-1} @ W_L.T + b_L)    (n, n_L)

Every ``h_l`` is kept FLAT, ``(n, n_l)``, so a rule sees the same shapes as in an MLP: DFA's
``B_l`` has shape ``(n_l, n_L)`` with ``n_l`` the pooled size ("the error was injected after
the max-pooling layers", DFA paper Sec. 3). Only ``a_l``, ``f'(a_l)`` and the ``delta_l``
built on them keep the map shape ``(n, C_l, Ho_l, Wo_l)``.

A conv layer's ``W_l`` is the kernel ``K_l`` of shape ``(C_l, C_{l-1}, k, k)`` and ``b_l``
has one bias per map, ``(C_l,)``; the matrix forms are in :mod:`nplearn.nn.conv`, one
layer's geometry and products in :class:`~nplearn.nn.conv_block.ConvBlock`. The three
methods :meth:`ConvNet.back`, :meth:`ConvNet.through_f` and :meth:`ConvNet.grads` (also on
:class:`MLP`) are what the rules call, so BP, FA and DFA are written once for both. The
forward pass is :class:`~nplearn.nn.FeedForward`'s, the one loop of both networks.
"""
import numpy as np

from .conv_geometry import as_rows, conv_geometry
from .dense import FeedForward


class ConvNet(FeedForward):
    """Conv blocks (conv -> f -> max pool), flatten, dense hidden layers, output layer.

    Parameters
    ----------
    image_shape : tuple (C, H, W)
        Shape of one input image.
    conv : sequence of tuples
        One ``(channels, kernel, stride)`` or ``(channels, kernel, stride, padding)`` per
        conv layer (PEPITA Table 2 writes "32,5,1": 32 maps, 5x5 kernels, stride 1);
        ``padding`` defaults to 0.
    hidden_sizes : sequence of int
        Widths of the dense hidden layers after the conv blocks (may be empty).
    n_classes : int
    activation : str or Activation
        ``f``, in the conv and the dense hidden layers.
    loss : str or OutputLoss
    init : str or callable
        Initialiser of :mod:`nplearn.nn.init`; a kernel is drawn as a
        ``(C_out, C_in*k*k)`` matrix (fan-in ``C_in*k*k``) and reshaped.
    dropout : float
        Drop probability of the dense hidden layers (not of conv maps).
    pool : int
        Max-pooling size (and stride) after every conv layer; 1 = no pooling.
    dtype : {"float64", "float32"}
    rng : numpy.random.Generator or int

    Attributes
    ----------
    sizes : tuple of int
        ``(n_0, ..., n_L)``: ``n_0 = C H W``; a conv layer's ``n_l`` counts its units after
        pooling, flattened.
    conv : tuple of (channels, kernel, stride, padding)
    n_conv : int
        Number of conv layers; layers ``1..n_conv`` are conv, the rest dense.
    image_shapes : list
        ``image_shapes[l]`` = ``(C_l, Hp_l, Wp_l)``, the image that ``h_l`` flattens
        (``l = 0..n_conv``; ``image_shapes[0] = image_shape``).
    conv_shapes : list
        ``conv_shapes[l]`` = ``(C_l, Ho_l, Wo_l)``, the shape of ``a_l`` per example
        (``None`` at index 0).
    params : dict
        ``"W1", "b1", ...``: kernels ``(C_l, C_{l-1}, k, k)`` and ``(C_l,)`` biases for the
        conv layers, ``(n_l, n_{l-1})`` and ``(n_l,)`` for the dense ones.
    """

    def __init__(self, image_shape, conv, hidden_sizes, n_classes, activation="relu",
                 loss="softmax_ce", init="he", dropout=0.0, pool=2, dtype="float64", rng=None):
        self.conv, self.conv_shapes, self.image_shapes = conv_geometry(image_shape, conv, pool)
        self.image_shape, self.pool, self.n_conv = self.image_shapes[0], int(pool), len(self.conv)
        sizes = [int(np.prod(s)) for s in self.image_shapes]
        sizes += [int(s) for s in hidden_sizes] + [int(n_classes)]
        self._setup(sizes, activation, loss, init, dropout, dtype, rng, self.conv,
                    self.image_shapes)

    # --- one layer's linear algebra, shared with MLP so that a rule is written once ---
    def back(self, l, delta, M):
        """``M^T delta_l``: the signal that ``delta_l`` sends back to ``h_{l-1}``, flat.

        Dense layer: ``delta @ M`` (DFA Eq. 6 with ``M = W_l``). Conv layer: the transposed
        convolution ``col2im(delta_rows @ M2)`` with ``M`` a kernel of ``W_l``'s shape
        (``W_l`` for BP, FA's feedback kernel), :func:`~nplearn.nn.conv2d_backward_input`.

        Parameters
        ----------
        l : int
        delta : ndarray shaped like ``a[l]``
            ``(n, n_l)`` dense, ``(n, C_l, Ho_l, Wo_l)`` conv.
        M : ndarray of the shape of ``W_l``

        Returns
        -------
        ndarray of shape (n, n_{l-1})
        """
        if not self.is_conv(l):
            return delta @ M
        return self.conv_block(l).back_input(delta, M)           # (n, n_{l-1})

    def through_f(self, l, dh, fwd):
        """``dJ/da_l`` from the signal ``dh`` at ``h_l``: back through pooling, then ``⊙ f'(a_l)``.

        Dense layer: ``dh * f'(a_l)``. Conv layer: ``dh`` (flat, pooled) is un-pooled,
        each entry routed to the maximum it came from
        (:func:`~nplearn.nn.maxpool2d_backward`), then multiplied by ``f'(a_l)``.

        Parameters
        ----------
        l : int
            Hidden layer, 1..L-1.
        dh : ndarray of shape (n, n_l)
        fwd : Forward

        Returns
        -------
        ndarray shaped like ``fwd.a[l]``
        """
        if not self.is_conv(l):
            return dh * fwd.df[l]
        return self.conv_block(l).unpool(dh, fwd.pool_idx[l]) * fwd.df[l]   # channels last, as a_l

    def grads(self, l, delta, fwd):
        """Weight and bias updates of layer ``l``, mean over the batch (DFA Eq. 10).

        Dense: ``g_W = delta^T h_{l-1} / n``, ``g_b = mean(delta)``. Conv:
        ``g_K = delta_rows^T cols / n`` (summed over output pixels), ``g_b`` summed over
        pixels, mean over ``n``: the sums of :func:`~nplearn.nn.conv2d_grads`, divided by
        ``n`` here.

        Parameters
        ----------
        l : int
        delta : ndarray shaped like ``a[l]``
        fwd : Forward
            The pass whose presynaptic input is used: ``fwd.cols[l]`` for a conv layer,
            ``fwd.h[l - 1]`` for a dense one (PEPITA passes its modulated pass).

        Returns
        -------
        g_W : ndarray of the shape of ``W_l``
        g_b : ndarray of the shape of ``b_l``
        """
        if self.is_conv(l):
            g_K, g_b = self.conv_block(l).grads(delta, fwd.cols[l])
            return g_K / delta.shape[0], g_b / delta.shape[0]     # sums over rows -> mean over n
        return (delta / delta.shape[0]).T @ fwd.h[l - 1], delta.mean(axis=0)

    def _flat(self, x):
        """``x`` as rows ``(n, n_0)``, from rows or ``(n, C, H, W)`` images."""
        return as_rows(x, self.image_shape, self.sizes[0])

    def __repr__(self):
        return (f"ConvNet(image_shape={self.image_shape}, conv={self.conv}, sizes={self.sizes}, "
                f"pool={self.pool}, activation={self.f.name!r}, loss={self.loss.name!r}, "
                f"dtype={self.dtype.name!r})")

