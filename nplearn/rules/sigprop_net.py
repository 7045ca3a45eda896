"""The network that signal propagation trains: inputs and class targets share one forward path.

Kohan, A. A., Rietman, E. A. & Siegelmann, H. T. (2023). Signal Propagation: A Framework
for Learning and Inference In a Forward Pass. IEEE TNNLS. Sec. III-A, III-B, Fig. 2.

Layers, indexed from 1 like the paper (``L`` weight layers, ``m`` classes)::

    h_1 = f(W_1 x + b_1),         t_1 = generator(c_m [, h_1])         Eq. (1), (10)
    h_l = f(W_l h_{l-1} + b_l),   t_l = f(W_l t_{l-1} + b_l)           Eq. (2)-(3)
    output="target":      y = O(h_L, t_L)                              Eq. (5)-(7), Fig. 2a
    output="classifier":  y = W_L h_{L-1} + b_L (no f, no target)      Fig. 2b

A conv layer (the first ``len(conv)`` layers) is conv -> f -> max pool, on ``h`` and on
``t`` alike, both kept FLAT ``(rows, n_l)`` between layers as in
:class:`nplearn.nn.ConvNet`. Every layer maps input and target with the SAME ``W_l,
b_l`` (Eq. 2-3); the generator's ``S_1, d_1`` (Target-Input: also ``S_2, d_2``) make the
first targets.

Legend (paper -> code -> shape):

=======================  ==============================  ==================================
``W_l``, ``b_l``         ``params["Wl"], ["bl"]``        ``(n_l, n_{l-1})`` dense,
                                                         ``(C_l, C_{l-1}, k, k)`` conv
``h_l``                  ``h[l]``                        ``(n, n_l)``
``t_l``                  ``t[l]``                        ``(m, n_l)`` or ``(n, m, n_l)``
``O(h_l, t_l)``          ``early_exit_logits(x)[l-1]``   ``(n, m)``
=======================  ==============================  ==================================

Decisions
---------
* ``sizes = (n_0, ..., n_L)`` with ``n_L = m`` in both modes, so the parameters have the
  shapes of an MLP (or ConvNet) of the same widths. With ``output="target"`` the last
  layer is a sigprop layer of ``m`` units with ``f`` (Eq. 3 applies ``f``), compared
  with its ``m`` class targets; with ``output="classifier"`` it is the usual linear
  output layer, and no target is needed at inference.
* Target-Only targets do not depend on ``x`` and are made once per call, ``(m, n_l)``.
* Sparse targets (``sparse=k``): ``S_1`` has ``k`` rows; its output fills the first ``k``
  units of ``t_1`` (flattened ``(C, H, W)`` order for a conv first layer), the rest are
  zero (Sec. III-E, "resize the target ... by filling it with zeros"). For conv layers
  this replaces the paper's kernel-shaped sparse target (a simpler decision: one code
  path for dense and conv).
* No dropout or batch normalisation (the paper's Sec. IV uses both on VGG).
"""
import numpy as np

from ..nn import get_activation, get_init, get_loss
from ..nn.conv_geometry import as_rows, conv_geometry, image_shape_for, init_params
from ..nn.layered import Layered, float_dtype
from .base import check_choice, check_number
from .sigprop_targets import COMPARISONS, GENERATORS, compare, generate, init_generator


