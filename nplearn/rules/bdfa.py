"""Bidirectional direct feedback alignment (BDFA).

Luo, H., Fu, J. & Glass, J. (2017). Bidirectional Backpropagation: Towards Biologically
Plausible Error Signal Transmission in Neural Networks. arXiv:1702.07097 (v4, 2018:
"Adaptive Bidirectional Backpropagation ..."). Sec. 4.2, Eq. (30)-(42); Eq. (51).

DFA (Nøkland 2016) whose feedback matrices are trained. Forward phase, DFA's update
with the feedback ``<-w_l``; backward phase, each ``<-w_l`` learns to point the label
where the hidden layer's activity is:

    delta a_l = (<-w_l e) ⊙ f'(a_l)                               (36)-(37)
    <-a_l = <-w_l y,   l_l = 1 - sigmoid(<-a_l . h_l)              (39)-(41)
    delta <-w_l = -dl_l/d<-w_l = sigmoid'(s_l) h_l y^T,  s_l = <-a_l . h_l   (true gradient, see below)

for every hidden layer ``l``; ``l_l`` is a mean over the batch and ``h_l`` is held
constant (the feedback loss trains only ``<-w_l``). The rest is DFA's: forward pass
Eq. (32)-(34), ``e = y_hat - y`` Eq. (35), ``delta W_l = -delta a_l h_{l-1}^T`` Eq. (38),
in :meth:`DeltaRule.updates`.

Legend (paper -> code -> shape): ``<-w_l`` -> ``B_["B{l}"]`` ``(n_l, n_L)``; ``y``
(or ``y'``, Eq. 51) -> ``y`` ``(n, n_L)``; ``<-a_l`` -> ``a_back`` ``(n, n_l)``; ``h_l``
-> ``fwd.h[l]`` ``(n, n_l)``; ``s_l = <-a_l . h_l`` -> ``s`` ``(n,)``; ``l_l`` ->
``loss`` ``(n,)``. Batch-first, so ``<-w_l e`` is ``e @ B_l.T``.

``g`` is NOT a gradient for the forward weights (as DFA). For ``<-w_l`` it is the exact
gradient of the mean of Eq. (40)-(41) (``tests/test_bdfa.py``).

Decisions
---------
* **Eq. (42) as printed is not a gradient**: ``-l_l y^T`` is a scalar times ``y^T``,
  shape ``(n_L,)``, while ``<-w_l`` is ``(n_l, n_L)``. nplearn uses the true gradient of
  Eq. (40)-(41): ``dl_l/d<-w_l = -sigmoid(s_l) (1 - sigmoid(s_l)) h_l y^T``.
* **Indices of Eq. (36)-(37)**: printed as ``<-w_1`` for layer 2 and ``<-w_2`` for layer
  1 (copied from BFA's Eq. 18-19, where the backward network counts from the label);
  Eq. (39)-(41) pair ``<-w_l`` with ``h_l``, and only that fits ``(n_l, n_L)`` when the
  widths differ. ``<-w_l`` feeds layer ``l`` throughout.
* ``alpha`` (Eq. 51, used on CIFAR-10 with 0.25): the feedback is trained on
  ``y' = y + alpha y_hat``; ``y_hat`` is the forward output of the same batch (after the
  output non-linearity, with the batch's dropout), held constant. Only the backward phase
  reads ``y'``: the forward phase's error is ``y_hat - y`` whatever ``alpha``. Default 0,
  Eq. (39) as printed (MNIST, Table 1). Table 2's BDFA column is :data:`TABLE_2`.
* Both phases on every batch, from the weights before it, one optimiser step (as the
  authors' Torch code, which updates the feedback inside the backward call that uses it).
* No bias in ``<-a_l = <-w_l y`` (Eq. 39). Initial ``<-w_l`` uniform in
  ``+-1/sqrt(n_l)``, as DFA's ``B`` and the authors' code; forward weights
  ``U(+-1/sqrt(fan_in))``, the Torch default of that code (the paper gives none).
* Defaults: tanh, logistic output with BCE (Eq. 30), RMSprop, and the feedforward family's
  learning rate 3e-3, chosen on validation splits (docs page "Defaults"); the paper's 1e-4
  (Sec. 5) is for 300 epochs of MNIST.
"""
import numpy as np

from ..nn import get_activation
from ..nn.init import feedback_uniform
from .base import DeltaRule, check_number, forward_path
from .step_record import put

sigmoid = get_activation("logistic").f      # sigma(x) = 1 / (1 + e^{-x}) of Eq. (31)

#: Eq. (51)'s ``alpha`` on CIFAR-10 (Sec. 5: "In our experiments, alpha is set to 0.25").
CIFAR10_ALPHA = 0.25
#: The BDFA column of Table 2 (CIFAR-10) as ``Classifier`` kwargs: the rule with Eq. (51).
#: The rest of a row is Sec. 5's shared setting (tanh, lr 1e-4, 300 epochs, batch 128).
TABLE_2 = {"rule": "bdfa", "rule_params": {"alpha": CIFAR10_ALPHA}}


