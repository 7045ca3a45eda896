"""Divergence is caught from the loss AND from the parameters, for every rule; afterwards
the estimator holds the last finished epoch exactly, or is unfitted if none finished."""
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from nplearn import Classifier, DivergenceError, load_dataset
from nplearn.cli import main
from nplearn.nn import MLP
from nplearn.optim import SGD, Adam, RMSprop
from nplearn.rules import BP, RULES
from nplearn.train import PARAM_BOUND, build, one_hot, train, train_step

DIGITS = load_dataset("digits")
X, Y = DIGITS.x_train[:256], DIGITS.y_train[:256]


def small(rule, **kw):
    hidden = (12,) if rule == "ep" else (16, 16) if rule in ("efp", "sigprop_ct") else (16,)
    return Classifier(rule=rule, hidden_sizes=hidden, batch_size=32, random_state=0, **kw)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_a_huge_learning_rate_raises_for_every_rule(rule):
    """At lr 1e30 every rule diverges: EP, EFP and sigprop_ct (bounded, clipped losses) and
    the others whose loss stays finite while the weights explode are caught from their
    parameters. No epoch finishes, so the estimator is left unfitted."""
    clf = small(rule, learning_rate=1e30, epochs=3)
    with pytest.raises(DivergenceError, match="diverged") as err:
        clf.fit(X, Y)
    assert "unfitted" in str(err.value) and err.value.epoch == 0 and err.value.restored
    assert not hasattr(clf, "model_") and not hasattr(clf, "classes_")
    with pytest.raises(NotFittedError):
        clf.predict(X)
    with pytest.raises(NotFittedError):
        clf.save("never-written")


def test_pepita_with_a_large_feedback_scale_is_caught_though_its_loss_stays_finite():
    """F_scale = 1 grows ||W|| geometrically (1e3 after 3 epochs, 1e13 after 10 before this
    check existed) while the loss stays finite: the parameter bound stops it."""
    clf = Classifier(rule="pepita", rule_params={"F_scale": 1.0}, epochs=30, random_state=0)
    with pytest.raises(DivergenceError, match=r"beyond \+-1e\+06") as err:
        clf.fit(DIGITS.x_train, DIGITS.y_train)
    k = err.value.epoch
    assert k >= 1 and clf.n_iter_ == k and len(clf.history_["epoch"]) == k
    assert f"after epoch {k}" in str(err.value)
    assert all(np.isfinite(v).all() and np.abs(v).max() <= PARAM_BOUND
               for v in clf.model_.params.values())
    # what it holds is exactly what training k epochs gives
    ref = Classifier(rule="pepita", rule_params={"F_scale": 1.0}, epochs=k,
                     random_state=0).fit(DIGITS.x_train, DIGITS.y_train)
    for name in ref.model_.params:
        np.testing.assert_array_equal(clf.model_.params[name], ref.model_.params[name])
    assert clf.history_["train_loss"] == ref.history_["train_loss"]


@pytest.mark.parametrize("rule", ["bp", "dfa", "efp", "sigprop"])
def test_after_divergence_the_estimator_is_its_last_finished_epoch(rule, tmp_path):
    """A diverging partial_fit leaves weights, rule state, optimiser state, random generator
    and history as before the call: training on afterwards is bit-identical to never having
    made that call."""
    clf, ref = small(rule, epochs=1).fit(X, Y), small(rule, epochs=1).fit(X, Y)
    lr = clf.optimizer_.base_lr
    clf.optimizer_.base_lr = 1e30          # a step size the model cannot follow
    with pytest.raises(DivergenceError, match="restored") as err:
        clf.partial_fit(X, Y)
    assert err.value.epoch == 1 and "holds its state after epoch 1" in str(err.value)
    assert clf.optimizer_.t == ref.optimizer_.t
    clf.optimizer_.base_lr = lr
    assert clf.n_iter_ == 1
    assert {k: v for k, v in clf.history_.items() if k != "time"} == \
        {k: v for k, v in ref.history_.items() if k != "time"}
    clf.partial_fit(X, Y)
    ref.partial_fit(X, Y)
    for k in ref.model_.params:
        np.testing.assert_array_equal(clf.model_.params[k], ref.model_.params[k])
    for k, v in ref.rule_.state().items():
        np.testing.assert_array_equal(clf.rule_.state()[k], v)
    assert clf.history_["train_loss"] == ref.history_["train_loss"]
    clf.save(tmp_path / "m")                # and it is a normal, savable estimator


def test_an_interrupted_fit_keeps_the_last_finished_epoch():
    class Interrupt:
        def on_batch_end(self, state):
            if state.epoch == 2 and state.step % state.n_batches == 3:
                raise KeyboardInterrupt
    clf = small("dfa", epochs=5)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, Y, callbacks=[Interrupt()])
    ref = small("dfa", epochs=2).fit(X, Y)
    assert clf.n_iter_ == 2 and clf.history_["train_loss"] == ref.history_["train_loss"]
    np.testing.assert_array_equal(clf.model_.params["W1"], ref.model_.params["W1"])


def test_train_restores_and_reports_the_epoch():
    model, rule = build("bp", 64, 10, (16,), rng=0)
    opt = SGD(0.01)
    train(model, rule, opt, X, Y, epochs=1, rng=0, progress=False)
    W1, t = model.params["W1"].copy(), opt.t
    opt.base_lr = 1e30
    with pytest.raises(DivergenceError, match="end of epoch 0") as err:
        train(model, rule, opt, X, Y, epochs=3, rng=0, progress=False)
    np.testing.assert_array_equal(model.params["W1"], W1)
    assert err.value.history["epoch"] == [] and opt.t == t


@pytest.mark.parametrize("opt", [SGD(1e300), SGD(1e300, momentum=0.9), RMSprop(1e300),
                                 Adam(1e300)], ids=["sgd", "momentum", "rmsprop", "adam"])
def test_train_step_catches_a_parameter_beyond_the_bound_with_a_finite_loss(opt):
    """One step at lr 1e300: the loss of THIS batch was finite, the update is not."""
    model = MLP((64, 8, 10), rng=0)
    x, Yb = X[:16], one_hot(Y[:16], 10)
    with pytest.raises(DivergenceError, match=r"left W1.*beyond \+-1e\+06") as err:
        train_step(model, BP(), opt, x, Yb)
    assert "the loss was" in str(err.value) and "Lower the learning rate" in str(err.value)


def test_a_custom_bound_is_honoured():
    model = MLP((64, 8, 10), rng=0)
    with pytest.raises(DivergenceError, match=r"beyond \+-0.01"):
        train_step(model, BP(), SGD(1.0), X[:16], one_hot(Y[:16], 10), bound=0.01)
    model = MLP((64, 8, 10), rng=0)
    train_step(model, BP(), SGD(1.0), X[:16], one_hot(Y[:16], 10), bound=np.inf)


def test_a_nan_update_is_reported_by_the_optimiser():
    for backend in ("numba", "numpy"):
        params = {"W": np.ones(4), "b": np.ones(2)}
        bad = SGD(0.1, backend=backend).step(params, {"W": np.array([0, np.nan, 0, 0.0]),
                                                      "b": np.zeros(2)})
        assert bad == ["W"]


def test_the_cli_exits_1_and_saves_nothing_when_training_diverges(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--rule", "bp", "--optimizer", "sgd", "--lr", "1e300", "--epochs",
                 "2", "--dataset", "digits", "--out", str(out)])
    assert code == 1
    assert "diverged" in capsys.readouterr().err
    assert not list(out.glob("model*"))
