"""Convolution and max pooling (nplearn.nn.conv): against loops, adjoints, central differences."""
import numpy as np
import pytest

from nplearn.nn import (col2im, conv2d, conv2d_backward_input, conv2d_grads, conv_output_size,
                        im2col, maxpool2d, maxpool2d_backward)
from nplearn.nn.conv import BACKENDS, conv2d_backward
from nplearn.testing import central_differences, direct_conv2d


def random_case(rng):
    """Random sizes, channel counts, kernel, stride and padding with a valid output."""
    n, C_in, C_out = rng.integers(1, 4), rng.integers(1, 4), rng.integers(1, 5)
    k, stride, padding = rng.integers(1, 5), rng.integers(1, 4), rng.integers(0, 3)
    H, W = (rng.integers(max(1, k - 2 * padding), 10) for _ in range(2))
    x = rng.normal(size=(n, C_in, H, W))
    K, b = rng.normal(size=(C_out, C_in, k, k)), rng.normal(size=C_out)
    return x, K, b, int(stride), int(padding)


@pytest.mark.parametrize("seed", range(40))
def test_conv2d_equals_loop_convolution(seed):
    x, K, b, s, p = random_case(np.random.default_rng(seed))
    a, cols = conv2d(x, K, b, s, p)
    np.testing.assert_allclose(a, direct_conv2d(x, K, b, s, p), rtol=1e-12, atol=1e-12)
    n, _, H, W = x.shape
    k = K.shape[2]
    Ho, Wo = conv_output_size(H, k, s, p), conv_output_size(W, k, s, p)
    assert a.shape == (n, K.shape[0], Ho, Wo) and cols.shape == (n * Ho * Wo, K[0].size)


def test_im2col_row_and_column_order(rng):
    """Row (i, ho, wo) row-major; columns (C, kh, kw), the order of K.reshape(C_out, -1)."""
    x = rng.normal(size=(2, 3, 5, 6))
    cols = im2col(x, 2, stride=2, padding=1)                # Ho = 3, Wo = 4
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    i, ho, wo = 1, 2, 3
    np.testing.assert_array_equal(cols[(i * 3 + ho) * 4 + wo],
                                  xp[i, :, 2 * ho:2 * ho + 2, 2 * wo:2 * wo + 2].ravel())


@pytest.mark.parametrize("seed", range(20))
def test_col2im_is_the_adjoint_of_im2col(seed):
    """<im2col(x), c> == <x, col2im(c)> for every x and c."""
    rng = np.random.default_rng(seed)
    x, K, _, s, p = random_case(rng)
    k = K.shape[2]
    cols = im2col(x, k, s, p)
    c = rng.normal(size=cols.shape)
    back = col2im(c, x.shape, k, s, p)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(cols * c), np.sum(x * back), rtol=1e-12)


def test_col2im_inverts_im2col_when_patches_tile_the_image(rng):
    x = rng.normal(size=(2, 3, 6, 9))
    np.testing.assert_array_equal(col2im(im2col(x, 3, 3), x.shape, 3, 3), x)


def test_maxpool_forward_and_backward(rng):
    x = rng.normal(size=(2, 3, 7, 5))                       # 7x5 -> 3x2, the remainder dropped
    out, idx = maxpool2d(x, 2)
    assert out.shape == idx.shape == (2, 3, 3, 2)
    for i, c, r, q in np.ndindex(out.shape):
        window = x[i, c, 2 * r:2 * r + 2, 2 * q:2 * q + 2]
        assert out[i, c, r, q] == window.max()
        h, w = divmod(int(idx[i, c, r, q]), 5)
        assert x[i, c, h, w] == window.max()
    dout = rng.normal(size=out.shape)
    dx = maxpool2d_backward(dout, idx, x.shape)
    assert dx.shape == x.shape and np.count_nonzero(dx) == dout.size
    np.testing.assert_allclose(dx.sum(axis=(2, 3)), dout.sum(axis=(2, 3)))
    assert np.all(dx[:, :, 6, :] == 0) and np.all(dx[:, :, :, 4] == 0)   # dropped rows, columns
    one, _ = maxpool2d(x, 1)
    np.testing.assert_array_equal(one, x)


