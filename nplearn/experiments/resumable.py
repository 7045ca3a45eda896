"""One training run that survives interruption: an epoch at a time, a checkpoint after each.

>>> from nplearn import load_dataset
>>> from nplearn.experiments.resumable import train_resumable
>>> d = load_dataset("digits")
>>> kw = {"rule": "dfa", "hidden_sizes": (50,), "epochs": 4}
>>> run, clf = train_resumable(kw, 0, d, "runs/dfa-seed0", epochs=2)          # doctest: +SKIP
>>> run, clf = train_resumable(kw, 0, d, "runs/dfa-seed0", resume=True)       # doctest: +SKIP

``kwargs["epochs"]`` is the run's budget: the learning-rate schedule spans it. ``epochs``
stops the run earlier, so a short run is exactly the beginning of the full one, and a later
call with ``resume=True`` continues it from its last checkpoint to a larger ``epochs`` with
the numbers an uninterrupted run gives (``Classifier.save``/``load`` are exact and
``partial_fit`` is one epoch of ``fit``). Files, for ``path = DIR/seed0``:

* ``seed0.npz``, ``seed0.json``: the :meth:`~nplearn.Classifier.save` checkpoint, every
  epoch;
* ``seed0-best.npz``, ``seed0-best.json``: the model of the epoch with the lowest validation
  error so far (``keep_best``: EFP keeps the best model);
* ``seed0.run.json``: status (``ok``/``diverged``), its message, and the wall time of every
  epoch; written before the checkpoint, so it is never behind it.
"""
import json
import math
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..estimator import Classifier
from ..train import DivergenceError, atomic_write
from .compare import _plain

LOG_EVERY = 600     # seconds between progress lines within an epoch, off a terminal

@contextmanager
def out_lock(out_dir):
    """Hold ``out_dir/.lock`` exclusively while the block runs (``None``: no lock); a second
    process writing to the same folder gets a ValueError instead of mixing its runs in. The
    lock goes with the process, so an interrupted run leaves none behind."""
    if out_dir is None:
        yield
        return
    try:
        import fcntl
    except ImportError:                      # Windows: no lock
        yield
        return
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(out_dir) / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ValueError(f"another process is writing to {out_dir}; wait for it or "
                             "choose another output folder") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def checkpoint_exists(path):
    """Whether ``<path>.json`` (a checkpoint or a run record) exists."""
    path = Path(path)
    return path.with_suffix(".json").exists() or _record_path(path).exists()


def train_resumable(kwargs, seed, data, path=None, epochs=None, keep_best=False, resume=False,
                    progress=None, label=""):
    """Train ``Classifier(**kwargs, random_state=seed)`` on ``data`` one epoch at a time.

    Parameters
    ----------
    kwargs : dict
        ``Classifier`` arguments but ``random_state`` and ``verbose``; ``epochs`` is the budget.
    seed : int
    data : nplearn.data.Dataset
        Trains on ``x_train``; ``x_val`` and ``x_test`` are scored after every epoch.
    path : str or path-like, optional
        Checkpoint prefix (see the module docstring); ``None``: nothing is written.
    epochs : int, optional
        Stop after this many epochs of the budget (default: the whole budget).
    keep_best : bool
        Also save the model of the best validation epoch to ``<path>-best``.
    resume : bool
        Continue from ``path``'s checkpoint if there is one. Its settings must be
        ``kwargs`` and ``seed`` (ValueError otherwise).
    progress : bool, optional
        A progress bar over the batches with an ETA (True), one line per epoch on stderr
        (None when stderr is not a terminal; a bar when it is), or nothing (False).
    label : str
        Names the run in the progress output.

    Returns
    -------
    run : dict
        ``rule, seed, status ("ok" or "diverged"), message, test_error, val_error,
        train_error`` (last epoch run, fractions), ``best`` (``epoch`` and the three errors
        at the epoch of lowest validation error) or ``None``, ``seconds`` (wall time of the
        epochs, evaluation included), ``epochs`` (run), ``budget``, ``history`` (up to the
        epochs run) and compare's ``record`` fields (``None``).
    clf : Classifier
    """
    budget = int(kwargs["epochs"])
    target = budget if epochs is None else min(int(epochs), budget)
    if target < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    path = None if path is None else Path(path)
    if path is not None and not resume and checkpoint_exists(path):
        raise ValueError(f"{path.parent} already holds run {path.name}; resume it "
                         "(resume=True, --resume) or write to another folder")
    record = _read_record(path) if path is not None else _read_record(None)
    if path is not None and path.with_suffix(".json").exists():
        clf = _load(path, kwargs, seed)
        done = len(clf.history_["epoch"])
        # the record is written before the checkpoint: at most one epoch ahead of it
        record["wall"] = (record["wall"] + clf.history_["time"][len(record["wall"]):])[:done]
    else:
        clf = Classifier(**kwargs, random_state=seed, verbose=False)
        done, record["wall"] = 0, []
    if record["status"] == "diverged" and done >= target:
        record.update(status="ok", message=None)   # it diverged after the epochs asked for
    if record["status"] == "ok" and done < target:
        record = _train(clf, data, path, done, target, keep_best, record, progress,
                        label or f"{kwargs['rule']} seed {seed}")
    return _summary(clf, kwargs["rule"], seed, record, target, budget), clf


