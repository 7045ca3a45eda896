"""Throughput of one training step of BP and DFA against the GEMM-only time of its products.

Network 784-800-800-10, tanh hidden units, logistic-BCE output, batch 64,
float32 (the DFA paper's MNIST network). For each rule, interleaved in one process:

``gemm``     the step's matrix products alone, on preallocated arrays of the same
             shapes and layouts (forward ``h @ W.T``; BP ``delta @ W`` / DFA
             ``e @ B.T``; weight grads ``delta.T @ h``)
``updates``  ``rule.updates(model, x, Y)``: forward pass + update directions
``sgd``      ``nplearn.train.train_step`` with SGD (updates, loss check, ``p -= lr g``)
``rmsprop``  ``train_step`` with RMSprop, the DFA paper's optimiser

``ratio = t_gemm / t_case``: 1.0 means the step runs at pure GEMM speed (target >= 0.8).
The same cases are then run with each candidate of ``candidates.py`` monkeypatched in,
and a profile shows where the non-GEMM time goes (part ``step``).

Part ``loop``: one epoch of the same DFA network with plain SGD, as a user trains it,
against the bare step on the same batches, interleaved in one process: the bare
``train_step`` calls on pre-sliced batches; ``nplearn.train.train``;
``Classifier.partial_fit``; ``Classifier.fit`` (one epoch, building the network too);
``partial_fit`` with ``eval_train=True`` (the extra full forward pass the loop made before);
and, when torch is installed, the same DFA step in PyTorch (``peer_torch_step.py``).
``ratio = t_bare / t_case`` (throughput relative to the bare step; target >= 0.9).

Part ``load``: one epoch through ``nplearn.train.train`` alone and while one other CPU-bound
process runs (a ``while True`` loop this script starts and stops), in alternating blocks:
with the BLAS threads nplearn chooses, and with two threads forced, at batch 64 and at
batch 1024. ``slowdown = median loaded / median alone`` (target <= 2.5).

A benchmark, not a test.

Usage: ``python benchmarks/bench_step.py [--part step loop load] [--quick] [--json out.json]
[--threads N]``
"""
import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

# Numba's OpenMP threads otherwise spin after each parallel kernel and take the cores
# from OpenBLAS's threads (measured: 5 GEMMs + parallel SGD kernel, 6.3 ms instead of 2.6 ms).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a checkout

import numba                                                    # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits    # noqa: E402

import candidates as cand                                       # noqa: E402
import peer_torch_step as peer                                  # noqa: E402
from _common import (alone_and_loaded, as_dict, cpu_timed, finish, meta,    # noqa: E402
                     time_interleaved)
from nplearn import Classifier                                  # noqa: E402
from nplearn.optim import SGD, RMSprop                          # noqa: E402
from nplearn.train import blas_threads, build, one_hot, train, train_step   # noqa: E402

SIZES, HIDDEN, N_BATCH, DTYPE = (784, 10), (800, 800), 64, "float32"
FORWARD, DELTAS, GRADS = ("forward (Eq. 1-3)", "deltas (Eq. 6 BP / 8 DFA)",
                           "weight+bias grads (Eq. 10)")
LR = {"sgd": 0.01, "rmsprop": 1e-3}
# (label, updates, optimiser backend, optimisers): "library" = nplearn as is (its optimisers
# run the fused Numba kernels of nplearn.optim.kernels); "numpy" = the same optimisers with
# backend="numpy" (their readable NumPy twins); the rest are candidates.py variants.
VARIANTS = [("library", "library", "library", ("sgd", "rmsprop")),
            ("library, NumPy-twin optimiser", "library", "numpy", ("sgd", "rmsprop")),
            ("in-place updates", "inplace", "library", ("sgd", "rmsprop")),
            ("in-place + numba parallel opt", "inplace", "parallel", ("sgd", "rmsprop"))]


def make(rule_name, seed=0):
    return build(rule_name, SIZES[0], SIZES[1], HIDDEN, activation="tanh", loss="logistic_bce",
                 init="uniform_fan_in", dtype=DTYPE, rng=seed)