@pytest.mark.parametrize("seed", range(6))
def test_conv2d_gradients_match_central_differences(seed):
    """J = sum(R * conv2d(x, K, b)): conv2d_grads gives dJ/dK, dJ/db (sums over examples
    and pixels); conv2d_backward_input(R) gives dJ/dx."""
    rng = np.random.default_rng(seed)
    x, K, b, s, p = random_case(rng)
    a, cols = conv2d(x, K, b, s, p)
    R = rng.normal(size=a.shape)                            # plays delta = dJ_i/da_i
    g_K, g_b = conv2d_grads(R, cols, K.shape)
    num = central_differences(lambda: np.sum(R * conv2d(x, K, b, s, p)[0]), {"K": K, "b": b})
    np.testing.assert_allclose(g_K, num["K"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(g_b, num["b"], rtol=1e-6, atol=1e-8)
    dx = conv2d_backward_input(R, K, x.shape, s, p)
    num = central_differences(lambda: np.sum(R * conv2d(x, K, b, s, p)[0]), {"x": x})
    np.testing.assert_allclose(dx, num["x"], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("size", [2, 3])
def test_maxpool_gradient_matches_central_differences(size, rng):
    x = rng.normal(size=(2, 2, 7, 6))
    out, idx = maxpool2d(x, size)
    R = rng.normal(size=out.shape)
    num = central_differences(lambda: np.sum(R * maxpool2d(x, size)[0]), {"x": x})
    np.testing.assert_allclose(maxpool2d_backward(R, idx, x.shape), num["x"], atol=1e-8)


def test_float32_stays_float32(rng):
    x = rng.normal(size=(2, 3, 6, 6)).astype(np.float32)
    K = rng.normal(size=(4, 3, 3, 3)).astype(np.float32)
    b = np.zeros(4, np.float32)
    a, cols = conv2d(x, K, b, 1, 1)
    assert a.dtype == cols.dtype == np.float32
    assert conv2d_backward_input(a, K, x.shape, 1, 1).dtype == np.float32
    assert all(g.dtype == np.float32 for g in conv2d_grads(a, cols, K.shape))
    assert col2im(cols, x.shape, 3, 1, 1).dtype == np.float32
    out, idx = maxpool2d(a, 2)
    assert out.dtype == np.float32
    assert maxpool2d_backward(out, idx, a.shape).dtype == np.float32


# ------------------------------------------- Numba kernels against their NumPy twins
# Exact equality (stronger than rtol 1e-10): the kernels add in the twins' order, no fastmath.
def _layouts(x):
    """x in three memory orders: C-contiguous NCHW, channels-last (NHWC) and Fortran."""
    return {"nchw": np.ascontiguousarray(x),
            "nhwc": np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2),
            "fortran": np.asfortranarray(x)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(40))
def test_im2col_col2im_kernels_equal_their_twins(seed, dtype):
    x, K, _, s, p = random_case(np.random.default_rng(seed))
    k = K.shape[2]
    for name, xl in _layouts(x.astype(dtype)).items():
        cols = im2col(xl, k, s, p, backend="numba")
        np.testing.assert_array_equal(cols, im2col(xl, k, s, p, backend="numpy"), err_msg=name)
        assert cols.dtype == dtype
    c = np.random.default_rng(seed + 100).normal(size=cols.shape).astype(dtype)
    for c_in in (c, np.asfortranarray(c)):                  # row-major and column-major cols
        back = col2im(c_in, x.shape, k, s, p, backend="numba")
        np.testing.assert_array_equal(back, col2im(c_in, x.shape, k, s, p, backend="numpy"))
        assert back.flags.c_contiguous and back.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(40))
def test_pooling_kernels_equal_their_twins(seed, dtype):
    rng = np.random.default_rng(seed)
    n, C, H, W = rng.integers(1, 4), rng.integers(1, 20), rng.integers(1, 12), rng.integers(1, 12)
    x = rng.normal(size=(n, C, H, W)).astype(dtype)
    if seed % 3 == 0:
        x = (x > 0.5).astype(dtype)                         # spikes: ties, the first max wins
    if seed % 5 == 0:
        x.flat[rng.integers(0, x.size, 3)] = np.nan         # np.argmax: the first NaN wins
    size = int(rng.integers(1, min(H, W) + 1))
    for name, xl in _layouts(x).items():
        out, idx = maxpool2d(xl, size, backend="numba")
        ref, ref_idx = maxpool2d(xl, size, backend="numpy")
        np.testing.assert_array_equal(out, ref, err_msg=name)
        np.testing.assert_array_equal(idx, ref_idx, err_msg=name)
    d = rng.normal(size=out.shape).astype(dtype)
    for name, out_l in _layouts(np.full(x.shape, 7, dtype)).items():   # stale values get zeroed
        got = maxpool2d_backward(d, idx, x.shape, out=out_l, backend="numba")
        assert got is out_l
        np.testing.assert_array_equal(got, maxpool2d_backward(d, idx, x.shape, backend="numpy"),
                                      err_msg=name)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(12))
