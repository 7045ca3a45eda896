"""Frozen layers in training (``frozen`` of nplearn.train.train) and the experiment of DFA
Fig. 2 (left), nplearn.experiments.frozen_layer."""
import json

import numpy as np
import pytest

from nplearn import load_dataset
from nplearn.cli import main
from nplearn.experiments.frozen_layer import DFAFirstLayer, frozen_layer
from nplearn.optim import get_optimizer
from nplearn.rules import BP, DFA
from nplearn.train import build, train, train_step
from nplearn.train.loop import one_hot


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


@pytest.mark.parametrize("rule", ["bp", "dfa"])
def test_a_frozen_layer_keeps_its_weights_and_the_others_learn(rule, digits):
    model, r = build(rule, 64, 10, (12, 12), rng=0, init="uniform_fan_in")
    before = {k: v.copy() for k, v in model.params.items()}
    opt = get_optimizer("rmsprop", 1e-2)
    train(model, r, opt, digits.x_train, digits.y_train, epochs=2, rng=0, frozen=(1,))
    for k in ("W1", "b1"):
        np.testing.assert_array_equal(model.params[k], before[k])
    for k in ("W2", "b2", "W3"):
        assert not np.array_equal(model.params[k], before[k]), k
    assert not [k for k in opt.state if k.endswith("/W1") or k.endswith("/b1")]
    train(model, r, opt, digits.x_train, digits.y_train, epochs=1, rng=0)   # unfrozen
    assert not np.array_equal(model.params["W1"], before["W1"])


@pytest.mark.parametrize("frozen", [(0,), (4,), (1.0,), 1, ("W1",)])
def test_frozen_must_name_layers(frozen, digits):
    model, r = build("bp", 64, 10, (5, 5), rng=0)
    Y = one_hot(digits.y_train[:4], 10, model.dtype)
    with pytest.raises(ValueError, match=r"frozen must be layer numbers in 1..3"):
        train_step(model, r, get_optimizer("sgd", 0.1), digits.x_train[:4], Y, frozen=frozen)


def test_dfa_in_layer_1_and_bp_above():
    """delta_1 is DFA's Eq. (8), delta_2 BP's Eq. (6): the paper's 'unfreezed layer trained
    with DFA' with the layers above still trained by BP."""
    model, _ = build("bp", 6, 3, (5, 4), rng=0, init="uniform_fan_in")
    rule = DFAFirstLayer()
    rule.setup(model, np.random.default_rng(1))
    x = np.random.default_rng(2).normal(size=(7, 6))
    fwd = model.forward(x)
    e = model.loss.error(fwd.y_hat, one_hot(np.arange(7) % 3, 3, model.dtype))
    dfa = DFA()
    dfa.B_ = rule.B_
    got, bp = rule.deltas(model, fwd, e), BP().deltas(model, fwd, e)
    np.testing.assert_allclose(got[1], dfa.deltas(model, fwd, e)[1])
    np.testing.assert_allclose(got[2], bp[2])
    assert not np.allclose(got[1], bp[1])


def test_fig2_left_experiment_and_its_command(tmp_path, capsys):
    r = frozen_layer("cpu", epochs=(2, 3))
    assert r["W1_unchanged"] and len(r["frozen"]["epoch"]) == 2
    assert set(r["continued"]) == {"bp", "dfa_layer1", "dfa"}
    assert all(len(h["train_error"]) == 3 for h in r["continued"].values())
    assert main(["reproduce", "dfa-fig2-left", "--epochs", "2", "--out", str(tmp_path)]) == 0
    assert "DFA in layer 1, BP above" in capsys.readouterr().out
    assert {p.name for p in tmp_path.iterdir()} >= {"frozen_layer.png", "frozen_layer.svg",
                                                    "result.json", "summary.md"}
    assert json.loads((tmp_path / "result.json").read_text())["W1_unchanged"] is True
