"""The fully connected network of the DFA paper, Eq. (1)-(3), batch-first.

Notation (DFA paper -> code -> shape), ``L`` = number of weight layers,
``n_0`` inputs, ``n_L`` outputs:

====================  ===============  ======================
``x``                 ``h[0]``         ``(n, n_0)``
``W_l``               ``W[l]``         ``(n_l, n_{l-1})``
``b_l``               ``b[l]``         ``(n_l,)``
``a_l = W_l h + b_l`` ``a[l]``         ``(n, n_l)``
``h_l = f(a_l)``      ``h[l]``         ``(n, n_l)``
``f'(a_l)``           ``df[l]``        ``(n, n_l)``
``y_hat = f_y(a_y)``  ``h[L]``         ``(n, n_L)``
====================  ===============  ======================

Lists are indexed from 1 like the paper (``a[0]`` and ``df[0]`` are None).
Parameters live in ``model.params`` under ``"W1", "b1", ..., "WL", "bL"``;
``model.W[l]`` and ``model.b[l]`` are the same arrays.

The forward loop and the constructor's common lines are written once, in
:class:`FeedForward`, the base of both :class:`MLP` and :class:`~nplearn.nn.ConvNet`.
"""
from dataclasses import dataclass, field

import numpy as np

from .activations import get_activation
from .conv_geometry import init_params
from .dropout import dropout_mask
from .init import get_init
from .layered import Layered, float_dtype
from .losses import get_loss


@dataclass
class Forward:
    """Everything one forward pass computed, indexed like the paper (see module doc).

    With dropout, ``h[l]`` is the dropped-out rate the next layer sees and
    ``df[l]`` already contains the scaled mask, so ``delta * df[l]`` is zero for
    dropped units (the mask is in ``mask[l]``).

    The last three lists are for :class:`~nplearn.nn.ConvNet` and hold ``None`` for a
    dense layer (and for every layer of an :class:`MLP`): ``cols[l]``, the patch matrix
    ``im2col`` of a conv layer's input; ``pool_idx[l]``, where its max pooling found the
    maxima; ``conv_h[l]``, ``f(a_l)`` before pooling.
    """

    a: list
    h: list
    df: list
    mask: list = field(default_factory=list)
    cols: list = field(default_factory=list)
    pool_idx: list = field(default_factory=list)
    conv_h: list = field(default_factory=list)

    def __post_init__(self):
        for name in ("mask", "cols", "pool_idx", "conv_h"):
            if not getattr(self, name):
                setattr(self, name, [None] * len(self.a))

    @property
    def y_hat(self):
        return self.h[-1]


