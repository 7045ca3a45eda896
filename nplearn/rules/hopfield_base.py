"""What EP, EFP and ``sigprop_ct`` share: they train a :class:`~nplearn.hopfield.HopfieldNet`.

The rules relax the network to a free fixed point ``s^0`` (EFP Eq. 1, 7), then nudge the
output toward the target (``beta``, EFP Eq. 3-4) and update from the two states with a
Hebbian rule (EFP Eq. 5 or 6, :func:`nplearn.hopfield.hebbian_update`). The engine lives in
:mod:`nplearn.hopfield`; this class only adapts it to the training loop:

* :meth:`make_model` builds the network (hard-sigmoid rates, the half squared error of EFP
  Eq. 3 as the monitored loss; no dropout);
* per-layer learning rates (EFP Table 1, the EP reference code) are folded into ``g``:
  ``g[W_l]`` and ``g[b_l]`` are multiplied by ``lr_layers[l - 1]``, so with SGD the step of
  layer ``l`` is ``learning_rate * lr_layers[l - 1] * Delta W_l``: ``learning_rate`` is a global
  factor (1 with the papers' per-example rates);
* there is no ``delta_l`` to compare with BP's (no :class:`~nplearn.rules.DeltaRule` here),
  so :class:`nplearn.analysis.AlignmentRecorder` records no update angles for them.

Inputs outside [0, 1]
---------------------
The network reads its input through ``rho(x) = clip(x, 0, 1)`` (EFP Eq. 1), made for pixels in
[0, 1]; standardised features (negative, or above 1) would be clipped. :meth:`prepare` (which
:class:`nplearn.Classifier` calls once, at the first fit, with the training inputs) therefore
fits an INPUT MAP, stored in the network (:class:`ScaledInputHopfieldNet`) and in
:meth:`state` (so checkpoints keep it):

* training inputs all in [0, 1]: the identity (the papers' setting; nothing changes);
* otherwise, per feature, ``x -> (x - lo) / (hi - lo)`` with ``lo, hi`` the feature's training
  minimum and maximum (a constant feature maps to 0): the training data then span [0, 1].

The map is applied before every relaxation, in training and in prediction; inputs beyond the
training range still meet ``rho``'s clip. Without :meth:`prepare` (a direct
``build`` + ``train``), a batch outside [0, 1] raises a ValueError that says what to do.
"""
import numpy as np

from ..hopfield import HopfieldNet
from .base import check_number
from .rule import LearningRule
from .step_record import put


def fit_input_map(X):
    """The input map of the module docstring for training inputs ``X`` ``(n, n_0)``:
    ``{}`` (identity) if every value is in [0, 1], else ``{"input_lo": lo, "input_scale":
    1 / (hi - lo)}`` per feature (scale 1 for a constant feature)."""
    X = np.asarray(X)
    if X.size == 0 or (X.min() >= 0 and X.max() <= 1):
        return {}
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = hi - lo
    return {"input_lo": lo, "input_scale": 1.0 / np.where(span > 0, span, 1.0)}


