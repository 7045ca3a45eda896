"""Build a network and its rule together, filling ``None`` with the rule's paper defaults."""
import inspect

import numpy as np

from ..rules import get_rule
from .validation import check_hidden_sizes


def build(rule, n_features, n_classes, hidden_sizes=(100,), activation=None, loss=None,
          init=None, dropout=0.0, dtype="float64", rng=None, rule_params=None, conv=None,
          image_shape=None, pool=2, input_dropout=0.0):
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
    dropout : float, optional
        Hidden-layer drop probability; ``None``: the rule's default (``rule.defaults``, 0).
    dtype : {"float64", "float32"}
    rng : int or numpy.random.Generator
        Seeds the weights and the rule's fixed feedback.
    rule_params : dict, optional
        Hyperparameters of the rule.
    conv : sequence of tuples, optional
        Conv layers ``(channels, kernel, stride[, padding])`` before the dense hidden layers:
        a :class:`~nplearn.nn.ConvNet` for BP, FA, DFA, DRTP and PEPITA, sigprop's
        :class:`~nplearn.rules.sigprop_net.SigpropNet` and the spiking rules'
        :class:`~nplearn.snn.SpikingConvNet` with conv layers; IFA, BFA, BDFA, EP and EFP raise
        a ValueError (dense networks only).
    image_shape : tuple (C, H, W), optional
        Shape of one input image, required with ``conv`` (``C*H*W == n_features``).
    pool : int
        Max-pooling size after every conv layer (1 = none).
    input_dropout : float
        Input drop probability (DFA paper, Sec. 4: 0.1 in the dropout rows); only rules that
        train an :class:`~nplearn.nn.MLP` take it (a ValueError for the others, and with
        ``conv``).

    Returns
    -------
    model : MLP, ConvNet, or the network ``rule.make_model`` builds (``HopfieldNet`` for EP,
        EFP and sigprop_ct, ``SigpropNet`` for sigprop, ``SpikingConvNet`` for ``snn_*``)
    rule : LearningRule
    """
    rule = get_rule(rule, **(rule_params or {}))
    hidden_sizes = check_hidden_sizes(hidden_sizes)
    if n_classes < 2:
        raise ValueError(f"a classifier needs at least 2 classes, got {n_classes}")
    rng = np.random.default_rng(rng)
    activation = activation or rule.defaults["activation"]
    # only when given: EP's and EFP's make_model take no conv arguments; the spiking rules'
    # conv nets take image_shape and pool without conv (their conv blocks are their own)
    if conv is not None:
        conv_args = {"conv": conv, "image_shape": image_shape, "pool": pool}
    elif image_shape is not None and "image_shape" in inspect.signature(rule.make_model).parameters:
        conv_args = {"image_shape": image_shape, "pool": pool}
    else:
        conv_args = {}
    if input_dropout:               # only when given: the other networks have no input dropout
        if "input_dropout" not in inspect.signature(rule.make_model).parameters:
            raise ValueError(f"rule {rule.name!r} does not support input dropout; pass "
                             f"input_dropout=0 (got {input_dropout!r})")
        conv_args["input_dropout"] = input_dropout
    model = rule.make_model((n_features, *hidden_sizes, n_classes), activation=activation,
                            loss=loss or rule.defaults["loss"],
                            init=init or rule.default_init(activation),
                            dropout=rule.defaults.get("dropout", 0.0) if dropout is None else dropout,
                            dtype=dtype, rng=rng, **conv_args)
    rule.setup(model, rng)
    return model, rule
