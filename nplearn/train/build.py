"""Build a network and its rule together, filling ``None`` with the rule's paper defaults."""
import numpy as np

from ..rules import get_rule
from .validation import check_hidden_sizes


def build(rule, n_features, n_classes, hidden_sizes=(100,), activation=None, loss=None,
          init=None, dropout=0.0, dtype="float64", rng=None, rule_params=None):
    """Create ``(model, rule)`` ready to train.

    Parameters
    ----------
    rule : str or LearningRule
        A name in :data:`nplearn.rules.RULES` (e.g. ``"dfa"``).
    n_features, n_classes : int
    hidden_sizes : tuple of int
    activation, loss, init : str, optional
        ``None`` takes the rule's paper default (``rule.defaults`` and
        ``rule.default_init(activation)``; e.g. zero weights for DFA with tanh).
    dropout : float
        Hidden-layer drop probability.
    dtype : {"float64", "float32"}
    rng : int or numpy.random.Generator
        Seeds the weights and the rule's fixed feedback.
    rule_params : dict, optional
        Hyperparameters of the rule.

    Returns
    -------
    model : MLP, or the network ``rule.make_model`` builds (``HopfieldNet`` for EP, EFP)
    rule : LearningRule
    """
    rule = get_rule(rule, **(rule_params or {}))
    hidden_sizes = check_hidden_sizes(hidden_sizes)
    if n_classes < 2:
        raise ValueError(f"a classifier needs at least 2 classes, got {n_classes}")
    rng = np.random.default_rng(rng)
    activation = activation or rule.defaults["activation"]
    model = rule.make_model((n_features, *hidden_sizes, n_classes), activation=activation,
                            loss=loss or rule.defaults["loss"],
                            init=init or rule.default_init(activation), dropout=dropout,
                            dtype=dtype, rng=rng)
    rule.setup(model, rng)
    return model, rule
