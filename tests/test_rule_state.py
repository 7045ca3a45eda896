"""No hidden state in the rules: equal calls give equal updates, and what matters for training
is in ``rule.state()``, so a resumed run equals an uninterrupted one (EP's particles, EFP's
and sigprop_ct's loop matrices, the Hopfield rules' input map)."""
import copy

import numpy as np
import pytest

import nplearn
from nplearn.rules import RULES
from nplearn.train import build
from nplearn.train.loop import one_hot


def _small(rule):
    """A small network for ``rule`` and a batch of 6 rows of 64 features in [0, 1]."""
    model, r = build(rule, 64, 3, (6,), rng=0)
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (6, 64)).astype(model.dtype)
    return model, r, x, one_hot(rng.integers(0, 3, 6), 3, model.dtype)


def _same(g1, g2):
    return set(g1) == set(g2) and all(np.array_equal(g1[k], g2[k]) for k in g1)


@pytest.mark.parametrize("rule", list(RULES))
def test_two_direct_calls_give_the_same_update_and_write_no_parameter(rule):
    model, r, x, Y = _small(rule)
    before = {k: v.copy() for k, v in model.params.items()}
    g1 = {k: v.copy() for k, v in r.updates(model, x, Y).items()}
    g2 = r.updates(model, x.copy(), Y.copy())          # a copy of the batch: the same update
    assert _same(g1, g2), rule
    assert _same(before, model.params), rule


@pytest.mark.parametrize("rule", list(RULES))
def test_the_same_state_and_trainer_arguments_give_the_same_update(rule):
    model, r, x, Y = _small(rule)
    idx = np.array([4, 0, 7, 2, 9, 1])                   # training-set indices, as the trainer
    r.updates(model, x, Y, rng=np.random.default_rng(3), idx=idx)   # EP: particles now set
    a, b = copy.deepcopy(r), copy.deepcopy(r)
    ga = a.updates(model, x, Y, rng=np.random.default_rng(7), idx=idx, loop=0)
    gb = b.updates(model, x, Y, rng=np.random.default_rng(7), idx=idx, loop=0)
    assert _same(ga, gb), rule
    assert _same(a.state(), b.state()), rule


def _resume_equals_uninterrupted(rule, X, y, tmp_path, **kw):
    whole = nplearn.Classifier(rule=rule, epochs=2, random_state=0, **kw).fit(X, y)
    first = nplearn.Classifier(rule=rule, epochs=1, random_state=0, **kw).fit(X, y)
    first.save(tmp_path / "ckpt")
    resumed = nplearn.Classifier.load(tmp_path / "ckpt").partial_fit(X, y)
    for k, v in whole.model_.params.items():
        assert np.array_equal(v, resumed.model_.params[k]), (rule, k)
    assert _same(whole.rule_.state(), resumed.rule_.state()), rule
    return whole, resumed


@pytest.mark.parametrize("rule", ["ep", "efp", "sigprop_ct"])
def test_resumed_hopfield_run_equals_the_uninterrupted_one(rule, tmp_path):
    d = nplearn.load_dataset("digits")
    X, y = d.x_train[:200], d.y_train[:200]
    whole, resumed = _resume_equals_uninterrupted(rule, X, y, tmp_path, hidden_sizes=(12,))
    if rule == "ep":                                    # the particles are in the checkpoint
        assert resumed.rule_.state()["particle_1"].shape == (200, 12)


def test_resumed_ep_run_on_standardised_data_keeps_its_input_map(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    whole, resumed = _resume_equals_uninterrupted("ep", X, y, tmp_path, hidden_sizes=(8,))
    assert set(resumed.rule_.state()) >= {"input_lo", "input_scale"}
    assert np.array_equal(whole.predict(X), resumed.predict(X))
