"""EFP Fig. 5's per-path (grey) loop angles against hand computation, and the aggregate (blue)."""
import math

import numpy as np
import pytest

from nplearn.analysis.relaxation import HopfieldRecorder, loop_angles, loop_path_angles
from nplearn.hopfield import HopfieldNet


def loop_net(rng, sizes=(3, 4, 5, 2)):
    """A loop net 3-4-5-2 (two hidden layers, n_1 = 4 input-receiving neurons) with random weights."""
    net = HopfieldNet(sizes, connectivity="loop", rng=rng)
    for l in range(1, net.n_layers + 1):
        net.W[l][...] = rng.normal(size=net.W[l].shape)
    net.W_loop[...] = rng.normal(size=net.W_loop.shape)
    return net


def hand_angle(u, v):
    dot = sum(a * b for a, b in zip(u, v))
    nu, nv = math.sqrt(sum(a * a for a in u)), math.sqrt(sum(b * b for b in v))
    return math.degrees(math.acos(max(-1.0, min(1.0, dot / (nu * nv)))))


def hand_forward_product(net):
    """``P[k][j]``: sum over every path j -> i -> k (layer 1 -> 2 -> 3) of W_2[i, j] W_3[k, i]."""
    W2, W3 = net.W[2], net.W[3]
    return [[sum(W3[k, i] * W2[i, j] for i in range(W2.shape[0])) for j in range(W2.shape[1])]
            for k in range(W3.shape[0])]


def test_loop_equal_to_the_forward_product_is_0_deg_on_every_path(rng):
    net = loop_net(rng)
    P = np.array(hand_forward_product(net))                  # (n_L, n_1)
    net.W_loop[...] = P.T                                    # W_z = P^T
    a = loop_path_angles(net)
    assert a.shape == (4,)
    np.testing.assert_allclose(a, 0.0, atol=1e-5)
    assert loop_angles(net)["W_loop"] == pytest.approx(0.0, abs=1e-5)


def test_one_flipped_path_is_180_deg_and_only_that_one(rng):
    net = loop_net(rng)
    P = np.array(hand_forward_product(net))
    net.W_loop[...] = P.T
    net.W_loop[2] *= -1                                      # neuron 2's loop weights flipped
    a = loop_path_angles(net)
    np.testing.assert_allclose(a, [0.0, 0.0, 180.0, 0.0], atol=1e-5)
    # the aggregate is not the mean of the paths: it weighs each by its norm
    c = np.sum(np.delete(P, 2, axis=1) ** 2) - np.sum(P[:, 2] ** 2)
    assert loop_angles(net)["W_loop"] == pytest.approx(
        math.degrees(math.acos(c / np.sum(P ** 2))), abs=1e-6)


def test_random_loop_against_explicit_loops(rng):
    net = loop_net(rng)
    P = hand_forward_product(net)
    n_L, n_1 = len(P), len(P[0])
    want = [hand_angle([P[k][j] for k in range(n_L)], [net.W_loop[j, k] for k in range(n_L)])
            for j in range(n_1)]
    np.testing.assert_allclose(loop_path_angles(net), want, rtol=1e-10, atol=1e-9)
    flat_P = [P[k][j] for k in range(n_L) for j in range(n_1)]
    flat_M = [net.W_loop[j, k] for k in range(n_L) for j in range(n_1)]
    assert loop_angles(net)["W_loop"] == pytest.approx(hand_angle(flat_P, flat_M), rel=1e-10)
    # W_3 against W_2 W_loop, entry (i, k) of (n_2, n_3): sum over j of W_2[i, j] W_loop[j, k]
    W2, W3 = net.W[2], net.W[3]
    rest = [sum(W2[i, j] * net.W_loop[j, k] for j in range(n_1)) for i in range(W2.shape[0])
            for k in range(W3.shape[0])]
    w3t = [W3[k, i] for i in range(W2.shape[0]) for k in range(W3.shape[0])]
    assert loop_angles(net)["W3"] == pytest.approx(hand_angle(rest, w3t), rel=1e-10)


def test_a_zero_path_is_nan_and_symmetric_nets_have_none(rng):
    net = loop_net(rng)
    net.W_loop[1] = 0.0
    a = loop_path_angles(net)
    assert np.isnan(a[1]) and np.isfinite(np.delete(a, 1)).all()
    with pytest.raises(ValueError, match="loop"):
        loop_path_angles(HopfieldNet((3, 4, 2), connectivity="symmetric", rng=rng))


def test_the_recorder_keeps_one_angle_per_input_receiving_neuron(rng):
    from nplearn import Classifier
    from sklearn.datasets import load_digits
    x, y = load_digits(return_X_y=True)
    x, y = x[:200] / 16.0, y[:200]
    rec = HopfieldRecorder(x[:32], y[:32], every=2)
    Classifier(rule="efp", hidden_sizes=(8, 6), epochs=1, batch_size=50, random_state=0).fit(
        x, y, callbacks=[rec])
    h = rec.history
    assert len(h["loop_path_angle"]) == len(h["step"]) == len(h["loop_angle"]) >= 2
    assert all(len(p) == 8 for p in h["loop_path_angle"])
