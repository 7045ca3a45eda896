"""Every bad input gets a clear ValueError before training starts."""
import numpy as np
import pytest

from nplearn import Classifier, DivergenceError, load_dataset
from nplearn.nn import MLP
from nplearn.optim import SGD
from nplearn.rules import BP
from nplearn.train import build, train

X = np.random.default_rng(0).normal(size=(30, 4))
y = np.arange(30) % 3


@pytest.mark.parametrize("Xb, yb, match", [
    (X[:, :, None], y, "dim"),                                   # 3-D X
    (X, y[:-1], "inconsistent numbers of samples"),
    (np.where(np.eye(30, 4) > 0, np.nan, X), y, "NaN"),
    (np.where(np.eye(30, 4) > 0, np.inf, X), y, "infinity"),
    (X[:0], y[:0], "0 sample"),
    (X, y + 0.5, "Unknown label type"),                          # non-integer labels
    (X, np.zeros(30, int), "2 classes"),                         # a single class
])
def test_fit_rejects(Xb, yb, match):
    with pytest.raises(ValueError, match=match):
        Classifier(epochs=1).fit(Xb, yb)


@pytest.mark.parametrize("kwargs, match", [
    ({"hidden_sizes": (10, 0)}, "positive integers"),
    ({"hidden_sizes": (2.5,)}, "positive integers"),
    ({"rule": "magic"}, "unknown rule"),
    ({"activation": "swish"}, "unknown activation"),
    ({"optimizer": "lbfgs"}, "unknown optimizer"),
    ({"loss": "hinge"}, "unknown loss"),
    ({"learning_rate": -1.0}, "learning rate"),
    ({"dtype": "float16"}, "dtype"),
    ({"dropout": 1.0}, "dropout"),
    ({"rule_params": {"nonsense": 1}}, "bad rule_params"),
    ({"batch_size": 0}, "batch_size"),
])
def test_bad_hyperparameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Classifier(epochs=1, **kwargs).fit(X, y)


def test_predict_with_wrong_number_of_features():
    clf = Classifier(epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :3])


def test_train_checks_label_range_and_integers():
    model, rule = build("bp", 4, 3, (5,), rng=0)
    with pytest.raises(ValueError, match=r"outside \[0, 3\)"):
        train(model, rule, SGD(0.1), X, y + 1, epochs=1)
    with pytest.raises(ValueError, match="integer"):
        train(model, rule, SGD(0.1), X, y + 0.5, epochs=1)
    with pytest.raises(ValueError, match="features"):
        train(model, rule, SGD(0.1), X[:, :2], y, epochs=1)


def test_unknown_dataset():
    with pytest.raises(ValueError, match="digits"):
        load_dataset("imagenet")


def test_zero_width_layer():
    with pytest.raises(ValueError, match="at least one unit"):
        MLP((4, 0, 3))


def test_diverging_learning_rate_stops_with_a_message():
    model = MLP((4, 8, 3), activation="relu", loss="mse", rng=0)
    with pytest.raises(DivergenceError, match=r"learning rate \(now 1e\+06\)"):
        train(model, BP(), SGD(1e6), X * 10, y, epochs=5, rng=0)


def test_divergence_keeps_the_history_so_far():
    clf = Classifier(rule="bp", optimizer="sgd", learning_rate=1e6, loss="mse",
                     activation="relu", epochs=50, batch_size=8, random_state=0)
    with pytest.raises(DivergenceError, match="learning rate"):
        clf.fit(X * 10, y)
    assert isinstance(clf.history_, dict)