def gemm_products(model, rule):
    """``(part, label, A, B, out)`` for each matrix product of one step, same shapes and layouts."""
    rng = np.random.default_rng(1)
    n, s, L, W, dt = N_BATCH, model.sizes, model.n_layers, model.W, model.dtype
    h = [rng.uniform(-1, 1, (n, m)).astype(dt) for m in s]      # h[0] stands for x
    d = [rng.uniform(-1, 1, (n, m)).astype(dt) for m in s]      # d[L] stands for e
    hn = ["x"] + [f"h{l}" for l in range(1, L)]
    dn = [None] + [f"delta{l}" for l in range(1, L)] + ["e"]
    out = [(FORWARD, f"{hn[l - 1]} @ W{l}.T", h[l - 1], W[l].T, np.empty((n, s[l]), dt))
           for l in range(1, L + 1)]
    if rule.name == "bp":
        out += [(DELTAS, f"{dn[l + 1]} @ W{l + 1}", d[l + 1], W[l + 1], np.empty((n, s[l]), dt))
                for l in range(L - 1, 0, -1)]
    else:
        out += [(DELTAS, f"e @ B{l}.T", d[L], rule.B_[f"B{l}"].T, np.empty((n, s[l]), dt))
                for l in range(1, L)]
    out += [(GRADS, f"{dn[l]}.T @ {hn[l - 1]}", d[l].T, h[l - 1], np.empty((s[l], s[l - 1]), dt))
            for l in range(1, L + 1)]
    return out


def all_products(products):
    def run():
        for *_, A, B, C in products:
            np.matmul(A, B, out=C)
    return run


def flops(products):
    return sum(2 * A.shape[0] * A.shape[1] * B.shape[1] for *_, A, B, _ in products)


def step_cases(rule_name, x, Y):
    """``{(variant, case): fn}`` and a reset that restores each variant's initial parameters."""
    cases, objects = {}, {}
    for label, upd, backend, opt_names in VARIANTS:
        model, rule = make(rule_name)
        if upd == "inplace":
            cand.use_inplace_updates(rule)
        opts = {}
        for name in opt_names:
            cls = {"sgd": SGD, "rmsprop": RMSprop}[name]
            opts[name] = cls(LR[name], backend="numpy" if backend == "numpy" else "numba")
            if backend not in ("library", "numpy"):
                cand.fuse_optimizer(opts[name], backend)
        p0 = {k: v.copy() for k, v in model.params.items()}
        if backend == "library":                              # updates alone: once per kind
            cases[(label, "updates")] = lambda r=rule, m=model: r.updates(m, x, Y)
            objects[(label, "updates")] = (model, p0)
        for name, opt in opts.items():
            cases[(label, name)] = lambda r=rule, m=model, o=opt: train_step(m, r, o, x, Y)
            objects[(label, name)] = (model, p0)

    def reset(key):
        if key in objects:
            model, p0 = objects[key]
            for k, v in p0.items():
                np.copyto(model.params[k], v)
    return cases, reset


