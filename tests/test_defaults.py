"""Every rule learns from its defaults, and every bad hyperparameter is named with its fix.

``Classifier(rule=r, random_state=0).fit(X, y)`` with nothing else (20 epochs, batch 64, one
hidden layer of 100) must learn the digits (at most 8 % test error for every non-spiking
rule) and small standardised tabular data (scikit-learn's wine and breast cancer sets).
The defaults were chosen on validation splits; the numbers are in ``docs/defaults.md``.
"""
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import nplearn
from nplearn.rules import RULES, defaults_table, get_rule, rule_defaults, rule_param_names

NON_SPIKING = [r for r in RULES if not r.startswith("snn_")]


@pytest.fixture(scope="module")
def digits():
    return nplearn.load_dataset("digits")


def tabular(loader):
    """Standardised training part (75 %, stratified, seed 0) and test part of a dataset."""
    X, y = loader(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    scaler = StandardScaler().fit(Xtr)
    return scaler.transform(Xtr), ytr, scaler.transform(Xte), yte


# test-error limits; chance (the majority class) is 60 % and 37 % error
TABULAR = {"wine": (load_wine, 0.15), "breast_cancer": (load_breast_cancer, 0.12)}


@pytest.mark.parametrize("rule", NON_SPIKING)
def test_defaults_learn_the_digits(rule, digits):
    clf = nplearn.Classifier(rule=rule, random_state=0).fit(digits.x_train, digits.y_train)
    error = 1 - clf.score(digits.x_test, digits.y_test)
    assert error <= 0.08, f"{rule}: {100 * error:.2f} % test error with its defaults"


@pytest.mark.parametrize("name", list(TABULAR))
@pytest.mark.parametrize("rule", NON_SPIKING)
def test_defaults_learn_standardised_tabular_data(rule, name):
    loader, limit = TABULAR[name]
    X, y, X_test, y_test = tabular(loader)
    assert X.min() < 0                                   # standardised: negative features
    clf = nplearn.Classifier(rule=rule, random_state=0).fit(X, y)
    error = 1 - clf.score(X_test, y_test)
    assert error <= limit, f"{rule} on {name}: {100 * error:.2f} % test error"


def test_defaults_table_is_read_from_the_code():
    rows = defaults_table()
    assert [r[0] for r in rows] == list(RULES)
    for row in rows:
        d = rule_defaults(row[0])
        assert row[4] == f"{RULES[row[0]].defaults['learning_rate']:g}"
        assert list(d["rule_params"]) == rule_param_names(row[0])
    docs = Path(__file__).parents[1] / "docs"
    assert "```{rule-defaults}" in (docs / "defaults.md").read_text(encoding="utf-8")
    index = (docs / "index.md").read_text(encoding="utf-8")
    assert any(line.strip() == "defaults" for line in index.splitlines())


# --------------------------------------------------------- hyperparameter checks
BAD = [
    ("dfa", {"shared_feedback": "yes"}, r"'dfa': shared_feedback must be True or False; got 'yes'"),
    ("bfa", {"x_loss": "l1"}, r"'bfa': x_loss must be one of 'mse', 'logistic_bce'; got 'l1'"),
    ("bdfa", {"alpha": -1.0}, r"'bdfa': alpha must be a finite number >= 0; got -1.0"),
    ("bdfa", {"alpha": float("nan")}, r"alpha must be a finite number >= 0"),
    ("ep", {"n_free": 0}, r"'ep': n_free must be an integer >= 1; got 0"),
    ("ep", {"n_clamped": 2.5}, r"n_clamped must be an integer >= 1; got 2.5"),
    ("ep", {"beta": 0.0}, r"'ep': beta must be a finite number > 0; got 0.0"),
    ("ep", {"h": -0.5}, r"h must be a finite number > 0"),
    ("ep", {"persistent": "no"}, r"persistent must be True or False"),
    ("ep", {"random_sign": 1}, r"random_sign must be True or False"),
    ("ep", {"symmetric_nudge": None}, r"symmetric_nudge must be True or False"),
    ("ep", {"n_predict": 0}, r"n_predict must be an integer >= 1 or None"),
    ("ep", {"lr_layers": "fast"}, r"lr_layers must be None or a sequence of rates"),
    ("ep", {"lr_layers": (0.1, -1.0)}, r"lr_layers\[i\] must be a finite number >= 0"),
    ("efp", {"num_loops": 0}, r"'efp': num_loops must be an integer >= 1; got 0"),
    ("efp", {"train_loop": "yes"}, r"train_loop must be True or False"),
    ("sigprop_ct", {"num_loops": 1.5}, r"'sigprop_ct': num_loops must be an integer >= 1"),
    ("pepita", {"F_scale": -0.1}, r"'pepita': F_scale must be a finite number >= 0"),
    ("pepita", {"output_error": "x"}, r"output_error must be one of 'standard', 'modulated'"),
    ("pepita", {"presynaptic": "x"}, r"presynaptic must be one of 'modulated', 'standard'"),
    ("sigprop", {"generator": "loop"}, r"generator must be one of 'target_only', 'target_input'"),
    ("sigprop", {"comparison": "cos"}, r"comparison must be one of 'dot', 'l2'"),
    ("sigprop", {"sparse": 0}, r"sparse must be None \(dense targets\) or a positive integer"),
    ("bp", {"alpha": 0.1}, r"bad rule_params for 'bp': unknown key\(s\) 'alpha'; it takes no"),
    ("dfa", {"alpha": 0.1, "beta": 1},
     r"unknown key\(s\) 'alpha', 'beta'; it takes shared_feedback"),
    ("ep", {"num_loops": 2},
     r"unknown key\(s\) 'num_loops'; it takes n_free, n_clamped, beta, h, lr_layers"),
]


@pytest.mark.parametrize("rule, params, match", BAD,
                         ids=[f"{r}-{next(iter(p))}" for r, p, _ in BAD])
def test_a_bad_hyperparameter_names_the_knob_and_the_accepted_values(rule, params, match):
    with pytest.raises(ValueError, match=match):
        get_rule(rule, **params)


def test_classifier_reports_bad_rule_params_before_training():
    X, y = np.random.default_rng(0).uniform(size=(20, 4)), np.arange(20) % 2
    with pytest.raises(ValueError, match="x_loss must be one of 'mse', 'logistic_bce'"):
        nplearn.Classifier(rule="bfa", rule_params={"x_loss": "l1"}).fit(X, y)
    with pytest.raises(ValueError, match="unknown key.*'nonsense'.*it takes F_scale"):
        nplearn.Classifier(rule="pepita", rule_params={"nonsense": 1}).fit(X, y)
    with pytest.raises(ValueError, match="cannot be applied to a rule instance"):
        get_rule(get_rule("dfa"), shared_feedback=True)
