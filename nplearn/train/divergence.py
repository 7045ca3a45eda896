"""Divergence: what counts as it, the error raised, and the state restored after it.

Training has diverged when the batch loss is NaN or inf, or when an update leaves a
parameter with an entry that is NaN, inf or larger in magnitude than :data:`PARAM_BOUND`.
The second test matters for the rules whose monitored loss is bounded (EP, EFP and
sigprop_ct clip their states to [0, 1]; PEPITA with a large ``F_scale``): their weights can
grow to 1e40 while the loss stays finite. The optimiser makes the test in the same pass as
the update (:mod:`nplearn.optim.kernels`), so it costs nothing measurable; an update that
is itself NaN or huge shows in the parameter it produces.

:func:`nplearn.train.train` keeps a :class:`Snapshot` of the model's parameters, the rule's
state, the optimiser's state and the random generator at the start of every epoch. On
divergence it restores the snapshot of the diverged epoch, so the objects hold exactly what
they held at the end of the last epoch that finished, and raises :class:`DivergenceError`
saying so.
"""
import copy

import numpy as np

#: Largest magnitude a parameter entry may reach before training counts as diverged.
#: Networks on inputs of order one keep their weights and biases within about +-100; an
#: entry beyond 1e6 only comes from a step size the model cannot follow.
PARAM_BOUND = 1e6


class DivergenceError(FloatingPointError):
    """Training diverged: a NaN/inf loss, or a parameter NaN, inf or beyond ``PARAM_BOUND``.

    :func:`nplearn.train.train` sets the attributes below when it raises the error.

    Attributes
    ----------
    history : dict
        The history of the epochs that finished before the divergence.
    epoch : int
        Number of epochs in ``history``; the model, rule, optimiser and random generator
        hold their state at the end of that epoch (0: the state before training).
    restored : bool
        Whether that state was restored (always, when raised by ``train``).
    """

    history = None
    epoch = None
    restored = False


def lower_lr_hint(optimizer):
    """The advice that ends every divergence message."""
    return (f"Lower the learning rate (now {optimizer.lr:g}), e.g. to {optimizer.lr / 10:g}.")


class Snapshot:
    """A copy of everything one epoch changes: model parameters (in place), the rule's
    attributes (fixed and learned feedback, persistent states), the optimiser's state and
    the random generator's state."""

    def __init__(self, model, rule, optimizer, rng):
        self.params = {k: v.copy() for k, v in model.params.items()}
        # arrays the rule shares with the model (EFP's fixed loop matrix) stay shared
        memo = {id(model): model, **{id(v): v for v in model.params.values()},
                **{id(v): v for v in getattr(model, "fixed", {}).values()}}
        self.rule = copy.deepcopy(vars(rule), memo)
        self.optimizer = copy.deepcopy(optimizer.state_dict())
        self.rng = copy.deepcopy(rng.bit_generator.state)

    def restore(self, model, rule, optimizer, rng):
        """Put the objects back into the state they had when the snapshot was taken."""
        for k, v in self.params.items():
            np.copyto(model.params[k], v)
        vars(rule).clear()
        vars(rule).update(self.rule)
        optimizer.load_state_dict(self.optimizer)
        rng.bit_generator.state = self.rng
