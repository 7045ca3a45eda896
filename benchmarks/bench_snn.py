"""Training throughput of the spiking conv net (SP Sec. VI) against the GEMM-only time of its products.

The ``snn_*`` default network (``DIGITS_CONV``: conv 16 3x3 pad 1 -> IF -> 2x2 pool, conv 32
3x3 pad 1 -> IF -> 2x2 pool, dense 100 IF, classifier 10) on 1x28x28 images, ``T = 4`` steps,
batch 128, one training step = ``nplearn.train.train_step(model, rule, Adam, x, Y)``: the
rule's ``updates`` plus the optimiser step, for each of the four Table V models:

``snn_bp``          BPTT through the surrogate spike: 3 conv products, 3 dense
``snn_shallow``     the forward pass and the classifier's update only
``snn_sigprop``     surrogate / voltage: each layer's local loss, the m = 10 class targets
                    as extra rows from layer 2 on, no product back across a layer

Cases, per model:

``step``            the library as it is (Numba kernels)
``step, twins``     the same network with ``backend="numpy"``: every kernel replaced by its
                    readable NumPy twin (the same numbers), about the code before the kernels
``gemm``            the step's matrix products alone, with the library's shapes and memory
                    layouts (channels-last maps, column-major ``cols``), into arrays allocated
                    before timing (``np.matmul(out=)``)

``roofline = t_gemm / t_step``: 1.0 would be a step at pure GEMM speed. Cases run in
interleaved blocks (round 0 is warm-up); best call and median are reported. A benchmark,
not a test: it asserts nothing.

Usage: ``python benchmarks/bench_snn.py [--quick] [--threads N] [--dtype float64] [--clock cpu]
[--load] [--json f]`` (default 2 threads, float32, wall clock). The threads are set as
:func:`nplearn.train.train` sets them for these rules (:func:`nplearn.train.threads.limited`
with ``halves``): ``N >= 2`` runs the batch's two halves side by side
(:mod:`nplearn.rules.halves`), BLAS at one thread; ``N = 1`` runs them one after the other.
The ``gemm`` case is the whole batch's products at one BLAS thread.

``--load``: instead, a part of an epoch (``--n-train`` samples) of each model through
:func:`nplearn.train.train`, with the BLAS threads nplearn chooses and with one forced,
in alternating rounds alone and beside one other CPU-bound process (the [B/5] target:
slowdown <= 2.5x).
``--clock cpu`` times each call by the process's CPU time (all threads summed): with one
thread on a shared machine it is much less disturbed by other processes than the wall clock.
"""
import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a checkout

import numba                                                    # noqa: E402

from _common import alone_and_loaded, cpu_timed, finish, meta, time_interleaved   # noqa: E402

from nplearn.nn.conv import im2col                              # noqa: E402
from nplearn.optim import get_optimizer                         # noqa: E402
from nplearn.train import blas_threads, build, train, train_step   # noqa: E402
from nplearn.train.threads import limited                       # noqa: E402

MODELS = {"snn_bp": ("snn_bp", None), "snn_shallow": ("snn_shallow", None),
          "snn_sigprop surrogate": ("snn_sigprop", {"mode": "surrogate"}),
          "snn_sigprop voltage": ("snn_sigprop", {"mode": "voltage"})}


