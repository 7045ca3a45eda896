"""Throughput of a conv layer's forward + backward pass against the GEMM-only time of its products.

One convolution layer, float32, in the im2col form of ``nplearn.nn.conv``:

``forward``   ``conv2d(x, K, b)``: ``im2col`` + ``cols @ K2.T + b``
``backward``  ``conv2d_backward(delta, K, cols, x.shape)``: ``col2im(delta_rows @ K2)``,
              ``delta_rows.T @ cols`` and the bias sums, ``delta`` turned into rows once
``backward, two calls``  the same numbers from ``conv2d_backward_input`` + ``conv2d_grads``
              (as ``ConvNet`` calls them today: ``delta`` turned into rows twice)
``fwd+bwd``   ``conv2d`` then ``conv2d_backward``
``gemm``      the matrix products alone, with the library's shapes and memory layouts, into
              preallocated arrays: ``cols @ K2.T`` (forward), ``delta_rows @ K2`` and
              ``delta_rows.T @ cols`` (backward; the library forms both backward products
              as their transposes, and so does this case)
``row-major`` the same layer with the readable row-major ``im2col``/``col2im`` (the
              library builds the same matrices column-major: the layout decision)
``NumPy twins``  ``fwd+bwd`` with ``backend="numpy"``: the kernels' readable twins

``ratio = t_gemm / t_case``, each case against its own GEMMs: 1.0 would be pure GEMM speed.
``delta`` is an ``(n, C_out, Ho, Wo)`` array stored channels last, as ``ConvNet.through_f``
(and the spiking net) produce it: the layout of ``conv2d``'s maps, whose row matrix is a
view. ``fwd+bwd, delta NCHW`` is the same layer given a C-contiguous ``delta`` (what
``ConvNet`` passed before), which ``conv2d_backward`` transposes first. The parts of the non-GEMM time (``im2col``, ``col2im``,
the transpose of ``delta``) are timed alone too.
Cases run in interleaved blocks (round 0 is warm-up); the best call of each is reported, with
the median. A benchmark, not a test: it asserts nothing.

Usage: ``python benchmarks/bench_conv.py [--quick] [--threads N] [--dtype float64] [--clock cpu]
[--json f]`` (default: 1 BLAS thread and 1 Numba thread, wall-clock time). ``--clock cpu``
times each call by the process's CPU time: on a shared machine, with one thread, it is much
less disturbed by the other processes than the wall clock (all threads' CPU time is summed).
"""
import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a checkout

import numba                                                    # noqa: E402
from threadpoolctl import threadpool_limits                     # noqa: E402

from _common import cpu_timed, finish, meta, time_interleaved             # noqa: E402

from nplearn.nn.conv import (col2im, conv2d, conv2d_backward, conv2d_backward_input,  # noqa: E402
                             conv2d_grads, conv_output_size, empty_channels_last, im2col)

# name -> (batch, (C_in, H, W), C_out, k, stride, padding)
CASES = {
    "MNIST conv1 (PEPITA Table 2: 32,5,1)": (100, (1, 28, 28), 32, 5, 1, 0),
    "CIFAR conv1 (3x32x32, 32 maps 5x5, pad 2)": (100, (3, 32, 32), 32, 5, 1, 2),
    "CIFAR conv2 (32x16x16, 64 maps 3x3, pad 1)": (100, (32, 16, 16), 64, 3, 1, 1),
}


def im2col_row_major(x, k, s, p):
    """The readable row-major im2col (``nplearn.nn.conv`` builds the same matrix column-major)."""
    n, C, H, W = x.shape
    Ho, Wo = conv_output_size(H, k, s, p), conv_output_size(W, k, s, p)
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))) if p else x
    win = sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::s, ::s]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * Ho * Wo, C * k * k)


def col2im_row_major(cols, x_shape, k, s, p):
    """The adjoint of :func:`im2col_row_major`, adding from a row-major ``cols``."""
    n, C, H, W = x_shape
    Ho, Wo = conv_output_size(H, k, s, p), conv_output_size(W, k, s, p)
    c = cols.reshape(n, Ho, Wo, C, k, k).transpose(0, 3, 4, 5, 1, 2)
    xp = np.zeros((n, C, H + 2 * p, W + 2 * p), cols.dtype)
    for i in range(k):
        for j in range(k):
            xp[:, :, i:i + s * Ho:s, j:j + s * Wo:s] += c[:, :, i, j]
    return xp[:, :, p:p + H, p:p + W]


