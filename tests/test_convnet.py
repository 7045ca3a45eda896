"""ConvNet: BP against central differences, FA/DFA identities with BP, training, rejections."""
import numpy as np
import pytest

from nplearn.analysis import feedback_angles, update_angles
from nplearn.data import load_dataset
from nplearn.nn import MLP, ConvNet
from nplearn.optim import Adam
from nplearn.rules import BP, DFA, EFP, EP, FA
from nplearn.rules.hopfield_base import HopfieldRule
from nplearn.testing import numerical_gradient, random_batch
from nplearn.train import build, evaluate, train

CONV = ((3, 3, 1, 1), (4, 2, 1))                # 2x7x7 -> 3x7x7 -> pool 3x3x3 -> 4x2x2 -> 4x1x1


def tiny(rng, activation="tanh", conv=CONV, hidden=(5,), pool=2, **kw):
    return ConvNet((2, 7, 7), conv, hidden, 3, activation=activation, init="uniform_fan_in",
                   pool=pool, rng=rng, **kw)


def test_shapes_and_layout(rng):
    model = tiny(rng)
    assert model.sizes == (98, 27, 4, 5, 3) and model.n_layers == 4 and model.n_conv == 2
    assert model.conv == ((3, 3, 1, 1), (4, 2, 1, 0))
    assert [model.is_conv(l) for l in range(1, 5)] == [True, True, False, False]
    assert model.params["W1"].shape == (3, 2, 3, 3) and model.params["b2"].shape == (4,)
    assert model.params["W3"].shape == (5, 4)
    x, _ = random_batch(rng, 6, 98, 3)
    fwd = model.forward(x)
    assert fwd.a[1].shape == fwd.df[1].shape == fwd.conv_h[1].shape == (6, 3, 7, 7)
    assert fwd.cols[1].shape == (6 * 49, 18) and fwd.pool_idx[1].shape == (6, 3, 3, 3)
    assert [h.shape for h in fwd.h] == [(6, 98), (6, 27), (6, 4), (6, 5), (6, 3)]
    assert fwd.cols[3] is None and fwd.conv_h[3] is None
    img = model.forward(x.reshape(6, 2, 7, 7))
    np.testing.assert_array_equal(img.y_hat, fwd.y_hat)
    np.testing.assert_allclose(model.logits(x), fwd.a[-1])
    np.testing.assert_allclose(model.predict_output(x), fwd.y_hat)
    for h_inf, h in zip(model.hidden(x), fwd.h[1:-1]):
        np.testing.assert_allclose(h_inf, h)
    assert "ConvNet(image_shape=(2, 7, 7)" in repr(model)


@pytest.mark.parametrize("activation, conv, pool", [
    ("tanh", CONV, 2),
    ("relu", CONV, 2),
    ("tanh", ((2, 3, 2, 1), (3, 2, 1)), 1),        # stride 2, no pooling
])
def test_bp_matches_central_differences(activation, conv, pool, rng):
    model = tiny(rng, activation, conv, pool=pool)
    x, Y = random_batch(rng, 4, 98, 3)
    g = BP().updates(model, x, Y)
    num = numerical_gradient(model, x, Y)
    for k in model.params:
        assert g[k].shape == model.params[k].shape
        np.testing.assert_allclose(g[k], num[k], rtol=1e-5, atol=1e-8, err_msg=k)


def test_fa_with_forward_weights_as_feedback_is_bp(rng):
    """B_l := W_{l+1} (a kernel) for a conv layer l+1, W_{l+1}^T for a dense one."""
    model = tiny(rng)
    fa = FA()
    fa.setup(model, rng)
    W = model.W
    assert fa.B_["B1"].shape == W[2].shape and fa.B_["B2"].shape == W[3].T.shape
    for l in range(1, model.n_layers):
        fa.B_[f"B{l}"] = W[l + 1] if model.is_conv(l + 1) else W[l + 1].T
    x, Y = random_batch(rng, 5, 98, 3)
    g_fa, g_bp = fa.updates(model, x, Y), BP().updates(model, x, Y)
    for k in g_bp:
        np.testing.assert_array_equal(g_fa[k], g_bp[k])
    assert all(v == pytest.approx(0.0, abs=1e-5) for v in feedback_angles(model, fa).values())


def test_fa_feedback_kernel_law(rng):
    model = ConvNet((3, 12, 12), ((16, 5, 1), (8, 3, 1)), (), 10, rng=rng)
    fa = FA()
    fa.setup(model, rng)
    B = fa.B_["B1"]
    assert B.shape == (8, 16, 3, 3)
    r = 1 / np.sqrt(16 * 3 * 3)
    assert np.abs(B).max() <= r and np.abs(B).max() > 0.9 * r


def test_one_conv_layer_dfa_with_output_weights_transposed_is_bp(rng):
    """conv -> pool -> output: DFA with B_1 = W_2^T injects e where BP's W_2^T e arrives."""
    model = tiny(rng, conv=((3, 3, 1, 1),), hidden=())
    dfa = DFA()
    dfa.setup(model, rng)
    assert dfa.B_["B1"].shape == (27, 3)          # pooled size x classes
    dfa.B_["B1"] = model.W[2].T
    x, Y = random_batch(rng, 5, 98, 3)
    g_dfa, g_bp = dfa.updates(model, x, Y), BP().updates(model, x, Y)
    for k in g_bp:
        np.testing.assert_array_equal(g_dfa[k], g_bp[k])


