"""What the benchmark scripts share: interleaved timing, the machine description, the
noise warning and the JSON dump. Benchmarks report; they never assert a speed."""
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def time_interleaved(cases, rounds, per_round, pause=0.0, reset=None):
    """``{case: (min, median, spread)}`` of per-call wall times in seconds.

    Each round runs every case ``per_round`` times in turn; round 0 is warm-up. Before each
    block, untimed: ``pause`` seconds of sleep, then ``reset(name)`` if given. A case that
    returns a float has timed itself (to leave out its own set-up). ``spread`` = slowest /
    fastest block median: well above 1 means something else was using the cores.
    """
    times = {name: [] for name in cases}
    for r in range(rounds + 1):
        for name, fn in cases.items():
            if pause:
                time.sleep(pause)
            if reset:
                reset(name)
            block = []
            for _ in range(per_round):
                t0 = time.perf_counter()
                own = fn()
                block.append(own if isinstance(own, float) else time.perf_counter() - t0)
            if r:
                times[name].append(block)
    out = {}
    for k, blocks in times.items():
        med = [np.median(b) for b in blocks]
        out[k] = (float(np.min(blocks)), float(np.median(blocks)), float(max(med) / min(med)))
    return out


def cpu_timed(cases, clock=time.process_time):
    """The same cases, each returning its own CPU time by ``clock`` (``time_interleaved``
    takes a returned float as the call's own time). ``time.process_time`` sums all threads;
    ``time.thread_time`` counts the calling thread only. With one thread either is the work
    done, whatever else runs on the machine."""
    def timed(fn):
        def run():
            t0 = clock()
            fn()
            return clock() - t0
        return run
    return {k: timed(fn) for k, fn in cases.items()}


def as_dict(stats):
    """``(min, median, spread)`` -> ``{"min_s", "median_s", "spread"}``."""
    return dict(zip(("min_s", "median_s", "spread"), stats))


def meta(threads, **extra):
    """Date, versions, CPU, threads and load average at the start of a run."""
    import numba
    from threadpoolctl import threadpool_info
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                if ln.startswith("model name")), platform.processor())
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    return {"date": datetime.datetime.now().isoformat(timespec="seconds"),
            "python": platform.python_version(), "numpy": np.__version__,
            "numba": numba.__version__, "blas": f"{blas['name']} {blas['version']}",
            "cpu": cpu, "cpu_count": os.cpu_count(), "threads": threads,
            "threadpool_info": threadpool_info(), "loadavg_start": os.getloadavg(), **extra}


def finish(out, spread, path=None):
    """Warn if the timings were noisy (``spread`` > 1.3) and write ``out`` to ``path``."""
    if spread > 1.3:
        print(f"WARNING: block medians of a case differ up to {spread:.1f}x: other processes "
              "shared the cores; trust 'best' over 'median', or rerun on an idle machine.")
    if path:
        Path(path).write_text(json.dumps(out, indent=1, default=str))
    return out


def busy_process():
    """Start one other CPU-bound process (``while True: pass``); the caller kills it."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def alone_and_loaded(variants, rounds, pause=0.5):
    """``{name: {"alone": [s, ...], "loaded": [s, ...]}}``: wall seconds of each variant's
    call, in ``rounds`` alternating rounds run alone and beside :func:`busy_process`.
    Every variant is called once first, untimed (compilation, caches)."""
    times = {k: {"alone": [], "loaded": []} for k in variants}
    for fn in variants.values():
        fn()
    for _ in range(rounds):
        for state in ("alone", "loaded"):
            proc = busy_process() if state == "loaded" else None
            try:
                time.sleep(pause)
                for k, fn in variants.items():
                    t0 = time.perf_counter()
                    fn()
                    times[k][state].append(time.perf_counter() - t0)
            finally:
                if proc is not None:
                    proc.kill()
                    proc.wait()
    return times
