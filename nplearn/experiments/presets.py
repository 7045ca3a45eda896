"""Per-rule settings for :func:`nplearn.experiments.compare`: the experiment on the digits.

``nplearn compare`` runs each rule in a setting of its paper scaled down to the bundled
digits, NOT with the rule's defaults (``Classifier`` arguments left ``None``, which are made
to learn in 20 epochs of one hidden layer). The DFA paper's rules (Nøkland 2016, Sec. 3:
tanh, logistic output with binary cross-entropy, RMSprop) train two hidden layers of 100
(so FA, DFA and IFA differ) for 60 epochs of 64; BFA and BDFA the same at their own learning
rate; EP and EFP a continuous Hopfield network in minibatches of 20 for 60 epochs; PEPITA its
paper's MNIST fully connected setting (Table 2) on a 1x1024 ReLU net; sigprop two hidden
layers for 50 epochs; the spiking rules sigprop's Sec. VI setting. Every value the preset
sets is spelled out below, so that these runs do not move when a default does; how each
learning rate was chosen on the digits validation split (the numbers) is on the docs page
"Defaults" (``docs/defaults.md``, section "compare's presets"). ``PRESETS`` is a plain dict;
edit it to tune a rule. A rule of :data:`nplearn.rules.RULES` without an entry trains with
its defaults.
"""
from ..estimator import Classifier
from ..rules import RULES
from .paper_settings import paper_settings

#: What ``nplearn compare`` runs by default: every rule but the spiking ones (``snn_*``),
#: which train a spiking conv net for 40 epochs each (about 5 minutes more on 2 cores);
#: ask for them by name (``--rules snn_bp snn_shallow snn_sigprop``, sigprop's Table V).
DEFAULT_RULES = tuple(r for r in RULES if not r.startswith("snn_"))

_DFA_PAPER_ON_DIGITS = {"hidden_sizes": (100, 100), "activation": "tanh", "loss": "logistic_bce",
                        "optimizer": "rmsprop", "learning_rate": 3e-3, "epochs": 60,
                        "batch_size": 64}

# DRTP (the baseline of the DFA-style tables) runs in the same setting as the DFA family.
PRESETS = {rule: dict(_DFA_PAPER_ON_DIGITS) for rule in ("bp", "fa", "dfa", "ifa", "drtp")}
PRESETS.update({rule: {**_DFA_PAPER_ON_DIGITS, "learning_rate": 1e-3} for rule in ("bfa", "bdfa")})
_HOPFIELD_ON_DIGITS = {"activation": "hard_sigmoid", "loss": "mse", "optimizer": "sgd",
                       "epochs": 60, "batch_size": 20}
# EP: the reference code's per-layer rates (the rule's default for one hidden layer, 0.2 and
# 0.1 in our cost convention) at factor 1.
PRESETS["ep"] = {**_HOPFIELD_ON_DIGITS, "hidden_sizes": (100,), "learning_rate": 1.0}
# EFP: Table 1's rates for two hidden layers (the rule's default at that depth; one example
# per update in the paper) times 10 for batches of 20.
PRESETS["efp"] = {**_HOPFIELD_ON_DIGITS, "hidden_sizes": (100, 100), "learning_rate": 10.0}
# Continuous sigprop: EFP's preset (its default rates at that depth: 0.2, 0.05, 0.01, loop 0.01).
PRESETS["sigprop_ct"] = dict(PRESETS["efp"])
# Discrete sigprop: two hidden layers of 100 (so there is a hidden layer between the first
# and the output), 50 epochs of 64, leaky ReLU and Adam (Sec. IV).
PRESETS["sigprop"] = {"hidden_sizes": (100, 100), "activation": "leaky_relu",
                      "loss": "softmax_ce", "optimizer": "adam", "learning_rate": 4e-3,
                      "epochs": 50, "batch_size": 64}
# Spiking conv nets (sigprop Sec. VI) at digits scale: Adam with a cosine schedule as the paper,
# lr 1e-2 chosen on validation (the paper's 5e-4 is far too slow for 40 epochs of digits).
_SPIKING_ON_DIGITS = {"hidden_sizes": (100,), "optimizer": "adam", "learning_rate": 1e-2,
                      "schedule": "cosine", "epochs": 40, "batch_size": 64, "dtype": "float32"}
PRESETS.update({r: dict(_SPIKING_ON_DIGITS) for r in ("snn_bp", "snn_shallow", "snn_sigprop")})
# PEPITA: its paper's MNIST fully connected setting (Table 2) on digits: 1x1024 ReLU, softmax,
# SGD momentum 0.9, dropout 10 %, batch 64, 100 epochs, lr x0.1 at epoch 60, F_scale 0.05.
PRESETS["pepita"] = {k: v for k, v in paper_settings("pepita", "pepita-table2-fc-mnist").items()
                     if k != "rule"}


def preset(rule, **overrides):
    """``Classifier`` kwargs for ``rule``: its preset updated by ``overrides``.

    Parameters
    ----------
    rule : str
        A name in :data:`nplearn.rules.RULES`.
    **overrides
        ``Classifier`` kwargs; a value of ``None`` keeps the preset's.

    Returns
    -------
    dict
        A fresh copy; ``{}`` plus ``overrides`` for a rule without a preset.

    Examples
    --------
    >>> preset("dfa", epochs=5)["epochs"]
    5
    """
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; choose one of {', '.join(RULES)}")
    kwargs = dict(PRESETS.get(rule, {}))
    kwargs.update({k: v for k, v in overrides.items() if v is not None})
    return kwargs


def settings(rule, **overrides):
    """Every ``Classifier`` argument but ``random_state`` and ``verbose``, nothing left ``None``
    that the rule has a default for: ``preset(rule, **overrides)``, then ``rule.defaults``.

    ``Classifier(**settings(rule), random_state=seed)`` trains exactly as
    ``Classifier(rule=rule, **preset(rule), random_state=seed)``; the dict also
    records what was used.

    Examples
    --------
    >>> settings("dfa", learning_rate=1e-4)["learning_rate"]
    0.0001
    """
    params = Classifier(rule=rule, **preset(rule, **overrides)).get_params()
    del params["random_state"], params["verbose"]
    params.update({k: v for k, v in RULES[rule].defaults.items()
                   if k in params and params[k] is None})
    return params
