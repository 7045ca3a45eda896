"""The four spiking models of SP Table V: BP surrogate, Shallow, sigprop surrogate and voltage.

Kohan, A. A., Rietman, E. A. & Siegelmann, H. T. (2023). Signal Propagation: A Framework
for Learning and Inference In a Forward Pass. IEEE TNNLS. arXiv:2204.01723. Sec. III-A..C
(Eq. 1-4, 9), Sec. VI (Eq. 15-17), Table V.

All four train the same :class:`~nplearn.snn.SpikingConvNet` (IF neurons, ``T = 4`` steps,
the classifier's output averaged over the steps is the logits ``y``):

``snn_bp``       back-propagation through time and through the spikes, whose derivative is
                 the surrogate ``g'`` (Eq. 17); ``theta = 1``. ``g`` is the gradient of the
                 surrogate network.
``snn_shallow``  only the classifier is trained; ``theta = 1``.
``snn_sigprop``  the classification-layer version of sigprop (Fig. 2b), ``theta = 0.5``.
                 The label context ``c`` (one one-hot row per class) goes through the target
                 generator ``t_1 = IF(S_1 c + d_1)`` (Eq. 1) and then forward through the
                 same layers as the input (Eq. 2-3). Each hidden layer ``i`` has its own
                 ``L_pred`` (Eq. 9); the classifier its cross-entropy (Eq. 4). Every layer's
                 input is held constant, so no gradient crosses a layer: ``g`` is NOT the
                 gradient of one loss.

What sigprop's ``L_pred`` reads (Eq. 9 with one target per class), for layer ``i``::

    H_i = mean_t out_i^t(x)      (n, n_i)     the inputs' outputs, averaged over the steps
    T_i = mean_t out_i^t(c)      (m, n_i)     the class targets' outputs
    L_i = CE(y*, H_i @ T_i.T)                 logits (n, m)

``mode="surrogate"``: ``out^t`` are the layer's (pooled) spikes, differentiated through
``g'`` at every step. ``mode="voltage"``: ``out^t`` are the (max-pooled) membrane voltages
``v^t`` of Eq. (15), before firing; the derivative of the spike is its true one, zero, so
the signal reaches the weights only through the voltage (no surrogate). In both modes the
layers pass SPIKES forward; only the loss differs.

``updates(..., trace=d)`` fills ``d`` with SP's quantities: per hidden layer ``a_l``
(Eq. 15's current), ``v_l``, ``s_l`` (Eq. 15), ``h_l`` (pooled, flat), ``sg_l = g'(v_l -
theta)`` (Eq. 17, where used), ``delta_l = dJ/da_l``, ``dW_l``, ``db_l`` (``-g``); the
classifier's ``o_L``, ``a_L``, ``y_hat``, ``y``, ``e``, ``dW_L``, ``db_L``; sigprop adds
``t_l``, ``L_l`` (Eq. 9), ``gen_v``, ``gen_s`` (Eq. 1), ``dS1``, ``dd1``
(``docs/rules/snn_sigprop.md``).

Legend (symbol -> code -> shape):

======================  ==============  =========================
steps                   ``T``           4
classes                 ``m``           ``n_L``
context ``c_m``         ``C``           ``(m, m)`` identity
generator               ``S1, d1``      ``(n_1, m)``, ``(n_1,)``
layer outputs           ``cache["h"]``  ``(T, rows, n_i)``
classifier per step     ``o``           ``(T, n, m)``
logits                  ``y``           ``(n, m)``
======================  ==============  =========================
"""
import numpy as np

from ..nn.conv_geometry import image_shape_for
from ..nn.init import get_init
from ..snn import DIGITS_CONV, SpikingConvNet, arctan_surrogate_grad, if_backward, if_forward
from .halves import in_halves
from .rule import LearningRule
from .step_record import direction_key, put


