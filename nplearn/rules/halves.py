"""One minibatch's update directions computed on its two halves, side by side on two cores.

A rule whose directions are batch means of per-row terms (the spiking rules: every row's
forward pass, backward pass and loss are its own; the weights' gradients are sums over the
rows divided by ``n``) gets the same directions from the two halves of the batch::

    g = (n_0 / n) g(rows 0 .. n_0-1) + (n_1 / n) g(rows n_0 .. n-1),   n_0 = ceil(n / 2)

equal to the whole batch's up to rounding (the sums over rows are added in another order).
The halves are ALWAYS computed, whatever the number of threads, so that a seed gives the
same numbers on one core and on two: :func:`side_by_side` only decides whether they run one
after the other (the default) or in two threads at once. They can run at once because every
kernel they call releases the GIL (NumPy's products and loops, the Numba kernels of
:mod:`nplearn.nn.conv` and :mod:`nplearn.snn.neurons`, compiled with ``nogil=True``).

Why: the spiking net's step is many mid-sized products and element-wise kernels, which a
second BLAS thread speeds up by 1.1-1.2x (``benchmarks/README.md``, spiking network); two
halves on two cores with one BLAS thread each: 1.6-2.0x (2026-12-03, idle Xeon).
"""
import contextlib
import contextvars
from concurrent.futures import ThreadPoolExecutor

_workers = 1
_pool = None


@contextlib.contextmanager
def side_by_side(n_threads):
    """Context manager: inside it, :func:`in_halves` runs the two halves in two threads if
    ``n_threads >= 2`` (one after the other otherwise). Set by
    :func:`nplearn.train.threads.limited`."""
    global _workers
    before, _workers = _workers, min(2, max(1, int(n_threads)))
    try:
        yield
    finally:
        _workers = before


def _executor():
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="nplearn-half")
    return _pool


def in_halves(updates, x, Y, stats=None):
    """``updates(x_part, Y_part, stats_part) -> g`` on the two halves, combined (module
    docstring).

    Parameters
    ----------
    updates : callable
        The rule's directions of one batch: a dict name -> array, each a mean over the rows.
    x, Y : ndarray of shape (n, ...)
        The batch; a batch of one row is not split.
    stats : dict, optional
        Filled as the whole batch's: ``"n_errors"`` summed, every other number (the loss)
        weighted by the halves' rows.

    Returns
    -------
    dict
        The combined directions.
    """
    n = x.shape[0]
    if n < 2:
        return updates(x, Y, stats)
    n0 = (n + 1) // 2
    parts = (slice(0, n0), slice(n0, n))
    part_stats = [None if stats is None else {} for _ in parts]

    def half(i):
        return updates(x[parts[i]], Y[parts[i]], part_stats[i])

    if _workers >= 2:                       # NumPy's errstate lives in the caller's context
        futures = [_executor().submit(contextvars.copy_context().run, half, i) for i in (0, 1)]
        g0, g1 = (f.result() for f in futures)
    else:
        g0, g1 = half(0), half(1)
    w0, w1 = n0 / n, (n - n0) / n
    g = {k: w0 * g0[k] + w1 * g1[k] for k in g0}       # mean over n from the halves' means
    if stats is not None:
        s0, s1 = part_stats
        for k in s0:
            stats[k] = s0[k] + s1[k] if k == "n_errors" else w0 * s0[k] + w1 * s1[k]
    return g
