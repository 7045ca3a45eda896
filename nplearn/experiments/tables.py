"""The tables of the five papers, as data: each paper's numbers and the settings to reproduce them.

One :class:`Table` per printed table. A table has columns (the learning rules, in the paper's
order) and rows (networks, or datasets). Each row holds the paper's numbers exactly as printed
(strings, ``"-"`` for an empty field, which in the DFA paper means "no convergence") and the
``Classifier`` settings at two scales:

``full``  the paper's dataset (``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100``; fetched
          by ``data_scripts/download.py``), network and epochs: a name of
          :mod:`nplearn.experiments.paper_settings` (the one place the papers' settings are
          written), or explicit settings where no paper prints them;
``cpu``   the bundled ``digits`` (8x8 images, 1293 training samples), hidden widths divided by
          about 4, fewer epochs, so a table at 3 seeds runs in minutes on 2 cores. At this scale
          compare the ORDER of the rules with the paper's, not the numbers; rows whose paper
          datasets differ (MNIST, CIFAR) map to the same digits run, which is trained once.

A column set to ``None``, or a row's ``missing`` entry, marks a model nplearn does not run
(DRTP, adversarial training, the DFA paper's CIFAR conv net); it is listed with the paper's
number and "not implemented". The ``fashion-*`` tables at the end are nplearn's own (no paper
prints them): every feedforward rule on full Fashion-MNIST, with BP's learning rate tuned on
the validation split first. :func:`nplearn.experiments.reproduce.reproduce` runs a table.
"""
import re
from dataclasses import dataclass, field, replace

from .paper_settings import paper_settings

#: A column's ``learning_rate`` that is BP's, tuned on validation by the table's ``tuned_by``.
TUNED = "tuned"


def slug(text):
    """``"784-1500-1500-10 (fashion_mnist)"`` -> ``"784-1500-1500-10-fashion-mnist"``."""
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-")


@dataclass(frozen=True)
class Row:
    """One printed row: its label, dataset, the paper's numbers and the settings per scale.

    ``paper`` maps column -> the printed value (``"-"``: empty field). ``full`` is a name of
    :data:`~nplearn.experiments.paper_settings.PAPER_SETTINGS` (each column's rule's setting
    of that name) or ``Classifier`` kwargs; ``cpu`` kwargs. ``per_column`` maps column ->
    ``{"full": ..., "cpu": {...}}`` for that column: a paper-setting name, or kwargs merged
    over the row's (PEPITA's learning rate per rule at cpu scale). ``missing`` maps column ->
    why nplearn cannot run it here. ``key`` names the row for ``--rows`` (default: the slug of
    ``model``).
    """

    model: str
    dataset: str
    paper: dict
    full: object
    cpu: dict
    per_column: dict = field(default_factory=dict)
    missing: dict = field(default_factory=dict)
    key: str = ""

    def __post_init__(self):
        if not self.key:
            object.__setattr__(self, "key", slug(self.model))


@dataclass(frozen=True)
class Table:
    """One table of a paper: columns (name -> ``Classifier`` kwargs, or ``None``) and rows.

    ``keep_best``: the paper keeps the best model on validation (EFP); the table then reports
    the test error of the epoch with the lowest validation error beside the last epoch's.
    ``split``: the error the table reports (``"test"``; ``"val"`` for a tuning table).
    ``validation_size``: held out of the training set at full scale (count or fraction).
    ``tuned_by``: the tuning table whose best column gives every ``TUNED`` learning rate,
    row by row. ``paper_numbers``: False for nplearn's own tables (no paper columns).
    ``train_error``: our cells show the mean training error too, in brackets (as the DFA
    paper prints it), where the paper's claim is about the training error.
    """

    title: str
    citation: str
    columns: dict
    rows: tuple
    metric: str = "test error (%)"     # PEPITA prints test accuracy
    cpu_dataset: str = "digits"
    notes: str = ""
    keep_best: bool = False
    split: str = "test"
    validation_size: object = 0.1
    tuned_by: str = ""
    paper_numbers: bool = True
    train_error: bool = False


def _kwargs(rule, name, *drop):
    """A paper setting without ``rule`` (and the keys ``drop``), to build a row's settings on."""
    return {k: v for k, v in paper_settings(rule, name).items() if k not in ("rule", *drop)}


NOKLAND = ("Nøkland, A. (2016). Direct Feedback Alignment Provides Learning in Deep Neural "
           "Networks. NeurIPS 29. arXiv:1609.01596")
LUO = ("Luo, H., Fu, J. & Glass, J. (2017). Bidirectional Backpropagation: Towards Biologically "
       "Plausible Error Signal Transmission in Neural Networks. arXiv:1702.07097")
