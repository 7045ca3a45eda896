"""What EP and EFP share: they train a :class:`~nplearn.hopfield.HopfieldNet`, not an MLP.

Both rules relax the network to a free fixed point ``s^0`` (EFP Eq. 1, 7), then nudge the
output toward the target (``beta``, EFP Eq. 3-4) and update from the two states with a
Hebbian rule (EFP Eq. 5 or 6, :func:`nplearn.hopfield.hebbian_update`). The engine lives in
:mod:`nplearn.hopfield`; this class only adapts it to the training loop:

* :meth:`make_model` builds the ``HopfieldNet`` (hard-sigmoid rates, the half squared
  error of EFP Eq. 3 as the monitored loss; no dropout);
* per-layer learning rates (EFP Table 1, the EP reference code) are folded into ``g``:
  ``g[W_l]`` and ``g[b_l]`` are multiplied by ``lr_layers[l - 1]``, so with SGD at
  ``learning_rate = 1`` (the default) the step of layer ``l`` is ``lr_layers[l - 1] * Delta W_l``
  exactly as in the papers; ``learning_rate`` is a global factor on top;
* there is no ``delta_l`` to compare with BP's, so ``deltas`` is ``None`` and
  :class:`nplearn.analysis.AlignmentRecorder` records no update angles for these rules.
"""
import numpy as np

from ..hopfield import HopfieldNet
from .base import LearningRule


class HopfieldRule(LearningRule):
    """Base of the rules that train a layered continuous Hopfield network (EP, EFP)."""

    connectivity = "symmetric"
    defaults = {"activation": "hard_sigmoid", "loss": "mse", "optimizer": "sgd",
                "learning_rate": 1.0}
    deltas = None                      # no delta_l: no update angles against BP's

    def default_init(self, activation):
        """Glorot uniform weights, zero biases (the EP reference code)."""
        return "xavier"

    def default_lr_layers(self, n_rates):
        """Per-layer rates when ``lr_layers`` is None: the paper's for its depths, else ones."""
        return (1.0,) * n_rates

    def predict_steps(self):
        """Free Euler steps from zero behind a prediction (``model.logits``, EFP Eq. 8)."""
        return self.n_free

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
        for k in ("n_free", "n_clamped"):
            v = getattr(self, k)
            if int(v) != v or v < 1:
                raise ValueError(f"{k} must be an integer >= 1, got {v}")
        if not np.isfinite(self.beta) or self.beta <= 0:
            raise ValueError(f"beta must be finite and > 0, got {self.beta}")
        net = HopfieldNet(sizes, connectivity=self.connectivity,
                          train_loop=getattr(self, "train_loop", True), init=init, dtype=dtype,
                          rng=rng, n_predict=self.predict_steps(), h=self.h)
        n_rates = len([k for k in net.params if not k.startswith("b")])
        rates = self.default_lr_layers(n_rates) if self.lr_layers is None else self.lr_layers
        if len(rates) != n_rates:
            raise ValueError(f"lr_layers needs one rate per trained weight matrix "
                             f"({n_rates}: W1..W{net.n_layers}"
                             f"{' and W_loop' if 'W_loop' in net.params else ''}), got {rates}")
        self.rates_ = tuple(float(r) for r in rates)
        return net

    def scale(self, model, g):
        """Fold the per-layer learning rates into ``g`` (module docstring)."""
        for l in range(1, model.n_layers + 1):
            g[f"W{l}"] *= self.rates_[l - 1]
            g[f"b{l}"] *= self.rates_[l - 1]
        if "W_loop" in g:
            g["W_loop"] *= self.rates_[model.n_layers]
        return g

    def fill(self, model, x, Y, s_free, s_nudged, g, trace, stats):
        """``stats`` (loss at the free fixed point, errors) and ``trace`` (paper names)."""
        if stats is not None:
            stats["loss"] = model.loss.loss(s_free[-1], Y)                 # EFP Eq. (3)
            stats["n_errors"] = int(np.sum(s_free[-1].argmax(1) != Y.argmax(1)))   # EFP Eq. (8)
        if trace is not None:
            trace["x"], trace["y"] = x, Y
            for l in range(1, model.n_layers + 1):
                trace[f"s_free_{l}"], trace[f"s_nudged_{l}"] = s_free[l - 1], s_nudged[l - 1]
                trace[f"dW_{l}"], trace[f"db_{l}"] = -g[f"W{l}"], -g[f"b{l}"]   # Delta W, pre-rate
            if "W_loop" in g:
                trace["dW_loop"] = -g["W_loop"]
            trace["e"] = s_free[-1] - Y                                    # s_out - d

    def state(self):
        return {}

    def load_state(self, state):
        pass
