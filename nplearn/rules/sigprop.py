"""Signal propagation (sigprop), discrete: each layer learns from targets its own forward path made.

Kohan, A. A., Rietman, E. A. & Siegelmann, H. T. (2023). Signal Propagation: A Framework
for Learning and Inference In a Forward Pass. IEEE Transactions on Neural Networks and
Learning Systems. Sec. III-A to III-E (Eq. 1-10), Sec. IV, Fig. 2.

The one-hot context ``c_m`` of every class goes through a target generator to the first
layer's targets ``t_1`` (Eq. 1; Target-Input, Eq. 10); every layer then maps its input
``h_{l-1}`` and its incoming targets ``t_{l-1}`` with the same weights (Eq. 2-3), and
compares the two with its own loss (Eq. 9)::

    z_l = O(h_l, t_l) = h_l t_l^T                          (n, m)   Eq. (6), (8)
    L_l = CE(y*, z_l) = mean_i [log sum_m exp z_l[i, m] - z_l[i, y_i]]        Eq. (9)

The update of ``W_l, b_l`` is the gradient of ``L_l`` ALONE, through both paths
(``h_l`` and ``t_l`` depend on ``W_l``) with the layer's inputs ``h_{l-1}, t_{l-1}``
held constant (the authors detach the graph before each layer, Sec. IV). In batch form,
with ``E_l = (softmax(z_l) - Y) / n`` and the dot comparison::

    dL/dh_l = E_l t_l,           delta_h = dL/dh_l ⊙ f'(W_l h_{l-1} + b_l)
    dL/dt_l = E_l^T h_l,         delta_t = dL/dt_l ⊙ f'(W_l t_{l-1} + b_l)
    g_W_l = delta_h^T h_{l-1} + delta_t^T t_{l-1},   g_b_l = sum(delta_h) + sum(delta_t)

(conv layers: the same through max pooling and the im2col products of
:mod:`nplearn.nn.conv`). Layer 1's ``t_1`` comes from the generator, so ``L_1``
trains ``W_1, b_1`` through ``h_1`` and ``S_1, d_1`` (Target-Input: ``S_2, d_2``) through
``t_1``. With ``output="classifier"`` the last layer is a linear classification layer
trained by the softmax cross-entropy of its logits on the detached ``h_{L-1}`` (Fig. 2b).

``g`` is the gradient of each layer's own loss, NOT of ``J = sum_l L_l`` (Eq. 4): no
layer's update accounts for its effect on later layers' losses.

Legend (paper -> code -> shape), ``m`` classes; targets are ``(m, n_l)`` for Target-Only
(shared by the batch) and ``(n, m, n_l)`` for Target-Input:

==========================  ===========================  =======================
``h_l``, ``t_l``            ``h[l]``, ``t[l]``           ``(n, n_l)``, see above
``O(h_l, t_l)``             ``z``                        ``(n, m)``
``y*`` (one-hot)            ``Y``                        ``(n, m)``
``dL_pred/dz``              ``E``                        ``(n, m)``
``S_1``, ``d_1``            ``params["S1"], ["d1"]``     ``(k, m)``, ``(k,)``
==========================  ===========================  =======================

Decisions
---------
* ``O`` (``comparison``) is used in both the prediction and ``L_pred``. Eq. (9) prints
  ``CE(y*, -O_dot)``; with ``-O_dot`` the loss would make the argmin of Eq. (6) the
  prediction, against Eq. (8). We use ``+O_dot`` as the logits, and ``-O_l2`` for the
  L2 comparison (a distance, for which the printed minus is right).
* **Conv layers' logits**: ``O_dot(h_l, t_l)`` is Eq. (6) on the layer's whole output, the
  pooled map flattened to ``C*H*W`` units as every layer's output is here: a sum over channels
  AND pixels, the dense formula unchanged. The authors' code instead averages the per-pixel
  channel dot over the ``H*W`` pixels, which divides these logits by ``H*W``: a softmax
  temperature of Eq. (9) that depends on the map size. Kept the sum: it is Eq. (6) as
  printed, one code path, and on the digits it learned better (the numbers: docs page
  "Decisions", sigprop). ``tests/test_sigprop.py`` writes the logits out.
* The labels of Eq. (9) are the batch's own ``y*``: with one target per class (the
  generator "conditioned on the classes, producing a single target for each class",
  Sec. IV) the logits are ``(n, m)`` and the interleaving encoding of Sec. III-C reduces
  to "the class of the target".
* Target-Input (Eq. 10): ``t_1`` depends on ``h_1``, hence on ``W_1``; ``L_1``
  differentiates through that dependence too (``W_1`` is layer 1's own weight).
* ``stats["loss"]`` is ``J = sum_l L_l`` (Eq. 4), so the history's ``train_loss`` is
  ``J`` while ``val_loss``/``test_loss`` (:func:`nplearn.train.evaluate`) are the loss of
  the network's prediction. ``stats["layer_loss"]`` has each ``L_l``.
* Per-layer optimisers: the paper trains each layer with its own Adam. nplearn's
  optimisers are elementwise per parameter array, so one Adam over all parameters IS one
  Adam per layer (and one for the generator).
* Defaults: leaky ReLU (slope 0.01) and Adam (Sec. IV), softmax cross-entropy,
  ``U(+-1/sqrt(fan_in))`` weights and biases (PyTorch's default layers); no batch
  normalisation, dropout or learning-rate decay. Learning rate 8e-3, not the paper's 5e-4
  (set for 100-400 epochs of 390+ batches; digits has 21 batches of 64 per epoch), chosen on
  validation splits (the numbers: docs page "Defaults").
"""
import numpy as np