def step_products(model, kind, n, rng):
    """``[(A, B, out), ...]``: the matrix products of one training step, library layouts.

    ``kind``: "bp", "shallow" or "sigprop". Conv layers: ``cols`` column-major (as im2col
    builds it), ``delta`` rows row-major (channels-last maps); dense layers batched over the
    steps as ``(T, rows, n_l)`` arrays."""
    T, dt, L = model.time_steps, model.dtype, model.n_layers
    m = model.sizes[-1]
    P = []

    def add(A, B):
        P.append((A, B, np.empty(np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
                                 + (A.shape[-2], B.shape[-1]), dt)))

    def rand(*shape):
        return rng.random(shape, dtype=np.float32).astype(dt)

    for l in range(1, L):
        rows = n if (kind != "sigprop" or l == 1) else n + m     # sigprop: + m targets
        Tx = 1 if l == 1 else T                                   # the image: one step
        if model.is_conv(l):
            C_out, k, s, p = model.conv[l - 1]
            cols = im2col(rand(Tx * rows, *model.image_shapes[l - 1]), k, s, p)
            K2 = model.params[f"W{l}"].reshape(C_out, -1)
            add(cols, K2.T)                                       # forward: cols @ K2.T
            if kind != "shallow":
                d_rows = rand(cols.shape[0], C_out)               # channels-last: row-major
                add(cols.T, d_rows)                               # g_K = (cols.T @ rows).T
                if kind == "bp" and l > 1:
                    add(K2.T, d_rows.T)                           # dJ/dcols = (K2.T @ rows.T).T
        else:
            W = model.params[f"W{l}"]
            x = rand(Tx, rows, W.shape[1])
            add(x, W.T)                                           # a = h @ W.T
            if kind != "shallow":
                add(rand(Tx * rows, W.shape[0]).T, x.reshape(-1, W.shape[1]))  # g_W = d.T @ h
                if kind == "bp":
                    add(rand(T, rows, W.shape[0]), W)             # dJ/dh = da @ W
        if kind == "sigprop":
            H, Tg = rand(n, model.sizes[l]), rand(m, model.sizes[l])
            add(H, Tg.T)                                          # L_pred logits, Eq. (9)
            add(rand(n, m), Tg), add(rand(n, m).T, H)             # its two gradients
    W = model.params[f"W{L}"]
    add(rand(T, n, W.shape[1]), W.T)                              # classifier o^t
    add(rand(n, m).T, rand(n, W.shape[1]))                        # g_W_L = e.T @ mean_t h
    if kind == "bp":
        add(rand(n, m), W)                                        # dJ/dh_{L-1} = e_t @ W_L
    flop = sum(2 * A.shape[-2] * A.shape[-1] * B.shape[-1] * int(np.prod(out.shape[:-2]))
               for A, B, out in P)
    return P, flop


def model_cases(name, dtype, n, side=28):
    """Timed callables of one model: the step, the step with NumPy twins, its GEMMs."""
    rule_name, params = MODELS[name]
    kind = rule_name.split("_")[1]
    rng = np.random.default_rng(0)
    n0 = side * side                                              # a square 1 x side x side image
    x = rng.random((n, n0), dtype=np.float32).astype(dtype)
    Y = np.eye(10, dtype=dtype)[rng.integers(0, 10, n)]
    runs = {}
    for backend in ("numba", "numpy"):
        model, rule = build(rule_name, n0, 10, (100,), dtype=dtype, rng=0, rule_params=params)
        model.backend = backend
        opt = get_optimizer("adam", 5e-4)
        runs[backend] = (model, rule, opt)
    products, flop = step_products(runs["numba"][0], kind, n, rng)

    def step(backend):
        model, rule, opt = runs[backend]
        return lambda: train_step(model, rule, opt, x, Y)

    def gemm():
        for A, B, out in products:
            np.matmul(A, B, out=out)

    return {"gemm": gemm, "step": step("numba"), "step, twins": step("numpy")}, flop


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="few repetitions (smoke run)")
    ap.add_argument("--threads", type=int, default=2,
                    help="threads (default 2): the two batch halves side by side, BLAS at 1, as in train()")
    ap.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--clock", default="wall", choices=("wall", "cpu"),
                    help="time calls by the wall clock (default) or by the process's CPU time")
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    ap.add_argument("--no-twins", action="store_true", help="skip the slow NumPy-twin case")
    ap.add_argument("--load", action="store_true",
                    help="time part of an epoch alone and beside one busy process instead")
    ap.add_argument("--n-train", type=int, default=2560, help="samples per --load call")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds of --load")
    ap.add_argument("--json", help="write all results to this file")
    args = ap.parse_args(argv)
    if args.load:
        return run_load(args)
    rounds, per_round = (1, 2) if args.quick else (4, 3)
    dtype = np.dtype(args.dtype)
    out = {"meta": None, "models": {}}
    t_start = time.perf_counter()
    with limited(args.threads, halves=True):           # the four are row_halves rules
        out["meta"] = meta(args.threads, dtype=dtype.name, batch=args.batch, rounds=rounds,
                           per_round=per_round, numba_threads=numba.get_num_threads(),
                           clock=args.clock)
        print(f"{out['meta']['date']}  numpy {np.__version__}  numba {numba.__version__}  "
              f"{dtype.name}  batch {args.batch}  BLAS threads {args.threads}  Numba threads "
              f"{numba.get_num_threads()}  "
              f"clock {args.clock}  load avg {out['meta']['loadavg_start'][0]:.2f}")
        rows = []
        for name in args.models:
            cases, flop = model_cases(name, dtype, args.batch)
            if args.no_twins:
                del cases["step, twins"]
            if args.clock == "cpu":
                cases = cpu_timed(cases)
            res = time_interleaved(cases, rounds, per_round)
            g = res["gemm"]
            print(f"\n{name}: {flop / 1e9:.2f} GFLOP of matrix products per step")
            print(f"  {'case':12s} {'best ms':>9s} {'samples/s':>10s} {'roofline':>8s} | "
                  f"{'med. ms':>9s} {'roofline':>8s} {'spread':>6s}")
            rec = {"flop": flop, "cases": {}}
            for case, (best, med, spread) in res.items():
                print(f"  {case:12s} {best * 1e3:9.1f} {args.batch / best:10,.0f} "
                      f"{g[0] / best:8.2f} | {med * 1e3:9.1f} {g[1] / med:8.2f} {spread:6.2f}")
                rec["cases"][case] = {"min_s": best, "median_s": med, "spread": spread,
                                      "samples_per_s": args.batch / best,
                                      "roofline": g[0] / best, "roofline_median": g[1] / med}
            out["models"][name] = rec
            rows.append((name, rec))
    out["meta"]["loadavg_end"] = os.getloadavg()
    out["meta"]["wall_s"] = time.perf_counter() - t_start
    print(f"\nsummary (best calls; {args.threads} threads, {dtype.name}, batch {args.batch}):")
    for name, rec in rows:
        c = rec["cases"]
        twins = (f"  twins {c['step, twins']['samples_per_s']:7,.0f}/s"
                 if "step, twins" in c else "")
        print(f"  {name:22s} step {c['step']['samples_per_s']:7,.0f} samples/s  roofline "
              f"{c['step']['roofline']:.2f} ({c['step']['roofline_median']:.2f})  GEMM-only "
              f"{c['gemm']['samples_per_s']:7,.0f}/s{twins}")
    print(f"wall {out['meta']['wall_s']:.0f} s, load avg {out['meta']['loadavg_end'][0]:.2f}")
    spread = max(c["spread"] for rec in out["models"].values() for c in rec["cases"].values())
    return finish(out, spread, args.json)


