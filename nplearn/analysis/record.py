"""A training-loop callback that records alignment angles and weight norms.

Attach it with ``Classifier.fit(..., callbacks=[rec])`` or
``nplearn.train.train(..., callbacks=[rec])``. Every ``every`` optimiser steps
(and before the first and after the last step) it measures, on a fixed probe batch:

``update_angle_mean[l]``, ``update_angle_std[l]``
    mean and spread over the probe samples of the angle between the rule's
    ``delta_l`` and BP's (DFA Theorem 1: below 90 deg means descent); empty lists for
    a rule without ``deltas`` (EP, EFP);
``weight_angle[l]``
    angle between the rule's and BP's update of ``W_l``;
``feedback_angle[name]``
    each feedback matrix vs the forward path it stands in for (EFP: each loop matrix vs
    the product of the others, Fig. 5);
``weight_norm[l]``
    Frobenius norm of ``W_l``.

The time it spends is kept in ``seconds_`` so its overhead can be reported.
"""
import time

import numpy as np

from ..train.loop import one_hot
from .angles import feedback_angles, update_angles


class AlignmentRecorder:
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

    def __init__(self, x, y, every=50, max_samples=256):
        self.x, self.y = np.asarray(x)[:max_samples], np.asarray(y)[:max_samples]
        self.every = int(every)
        if self.every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        self.history = {k: [] for k in ("step", "epoch", "update_angle_mean", "update_angle_std",
                                        "weight_angle", "feedback_angle", "weight_norm")}
        self.seconds_ = 0.0

    def on_train_begin(self, state):
        if not self.history["step"]:
            self.record(state)

    def on_batch_end(self, state):
        if state.step % self.every == 0:
            self.record(state)

    def on_train_end(self, state):
        if not self.history["step"] or self.history["step"][-1] != state.step:
            self.record(state)    # always keep the final state

    def record(self, state):
        """Measure now and append to :attr:`history`."""
        t0 = time.perf_counter()
        model, rule = state.model, state.rule
        x = self.x.astype(model.dtype, copy=False)
        Y = one_hot(self.y, model.sizes[-1], model.dtype)
        if getattr(rule, "deltas", None) is not None:
            per_sample, per_weight = update_angles(model, rule, x, Y, seed=state.step)
        else:                                   # EP, EFP: no delta_l to compare with BP's
            per_sample, per_weight = {}, {}
        h = self.history
        h["step"].append(int(state.step))
        h["epoch"].append(state.step / state.n_batches)
        h["update_angle_mean"].append([_nanstat(np.nanmean, a) for a in per_sample.values()])
        h["update_angle_std"].append([_nanstat(np.nanstd, a) for a in per_sample.values()])
        h["weight_angle"].append(list(per_weight.values()))
        h["feedback_angle"].append(feedback_angles(model, rule))
        h["weight_norm"].append([float(np.linalg.norm(W)) for W in model.W[1:]])
        self.seconds_ += time.perf_counter() - t0

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
