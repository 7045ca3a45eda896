"""Paper-style access to the parameters of any layered network, and its float dtype."""
import numpy as np

from .conv_block import ConvBlock


def float_dtype(dtype):
    """``np.dtype`` of ``"float64"`` or ``"float32"``; ValueError for anything else."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in (np.float32, np.float64):
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    return resolved


class Layered:
    """Mixin for networks with ``sizes = (n_0, ..., n_L)`` and ``params`` holding
    ``"W1", "b1", ..., "WL", "bL"``: ``W[l]`` and ``b[l]`` are indexed from 1 like the papers."""

    @property
    def n_layers(self):
        """``L``, the number of weight layers."""
        return len(self.sizes) - 1

    @property
    def W(self):
        """``[None, W_1, ..., W_L]``: the arrays in ``params``, indexed like the paper."""
        return [None] + [self.params[f"W{l}"] for l in range(1, len(self.sizes))]

    @property
    def b(self):
        """``[None, b_1, ..., b_L]``."""
        return [None] + [self.params[f"b{l}"] for l in range(1, len(self.sizes))]

    def is_conv(self, l):
        """Whether weight layer ``l`` (1..L) is a convolution: the first ``n_conv`` are
        (none in a network without ``n_conv``)."""
        return 1 <= l <= getattr(self, "n_conv", 0)

    def conv_block(self, l):
        """Conv layer ``l``'s :class:`~nplearn.nn.conv_block.ConvBlock`, from ``conv``,
        ``image_shapes``, ``conv_shapes`` and ``pool`` (made on each call: a few numbers)."""
        return ConvBlock(self.conv[l - 1], self.image_shapes[l - 1], self.conv_shapes[l],
                         self.image_shapes[l], self.pool)

    def predict_output(self, x):
        """``y_hat = f_y(logits(x))`` without dropout, ``(n, n_L)``: class probabilities
        for the softmax and logistic losses, the output state itself for ``"mse"``."""
        return self.loss.output(self.logits(x))

    def describe(self):
        """What a checkpoint records of the network (:class:`~nplearn.nn.protocol.Network`):
        ``sizes``, the hidden non-linearity's name, the loss's name, the dtype's name and
        the conv layers as lists."""
        return {"sizes": list(self.sizes), "activation": self.activation_name,
                "loss": self.loss.name, "dtype": self.dtype.name,
                "conv": [list(c) for c in getattr(self, "conv", None) or ()]}

    @property
    def activation_name(self):
        """Name of the hidden units' non-linearity ``f`` (``"tanh"``, ...)."""
        return self.f.name