def run_load(args):
    """Part of an epoch of each model through ``train``, alone and beside a busy process."""
    dtype = np.dtype(args.dtype)
    rng = np.random.default_rng(0)
    X = rng.random((args.n_train, 28 * 28), dtype=np.float32).astype(dtype)
    y = rng.integers(0, 10, args.n_train)
    variants, chosen = {}, {}
    for name in args.models:
        rule_name, params = MODELS[name]
        model, rule = build(rule_name, 28 * 28, 10, (100,), dtype=dtype, rng=0, rule_params=params)
        for forced in (None, 1):
            n = blas_threads(model, args.batch) if forced is None else forced
            label = f"{name}, " + (f"{n} thread(s), nplearn's choice" if forced is None
                                   else "1 thread forced")
            opt = get_optimizer("adam", 5e-4)
            chosen[label] = n
            variants[label] = (lambda m=model, r=rule, o=opt, t=forced:
                               train(m, r, o, X, y, epochs=1, batch_size=args.batch,
                                     rng=np.random.default_rng(0), progress=False,
                                     blas_threads=t))
    rounds = 1 if args.quick else args.rounds
    info = meta(None, dtype=dtype.name, batch=args.batch, n_train=args.n_train, rounds=rounds)
    print(f"{info['date']}  {dtype.name}  batch {args.batch}  {args.n_train} samples per call  "
          f"load avg {info['loadavg_start'][0]:.2f}")
    times = alone_and_loaded(variants, rounds)
    print(f"\nLOAD: {rounds} alternating rounds alone / with one busy process "
          f"('while True: pass'), wall clock, medians")
    print(f"  {'variant':44s} {'threads':>7s} {'alone s':>8s} {'loaded s':>9s} "
          f"{'samples/s alone':>15s} {'slowdown':>8s}")
    rows = []
    for k, t in times.items():
        a, b = float(np.median(t["alone"])), float(np.median(t["loaded"]))
        rows.append({"variant": k, "threads": chosen[k], "alone_median_s": a,
                     "loaded_median_s": b, "slowdown": b / a, "times": t})
        print(f"  {k:44s} {chosen[k]:7d} {a:8.3f} {b:9.3f} {args.n_train / a:15,.0f} {b / a:8.2f}")
    print("  slowdown = median loaded / median alone (target <= 2.5); load avg at the end "
          f"{os.getloadavg()[0]:.2f}")
    out = {"meta": info, "load": rows}
    return finish(out, 1.0, args.json)


if __name__ == "__main__":
    main()
