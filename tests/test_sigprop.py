"""Discrete signal propagation (Kohan et al. 2023, Eq. 1-10): per-layer local gradients
against central differences, Output-Target prediction, sparse targets, bad settings,
recording and the digits acceptance."""
import itertools
import time

import numpy as np
import pytest

from nplearn import Classifier, load_dataset
from nplearn.analysis.early_exit import EarlyExitRecorder
from nplearn.experiments import PRESETS
from nplearn.optim import get_optimizer
from nplearn.rules.sigprop import Sigprop
from nplearn.testing import central_differences, random_batch
from nplearn.train import build, train


def sigprop_net(rng, conv=False, activation="tanh", dtype="float64", **params):
    rule = Sigprop(**params)
    if conv:         # 1x4x4 images -> 2 maps 4x4 -> pooled 2x2 (8 units) -> 5 -> 3 classes
        model = rule.make_model((16, 5, 3), activation, "softmax_ce", "uniform_fan_in", 0,
                                dtype, rng, conv=((2, 3, 1, 1),), image_shape=(1, 4, 4))
    else:
        model = rule.make_model((6, 5, 4, 3), activation, "softmax_ce", "uniform_fan_in", 0,
                                dtype, rng)
    rule.setup(model, rng)
    return model, rule


def own_params(model, l):
    """Layer l's weights, and the generator's for layer 1 (trained by L_1 through t_1)."""
    keys = [f"W{l}", f"b{l}"] + ([k for k in model.params if k[0] in "Sd"] if l == 1 else [])
    return {k: model.params[k] for k in keys}


@pytest.mark.parametrize("generator, output, comparison, conv", list(itertools.product(
    ["target_only", "target_input"], ["target", "classifier"], ["dot", "l2"], [False, True])))
def test_each_layer_update_is_the_gradient_of_its_own_loss(generator, output, comparison, conv):
    """g[W_l], g[b_l] (and g[S], g[d] for l = 1) = dL_l/d(param), through both the h and t
    paths, with the layer's inputs h_{l-1}, t_{l-1} fixed: perturbing W_l changes neither."""
    rng = np.random.default_rng(1)
    model, rule = sigprop_net(rng, conv, generator=generator, output=output,
                              comparison=comparison)
    x, Y = random_batch(rng, 7, model.sizes[0], model.sizes[-1])
    g = rule.updates(model, x, Y)
    assert g.keys() == model.params.keys()
    for l in range(1, model.n_layers + 1):
        num = central_differences(lambda: rule.layer_losses(model, x, Y)[l - 1],
                                  own_params(model, l))
        for k, v in num.items():
            np.testing.assert_allclose(g[k], v, rtol=1e-5, atol=1e-8, err_msg=f"layer {l}, {k}")


@pytest.mark.parametrize("generator, conv", list(itertools.product(
    ["target_only", "target_input"], [False, True])))
def test_sparse_targets_are_zero_filled_and_their_gradients_right(generator, conv):
    rng = np.random.default_rng(2)
    model, rule = sigprop_net(rng, conv, generator=generator, sparse=3)
    n_1, m = model.sizes[1], model.sizes[-1]
    assert model.params["S1"].shape == (3, m) and model.params["d1"].shape == (3,)
    x, Y = random_batch(rng, 5, model.sizes[0], m)
    h, t, _ = model.forward(x)
    assert t[1].shape == ((m, n_1) if generator == "target_only" else (5, m, n_1))
    assert not t[1][..., 3:].any() and t[1][..., :3].any()
    if generator == "target_only":     # t_1 = f(S_1 c_m + d_1) in the first 3 units, Eq. (1)
        np.testing.assert_allclose(t[1][:, :3], np.tanh(model.params["S1"].T + model.params["d1"]))
    g = rule.updates(model, x, Y)
    num = central_differences(lambda: rule.layer_losses(model, x, Y)[0], own_params(model, 1))
    for k, v in num.items():
        np.testing.assert_allclose(g[k], v, rtol=1e-5, atol=1e-8, err_msg=k)