from .rule import LearningRule
from .step_record import direction_key, put
from .sigprop_net import SigpropNet, check_options
from .sigprop_targets import compare, compare_backward, generate_backward


class Sigprop(LearningRule):
    """Signal propagation: per-layer losses between each layer's output and its forward targets.

    Parameters
    ----------
    generator : {"target_only", "target_input"}, default "target_only"
        Target generator: Eq. (1) ``t_1 = f(S_1 c + d_1)`` or Eq. (10)
        ``t_1 = h_1 f(S_1 c + d_1) + f(S_2 c + d_2)``.
    output : {"target", "classifier"}, default "target"
        Prediction by Output-Target ``O(h_L, t_L)`` (Fig. 2a, Eq. 5) or by a
        classification layer (Fig. 2b).
    comparison : {"dot", "l2"}, default "dot"
        ``O`` of Eq. (6) or Eq. (7).
    sparse : int, optional
        Sparse targets (Sec. III-E): ``S_1`` makes ``sparse`` values, zero-filled to the
        first layer's width. ``None``: dense.
    """

    name = "sigprop"
    paper = "Kohan, Rietman & Siegelmann (2023), IEEE TNNLS, Eq. (1)-(10)"
    defaults = {"activation": "leaky_relu", "loss": "softmax_ce", "optimizer": "adam",
                "learning_rate": 8e-3}
    # tags of the traced step's inputs, loss and feedback (the rest: :meth:`_trace`)
    equations = {"x": "SP Eq. (1)", "y": "SP Eq. (9)", "loss": "SP Eq. (4)",
                 "update": "SP Eq. (9), Sec. IV", "feedback": "SP Eq. (1)"}

    def __init__(self, generator="target_only", output="target", comparison="dot", sparse=None):
        check_options(generator, output, comparison, sparse)
        self.generator = generator
        self.output = output
        self.comparison = comparison
        self.sparse = sparse

    def make_model(self, sizes, activation, loss, init, dropout, dtype, rng, conv=None,
                   image_shape=None, pool=2):
        """A :class:`SigpropNet` with this rule's generator, output and comparison."""
        if dropout:
            raise ValueError(f"rule 'sigprop' does not support dropout here; pass dropout=0 "
                             f"(got {dropout})")
        return SigpropNet(sizes, activation=activation, loss=loss, init=init,
                          generator=self.generator, output=self.output,
                          comparison=self.comparison, sparse=self.sparse, conv=conv,
                          image_shape=image_shape, pool=pool, dtype=dtype, rng=rng)

    def default_init(self, activation):
        return "uniform_fan_in"

    def updates(self, model, x, Y, rng=None, trace=None, stats=None, idx=None, loop=0):
        """Each layer's gradient of its own ``L_pred`` (Eq. 9), for every key of ``model.params``.

        Parameters
        ----------
        model : SigpropNet
        x : ndarray of shape (n, n_0)
        Y : ndarray of shape (n, m)
            One-hot labels.
        rng : ignored (no dropout)
        trace : dict, optional
            Filled in computing order: the forward pass ``a_l, h_l, fprime_l, t_l`` (the
            generator's ``u_1 = S_1 c_m + d_1`` before ``t_1``), then per layer ``z_l``,
            ``L_l``, ``E_l``, ``dL_dh_l``, ``dL_dt_l``, and the directions ``dW_l, db_l``
            (``-g``) and the generator's ``dS_1, dd_1``.
        stats : dict, optional
            Receives ``"loss"`` (``J``, Eq. 4), ``"layer_loss"`` and ``"n_errors"`` (of
            the network's prediction).

        Returns
        -------
        dict
            ``{"W1": g, "b1": g, ..., "S1": g, "d1": g}``, shapes as in ``model.params``.
        """
        n, L = x.shape[0], model.n_layers
        h, t, cache = model.forward(x)                           # SP Eq. (1)-(3), (10)
        g, losses, z = {}, [], [None]
        rows = [] if trace is not None else None          # the backward half, for the trace
        for l in range(1, L + 1):
            W, b = f"W{l}", f"b{l}"
            if not model.is_target_layer(l):                     # Fig. 2b: the classification layer
                E = (model.loss.output(h[l]) - Y) / n            # dCE/da_L of the labels, on detached h_{L-1}
                g[W], g[b], _ = model.layer_backward(l, E, cache["h", l])
                losses.append(model.loss.loss(h[l], Y))
                z.append(h[l])
                if rows is not None:
                    rows.append((l, E, None, None))
                continue
            z.append(compare(h[l], t[l], model.comparison))      # SP Eq. (6)-(8): z_l = O(h_l, t_l)
            losses.append(model.loss.loss(z[l], Y))              # SP Eq. (9), departs: logits +O_dot where Eq. (9) prints -O_dot
            E = (model.loss.output(z[l]) - Y) / n                # SP Eq. (9): dL_pred/dz_l, batch mean
            dh, dt = compare_backward(h[l], t[l], E, model.comparison)   # dL/dh_l, dL/dt_l
            if l == 1:                                           # t_1 from the generator, Eq. (1) or (10)
                g_gen, dh_gen = generate_backward(model.params, model.generator, model.f, dt,
                                                  cache["gen"])
                g.update(g_gen)                                  # L_1 trains S_1, d_1 through t_1
                dh = dh if dh_gen is None else dh + dh_gen       # SP Eq. (10): t_1 depends on h_1
                gW_t, gb_t = 0.0, 0.0
            else:                                                # t path, t_{l-1} held constant
                gW_t, gb_t, _ = model.layer_backward(l, dt, cache["t", l])   # SP Eq. (2)-(3): through t_l
            gW_h, gb_h, _ = model.layer_backward(l, dh, cache["h", l])   # h path, h_{l-1} held constant
            g[W], g[b] = gW_h + gW_t, gb_h + gb_t
            if rows is not None:
                rows.append((l, E, dh, dt))
        if stats is not None:
            stats["loss"] = float(sum(losses))                   # SP Eq. (4): J = sum_l L(h_l, t_l)
            stats["layer_loss"] = losses
            stats["n_errors"] = int(np.sum(z[L].argmax(1) != Y.argmax(1)))
        if trace is not None:
            self._trace(trace, model, x, Y, h, t, cache, z, losses, rows, g)
        return g

    def _trace(self, trace, model, x, Y, h, t, cache, z, losses, rows, g):
        """The step under the paper's names, in computing order (:meth:`updates`)."""
        L, f, cmp = model.n_layers, model.f, model.comparison
        if "x" not in trace:
            put(trace, "x", x, "SP Eq. (1)", "the input batch, one example per row", "input")
            put(trace, "y", Y, "SP Eq. (9)", "the one-hot labels y*", "input")
        for l in range(1, L + 1):
            a, out = cache["h", l][:2]                   # pre-activation, pre-pooling output
            pre = "x" if l == 1 else f"h_{l - 1}"
            op = f"conv(W_{l}, {pre})" if model.is_conv(l) else f"W_{l} {pre}"
            eq = "SP Eq. (1)" if l == 1 else "SP Eq. (2)-(3)"
            if not model.is_target_layer(l):
                put(trace, f"a_{l}", a, "SP Fig. 2b", f"a_{l} = {op} + b_{l}: the "
                    f"classification layer's logits")
                put(trace, f"h_{l}", h[l], "SP Fig. 2b", f"h_{l} = a_{l} (no f)")
                continue
            put(trace, f"a_{l}", a, eq, f"a_{l} = {op} + b_{l}, the pre-activation")
            put(trace, f"h_{l}", h[l], eq, f"h_{l} = f(a_{l})"
                + (" pooled, flat" if model.is_conv(l) else ""))
            put(trace, f"fprime_{l}", f.df(a, out), eq, f"f'(a_{l}), the slope of f at a_{l}")
            if l == 1:
                C, u1 = cache["gen"][:2]
                put(trace, "c", C, "SP Eq. (1)", "c_m, the one-hot context of every class, "
                    "one per row")
                put(trace, "u_1", u1, "SP Eq. (1)", "S_1 c_m + d_1, the generator's "
                    "pre-activation")
                text = ("t_1 = f(S_1 c_m + d_1), one target per class" if
                        model.generator == "target_only" else
                        "t_1 = h_1 f(S_1 c_m + d_1) + f(S_2 c_m + d_2), per example and class")
                put(trace, "t_1", t[1], "SP Eq. (1)" if model.generator == "target_only"
                    else "SP Eq. (10)", text)
            elif l < len(t):
                put(trace, f"t_{l}", t[l], eq, f"t_{l} = f({op.replace('h_', 't_')} + b_{l}), "
                    f"the same weights on t_{l - 1}")
        for l, E, dh, dt in rows:
            if dh is None:                               # the classification layer
                put(trace, f"L_{l}", losses[l - 1], "SP Fig. 2b",
                    f"CE(y*, h_{l}) of the detached h_{l - 1}, batch mean")
                put(trace, f"E_{l}", E, "SP Fig. 2b", f"(softmax(h_{l}) - y*) / n")
                continue
            put(trace, f"z_{l}", z[l], "SP Eq. (6)-(8)" if cmp == "dot" else "SP Eq. (7)-(8)",
                f"z_{l} = O_{cmp}(h_{l}, t_{l}), one score per example and class")
            put(trace, f"L_{l}", losses[l - 1], "SP Eq. (9)",
                f"L_pred = CE(y*, z_{l}), batch mean")
            put(trace, f"E_{l}", E, "SP Eq. (9)", f"(softmax(z_{l}) - y*) / n = dL_{l}/dz_{l}")
            put(trace, f"dL_dh_{l}", dh, "SP Eq. (9), Sec. IV", f"dL_{l}/dh_{l}, "
                f"h_{l - 1} held constant" + (" (Eq. 10: t_1's path too)"
                                              if l == 1 and model.generator != "target_only"
                                              else ""))
            put(trace, f"dL_dt_{l}", dt, "SP Eq. (9), Sec. IV", f"dL_{l}/dt_{l}, "
                + ("into the generator" if l == 1 else f"t_{l - 1} held constant"))
        put(trace, "loss", float(sum(losses)), "SP Eq. (4)", "J = sum_l L_l, each layer's "
            "loss before the update (no layer descends J itself)")
        for l in range(1, L + 1):
            own = f"L_{l}" if model.is_target_layer(l) else f"CE of layer {l}"
            paths = ("its h path" if l == 1 or not model.is_target_layer(l)
                     else "its h and t paths")
            put(trace, f"dW_{l}", -g[f"W{l}"], "SP Eq. (9), Sec. IV", f"-d{own}/dW_{l} "
                f"through {paths} (its own loss only), before the learning rate", "direction")
            put(trace, f"db_{l}", -g[f"b{l}"], "SP Eq. (9), Sec. IV", f"-d{own}/db_{l}, "
                f"before the learning rate", "direction")
        for k in (k for k in g if k[0] in "Sd"):
            put(trace, direction_key(k), -g[k], "SP Eq. (1), (9)" if k[1] == "1"
                else "SP Eq. (10)", f"-dL_1/d{k} through t_1, before the learning rate",
                "direction")

    def layer_losses(self, model, x, Y):
        """``[L_1, ..., L_L]``: each layer's ``L_pred`` (Eq. 9) on ``(x, Y)``; the last is the
        classification layer's cross-entropy with ``output="classifier"``."""
        return [model.loss.loss(z, Y) for z in model.early_exit_logits(x)]

    def early_exit_errors(self, model, x, y):
        """Error rate of every layer's own prediction ``argmax O(h_l, t_l)`` (Eq. 8), a list
        of floats (the last: the network's prediction)."""
        y = np.asarray(y)
        return [float(np.mean(z.argmax(1) != y)) for z in model.early_exit_logits(x)]

    def network_gradients(self, model, x, Y):
        """BP's gradient of the network's prediction loss w.r.t. every ``W_l, b_l``.

        The loss is the cross-entropy of :meth:`SigpropNet.logits`; it is backpropagated
        through the ``h`` path only. With ``output="classifier"`` that is the exact
        gradient; with ``output="target"`` the targets ``t_L`` are held constant (as the
        class embeddings of a fixed output layer), so it is BP's gradient of the ``h``
        path alone. Used for the update angles of
        :class:`nplearn.analysis.early_exit.EarlyExitRecorder`.
        """
        n, L = x.shape[0], model.n_layers
        h, t, cache = model.forward(x)
        if model.output == "classifier":
            dout = (model.loss.output(h[L]) - Y) / n             # dJ/da_L
        else:
            E = (model.loss.output(compare(h[L], t[L], model.comparison)) - Y) / n
            dout = compare_backward(h[L], t[L], E, model.comparison)[0]   # dJ/dh_L, t_L fixed
        g = {}
        for l in range(L, 0, -1):
            g[f"W{l}"], g[f"b{l}"], dout = model.layer_backward(l, dout, cache["h", l],
                                                                need_input=l > 1)
        return g