class SigpropNet(Layered):
    """Dense (optionally conv-first) network whose forward path carries inputs and targets.

    Parameters
    ----------
    sizes : sequence of int
        ``(n_0, hidden..., m)``: input features, widths of the DENSE hidden layers, classes.
    activation : str
        ``f``, in every layer (and the generator).
    loss : str
        Must be ``"softmax_ce"``: the cross-entropy of Eq. (9).
    init : str or callable
        Initialiser of :mod:`nplearn.nn.init` for ``W``, ``b``, ``S``, ``d``.
    generator : {"target_only", "target_input"}
        Eq. (1) or Eq. (10).
    output : {"target", "classifier"}
        Fig. 2a (Output-Target) or Fig. 2b (classification layer).
    comparison : {"dot", "l2"}
        ``O`` of Eq. (6) or (7), in the prediction and in ``L_pred``.
    sparse : int, optional
        Size ``k < n_1`` of the sparse target (Sec. III-E); ``None``: dense.
    conv : sequence of tuple, optional
        Conv layers before the dense ones, ``(channels, kernel, stride[, padding])``.
    image_shape : tuple (C, H, W), optional
        Needed with ``conv``.
    pool : int
        Max-pooling size after every conv layer (1: none).
    dtype : {"float64", "float32"}
    rng : numpy.random.Generator or int
    """

    def __init__(self, sizes, activation="leaky_relu", loss="softmax_ce", init="uniform_fan_in",
                 generator="target_only", output="target", comparison="dot", sparse=None,
                 conv=None, image_shape=None, pool=2, dtype="float64", rng=None):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"every layer needs at least one unit, got sizes {tuple(sizes)}")
        check_options(generator, output, comparison, sparse)
        self.loss = get_loss(loss)
        if self.loss.name != "softmax_ce":
            raise ValueError(f"sigprop's L_pred (Eq. 9) is a softmax cross-entropy; pass "
                             f"loss='softmax_ce' (or None), not {loss!r}")
        self.f = get_activation(activation)
        self.generator, self.output, self.comparison = generator, output, comparison
        self.dtype = float_dtype(dtype)
        self.conv, self.pool, self.n_conv = (), int(pool), 0
        self.image_shapes, self.conv_shapes = [None], [None]
        if conv:
            self.conv, self.conv_shapes, self.image_shapes = conv_geometry(
                image_shape_for(sizes[0], image_shape, square_if_none=False), conv, pool)
            self.n_conv = len(self.conv)
            sizes = [sizes[0]] + [int(np.prod(s)) for s in self.image_shapes[1:]] + sizes[1:]
        self.sizes = tuple(sizes)
        if self.output == "classifier" and self.n_layers < 2:
            raise ValueError("output='classifier' needs at least one hidden layer (the "
                             "sigprop layer before the classification layer); add hidden_sizes")
        n_1 = self.sizes[1]
        self.sparse = None if sparse is None else int(sparse)
        if self.sparse is not None and not 1 <= self.sparse <= n_1:
            raise ValueError(f"sparse={sparse} must be between 1 and the first layer's width "
                             f"{n_1}; use None for dense targets")
        rng, init = np.random.default_rng(rng), get_init(init)
        self.params = init_params(self.sizes, self.conv, self.image_shapes, init, rng, self.dtype)
        self.params.update(init_generator(generator, self.sparse or n_1, self.sizes[-1], init,
                                          rng, self.dtype))

    def is_target_layer(self, l):
        """Whether layer ``l`` maps a target and has its own ``L_pred`` (all but a classifier)."""
        return not (self.output == "classifier" and l == self.n_layers)

    # ------------------------------------------------------------------ one layer
    def layer(self, l, inp):
        """Layer ``l`` on flat inputs ``(..., n_{l-1})`` (``h_{l-1}`` or ``t_{l-1}``), Eq. (2)-(3).

        Returns
        -------
        out : ndarray of shape (..., n_l)
            ``f(W_l inp + b_l)`` (pooled, flat, for conv); the pre-activation for the
            classification layer.
        cache : tuple
            What :meth:`layer_backward` needs.
        """
        lead, inp = inp.shape[:-1], inp.reshape(-1, inp.shape[-1])        # (N, n_{l-1})
        W, b = self.params[f"W{l}"], self.params[f"b{l}"]
        if self.is_conv(l):
            block = self.conv_block(l)
            a, cols = block.current(inp, W, b)                            # SP Eq. (2)-(3): W_l [h, t] + b_l, a conv
            c = self.f.f(a)                                               # (N, C_l, Ho, Wo)
            out, idx = block.pool_flat(c)                                 # (N, n_l)
            cache = (a, c, cols, idx, inp.shape)                          # cols: the input as patches
        else:
            a = inp @ W.T + b                                             # SP Eq. (2)-(3): W_l [h, t] + b_l
            out = a if not self.is_target_layer(l) else self.f.f(a)      # SP Eq. (2)-(3): f(.)
            cache = (a, out, inp, None, inp.shape)
        return out.reshape(*lead, -1), cache

    def layer_backward(self, l, dout, cache, need_input=False):
        """Gradients of a loss w.r.t. ``W_l, b_l`` (SUMMED over the rows) from ``dout = dL/dout``.

        ``dout`` already carries the ``1/n`` of a batch mean. Returns ``(g_W, g_b, d_inp)``,
        ``d_inp = dL/dinp`` flat ``(N, n_{l-1})`` if ``need_input`` (for BP's reference
        gradient only: sigprop holds every layer's input constant), else ``None``.
        """
        a, out, inp, idx, inp_shape = cache
        W = self.params[f"W{l}"]
        dout = dout.reshape(inp_shape[0], -1)
        if self.is_conv(l):
            block = self.conv_block(l)
            delta = block.unpool(dout, idx) * self.f.df(a, out)           # (N, C_l, Ho, Wo), channels last
            gW, gb = block.grads(delta, inp)                               # sums over the N rows
            return gW, gb, (block.back_input(delta, W) if need_input else None)
        delta = dout if not self.is_target_layer(l) else dout * self.f.df(a, out)
        return delta.T @ inp, delta.sum(axis=0), (delta @ W if need_input else None)

    # ------------------------------------------------------------------ whole network
    def forward(self, x, targets=True):
        """Both paths through every layer.

        Returns
        -------
        h : list
            ``[x, h_1, ..., h_L]`` (``h_L``: classifier logits with ``output="classifier"``).
        t : list
            ``[None, t_1, ..., t_L']`` over the target layers (empty if not ``targets``).
        cache : dict
            ``("h", l)``, ``("t", l)`` layer caches and ``"gen"`` for the generator.
        """
        x = self._flat(x)
        h, t, cache = [x], [None], {}
        for l in range(1, self.n_layers + 1):
            h_l, cache["h", l] = self.layer(l, h[l - 1])                  # SP Eq. (1)-(3): h_l
            h.append(h_l)
            if not targets or not self.is_target_layer(l):
                continue
            if l == 1:
                gen = self.params, self.generator, self.f
                t_l, cache["gen"] = generate(*gen, h_l, self.sizes[1])    # SP Eq. (1): t_1, or Eq. (10)
            else:
                t_l, cache["t", l] = self.layer(l, t[l - 1])              # SP Eq. (2)-(3): t_l
            t.append(t_l)
        return h, t, cache

    def early_exit_logits(self, x):
        """``[O(h_1, t_1), ..., O(h_L, t_L)]``, each ``(n, m)`` (Eq. 8); with
        ``output="classifier"`` the last entry is the classification layer's logits."""
        h, t, _ = self.forward(x)
        z = [compare(h[l], t[l], self.comparison) for l in range(1, len(t))]   # SP Eq. (8)
        if self.output == "classifier":
            z.append(h[-1])
        return z

    def logits(self, x):
        """The network's prediction scores ``(n, m)``: Eq. (5) (Output-Target) or Fig. 2b."""
        if self.output == "classifier":
            return self.forward(x, targets=False)[0][-1]                  # no target at inference
        h, t, _ = self.forward(x)
        return compare(h[-1], t[-1], self.comparison)                     # SP Eq. (5): y = O(h_L, t_L)

    def hidden(self, x):
        """``[h_1, ..., h_{L-1}]``, each flat ``(n, n_l)``."""
        return self.forward(x, targets=False)[0][1:-1]

    def _flat(self, x):
        return as_rows(x, self.image_shapes[0], self.sizes[0])

    def __repr__(self):
        return (f"SigpropNet(sizes={self.sizes}, conv={self.conv}, generator={self.generator!r}, "
                f"output={self.output!r}, comparison={self.comparison!r}, sparse={self.sparse})")


def check_options(generator, output, comparison, sparse):
    """Raise ValueError, naming the choices, for a bad sigprop hyperparameter."""
    for name, value, allowed in (("generator", generator, GENERATORS),
                                 ("output", output, ("target", "classifier")),
                                 ("comparison", comparison, COMPARISONS)):
        check_choice("sigprop", name, value, allowed)
    if sparse is not None:
        try:
            check_number("sigprop", "sparse", sparse, low=1, integer=True)
        except ValueError:
            raise ValueError(f"rule 'sigprop': sparse must be None (dense targets) or a "
                             f"positive integer, the size of the target before zero-filling; "
                             f"got {sparse!r}") from None