def test_2x2_pooling_kernel_of_channels_last_maps_equals_its_twin(seed, dtype):
    # the default pool on channels-last maps (conv2d's layout) has its own kernel: odd sizes,
    # spikes (ties: the first max wins), NaN (the first NaN wins), -inf
    rng = np.random.default_rng(seed)
    n, C, H, W = rng.integers(1, 4), rng.integers(1, 40), rng.integers(2, 12), rng.integers(2, 12)
    x = rng.normal(size=(n, C, H, W)).astype(dtype)
    if seed % 3 == 0:
        x = (x > 0.5).astype(dtype)
    x.flat[rng.integers(0, x.size, 3)] = np.nan
    x.flat[rng.integers(0, x.size, 2)] = -np.inf
    xl = _layouts(x)["nhwc"]
    out, idx = maxpool2d(xl, 2, backend="numba")
    ref, ref_idx = maxpool2d(xl, 2, backend="numpy")
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(idx, ref_idx)
    assert idx.dtype == np.int64 and out.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(12))
def test_bias_sums_kernel_equals_its_twin(seed, dtype):
    # g_b of a channels-last delta (row-major rows: the kernel) and of a C-contiguous one
    # (column-major rows: NumPy's pairwise sums), bit for bit, with one or more maps
    rng = np.random.default_rng(seed)
    x, K, b, s, p = random_case(rng)
    K = K[:1] if seed % 4 == 0 else K                       # one output map: rows are 1 column
    a, cols = conv2d(x.astype(dtype), K.astype(dtype), b[:K.shape[0]].astype(dtype), s, p)
    d = (rng.normal(size=a.shape) * 10.0 ** rng.integers(-3, 4, a.shape)).astype(dtype)
    for name, dl in _layouts(d).items():
        got = conv2d_grads(dl, cols, K.shape, backend="numba")
        ref = conv2d_grads(dl, cols, K.shape, backend="numpy")
        np.testing.assert_array_equal(got[1], ref[1], err_msg=name)
        np.testing.assert_array_equal(got[0], ref[0], err_msg=name)
        np.testing.assert_allclose(got[1], d.astype(np.float64).sum(axis=(0, 2, 3)),
                                   rtol=1e-4 if dtype == np.float32 else 1e-10,
                                   atol=1e-4 * np.abs(d).sum())
        assert got[1].dtype == dtype