def profile(rule_name, x, Y, products, rounds, per_round):
    """Where one library step spends its time: each part, its GEMMs, the rest."""
    model, rule = make(rule_name)
    fwd = model.forward(x)
    e = model.loss.error(fwd.y_hat, Y)
    delta = rule.deltas(model, fwd, e)
    n, L = x.shape[0], model.n_layers

    def grads():                                  # the loop of LearningRule.updates
        for l in range(1, L + 1):
            (delta[l] / n).T @ fwd.h[l - 1]
            delta[l].mean(axis=0)

    a1, h1, d1, df1 = fwd.a[1], fwd.h[1], delta[1], fwd.df[1]
    big = model.params["W2"].copy()               # one (800, 800) array
    parts = {FORWARD: lambda: model.forward(x),
             DELTAS: lambda: rule.deltas(model, fwd, e),
             GRADS: grads,
             "loss + error count (train_step)": lambda: (
                 model.loss.loss(fwd.a[-1], Y), int(np.sum(fwd.a[-1].argmax(1) != Y.argmax(1))))}
    ops = {"a + b (64, 800)": lambda: a1 + model.b[1],
           "tanh(a) (64, 800)": lambda: np.tanh(a1),
           "1 - h*h (64, 800)": lambda: 1.0 - h1 * h1,
           "delta * df (64, 800)": lambda: d1 * df1,
           "delta / n (64, 800)": lambda: d1 / n,
           "delta.mean(0) (64, 800)": lambda: d1.mean(axis=0),
           "in-place pass W *= 1.0 (800, 800)": lambda: big.__imul__(1.0),
           "new-array pass W * W (800, 800)": lambda: big * big}
    gemms = {lab: (lambda A=A, B=B, C=C: np.matmul(A, B, out=C)) for _, lab, A, B, C in products}
    res = time_interleaved({**parts, **ops, **gemms}, rounds, per_round)
    g0 = {k: v.copy() for k, v in rule.updates(model, x, Y).items()}
    g = {k: v.copy() for k, v in g0.items()}
    params = {k: v.copy() for k, v in model.params.items()}     # the model stays untouched
    opts = {"SGD opt.step (1.28M params)": SGD(LR["sgd"]),
            "RMSprop opt.step (1.28M params)": RMSprop(LR["rmsprop"]),
            "SGD, fused numba kernel": cand.fuse_optimizer(SGD(LR["sgd"]), "serial"),
            "RMSprop, fused numba kernel": cand.fuse_optimizer(RMSprop(LR["rmsprop"]), "serial"),
            "SGD, fused numba parallel": cand.fuse_optimizer(SGD(LR["sgd"]), "parallel"),
            "RMSprop, fused numba parallel": cand.fuse_optimizer(RMSprop(LR["rmsprop"]),
                                                                 "parallel")}

    def timed_step(opt):
        for k in g:                                # the optimiser scribbles on g: restore it
            np.copyto(g[k], g0[k])
        t0 = time.perf_counter()
        opt.step(params, g)
        return time.perf_counter() - t0
    res.update(time_interleaved({k: (lambda o=o: timed_step(o)) for k, o in opts.items()},
                                rounds, per_round))
    out = {}
    for name in [*parts, *opts, *ops, *gemms]:
        kind = ("part" if name in parts or "opt.step" in name else "candidate" if name in opts
                else "op" if name in ops else "gemm")
        out[name] = {**as_dict(res[name]), "kind": kind}
        if name in parts:                          # the part's GEMMs, each timed alone
            out[name]["gemm_min_s"] = sum(res[lab][0] for part, lab, *_ in products if part == name)
    return out


def print_rule(rule_name, products, gemm, rows):
    t, f = gemm["min_s"], flops(products)
    print(f"\n{rule_name.upper()}: 784-800-800-10 tanh, batch {N_BATCH}, {DTYPE}.  GEMM only "
          f"({len(products)} products, {f / 1e9:.3f} GFLOP): best {t * 1e3:.3f} ms = "
          f"{N_BATCH / t:,.0f} samples/s ({f / t / 1e9:.0f} GFLOP/s), median "
          f"{gemm['median_s'] * 1e3:.3f} ms, spread {gemm['spread']:.2f}")
    print(f"  {'variant':32s} {'case':8s} {'best ms':>8s} {'samples/s':>10s} {'ratio':>6s}"
          f" | {'med. ms':>8s} {'ratio':>6s} {'spread':>6s}")
    for r in rows:
        print(f"  {r['variant']:32s} {r['case']:8s} {r['min_s'] * 1e3:8.3f} "
              f"{r['samples_per_s']:10,.0f} {r['ratio']:6.2f} | {r['median_s'] * 1e3:8.3f} "
              f"{r['ratio_median']:6.2f} {r['spread']:6.2f}")