EFP_CITE = ("Kohan, A. A., Rietman, E. A. & Siegelmann, H. T. (2018). Error Forward-Propagation: "
            "Reusing Feedforward Connections to Propagate Errors in Deep Learning. arXiv:1808.03357")
SIGPROP = ("Kohan, A. A., Rietman, E. A. & Siegelmann, H. T. (2023). Signal Propagation: A "
           "Framework for Learning and Inference In a Forward Pass. IEEE TNNLS. arXiv:2204.01723")
PEPITA = ("Dellaferrera, G. & Kreiman, G. (2022). Error-driven Input Modulation: Solving the "
          "Credit Assignment Problem without a Backward Pass. ICML. arXiv:2201.11665")

# ---------------------------------------------------------------- DFA paper, Tables 1-3
# full: paper_settings "dfa-table<k>-<net>" (Sec. 4: BCE, RMSprop, batch 64, up to 300 epochs; FA
# and DFA from zero weights with tanh/logistic, nplearn's default init for them). cpu: the
# presets' lr 3e-3 on digits, 40 epochs.
_DFA_CPU = {"activation": "tanh", "loss": "logistic_bce", "optimizer": "rmsprop",
            "batch_size": 64, "learning_rate": 3e-3, "epochs": 40}
_FA_COLUMNS = {"BP": {"rule": "bp"}, "FA": {"rule": "fa"}, "DFA": {"rule": "dfa"}}
# Dropout (Sec. 4): 0.1 of the inputs and 0.5 of the hidden units, at both scales.
_DO = {"dropout": 0.5, "input_dropout": 0.1}


def _dfa_row(model, dataset, paper, setting, cpu_hidden, missing=None, **extra):
    return Row(model, dataset, paper, setting if not missing else {},
               {**_DFA_CPU, "hidden_sizes": cpu_hidden, **extra}, missing=missing or {})


def _bfp(bp, fa, dfa):
    return {"BP": bp, "FA": fa, "DFA": dfa}


_NO_CONV = {c: "the dropout paper's conv net with whitened inputs and the error injected after "
            "max pooling is not set up" for c in _FA_COLUMNS}
_NO_ADV = {c: "adversarial training (fast gradient sign) is not implemented" for c in _FA_COLUMNS}

DFA_TABLE_1 = Table(
    "DFA Table 1: MNIST test error of BP, FA and DFA", NOKLAND, _FA_COLUMNS, (
        _dfa_row("7x240 Tanh", "mnist", _bfp("2.16 ± 0.13", "2.20 ± 0.13 (0.02)", "2.32 ± 0.15 (0.03)"),
                 "dfa-table1-7x240", (60,) * 7),
        _dfa_row("100x240 Tanh", "mnist", _bfp("-", "-", "3.92 ± 0.09 (0.12)"),
                 "dfa-table1-100x240", (60,) * 100),
        _dfa_row("1x800 Tanh", "mnist", _bfp("1.59 ± 0.04", "1.68 ± 0.05", "1.68 ± 0.05"),
                 "dfa-table1-1x800", (200,)),
        _dfa_row("2x800 Tanh", "mnist", _bfp("1.60 ± 0.06", "1.64 ± 0.03", "1.74 ± 0.08"),
                 "dfa-table1-2x800", (200,) * 2),
        _dfa_row("3x800 Tanh", "mnist", _bfp("1.75 ± 0.05", "1.66 ± 0.09", "1.70 ± 0.04"),
                 "dfa-table1-3x800", (200,) * 3),
        _dfa_row("4x800 Tanh", "mnist", _bfp("1.92 ± 0.11", "1.70 ± 0.04", "1.83 ± 0.07 (0.02)"),
                 "dfa-table1-4x800", (200,) * 4),
        _dfa_row("2x800 Logistic", "mnist", _bfp("1.67 ± 0.03", "1.82 ± 0.10", "1.75 ± 0.04"),
                 "dfa-table1-2x800-logistic", (200,) * 2, activation="logistic"),
        _dfa_row("2x800 ReLU", "mnist", _bfp("1.48 ± 0.06", "1.74 ± 0.10", "1.70 ± 0.06"),
                 "dfa-table1-2x800-relu", (200,) * 2, activation="relu"),
        _dfa_row("2x800 Tanh + DO", "mnist",
                 _bfp("1.26 ± 0.03 (0.18)", "1.53 ± 0.03 (0.18)", "1.45 ± 0.07 (0.24)"),
                 "dfa-table1-2x800-dropout", (200,) * 2, **_DO),
        _dfa_row("2x800 Tanh + ADV", "mnist", _bfp("1.01 ± 0.08", "1.14 ± 0.03", "1.02 ± 0.05 (0.12)"),
                 "", (200,) * 2, missing=_NO_ADV),
    ), notes="Training error in brackets when above 0.01 %; '-': no convergence (paper).")