def layer_cases(spec, dtype):
    """Timed callables for one layer: GEMM sets, library cases, the row-major variant, parts."""
    n, (C, H, W), C_out, k, s, p = spec
    rng = np.random.default_rng(0)
    Ho, Wo = conv_output_size(H, k, s, p), conv_output_size(W, k, s, p)
    x = rng.random((n, C, H, W), dtype=np.float32).astype(dtype)
    K = (rng.standard_normal((C_out, C, k, k)) / np.sqrt(C * k * k)).astype(dtype)
    b = np.zeros(C_out, dtype)
    delta_nchw = rng.standard_normal((n, C_out, Ho, Wo)).astype(dtype)  # C-contiguous
    delta = empty_channels_last(delta_nchw.shape, dtype)               # as ConvNet un-pools it
    delta[...] = delta_nchw
    _, cols = conv2d(x, K, b, s, p)                                    # the library's layout
    K2 = K.reshape(C_out, -1)
    rows = delta.transpose(0, 2, 3, 1).reshape(-1, C_out)              # as conv._rows: a view
    # the library's three products, same shapes and layouts, into preallocated arrays
    fwd_gemm = [(cols, K2.T, np.empty((n * Ho * Wo, C_out), dtype))]           # cols @ K2.T
    bwd_gemm = [(K2.T, rows.T, np.empty((C * k * k, n * Ho * Wo), dtype)),     # (rows @ K2).T
                (cols.T, rows, np.empty((C * k * k, C_out), dtype))]           # (rows.T @ cols).T

    def gemm(products):
        def run():
            for A, B, out in products:
                np.matmul(A, B, out=out)
        return run

    def forward():
        conv2d(x, K, b, s, p)

    def backward():
        conv2d_backward(delta, K, cols, x.shape, s, p)

    def backward_two_calls():
        conv2d_backward_input(delta, K, x.shape, s, p)
        conv2d_grads(delta, cols, K.shape)

    def both(backend="numba", d=delta):
        _, c = conv2d(x, K, b, s, p, backend)
        conv2d_backward(d, K, c, x.shape, s, p, backend)

    def both_row_major():                     # the same layer with row-major cols and rows
        c = im2col_row_major(x, k, s, p)
        (c @ K2.T + b).reshape(n, Ho, Wo, C_out).transpose(0, 3, 1, 2)
        r = delta.transpose(0, 2, 3, 1).reshape(-1, C_out)
        col2im_row_major(r @ K2, x.shape, k, s, p)
        (r.T @ c).reshape(K.shape), r.sum(axis=0)

    cases = {"gemm fwd": gemm(fwd_gemm), "forward": forward,
             "gemm bwd": gemm(bwd_gemm), "backward": backward,
             "backward, two calls": backward_two_calls,
             "gemm all": gemm(fwd_gemm + bwd_gemm), "fwd+bwd": both,
             "fwd+bwd, NumPy twins": lambda: both("numpy"),
             "fwd+bwd, delta NCHW": lambda: both(d=delta_nchw),
             "fwd+bwd, row-major": both_row_major}
    d_cols = bwd_gemm[0][2].T
    parts = {"im2col": lambda: im2col(x, k, s, p),
             "im2col twin": lambda: im2col(x, k, s, p, backend="numpy"),
             "im2col row-major": lambda: im2col_row_major(x, k, s, p),
             "col2im": lambda: col2im(d_cols, x.shape, k, s, p),
             "col2im twin": lambda: col2im(d_cols, x.shape, k, s, p, backend="numpy"),
             "col2im row-major": lambda: col2im_row_major(np.ascontiguousarray(d_cols),
                                                          x.shape, k, s, p),
             "NCHW delta -> rows": lambda: delta_nchw.transpose(1, 0, 2, 3).reshape(C_out, -1)}
    flop = sum(2 * A.shape[0] * A.shape[1] * B.shape[1] for A, B, _ in fwd_gemm + bwd_gemm)
    shapes = {"cols": cols.shape, "K2": K2.shape, "rows": rows.shape, "Ho": Ho, "Wo": Wo}
    return cases, parts, flop, shapes


