"""Argument checks: one rule everywhere (epochs and learning_rate 0 are refused, not
replaced), and a ValueError naming the argument and what it accepts instead of a raw error."""
import numpy as np
import pytest

from nplearn import Classifier
from nplearn.cli import main
from nplearn.optim import SGD, get_optimizer, get_schedule
from nplearn.rules import DFA, RULES
from nplearn.train import build, train

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 6))
y = np.arange(40) % 2


def fit(**kw):
    fit_kw = kw.pop("fit", {})
    clf = Classifier(rule=kw.pop("rule", "bp"), hidden_sizes=kw.pop("hidden_sizes", (4,)),
                     epochs=kw.pop("epochs", 1), random_state=kw.pop("random_state", 0), **kw)
    return clf.fit(X, y, **fit_kw)


# ---------------------------------------------------------------- 8. zero is not "default"
def test_learning_rate_zero_is_refused_not_replaced_by_the_default():
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0, or None "
                                         "for the rule's default; got 0"):
        fit(learning_rate=0)
    assert fit(learning_rate=None).optimizer_.lr == RULES["bp"].defaults["learning_rate"]
    assert fit(learning_rate=0.25).optimizer_.lr == 0.25


def test_epochs_zero_is_refused_everywhere(capsys):
    with pytest.raises(ValueError, match="epochs must be an integer >= 1, got 0"):
        fit(epochs=0)
    with pytest.raises(ValueError, match="epochs must be an integer >= 1, got 0"):
        Classifier(epochs=0).partial_fit(X, y)
    model, rule = build("bp", 6, 2, (4,), rng=0)
    with pytest.raises(ValueError, match="epochs must be an integer >= 1, got 0"):
        train(model, rule, SGD(0.1), X, y, epochs=0)
    assert main(["train", "--epochs", "0"]) == 2
    assert "--epochs" in capsys.readouterr().err


# ---------------------------------------------------------------- 11. named errors
@pytest.mark.parametrize("arg, value, match", [
    ("batch_size", 32.0, r"batch_size must be an integer >= 1, got 32.0 \(float\)"),
    ("batch_size", None, r"batch_size must be an integer >= 1, got None"),
    ("batch_size", True, "batch_size must be an integer"),
    ("epochs", 2.5, r"epochs must be an integer >= 1, got 2.5"),
    ("epochs", 2.0, r"epochs must be an integer >= 1, got 2.0 \(float\)"),
    ("epochs", None, "epochs must be an integer >= 1, got None"),
    ("hidden_sizes", None, r"hidden_sizes must be a tuple of positive integers, e.g. \(100,\)"),
    ("hidden_sizes", "100", "hidden_sizes must be a tuple"),
    ("hidden_sizes", (100, -1), "hidden_sizes must be positive integers"),
    ("random_state", "abc", "random_state must be None, an integer >= 0 or a numpy Generator"),
    ("random_state", -1, "random_state must be None, an integer >= 0"),
    ("random_state", 1.5, "random_state must be None, an integer >= 0"),
    ("schedule", "multistep:a", r"schedule='multistep:a': the milestones after 'multistep:' "
                                r"must be epochs >= 1 separated by commas, e.g. 'multistep:60,90'"),
    ("schedule", "multistep:", "milestones"),
    ("schedule", "multistep:0,10", "milestones"),
    ("schedule", "linear", r"unknown schedule 'linear'; use None, 'constant', 'cosine'"),
    ("schedule", 3, "schedule must be None, a string or a callable"),
    ("learning_rate", "fast", "learning_rate must be a finite number"),
    ("learning_rate", float("inf"), "learning_rate must be a finite number"),
    ("dropout", -0.1, r"dropout must be a drop probability in \[0, 1\)"),
    ("input_dropout", -0.1, r"input_dropout must be a drop probability in \[0, 1\)"),
    ("input_dropout", 1.0, r"input_dropout must be a drop probability in \[0, 1\)"),
    ("input_dropout", float("nan"), r"input_dropout must be a drop probability .*got nan"),
    ("input_dropout", None, r"input_dropout must be a drop probability .*got None"),
    ("input_dropout", "0.1", r"input_dropout must be a drop probability .*got '0.1'"),
    ("verbose", "yes", "verbose must be True, False or None"),
    ("pool", 0, "pool must be an integer >= 1"),
    ("image_shape", (1, 8), r"image_shape must be \(channels, height, width\)"),
    ("conv", 5, r"conv must be a list of \(channels, kernel, stride\[, padding\]\) tuples"),
    ("rule_params", ["alpha"], "rule_params must be a dict"),
    ("optimizer_params", {"lr": 0.1}, "optimizer_params must not hold 'lr': give learning_rate"),
])
def test_bad_arguments_are_named_value_errors(arg, value, match):
    with pytest.raises(ValueError, match=match):
        fit(**{arg: value})


def test_optimizer_params_name_the_knob_and_the_accepted_ones():
    with pytest.raises(ValueError, match=r"unknown hyperparameter\(s\) \['nesterov'\] for "
                                         r"optimizer 'sgd'; it takes \['momentum'\]"):
        fit(optimizer="sgd", optimizer_params={"nesterov": True})
    with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\), got 1.5"):
        fit(optimizer="sgd", optimizer_params={"momentum": 1.5})
    with pytest.raises(ValueError, match=r"rho must be a number in \[0, 1\)"):
        fit(optimizer="rmsprop", optimizer_params={"rho": -1})
    with pytest.raises(ValueError, match=r"beta2 must be a number in \[0, 1\)"):
        get_optimizer("adam", 1e-3, beta2=1.0)


def test_rule_params_with_a_rule_instance_are_refused():
    with pytest.raises(ValueError, match="rule_params apply to a rule given by name"):
        fit(rule=DFA(), rule_params={"shared_feedback": True})


@pytest.mark.parametrize("eval_sets, match", [
    ({"train": (X, y)}, r"eval_sets keys must be among \['val', 'test'\], got \['train'\]"),
    ({"val": (X, y), "validation": (X, y)}, r"got \['validation'\]"),
    ([(X, y)], "eval_sets must be a dict"),
    ({"val": X}, r"eval_sets\['val'\] must be a pair"),
])
def test_eval_sets_keys_other_than_val_and_test_are_refused(eval_sets, match):
    with pytest.raises(ValueError, match=match):
        fit(fit={"eval_sets": eval_sets})
    model, rule = build("bp", 6, 2, (4,), rng=0)
    with pytest.raises(ValueError, match=match):
        train(model, rule, SGD(0.1), X, y, epochs=1, eval_sets=eval_sets)


def test_schedule_strings_directly():
    assert get_schedule("multistep:60,90").milestones == [60, 90]
    assert get_schedule("multistep: 5, 12,").milestones == [5, 12]
    with pytest.raises(ValueError, match="multistep"):
        get_schedule("multistep:5,x")


def test_a_failed_fit_leaves_the_previous_fit_in_place():
    """Arguments are checked before anything is built: a refit with a bad argument keeps
    the estimator as it was."""
    clf = fit()
    W1 = clf.model_.params["W1"].copy()
    clf.set_params(epochs=0)
    with pytest.raises(ValueError, match="epochs"):
        clf.fit(X, y)
    np.testing.assert_array_equal(clf.model_.params["W1"], W1)
    assert clf.n_iter_ == 1


def test_every_check_runs_before_a_network_is_built():
    clf = Classifier(optimizer="sgd", optimizer_params={"nesterov": True})
    with pytest.raises(ValueError, match="nesterov"):
        clf.fit(X, y)
    assert not hasattr(clf, "model_") and not hasattr(clf, "classes_")