def _cifar_rows(dataset, one, three, three_do, conv):
    table = {"cifar10": "dfa-table2", "cifar100": "dfa-table3"}[dataset]
    return (_dfa_row("1x1000 Tanh", dataset, one, f"{table}-1x1000", (250,)),
            _dfa_row("3x1000 Tanh", dataset, three, f"{table}-3x1000", (250,) * 3),
            _dfa_row("3x1000 Tanh + DO", dataset, three_do, f"{table}-3x1000-dropout",
                     (250,) * 3, **_DO),
            _dfa_row("CONV Tanh", dataset, conv, "", (), missing=_NO_CONV))


DFA_TABLE_2 = Table(
    "DFA Table 2: CIFAR-10 test error of BP, FA and DFA", NOKLAND, _FA_COLUMNS, _cifar_rows(
        "cifar10",
        _bfp("45.1 ± 0.7 (2.5)", "46.4 ± 0.4 (3.2)", "46.4 ± 0.4 (3.2)"),
        _bfp("45.1 ± 0.3 (0.2)", "47.0 ± 2.2 (0.3)", "47.4 ± 0.8 (2.3)"),
        _bfp("42.2 ± 0.2 (36.7)", "46.9 ± 0.3 (48.9)", "42.9 ± 0.2 (37.6)"),
        _bfp("22.5 ± 0.4", "27.1 ± 0.8 (0.9)", "26.9 ± 0.5 (0.2)")),
    notes="Training error in brackets when above 0.1 %. Inputs scaled to [0, 1] (the paper "
          "whitens only for the conv net).")

_ILLEGIBLE = "not in the text copy"

DFA_TABLE_3 = Table(
    "DFA Table 3: CIFAR-100 test error of BP, FA and DFA", NOKLAND, _FA_COLUMNS, _cifar_rows(
        "cifar100",
        _bfp(_ILLEGIBLE, "73.8 ± 0.3 (37.5)", "73.8 ± 0.3 (37.5)"),
        _bfp("72.0 ± 0.3 (0.2)", "75.3 ± 0.1 (0.5)", "75.9 ± 0.2 (3.1)"),
        _bfp("69.8 ± 0.1", "75.3 ± 0.2 (77.2)", "73.1 ± 0.1 (69.8)"),
        _bfp("51.7 ± 0.2", "60.5 ± 0.3", "59.0 ± 0.3")),
    notes="Training error in brackets when above 0.1 %. The text copy of the paper (our "
          "specification) garbles this table: it drops three BP values (1x1000, + DO, CONV). "
          "BP + DO and CONV are taken from sigprop's Table VI, which reprints these rows (its "
          "FA and DFA values agree); BP 1x1000 is left as 'not in the text copy'. The FA and "
          "DFA columns are read in the text copy's order.")

# The deep-network finding (Table 1's 100x240 row, Sec. 4: "Only DFA was able to train the deepest
# network with the simple initialization used"), also at depths 10-50 at cpu scale (cf. tutorial 1,
# section 6: 20x50 tanh, BP and FA at chance, DFA learning).
# cpu: Table 1's cpu setting (lr 3e-3, 40 epochs, width 60); at lr 1e-3 for 30 epochs the
# 100x50 net stayed at chance with DFA too (89.91 %, 3 seeds), 20x50 reached 25.65 %.
_DEEP_CPU = _DFA_CPU
_DFA_FULL = _kwargs("bp", "dfa-table1-2x800", "hidden_sizes")      # the paper's, for any depth
_NOT_PRINTED = _bfp("", "", "")         # not in the paper: a depth between Table 1's
DFA_DEEP = Table(
    "DFA deep network: 100 tanh layers, FA/DFA from zero weights, BP from U(+-1/sqrt(fan_in))",
    NOKLAND, _FA_COLUMNS, (
        Row("10x240 Tanh (depth sweep)", "mnist", _NOT_PRINTED,
            {**_DFA_FULL, "hidden_sizes": (240,) * 10}, {**_DEEP_CPU, "hidden_sizes": (60,) * 10}),
        Row("20x240 Tanh (depth sweep)", "mnist", _NOT_PRINTED,
            {**_DFA_FULL, "hidden_sizes": (240,) * 20}, {**_DEEP_CPU, "hidden_sizes": (60,) * 20}),
        Row("100x240 Tanh", "mnist", _bfp("-", "-", "3.92 ± 0.09 (0.12)"),
            "dfa-table1-100x240", {**_DEEP_CPU, "hidden_sizes": (60,) * 100}),
    ), notes="'-': no convergence (paper). The 10- and 20-layer rows are not in the paper; at "
             "cpu scale every width is 60 (100x60 on digits, as Table 1's cpu row). Chance is 90 % error.")

