"""Hidden representations before and after training (PEPITA Fig. 4).

:class:`HiddenSnapshots` is a training-loop callback: at the start of training and at the
end it stores ``model.hidden(x)`` for a fixed set of inputs, so the same points can be
embedded at initialisation and after training (:func:`nplearn.analysis.embed`,
:func:`nplearn.plot.plot_embedding_grid`).
"""
import numpy as np


class HiddenSnapshots:
    """Store every hidden layer's activity for ``x`` when training begins and ends.

    Parameters
    ----------
    x : ndarray of shape (n, n_0)
        Inputs to record (e.g. a few hundred test images).

    Attributes
    ----------
    before_, after_ : list of ndarray of shape (n, n_l)
        ``[h_1, ..., h_{L-1}]`` (inference pass, no dropout) at the first and last step.
    """

    def __init__(self, x):
        self.x = np.asarray(x)

    def _hidden(self, model):
        return [h.copy() for h in model.hidden(self.x.astype(model.dtype, copy=False))]

    def on_train_begin(self, state):
        if not hasattr(self, "before_"):         # partial_fit: keep the very first
            self.before_ = self._hidden(state.model)

    def on_train_end(self, state):
        self.after_ = self._hidden(state.model)
