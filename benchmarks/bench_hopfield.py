"""Speed of the Hopfield engine (``nplearn.hopfield``) against the targets of issue [5/8].

Three parts, a benchmark, not a test (it asserts nothing about speed):

(1) ``backends``  batch 1, 64-100-10 (digits), float64, both connectivities: one relaxation
    phase (20 Euler steps) and one Hebbian update (symmetric: EP's CHL, Eq. 5; loop: EFP
    Eq. 6), Numba kernel vs its NumPy twin. Timed twice: the kernels called directly
    (``relax_numba`` / ``relax_numpy``, ``*_numba`` / ``*_numpy``) and through the library
    API (``relax(..., backend=)``, ``hebbian_update(..., backend=)``, which add validation
    and copies). ``ratio = t_numpy / t_numba`` (target >= 10 for the kernels).
(2) ``efp``  the EFP paper's setting: loop net 784-1500-1500-10, float32, batch 20. One
    training cycle = 2 x {free phase 16 steps, clamped phase 8 steps from the free fixed
    point, EFP Hebbian update (Eq. 6)} through the library API; the second loop's free
    phase starts from the first one's fixed point (persistent states); the parameters are
    not changed (no optimiser step). Compared with ``gemm``: exactly the matrix products
    those steps perform, timed alone with ``np.matmul(out=)`` on preallocated arrays of the
    same shapes and layouts. Per Euler step (``relax_numba``): ``r_{l-1} @ W_l.T`` for
    l = 1..L (the input product is recomputed every step) and the loop ``r_L @ W_loop.T``;
    per update (``efp_numba``): ``dr_l @ r_{l-1}`` for l = 1..L and ``dr_1 @ r_L`` for the
    loop. ``ratio = t_gemm / t_cycle`` (target >= 0.6).
(3) ``compile``  a fresh subprocess with ``NUMBA_CACHE_DIR`` set to an empty temporary
    directory times the first call of each kernel (compile + run) and a second call; a
    second fresh subprocess with the same cache directory shows the cached run loading
    the compiled code instead of compiling it.

Usage: ``python benchmarks/bench_hopfield.py [--quick] [--json out.json] [--threads N]``
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")            # as in bench_step.py
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a checkout

from _common import as_dict, finish, meta, time_interleaved     # noqa: E402

SMALL, EFP_SIZES, EFP_BATCH = (64, 100, 10), (784, 1500, 1500, 10), 20
N_RELAX, N_FREE, N_CLAMPED, N_LOOPS, BETA, H_STEP = 20, 16, 8, 2, 0.5, 0.5
RULE = {"symmetric": "chl", "loop": "efp"}


def kernel_args(net, x, s, d, beta):
    """The tuples ``relax`` hands to the kernels (see ``nplearn.hopfield.phases.relax``)."""
    dt = net.dtype
    W, b = tuple(net.W[1:]), tuple(net.b[1:])
    W_loop = net.W_loop if not net.symmetric else np.zeros((0, 0), dt)
    return W, b, W_loop, dt.type(H_STEP), dt.type(beta)


# ---- (1) batch 1, Numba vs NumPy --------------------------------------------------------
def bench_backends(rounds, per_round):
    from nplearn.hopfield import HopfieldNet, clamped_phase, free_phase, hebbian_update, relax
    from nplearn.hopfield.dynamics import relax_numba, relax_numpy
    from nplearn.hopfield.hebbian import RULES
    rows = []
    for conn in ("symmetric", "loop"):
        net = HopfieldNet(SMALL, conn, dtype="float64", rng=0)
        rng = np.random.default_rng(0)
        x = rng.random((1, SMALL[0]))
        d = np.eye(SMALL[-1])[[3]]
        s_free = free_phase(net, x, None, N_RELAX)
        s_nudged = clamped_phase(net, x, s_free, d, BETA, 4)
        W, b, W_loop, h, beta = kernel_args(net, x, s_free, d, BETA)
        s_work = tuple(s.copy() for s in s_free)
        rule = RULE[conn]
        gW = tuple(np.empty_like(w) for w in W)
        gb = tuple(np.empty_like(v) for v in b)
        loop = "W_loop" in net.params
        gWl = np.empty_like(net.W_loop) if loop else np.zeros((0, 0))
        s0t, sbt = tuple(s_free), tuple(s_nudged)
        # The kernels start from the free fixed point, so every call does the same work.
        cases = {}
        for be, rk in (("numba", relax_numba), ("numpy", relax_numpy)):
            cases[("relax", "kernel", be)] = (
                lambda rk=rk: rk(x, s_work, W, b, W_loop, net.symmetric, N_RELAX, h, np.float64(0),
                                 d))
            cases[("relax", "API", be)] = lambda be=be: relax(net, x, s_free, N_RELAX, 0.0, None,
                                                              H_STEP, be)
            hk = RULES[rule][be]
            cases[(f"hebbian {rule}", "kernel", be)] = (
                lambda hk=hk: hk(x, s0t, sbt, beta, loop, gW, gb, gWl))
            cases[(f"hebbian {rule}", "API", be)] = (
                lambda be=be: hebbian_update(net, rule, x, s_free, s_nudged, BETA, be))
        for fn in cases.values():                                  # compile / warm up
            fn()
        res = {k: as_dict(v) for k, v in time_interleaved(cases, rounds, per_round).items()}
        for what in ("relax", f"hebbian {rule}"):
            for via in ("kernel", "API"):
                tb, tn = res[(what, via, "numba")], res[(what, via, "numpy")]
                rows.append({"connectivity": conn, "what": what, "via": via,
                             "numba_min_s": tb["min_s"], "numpy_min_s": tn["min_s"],
                             "numba_median_s": tb["median_s"], "numpy_median_s": tn["median_s"],
                             "ratio": tn["min_s"] / tb["min_s"],
                             "ratio_median": tn["median_s"] / tb["median_s"],
                             "spread": max(tb["spread"], tn["spread"])})
    return rows


# ---- (2) the EFP setting: cycle vs its GEMMs ----------------------------------------------
def efp_products(net, n):
    """``(label, A, B, out, count)`` for each matrix product of one cycle, same shapes/layouts."""
    rng = np.random.default_rng(1)
    s, L, W, dt = net.sizes, net.n_layers, net.W, net.dtype
    r = [rng.random((n, m), dtype=dt) for m in s]                     # r[0] stands for rho(x)
    dr = [None] + [np.ascontiguousarray(rng.random((m, n), dtype=dt)) for m in s[1:]]
    steps = N_LOOPS * (N_FREE + N_CLAMPED)
    out = [(f"step: r{l - 1} @ W{l}.T", r[l - 1], W[l].T, np.empty((n, s[l]), dt), steps)
           for l in range(1, L + 1)]
    out.append((f"step: r{L} @ W_loop.T", r[L], net.W_loop.T, np.empty((n, s[1]), dt), steps))
    out += [(f"update: dr{l} @ r{l - 1}", dr[l], r[l - 1], np.empty((s[l], s[l - 1]), dt), N_LOOPS)
            for l in range(1, L + 1)]
    out.append((f"update: dr1 @ r{L} (loop)", dr[1], r[L], np.empty((s[1], s[L]), dt), N_LOOPS))
    return out


def flops(products):
    return sum(2 * A.shape[0] * A.shape[1] * B.shape[1] * c for _, A, B, _, c in products)


def bench_efp(rounds, per_round, with_numpy=True, pause=0.2):
    from nplearn.hopfield import HopfieldNet, clamped_phase, free_phase, hebbian_update
    from nplearn.hopfield.dynamics import relax_numba
    from nplearn.hopfield.hebbian import efp_numba
    net = HopfieldNet(EFP_SIZES, "loop", train_loop=True, dtype="float32", rng=0)
    rng = np.random.default_rng(0)
    n = EFP_BATCH
    x = rng.random((n, EFP_SIZES[0]), dtype=np.float32)
    d = np.eye(EFP_SIZES[-1], dtype=np.float32)[rng.integers(0, EFP_SIZES[-1], n)]

    def cycle(backend):
        s = None
        for _ in range(N_LOOPS):
            s = free_phase(net, x, s, N_FREE, H_STEP, backend)
            sb = clamped_phase(net, x, s, d, BETA, N_CLAMPED, H_STEP, backend)
            hebbian_update(net, "efp", x, s, sb, BETA, backend)

    products = efp_products(net, n)

    def gemm_all():
        for _, A, B, C, c in products:
            for _ in range(c):
                np.matmul(A, B, out=C)

    from numba import njit
    mm = njit(lambda A, B: A @ B)          # Numba's @: SciPy's OpenBLAS, a new output each call

    def gemm_numba():
        for _, A, B, _C, c in products:
            for _ in range(c):
                mm(A, B)

    # Profile: the parts of one loop alone, called as the cycle calls them, and their GEMMs.
    s_free = free_phase(net, x, None, N_FREE, H_STEP)
    s_nud = clamped_phase(net, x, s_free, d, BETA, N_CLAMPED, H_STEP)
    W, b, W_loop, h, beta = kernel_args(net, x, s_free, d, BETA)
    s_work = tuple(s.copy() for s in s_free)
    gW = tuple(np.empty_like(w) for w in W)
    gb = tuple(np.empty_like(v) for v in b)
    gWl = np.empty_like(net.W_loop)
    zero = np.float32(0)
    step_prods = [p for p in products if p[0].startswith("step")]
    upd_prods = [p for p in products if p[0].startswith("update")]

    def gemms(prods, reps):
        def run():
            for _, A, B, C, _c in prods:
                for _ in range(reps):
                    np.matmul(A, B, out=C)
        return run

    cases = {"gemm only": gemm_all, "gemm only, numba @": gemm_numba,
             "cycle (numba)": lambda: cycle("numba")}
    if with_numpy:
        cases["cycle (numpy twins)"] = lambda: cycle("numpy")
    parts = {
        f"free_phase, {N_FREE} steps (API)": lambda: free_phase(net, x, s_free, N_FREE, H_STEP),
        f"relax_numba, {N_FREE} steps (kernel)": lambda: relax_numba(
            x, s_work, W, b, W_loop, False, N_FREE, h, zero, d),
        f"  its GEMMs, {N_FREE} steps": gemms(step_prods, N_FREE),
        f"clamped_phase, {N_CLAMPED} steps (API)": lambda: clamped_phase(
            net, x, s_free, d, BETA, N_CLAMPED, H_STEP),
        "relax, 0 steps (API overhead)": lambda: free_phase(net, x, s_free, 0, H_STEP),
        "hebbian_update efp (API)": lambda: hebbian_update(net, "efp", x, s_free, s_nud, BETA),
        "efp_numba (kernel)": lambda: efp_numba(x, tuple(s_free), tuple(s_nud), beta, True,
                                                gW, gb, gWl),
        "  its GEMMs": gemms(upd_prods, 1),
    }
    for fn in [*cases.values(), *parts.values()]:                   # compile / warm up
        fn()
    # The kernels call SciPy's OpenBLAS (Numba's BLAS), the GEMM-only case NumPy's: two
    # copies, each with its own threads, which spin for a while after a call. The pause
    # before each block lets the other copy's threads fall asleep (without it the GEMM-only
    # block right after a cycle block ran 2-9x slower in a trial run, at 2 threads).
    res = {k: as_dict(v) for k, v in time_interleaved(cases, rounds, per_round, pause).items()}
    prof = {k: as_dict(v) for k, v in time_interleaved(parts, rounds, per_round, pause).items()}
    g = res["gemm only"]
    gn = res["gemm only, numba @"]
    rows = [{"case": k, **v, "samples_per_s": n / v["min_s"], "ratio": g["min_s"] / v["min_s"],
             "ratio_median": g["median_s"] / v["median_s"],
             "ratio_numba_gemm": gn["min_s"] / v["min_s"]} for k, v in res.items()]
    return {"rows": rows, "flop": flops(products), "profile": prof,
            "products": [[lab, list(A.shape), list(B.shape), c] for lab, A, B, _, c in products]}


# ---- (3) compile time, in fresh subprocesses ---------------------------------------------
def compile_child(quick=False):
    """Run in a subprocess: first and second call of each kernel, via the library API."""
    t0 = time.perf_counter()
    from nplearn.hopfield import HopfieldNet, clamped_phase, free_phase, hebbian_update
    t_import = time.perf_counter() - t0
    out = {"import_s": t_import, "calls": []}
    for conn, dtype in (("symmetric", "float64"), ("loop", "float32"))[:1 if quick else 2]:
        net = HopfieldNet(SMALL, conn, dtype=dtype, rng=0)
        x = np.random.default_rng(0).random((1, SMALL[0]))
        d = np.eye(SMALL[-1])[[3]]
        rule = RULE[conn]
        calls = {"relax_numba": lambda: clamped_phase(net, x, free_phase(net, x, None, N_RELAX),
                                                      d, BETA, 4),
                 f"{rule}_numba": lambda: hebbian_update(net, rule, x, s0, sb, BETA)}
        if quick:
            del calls[f"{rule}_numba"]
        s0 = free_phase(net, x, None, N_RELAX, backend="numpy")
        sb = clamped_phase(net, x, s0, d, BETA, 4, backend="numpy")
        for name, fn in calls.items():
            ts = []
            for _ in range(3):
                t = time.perf_counter()
                fn()
                ts.append(time.perf_counter() - t)
            out["calls"].append({"kernel": name, "signature": f"{conn}, {dtype}",
                                 "first_s": ts[0], "second_s": ts[1], "third_s": ts[2]})
    print(json.dumps(out))


def bench_compile(quick=False):
    with tempfile.TemporaryDirectory(prefix="nplearn_numba_cache_") as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        runs = {}
        for label in ("cold (empty cache)", "cached"):
            t0 = time.perf_counter()
            p = subprocess.run([sys.executable, __file__, "--compile-child"]
                               + ["--quick"] * quick, env=env,
                               capture_output=True, text=True, check=True)
            runs[label] = {**json.loads(p.stdout.strip().splitlines()[-1]),
                           "process_s": time.perf_counter() - t0}
            if label.startswith("cold"):
                runs[label]["cache_files"] = sorted(
                    f.name for f in Path(cache).rglob("*") if f.suffix in (".nbi", ".nbc"))
    return runs


# ---- output ------------------------------------------------------------------------------
def print_backends(rows):
    print(f"\n(1) batch 1, {'-'.join(map(str, SMALL))}, float64: Numba vs NumPy twin "
          f"(relax = {N_RELAX} Euler steps; best-of, us)")
    print(f"  {'connectivity':12s} {'what':12s} {'via':6s} {'numba':>9s} {'numpy':>9s} "
          f"{'ratio':>6s} | {'med. ratio':>10s} {'spread':>6s}")
    for r in rows:
        print(f"  {r['connectivity']:12s} {r['what']:12s} {r['via']:6s} "
              f"{r['numba_min_s'] * 1e6:9.1f} {r['numpy_min_s'] * 1e6:9.1f} {r['ratio']:6.1f} | "
              f"{r['ratio_median']:10.1f} {r['spread']:6.2f}")
    print("  ratio = numpy time / numba time (target >= 10 for the kernels)")


def print_efp(e):
    g = e["rows"][0]
    print(f"\n(2) EFP setting: loop {'-'.join(map(str, EFP_SIZES))}, float32, batch {EFP_BATCH}; "
          f"cycle = {N_LOOPS} x (free {N_FREE} + clamped {N_CLAMPED} steps + EFP update)")
    print(f"  GEMM only: {sum(c for *_, c in e['products'])} products, {e['flop'] / 1e9:.2f} "
          f"GFLOP, best {g['min_s'] * 1e3:.2f} ms ({e['flop'] / g['min_s'] / 1e9:.0f} GFLOP/s)")
    print(f"  {'case':22s} {'best ms':>8s} {'samples/s':>10s} {'ratio':>6s} {'ratio2':>6s} | "
          f"{'med. ms':>8s} {'ratio':>6s} {'spread':>6s}")
    for r in e["rows"]:
        print(f"  {r['case']:22s} {r['min_s'] * 1e3:8.2f} {r['samples_per_s']:10,.0f} "
              f"{r['ratio']:6.2f} {r['ratio_numba_gemm']:6.2f} | {r['median_s'] * 1e3:8.2f} "
              f"{r['ratio_median']:6.2f} {r['spread']:6.2f}")
    print("  ratio = GEMM-only (np.matmul(out=), NumPy's OpenBLAS) time / case time (target >= 0.6)"
          "\n  ratio2 = the same products through Numba's @ (SciPy's OpenBLAS, the kernels' BLAS)"
          " / case time")
    print("  profile, one loop's parts alone (best, ms):")
    for k, v in e["profile"].items():
        print(f"    {k:40s} {v['min_s'] * 1e3:8.3f}")


def print_compile(runs):
    print("\n(3) compile time (fresh subprocesses sharing one NUMBA_CACHE_DIR; ms)")
    print(f"  {'run':20s} {'kernel':12s} {'signature':18s} {'1st call':>9s} {'2nd':>8s} "
          f"{'3rd':>8s}")
    for label, r in runs.items():
        for c in r["calls"]:
            print(f"  {label:20s} {c['kernel']:12s} {c['signature']:18s} "
                  f"{c['first_s'] * 1e3:9.1f} {c['second_s'] * 1e3:8.2f} {c['third_s'] * 1e3:8.2f}")
        print(f"  {label:20s} import nplearn.hopfield {r['import_s'] * 1e3:.0f} ms, "
              f"whole process {r['process_s']:.1f} s")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="few repetitions (smoke run)")
    ap.add_argument("--json", help="write all results to this file")
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="BLAS and Numba threads (default: all cores)")
    ap.add_argument("--compile-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.compile_child:
        return compile_child(args.quick)
    import numba
    import scipy.linalg.cython_blas  # noqa: F401  Numba's BLAS: load it so threadpool_limits sees it
    from threadpoolctl import threadpool_limits
    numba.set_num_threads(args.threads)
    t_start = time.perf_counter()
    out = {"config": {"quick": args.quick}}
    out["compile"] = bench_compile(args.quick)          # first: its subprocesses then have the cores
    with threadpool_limits(limits=args.threads):
        out["meta"] = meta(args.threads)
        m = out["meta"]
        print(f"{m['date']}  numpy {m['numpy']}  numba {m['numba']}  {m['cpu']}  "
              f"load avg {m['loadavg_start'][0]:.2f}")
        print("threads: " + ", ".join(f"{Path(d['filepath']).name} {d['num_threads']}"
                                      for d in m["threadpool_info"]))
        out["backends"] = bench_backends(*((2, 20) if args.quick else (6, 100)))
        print_backends(out["backends"])
        out["efp"] = bench_efp(*((1, 2) if args.quick else (6, 5)), with_numpy=not args.quick,
                               pause=0.05 if args.quick else 0.2)
        print_efp(out["efp"])
    print_compile(out["compile"])
    out["meta"]["loadavg_end"] = os.getloadavg()
    out["meta"]["wall_s"] = time.perf_counter() - t_start
    print(f"\nwall {out['meta']['wall_s']:.0f} s, load avg {out['meta']['loadavg_end'][0]:.2f}")
    spread = max([r["spread"] for r in out["backends"]] + [r["spread"] for r in out["efp"]["rows"]])
    return finish(out, spread, args.json)


if __name__ == "__main__":
    main()