def print_profile(rule_name, parts):
    print(f"\n{rule_name.upper()} library step, where the time goes (best of each, ms):")
    print(f"  {'part':38s} {'total':>7s} {'GEMMs':>7s} {'other':>7s}")
    heads = {"candidate": "optimiser candidates (candidates.py), each alone:",
             "op": "elementwise ops at the step's shapes, each alone:",
             "gemm": "GEMMs, each alone:"}
    for name, p in parts.items():
        if p["kind"] in heads:
            print("  " + heads.pop(p["kind"]))
        gm = p.get("gemm_min_s")
        rest = "" if gm is None else f" {gm * 1e3:7.3f} {(p['min_s'] - gm) * 1e3:7.3f}"
        indent = "  " if p["kind"] == "part" else "    "
        print(f"{indent}{name:{40 - len(indent)}s} {p['min_s'] * 1e3:7.3f}{rest}")



# ---- part "loop": the whole training loop against the bare step -------------------------
LOOP_LR = 0.01


def loop_data(n_train, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n_train, SIZES[0]), dtype=np.float32)    # pixel-like inputs in [0, 1)
    return X, rng.integers(0, SIZES[1], n_train)


def classifier(epochs=1):
    return Classifier(rule="dfa", hidden_sizes=HIDDEN, activation="tanh", loss="logistic_bce",
                      optimizer="sgd", learning_rate=LOOP_LR, batch_size=N_BATCH, dtype=DTYPE,
                      epochs=epochs, random_state=0, verbose=False)


def loop_cases(X, y, threads):
    """``{case: fn}``, each fn ONE epoch over ``X``; the models keep training across calls."""
    Y = one_hot(y, SIZES[1], DTYPE)
    order = np.random.default_rng(1).permutation(len(X))
    idx = [order[i:i + N_BATCH] for i in range(0, len(X), N_BATCH)]
    batches = [(X[i], Y[i], i) for i in idx]                 # sliced once, outside the timing
    model, rule = make("dfa")
    opt = SGD(LOOP_LR)

    def bare():
        for xb, Yb, ib in batches:
            train_step(model, rule, opt, xb, Yb, idx=ib)
    m2, r2 = make("dfa")
    o2, g2 = SGD(LOOP_LR), np.random.default_rng(0)
    h2 = {}

    def loop():
        h2["h"] = train(m2, r2, o2, X, y, epochs=1, batch_size=N_BATCH, rng=g2, progress=False,
                        history=h2.get("h"))
    clf, clf_full = classifier().partial_fit(X, y), classifier().partial_fit(X, y)
    cases = {"train_step, bare (pre-sliced batches)": bare,
             "nplearn.train.train": loop,
             "Classifier.partial_fit": lambda: clf.partial_fit(X, y),
             "Classifier.fit (1 epoch, builds the net)": lambda: classifier().fit(X, y),
             "partial_fit, eval_train=True": lambda: clf_full.partial_fit(X, y, eval_train=True)}
    products = gemm_products(model, rule)
    gemm = all_products(products)

    def gemm_epoch():                                        # the same products, n_steps times
        for _ in batches:
            gemm()
    cases["GEMM only, NumPy (the step's 7 products)"] = gemm_epoch
    if peer.available():
        for label, maker in (("PyTorch peer, same products (no_grad)", peer.make_step),
                             ("PyTorch peer, autograd + optim.SGD", peer.make_autograd_step)):
            pm, pr = make("dfa")
            step, to_torch, _ = maker(pm, pr, LOOP_LR, threads)
            tb = [to_torch(xb, Yb) for xb, Yb, _ in batches]
            cases[label] = lambda step=step, tb=tb: [step(xt, Yt) for xt, Yt in tb] and None
    return cases