class BDFA(DeltaRule):
    """DFA with feedback ``<-w_l`` trained to align ``<-w_l y`` with ``h_l`` (Eq. 30-42).

    Parameters
    ----------
    alpha : float, default 0.0
        Train the feedback on ``y' = y + alpha * y_hat`` (Eq. 51; 0.25 on CIFAR-10).
    """

    name = "bdfa"
    paper = "Luo, Fu & Glass (2017), arXiv:1702.07097, Eq. (30)-(42), (51)"
    # tags of the traced step: the forward phase (32)-(38), then the feedback's (39)-(42)
    equations = {"x": "BFA Eq. (32)", "y": "BFA Eq. (30)", "hidden": "BFA Eq. (32)-(33)",
                 "output": "BFA Eq. (34)", "loss": "BFA Eq. (30)", "e": "BFA Eq. (35)",
                 "delta": "BFA Eq. (36)-(37)", "update": "BFA Eq. (38)",
                 "feedback": "BFA Eq. (39)"}
    delta_formula = "(<-w_{l} e) ⊙ f'(a_{l})"

    def __init__(self, alpha=0.0):
        self.alpha = check_number(self.name, "alpha", alpha, low=0)

    def setup(self, model, rng):
        self.require_dense(model)
        n, L = model.sizes, model.n_layers
        self.B_ = {f"B{l}": feedback_uniform(n[l], n[L], rng, model.dtype) for l in range(1, L)}

    def default_init(self, activation):
        return "uniform_fan_in"

    def learned_params(self):
        """The feedback matrices ``{"B1", ..., "B{L-1}"}``, trained by the optimiser."""
        return dict(self.B_)

    def feedback_pairs(self, model):
        """``<-w_l`` stands in for BP's whole path from the output, ``(W_L ... W_{l+1})^T``."""
        return [(f"B{l}", self.B_[f"B{l}"], forward_path(model, l).T)
                for l in range(1, model.n_layers)]

    def deltas(self, model, fwd, e):
        L = model.n_layers
        delta = [None] * L + [e]                                 # BFA Eq. (35): delta a_y = e
        for l in range(1, L):
            delta[l] = (e @ self.B_[f"B{l}"].T) * fwd.df[l]   # BFA Eq. (36)-(37): (<-w_l e) ⊙ f'(a_l)
        return delta

    def target(self, fwd, Y):
        """The output features the feedback learns from: ``y``, or ``y' = y + alpha y_hat``."""
        return Y + self.alpha * fwd.y_hat if self.alpha else Y   # BFA Eq. (51): y' = y + alpha y_hat

    def feedback_loss(self, model, x, Y):
        """``sum_l mean_n l_l`` of Eq. (40)-(41) for the batch, without dropout."""
        fwd = model.forward(x)
        y = self.target(fwd, Y)
        total = 0.0
        for l in range(1, model.n_layers):
            s = np.sum((y @ self.B_[f"B{l}"].T) * fwd.h[l], axis=1)
            total += float(np.mean(1.0 - sigmoid(s)))           # BFA Eq. (40)-(41), batch mean
        return total

    def feedback_updates(self, model, x, Y, fwd, trace=None, stats=None):
        """The backward phase, Eq. (39)-(42): update directions of every ``<-w_l``."""
        y = self.target(fwd, Y)                                   # (n, n_L)
        n, g, total = Y.shape[0], {}, 0.0
        for l in range(1, model.n_layers):
            a_back = y @ self.B_[f"B{l}"].T                       # BFA Eq. (39): <-a_l = <-w_l y   (n, n_l)
            s = np.sum(a_back * fwd.h[l], axis=1)                 # <-a_l . h_l, one per example    (n,)
            loss = 1.0 - sigmoid(s)                               # BFA Eq. (40)-(41): l_l = 1 - sigmoid(<-a_l . h_l)
            # Eq. (42) as printed, -l_l y^T of shape (n_L,), is not a gradient. The true one, batch mean:
            # dl_l/d<-w_l = -sigmoid(s) (1 - sigmoid(s)) h_l y^T, and sigmoid(s) (1 - sigmoid(s)) = (1 - l_l) l_l
            g[f"B{l}"] = -(((1.0 - loss) * loss / n)[:, None] * fwd.h[l]).T @ y   # BFA Eq. (40)-(42), departs: the true gradient, not Eq. (42)'s -l_l y^T
            total += float(loss.mean())
            if trace is not None:
                self._trace_layer(trace, l, y, a_back, s, loss, g)
        if stats is not None:
            stats["feedback_loss"] = total
        return g

    def _trace_layer(self, trace, l, y, a_back, s, loss, g):
        """Layer ``l`` of the feedback's training under the paper's names (Eq. 39-42)."""
        if l == 1 and self.alpha:
            put(trace, "y_target", y, "BFA Eq. (51)", f"y' = y + {self.alpha:g} y_hat, the "
                "output features the feedback learns from")
        y_name = "y'" if self.alpha else "y"
        put(trace, f"a_back_{l}", a_back, "BFA Eq. (39)", f"<-a_{l} = <-w_{l} {y_name}")
        put(trace, f"align_{l}", s, "BFA Eq. (40)-(41)", f"<-a_{l} . h_{l}, one per example")
        put(trace, f"feedback_loss_{l}", loss, "BFA Eq. (40)-(41)",
            f"l_{l} = 1 - sigmoid(<-a_{l} . h_{l}), one per example")
        put(trace, f"dB_{l}", -g[f"B{l}"], "BFA Eq. (40)-(42)", f"-dl_{l}/d<-w_{l} = ((1 - l_{l}) "
            f"l_{l} h_{l})^T {y_name} / n (the gradient; Eq. 42 as printed is not one), "
            "before the learning rate", "direction")
