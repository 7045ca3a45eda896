"""How many BLAS threads a training run uses, chosen from the size of its matrix products.

OpenBLAS splits every product across its threads and the threads wait for each other at
the end of it. On a machine whose cores are also busy with something else (a second run,
a browser), one of the threads is often descheduled and the others spin until it is back;
for the short products of a minibatch step that wait is longer than the product itself.
Measured on a shared 2-core machine (``benchmarks/README.md``, training-step section): an
epoch of 784-800-800-10 at batch 64 took 9x longer with two BLAS threads than with one,
and with one thread it slowed 2.0x when one more CPU-bound process ran; at batch 1024,
with two threads, 1.5x. Two threads pay only when each product is long enough to hide a
scheduling delay of a few milliseconds.

:func:`blas_threads` therefore gives one thread unless the largest product of a step has at
least :data:`MIN_FLOP_PER_THREAD` floating-point operations per extra thread, and never
more threads than the BLAS library is already allowed (an outer ``threadpool_limits`` or
``OPENBLAS_NUM_THREADS`` is respected). :func:`nplearn.train.train` applies it with
``threadpoolctl`` for the duration of the run.

The spiking net runs its layers above the first on ``T n`` rows (every time step's spikes
at once), and :func:`largest_product_flop` counts them: its second conv layer at 1x28x28,
``T = 4``, batch 128 is a 0.92 GFLOP product, so it gets two threads. The spiking rules
(``row_halves``) spend them differently: :func:`limited` gives BLAS one thread and runs the
batch's two halves side by side (:mod:`nplearn.rules.halves`). Measured on an idle 2-core
Xeon (2026-12-03, ``benchmarks/bench_snn.py``, batch 128, float32): the halves side by
side ran the step 1.6-2.0x faster than one thread (two BLAS threads on the whole batch:
1.0-1.4x), and slowed 1.4-1.7x beside one other CPU-bound process (two BLAS threads:
1.9-2.4x). The numbers do not depend on the threads: the halves are computed on one
thread too, one after the other.
"""
import contextlib
import functools
import os

from threadpoolctl import ThreadpoolController

#: Floating-point operations of the largest product of one step, per BLAS thread beyond
#: the first, below which extra threads are not used (about 5 ms of one core's GEMM).
MIN_FLOP_PER_THREAD = 5e8


def largest_product_flop(model, batch_size):
    """FLOPs of the largest matrix product of one forward pass at ``batch_size``.

    A dense layer ``W_l`` of shape ``(n_l, n_{l-1})`` costs ``2 n n_l n_{l-1}``; a conv
    kernel additionally runs at every output pixel (``model.conv_shapes[l]``). A network run
    for ``model.time_steps`` steps (the spiking net) multiplies the rows of every layer but
    the first by ``T``: layer 1 sees the same image at every step and computes its current
    once, the layers above it see new spikes at every step, stacked as ``T n`` rows.
    """
    conv_shapes = getattr(model, "conv_shapes", None)
    steps = int(getattr(model, "time_steps", 1))
    best = 0.0
    for k, p in model.params.items():
        l = int(k[1:]) if k[1:].isdigit() else None
        flop = 2.0 * batch_size * p.size * (steps if l is not None and l > 1 else 1)
        if p.ndim == 4 and conv_shapes is not None and l is not None:
            _, Ho, Wo = conv_shapes[l]
            flop *= Ho * Wo
        best = max(best, flop)
    return best


def _load_blas():
    """Load SciPy's OpenBLAS now: Numba's ``@`` (the Hopfield and spiking kernels) calls it,
    not NumPy's, and a library loaded after the limit is set would escape it."""
    try:
        import scipy.linalg.cython_blas  # noqa: F401
    except ImportError:
        pass


@functools.lru_cache(maxsize=None)
def _controller():
    """One ``threadpoolctl`` controller per process: finding the libraries reads the
    process's memory map (milliseconds); limiting them afterwards takes microseconds."""
    _load_blas()
    return ThreadpoolController()


def blas_limit():
    """Threads the loaded BLAS libraries may use now (the smallest of their limits)."""
    counts = [d["num_threads"] for d in _controller().info() if d["user_api"] == "blas"]
    return min(counts) if counts else 1


def blas_threads(model, batch_size, available=None):
    """BLAS threads for training ``model`` at ``batch_size`` (module docstring).

    ``available`` defaults to the smaller of the usable cores and :func:`blas_limit`.
    """
    if available is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        available = min(cores or 1, blas_limit())
    extra = int(largest_product_flop(model, batch_size) // MIN_FLOP_PER_THREAD)
    return max(1, min(int(available), 1 + extra))


@contextlib.contextmanager
def limited(n_threads, halves=False):
    """Context manager: the BLAS libraries use ``n_threads`` threads inside it, and Numba's
    parallel kernels one thread.

    With ``halves`` (a rule with ``row_halves``, whose updates run on the two halves of the
    batch, :mod:`nplearn.rules.halves`), the threads go to the halves instead: BLAS gets one,
    and the halves run side by side when ``n_threads >= 2``. Measured on an idle 2-core Xeon
    (2026-12-03, ``benchmarks/bench_snn.py``): see ``benchmarks/README.md``, spiking network.

    Never both pools at two threads: on 2 cores their idle threads spin while the other
    pool works. Measured on an idle 2-core machine (2026-12-02, one ``snn_bp`` training step,
    batch 128, float32): 85 ms with 1 BLAS and 1 Numba thread, 67 ms with 2 BLAS and 1 Numba,
    78 ms with 1 BLAS and 2 Numba, and 570 ms with 2 and 2. The products are the larger
    share of every step, so the threads go to BLAS.
    """
    import numba

    from ..rules.halves import side_by_side
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    blas, rows = (1, n_threads) if halves else (n_threads, 1)
    try:
        with _controller().limit(limits=int(blas), user_api="blas"), side_by_side(rows):
            yield
    finally:
        numba.set_num_threads(before)