def run_loop(args, out):
    X, y = loop_data(args.n_train)
    model, rule = make("dfa")
    threads = blas_threads(model, N_BATCH)                  # what train() will pick
    rounds, per_round = (1, 1) if args.quick else (args.rounds, 2)
    with threadpool_limits(limits=threads, user_api="blas"):
        if peer.available():
            x0, Y0 = X[:N_BATCH], one_hot(y[:N_BATCH], SIZES[1], DTYPE)
            for maker in (peer.make_step, peer.make_autograd_step):
                m, r = make("dfa")
                peer.check_agreement(m, r, LOOP_LR, x0, Y0, train_step, SGD(LOOP_LR), maker)
        cases = loop_cases(X, y, threads)
        if args.clock == "cpu":            # this thread's CPU time: what a run alone would take
            cases = cpu_timed(cases, clock=time.thread_time)   # this thread's work only
        res = {k: as_dict(v) for k, v in time_interleaved(cases, rounds, per_round).items()}
    bare = res["train_step, bare (pre-sliced batches)"]
    n_steps = -(-len(X) // N_BATCH)
    print(f"\nLOOP ({args.clock} clock): DFA 784-800-800-10 tanh, logistic BCE, plain SGD lr "
          f"{LOOP_LR}, batch {N_BATCH}, {DTYPE}, {len(X)} samples = {n_steps} steps per epoch; {threads} BLAS "
          f"thread(s) (nplearn's choice); torch {peer.torch_version() if peer.available() else '-'}"
          f" with {threads} thread(s)")
    print(f"  {'case':44s} {'best s':>7s} {'samples/s':>10s} {'ratio':>6s} | {'med. s':>7s} "
          f"{'ratio':>6s} {'spread':>6s}")
    rows = []
    for k, r in res.items():
        row = {"case": k, **r, "samples_per_s": len(X) / r["min_s"],
               "ratio": bare["min_s"] / r["min_s"], "ratio_median": bare["median_s"] / r["median_s"]}
        rows.append(row)
        print(f"  {k:44s} {r['min_s']:7.3f} {row['samples_per_s']:10,.0f} {row['ratio']:6.2f} | "
              f"{r['median_s']:7.3f} {row['ratio_median']:6.2f} {r['spread']:6.2f}")
    print("  ratio = bare train_step time / case time (throughput relative to the bare step)")
    out["loop"] = {"n_train": len(X), "threads": threads, "clock": args.clock, "rows": rows}
    return max(r["spread"] for r in rows)


# ---- part "load": alone against one other CPU-bound process ------------------------------
def run_load(args, out):
    X, y = loop_data(args.n_train)
    variants = {}
    for batch in (N_BATCH, 1024):
        for forced in (None, 2):
            model, rule = make("dfa")
            chosen = blas_threads(model, batch) if forced is None else forced
            label = f"batch {batch}, " + (f"{chosen} thread(s), nplearn's choice" if forced is None
                                          else "2 threads forced")
            opt, g = SGD(LOOP_LR), np.random.default_rng(0)
            variants[label] = (chosen, lambda m=model, r=rule, o=opt, g=g, b=batch, t=forced:
                               train(m, r, o, X, y, epochs=1, batch_size=b, rng=g,
                                     progress=False, blas_threads=t))
    rounds = 1 if args.quick else args.rounds
    times = alone_and_loaded({k: fn for k, (_, fn) in variants.items()}, rounds)
    print(f"\nLOAD: one epoch of DFA 784-800-800-10, plain SGD, {DTYPE}, {len(X)} samples, "
          f"through nplearn.train.train; {rounds} alternating rounds alone / with one busy "
          f"process ('while True: pass')")
    print(f"  {'variant':42s} {'threads':>7s} {'alone s':>8s} {'loaded s':>9s} {'slowdown':>8s}")
    rows = []
    for k, (chosen, _) in variants.items():
        a, b = np.median(times[k]["alone"]), np.median(times[k]["loaded"])
        rows.append({"variant": k, "threads": chosen, "alone_median_s": a,
                     "loaded_median_s": b, "slowdown": b / a, "times": times[k]})
        print(f"  {k:42s} {chosen:7d} {a:8.3f} {b:9.3f} {b / a:8.2f}")
    print("  slowdown = median loaded / median alone (target <= 2.5)")
    out["load"] = {"n_train": len(X), "rounds": rounds, "rows": rows}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="few repetitions (smoke run)")
    ap.add_argument("--json", help="write all results to this file")
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="BLAS and Numba threads (default: all cores)")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--part", nargs="+", choices=["step", "loop", "load"],
                    default=["step", "loop", "load"], help="which parts to run (default: all)")
    ap.add_argument("--n-train", type=int, default=12800,
                    help="training samples per epoch in parts loop and load (default: 12800)")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="part loop: wall time, or this thread's CPU time (robust when other "
                    "processes share the cores; one BLAS thread only) (default: wall)")
    ap.add_argument("--rounds", type=int, default=4,
                    help="timed rounds in parts loop and load (default: 4)")
    args = ap.parse_args(argv)
    rounds, per_round = (2, 10) if args.quick else (6, 40)
    numba.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x = rng.random((N_BATCH, SIZES[0]), dtype=np.float32)     # pixel-like inputs in [0, 1)
    Y = one_hot(rng.integers(0, SIZES[1], N_BATCH), SIZES[1], DTYPE)
    out = {"config": {"sizes": [SIZES[0], *HIDDEN, SIZES[1]], "batch": N_BATCH,
                      "dtype": DTYPE, "lr": LR, "rounds": rounds, "per_round": per_round},
           "rules": {}}
    t_start = time.perf_counter()
    spread = 1.0
    with threadpool_limits(limits=args.threads):
        for rule_name in ("bp", "dfa"):                    # also compiles the Numba kernels
            cand.check_agreement(*make(rule_name), x, Y)
        out["meta"] = meta(args.threads, numba_threads=numba.get_num_threads(),
                           numba_threading_layer=numba.threading_layer())
        print(f"{out['meta']['date']}  numpy {np.__version__}  {out['meta']['blas']}  "
              f"numba {numba.__version__}  {out['meta']['cpu']}  "
              f"load avg {out['meta']['loadavg_start'][0]:.2f}")
        print("threads: " + ", ".join(f"{Path(d['filepath']).name} ({d['internal_api']}) "
                                      f"{d['num_threads']}" for d in threadpool_info())
              + f"; numba {numba.get_num_threads()} ({numba.threading_layer()}, "
              f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')})")
        if "step" in args.part:
            spread = max(spread, run_step(args, out, x, Y, rounds, per_round))
    if "loop" in args.part:                # these parts set their own thread limits
        spread = max(spread, run_loop(args, out))
    if "load" in args.part:
        run_load(args, out)
    out["meta"]["loadavg_end"] = os.getloadavg()
    out["meta"]["wall_s"] = time.perf_counter() - t_start
    print(f"\nspread = slowest / fastest block median of a case.  wall "
          f"{out['meta']['wall_s']:.0f} s, load avg {out['meta']['loadavg_end'][0]:.2f}")
    return finish(out, spread, args.json)


def run_step(args, out, x, Y, rounds, per_round):
    for rule_name in ("bp", "dfa"):
        products = gemm_products(*make(rule_name))
        cases, reset = step_cases(rule_name, x, Y)
        cases = {("gemm only", "gemm"): all_products(products), **cases}
        res = {k: as_dict(v) for k, v in time_interleaved(cases, rounds, per_round,
                                                            reset=reset).items()}
        gemm = res.pop(("gemm only", "gemm"))
        rows = [{"variant": v, "case": c, **r, "samples_per_s": N_BATCH / r["min_s"],
                 "ratio": gemm["min_s"] / r["min_s"],
                 "ratio_median": gemm["median_s"] / r["median_s"]}
                for (v, c), r in res.items()]
        print_rule(rule_name, products, gemm, rows)
        out["rules"][rule_name] = {
            "gemm": {**gemm, "flop": flops(products),
                     "products": [[lab, list(A.shape), list(B.shape)]
                                  for _, lab, A, B, _ in products]},
            "steps": rows}
    if not args.no_profile:
        for rule_name in ("bp", "dfa"):
            products = gemm_products(*make(rule_name))
            parts = profile(rule_name, x, Y, products, max(1, rounds // 2), per_round)
            print_profile(rule_name, parts)
            out["rules"][rule_name]["profile"] = parts
    print("\nratio = GEMM-only time / step time, from the fastest call of each ('best') and "
          "from the medians.")
    return max(r["spread"] for rule in out["rules"].values()
               for r in [rule["gemm"], *rule["steps"]])


if __name__ == "__main__":
    main()
