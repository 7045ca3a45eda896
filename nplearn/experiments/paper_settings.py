"""The papers' exact settings, one call away: ``Classifier(**paper_settings(rule, name))``.

>>> import nplearn
>>> kw = nplearn.paper_settings("efp", "efp-table1-2x1500")
>>> kw["hidden_sizes"], kw["batch_size"], kw["rule_params"]["lr_layers"]
((1500, 1500), 1, (0.2, 0.05, 0.01))
>>> clf = nplearn.Classifier(**kw, random_state=0)

This module is the one place where a paper's training settings are written down as
``Classifier`` keyword arguments; the tables of :mod:`nplearn.experiments.tables` take their
full-scale settings from it, and ``nplearn reproduce --list`` prints it. A name is
``<paper>-<table or section>-<network>``; the same name serves every rule a table compares
(``paper_settings("fa", "dfa-table1-2x800")``). Where a paper does not print a value, the
setting holds nplearn's choice and its ``ours`` text says which values those are.

The settings of a rule's own module stay there and are only referred to here: EFP Table 1's
per-layer rates are :data:`nplearn.rules.efp.PAPER_LR_LAYERS` (the rule's defaults with
two and three hidden layers).
"""
from copy import deepcopy
from dataclasses import dataclass, replace

from ..rules import RULES
from ..rules.efp import PAPER_LR_LAYERS


@dataclass(frozen=True)
class PaperSetting:
    """One paper's setting for one rule: ``kwargs`` (complete ``Classifier`` arguments but
    ``random_state``), where it is printed (``source``) and which values are ours (``ours``)."""

    rule: str
    name: str
    kwargs: dict
    source: str
    ours: str = ""


#: ``(rule, name) -> PaperSetting``; read it through :func:`paper_settings`.
PAPER_SETTINGS = {}


def _add(rules, name, source, ours="", **kwargs):
    for rule in rules:
        assert rule in RULES and (rule, name) not in PAPER_SETTINGS, (rule, name)
        PAPER_SETTINGS[rule, name] = PaperSetting(rule, name, {"rule": rule, **kwargs},
                                                  source, ours)


# ---------------------------------------------------------------- Nøkland 2016 (DFA), Sec. 4
# "binary cross-entropy loss and optimized with RMSprop ... the learning rate was roughly
# optimized for BP and then used for all methods ... stopped when training error reached
# 0.01% or the number of epochs reached 300. A mini-batch size of 64 was used."
_DFA = {"activation": "tanh", "loss": "logistic_bce", "optimizer": "rmsprop",
        "learning_rate": 1e-4, "batch_size": 64, "epochs": 300}
_DFA_OURS = ("learning_rate 1e-4 (the paper's 'roughly optimized for BP' value is not "
             "printed); 300 epochs without the stop at 0.01 % training error")
# The "+ DO" rows of Tables 1-3 (Sec. 4): "a dropout probability of 0.1 was used in the input
# layer and 0.5 elsewhere".
_DFA_DO = {"dropout": 0.5, "input_dropout": 0.1}
_DFA_NETS = {
    "table1": ("Table 1 (MNIST)", {
        "7x240": ((240,) * 7, {}), "100x240": ((240,) * 100, {}), "1x800": ((800,), {}),
        "2x800": ((800,) * 2, {}), "3x800": ((800,) * 3, {}), "4x800": ((800,) * 4, {}),
        "2x800-logistic": ((800,) * 2, {"activation": "logistic"}),
        "2x800-relu": ((800,) * 2, {"activation": "relu"}),
        "2x800-dropout": ((800,) * 2, _DFA_DO)}),
    "table2": ("Table 2 (CIFAR-10)", {
        "1x1000": ((1000,), {}), "3x1000": ((1000,) * 3, {}),
        "3x1000-dropout": ((1000,) * 3, _DFA_DO)}),
}
_DFA_NETS["table3"] = ("Table 3 (CIFAR-100)", _DFA_NETS["table2"][1])
for _table, (_where, _nets) in _DFA_NETS.items():
    for _net, (_hidden, _extra) in _nets.items():
        _add(("bp", "fa", "dfa"), f"dfa-{_table}-{_net}", f"Nøkland 2016, Sec. 4 and {_where}",
             _DFA_OURS, **{**_DFA, "hidden_sizes": _hidden, **_extra})

