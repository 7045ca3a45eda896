"""Keep freed memory in the process, so that a training step does not page-fault its arrays.

A training step of a conv or spiking network allocates and frees arrays of tens of
megabytes (patch matrices, the voltages of every step, their gradients). With glibc's
default settings, ``free`` hands the top of the heap back to the operating system as soon
as more than a few megabytes of it are unused, and the next step's ``np.empty`` takes it
back page by page: every 4 KiB page is a page fault in which the kernel zeroes the page.
Measured on the 2-core test machine (``benchmarks/README.md``, spiking network): the
``snn_bp`` step at batch 128 took about 8,000 page faults, 35-50 ms of system time, a
quarter of the step; with :func:`retain_freed_memory` it took none and the resident size
was the same (the peak is the peak either way; only its re-use changes).

:func:`retain_freed_memory` sets glibc's ``M_TOP_PAD`` (grow the heap by this much more
than asked, and keep that much free at its top) and ``M_TRIM_THRESHOLD`` (return memory to
the system only when more than this is free at the top), and ``M_ARENA_MAX`` to 1: the
threads that run a batch's two halves (:mod:`nplearn.rules.halves`) then allocate from this
same kept heap; each in an arena of its own, they page-faulted about 10,000 times a
``snn_bp`` step at batch 128 (measured 2026-12-03, Intel Xeon). It is called once per process by
:func:`nplearn.train.train_step` (so also by :func:`nplearn.train.train` and the
estimators). It changes no number, only where the memory comes from. On a C library other
than glibc it does nothing; ``NPLEARN_KEEP_MEMORY=0`` in the environment turns it off.
"""
import ctypes
import ctypes.util
import functools
import os

#: Bytes of freed heap the process keeps (``M_TOP_PAD``) and above which it gives memory
#: back (``M_TRIM_THRESHOLD``).
TOP_PAD, TRIM_THRESHOLD = 256 << 20, 512 << 20
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_ARENA_MAX = -1, -2, -8   # glibc's <malloc.h>


@functools.lru_cache(maxsize=None)
def retain_freed_memory(top_pad=TOP_PAD, trim_threshold=TRIM_THRESHOLD):
    """Ask glibc's ``malloc`` to keep up to ``trim_threshold`` bytes of freed heap.

    Returns ``True`` if the settings were applied, ``False`` if not (not glibc, or
    ``NPLEARN_KEEP_MEMORY=0``). Runs once per process for each pair of values.
    """
    if os.environ.get("NPLEARN_KEEP_MEMORY", "1") == "0":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version                      # glibc only: mallopt's codes are its own
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_TOP_PAD, int(top_pad)) and mallopt(_M_TRIM_THRESHOLD,
                                                              int(trim_threshold))
                and mallopt(_M_ARENA_MAX, 1))
