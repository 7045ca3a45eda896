"""Acceptance on the built-in digits (issue [1/8]): measured test error of each rule.

1x100 tanh, logistic output with BCE, RMSprop, 60 epochs, the compare presets'
learning rate (chosen on the validation split for BP, see
``nplearn/experiments/presets.py``); mean over seeds 0, 1, 2 on the fixed test split.
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
