"""What every learning rule satisfies: the small interface the trainer, the estimator,
checkpoints and the analysis rely on.

A rule turns one minibatch into update directions ``g`` for every parameter and returns
them as a dict keyed like ``model.params`` (:meth:`LearningRule.updates`); it never writes
parameters (the optimiser does ``p -= lr * g``). Besides that it builds the network it trains
(:meth:`~LearningRule.make_model`), may draw fixed random state once (:meth:`~LearningRule.setup`)
or fit something to the training inputs (:meth:`~LearningRule.prepare`), and saves what it
owns (:meth:`~LearningRule.state`). Nothing here knows about a hidden ``delta_l``: the rules
that compute one (BP, FA, DFA, IFA, DRTP, BFA, BDFA, PEPITA) share
:class:`nplearn.rules.base.DeltaRule`; EP, EFP, sigprop and the spiking rules subclass this
class directly.
"""
import numpy as np


class LearningRule:
    """The interface every rule satisfies.

    Subclasses set :attr:`name`, :attr:`paper`, :attr:`defaults` and :attr:`equations`, and
    implement :meth:`make_model` and :meth:`updates`.

    Attributes
    ----------
    defaults : dict
        The settings used where the user passes ``None``: ``activation``, ``loss``,
        ``optimizer``, ``learning_rate`` (and, where a rule sets them, ``optimizer_params``,
        ``dropout``, ``schedule``). They are chosen to learn small data sets in
        ``Classifier``'s default 20 epochs (docs page "Defaults", with the validation
        numbers behind each); the papers' own settings are spelled out separately.
    equations : dict
        Equation tags of a traced step (:class:`~nplearn.rules.step_record.StepRecord`), keyed by
        what was recorded (``"x"``, ``"loss"``, ...), in the rule's own paper's numbering.
    B_ : dict of ndarray
        The arrays the rule owns besides ``model.params``, set by :meth:`setup`, returned by
        :meth:`state` (checkpoints save them as ``rule/<key>``) and, when trained, by
        :meth:`learned_params`. One attribute name, four meanings by rule:

        * FA, DFA, IFA, DRTP: the FIXED random feedback ``B_l``, keys ``"B1"``, ...;
        * BDFA: the direct feedback ``<-w_l``, keys ``"B1"``, ..., TRAINED by its feedback
          loss (Luo et al. Eq. 40-42);
        * BFA: the backward network ``<-w_k`` and its biases, keys ``"V1", "c1"``, ...,
          trained by reconstructing ``x`` (Eq. 23-29);
        * PEPITA: the fixed input projection ``F`` (Eq. 2), key ``"F"`` (also ``F_``);
        * snn_sigprop: the target generator ``S_1, d_1`` (sigprop Eq. 1), keys ``"S1"``,
          ``"d1"``, trained by layer 1's loss.

        BP has none; EP and EFP keep their persistent state under other names (their own
        :meth:`state`); discrete sigprop keeps its generator in ``model.params``.
    """

    name = None
    paper = None
    defaults = {}
    equations = {}

    #: Rule calls (and optimiser steps) per minibatch. EFP's Sec. 3.2.2 loop sets it to
    #: ``num_loops``; :func:`nplearn.train.train_step` honours it.
    steps_per_batch = 1

    def make_model(self, sizes, activation, loss, init, dropout, dtype, rng, conv=None,
                   image_shape=None, pool=2):
        """The network this rule trains, for layer sizes ``sizes = (n_0, ..., n_L)``."""
        raise NotImplementedError  # abstract

    def setup(self, model, rng):
        """Draw any fixed random state (feedback matrices) for ``model``; default: none."""

    def prepare(self, model, X):
        """Fit what the rule derives from the training inputs ``X``, before the first update.

        :class:`nplearn.Classifier` calls it once, at the first fit (``fit``, or the first
        ``partial_fit``); what it fits belongs in :meth:`state`. Default: nothing (the
        Hopfield rules fit their input map, :mod:`nplearn.rules.hopfield_base`).
        """

    def default_init(self, activation):
        """Name of the weight initialiser the paper uses with this activation."""
        return "uniform_fan_in"

    def updates(self, model, x, Y, rng=None, trace=None, stats=None, idx=None, loop=0):
        """Update directions ``g`` for one minibatch.

        Parameters
        ----------
        model : network
            What :meth:`make_model` built.
        x : ndarray of shape (n, n_0)
        Y : ndarray of shape (n, n_L)
            One-hot targets.
        rng : numpy.random.Generator, optional
            For dropout masks (and any other draw of the step).
        trace : dict, optional
            If given, filled with every intermediate under the paper's names.
        stats : dict, optional
            If given, receives ``"loss"`` (of this batch) and ``"n_errors"`` (misclassified
            examples), at little cost.
        idx : ndarray of int of shape (n,), optional
            Indices of the batch rows in the training set, passed by the trainer; rules
            with per-example state (EP's persistent particles) key it by them. ``None``:
            the rows belong to no training set (a direct call).
        loop : int
            Which of the rule's ``steps_per_batch`` calls on this batch this is (0 first;
            EFP's loop of Sec. 3.2.2 continues from the previous call's state when > 0).

        Returns
        -------
        dict
            ``{"W1": g_W1, "b1": g_b1, ...}``, shapes as in ``model.params``, and the update
            directions of :meth:`learned_params` under their keys.
        """
        raise NotImplementedError  # abstract

    def feedback_pairs(self, model):
        """``[(name, B, M), ...]``: each fixed feedback matrix ``B`` and the forward-weight
        matrix ``M`` (same shape) that BP would use in its place. Empty for BP.
        Used by :func:`nplearn.analysis.feedback_angles`."""
        return []

    def learned_params(self):
        """Arrays the rule owns that the OPTIMISER trains (e.g. BFA's feedback weights).

        Keys must not clash with ``model.params``; :meth:`updates` returns their update
        directions under the same keys. Default: none (feedback fixed or absent).
        """
        return {}

    def state(self):
        """Arrays the rule owns (fixed feedback ``B_``, learned ones), for checkpoints."""
        return {k: v for k, v in getattr(self, "B_", {}).items()}

    def load_state(self, state):
        """Restore :meth:`state` (arrays are written into ``B_`` under the same keys)."""
        if state:
            self.B_ = {k: np.array(v) for k, v in state.items()}

    def trace_state(self):
        """The rule's fixed arrays a traced step records before its forward pass, as
        ``[(key, array, equation, description), ...]``: :meth:`state` without the arrays
        the optimiser trains (those are recorded before and after the step)."""
        learned = self.learned_params()
        return [(k, v, self.equations.get("feedback", ""), f"fixed feedback {k}, drawn once")
                for k, v in self.state().items() if k not in learned]

    def get_params(self):
        """Hyperparameters as passed to ``__init__`` (learned/fixed state ends in ``_``)."""
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"