def test_output_target_prediction_is_the_argmax_of_dot_products(rng):
    """Eq. (1)-(3), (5)-(6) written out for 6-5-4-3 with tanh: y = argmax_m h_3 . t_3[m]."""
    model, rule = sigprop_net(rng)
    p, f = model.params, np.tanh
    x, _ = random_batch(rng, 9, 6, 3)
    h1, t1 = f(x @ p["W1"].T + p["b1"]), f(np.eye(3) @ p["S1"].T + p["d1"])
    h2, t2 = f(h1 @ p["W2"].T + p["b2"]), f(t1 @ p["W2"].T + p["b2"])
    h3, t3 = f(h2 @ p["W3"].T + p["b3"]), f(t2 @ p["W3"].T + p["b3"])
    dots = np.array([[h3[i] @ t3[m] for m in range(3)] for i in range(9)])
    np.testing.assert_allclose(model.logits(x), dots)
    assert np.array_equal(model.logits(x).argmax(1), dots.argmax(1))
    exits = model.early_exit_logits(x)                             # Eq. (8), every layer
    for z, (h, t) in zip(exits, [(h1, t1), (h2, t2), (h3, t3)]):
        np.testing.assert_allclose(z, h @ t.T)
    l2, _ = sigprop_net(np.random.default_rng(0), comparison="l2")
    l2.params.update({k: v.copy() for k, v in p.items()})
    dist = np.array([[np.sum((t3[m] - h3[i]) ** 2) for m in range(3)] for i in range(9)])
    np.testing.assert_allclose(l2.logits(x), -dist)                # Eq. (7): nearest target wins
    assert np.array_equal(l2.logits(x).argmax(1), dist.argmin(1))