class _SpikingRule(LearningRule):
    """What the four share: the network, the classifier's cross-entropy, the defaults."""

    paper = "Kohan, Rietman & Siegelmann 2023 (sigprop), Sec. VI"
    #: ``activation`` "if": the units are integrate-and-fire neurons, no other is accepted.
    #: Adam at 1e-2 with a constant rate: chosen on the digits VALIDATION split for
    #: ``Classifier``'s 20 epochs of 64 (3 seeds; the numbers in ``docs/rules/snn_sigprop.md``).
    #: The paper's own (Adam 5e-4, cosine, 64 epochs of 128 on MNIST) are
    #: ``nplearn.experiments.tables.SIGPROP_TABLE_V``'s full scale.
    defaults = {"activation": "if", "loss": "softmax_ce", "optimizer": "adam",
                "learning_rate": 1e-2, "schedule": None}
    threshold = 1.0
    #: The network reads images: callers should pass ``image_shape`` (``Dataset.image_shape``)
    #: even without ``conv``, as the rule brings its own conv layers.
    needs_image_shape = True
    #: Tags of a traced step's inputs, loss and directions (the layers: :meth:`trace_layer`).
    equations = {"x": "SP Sec. VI-A", "y": "SP Eq. (4)", "loss": "SP Eq. (4)",
                 "update": "SP Sec. VI", "feedback": "SP Eq. (1)"}
    #: Whether the hidden layers' backward pass reads the surrogate ``g'`` (Eq. 17).
    surrogate = True
    #: :meth:`updates` runs on the batch's two halves (:mod:`nplearn.rules.halves`): with two
    #: threads, :func:`nplearn.train.threads.limited` runs them side by side, BLAS at one.
    row_halves = True

    def __init__(self, conv=DIGITS_CONV, time_steps=4):
        self.conv = conv
        self.time_steps = time_steps

    def default_init(self, activation):
        return "he"

    def make_model(self, sizes, activation=None, loss=None, init="he", dropout=0.0,
                   dtype="float64", rng=None, conv=None, image_shape=None, pool=2, **kwargs):
        """A :class:`~nplearn.snn.SpikingConvNet`: ``sizes[1:-1]`` are the dense IF layers
        after the conv blocks (``conv``, else the rule's), ``image_shape`` ``(C, H, W)`` folds
        the rows (``None``: a square single-channel image), ``pool`` is the max pooling after
        each conv layer (1: none), with or without ``conv``.

        Raises
        ------
        ValueError
            For an ``activation`` other than ``None``/``"if"`` (every unit is an IF neuron,
            SP Eq. 15), a ``loss`` other than ``"softmax_ce"``, dropout, an ``image_shape``
            whose product is not ``sizes[0]``, or conv layers that do not fit the image.
        """
        if activation not in (None, "if"):
            raise ValueError(f"the spiking rules' units are integrate-and-fire neurons (SP Eq. "
                             f"15), not a rate function: activation={activation!r} has no "
                             f"meaning for {self.name}; leave activation=None (or 'if')")
        if loss not in (None, "softmax_ce"):
            raise ValueError(f"the spiking rules train a softmax cross-entropy output, got "
                             f"loss={loss!r}; leave loss=None (or 'softmax_ce')")
        if dropout:
            raise ValueError(f"the spiking network has no dropout, got dropout={dropout!r}; "
                             f"leave it at 0")
        image_shape = image_shape_for(sizes[0], image_shape)
        return SpikingConvNet(image_shape, self.conv if conv is None else conv, sizes[1:-1],
                              sizes[-1], threshold=self.threshold, time_steps=self.time_steps,
                              pool=pool, init=init or "he", dtype=dtype, rng=rng)

    def updates(self, model, x, Y, rng=None, trace=None, stats=None, idx=None, loop=0):
        """The directions of the rule's own ``batch_updates(model, x, Y, trace, stats)`` (``g``,
        name -> batch-mean direction, of one whole batch), computed on the batch's two halves
        (:func:`~nplearn.rules.halves.in_halves`: two cores at once, the same numbers on one).

        With ``trace`` the whole batch is traced too, for its intermediates, and its
        directions ``dW_l``, ``db_l`` (and sigprop's ``dS_1``, ``dd_1``) are replaced by the
        halves' ones, the directions the step applies (the same up to rounding).
        """
        g = in_halves(lambda xs, Ys, st: self.batch_updates(model, xs, Ys, stats=st), x, Y, stats)
        if trace is not None:
            self.batch_updates(model, x, Y, trace=trace)
            for name, value in g.items():
                if direction_key(name) in trace:
                    trace[direction_key(name)] = -value         # keeps its equation and text
        return g

    def classifier(self, model, h, Y, g, stats, trace=None):
        """Cross-entropy of ``y = mean_t o^t`` on the classifier's input ``h`` ``(T, n, n_{L-1})``;
        writes ``g_W_L``, ``g_b_L`` into ``g`` and returns ``dJ/do^t`` of one step ``(n, m)``
        (the same at every step)."""
        L, T, n = model.n_layers, h.shape[0], h.shape[1]
        o = model.classify(h)                                    # o^t, (T, n, m)
        y = o.mean(axis=0)                                       # output averaged over the steps
        y_hat = model.loss.output(y)
        e = (y_hat - Y) / n                                      # dJ/dy of the mean CE
        g[f"W{L}"] = e.T @ h.mean(axis=0)                        # sum_t (e/T)^T h^t
        g[f"b{L}"] = e.sum(axis=0)
        if stats is not None:
            stats["loss"] = model.loss.loss(y, Y)
            stats["n_errors"] = int(np.sum(y.argmax(1) != Y.argmax(1)))
        if trace is not None:
            put(trace, f"o_{L}", o, "SP Sec. VI-A", f"o^t = W_{L} h_{L - 1}^t + b_{L}, the "
                "classifier at every step (T, n, m)")
            put(trace, f"a_{L}", y, "SP Sec. VI-A", "y = mean_t o^t, the logits")
            put(trace, "y_hat", y_hat, "SP Eq. (4)", "softmax(y)")
            put(trace, "loss", stats["loss"] if stats is not None else model.loss.loss(y, Y),
                "SP Eq. (4)", "the classifier's cross-entropy, batch mean")
            put(trace, "e", y_hat - Y, "SP Eq. (4)", "e = softmax(y) - y*, the output error "
                "(dJ/dy = e / n)")
        return e / T                                             # dy/do^t = 1/T

    def trace_input(self, trace, model, x, Y):
        """``x`` (flat) and ``y`` for a direct ``updates(..., trace=...)`` call."""
        if "x" not in trace:
            put(trace, "x", model._flat(x), self.equations["x"], "the input batch, one "
                "example per row", "input")
            put(trace, "y", Y, self.equations["y"], "the one-hot labels y*", "input")

    def trace_layer(self, trace, model, l, cache, rows=""):
        """Layer ``l``'s pass under SP's names, every array ``(T, rows, ...)`` over the steps:
        ``a_l`` (the current ``h_i^t`` of Eq. 15), ``v_l``, ``s_l`` (Eq. 15), ``h_l`` (pooled
        spikes, flat) and ``sg_l = g'(v_l - theta)`` (Eq. 17, where the update uses it)."""
        pre = "x" if l == 1 else f"h_{l - 1}^t"
        op = f"conv({pre}, K_{l})" if model.is_conv(l) else f"W_{l} {pre}"
        put(trace, f"a_{l}", cache["a"], "SP Sec. VI-A", f"a_{l}^t = {op} + b_{l}, the input "
            f"current at every step{rows}")
        put(trace, f"v_{l}", cache["v"], "SP Eq. (15)", f"v_{l}^t = u_{l}^(t-1) + a_{l}^t, the "
            "voltage before firing (u: after the reset to 0)")
        put(trace, f"s_{l}", cache["s"], "SP Eq. (15)", f"s_{l}^t = [v_{l}^t >= theta], "
            f"theta = {model.threshold:g}")
        put(trace, f"h_{l}", cache["h"], "SP Sec. VI-A",
            f"h_{l}^t = " + ("flatten(maxpool(s_{l}^t))" if model.is_conv(l) else f"s_{l}^t"))
        if self.surrogate:
            put(trace, f"sg_{l}", arctan_surrogate_grad(cache["v"] - cache["theta"]),
                "SP Eq. (17)", f"g'(v_{l}^t - theta), the surrogate slope of the spike: "
                f"f'(a_{l}) of the backward pass")

    def trace_directions(self, trace, model, g, how):
        """``dW_l = -g_W_l``, ``db_l``, in layer order; ``how(l)`` says what ``g`` is."""
        for l in range(1, model.n_layers + 1):
            eq = "SP Eq. (4)" if l == model.n_layers else self.equations["update"]
            put(trace, f"dW_{l}", -g[f"W{l}"], eq, f"dW_{l} = -{how(l)}, before the "
                "learning rate", "direction")
            put(trace, f"db_{l}", -g[f"b{l}"], eq, f"db_{l}, the bias's, before the "
                "learning rate", "direction")