# IFA (the last paragraph of Sec. 4; Fig. 1d): "a single feedback loop ... to train a deep
# network with 4 hidden layers of 100 neurons each. The feedback was connected to the first
# hidden layer, and all hidden layers above were trained with the update direction
# forward-propagated through this loop. Starting from a random initialization, the training
# error reduced to 0%, and the test error reduced to 3.9%." Only IFA's numbers are printed; BP
# and DFA train the same net beside it, each from its Sec. 4 init (DFA from zero weights; BP,
# and IFA as the text says, from U(+-1/sqrt(fan_in)): the rules' default inits). full: Sec.
# 4's protocol (the dfa-table1 settings, 300 epochs). cpu: the paper's 4x100 kept (digits has
# 64 inputs: no width to divide), Table 1's cpu rate, and the paper's 300 epochs (seconds a
# run).
_IFA_COLUMNS = {"BP": {"rule": "bp"}, "DFA": {"rule": "dfa"}, "IFA": {"rule": "ifa"}}
DFA_IFA = Table(
    "DFA Sec. 4, IFA: one feedback loop into the first of 4x100 tanh layers, beside BP and DFA",
    NOKLAND, _IFA_COLUMNS, (
        Row("4x100 Tanh", "mnist", {"BP": "", "DFA": "", "IFA": "3.9"},
            {**_DFA_FULL, "hidden_sizes": (100,) * 4},
            {**_DFA_CPU, "hidden_sizes": (100,) * 4, "epochs": 300}),
    ), train_error=True,
    notes="The paper prints IFA's numbers only, in the text: training error 0 %, test error "
          "3.9 %. Ours: training error in brackets, counted on the minibatch passes of the "
          "last epoch. No stop at 0.01 % training error (the paper's Sec. 4): every run "
          "trains its whole budget.")
# The same experiment on real MNIST images at cpu scale: mnist5k (4000 train, of which 400
# validation, and 1000 test images of 784 pixels; pip install "nplearn[mnist5k]"), the
# paper's 4x100 net at the cpu rate 3e-3 of the digits row (not tuned on mnist5k).
DFA_IFA_MNIST5K = replace(
    DFA_IFA, title="DFA Sec. 4, IFA, on 5000 MNIST digits: one feedback loop into the first of "
                   "4x100 tanh layers, beside BP and DFA", cpu_dataset="mnist5k",
    notes="As dfa-ifa, at cpu scale on mnist5k (MNIST's own images, 4000 for training) "
          "instead of digits; the paper trains on all 60,000. Full scale is dfa-ifa's.")

# ---------------------------------------------------------------- BFA/BDFA paper, Tables 1-2
# full: paper_settings "bfa-table<k>-<net>" (Sec. 5: tanh, lr 1e-4 fixed, 300 epochs, batch 128).
_LUO_CPU = {"activation": "tanh", "learning_rate": 1e-3, "epochs": 30, "batch_size": 128}
_LUO_COLUMNS = {"BP": {"rule": "bp"}, "FA": {"rule": "fa"}, "DFA": {"rule": "dfa"},
                "BFA": {"rule": "bfa"}, "BDFA": {"rule": "bdfa"}}


