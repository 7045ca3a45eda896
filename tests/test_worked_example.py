"""One step of a 2-2-1 network, every number derived by hand in the comments."""
import numpy as np
import pytest

from nplearn.nn import MLP
from nplearn.optim import SGD
from nplearn.rules import BP, DFA, FA
from nplearn.train import train_step


def net_221():
    # ReLU hidden layer, linear output with J = 1/2 (y_hat - y)^2, so every number is exact.
    model = MLP((2, 2, 1), activation="relu", loss="mse", init="zero")
    model.params["W1"][:] = [[0.5, -0.5], [0.25, 0.25]]
    model.params["W2"][:] = [[1.0, 2.0]]
    return model


x = np.array([[1.0, 2.0]])
Y = np.array([[1.0]])
# a_1 = W_1 x = [0.5 - 1.0, 0.25 + 0.5] = [-0.5, 0.75]  -> h_1 = relu = [0, 0.75], f'(a_1) = [0, 1]
# a_2 = W_2 h_1 = 1*0 + 2*0.75 = 1.5 = y_hat;  e = y_hat - y = 0.5 (Eq. 5);  J = 0.5 * 0.25 = 0.125


def test_bp_step_by_hand():
    model = net_221()
    tr = train_step(model, BP(), SGD(lr=0.1), x, Y, trace=True)
    np.testing.assert_array_equal(tr["a_1"], [[-0.5, 0.75]])
    np.testing.assert_array_equal(tr["h_1"], [[0.0, 0.75]])
    np.testing.assert_array_equal(tr["y_hat"], [[1.5]])
    np.testing.assert_array_equal(tr["e"], [[0.5]])
    assert tr["loss"] == 0.125
    # Eq. (6): delta_1 = (W_2^T e) ⊙ f'(a_1) = [1*0.5*0, 2*0.5*1] = [0, 1]
    np.testing.assert_array_equal(tr["delta_1"], [[0.0, 1.0]])
    # Eq. (10): dW_1 = -delta_1 x^T = -[[0, 0], [1, 2]];  dW_2 = -e h_1^T = -[[0, 0.375]]
    np.testing.assert_array_equal(tr["dW_1"], [[0.0, 0.0], [-1.0, -2.0]])
    np.testing.assert_array_equal(tr["dW_2"], [[0.0, -0.375]])
    np.testing.assert_array_equal(tr["db_1"], [0.0, -1.0])
    np.testing.assert_array_equal(tr["db_2"], [-0.5])
    # SGD, lr 0.1: W_1 += 0.1 dW_1, W_2 += 0.1 dW_2, biases likewise
    np.testing.assert_allclose(model.params["W1"], [[0.5, -0.5], [0.15, 0.05]])
    np.testing.assert_allclose(model.params["W2"], [[1.0, 1.9625]])
    np.testing.assert_allclose(model.params["b1"], [0.0, -0.1])
    np.testing.assert_allclose(model.params["b2"], [-0.05])


@pytest.mark.parametrize("rule", [DFA(), FA()])
def test_random_feedback_step_by_hand(rule):
    model = net_221()
    rule.setup(model, np.random.default_rng(0))
    rule.B_["B1"] = np.array([[1.0], [-1.0]])       # both rules: B_1 of shape (2, 1)
    tr = train_step(model, rule, SGD(lr=0.1), x, Y, trace=True)
    # Eq. (7)/(8): delta_1 = (B_1 e) ⊙ f'(a_1) = [1*0.5*0, -1*0.5*1] = [0, -0.5]
    np.testing.assert_array_equal(tr["delta_1"], [[0.0, -0.5]])
    # Eq. (10): dW_1 = -delta_1 x^T = [[0, 0], [0.5, 1]]; the output layer is as in BP
    np.testing.assert_array_equal(tr["dW_1"], [[0.0, 0.0], [0.5, 1.0]])
    np.testing.assert_array_equal(tr["dW_2"], [[0.0, -0.375]])


def test_logistic_bce_output_error():
    # a_y = 0 -> y_hat = 1/2; target 1 -> e = -1/2 (Eq. 5); J = -log(1/2) = log 2 (Eq. 4)
    model = MLP((1, 1, 1), activation="tanh", loss="logistic_bce", init="zero")
    tr = train_step(model, BP(), SGD(lr=1.0), np.array([[3.0]]), np.array([[1.0]]), trace=True)
    np.testing.assert_allclose(tr["e"], [[-0.5]])
    np.testing.assert_allclose(tr["loss"], np.log(2))