class SpikingBP(_SpikingRule):
    """BP through time through the surrogate spike (SP Table V "BP Surrogate"), ``theta = 1``.

    ``g`` is the exact gradient of the network whose spikes have derivative ``g'`` (Eq. 17).
    """

    name = "snn_bp"

    def batch_updates(self, model, x, Y, trace=None, stats=None):
        caches, _ = model.run(x)
        L, h = model.n_layers, caches[-1]["h"]
        if trace is not None:
            self.trace_input(trace, model, x, Y)
            for l in range(1, L):
                self.trace_layer(trace, model, l, caches[l])
        g = {}
        e_t = self.classifier(model, h, Y, g, stats, trace)     # dJ/do^t, the same every step
        dh = np.broadcast_to(e_t @ model.params[f"W{L}"], (h.shape[0], *h.shape[1:]))
        for l in range(L - 1, 0, -1):
            da = model.layer_backward(l, caches[l], dh=dh)      # SP Eq. (15)-(17), through time
            g[f"W{l}"], g[f"b{l}"] = model.layer_grads(l, caches[l], da)
            if trace is not None:
                put(trace, f"delta_{l}", da, "SP Eq. (15)-(17)", f"dJ/da_{l} through time, the "
                    f"spike's derivative replaced by g' (sg_{l}); summed over the steps for a "
                    f"static layer")
            if l > 1:
                dh = model.layer_back_input(l, caches[l], da)
        if trace is not None:
            self.trace_directions(trace, model, g, lambda l: f"dJ/dW_{l}" if l == L
                                  else f"dJ/dW_{l} through delta_{l} (surrogate gradient)")
        return g