def _train(clf, data, path, done, target, keep_best, record, progress, label):
    n_batches = math.ceil(len(data.y_train) / clf.batch_size)
    bar = _Bar(label, done, target, n_batches, progress)
    sets = {"val": (data.x_val, data.y_val), "test": (data.x_test, data.y_test)}
    classes = np.arange(data.n_classes)
    try:
        for epoch in range(done, target):
            t0 = time.perf_counter()
            try:
                clf.partial_fit(data.x_train, data.y_train, classes=classes, eval_sets=sets,
                                callbacks=[bar])
            except DivergenceError as err:
                record = {**record, "status": "diverged", "message": str(err)}
                if path is not None:
                    _write_record(path, record)
                break
            record = {**record, "wall": record["wall"] + [time.perf_counter() - t0]}
            bar.epoch_done(epoch + 1, clf.history_, record["wall"])
            if path is not None:
                if keep_best and _best_epoch(clf.history_) == epoch:
                    clf.save(_best_path(path))
                _write_record(path, record)             # before the checkpoint: never behind
                clf.save(path)
    finally:
        bar.close()
    return record


def _summary(clf, rule, seed, record, target, budget):
    run = {"rule": rule, "seed": seed, "status": record["status"], "message": record["message"],
           "epochs": None, "budget": budget, "history": None, "best": None,
           "seconds": float(sum(record["wall"][:target])), "record": None,
           "record_seconds": None, "record_overhead": None,
           **{f"{k}_error": None for k in ("test", "val", "train")}}
    h = getattr(clf, "history_", None)
    if record["status"] != "ok" or not h:
        return run
    h = {k: v[:target] for k, v in h.items()}                 # a longer checkpoint: its start
    run.update(epochs=len(h["epoch"]), history=h,
               **{f"{k}_error": h[f"{k}_error"][-1] for k in ("test", "val", "train")})
    b = _best_epoch(h)
    if b is not None:
        run["best"] = {"epoch": b + 1, **{f"{k}_error": h[f"{k}_error"][b]
                                          for k in ("test", "val", "train")}}
    return run


def _best_epoch(history):
    """Index of the first epoch with the lowest validation error (None without one)."""
    val = [np.inf if v is None else v for v in history["val_error"]]
    return int(np.argmin(val)) if val and np.isfinite(min(val)) else None


def _load(path, kwargs, seed):
    clf = Classifier.load(path)
    want = _plain(Classifier(**kwargs, random_state=seed, verbose=False).get_params())
    have = _plain(clf.get_params())
    diff = [f"{k}: {have.get(k)!r} there, {want.get(k)!r} now"
            for k in sorted(set(want) | set(have)) if want.get(k) != have.get(k)]
    if diff:
        raise ValueError(f"checkpoint {path.with_suffix('.json')} was trained with other "
                         f"settings ({'; '.join(diff)}); resume it with the settings it was "
                         "made with, or write to another folder")
    return clf


def _record_path(path):
    return path.with_name(path.name + ".run.json")


def _best_path(path):
    return path.with_name(path.name + "-best")


def _read_record(path):
    p = None if path is None else _record_path(path)
    if p is None or not p.exists():
        return {"status": "ok", "message": None, "wall": []}
    try:
        record = json.loads(p.read_text())
        assert record["status"] in ("ok", "diverged") and isinstance(record["wall"], list)
        return record
    except (ValueError, KeyError, AssertionError, TypeError):
        raise ValueError(f"run record {p} is corrupt; delete it to continue from the "
                         "checkpoint beside it") from None


def _write_record(path, record):
    text = json.dumps(record, indent=1)
    atomic_write(_record_path(path), lambda fh: fh.write(text.encode()))


class _Bar:
    """The progress of one run: a tqdm bar over its batches (ETA), or log lines: one per
    epoch, and one every :data:`LOG_EVERY` seconds within an epoch (EFP's take hours)."""

    def __init__(self, label, done, target, n_batches, progress):
        self.label, self.target, self.n_batches = label, target, n_batches
        tty = getattr(sys.stderr, "isatty", lambda: False)()
        self.mode = ("bar" if progress or (progress is None and tty) else
                     "log" if progress is None else "off")
        self.bar = None
        if self.mode == "bar":
            self.bar = tqdm(total=target * n_batches, initial=done * n_batches, unit="batch",
                            desc=f"{label} epoch {done + 1}/{target}", leave=False,
                            dynamic_ncols=True)
        self.epoch, self.batches, self.t0 = done, 0, time.perf_counter()
        self.last = self.t0

    def on_batch_end(self, state):
        if self.bar is not None:
            self.bar.update(1)
        elif self.mode == "log":
            self.batches += 1
            now = time.perf_counter()
            if now - self.last >= LOG_EVERY:
                self.last = now
                rate = self.batches / (now - self.t0)              # batches per second
                left = (self.target - self.epoch) * self.n_batches - self.batches
                print(f"{self.label}: epoch {self.epoch + 1}/{self.target}, batch "
                      f"{self.batches}/{self.n_batches}, {rate:.3g} batches/s, ETA "
                      f"{_hms(left / rate)}", file=sys.stderr, flush=True)

    def epoch_done(self, epoch, history, wall):
        val, test = history["val_error"][-1], history["test_error"][-1]
        errors = ", ".join(f"{k} {100 * v:.2f} %" for k, v in (("val", val), ("test", test))
                           if v is not None)
        if self.bar is not None:
            self.bar.set_description(f"{self.label} epoch {min(epoch + 1, self.target)}/"
                                     f"{self.target}")
            self.bar.set_postfix_str(errors)
        elif self.mode == "log":
            eta = np.mean(wall) * (self.target - epoch)
            print(f"{self.label}: epoch {epoch}/{self.target}, {errors}, {wall[-1]:.0f} s, "
                  f"ETA {_hms(eta)}", file=sys.stderr, flush=True)
            self.epoch, self.batches, self.t0 = epoch, 0, time.perf_counter()

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _hms(seconds):
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"
