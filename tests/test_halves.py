"""The spiking rules' updates on the batch's two halves (nplearn.rules.halves).

Pinned against the whole batch's directions (the rule's own ``batch_updates`` on all rows:
the same mean, the sums over rows in another order), and one thread against two (the same
bits: the halves are the same whatever runs them).
"""
import numpy as np
import pytest

from nplearn.rules.halves import in_halves, side_by_side
from nplearn.train import build, one_hot

SPIKING = [("snn_bp", {}), ("snn_shallow", {}), ("snn_sigprop", {}),
           ("snn_sigprop", {"mode": "voltage"})]


def _net(name, params, n=9):
    model, rule = build(name, 36, 3, (5,), rng=0, image_shape=(1, 6, 6),
                        rule_params={"conv": ((2, 3, 1, 1),), **params})
    rng = np.random.default_rng(1)
    x = rng.random((n, 36)) * 3                     # strong enough currents to spike
    Y = one_hot(rng.integers(0, 3, n), 3)
    return model, rule, x, Y


@pytest.mark.parametrize("name, params", SPIKING)
def test_the_halves_give_the_whole_batchs_mean(name, params):
    model, rule, x, Y = _net(name, params)          # n = 9: halves of 5 and 4 rows
    whole_stats, half_stats = {}, {}
    whole = rule.batch_updates(model, x, Y, stats=whole_stats)
    halves = rule.updates(model, x, Y, stats=half_stats)
    assert whole.keys() == halves.keys()
    assert any(np.abs(v).max() > 0 for v in whole.values())
    for k in whole:
        scale = np.abs(whole[k]).max()              # roundings of the sums near zero
        np.testing.assert_allclose(halves[k], whole[k], rtol=1e-12, atol=1e-12 * scale, err_msg=k)
    assert half_stats["n_errors"] == whole_stats["n_errors"]
    assert half_stats["loss"] == pytest.approx(whole_stats["loss"], rel=1e-12)


@pytest.mark.parametrize("name, params", SPIKING)
def test_two_threads_give_the_same_bits_as_one(name, params):
    model, rule, x, Y = _net(name, params, n=16)
    one = rule.updates(model, x, Y)
    with side_by_side(2):
        two = rule.updates(model, x, Y)
    assert all(one[k].tobytes() == two[k].tobytes() for k in one)


def test_the_weights_follow_the_rows():
    """A hand check of the combination: halves of 3 and 2 rows of a per-row mean."""
    x = np.arange(5.0)[:, None]
    stats = {}
    g = in_halves(lambda xs, Ys, st: st.update(loss=xs.mean(), n_errors=len(xs)) or
                  {"m": xs.mean(axis=0)}, x, x, stats)
    assert g["m"][0] == pytest.approx(2.0) and stats == {"loss": pytest.approx(2.0), "n_errors": 5}
    one = in_halves(lambda xs, Ys, st: {"m": xs.sum(axis=0)}, x[:1], x[:1])
    assert one["m"][0] == 0.0                       # one row: not split