# ---------------------------------------------------------------- Luo, Fu & Glass 2017, Sec. 5
# "tanh ... learning rate 1e-4 fixed ... 300 epochs ... batch size 128". Loss and optimiser
# are not printed: each rule's nplearn default (logistic BCE, RMSprop) is used.
_BFA = {"activation": "tanh", "learning_rate": 1e-4, "epochs": 300, "batch_size": 128}
_BFA_OURS = ("loss and optimiser (not printed): each rule's default, logistic BCE and "
             "RMSprop; the paper trains on 50,000 samples, nplearn on its training split")
for _table, _where, _nets in (("table1", "Table 1 (MNIST)", ("1x400", "1x800", "2x400", "2x800",
                                                             "3x400", "3x800")),
                              ("table2", "Table 2 (CIFAR-10)", ("1x400", "1x800", "2x400",
                                                                "2x800"))):
    for _net in _nets:
        _n, _width = (int(v) for v in _net.split("x"))
        _add(("bp", "fa", "dfa", "bfa"), f"bfa-{_table}-{_net}",
             f"Luo, Fu & Glass 2017, Sec. 5 and {_where}", _BFA_OURS,
             **{**_BFA, "hidden_sizes": (_width,) * _n})
        # CIFAR-10: BDFA's feedback learns from y' = y + 0.25 y_hat (Eq. 51, Sec. 5)
        _add(("bdfa",), f"bfa-{_table}-{_net}", f"Luo, Fu & Glass 2017, Sec. 5 and {_where}"
             + (", Eq. (51) with alpha = 0.25" if _table == "table2" else ""), _BFA_OURS,
             **{**_BFA, "hidden_sizes": (_width,) * _n},
             **({"rule_params": {"alpha": 0.25}} if _table == "table2" else {}))

# ---------------------------------------------------------------- Kohan et al. 2018 (EFP)
# Table 1 (one example per update) and Sec. 5: "The two layer architecture was run for sixty
# epochs and the three layer for one hundred and fifty epochs. The best model during the entire
# run was kept." The per-layer rates are the rule's own constants (PAPER_LR_LAYERS); SGD at
# learning_rate 1 applies them unscaled. Table 1's last rate, 0.0, is the fixed loop's.
_EFP_NETS = {2: {"n_free": 16, "n_clamped": 8}, 3: {"n_free": 20, "n_clamped": 10}}
_EFP_EPOCHS = {2: 60, 3: 150}
for _depth, _steps in _EFP_NETS.items():
    _add(("efp",), f"efp-table1-{_depth}x1500", "Kohan, Rietman & Siegelmann 2018, Table 1 and "
         "Sec. 5", "", hidden_sizes=(1500,) * _depth, optimizer="sgd", learning_rate=1.0,
         batch_size=1, epochs=_EFP_EPOCHS[_depth],
         rule_params={**_steps, "num_loops": 2, "h": 0.5, "beta": 1.0,
                      "lr_layers": PAPER_LR_LAYERS[_depth]})

# ---------------------------------------------------------------- sigprop 2023, Sec. V-C
# "A two and another three layer architecture of 1500 neurons per layer were trained ... sixty
# epochs and ... one hundred and fifty epochs. The best model during the entire run was kept."
# The rest is not printed: EFP Table 1's settings (the same authors' network), the loop trained.
for _depth, _steps in _EFP_NETS.items():
    _add(("sigprop_ct",), f"sigprop-secV-{_depth}x1500", "Kohan, Rietman & Siegelmann 2023, "
         "Sec. V-C", "every setting but the nets, the epochs and the trained loop is EFP "
         "Table 1's (not printed in Sec. V); one free / clamped / update cycle per example; "
         "the loop's rate is the output layer's", hidden_sizes=(1500,) * _depth,
         optimizer="sgd", learning_rate=1.0, batch_size=1, epochs=_EFP_EPOCHS[_depth],
         rule_params={**_steps, "num_loops": 1, "h": 0.5, "beta": 1.0, "train_loop": True,
                      "lr_layers": (*PAPER_LR_LAYERS[_depth], PAPER_LR_LAYERS[_depth][-1])})

# ---------------------------------------------------------------- sigprop 2023, Sec. VI, Table V
# "ADAM ... 5e-4. Cosine Annealing ... T_max set to 64 ... 64 epochs using a batchsize of 128."
# Two conv layers (batch norm, IF, 2x2 max pooling) and two dense layers; sizes not printed.
# nplearn's spiking net leaves batch norm out (nplearn.snn.network says why).
_SNN = {"hidden_sizes": (100,), "optimizer": "adam", "learning_rate": 5e-4, "schedule": "cosine",
        "epochs": 64, "batch_size": 128, "dtype": "float32",
        "rule_params": {"conv": ((32, 3, 1, 1), (64, 3, 1, 1))}}