def test_classification_layer_needs_no_target(rng):
    """Fig. 2b: logits = W_L h_{L-1} + b_L; the generator is not used at inference."""
    model, rule = sigprop_net(rng, output="classifier")
    p, f = model.params, np.tanh
    x, Y = random_batch(rng, 4, 6, 3)
    a = f(f(x @ p["W1"].T + p["b1"]) @ p["W2"].T + p["b2"]) @ p["W3"].T + p["b3"]
    p["S1"][:] = np.nan
    np.testing.assert_allclose(model.logits(x), a)
    p["S1"][:] = 0.0
    bp = rule.network_gradients(model, x, Y)                       # exact BP in this mode
    num = central_differences(lambda: model.loss.loss(model.logits(x), Y),
                              {k: p[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3")})
    for k, v in num.items():
        np.testing.assert_allclose(bp[k], v, rtol=1e-5, atol=1e-9, err_msg=k)
    g = rule.updates(model, x, Y)                                  # the classifier layer is BP's
    np.testing.assert_allclose(g["W3"], bp["W3"])


def _conv_by_hand(img, W, b, pad):
    """Stride-1 cross-correlation with zero padding, explicit loops: (N, C, H, W) -> (N, C', H, W)."""
    N, C, H, Wd = img.shape
    Co, _, k, _ = W.shape
    xp = np.zeros((N, C, H + 2 * pad, Wd + 2 * pad))
    xp[:, :, pad:pad + H, pad:pad + Wd] = img
    out = np.zeros((N, Co, H, Wd))
    for n, o, i, j in itertools.product(range(N), range(Co), range(H), range(Wd)):
        out[n, o, i, j] = b[o] + sum(W[o, c, u, v] * xp[n, c, i + u, j + v]
                                     for c in range(C) for u in range(k) for v in range(k))
    return out


def test_conv_layer_logits_sum_over_channels_and_pixels():
    """The decision for conv layers: O_dot(h_l, t_l) is Eq. (6) on the layer's whole output,
    z[i, m] = sum over channels c AND pixels p of h_l[i, c, p] t_l[m, c, p] (C*H*W terms); the
    authors' code instead averages the per-pixel channel dot over the H*W pixels (the same
    logits / (H*W)). Written out on a 1x4x4 -> conv 2x3x3 -> conv 2x3x3 net without pooling
    (16 pixels per map) for both layers' early-exit logits and L_1 (Eq. 9)."""
    rng = np.random.default_rng(4)
    rule = Sigprop()
    model = rule.make_model((16, 3), "tanh", "softmax_ce", "uniform_fan_in", 0, "float64", rng,
                            conv=((2, 3, 1, 1), (2, 3, 1, 1)), image_shape=(1, 4, 4), pool=1)
    p, m = model.params, 3
    x, Y = random_batch(rng, 2, 16, m)
    h1 = np.tanh(_conv_by_hand(x.reshape(2, 1, 4, 4), p["W1"], p["b1"], 1))      # SP Eq. (1)
    t1 = np.tanh(np.eye(m) @ p["S1"].T + p["d1"]).reshape(m, 2, 4, 4)             # Eq. (1)
    h2 = np.tanh(_conv_by_hand(h1, p["W2"], p["b2"], 1))                           # Eq. (2)
    t2 = np.tanh(_conv_by_hand(t1, p["W2"], p["b2"], 1))                           # Eq. (3)
    z = model.early_exit_logits(x)
    for z_l, h, t in ((z[0], h1, t1), (z[1], h2, t2)):
        by_hand = np.array([[sum(h[i, c, a, b] * t[k, c, a, b] for c in range(2)
                                 for a in range(4) for b in range(4)) for k in range(m)]
                            for i in range(2)])
        np.testing.assert_allclose(z_l, by_hand, rtol=1e-12)
        pixel_mean = by_hand / 16                                  # the authors' scale
        assert not np.allclose(z_l, pixel_mean)
    log_z = np.log(np.exp(z[0]).sum(axis=1))
    L1 = np.mean(log_z - (z[0] * Y).sum(axis=1))                   # Eq. (9) on those logits
    assert rule.layer_losses(model, x, Y)[0] == pytest.approx(L1, rel=1e-12)


@pytest.mark.parametrize("conv", [False, True])
def test_updates_shapes_dtypes_stats_and_trace(conv, rng):
    model, rule = sigprop_net(rng, conv, activation="leaky_relu", dtype="float32",
                              generator="target_input")
    x, Y = random_batch(rng, 6, model.sizes[0], model.sizes[-1], np.float32)
    stats, trace = {}, {}
    g = rule.updates(model, x, Y, stats=stats, trace=trace)
    for k, p in model.params.items():
        assert g[k].shape == p.shape and g[k].dtype == p.dtype, k
    losses = rule.layer_losses(model, x, Y)
    np.testing.assert_allclose(stats["loss"], sum(losses), rtol=1e-5)      # Eq. (4)
    np.testing.assert_allclose(stats["layer_loss"], losses, rtol=1e-5)
    assert stats["n_errors"] == int(np.sum(model.logits(x).argmax(1) != Y.argmax(1)))
    assert trace["t_1"].shape == (6, 3, model.sizes[1]) and "dS_2" in trace
    assert np.array_equal(trace["dW_1"], -g["W1"])
    assert len(model.hidden(x)) == model.n_layers - 1


@pytest.mark.parametrize("make, match", [
    (lambda: Sigprop(generator="target_loop"), "generator must be one of 'target_only', 'tar"),
    (lambda: Sigprop(output="softmax"), "output must be one of"),
    (lambda: Sigprop(comparison="cosine"), "comparison must be one of .dot., .l2."),
    (lambda: Sigprop(sparse=0), "positive integer"),
    (lambda: build(Sigprop(sparse=101), 64, 10, (100,)), "first layer's width"),
    (lambda: build(Sigprop(), 64, 10, (100,), loss="mse"), "loss='softmax_ce'"),
    (lambda: build(Sigprop(), 64, 10, (100,), dropout=0.1), "dropout=0"),
    (lambda: build(Sigprop(output="classifier"), 64, 10, ()), "add hidden_sizes"),
    (lambda: build(Sigprop(), 64, 10, (100,), conv=((4, 3, 1),)), "image_shape"),
])
def test_bad_settings_raise_errors_that_name_the_fix(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("output", ["target", "classifier"])
def test_early_exit_recorder_records_every_epoch(output):
    d = load_dataset("digits")
    model, rule = build(Sigprop(output=output), 64, 10, (20, 20), rng=0)
    rec = EarlyExitRecorder(d.x_val, d.y_val)
    train(model, rule, get_optimizer("adam", 4e-3), d.x_train, d.y_train, epochs=3, rng=0,
          progress=False, eval_train=False, callbacks=[rec])
    h = rec.history
    assert h["epoch"] == [0.0, 1.0, 2.0, 3.0]
    for key in ("layer_loss", "exit_error", "update_angle"):
        assert len(h[key]) == 4 and all(len(v) == 3 for v in h[key]), key
    assert h["exit_error"][-1][-1] < h["exit_error"][0][-1]                # it learned
    assert h["layer_loss"][-1][0] < h["layer_loss"][0][0]
    assert all(0.0 <= a <= 180.0 for v in h["update_angle"] for a in v)
    if output == "classifier":         # the classification layer's update IS BP's gradient
        assert all(v[-1] < 1e-4 for v in h["update_angle"])


def test_classifier_estimator_takes_a_sigprop_instance():
    d = load_dataset("digits")
    clf = Classifier(rule=Sigprop(), hidden_sizes=(50,), epochs=5, random_state=0)
    clf.fit(d.x_train, d.y_train)
    assert clf.score(d.x_test, d.y_test) > 0.8


def _digits_error(seed, d, conv=None, epochs=50):
    model, rule = build(Sigprop(), 64, 10, (100,) if conv else (100, 100), rng=seed,
                        conv=conv, image_shape=(1, 8, 8) if conv else None)
    lr = PRESETS["sigprop"]["learning_rate"]                 # 4e-3, chosen for 50 epochs
    train(model, rule, get_optimizer("adam", lr), d.x_train,
          d.y_train, epochs=epochs, batch_size=64, rng=seed, progress=False, eval_train=False)
    return float(np.mean(model.logits(d.x_test).argmax(1) != d.y_test))


def test_digits_2x100_at_most_5_percent_mean_of_3_seeds():
    d = load_dataset("digits")
    t0 = time.perf_counter()
    errors = [_digits_error(seed, d) for seed in range(3)]
    print(f"sigprop 2x100 digits test errors {errors}, {time.perf_counter() - t0:.1f} s")
    assert np.mean(errors) <= 0.05, errors


def test_digits_conv_at_most_5_percent_mean_of_3_seeds():
    d = load_dataset("digits")
    t0 = time.perf_counter()
    errors = [_digits_error(seed, d, conv=((16, 3, 1, 1),)) for seed in range(3)]
    print(f"sigprop conv digits test errors {errors}, {time.perf_counter() - t0:.1f} s")
    assert np.mean(errors) <= 0.05, errors


def test_compare_on_conv_maps_sums_all_channels_and_pixels_not_the_pixel_mean():
    """sigprop_targets.compare on hand-made conv outputs (n=2, C=2, H=W=3, flattened to 18
    units) and m=3 targets: the dot logits are the explicit sum over all C*H*W entries, the
    L2 logits minus the sum of squared differences over them; the pixel mean (the sum / 9)
    is the other choice and must not come out. Both target shapes, (m, d) and (n, m, d)."""
    from nplearn.rules.sigprop_targets import compare
    rng = np.random.default_rng(11)
    n, m, C, H, W = 2, 3, 2, 3, 3
    h = rng.normal(size=(n, C, H, W))
    t = rng.normal(size=(m, C, H, W))
    dot = [[sum(h[i, c, a, b] * t[k, c, a, b] for c in range(C) for a in range(H)
                for b in range(W)) for k in range(m)] for i in range(n)]
    l2 = [[-sum((t[k, c, a, b] - h[i, c, a, b]) ** 2 for c in range(C) for a in range(H)
                for b in range(W)) for k in range(m)] for i in range(n)]
    hf, tf = h.reshape(n, -1), t.reshape(m, -1)
    per_example = np.broadcast_to(tf, (n, m, C * H * W))
    for comparison, want in (("dot", np.array(dot)), ("l2", np.array(l2))):
        for targets in (tf, per_example):
            z = compare(hf, targets, comparison)
            np.testing.assert_allclose(z, want, rtol=1e-12, err_msg=comparison)
            assert not np.allclose(z, want / (H * W)), comparison      # not the pixel mean