@pytest.mark.parametrize("seed", range(10))
def test_conv2d_backward_is_the_two_functions_in_one(seed):
    rng = np.random.default_rng(seed)
    x, K, b, s, p = random_case(rng)
    a, cols = conv2d(x, K, b, s, p)
    delta = rng.normal(size=a.shape)
    dx, g_K, g_b = conv2d_backward(delta, K, cols, x.shape, s, p)
    np.testing.assert_array_equal(dx, conv2d_backward_input(delta, K, x.shape, s, p))
    for got, ref in zip((g_K, g_b), conv2d_grads(delta, cols, K.shape)):
        np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("stride, padding", [(1, 1), (2, 0), (1, 2)])
def test_blocked_backward_input_equals_one_product(stride, padding, dtype):
    # big enough that dJ/dx is built a few images at a time: the same sums as one product
    # up to BLAS's own blocking (last-bit differences in a few entries), in both backends
    rng = np.random.default_rng(stride + padding)
    x = rng.normal(size=(397, 8, 12, 12)).astype(dtype)
    K = rng.normal(size=(16, 8, 3, 3)).astype(dtype)
    a, _ = conv2d(x, K, np.zeros(16, dtype), stride, padding)
    assert a[0, 0].size * K.size * x.shape[0] > 2 * (1 << 22)             # several blocks
    delta = rng.normal(size=a.shape).astype(dtype)
    got = {be: conv2d_backward_input(delta, K, x.shape, stride, padding, backend=be)
           for be in BACKENDS}
    np.testing.assert_array_equal(got["numba"], got["numpy"])
    rows = delta.transpose(1, 0, 2, 3).reshape(16, -1).T
    one = col2im(rows @ K.reshape(16, -1), x.shape, 3, stride, padding)
    np.testing.assert_allclose(got["numba"], one, rtol=1e-12 if dtype == np.float64 else 1e-5,
                               atol=1e-12 if dtype == np.float64 else 1e-4)


def test_conv_functions_take_a_backend_and_check_it(rng):
    x = rng.normal(size=(2, 3, 6, 6))
    K, b = rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    a = {be: conv2d(x, K, b, 1, 1, backend=be)[0] for be in BACKENDS}
    np.testing.assert_array_equal(a["numba"], a["numpy"])
    dx = {be: conv2d_backward_input(a["numpy"], K, x.shape, 1, 1, backend=be) for be in BACKENDS}
    np.testing.assert_array_equal(dx["numba"], dx["numpy"])
    with pytest.raises(ValueError, match="unknown backend 'cuda'; choose one of"):
        im2col(x, 3, backend="cuda")


X = np.zeros((2, 3, 6, 6))
K = np.zeros((4, 3, 3, 3))
B = np.zeros(4)


@pytest.mark.parametrize("call, match", [
    (lambda: conv2d(X[0], K, B), "4-D"),
    (lambda: conv2d(X, K[0], B), "4-D"),
    (lambda: conv2d(X, np.zeros((4, 3, 3, 2)), B), "square"),
    (lambda: conv2d(X, np.zeros((4, 2, 3, 3)), B), "channel mismatch"),
    (lambda: conv2d(X, K, np.zeros(3)), "one bias per output map"),
    (lambda: conv2d(X, np.zeros((4, 3, 9, 9)), B), "larger than the padded input"),
    (lambda: conv2d(X, K, B, stride=0), "stride"),
    (lambda: conv2d(X, K, B, padding=-1), "padding"),
    (lambda: im2col(X, 2, stride=1.5), "stride"),
    (lambda: col2im(np.zeros((5, 27)), X.shape, 3), "cols must have shape"),
    (lambda: conv2d_grads(np.zeros((2, 3, 4, 4)), np.zeros((32, 27)), K.shape), "delta"),
    (lambda: conv2d_grads(np.zeros((2, 4, 4, 4)), np.zeros((32, 12)), K.shape), "do not match"),
    (lambda: maxpool2d(X, 0), "pool size"),
    (lambda: maxpool2d(X, 7), "larger than"),
    (lambda: maxpool2d(X[0], 2), "4-D"),
    (lambda: maxpool2d_backward(np.zeros((2, 3, 3, 3)), np.zeros((2, 3, 2, 2), int), X.shape),
     "one pooling"),
])
def test_bad_inputs_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