def _luo_rows(table, dataset, printed):
    rows = []
    for model, values in printed.items():
        n, width = (int(v) for v in model.split("x"))
        # CIFAR-10: BDFA's feedback learns from y + 0.25 y_hat (Eq. 51) at both scales
        per = ({"BDFA": {"full": f"{table}-{model}", "cpu": {"rule_params": {"alpha": 0.25}}}}
               if dataset == "cifar10" else {})
        rows.append(Row(model, dataset, dict(zip(_LUO_COLUMNS, values)), f"{table}-{model}",
                        {**_LUO_CPU, "hidden_sizes": (width // 4,) * n}, per_column=per))
    return tuple(rows)


BFA_TABLE_1 = Table("BFA/BDFA Table 1: MNIST test error", LUO, _LUO_COLUMNS, _luo_rows(
    "bfa-table1", "mnist", {
    "1x400": ("1.95", "3.75", "3.75", "2.90", "3.24"),
    "1x800": ("1.92", "4.49", "4.49", "3.14", "3.43"),
    "2x400": ("1.71", "4.25", "3.70", "2.89", "3.28"),
    "2x800": ("1.74", "4.53", "4.21", "2.92", "3.40"),
    "3x400": ("1.83", "5.46", "3.62", "2.84", "3.33"),
    "3x800": ("1.80", "5.48", "4.30", "2.95", "3.37")}),
    notes="The paper's full MNIST split is 50,000 train / 10,000 test; nplearn's mnist keeps "
          "its own validation split.")
BFA_TABLE_2 = Table("BFA/BDFA Table 2: CIFAR-10 test error", LUO, _LUO_COLUMNS, _luo_rows(
    "bfa-table2", "cifar10", {
    "1x400": ("46.78", "48.38", "48.48", "48.34", "48.00"),
    "1x800": ("45.22", "48.08", "48.04", "48.01", "47.36"),
    "2x400": ("46.22", "49.50", "48.52", "48.38", "47.98"),
    "2x800": ("44.97", "48.88", "48.86", "48.55", "48.46")}),
    notes="BDFA's feedback learns from y + 0.25 y_hat here, as the paper's CIFAR-10 runs (Eq. 51), "
          "at both scales.")

# ---------------------------------------------------------------- EFP Sec. 5.1 and sigprop Sec. V-C
# full: EFP Table 1's settings (one example per update; paper_settings "efp-table1-<L>x1500") and
# continuous sigprop's (the same network, the loop trained; "sigprop-secV-<L>x1500"). Both papers
# split 10,000 validation examples off the training set and keep the best model of the run.
# cpu: the EFP preset's digits scaling (batch 20, the per-layer rates times 10) with each
# setting's loop settings (rule_params).
_EFP_CPU = {"activation": "hard_sigmoid", "loss": "mse", "optimizer": "sgd",
            "learning_rate": 10.0, "batch_size": 20}
_EFP_COLUMNS = {"EFP": {"rule": "efp"}, "SP continuous": {"rule": "sigprop_ct"}}


def _efp_row(depth, dataset, printed, cpu_hidden, cpu_epochs, batch_size=None):
    """One network of the table. ``batch_size``: our minibatch variant of the paper's setting
    (which updates after every example): the same settings with minibatches of that size, the
    per-layer rates applied to the batch-mean update (factor 1, chosen on a validation scan;
    docs/reproduce.md), so that a Fashion-MNIST epoch takes minutes on a laptop, not hours."""
    names = {"EFP": f"efp-table1-{depth}x1500", "SP continuous": f"sigprop-secV-{depth}x1500"}
    rules = {c: spec["rule"] for c, spec in _EFP_COLUMNS.items()}
    per = {c: {"full": n if batch_size is None else
               {**paper_settings(rules[c], n), "batch_size": batch_size},
               "cpu": {"rule_params": paper_settings(rules[c], n)["rule_params"]}}
           for c, n in names.items()}
    net = "-".join(["784", *["1500"] * depth, "10"])
    short = {"mnist": "mnist", "fashion_mnist": "fashion"}[dataset]
    label, key = f"{net} ({dataset})", f"{short}-{depth}x1500"
    if batch_size is not None:
        label, key = f"{net} ({dataset}, minibatches of {batch_size}: ours)", f"{key}-b{batch_size}"
    return Row(label, dataset, printed, {},
               {**_EFP_CPU, "hidden_sizes": cpu_hidden, "epochs": cpu_epochs},
               per_column=per, key=key)


_MNIST_EFP = {"EFP": "1.85 to 1.90", "SP continuous": "1.85 to 1.90"}
_FASHION_EFP = {"EFP": "about 11", "SP continuous": "11.00"}
EFP_TABLE = Table(
    "EFP Sec. 5.1 and sigprop Sec. V-C: MNIST and Fashion-MNIST test error of the loop network",
    f"{EFP_CITE}; {SIGPROP}", _EFP_COLUMNS, (
        _efp_row(2, "mnist", _MNIST_EFP, (100, 100), 20),
        _efp_row(3, "mnist", _MNIST_EFP, (100, 100, 100), 30),
        _efp_row(2, "fashion_mnist", _FASHION_EFP, (100, 100), 20),
        _efp_row(3, "fashion_mnist", _FASHION_EFP, (100, 100, 100), 30),
        _efp_row(2, "fashion_mnist", _FASHION_EFP, (100, 100), 20, batch_size=20),
    ), keep_best=True, validation_size=10000,
    notes="The papers print ranges in the text (EFP Figs. 2-3, sigprop Sec. V-C), not a table "
          "of means, for both depths together: best validation error 1.76-1.80 % (MNIST) and "
          "about 10.95 % (Fashion-MNIST), training error 0.00 % and about 2 %. Both keep the "
          "best model of the run; 'best val.' is our test error at the epoch of lowest "
          "validation error. sigprop Sec. V prints no settings but the nets and epochs: the SP "
          "column trains EFP Table 1's, with the loop trained. Full scale trains one example "
          "per update (hours per epoch).")

# ---------------------------------------------------------------- sigprop, Tables V and VI
# Table V: paper_settings "sigprop-table5" (Sec. VI: IF neurons, 4 steps, two conv layers and two
# dense ones, Adam 5e-4, cosine, 64 epochs of 128; the layer sizes are ours). The voltage
# column adds mode="voltage" to the rule's parameters (= "sigprop-table5-voltage").
# cpu: the snn presets' digits setting (lr 1e-2 chosen on digits validation), fewer epochs.
_SNN_CPU = {"hidden_sizes": (100,), "optimizer": "adam", "learning_rate": 1e-2,
            "schedule": "cosine", "epochs": 10, "batch_size": 64, "dtype": "float32"}
_SNN_COLUMNS = {"BP Surrogate": {"rule": "snn_bp"}, "BP Shallow": {"rule": "snn_shallow"},
                "SP Surrogate": {"rule": "snn_sigprop"},
                "SP Voltage": {"rule": "snn_sigprop", "rule_params": {"mode": "voltage"}}}
SIGPROP_TABLE_V = Table(
    "sigprop Table V: test error of a spiking convolutional network", SIGPROP, _SNN_COLUMNS, (
        Row("Fashion-MNIST", "fashion_mnist",
            dict(zip(_SNN_COLUMNS, ("6.70", "16.42", "9.51", "10.68"))), "sigprop-table5",
            _SNN_CPU, key="fashion"),
        Row("MNIST", "mnist", dict(zip(_SNN_COLUMNS, ("0.84", "7.24", "1.01", "2.63"))),
            "sigprop-table5", _SNN_CPU, key="mnist"),
    ), notes="The paper uses 16-bit mixed precision; nplearn float32. The paper does not print "
             "the layer sizes: the full scale's 32 and 64 conv maps (3x3, padding 1) and 100 "
             "dense IF units are ours. nplearn's spiking net has no batch norm.")

# Table VI repeats DFA Tables 1-3's BP/FA/DFA numbers and adds SP (sigprop, its defaults:
# leaky ReLU, Adam). The CONV rows need the paper's conv net (not set up).
_SP_COLUMNS = {**_FA_COLUMNS, "SP": {"rule": "sigprop"}}
# nplearn's sigprop has no dropout: SP trains the "DO" rows without it. Its optimiser: Adam
# (the rule's), at the paper's 5e-4 (Sec. IV) at full scale and at 4e-3 on the digits (chosen
# on the digits validation split before the rule's default moved; docs/defaults.md).
_SP_SAME = {"activation": None, "loss": None, "optimizer": None, "dropout": 0.0,
            "input_dropout": 0.0}
_SP_FULL, _SP_CPU = {**_SP_SAME, "learning_rate": 5e-4}, {**_SP_SAME, "learning_rate": 4e-3}


def _sp_row(model, dataset, printed, setting, cpu_hidden, missing=None, **extra):
    base = _dfa_row(model, dataset, dict(zip(_SP_COLUMNS, printed)), setting, cpu_hidden,
                    missing, **extra)
    full = _kwargs("bp", setting) if setting and not missing else {}   # BP = FA = DFA's
    return Row(base.model, base.dataset, base.paper, full, base.cpu,
               per_column={"SP": {"full": _SP_FULL, "cpu": _SP_CPU}}, missing=base.missing)


_NO_CONV_SP = {c: _NO_CONV["BP"] for c in _SP_COLUMNS}
SIGPROP_TABLE_VI = Table(
    "sigprop Table VI: test error of BP, FA, DFA and SP", SIGPROP, _SP_COLUMNS, (
        _sp_row("MNIST FC 2x800", "mnist", ("1.60 ± 0.06", "1.64 ± 0.03", "1.74 ± 0.08",
                                            "1.71 ± 0.03"), "dfa-table1-2x800", (200,) * 2),
        _sp_row("MNIST FC 3x800", "mnist", ("1.75 ± 0.05", "1.66 ± 0.09", "1.70 ± 0.04",
                                            "1.70 ± 0.04"), "dfa-table1-3x800", (200,) * 3),
        _sp_row("MNIST FC 4x800", "mnist", ("1.92 ± 0.11", "1.70 ± 0.04", "1.83 ± 0.07",
                                            "1.70 ± 0.04"), "dfa-table1-4x800", (200,) * 4),
        _sp_row("MNIST FC 2x800 DO", "mnist", ("1.26 ± 0.03", "1.53 ± 0.03", "1.45 ± 0.07",
                                               "1.38 ± 0.03"), "dfa-table1-2x800-dropout",
                (200,) * 2, **_DO),
        _sp_row("CIFAR-10 FC 3x1000 DO", "cifar10", ("42.20 ± 0.2", "46.90 ± 0.3", "42.90 ± 0.2",
                                                     "42.62 ± 0.16"), "dfa-table2-3x1000-dropout",
                (250,) * 3, **_DO),
        _sp_row("CIFAR-10 CONV", "cifar10", ("22.50 ± 0.4", "27.10 ± 0.8", "26.90 ± 0.5",
                                             "24.75 ± 0.40"), "", (), _NO_CONV_SP),
        _sp_row("CIFAR-100 FC 3x1000 DO", "cifar100", ("69.80 ± 0.1", "75.30 ± 0.2",
                                                       "73.10 ± 0.1", "70.30 ± 0.19"),
                "dfa-table3-3x1000-dropout", (250,) * 3, **_DO),
        _sp_row("CIFAR-100 CONV", "cifar100", ("51.70 ± 0.2", "60.50 ± 0.3", "59.00 ± 0.3",
                                               "57.01 ± 0.42"), "", (), _NO_CONV_SP),
    ), notes="SP's settings for this table are not printed; nplearn's sigprop defaults are used. "
          "nplearn's sigprop has no dropout: in the DO rows SP trains without it.")

# ---------------------------------------------------------------- PEPITA, Table 1 (+ Table 2)
# full: paper_settings "pepita-table2-<net>" (Table 2's eta per rule and dataset).
# cpu: digits, Table 2's settings with 30 epochs (decay at 18) and, for conv, 32 maps 3x3 pad 1.
_PEP_COLUMNS = {"BP": {"rule": "bp"}, "FA": {"rule": "fa"}, "DRTP": None,
                "PEPITA": {"rule": "pepita"}}
# (the row's settings serve BP and FA too: PEPITA's own F_scale comes from its column)
_PEP_FC_CPU = {**_kwargs("pepita", "pepita-table2-fc-mnist", "rule_params"),
               "hidden_sizes": (256,), "epochs": 30, "schedule": "multistep:18"}
_PEP_CONV_CPU = {**_kwargs("pepita", "pepita-table2-conv-mnist", "rule_params"),
                 "conv": ((32, 3, 1, 1),), "epochs": 20, "schedule": "multistep:5,12"}


def _pep_row(model, dataset, printed, cpu):
    """Full scale: Table 2's setting of each rule for this row; cpu keeps its eta."""
    name = f"pepita-table2-{slug(model)}"
    rules = {c: spec["rule"] for c, spec in _PEP_COLUMNS.items() if spec}
    per = {c: {"full": name, "cpu": {k: v for k, v in paper_settings(r, name).items()
                                     if k in ("learning_rate", "rule_params")}}
           for c, r in rules.items()}
    return Row(model, dataset, dict(zip(_PEP_COLUMNS, printed)), {}, cpu, per_column=per)


PEPITA_TABLE_1_ = Table(
    "PEPITA Table 1: test accuracy of BP, FA, DRTP and PEPITA", PEPITA, _PEP_COLUMNS, (
        _pep_row("FC MNIST", "mnist", ("98.63±0.03", "98.42±0.07", "95.10±0.10", "98.01±0.09"),
                 _PEP_FC_CPU),
        _pep_row("FC CIFAR10", "cifar10", ("55.27±0.32", "53.82±0.24", "45.89±0.16",
                                           "52.57±0.36"), _PEP_FC_CPU),
        _pep_row("FC CIFAR100", "cifar100", ("27.58±0.09", "24.61±0.28", "18.32±0.18",
                                             "24.91±0.22"), _PEP_FC_CPU),
        _pep_row("CONV MNIST", "mnist", ("98.86±0.04", "98.50±0.06", "97.32±0.25", "98.29±0.13"),
                 _PEP_CONV_CPU),
        _pep_row("CONV CIFAR10", "cifar10", ("64.99±0.32", "57.51±0.57", "50.53±0.81",
                                             "56.33±1.35"), _PEP_CONV_CPU),
        _pep_row("CONV CIFAR100", "cifar100", ("34.20±0.20", "27.15±0.53", "20.14±0.68",
                                               "27.56±0.60"), _PEP_CONV_CPU),
    ), metric="test accuracy (%)",
    notes="Mean ± std over 10 runs in the paper. DRTP is not implemented. The paper "
          "He-initialises every net; nplearn's BP and FA keep U(+-1/sqrt(fan_in)).")

# ---------------------------------------------------------------- nplearn's own: Fashion-MNIST
# Every feedforward rule at the DFA paper's 784-800-800-10 and PEPITA's 784-1024-10, 20 epochs,
# float32 (2.5 times faster than float64 for BP here), 3 seeds. The protocol is the DFA
# paper's (Sec. 4): tanh, logistic output with BCE, RMSprop, batch 64, a constant learning rate
# "roughly optimized for BP and then used for all methods": BP's is chosen on the validation
# split by the table fashion-bp-lr (the lowest mean validation error after the same epochs), row
# by row, and used for BP, FA, DFA, IFA, BFA and BDFA. BFA and BDFA train their feedback with
# the same optimiser and rate: the BFA paper too uses one rate (1e-4) for all its methods.
# PEPITA and sigprop keep their own papers' optimisers, which BP's RMSprop rate does not carry
# over to: PEPITA Table 2's MNIST setting (ReLU, softmax, SGD momentum 0.9, eta 0.1, dropout
# 10 %, x0.1 at 60 % of the epochs: 12 of 20); sigprop Sec. IV's Adam at 5e-4 with leaky ReLU
# (constant: nplearn has no x0.25 steps; no batch norm or dropout), at the table's batch 64.
_FF = {"activation": "tanh", "loss": "logistic_bce", "optimizer": "rmsprop", "batch_size": 64,
       "epochs": 20, "dtype": "float32"}
_FF_CPU = {**_FF, "epochs": 10, "dtype": "float64"}
_FF_RULES = {"BP": "bp", "FA": "fa", "DFA": "dfa", "IFA": "ifa", "BFA": "bfa", "BDFA": "bdfa"}
_FF_COLUMNS = {**{c: {"rule": r, "learning_rate": TUNED} for c, r in _FF_RULES.items()},
               "PEPITA": {"rule": "pepita"}, "SP": {"rule": "sigprop"}}
_FF_PEPITA = {**_kwargs("pepita", "pepita-table2-fc-mnist", "hidden_sizes"), "epochs": 20,
              "schedule": "multistep:12", "dtype": "float32"}
_FF_SP = {"activation": "leaky_relu", "loss": "softmax_ce", "optimizer": "adam",
          "learning_rate": 5e-4, "batch_size": 64, "epochs": 20, "dtype": "float32"}


def _ff_row(model, key, hidden, cpu_hidden):
    own = {"PEPITA": _FF_PEPITA, "SP": _FF_SP}
    per = {c: {"full": {**kw, "hidden_sizes": hidden},
               "cpu": {**kw, "hidden_sizes": cpu_hidden, "epochs": 10, "dtype": "float64",
                       **({"schedule": "multistep:6"} if c == "PEPITA" else {})}}
           for c, kw in own.items()}
    return Row(model, "fashion_mnist", {}, {**_FF, "hidden_sizes": hidden},
               {**_FF_CPU, "hidden_sizes": cpu_hidden}, per_column=per, key=key)


_FF_ROWS = (_ff_row("784-800-800-10 (DFA paper)", "2x800", (800, 800), (200, 200)),
            _ff_row("784-1024-10 (PEPITA paper)", "1x1024", (1024,), (256,)))
FASHION_FEEDFORWARD = Table(
    "nplearn: Fashion-MNIST test error of every feedforward rule", "nplearn (no paper prints "
    "this table)", _FF_COLUMNS, _FF_ROWS, tuned_by="fashion-bp-lr", paper_numbers=False,
    notes="BP's learning rate, tuned on the validation split by fashion-bp-lr, is used for BP, "
          "FA, DFA, IFA, BFA and BDFA (the DFA paper's protocol: tanh, BCE, RMSprop, batch 64); "
          "PEPITA and SP train with their own papers' optimisers (PEPITA Table 2's MNIST "
          "setting, sigprop Sec. IV's Adam 5e-4). With one hidden layer FA, DFA and IFA are "
          "the same rule. float32.")

_FF_LRS = (3e-5, 1e-4, 3e-4, 1e-3, 3e-3)
FASHION_BP_LR = Table(
    "nplearn: BP's learning rate for fashion-feedforward, chosen on the validation split",
    "nplearn; the protocol of Nøkland 2016, Sec. 4", {
        f"lr {lr:g}": {"rule": "bp", "learning_rate": lr} for lr in _FF_LRS},
    tuple(Row(r.model, r.dataset, {}, r.full, r.cpu, key=r.key) for r in _FF_ROWS),
    metric="validation error (%)", split="val", paper_numbers=False,
    notes="BP with the DFA paper's protocol (tanh, BCE, RMSprop, batch 64, constant rate), "
          "float32; the column with the lowest mean validation error of each row is BP's "
          "rate in fashion-feedforward.")

#: Every table :func:`nplearn.experiments.reproduce.reproduce` knows, by name.
TABLES = {
    "dfa-table1": DFA_TABLE_1, "dfa-table2": DFA_TABLE_2, "dfa-table3": DFA_TABLE_3,
    "dfa-deep": DFA_DEEP, "dfa-ifa": DFA_IFA, "dfa-ifa-mnist5k": DFA_IFA_MNIST5K,
    "bfa-table1": BFA_TABLE_1, "bfa-table2": BFA_TABLE_2,
    "efp": EFP_TABLE, "sigprop-table5": SIGPROP_TABLE_V, "sigprop-table6": SIGPROP_TABLE_VI,
    "pepita-table1": PEPITA_TABLE_1_, "fashion-bp-lr": FASHION_BP_LR,
    "fashion-feedforward": FASHION_FEEDFORWARD,
}