class FeedForward(Layered):
    """What :class:`MLP` and :class:`~nplearn.nn.ConvNet` share: the constructor lines
    (sizes, ``f``, loss, dropout, dtype, initial weights) and the one forward loop.

    A layer ``l`` with :meth:`~nplearn.nn.layered.Layered.is_conv` true is run through its
    :class:`~nplearn.nn.conv_block.ConvBlock` (conv, ``f``, max pooling), every other one
    as a dense layer of DFA Eq. (1)-(3). An MLP has no conv layers; dropout falls on the
    dense hidden layers and, where the network has an ``input_dropout``, on the input.
    """

    def _setup(self, sizes, activation, loss, init, dropout, dtype, rng, conv=(),
               image_shapes=None):
        """Check ``sizes`` and ``dropout``, keep ``sizes``, ``f``, ``loss``, ``dropout``,
        ``dtype`` and draw ``params`` (kernels for the ``len(conv)`` first layers)."""
        if min(sizes) < 1:
            raise ValueError(f"every layer needs at least one unit, got sizes {tuple(sizes)}")
        _check_drop(dropout)
        self.sizes = tuple(sizes)
        self.f = get_activation(activation)
        self.loss = get_loss(loss)
        self.dropout = float(dropout)
        self.dtype = float_dtype(dtype)
        rng = np.random.default_rng(rng)
        init = get_init(init)
        self.params = init_params(self.sizes, conv, image_shapes, init, rng, self.dtype)

    def forward(self, x, rng=None, masks=None):
        """Training-mode forward pass (dense layers: DFA Eq. 1-3; conv layers: the
        :class:`~nplearn.nn.ConvNet` module docstring).

        Parameters
        ----------
        x : ndarray of shape (n, n_0), or (n, C, H, W) for a ConvNet
        rng : numpy.random.Generator, optional
            Needed only when dropout is on and ``masks`` is not given (draws the masks).
        masks : list, optional
            ``fwd.mask`` of an earlier pass: its dropout masks are reused instead of drawn
            (PEPITA's modulated pass drops the units of the standard pass).

        Returns
        -------
        Forward
            ``h[l]`` flat ``(n, n_l)`` (``h[0]`` is ``x`` flattened, after input dropout);
            for a conv layer ``a[l]``, ``df[l]`` and ``conv_h[l]`` are
            ``(n, C_l, Ho_l, Wo_l)``, ``cols[l]`` is ``im2col(h_{l-1})`` and
            ``pool_idx[l]`` the argmax of the pooling (``None`` with ``pool=1``).
        """
        return self._pass(x, "train", rng, masks)

    def logits(self, x):
        """Inference pass (no dropout): the output pre-activation ``a_L``, ``(n, n_L)``."""
        return self._pass(x, "logits").a[-1]

    def hidden(self, x):
        """Inference pass (no dropout) returning ``[h_1, ..., h_{L-1}]``, each flat
        ``(n, n_l)`` (for embeddings and analysis)."""
        return self._pass(x, "hidden").h[1:-1]

    def _pass(self, x, mode, rng=None, masks=None):
        """The one forward loop, for :meth:`forward` (``mode="train"``: dropout, ``f'(a_l)``,
        every list filled) and the inference passes (no dropout, no ``f'``, no patches or
        pooling argmax kept; ``"hidden"`` keeps the ``h_l``, ``"logits"`` only ``a_L``)."""
        x = self._flat(x)
        L, W, b = self.n_layers, self.W, self.b
        train = mode == "train"
        a, h, df, mask, cols, pool_idx, conv_h = [None], [x], [None], [None], [None], [None], [None]
        p_in = getattr(self, "input_dropout", 0.0)             # a ConvNet has none
        if train and masks is not None:                        # inference: no dropout
            mask[0] = masks[0]
        elif train and p_in > 0:
            mask[0] = dropout_mask(x.shape, p_in, rng, self.dtype)
        if mask[0] is not None:
            h[0] = x * mask[0]
        for l in range(1, L + 1):
            block = self.conv_block(l) if self.is_conv(l) else None
            if block is not None:
                a_l, cols_l = block.current(h[l - 1], W[l], b[l])  # a_l = K_l * h_{l-1} + b_l  (n, C_l, Ho, Wo)
            else:
                a_l, cols_l = h[l - 1] @ W[l].T + b[l], None       # DFA Eq. (1)-(3): a_l = W_l h_{l-1} + b_l
            if mode == "logits":
                h[l - 1] = None                                    # the inference pass keeps one layer
            if l == L:
                y_hat = self.loss.output(a_l) if train else None   # DFA Eq. (3): y_hat = f_y(a_y)
                a.append(a_l), h.append(y_hat), df.append(None), mask.append(None)
                cols.append(None), pool_idx.append(None), conv_h.append(None)
                break
            h_l = self.f.f(a_l)                                    # h_l = f(a_l), before any pooling
            df_l = self.f.df(a_l, h_l) if train else None          # f'(a_l), used by Eq. (6)-(9)
            c_l, idx, m = None, None, None
            if block is not None:
                c_l = h_l
                h_l, idx = block.pool_flat(c_l)                    # h_l flat (n, n_l)
            elif train:
                if masks is not None:
                    m = masks[l]
                else:
                    m = dropout_mask(h_l.shape, self.dropout, rng, self.dtype) if self.dropout else None
                if m is not None:
                    h_l, df_l = h_l * m, df_l * m
            if not train:
                a_l = cols_l = idx = c_l = None                    # inference keeps h_l only
            a.append(a_l), h.append(h_l), df.append(df_l), mask.append(m)
            cols.append(cols_l), pool_idx.append(idx), conv_h.append(c_l)
        return Forward(a, h, df, mask, cols, pool_idx, conv_h)

    def _flat(self, x):
        """The input as the rows ``h_0`` (an MLP takes them as given)."""
        return x