def test_dfa_on_conv_net_shapes_trace_and_angles(rng):
    model = tiny(rng)
    dfa = DFA()
    dfa.setup(model, rng)
    assert [dfa.B_[f"B{l}"].shape for l in (1, 2, 3)] == [(27, 3), (4, 3), (5, 3)]
    x, Y = random_batch(rng, 5, 98, 3)
    trace = {}
    g = dfa.updates(model, x, Y, trace=trace)
    assert {k: v.shape for k, v in g.items()} == {k: v.shape for k, v in model.params.items()}
    assert trace["delta_1"].shape == (5, 3, 7, 7) and trace["h_1"].shape == (5, 27)
    assert trace["dW_1"].shape == (3, 2, 3, 3)
    assert set(feedback_angles(model, dfa)) == {"B2", "B3"}   # B1's path crosses conv W_2
    per_sample, per_weight = update_angles(model, dfa, x, Y)
    assert set(per_sample) == {1, 2, 3} and per_sample[1].shape == (5,)
    assert set(per_weight) == {1, 2, 3, 4}


def test_masks_are_reused(rng):
    x, _ = random_batch(rng, 8, 98, 3)
    for model in (tiny(rng, hidden=(6, 6), dropout=0.5),
                  MLP((98, 6, 6, 3), dropout=0.5, input_dropout=0.2, rng=rng)):
        fwd = model.forward(x, np.random.default_rng(1))
        again = model.forward(x, masks=fwd.mask)
        other = model.forward(x, np.random.default_rng(2))
        for l in range(1, model.n_layers + 1):
            np.testing.assert_array_equal(again.h[l], fwd.h[l])
        assert not np.array_equal(other.h[-2], fwd.h[-2])
        assert sum(m is not None for m in fwd.mask) >= 2


def test_float32_stays_float32(rng):
    model = tiny(rng, dtype="float32")
    x, Y = random_batch(rng, 4, 98, 3, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in model.params.values())
    assert model.forward(x).y_hat.dtype == np.float32
    for rule in (BP(), FA(), DFA()):
        rule.setup(model, rng)
        assert all(v.dtype == np.float32 for v in rule.updates(model, x, Y).values()), rule.name


@pytest.mark.parametrize("rule", ["bp", "fa", "dfa"])
def test_conv_net_learns_digits(rule):
    """(1, 8, 8) digits, conv (8, 3, 1, 1), pool 2, dense 50: well below chance (90 %)."""
    d = load_dataset("digits", flatten=False)
    assert d.x_train.shape[1:] == d.image_shape == (1, 8, 8)
    flat = {k: getattr(d, k).reshape(len(getattr(d, k)), -1) for k in ("x_train", "x_test")}
    model, r = build(rule, 64, 10, (50,), activation="relu", loss="softmax_ce", init="he",
                     rng=0, conv=((8, 3, 1, 1),), image_shape=d.image_shape, pool=2)
    assert isinstance(model, ConvNet) and model.sizes == (64, 128, 50, 10)
    train(model, r, Adam(1e-3), flat["x_train"], d.y_train, epochs=20, batch_size=32,
          rng=np.random.default_rng(0), eval_train=False, progress=False)
    _, error = evaluate(model, flat["x_test"], d.y_test)
    assert error < 0.15, error


@pytest.mark.parametrize("rule", ["ifa", "bfa", "bdfa"])
def test_dense_only_rules_reject_conv(rule):
    with pytest.raises(ValueError, match="fully connected"):
        build(rule, 64, 10, (20,), rng=0, conv=((4, 3, 1),), image_shape=(1, 8, 8))


@pytest.mark.parametrize("rule", [EP(), EFP()])
def test_hopfield_rules_reject_conv(rule):
    # HopfieldRule.make_model itself: EP's and EFP's overrides do not forward conv (yet)
    with pytest.raises(ValueError, match="fully connected"):
        HopfieldRule.make_model(rule, (64, 20, 10), None, None, "xavier", 0.0, "float64",
                                np.random.default_rng(0), conv=((4, 3, 1),), image_shape=(1, 8, 8))


@pytest.mark.parametrize("kwargs, match", [
    ({"image_shape": None}, "image_shape"),
    ({"image_shape": (1, 8, 9)}, "pixels"),
    ({"conv": ((4, 9, 1),)}, "larger than the padded input"),
    ({"conv": ((4, 3, 0),)}, "stride"),
    ({"conv": ((4, 3),)}, "channels, kernel, stride"),
    ({"conv": ((4, 7, 1),), "pool": 3}, "pooling window"),
    ({"pool": 0}, "pool"),
])
def test_bad_conv_settings(kwargs, match):
    args = {"conv": ((4, 3, 1),), "image_shape": (1, 8, 8), **kwargs}
    with pytest.raises(ValueError, match=match):
        build("bp", 64, 10, (20,), rng=0, **args)


def test_bad_input_shape(rng):
    model = tiny(rng)
    with pytest.raises(ValueError, match="x must have shape"):
        model.forward(np.zeros((3, 2, 7, 8)))
    with pytest.raises(ValueError, match="x must have shape"):
        model.logits(np.zeros((3, 97)))