# each case against the GEMMs it contains
GEMM_OF = {"forward": "gemm fwd", "backward": "gemm bwd", "backward, two calls": "gemm bwd",
           "fwd+bwd": "gemm all", "fwd+bwd, NumPy twins": "gemm all",
           "fwd+bwd, row-major": "gemm all", "fwd+bwd, delta NCHW": "gemm all"}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="few repetitions (smoke run)")
    ap.add_argument("--threads", type=int, default=1, help="BLAS and Numba threads (default 1)")
    ap.add_argument("--clock", default="wall", choices=("wall", "cpu"),
                    help="time calls by the wall clock (default) or by the process's CPU time")
    ap.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    ap.add_argument("--json", help="write all results to this file")
    args = ap.parse_args(argv)
    rounds, per_round = (2, 3) if args.quick else (5, 10)
    dtype = np.dtype(args.dtype)
    out = {"meta": None, "layers": {}}
    t_start = time.perf_counter()
    numba.set_num_threads(args.threads)
    with threadpool_limits(limits=args.threads):
        out["meta"] = meta(args.threads, dtype=dtype.name, rounds=rounds, per_round=per_round,
                           clock=args.clock, numba_threads=numba.get_num_threads())
        print(f"{out['meta']['date']}  numpy {np.__version__}  {dtype.name}  BLAS and Numba "
              f"threads {args.threads}  clock {args.clock}  load avg "
              f"{out['meta']['loadavg_start'][0]:.2f}")
        rows = []
        for name, spec in CASES.items():
            cases, parts, flop, shapes = layer_cases(spec, dtype)
            if args.clock == "cpu":
                cases, parts = cpu_timed(cases), cpu_timed(parts)
            res = time_interleaved(cases, rounds, per_round)
            part_res = time_interleaved(parts, max(1, rounds // 2), per_round)
            n = spec[0]
            print(f"\n{name}: batch {n}, input {spec[1]}, {spec[2]} maps {spec[3]}x{spec[3]}, "
                  f"stride {spec[4]}, padding {spec[5]}; cols {shapes['cols']}, "
                  f"{flop / 1e9:.3f} GFLOP in 3 GEMMs")
            print(f"  {'case':22s} {'best ms':>8s} {'samples/s':>10s} {'ratio':>6s} | "
                  f"{'med. ms':>8s} {'ratio':>6s} {'spread':>6s}")
            layer = {"spec": spec, "flop": flop, "shapes": {k: list(v) if isinstance(v, tuple)
                                                            else v for k, v in shapes.items()},
                     "cases": {}, "parts": {}}
            for case, (best, med, spread) in res.items():
                g = res[GEMM_OF.get(case, case)]
                ratio, ratio_med = g[0] / best, g[1] / med
                print(f"  {case:22s} {best * 1e3:8.3f} {n / best:10,.0f} {ratio:6.2f} | "
                      f"{med * 1e3:8.3f} {ratio_med:6.2f} {spread:6.2f}")
                layer["cases"][case] = {"min_s": best, "median_s": med, "spread": spread,
                                        "ratio": ratio, "ratio_median": ratio_med}
            print("  parts, each alone (best ms): " + ", ".join(
                f"{k} {v[0] * 1e3:.3f}" for k, v in part_res.items()))
            layer["parts"] = {k: {"min_s": v[0], "median_s": v[1]} for k, v in part_res.items()}
            out["layers"][name] = layer
            c = layer["cases"]
            rows.append((name, res["gemm all"][0], c["fwd+bwd"]["min_s"], c["fwd+bwd"]["ratio"],
                         c["fwd+bwd"]["ratio_median"], c["fwd+bwd, NumPy twins"]["ratio"],
                         c["fwd+bwd, row-major"]["ratio"], c["fwd+bwd, delta NCHW"]["ratio"]))
    out["meta"]["loadavg_end"] = os.getloadavg()
    out["meta"]["wall_s"] = time.perf_counter() - t_start
    print("\nratio = GEMM-only time / layer forward+backward time (best calls; median):")
    for name, tg, tc, ratio, ratio_med, ratio_tw, ratio_rm, ratio_nchw in rows:
        print(f"  {name:44s} GEMM {tg * 1e3:7.3f} ms  layer {tc * 1e3:7.3f} ms  ratio "
              f"{ratio:.2f} ({ratio_med:.2f})  twins {ratio_tw:.2f}  row-major {ratio_rm:.2f}  "
              f"delta NCHW {ratio_nchw:.2f}")
    print(f"wall {out['meta']['wall_s']:.0f} s, load avg {out['meta']['loadavg_end'][0]:.2f}")
    spread = max(c["spread"] for layer in out["layers"].values() for c in layer["cases"].values())
    return finish(out, spread, args.json)


if __name__ == "__main__":
    main()