_SNN_OURS = ("the conv layers' sizes (32 and 64 maps, 3x3, padding 1) and the 100 dense IF "
             "units (not printed); float32 (the paper: 16-bit mixed precision); no batch norm "
             "(nplearn.snn)")
_add(("snn_bp", "snn_shallow", "snn_sigprop"), "sigprop-table5",
     "Kohan, Rietman & Siegelmann 2023, Sec. VI and Table V", _SNN_OURS, **_SNN)
_add(("snn_sigprop",), "sigprop-table5-voltage",
     "Kohan, Rietman & Siegelmann 2023, Sec. VI and Table V", _SNN_OURS,
     **{**_SNN, "rule_params": {**_SNN["rule_params"], "mode": "voltage"}})

# ---------------------------------------------------------------- Dellaferrera & Kreiman 2022
# Supplementary Table 2: ReLU, softmax, SGD with momentum 0.9, 100 epochs, eta per rule.
_PEP = {"activation": "relu", "loss": "softmax_ce", "optimizer": "sgd",
        "optimizer_params": {"momentum": 0.9}, "epochs": 100}
_PEP_FC = {**_PEP, "hidden_sizes": (1024,), "batch_size": 64, "dropout": 0.1}
_PEP_CONV = {**_PEP, "conv": ((32, 5, 1),), "hidden_sizes": (), "batch_size": 100,
             "dropout": 0.0, "schedule": "multistep:10,30,60"}
_PEP_OURS = ("He init for PEPITA only: nplearn's BP and FA keep U(+-1/sqrt(fan_in)) (the "
             "paper He-initialises every net)")
_PEP_ETA = {  # (BP, FA, PEPITA) of Table 2
    "fc-mnist": (0.1, 0.1, 0.1), "fc-cifar10": (0.01, 0.001, 0.01),
    "fc-cifar100": (0.01, 0.001, 0.01), "conv-mnist": (0.1, 0.1, 0.1),
    "conv-cifar10": (0.01, 0.01, 0.1), "conv-cifar100": (0.01, 0.01, 0.1)}
for _net, _etas in _PEP_ETA.items():
    _base = _PEP_CONV if _net.startswith("conv") else {
        **_PEP_FC, "schedule": "multistep:60" if _net == "fc-mnist" else "multistep:60,90"}
    for _rule, _eta in zip(("bp", "fa", "pepita"), _etas):
        _F = {"rule_params": {"F_scale": 0.05}} if _rule == "pepita" else {}   # Table 2's F
        _add((_rule,), f"pepita-table2-{_net}", "Dellaferrera & Kreiman 2022, Table 1 and "
             "Supplementary Table 2", _PEP_OURS, **{**_base, "learning_rate": _eta, **_F})


def paper_settings(rule, name):
    """``Classifier`` keyword arguments of a paper's setting (a fresh copy, with ``rule``).

    Parameters
    ----------
    rule : str
        A rule of :data:`nplearn.rules.RULES` that has paper settings.
    name : str
        ``<paper>-<table>-<network>``, e.g. ``"efp-table1-2x1500"``; see
        :func:`list_paper_settings`.

    Returns
    -------
    dict
        Every setting the paper prints (and nplearn's choice where it does not, see
        ``list_paper_settings()``), without ``random_state``.

    Examples
    --------
    >>> paper_settings("fa", "pepita-table2-fc-cifar10")["learning_rate"]
    0.001
    """
    if (rule, name) not in PAPER_SETTINGS:
        rules = sorted({r for r, _ in PAPER_SETTINGS})
        if rule not in rules:
            raise ValueError(f"no paper settings for rule {rule!r}; rules with paper settings: "
                             f"{', '.join(rules)}")
        names = [n for r, n in PAPER_SETTINGS if r == rule]
        raise ValueError(f"no paper setting {name!r} for rule {rule!r}; choose one of "
                         f"{', '.join(names)} (nplearn reproduce --list)")
    return deepcopy(PAPER_SETTINGS[rule, name].kwargs)


def list_paper_settings(rule=None):
    """Every :class:`PaperSetting` (of ``rule``, if given), in the order they are defined."""
    if rule is not None and rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; choose one of {', '.join(RULES)}")
    return [replace(s, kwargs=deepcopy(s.kwargs)) for (r, _), s in PAPER_SETTINGS.items()
            if rule in (None, r)]
