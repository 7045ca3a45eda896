"""BP against central differences, for every activation/loss pair (docs/decisions.md, tests)."""
import numpy as np
import pytest

from nplearn.nn import ACTIVATIONS, LOSSES, MLP
from nplearn.rules import BP
from nplearn.testing import loss_of, numerical_gradient, random_batch as batch



@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_bp_matches_central_differences(activation, loss, rng):
    model = MLP((4, 5, 3, 3), activation=activation, loss=loss, init="uniform_fan_in", rng=rng)
    if activation == "hard_sigmoid":   # keep pre-activations inside (0, 1), away from the kinks
        for k in model.params:
            model.params[k] *= 0.3
        model.params["b1"] += 0.5
        model.params["b2"] += 0.5
    x, Y = batch(rng, 7, 4, 3)
    g = BP().updates(model, x, Y)
    num = numerical_gradient(model, x, Y)
    for k in model.params:
        np.testing.assert_allclose(g[k], num[k], rtol=1e-5, atol=1e-8, err_msg=k)


def test_error_is_gradient_of_loss_wrt_logits(rng):
    """DFA Eq. (5): dJ/da_y = (y_hat - y) / n for each output loss (J is a batch mean)."""
    for name, cls in LOSSES.items():
        loss = cls()
        a, Y = rng.normal(size=(5, 3)), np.eye(3)[[0, 1, 2, 1, 0]]
        e = loss.error(loss.output(a), Y)
        num = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            d = np.zeros_like(a)
            d[i] = 1e-6
            num[i] = (loss.loss(a + d, Y) - loss.loss(a - d, Y)) / 2e-6
        np.testing.assert_allclose(e / len(a), num, rtol=1e-6, atol=1e-9, err_msg=name)


def test_losses_stay_finite_for_huge_logits():
    a, Y = np.array([[800.0, -800.0]]), np.array([[0.0, 1.0]])
    for cls in LOSSES.values():
        assert np.isfinite(cls().loss(a, Y))


def test_bp_descends(rng):
    model = MLP((4, 6, 3), rng=rng)
    x, Y = batch(rng, 10, 4, 3)
    before = loss_of(model, x, Y)
    g = BP().updates(model, x, Y)
    for k in model.params:
        model.params[k] -= 1e-3 * g[k]
    assert loss_of(model, x, Y) < before
