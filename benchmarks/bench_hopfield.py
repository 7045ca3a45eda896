"""Speed of the Hopfield engine (``nplearn.hopfield``): issue [B/5]'s targets.

A benchmark, not a test: it asserts nothing about speed. Three parts (``--parts``):

(1) ``backends``  batch 1, 64-100-10 (digits), float64, both connectivities: one relaxation
    phase (20 Euler steps) and one Hebbian update (symmetric: EP's CHL, Eq. 5; loop: EFP
    Eq. 6), Numba kernel vs its NumPy twin, called directly and through the library API.
    ``ratio = t_numpy / t_numba``.
(2) ``cases``  float32 training cycles, through ``two_phase_update`` (what the rules call):
    EFP (loop net, ``W_loop`` fixed as in Table 1) at the paper's size 784-1500-1500-10,
    batch 20, and online (batch 1, 784-100-100-10): 2 x {16 free + 8 clamped Euler steps,
    Eq. (6)}, the second free phase continuing from the first one's fixed point; EP
    (symmetric net) at the same sizes: 20 free + 4 clamped steps and Eq. (5). The weights are
    not changed (no optimiser step). Each cycle is compared with
    * ``GEMM only``: exactly the BLAS products the engine makes in that cycle (the same
      shapes, layouts and stacking, see ``engine_products``), timed alone through Numba's
      ``np.dot`` into preallocated outputs. ``roofline = t_gemm / t_engine``;
    * the PyTorch peer (``peer_torch_hopfield.py``, if torch is installed): the same
      equations, steps, batch, dtype and threads, the input drive once per phase;
      ``peer / engine = t_peer / t_engine``, and the peer's own products alone.
(3) ``compile``  fresh subprocesses with an empty ``NUMBA_CACHE_DIR``, then with the filled
    one: first, second and third call of each kernel.

Usage: ``python benchmarks/bench_hopfield.py [--quick] [--threads N] [--json out.json]
[--parts cases] [--cases 0,2] [--twins] [--root OLD_CHECKOUT]``
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

from _common import as_dict, cpu_timed, finish, meta, time_interleaved    # noqa: E402

SMALL = (64, 100, 10)
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
    from nplearn.hopfield.hebbian import HEBBIAN_UPDATES
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
            hk = HEBBIAN_UPDATES[rule][be]
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


# ---- (2) paper scale and online: the engine vs its products alone and vs a PyTorch peer ---
CASES = {   # name: connectivity, sizes, batch, loops, free steps, clamped steps, Hebbian rule
    "EFP 784-1500-1500-10, batch 20": ("loop", (784, 1500, 1500, 10), 20, N_LOOPS, N_FREE,
                                       N_CLAMPED, "efp"),
    "EFP 784-100-100-10, batch 1": ("loop", (784, 100, 100, 10), 1, N_LOOPS, N_FREE, N_CLAMPED,
                                    "efp"),
    "EP 784-1500-1500-10, batch 20": ("symmetric", (784, 1500, 1500, 10), 20, 1, 20, 4, "chl"),
    "EP 784-100-100-10, batch 1": ("symmetric", (784, 100, 100, 10), 1, 1, 20, 4, "chl"),
}
BETA_TABLE1 = 1.0                       # EFP Table 1 (and EP's default in our convention)


def schedule(L, symmetric, n_steps):
    """``[(k, m), ...]``: the blocks in which ``relax_numba`` advances layer ``k`` by ``m``
    steps (a mirror of its loop, see ``nplearn/hopfield/dynamics.py``)."""
    B = 2 if symmetric else L
    order = [*range(0, L, 2), *range(1, L, 2)] if symmetric else list(range(L))
    tau, out = [0] * L, []
    while min(tau) < n_steps:
        for k in order:
            t1 = min(n_steps, tau[k] + B)
            if k > 0:
                t1 = min(t1, tau[k - 1] + 1)
            if symmetric and k < L - 1:
                t1 = min(t1, tau[k + 1] + 1)
            if not symmetric and k == 0:
                t1 = min(t1, tau[L - 1] + 1)
            if t1 > tau[k]:
                out.append((k, t1 - tau[k]))
                tau[k] = t1
    return out


def engine_products(net, n, loops, n_free, n_clamped, rule):
    """``{(label, A shape/order, B shape/order): count}``: every BLAS product one cycle of
    the engine makes (``relax_numba`` with its blocks, the Hebbian kernel)."""
    W, L, s, sym = net.W, net.n_layers, net.sizes, net.symmetric
    prods = {}

    def add(label, m, kk, nn, a_T=False, b_T=True, count=1):
        key = (label, m, kk, nn, a_T, b_T)
        prods[key] = prods.get(key, 0) + count

    def stacked(W_l):
        return n > 1 and W_l.nbytes > 1 << 20                          # dynamics._stack_rows

    def product(label, k_in, n_out, m, W_l, b_T=True):
        if stacked(W_l):
            add(label, m * n, k_in, n_out, b_T=b_T)
        else:
            add(label, n, k_in, n_out, b_T=b_T, count=m)

    for _ in range(loops):
        add("drive rho(x) W1^T, once for both phases", n, s[0], s[1])
        for n_steps in (n_free, n_clamped):
            for k, m in schedule(L, sym, n_steps):
                if k > 0:
                    product(f"r{k} W{k + 1}^T", s[k], s[k + 1], m, W[k + 1])
                if sym and k < L - 1:                  # via a transposed copy above 1 MB
                    product(f"r{k + 2} W{k + 2} (from above)", s[k + 2], s[k + 1], m, W[k + 2],
                            b_T=W[k + 2].nbytes > 1 << 20)        # dynamics._transposes
                if not sym and k == 0:
                    product(f"r{L} W_loop^T", s[L], s[1], m, net.W_loop)
        for l in range(1, L + 1):
            reps = 2 if rule == "chl" else 1
            add(f"update W{l}", s[l], n, s[l - 1], a_T=rule == "chl", b_T=False, count=reps)
        if "W_loop" in net.params:
            add("update W_loop", s[1], n, s[L], a_T=rule == "chl", b_T=False,
                count=2 if rule == "chl" else 1)
    return prods


def gemm_runner(prods, dtype):
    """A function running every product of ``prods`` (count times each) through Numba's
    ``np.dot`` (the engine's BLAS) into preallocated outputs, in one call per layout."""
    from numba import njit
    from numba.typed import List

    @njit
    def run(As, Bs, Cs, counts):
        for p in range(len(As)):
            for _ in range(counts[p]):
                np.dot(As[p], Bs[p], Cs[p])

    rng = np.random.default_rng(1)
    groups = {}
    for (_label, m, kk, nn, a_T, b_T), count in prods.items():
        A = rng.random((kk, m), dtype=dtype).T if a_T else rng.random((m, kk), dtype=dtype)
        B = rng.random((nn, kk), dtype=dtype).T if b_T else rng.random((kk, nn), dtype=dtype)
        g = groups.setdefault((a_T, b_T), ([], [], [], []))
        for lst, v in zip(g, (A, B, np.empty((m, nn), dtype), count)):
            lst.append(v)
    typed = [(List(As), List(Bs), List(Cs), np.array(cs)) for As, Bs, Cs, cs in groups.values()]

    def gemm_only():
        for args in typed:
            run(*args)
    return gemm_only


def torch_products(net, n, loops, n_free, n_clamped, rule):
    """The peer's products (one per step and layer; the drive once per phase), as
    ``[(A, B, out, count)]`` tensors for ``torch.mm(out=)``."""
    import torch
    rng = np.random.default_rng(1)
    dt = net.dtype
    s, L, sym = net.sizes, net.n_layers, net.symmetric
    T = lambda *shape: torch.from_numpy(rng.random(shape, dtype=dt))
    steps = loops * (n_free + n_clamped)
    out = [(T(n, s[0]), T(s[1], s[0]).t(), T(n, s[1]), 2 * loops)]
    for k in range(L):
        if k > 0:
            out.append((T(n, s[k]), T(s[k + 1], s[k]).t(), T(n, s[k + 1]), steps))
        if sym and k < L - 1:
            out.append((T(n, s[k + 2]), T(s[k + 2], s[k + 1]), T(n, s[k + 1]), steps))
        if not sym and k == 0:
            out.append((T(n, s[L]), T(s[1], s[L]).t(), T(n, s[1]), steps))
    reps = loops * (2 if rule == "chl" else 1)
    for l in range(1, L + 1):
        out.append((T(n, s[l]).t(), T(n, s[l - 1]), T(s[l], s[l - 1]), reps))
    return out


def bench_case(name, rounds, per_round, pause, with_torch=True, with_numpy=False, clock="wall"):
    from nplearn.hopfield import HopfieldNet, clamped_phase, free_phase, hebbian_update
    conn, sizes, n, loops, n_free, n_clamped, rule = CASES[name]
    net = HopfieldNet(sizes, conn, train_loop=False, dtype="float32", rng=0)   # Table 1: fixed
    rng = np.random.default_rng(0)
    x = rng.random((n, sizes[0]), dtype=np.float32)
    d = np.eye(sizes[-1], dtype=np.float32)[rng.integers(0, sizes[-1], n)]
    beta = BETA_TABLE1

    try:
        from nplearn.hopfield import two_phase_update      # what the rules call
    except ImportError:                                     # an older engine (--root)
        two_phase_update = None

    def cycle(backend="numba"):
        s = None
        for _ in range(loops):                           # EFP Sec. 3.2.2: continue from s^0
            if two_phase_update is not None:
                s, sb, g = two_phase_update(net, rule, x, d, beta, s, n_free, n_clamped, H_STEP,
                                            backend)
            else:
                s = free_phase(net, x, s, n_free, H_STEP, backend)
                sb = clamped_phase(net, x, s, d, beta, n_clamped, H_STEP, backend)
                hebbian_update(net, rule, x, s, sb, beta, backend)

    prods = engine_products(net, n, loops, n_free, n_clamped, rule)
    cases = {"engine cycle": cycle, "GEMM only (engine's products)": gemm_runner(prods, net.dtype)}
    if with_numpy:
        cases["cycle, NumPy twins"] = lambda: cycle("numpy")
    if with_torch:
        import torch
        from peer_torch_hopfield import TorchHopfield
        peer = TorchHopfield(net)
        tx, td = torch.from_numpy(x), torch.from_numpy(d)

        def peer_cycle():
            with torch.inference_mode():
                peer.cycle(tx, td, loops, n_free, n_clamped, H_STEP, beta, rule)
        tprods = torch_products(net, n, loops, n_free, n_clamped, rule)

        def peer_gemm():
            for A, B, C, c in tprods:
                for _ in range(c):
                    torch.mm(A, B, out=C)
        cases["PyTorch peer cycle"] = peer_cycle
        cases["PyTorch GEMM only (peer's products)"] = peer_gemm
    s0 = free_phase(net, x, None, n_free, H_STEP)
    sb = clamped_phase(net, x, s0, d, beta, n_clamped, H_STEP)
    parts = {f"free_phase, {n_free} steps": lambda: free_phase(net, x, s0, n_free, H_STEP),
             f"clamped_phase, {n_clamped} steps": lambda: clamped_phase(net, x, s0, d, beta,
                                                                        n_clamped, H_STEP),
             f"hebbian_update {rule}": lambda: hebbian_update(net, rule, x, s0, sb, beta),
             "relax, 0 steps (API overhead)": lambda: free_phase(net, x, s0, 0, H_STEP)}
    if two_phase_update is not None:
        parts["two_phase_update"] = lambda: two_phase_update(net, rule, x, d, beta, s0, n_free,
                                                             n_clamped, H_STEP)
    for fn in [*cases.values(), *parts.values()]:                   # compile / warm up
        fn()
    if clock == "cpu":
        cases, parts = cpu_timed(cases), cpu_timed(parts)
    res = {k: as_dict(v) for k, v in time_interleaved(cases, rounds, per_round, pause).items()}
    prof = {k: as_dict(v) for k, v in time_interleaved(parts, rounds, per_round, pause).items()}
    e = res["engine cycle"]
    rows = [{"case": k, **v, "samples_per_s": n / v["min_s"], "vs_engine": v["min_s"] / e["min_s"]}
            for k, v in res.items()]
    out = {"name": name, "clock": clock, "rows": rows, "profile": prof,
           "flop": sum(2 * m * kk * nn * c for (_, m, kk, nn, _, _), c in prods.items()),
           "products": [[*k, c] for k, c in prods.items()],
           "roofline": res["GEMM only (engine's products)"]["min_s"] / e["min_s"]}
    if with_torch:
        out["vs_torch"] = res["PyTorch peer cycle"]["min_s"] / e["min_s"]
        out["vs_torch_median"] = res["PyTorch peer cycle"]["median_s"] / e["median_s"]
    return out


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
        try:
            from nplearn.hopfield import two_phase_update
            calls["phases_numba"] = lambda: two_phase_update(net, rule, x, d, BETA, None, N_RELAX, 4)
        except ImportError:                                  # an older engine (--root)
            pass
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


def print_case(e):
    conn, sizes, n, loops, n_free, n_clamped, rule = CASES[e["name"]]
    print(f"\n(2) {e['name']}, float32, {loops} x (free {n_free} + clamped {n_clamped} steps + "
          f"{rule} update); engine products {e['flop'] / 1e9:.3f} GFLOP; {e['clock']} time")
    print(f"  {'case':38s} {'best ms':>9s} {'samples/s':>10s} {'x engine':>8s} | "
          f"{'med. ms':>9s} {'spread':>6s}")
    for r in e["rows"]:
        print(f"  {r['case']:38s} {r['min_s'] * 1e3:9.3f} {r['samples_per_s']:10,.0f} "
              f"{r['vs_engine']:8.2f} | {r['median_s'] * 1e3:9.3f} {r['spread']:6.2f}")
    line = f"  roofline (GEMM only / engine) {e['roofline']:.2f}"
    if "vs_torch" in e:
        line += f"; PyTorch peer / engine {e['vs_torch']:.2f} (medians {e['vs_torch_median']:.2f})"
    print(line)
    print("  profile, parts alone (best, ms): " + ", ".join(
        f"{k} {v['min_s'] * 1e3:.3f}" for k, v in e["profile"].items()))


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
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS, Numba and PyTorch threads (default 1)")
    ap.add_argument("--parts", default="backends,cases,compile",
                    help="comma-separated subset of backends, cases, compile")
    ap.add_argument("--cases", default=",".join(str(i) for i in range(len(CASES))),
                    help="comma-separated indices into CASES (default: all)")
    ap.add_argument("--twins", action="store_true", help="also time the NumPy twins' cycle")
    ap.add_argument("--rounds", type=int, default=6, help="timed rounds of part (2)")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="part (2): 'cpu' times each call by the process's CPU time, which "
                         "leaves out the time other processes hold the core (1 thread only)")
    ap.add_argument("--root", help="import nplearn from this checkout (e.g. an older commit)")
    ap.add_argument("--compile-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.root:
        sys.path.insert(0, str(Path(args.root).resolve()))
    if args.compile_child:
        return compile_child(args.quick)
    parts = args.parts.split(",")
    import numba
    import scipy.linalg.cython_blas  # noqa: F401  Numba's BLAS: load it so threadpool_limits sees it
    from threadpoolctl import threadpool_limits
    try:
        import torch
        torch.set_num_threads(args.threads)
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from peer_torch_hopfield import check
        check()                                   # the peer computes what the engine computes
        with_torch = True
    except ImportError:
        with_torch = False
        print("PyTorch is not installed: the peer columns are left out")
    numba.set_num_threads(args.threads)
    t_start = time.perf_counter()
    out = {"config": {"quick": args.quick, "root": args.root, "torch": with_torch}}
    if "compile" in parts:
        out["compile"] = bench_compile(args.quick)      # first: its subprocesses then have the cores
    spreads = []
    with threadpool_limits(limits=args.threads):
        out["meta"] = meta(args.threads)
        m = out["meta"]
        import nplearn
        print(f"{m['date']}  numpy {m['numpy']}  numba {m['numba']}  {m['cpu']}  "
              f"load avg {m['loadavg_start'][0]:.2f}  nplearn from {Path(nplearn.__file__).parent}")
        print("threads: " + ", ".join(f"{Path(d['filepath']).name} {d['num_threads']}"
                                      for d in m["threadpool_info"]))
        if "backends" in parts:
            out["backends"] = bench_backends(*((2, 20) if args.quick else (6, 100)))
            print_backends(out["backends"])
            spreads += [r["spread"] for r in out["backends"]]
        if "cases" in parts:
            out["cases"] = []
            for i in (int(v) for v in args.cases.split(",")):
                name = list(CASES)[i]
                small = CASES[name][2] == 1
                rounds, per = (1, 2) if args.quick else ((args.rounds, 20) if small else
                                                         (args.rounds, 3))
                e = bench_case(name, rounds, per, 0.05 if args.quick else 0.2, with_torch,
                               args.twins, args.clock)
                print_case(e)
                out["cases"].append(e)
                spreads += [r["spread"] for r in e["rows"]]
    if "compile" in parts:
        print_compile(out["compile"])
    out["meta"]["loadavg_end"] = os.getloadavg()
    out["meta"]["wall_s"] = time.perf_counter() - t_start
    print(f"\nwall {out['meta']['wall_s']:.0f} s, load avg {out['meta']['loadavg_end'][0]:.2f}")
    return finish(out, max(spreads, default=1.0), args.json)


if __name__ == "__main__":
    main()
