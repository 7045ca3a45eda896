"""What every recording callback shares: when to record, the probe batch, the timing.

A subclass lists its quantities in ``KEYS`` and implements ``measure(state, x, Y)``,
which appends one entry to each of them in :attr:`Recorder.history`. The base class
records before the first step, every ``every`` optimiser steps and after the last step,
and adds ``step``, ``epoch`` (fractional: ``step / batches per epoch``) and
``weight_norm`` (Frobenius norm of each ``W_l``) to every record.
"""
import time

import numpy as np

from ..train.loop import one_hot


class Recorder:
    """Base of the training-loop callbacks that measure a probe batch now and then.

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
        ``step``, ``epoch``, ``weight_norm`` and the subclass's ``KEYS``.
    seconds_ : float
        Time spent recording, so its overhead can be reported.
    """

    KEYS = ()

    def __init__(self, x, y, every=50, max_samples=256):
        self.x, self.y = np.asarray(x)[:max_samples], np.asarray(y)[:max_samples]
        self.every = int(every)
        if self.every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        self.history = {k: [] for k in ("step", "epoch", *self.KEYS, "weight_norm")}
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
        model = state.model
        x = self.x.astype(model.dtype, copy=False)
        Y = one_hot(self.y, model.sizes[-1], model.dtype)
        h = self.history
        h["step"].append(int(state.step))
        h["epoch"].append(state.step / state.n_batches)
        self.measure(state, x, Y)
        h["weight_norm"].append([float(np.linalg.norm(W)) for W in model.W[1:]])
        self.seconds_ += time.perf_counter() - t0

    def measure(self, state, x, Y):
        """Append this record's quantities (one per name in ``KEYS``) to :attr:`history`."""
        raise NotImplementedError  # abstract