def _check_drop(p):
    """Raise a ValueError unless ``p`` is a drop probability in ``[0, 1)``."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")


class MLP(FeedForward):
    """Multilayer perceptron ``sizes[0] -> ... -> sizes[-1]``.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths ``(n_0, n_1, ..., n_L)``, input first, classes last.
    activation : str or Activation
        Hidden non-linearity ``f``.
    loss : str or OutputLoss
        Output non-linearity and loss (``"logistic_bce"``, ``"softmax_ce"``, ``"mse"``).
    init : str or callable
        Weight initialiser name from :mod:`nplearn.nn.init`.
    dropout : float
        Drop probability of every hidden layer (inverted dropout).
    input_dropout : float
        Drop probability of the input layer.
    dtype : {"float64", "float32"}
    rng : numpy.random.Generator
        Source of the initial weights.
    """

    def __init__(self, sizes, activation="tanh", loss="logistic_bce", init="uniform_fan_in",
                 dropout=0.0, input_dropout=0.0, dtype="float64", rng=None):
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2:
            raise ValueError(f"every layer needs at least one unit, got sizes {sizes}")
        self._setup(sizes, activation, loss, init, dropout, dtype, rng)
        _check_drop(input_dropout)
        self.input_dropout = float(input_dropout)

    # --- one layer's linear algebra, shared with ConvNet so that a rule is written once ---
    def back(self, l, delta, M):
        """``M^T delta_l``: the signal that ``delta_l`` sends back to ``h_{l-1}``.

        Parameters
        ----------
        l : int
            Weight layer, 1..L.
        delta : ndarray of shape (n, n_l)
            ``dJ/da_l`` or a rule's stand-in for it.
        M : ndarray of shape (n_l, n_{l-1})
            ``W_l`` for BP (DFA Eq. 6), a feedback matrix of that shape for FA (Eq. 7).

        Returns
        -------
        ndarray of shape (n, n_{l-1})
            ``delta @ M``, batch-first ``M^T delta``.
        """
        return delta @ M

    def through_f(self, l, dh, fwd):
        """``dJ/da_l = dJ/dh_l ⊙ f'(a_l)``: the signal ``dh`` at ``h_l`` through the non-linearity.

        Parameters
        ----------
        l : int
            Hidden layer, 1..L-1.
        dh : ndarray of shape (n, n_l)
        fwd : Forward
            ``fwd.df[l]`` (which holds the dropout mask) is used.

        Returns
        -------
        ndarray of shape (n, n_l)
        """
        return dh * fwd.df[l]

    def grads(self, l, delta, fwd):
        """DFA Eq. (10) in batch form: ``g_W_l = delta_l^T h_{l-1} / n``, ``g_b_l = mean(delta_l)``.

        Parameters
        ----------
        l : int
            Weight layer, 1..L.
        delta : ndarray of shape (n, n_l)
        fwd : Forward
            Supplies ``h_{l-1} = fwd.h[l - 1]`` (PEPITA passes its modulated pass).

        Returns
        -------
        g_W : ndarray of shape (n_l, n_{l-1})
        g_b : ndarray of shape (n_l,)
        """
        return (delta / delta.shape[0]).T @ fwd.h[l - 1], delta.mean(axis=0)

    def __repr__(self):
        return (f"MLP(sizes={self.sizes}, activation={self.f.name!r}, "
                f"loss={self.loss.name!r}, dtype={self.dtype.name!r})")
