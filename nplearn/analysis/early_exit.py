"""A training-loop callback recording every layer's own loss, early-exit error and update angle.

For rules whose layers each predict the label (signal propagation, Kohan et al. 2023,
Eq. 8-9). Attach it with ``nplearn.train.train(..., callbacks=[rec])`` or
``Classifier.fit(..., callbacks=[rec])``. Before training and after every epoch (or every
``every`` optimiser steps) it measures, on a fixed probe batch:

``layer_loss[l]``
    layer ``l``'s own loss ``L_pred`` (Eq. 9), from ``rule.layer_losses``;
``exit_error[l]``
    error rate of layer ``l``'s own prediction ``argmax O(h_l, t_l)`` (Eq. 8; the last
    entry is the network's prediction), from ``model.early_exit_logits``;
``update_angle[l]``
    angle (degrees) between the rule's update of ``W_l`` (``rule.updates``, the gradient
    of layer ``l``'s own loss) and BP's gradient of the NETWORK's prediction loss for the
    same weights (``rule.network_gradients``: backpropagated through the ``h`` path, the
    output targets held constant). Below 90 deg, the local update also descends the
    network's loss.

It calls public methods only: ``model.early_exit_logits``, ``rule.layer_losses``,
``rule.updates`` and ``rule.network_gradients``.
"""
import numpy as np

from .angles import angle
from .recorder import Recorder


class EarlyExitRecorder(Recorder):
    """Record per-layer losses, early-exit errors and update angles during training.

    Parameters
    ----------
    x : ndarray of shape (n, n_0)
        Probe inputs (e.g. the validation or test set).
    y : ndarray of shape (n,)
        Their class indices.
    every_epoch : bool
        Record after every epoch (and before the first step). ``False``: every ``every``
        optimiser steps instead.
    every : int
        Steps between records when ``every_epoch`` is ``False``.
    max_samples : int
        Use at most this many probe samples.

    Attributes
    ----------
    history : dict of lists
        ``step``, ``epoch``, ``weight_norm`` and ``layer_loss``, ``exit_error``,
        ``update_angle``: one list per record, one entry per weight layer.
    seconds_ : float
        Time spent recording.
    """

    KEYS = ("layer_loss", "exit_error", "update_angle")

    def __init__(self, x, y, every_epoch=True, every=50, max_samples=1000):
        super().__init__(x, y, every=every, max_samples=max_samples)
        self.every_epoch = bool(every_epoch)

    def on_batch_end(self, state):
        if not self.every_epoch:
            super().on_batch_end(state)

    def on_epoch_end(self, state):
        if self.every_epoch:
            self.record(state)

    def measure(self, state, x, Y):
        model, rule = state.model, state.rule
        h = self.history
        h["layer_loss"].append([float(v) for v in rule.layer_losses(model, x, Y)])
        h["exit_error"].append([float(np.mean(z.argmax(1) != self.y))
                                for z in model.early_exit_logits(x)])
        local, bp = rule.updates(model, x, Y), rule.network_gradients(model, x, Y)
        h["update_angle"].append([angle(local[f"W{l}"], bp[f"W{l}"])
                                  for l in range(1, model.n_layers + 1)])
