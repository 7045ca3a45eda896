"""Optimisers and schedules against their formulas, one step at a time."""
import numpy as np
import pytest

from nplearn.optim import SGD, Adam, Cosine, MultiStep, RMSprop, get_schedule


def step(opt, p, g):
    params = {"W": p.copy()}
    opt.step(params, {"W": g.copy()})
    return params["W"]


def test_sgd():
    p, g = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    np.testing.assert_allclose(step(SGD(lr=0.1), p, g), [0.95, 2.1])


def test_sgd_momentum_two_steps():
    opt, params = SGD(lr=0.1, momentum=0.9), {"W": np.array([1.0])}
    opt.step(params, {"W": np.array([1.0])})     # v = 1,    p = 1 - 0.1 = 0.9
    opt.step(params, {"W": np.array([1.0])})     # v = 1.9,  p = 0.9 - 0.19 = 0.71
    np.testing.assert_allclose(params["W"], [0.71])


def test_rmsprop():
    # r = 0.1 * 4 = 0.4;  p = 1 - 0.01 * 2 / (sqrt(0.4) + eps)
    out = step(RMSprop(lr=0.01, rho=0.9, eps=0.0), np.array([1.0]), np.array([2.0]))
    np.testing.assert_allclose(out, [1 - 0.02 / np.sqrt(0.4)])


def test_adam_first_step_is_lr_times_sign():
    # bias-corrected m/sqrt(v) = g/|g| at t = 1
    out = step(Adam(lr=0.01, eps=0.0), np.array([1.0, 1.0]), np.array([3.0, -0.2]))
    np.testing.assert_allclose(out, [0.99, 1.01])


@pytest.mark.parametrize("lr", [0, -1, np.nan, np.inf])
def test_bad_learning_rate(lr):
    with pytest.raises(ValueError, match="learning rate"):
        SGD(lr=lr)


def test_schedules():
    ms = MultiStep([60, 90], gamma=0.1)
    assert [ms(0), ms(59), ms(60), ms(90)] == [1.0, 1.0, pytest.approx(0.1), pytest.approx(0.01)]
    cos = Cosine(10)
    assert cos(0) == 1.0 and cos(10) == pytest.approx(0.0) and cos(5) == pytest.approx(0.5)
    assert get_schedule("multistep:60,90").milestones == [60, 90]
    with pytest.raises(ValueError, match="schedule"):
        get_schedule("linear")


def test_state_dict_round_trip():
    opt = Adam(lr=0.01)
    params = {"W": np.ones(3)}
    opt.step(params, {"W": np.ones(3)})
    other = Adam(lr=0.5)
    other.load_state_dict(opt.state_dict())
    p1, p2 = {"W": params["W"].copy()}, {"W": params["W"].copy()}
    opt.step(p1, {"W": np.full(3, 0.3)})
    other.step(p2, {"W": np.full(3, 0.3)})
    np.testing.assert_array_equal(p1["W"], p2["W"])
