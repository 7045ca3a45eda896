"""Acceptance on the built-in digits (issue [1/8]): measured test error of each rule.

1x100 tanh, logistic output with BCE, RMSprop, 60 epochs, the compare presets'
learning rate (chosen on the validation split for BP; the numbers are on the docs page
"Defaults", section "compare's presets"); mean over seeds 0, 1, 2 on the fixed test split.
What the rules' own defaults give is ``tests/test_defaults.py``.
"""
import numpy as np
import pytest

from nplearn import Classifier, load_dataset
from nplearn.experiments import preset

LIMITS = {"bp": 0.035, "fa": 0.035, "dfa": 0.035, "ifa": 0.06}


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


@pytest.mark.parametrize("rule", sorted(LIMITS))
def test_digits_1x100_tanh_test_error(rule, digits):
    errors = []
    for seed in (0, 1, 2):
        clf = Classifier(rule=rule, **preset(rule, hidden_sizes=(100,)), random_state=seed)
        clf.fit(digits.x_train, digits.y_train)
        errors.append(1 - clf.score(digits.x_test, digits.y_test))
    assert clf.rule_.name == rule
    assert np.mean(errors) <= LIMITS[rule], f"{rule}: {np.round(errors, 4)}"


def test_pepita_1x1024_relu_digits_and_anti_alignment(digits):
    """Issue [6/8]: PEPITA 1x1024 ReLU (Table 2's MNIST settings) at or below 4 % test error
    (mean of 3 seeds) and the angle between W_2 W_1 and F^T above 90 deg at the end (Fig. 3b).

    Measured: 1.94 / 1.94 / 1.94 %, final angle 98.1 / 95.7 / 98.4 deg. On digits the output
    layer does most of the work: with F = 0 (hidden layer frozen at its He init) the error is
    2.2 % (tutorial 5), so this test shows PEPITA trains, not that its hidden updates help.
    """
    from nplearn.analysis import feedback_angles
    errors, angles = [], []
    for seed in (0, 1, 2):
        clf = Classifier(rule="pepita", **preset("pepita"), random_state=seed)
        clf.fit(digits.x_train, digits.y_train)
        errors.append(1 - clf.score(digits.x_test, digits.y_test))
        angles.append(feedback_angles(clf.model_, clf.rule_)["F"])
    assert clf.model_.sizes == (64, 1024, 10)
    assert np.mean(errors) <= 0.04, np.round(errors, 4)
    assert min(angles) > 90, angles


@pytest.mark.slow
def test_conv_pepita_digits():
    """Issue [6/8]: conv PEPITA (Table 2's conv column: 32 maps 5x5 stride 1, padding 2 on
    8x8 digits, 2x2 max pooling, FC 10; batch 100, lr 0.1, x0.1 at 10, 30, 60) at or below 5 %.

    Measured (100 epochs): 2.50 / 3.06 / 2.78 %; with F = 0 (filters frozen) 2.50 % for seed 0
    (tutorial 5): the random filters already do most of the work on digits.
    """
    from nplearn import paper_settings
    d = load_dataset("digits")
    errors = []
    for seed in (0, 1, 2):
        kw = {**paper_settings("pepita", "pepita-table2-conv-mnist"), "conv": ((32, 5, 1, 2),),
              "image_shape": d.image_shape}
        clf = Classifier(**kw, random_state=seed).fit(d.x_train, d.y_train)
        errors.append(1 - clf.score(d.x_test, d.y_test))
    assert np.mean(errors) <= 0.05, np.round(errors, 4)


def test_continuous_sigprop_digits(digits):
    """Issue [7/8]: continuous-time sigprop (the Target-Loop on the Hopfield engine) at or
    below 8 % test error, mean of 3 seeds, with its compare preset (64-100-100-10, 60 epochs).

    Measured: 1.94 / 2.78 / 2.78 % (EFP with the loop fixed: 3.06 %).
    """
    errors = []
    for seed in (0, 1, 2):
        clf = Classifier(rule="sigprop_ct", **preset("sigprop_ct"), random_state=seed)
        clf.fit(digits.x_train, digits.y_train)
        errors.append(1 - clf.score(digits.x_test, digits.y_test))
    assert "W_loop" in clf.model_.params                      # the loop (S_1) is trained
    assert np.mean(errors) <= 0.08, np.round(errors, 4)