class ScaledInputHopfieldNet(HopfieldNet):
    """A :class:`~nplearn.hopfield.HopfieldNet` whose input first goes through a fixed
    per-feature affine map ``x -> (x - input_lo) * input_scale`` (module docstring).

    ``input_map`` is a dict shared with the rule: empty (identity) until
    :meth:`HopfieldRule.prepare` fills it. Prediction (:meth:`free_states`, hence ``logits``
    and ``hidden``) maps its input; the engine's functions (``free_phase``, ``relax``) take
    inputs already mapped (:meth:`map_input`).
    """

    def __init__(self, *args, input_map=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.input_map = {} if input_map is None else input_map

    def map_input(self, x):
        """``x`` through the input map, in the network's dtype (``x`` itself if identity)."""
        if not self.input_map:
            return x
        lo = self.input_map["input_lo"].astype(self.dtype, copy=False)
        scale = self.input_map["input_scale"].astype(self.dtype, copy=False)
        return (np.asarray(x, self.dtype) - lo) * scale

    def free_states(self, x, backend="numba"):
        return super().free_states(self.map_input(x), backend)


class HopfieldRule(LearningRule):
    """Base of the rules that train a layered continuous Hopfield network (EP, EFP)."""

    connectivity = "symmetric"
    defaults = {"activation": "hard_sigmoid", "loss": "mse", "optimizer": "sgd",
                "learning_rate": 1.0}
    #: Hyperparameters whose ``None`` means "the default for the network's depth" (EP).
    none_by_depth = ()
    #: Equation tags of a traced step, EFP's numbering (which numbers EP's equations too).
    equations = {"x": "EFP Eq. (1)", "y": "EFP Eq. (3)", "start": "EFP Eq. (7)",
                 "beta": "EFP Eq. (4)", "free": "EFP Eq. (1), (2), (7)",
                 "nudged": "EFP Eq. (3), (4), (7)", "loss": "EFP Eq. (3)", "e": "EFP Eq. (3)",
                 "update": "EFP Eq. (5)", "feedback": "EFP Eq. (1)", "rates": "EP reference code"}
    #: ``Delta W_l`` in words for the trace, formatted with ``l`` and ``pre`` (layer ``l-1``).
    update_formula = ("(1/beta) (rho(s^beta_{l})^T rho(s^beta_{pre}) - rho(s^0_{l})^T "
                      "rho(s^0_{pre})) / n")

    def default_init(self, activation):
        """Glorot uniform weights, zero biases (the EP reference code)."""
        return "xavier"

    def default_lr_layers(self, n_rates):
        """Per-layer rates when ``lr_layers`` is None: the paper's for its depths, else ones."""
        return (1.0,) * n_rates

    def predict_steps(self):
        """Free Euler steps from zero behind a prediction (``model.logits``, EFP Eq. 8)."""
        return self.n_free

    def dynamics(self):
        """``n_free``, ``n_clamped``, ``beta``, ``h`` as the rule runs them (EP resolves a
        ``None`` for the network's depth, :func:`nplearn.rules.ep.depth_defaults`)."""
        return {"n_free": self.n_free, "n_clamped": self.n_clamped, "beta": self.beta, "h": self.h}

    def check_dynamics(self):
        """Check the hyperparameters every Hopfield rule has (called by the constructors);
        ``None`` is accepted for those in :attr:`none_by_depth`."""
        for k in ("n_free", "n_clamped"):
            if getattr(self, k) is not None or k not in self.none_by_depth:
                setattr(self, k, check_number(self.name, k, getattr(self, k), low=1, integer=True))
        if self.beta is not None or "beta" not in self.none_by_depth:
            self.beta = check_number(self.name, "beta", self.beta, low=0, strict=True)
        self.h = check_number(self.name, "h", self.h, low=0, strict=True)
        if self.lr_layers is not None:
            if isinstance(self.lr_layers, (str, bytes)) or not hasattr(self.lr_layers, "__len__"):
                raise ValueError(f"rule {self.name!r}: lr_layers must be None or a sequence of "
                                 f"rates >= 0, one per weight matrix; got {self.lr_layers!r}")
            self.lr_layers = tuple(check_number(self.name, "lr_layers[i]", r, low=0)
                                   for r in self.lr_layers)

    def make_model(self, sizes, activation, loss, init, dropout, dtype, rng, conv=None,
                   image_shape=None, pool=2):
        if conv is not None:
            raise ValueError(f"rule {self.name!r} trains a fully connected Hopfield network; "
                             f"drop conv={conv}")
        if activation not in (None, "hard_sigmoid") or loss not in (None, "mse"):
            raise ValueError(f"rule {self.name!r} trains a Hopfield network with rate "
                             f"rho = hard sigmoid and cost 1/2 ||s_L - y||^2 (EFP Eq. 3): "
                             f"activation must be 'hard_sigmoid' and loss 'mse', got "
                             f"{activation!r}, {loss!r}")
        if dropout:
            raise ValueError(f"rule {self.name!r} does not support dropout (got {dropout})")
        self.input_map_ = {}
        net = ScaledInputHopfieldNet(sizes, connectivity=self.connectivity,
                                     train_loop=getattr(self, "train_loop", True), init=init,
                                     dtype=dtype, rng=rng, n_predict=self.predict_steps(),
                                     h=self.h, input_map=self.input_map_)
        n_rates = len([k for k in net.params if not k.startswith("b")])
        rates = self.default_lr_layers(n_rates) if self.lr_layers is None else self.lr_layers
        if len(rates) != n_rates:
            raise ValueError(f"rule {self.name!r}: lr_layers needs one rate per trained "
                             f"weight matrix ({n_rates}: W1..W{net.n_layers}"
                             f"{' and W_loop' if 'W_loop' in net.params else ''}), got {rates}")
        self.rates_ = tuple(float(r) for r in rates)
        return net

    def prepare(self, model, X):
        """Fit the input map (module docstring) to the training inputs ``X`` ``(n, n_0)``.

        :class:`nplearn.Classifier` calls it once, at the first fit; a loaded checkpoint
        restores the map instead (:meth:`load_state`).
        """
        self.input_map_.clear()
        self.input_map_.update({k: v.astype(model.dtype) for k, v in fit_input_map(X).items()})

    def inputs(self, model, x):
        """The batch as the network reads it: through the input map if fitted; else ``x``,
        which must then lie in [0, 1]."""
        if self.input_map_:
            return model.map_input(x)
        if x.size and (x.min() < 0 or x.max() > 1):
            raise ValueError(
                f"rule {self.name!r} reads its input through rho = clip(x, 0, 1) (EFP Eq. 1), "
                f"so values outside [0, 1] would be clipped; got values in "
                f"[{x.min():.3g}, {x.max():.3g}]. Scale the inputs to [0, 1] (e.g. "
                f"sklearn.preprocessing.MinMaxScaler), or call rule.prepare(model, X_train) "
                f"to fit the rule's input map (nplearn.Classifier does this at the first fit).")
        return x

    def scale(self, model, g):
        """Fold the per-layer learning rates into ``g`` (module docstring)."""
        for l in range(1, model.n_layers + 1):
            g[f"W{l}"] *= self.rates_[l - 1]
            g[f"b{l}"] *= self.rates_[l - 1]
        if "W_loop" in g:
            g["W_loop"] *= self.rates_[model.n_layers]
        return g

    def fill(self, model, x, Y, s_free, s_nudged, g, trace, stats, start=None, beta=None,
             s_minus=None):
        """``stats`` and ``trace``: the step under the paper's names, in computing order (``x``
        is the batch as the network reads it).

        ``stats`` gets, at the free state ``s^0``: ``loss`` (EFP Eq. 3, batch mean),
        ``n_errors`` (Eq. 8) and ``output_error``, the signed mean output error
        ``mean(s^0_L - d)`` over the rows and the output units (EFP Fig. 4's curve;
        :mod:`nplearn.experiments.output_error`).

        ``start`` is the state the free phase began from, ``beta`` the clamping factor of
        this call, ``s_minus`` the second nudged state of EP's symmetric nudge. The
        directions ``dW_l`` are the paper's ``Delta W_l``, before the per-layer rate
        ``alpha_l`` (:meth:`scale`) and the learning rate.
        """
        if stats is not None:
            stats["loss"] = model.loss.loss(s_free[-1], Y)                 # EFP Eq. (3)
            stats["n_errors"] = int(np.sum(s_free[-1].argmax(1) != Y.argmax(1)))   # EFP Eq. (8)
            # EFP Fig. 4: the signed mean output error, mean of s^0_L - d over rows and units
            stats["output_error"] = float(np.mean(s_free[-1] - Y))
        if trace is None:
            return
        eq, L = self.equations, model.n_layers
        if "x" not in trace:                                # a direct call: the batch itself
            put(trace, "x", x, eq["x"], "the input batch as the network reads it", "input")
            put(trace, "y", Y, eq["y"], "the targets d", "input")
        elif self.input_map_:
            put(trace, "x_map", x, eq["x"], "x through the input map, (x - input_lo) * "
                "input_scale: the input the network reads, through rho = clip(., 0, 1)")
        if beta is not None:
            put(trace, "beta", float(beta), eq["beta"], "the clamping factor of this call")
        for l, s_l in enumerate(start or (), start=1):
            put(trace, f"s_start_{l}", s_l, eq["start"], f"s_{l} where the free phase began")
        for l in range(1, L + 1):
            put(trace, f"s_free_{l}", s_free[l - 1], eq["free"],
                f"s^0_{l}, layer {l} after the free phase (beta = 0)")
        loss = stats["loss"] if stats is not None else model.loss.loss(s_free[-1], Y)
        put(trace, "loss", loss, eq["loss"], "C = 1/2 ||s^0_L - d||^2 at the free state, "
            "batch mean")
        put(trace, "e", s_free[-1] - Y, eq["e"], "s^0_L - d: the output's error, dC/ds_L")
        for l in range(1, L + 1):
            put(trace, f"s_nudged_{l}", s_nudged[l - 1], eq["nudged"],
                f"s^beta_{l}, layer {l} after the clamped phase from s^0")
        for l in range(1, L + 1) if s_minus is not None else ():
            put(trace, f"s_nudged_minus_{l}", s_minus[l - 1], eq["nudged"],
                f"s^-beta_{l}, layer {l} after the clamped phase with -beta")
        for l in range(1, L + 1):
            rate = f"before the rate alpha_{l} = {self.rates_[l - 1]:g} and the learning rate"
            text = self._formula(l, "x" if l == 1 else l - 1, s_minus)
            put(trace, f"dW_{l}", -g[f"W{l}"], eq["update"], f"Delta W_{l} = {text}, {rate}",
                "direction")
            put(trace, f"db_{l}", -g[f"b{l}"], eq["update"], f"Delta b_{l} (a weight from a "
                f"unit of rate 1), {rate}", "direction")
        if "W_loop" in g:
            text = self._formula(1, L, s_minus)
            put(trace, "dW_loop", -g["W_loop"], eq["update"], f"Delta W_loop = {text} (from "
                f"s_L to s_1), before its rate {self.rates_[L]:g} and the learning rate",
                "direction")

    def _formula(self, l, pre, s_minus):
        text = self.update_formula.format(l=l, pre=pre)
        if s_minus is not None:                             # EP's symmetric nudge
            text = text.replace("(1/beta)", "(1/(2 beta))").replace("s^0", "s^-beta")
        return text

    def trace_state(self):
        """The input map (if fitted), the fixed loop and the per-layer rates ``alpha_l``
        that :meth:`scale` folds into ``g``, for the trace."""
        out = [(k, v, eq, text) for k, v, eq, text in super().trace_state()
               if k not in ("input_lo", "input_scale")]
        for k, text in (("input_lo", "the input map's per-feature minimum"),
                        ("input_scale", "the input map's 1 / (maximum - minimum)")):
            if k in self.input_map_:
                out.append((k, self.input_map_[k], self.equations["x"], text))
        out = [(k, v, eq, "the fixed loop from s_L to s_1" if k == "W_loop" else text)
               for k, v, eq, text in out]
        layers = [str(l) for l in range(1, len(self.rates_) + 1)]
        if layers and self.connectivity == "loop" and getattr(self, "train_loop", False):
            layers[-1] = "loop"                             # the last rate is W_loop's
        for l, rate in zip(layers, self.rates_):
            out.append((f"alpha_{l}", rate, self.equations["rates"],
                        f"the rate of W_{l}{'' if l == 'loop' else f' and b_{l}'}, folded "
                        f"into g = -alpha_{l} Delta W_{l}"))
        return out

    def state(self):
        """The fitted input map (empty if the identity), for checkpoints."""
        return dict(self.input_map_)

    def load_state(self, state):
        self.input_map_.clear()
        self.input_map_.update({k: np.array(state[k]) for k in ("input_lo", "input_scale")
                                if k in state})
