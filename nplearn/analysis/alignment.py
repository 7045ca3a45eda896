"""A training-loop callback that records alignment angles and weight norms.

Attach it with ``Classifier.fit(..., callbacks=[rec])`` or
``nplearn.train.train(..., callbacks=[rec])``. Every ``every`` optimiser steps
(and before the first and after the last step) it measures, on a fixed probe batch:

``update_angle_mean[l]``, ``update_angle_std[l]``
    mean and spread over the probe samples of the angle between the rule's
    ``delta_l`` and BP's (DFA Theorem 1: below 90 deg means descent);
``weight_angle[l]``
    angle between the update of ``W_l`` the rule returns (what the optimiser applies) and
    BP's gradient of ``W_l`` (:func:`~nplearn.analysis.update_angles`);
``feedback_angle[name]``
    each feedback matrix vs the forward path it stands in for (EFP: each loop matrix vs
    the product of the others, Fig. 5);
``weight_norm[l]``
    Frobenius norm of ``W_l``.

The update angles are measured on the networks BP differentiates (:class:`~nplearn.nn.MLP`,
:class:`~nplearn.nn.ConvNet`); for the others (the Hopfield nets of EP and EFP, sigprop's,
the spiking net) they are empty lists.

The time it spends is kept in ``seconds_`` so its overhead can be reported.
"""
import numpy as np

from ..nn import MLP, ConvNet
from .angles import feedback_angles, update_angles
from .recorder import Recorder


class AlignmentRecorder(Recorder):
    """Record alignment angles and weight norms during training.

    Parameters
    ----------
    x : ndarray of shape (n, n_0)
        Probe inputs (e.g. a few hundred training samples).
    y : ndarray of shape (n,)
        Their class indices.
    every : int
        Record every ``every`` optimiser steps.
    max_samples : int
        Use at most this many probe samples.

    Attributes
    ----------
    history : dict of lists
        ``step``, ``epoch`` (epochs done, fractional: ``step / batches per epoch``) and
        the quantities above; per-layer quantities are
        lists of per-record lists (hidden layers 1..L-1, or weight layers 1..L).
    seconds_ : float
        Time spent recording.
    """

    KEYS = ("update_angle_mean", "update_angle_std", "weight_angle", "feedback_angle")

    def measure(self, state, x, Y):
        model, rule = state.model, state.rule
        if isinstance(model, (MLP, ConvNet)):
            per_sample, per_weight = update_angles(model, rule, x, Y, seed=state.step)
        else:                                   # EP, EFP, sigprop, spiking: no BP gradient here
            per_sample, per_weight = {}, {}
        h = self.history
        h["update_angle_mean"].append([_nanstat(np.nanmean, a) for a in per_sample.values()])
        h["update_angle_std"].append([_nanstat(np.nanstd, a) for a in per_sample.values()])
        h["weight_angle"].append(list(per_weight.values()))
        h["feedback_angle"].append(feedback_angles(model, rule))

    def as_arrays(self):
        """The history as arrays: ``(n_records, n_layers)`` per quantity, feedback as a dict."""
        h = self.history
        out = {k: np.asarray(h[k], dtype=float) for k in
               ("step", "epoch", "update_angle_mean", "update_angle_std", "weight_angle",
                "weight_norm")}
        names = h["feedback_angle"][0].keys() if h["feedback_angle"] else []
        out["feedback_angle"] = {n: np.array([r[n] for r in h["feedback_angle"]]) for n in names}
        return out


def _nanstat(fn, a):
    return float(fn(a)) if np.any(np.isfinite(a)) else float("nan")