class SpikingShallow(_SpikingRule):
    """Only the classifier learns (SP Table V "Shallow"); the hidden layers keep their
    random weights (``g = 0``), ``theta = 1``.

    The paper's baseline, not a learning rule for the hidden layers: with the defaults it
    reaches 34.7 % test error on digits (seed 0), far from the 12 % the other spiking rules
    are held to, and none is expected of it (Table V on MNIST: 7.24 %)."""

    name = "snn_shallow"
    surrogate = False                  # nothing is back-propagated into the hidden layers

    def batch_updates(self, model, x, Y, trace=None, stats=None):
        caches, _ = model.run(x)
        if trace is not None:
            self.trace_input(trace, model, x, Y)
            for l in range(1, model.n_layers):
                self.trace_layer(trace, model, l, caches[l])
        g = {k: np.zeros_like(v) for k, v in model.params.items()}
        self.classifier(model, caches[-1]["h"], Y, g, stats, trace)
        if trace is not None:
            self.trace_directions(trace, model, g, lambda l: f"dJ/dW_{model.n_layers}" if
                                  l == model.n_layers else "0 (a fixed random layer)")
        return g


class SpikingSigprop(_SpikingRule):
    """Sigprop on the spiking network (SP Sec. VI, Fig. 2b), ``theta = 0.5``.

    Parameters
    ----------
    mode : {"surrogate", "voltage"}
        What each hidden layer's ``L_pred`` reads and how it is differentiated (module
        docstring): the spikes through ``g'`` (Eq. 17), or the voltage with no surrogate.
    conv : sequence of (channels, kernel, stride, padding)
    time_steps : int
    """

    name = "snn_sigprop"
    threshold = 0.5

    @property
    def surrogate(self):
        """Whether the hidden layers' backward pass reads ``g'`` (``mode="surrogate"``)."""
        return self.mode == "surrogate"

    def __init__(self, mode="surrogate", conv=DIGITS_CONV, time_steps=4):
        if mode not in ("surrogate", "voltage"):
            raise ValueError(f"mode must be 'surrogate' or 'voltage', got {mode!r}")
        self.mode = mode
        super().__init__(conv, time_steps)

    def setup(self, model, rng):
        """The target generator ``S_1, d_1`` of Eq. (1), from ``m`` classes to ``n_1`` units."""
        S, d = get_init("he")(model.sizes[1], model.sizes[-1], rng, model.dtype)
        self.B_ = {"S1": S, "d1": d}

    def learned_params(self):
        """The target generator ``{"S1", "d1"}``, trained by layer 1's loss."""
        return dict(self.B_)

    def batch_updates(self, model, x, Y, trace=None, stats=None):
        n, m, T, theta = x.shape[0], Y.shape[1], model.time_steps, model.threshold
        voltage = self.mode == "voltage"
        S, d = self.B_["S1"], self.B_["d1"]
        a_t = np.broadcast_to(S.T + d, (T, m, S.shape[0]))      # S_1 c + d_1 with c = I, each step
        v_t, s_t = if_forward(a_t, theta, model.spike)           # SP Eq. (1): t_1 = f(S_1 c + d_1)
        if trace is not None:
            self.trace_input(trace, model, x, Y)
            self._trace_generator(trace, a_t, v_t, s_t, theta)
        g = {}
        h, t = model._flat(x), None
        for l in range(1, model.n_layers):
            inp = h if t is None else np.concatenate([h, t], axis=1)   # SP Eq. (2)-(3): [h, t]
            cache = model.layer(l, inp)                          # rows: n inputs (+ m targets)
            out, out_idx = model.pool_flat(l, cache["v"]) if voltage else (cache["h"], cache["idx"])
            if t is None:                                        # layer 1: targets from the generator
                t_out = v_t if voltage else s_t
                dH, dT = self.l_pred(out.mean(0), t_out.mean(0), Y)
            else:
                dH, dT = self.l_pred(out[:, :n].mean(0), out[:, n:].mean(0), Y)
                dH = np.concatenate([dH, dT], axis=0)            # both paths through W_l
            dout = np.broadcast_to(dH / T, (T, *dH.shape))       # the loss reads mean_t out^t
            if voltage:                                          # dJ/dv of the pooled voltages
                da = model.layer_backward(l, cache, dv_pooled=(dout, out_idx), surrogate=False)
            else:
                da = model.layer_backward(l, cache, dh=dout)      # SP Eq. (17) at every step
            g[f"W{l}"], g[f"b{l}"] = model.layer_grads(l, cache, da)
            if trace is not None:                                # rows n: are the m class targets
                H, Tg = (out, t_out) if t is None else (out[:, :n], out[:, n:])
                self._trace_l_pred(trace, model, l, cache, H, Tg, Y, dH[:n], dT, da, n)
            if t is None:                                        # the generator learns from L_1
                dt = np.broadcast_to(dT / T, (T, *dT.shape))
                da_t = (if_backward(v_t, s_t, theta, dv=dt, surrogate=False, sum_steps=True)
                        if voltage else if_backward(v_t, s_t, theta, ds=dt, sum_steps=True))[0]
                g["S1"], g["d1"] = da_t.T, da_t.sum(axis=0)     # c = I: summed over steps, classes
                t = s_t
            else:
                t = cache["h"][:, n:]
            h = cache["h"][:, :n]                                # spikes go forward, detached
        self.classifier(model, h, Y, g, stats, trace)
        if trace is not None:
            L = model.n_layers
            self.trace_directions(trace, model, g, lambda l: f"dJ/dW_{L} of the detached "
                                  f"h_{L - 1}" if l == L else f"dL_{l}/dW_{l} (its own loss "
                                  f"only, its input held constant)")
            put(trace, "dS_1", -g["S1"], "SP Eq. (1), (9)", "-dL_1/dS_1 through t_1, before "
                "the learning rate", "direction")
            put(trace, "dd_1", -g["d1"], "SP Eq. (1), (9)", "-dL_1/dd_1 through t_1, before "
                "the learning rate", "direction")
        return g

    def _trace_generator(self, trace, a_t, v_t, s_t, theta):
        put(trace, "u_1", a_t, "SP Eq. (1)", "S_1 c_m + d_1 with c = I, the generator's "
            "current at every step (T, m, n_1)")
        put(trace, "gen_v", v_t, "SP Eq. (1), (15)", "the generator's IF voltage")
        put(trace, "gen_s", s_t, "SP Eq. (1)", "IF(S_1 c_m + d_1), the class targets' spikes")
        if self.surrogate:
            put(trace, "gen_sg", arctan_surrogate_grad(v_t - theta), "SP Eq. (17)",
                "g'(v - theta) of the generator's units")

    def _trace_l_pred(self, trace, model, l, cache, H, Tg, Y, dH, dT, da, n):
        """Layer ``l``'s pass, its ``L_pred`` (Eq. 9) and its ``delta_l``, for the trace."""
        rows = "" if l == 1 else f"; rows: the {n} inputs, then the class targets"
        self.trace_layer(trace, model, l, cache, rows)
        what = "spikes" if self.surrogate else "max-pooled voltages"
        put(trace, f"t_{l}", Tg, "SP Eq. (1)" if l == 1 else "SP Eq. (2)-(3)",
            f"t_{l}^t, the class targets' {what} at every step (T, m, n_{l})")
        Hm, Tm = H.mean(0), Tg.mean(0)
        put(trace, f"H_{l}", Hm, "SP Eq. (9)", f"mean_t of the inputs' {what}, (n, n_{l})")
        put(trace, f"T_{l}", Tm, "SP Eq. (9)", f"mean_t of t_{l}, (m, n_{l})")
        put(trace, f"z_{l}", Hm @ Tm.T, "SP Eq. (6), (9)", f"z_{l} = H_{l} T_{l}^T, O_dot")
        put(trace, f"L_{l}", l_pred_loss(Hm, Tm, Y), "SP Eq. (9)",
            f"L_pred = CE(y*, z_{l}), batch mean")
        put(trace, f"dL_dH_{l}", dH, "SP Eq. (9)", f"dL_{l}/dH_{l}")
        put(trace, f"dL_dT_{l}", dT, "SP Eq. (9)", f"dL_{l}/dT_{l}" + (", into the generator"
                                                                       if l == 1 else ""))
        put(trace, f"delta_{l}", da, "SP Eq. (9), (15)-(17)", f"dL_{l}/da_{l}, "
            + ("through g' (sg_{l})" if self.surrogate else "through the voltage only (no "
               "surrogate)") + (", input and target rows" if l > 1 else ""))

    @staticmethod
    def l_pred(H, Tg, Y):
        """``L_pred`` (Eq. 9) with one target per class: ``dL/dH`` and ``dL/dT``.

        ``H`` ``(n, n_i)``, ``Tg`` ``(m, n_i)``; logits ``H @ Tg.T`` ``(n, m)``, softmax
        cross-entropy with the one-hot ``Y``, mean over the ``n`` rows. The logits are
        ``+O_dot`` where Eq. (9) prints ``-O_dot``, as in :mod:`nplearn.rules.sigprop`
        (with ``-O_dot`` the loss would make the least similar target the prediction)."""
        z = H @ Tg.T                                             # SP Eq. (9), departs: logits +O_dot where Eq. (9) prints -O_dot
        p = np.exp(z - z.max(axis=1, keepdims=True))
        e = (p / p.sum(axis=1, keepdims=True) - Y) / H.shape[0]  # dCE/dz
        return e @ Tg, e.T @ H


def l_pred_loss(H, Tg, Y):
    """The value of ``L_pred`` (Eq. 9), for tests: mean CE of the logits ``H @ Tg.T``."""
    z = H @ Tg.T
    zmax = z.max(axis=1, keepdims=True)
    log_z = zmax[:, 0] + np.log(np.exp(z - zmax).sum(axis=1))
    return float(np.mean(log_z - (z * Y).sum(axis=1)))
