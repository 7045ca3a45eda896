"""Compare learning rules: every rule for every seed on one dataset, summarised and plotted.

>>> from nplearn.experiments import compare, format_table
>>> result = compare("digits", rules=["bp", "dfa"], seeds=(0,), epochs=2, embed="pca")
>>> print(format_table(result["summary"]))  # doctest: +SKIP

The dataset is a built-in name, the path of an ``.npz`` file of your own, a
:class:`~nplearn.data.Dataset`, or arrays: ``compare(X, y, rules=[...])``. The result
records which data it was made from (:meth:`nplearn.data.Dataset.info`: name, sizes,
source, sha256 of a file or arrays of your own, splits), and so do ``runs.json``,
``results.csv`` and ``report.html``; :func:`format_dataset` says it in words.

All runs share one train/validation/test split (validation seed 0), so the seeds vary
only the weights, the feedback matrices, the shuffling and dropout. Besides the errors,
each run records (unless ``record=False``) the alignment angles and weight norms of
:class:`nplearn.analysis.AlignmentRecorder` on one fixed, stratified probe of 128
training samples, once per epoch by default; the first seed of each rule maps a
stratified subset of the test set, in the input and in every hidden layer, to 2-D
(DFA paper, Fig. 3) and scores how separated the classes are there (5-NN accuracy).

The presets (:data:`nplearn.experiments.PRESETS`) are this experiment's own documented
settings, chosen on the digits validation split; they are not ``Classifier``'s defaults,
which ``nplearn train`` uses. Runs go one after the other, each on the BLAS threads
:func:`nplearn.train.train` chooses, recorded as ``blas_threads`` so the ``time`` column
says what it measured; the maps and scores after training run on one thread.
"""
import csv
import dataclasses
import io
import json
import math
import os
import time
from datetime import datetime
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits
from tqdm.auto import tqdm

from .. import __version__
from ..analysis import AlignmentRecorder, embed as embed_2d, knn_accuracy
from ..data import Dataset, load_dataset
from ..data import user
from ..data.split import stratified_split
from ..estimator import Classifier
from ..train import DivergenceError, atomic_write
from .presets import DEFAULT_RULES, settings
from .figures import save_embeddings, save_figures
from .report import recording_line, summary_table, write_report

SPLITS = ("test", "val", "train")
EMBED_METHODS = ("tsne", "pca", "none")
PROBE_SIZE = 128    # training samples the AlignmentRecorder measures on (256 cost 18 % of fit time on digits, 128 about half)
KNN_K = 5           # neighbours of the "how separated are the classes" score
HIST_BINS = 100     # at most this many bins per final-weight histogram, shared by all runs
NOT_SAVED = ("files", "embedding_coords")   # result keys kept out of runs.json
#: ``result["dataset"]`` keys repeated on every row of results.csv as ``dataset``,
#: ``dataset_source``, ``dataset_sha256``, ``dataset_n_train``, ...
CSV_DATA = ("name", "source", "sha256", "n_train", "n_val", "n_test", "n_features", "n_classes")


def compare(dataset="digits", y=None, rules=None, seeds=(0, 1, 2), epochs=None,
            hidden_sizes=None, out_dir=None, data_dir=None, progress=None, record=True,
            record_every=None, embed="tsne", embed_samples=500, **overrides):
    """Train each rule with its preset once per seed; record, summarise and save.

    Parameters
    ----------
    dataset : str, path-like, Dataset or array-like, default "digits"
        A name or an ``.npz`` path accepted by :func:`nplearn.load_dataset`; a
        :class:`~nplearn.data.Dataset` (e.g. from :func:`nplearn.data.from_arrays`, to
        give a test split of your own); or the inputs ``X`` of ``compare(X, y)``, of shape
        ``(n, n_features)`` (or images), of which a stratified 20 % is held out for
        testing with seed 0, then 10 % of the rest for validation (seed 0). Your own data
        are used as given, not rescaled.
    y : array-like of shape (n,), optional
        Integer labels of ``X``; only with arrays.
    rules : sequence of str, optional
        Rule names; default :data:`nplearn.experiments.presets.DEFAULT_RULES`, every rule in
        :data:`nplearn.rules.RULES` but the spiking ones.
    seeds : sequence of int, default (0, 1, 2)
        ``random_state`` of each run.
    epochs : int, optional
        Overrides every preset's epochs.
    hidden_sizes : tuple of int, optional
        Overrides every preset's hidden layers.
    out_dir : str or path-like, optional
        If given, write ``results.csv``, ``runs.json``, ``embeddings.npz``, every
        figure as PNG and SVG (:data:`nplearn.experiments.figures.FIGURES`) and the
        self-contained ``report.html``.
    data_dir : str or path-like, optional
        Folder of downloaded datasets (see :func:`nplearn.data.data_home`).
    progress : bool, optional
        Progress bar over the runs; ``None``: only on a terminal.
    record : bool, default True
        Attach an :class:`~nplearn.analysis.AlignmentRecorder` to every run.
    record_every : int, optional
        Optimiser steps between records; default one epoch, ``ceil(n_train / batch_size)``.
        The first and the last step are always recorded.
    embed : {"tsne", "pca", "none"}, default "tsne"
        2-D map of the input and hidden layers for the first seed of each rule.
    embed_samples : int, default 500
        At most this many test samples (stratified) in the maps.
    **overrides
        Further ``Classifier`` kwargs for every rule (e.g. ``learning_rate=1e-4``).

    Returns
    -------
    dict
        ``nplearn_version``, ``date``, ``dataset`` (:meth:`nplearn.data.Dataset.info`:
        name, source, sha256, split sizes, features, classes, image shape, input range,
        splits), ``seeds``,
        ``settings`` (rule -> the exact ``Classifier`` kwargs), ``record`` (probe
        size, steps between records and per epoch, per rule; mean overhead) or
        ``None``, ``embedding`` (method, samples, columns, class names, 5-NN
        accuracies per rule and column) or ``None``, ``weight_bins`` (layer -> bin
        edges), ``runs`` (one dict per rule and seed: ``rule, seed, status``
        ("ok" or "diverged"), ``message, test_error, val_error, train_error``
        (fractions, last epoch), ``seconds`` (fit wall time, recording included),
        ``blas_threads`` (during the fit), ``epochs, history, record`` (the recorder's
        history), ``record_seconds,
        record_overhead`` (``record_seconds / seconds``), ``weight_hist`` (layer ->
        counts), ``knn``), ``summary`` (rule -> means over the finished runs, see
        :func:`format_table`), ``embedding_coords`` (labels, test-set indices and
        the maps; not in ``runs.json``, in ``embeddings.npz``) and, with
        ``out_dir``, ``files``.
    """
    rules = list(dict.fromkeys(DEFAULT_RULES if rules is None else rules))
    seeds = [int(s) for s in seeds]
    if not rules or not seeds:
        raise ValueError("compare needs at least one rule and one seed")
    if embed not in EMBED_METHODS:
        raise ValueError(f"embed must be one of {', '.join(EMBED_METHODS)}, got {embed!r}")
    if record_every is not None and int(record_every) < 1:
        raise ValueError(f"record_every must be >= 1, got {record_every}")
    kwargs = {r: settings(r, epochs=epochs, hidden_sizes=hidden_sizes, **overrides) for r in rules}
    data = get_data(dataset, y, data_dir, kwargs[rules[0]]["dtype"])
    for kw in kwargs.values():
        if kw.get("conv") and kw.get("image_shape") is None:
            kw["image_shape"] = conv_image_shape(data)     # conv layers see (C, H, W) images
    n_train = len(data.y_train)
    per_epoch = {r: math.ceil(n_train / kwargs[r]["batch_size"]) for r in rules}
    every = {r: int(record_every or per_epoch[r]) for r in rules}
    probe = _subset(data.x_train, data.y_train, PROBE_SIZE)[:2] if record else None
    shown = None if embed == "none" else _subset(data.x_test, data.y_test, embed_samples,
                                                  need=2 * data.n_classes)
    jobs = [(r, s) for r in rules for s in seeds]
    bar = tqdm(jobs, desc="compare", unit="run", leave=False,
               disable=None if progress is None else not progress)
    runs, finals, maps, input_map = [], [], {}, None
    for rule, seed in bar:
        bar.set_postfix_str(f"{rule} seed {seed}")
        run, clf = _run(seed, kwargs[rule], data, probe, every[rule])
        run["knn"] = None
        runs.append(run)
        finals.append(clf.model_.params if run["status"] == "ok" else None)
        if shown is not None and seed == seeds[0] and run["status"] == "ok":
            bar.set_postfix_str(f"{rule}: {embed} of every layer")
            with threadpool_limits(1):          # small products; threads only contend
                input_map = input_map if input_map is not None else embed_2d(shown[0], embed)
                maps[rule], run["knn"] = _layer_maps(clf.model_, shown, embed, input_map)
    bins = _weight_bins(finals)
    for run, params in zip(runs, finals):
        run["weight_hist"] = None if params is None else {
            k: np.histogram(params[k], bins=e)[0] for k, e in bins.items() if k in params}
    result = {
        "nplearn_version": __version__,
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "dataset": data.info(),
        "seeds": seeds,
        "settings": kwargs,
        "record": None if probe is None else {
            "probe_size": len(probe[1]), "every": every, "steps_per_epoch": per_epoch,
            "overhead_mean": _mean([r["record_overhead"] for r in runs])},
        "embedding": None if shown is None else {
            "method": embed, "n_samples": len(shown[1]), "seed": seeds[0], "k": KNN_K,
            "columns": [_column(j) for j in range(max(map(len, maps.values()), default=0))],
            "label_names": [str(n) for n in data.label_names],
            "knn": {r["rule"]: r["knn"] for r in runs if r.get("knn")}},
        "weight_bins": bins,
        "runs": runs,
        "summary": _summarize(runs, rules),
    }
    if maps:
        result["embedding_coords"] = {"labels": shown[1], "index": shown[2], "maps": maps}
    if out_dir is not None:
        result["files"] = [str(p) for p in _write(result, Path(out_dir))]
    return result


def format_table(summary, runs=None):
    """The terminal table of a ``compare(...)["summary"]``: :func:`nplearn.experiments.report.summary_table`
    (errors in %, mean ± std over seeds for test, validation and training; an epochs column
    with ``runs``)."""
    return summary_table(summary, runs)


def format_overhead(result):
    """One line on what recording measured and cost: :func:`nplearn.experiments.report.recording_line`."""
    return recording_line(result)


def format_threads(result):
    """One line saying what the ``time (s)`` column measured: runs and BLAS threads."""
    n = sorted({r["blas_threads"] for r in result["runs"] if r.get("blas_threads")})
    threads = ("on " + " or ".join(map(str, n)) + f" BLAS thread{'s' * (n != [1])}" if n else
               "BLAS threads unknown")
    return f"time (s): fit wall time per run, one run at a time, {threads}"


def format_dataset(d):
    """Lines saying which data a result was made from: name, sizes, source, sha256, splits.

    Parameters
    ----------
    d : dict
        ``result["dataset"]`` (:meth:`nplearn.data.Dataset.info`); keys missing from an
        older ``runs.json`` are left out.
    """
    shape = (f"images {tuple(d['image_shape'])}" if d.get("image_shape") else
             f"{d['n_features']} features")
    lines = [f"data: {d['name']}, {d['n_train']} train / {d['n_val']} val / {d['n_test']} "
             f"test, {shape}, {d['n_classes']} classes"]
    if d.get("source"):
        lines.append(f"  from {d['source']}" + (f", sha256 {d['sha256']}" if d.get("sha256")
                                                  else ""))
    if d.get("splits"):
        lines.append(f"  {d['splits']}")
    return "\n".join(lines)


def get_data(dataset, y=None, data_dir=None, dtype="float64"):
    """The :class:`~nplearn.data.Dataset` of ``compare``'s ``dataset`` (and ``y``), in ``dtype``.

    A name or path goes to :func:`nplearn.load_dataset`, a ``Dataset`` is used as it is
    (its inputs cast to ``dtype``), arrays ``X, y`` are checked as a file would be and split
    as :func:`nplearn.data.from_arrays` splits them; each error names ``X`` or ``y``.
    """
    if isinstance(dataset, (str, os.PathLike, Dataset)):
        if y is not None:
            raise ValueError(f"y is only for compare(X, y) on arrays; with a dataset "
                             f"{'name or path' if not isinstance(dataset, Dataset) else 'object'}"
                             ", give no y (and pass rules=[...] by keyword)")
        if not isinstance(dataset, Dataset):
            return load_dataset(dataset, data_dir=data_dir, dtype=dtype)
        if dataset.x_train.dtype == np.dtype(dtype):
            return dataset
        return dataclasses.replace(dataset, **{f"x_{k}": getattr(dataset, f"x_{k}").astype(dtype)
                                               for k in ("train", "val", "test")})
    if y is None:
        raise ValueError("compare(X, y): X was given without its labels y; or give a dataset "
                         "name, an .npz path or a nplearn.data.Dataset")
    given = {"x_train": dataset, "y_train": y}
    arrays = user.check_arrays(given, where="compare(X, y)", names={"x_train": "X",
                                                                     "y_train": "y"})
    return user.build("arrays", arrays, source="arrays X, y", sha256=user.arrays_sha256(given),
                      dtype=dtype)


def conv_image_shape(data):
    """``data.image_shape`` for conv layers; ``ValueError`` saying how to give one if tabular."""
    if data.image_shape is None:
        raise ValueError(f"conv layers need images, and {data.name!r} holds "
                         f"{data.n_features} features per sample with no image_shape: store "
                         "image_shape=(channels, height, width) in the .npz (or images of shape "
                         "(n, C, H, W)), pass --image-shape C H W, or drop --conv")
    return data.image_shape


def write_json(path, obj):
    """Write ``obj`` as indented JSON to ``path``, atomically; NaN and inf become ``null``."""
    text = json.dumps(_plain(obj), indent=1, allow_nan=False)
    atomic_write(path, lambda fh: fh.write(text.encode()))


class BlasThreads:
    """Training callback: ``n``, the BLAS threads in effect at the end of the first epoch.

    Read inside the training loop, so it sees what :func:`nplearn.train.train` chose; read
    once (``threadpool_info`` takes about 2 ms, a tenth of a digits epoch).
    """

    def __init__(self):
        self.n = None

    def on_epoch_end(self, state):
        if self.n is None:
            self.n = max((p["num_threads"] for p in threadpool_info()
                          if p["user_api"] == "blas"), default=None)


def _run(seed, kwargs, data, probe, every):
    clf = Classifier(**kwargs, random_state=seed, verbose=False)
    rec = None if probe is None else AlignmentRecorder(*probe, every=every, max_samples=PROBE_SIZE)
    threads = BlasThreads()
    run = {"rule": kwargs["rule"], "seed": seed, "status": "ok", "message": None}
    t0 = time.perf_counter()
    try:
        clf.fit(data.x_train, data.y_train, callbacks=[rec, threads] if rec else [threads],
                eval_sets={"val": (data.x_val, data.y_val), "test": (data.x_test, data.y_test)})
    except DivergenceError as err:
        run.update(status="diverged", message=str(err), seconds=time.perf_counter() - t0,
                   blas_threads=threads.n, epochs=None, history=None, record=None,
                   record_seconds=None, record_overhead=None,
                   **{f"{k}_error": None for k in SPLITS})
        return run, clf
    seconds = time.perf_counter() - t0
    h = clf.history_
    run.update({f"{k}_error": (h[f"{k}_error"] or [None])[-1] for k in SPLITS})
    run.update(seconds=seconds, blas_threads=threads.n, epochs=len(h["epoch"]), history=h,
               record=rec.history if rec else None,
               record_seconds=rec.seconds_ if rec else None,
               record_overhead=rec.seconds_ / seconds if rec else None)
    return run, clf


def _layer_maps(model, shown, method, input_map):
    """2-D maps ``[input, h_1, ...]`` of the samples ``shown``, and each map's k-NN accuracy.

    As :func:`nplearn.analysis.layer_embeddings`, but the input's map, the same for
    every rule, is passed in, computed once.
    """
    x, y = shown[0].astype(model.dtype), shown[1]
    maps = [input_map, *(embed_2d(h, method) for h in model.hidden(x))]
    return maps, {_column(j): knn_accuracy(z, y, k=KNN_K) for j, z in enumerate(maps)}


def _subset(x, y, n, need=1):
    """``(x, y, index)`` of at most ``n`` stratified samples (seed 0), flattened to 2-D."""
    index = np.arange(len(y))
    if n < len(y):
        if n < need:
            raise ValueError(f"{n} samples are too few: need at least {need} (2 per class for "
                             "the k-NN score)")
        index = np.sort(stratified_split(index, y, n, random_state=0)[2])
    return np.reshape(x[index], (len(index), -1)), y[index], index


def _weight_bins(finals):
    """Per layer, bin edges spanning that layer's weights in every finished run.

    ``sqrt(size)`` bins (10 to ``HIST_BINS``): a 10 x 100 output layer gets 31, so
    its outline is not noise; a 100 x 100 layer gets 100.
    """
    finals = [p for p in finals if p is not None]
    layers = list(dict.fromkeys(k for p in finals for k in p if k.startswith("W")))
    bins = {}
    for k in layers:
        has = [p for p in finals if k in p]     # EFP has W_loop; nets differ in depth
        lo = min(float(p[k].min()) for p in has)
        hi = max(float(p[k].max()) for p in has)
        lo, hi = (lo, hi) if hi > lo else (lo - 1, hi + 1)
        n = int(np.clip(np.sqrt(has[0][k].size), 10, HIST_BINS))
        bins[k] = np.linspace(lo, hi, n + 1)
    return bins


def _summarize(runs, rules):
    summary = {}
    for rule in rules:
        mine = [r for r in runs if r["rule"] == rule]
        ok = [r for r in mine if r["status"] == "ok"]
        s = {"n_runs": len(mine), "n_diverged": len(mine) - len(ok)}
        for k in SPLITS:
            v = np.array([r[f"{k}_error"] for r in ok if r[f"{k}_error"] is not None])
            s[f"{k}_error_mean"] = float(v.mean()) if v.size else None
            s[f"{k}_error_std"] = float(v.std(ddof=1)) if v.size > 1 else (0.0 if v.size else None)
        s["seconds_mean"] = _mean([r["seconds"] for r in ok])
        s["record_overhead_mean"] = _mean([r["record_overhead"] for r in ok])
        knn = next((r["knn"] for r in ok if r.get("knn")), None)
        s["knn_input"] = knn and knn["input"]
        s["knn_last"] = knn and knn[list(knn)[-1]]
        summary[rule] = s
    return summary


def _write(result, out_dir):
    csv_path, json_path = out_dir / "results.csv", out_dir / "runs.json"
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["rule", "test_error_pct_mean", "test_error_pct_std", "val_error_pct_mean",
                "train_error_pct_mean", "seconds_mean", "record_overhead_pct_mean",
                "knn_input_pct", "knn_last_hidden_pct", "n_runs", "n_diverged",
                *(f"dataset_{k}" if k != "name" else "dataset" for k in CSV_DATA)])
    d = result["dataset"]
    for rule, s in result["summary"].items():
        w.writerow([rule, *(_num(s[k], 100) for k in ("test_error_mean", "test_error_std",
                                                      "val_error_mean", "train_error_mean")),
                    _num(s["seconds_mean"]),
                    *(_num(s[k], 100) for k in ("record_overhead_mean", "knn_input", "knn_last")),
                    s["n_runs"], s["n_diverged"], *("" if d.get(k) is None else d[k]
                                                    for k in CSV_DATA)])
    atomic_write(csv_path, lambda fh: fh.write(buf.getvalue().encode()))
    write_json(json_path, {k: v for k, v in result.items() if k not in NOT_SAVED})
    files = [csv_path, json_path]
    if result.get("embedding_coords"):
        files.append(save_embeddings(out_dir / "embeddings.npz", result))
    written, pngs = save_figures(result, out_dir)
    files += written
    files.append(write_report(out_dir, result, figures=pngs))     # embeds the PNGs just saved
    return files


def _column(j):
    return "input" if j == 0 else f"h{j}"


def _mean(values):
    v = [x for x in values if x is not None]
    return float(np.mean(v)) if v else None



def _num(v, scale=1):
    return "" if v is None else f"{scale * v:.4f}"


def _plain(o):
    """JSON-ready copy: numpy -> Python, non-finite floats -> None, tuples -> lists."""
    if isinstance(o, dict):
        return {str(k): _plain(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_plain(v) for v in o]
    if isinstance(o, np.ndarray):
        return _plain(o.tolist())
    if isinstance(o, np.generic):
        o = o.item()
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if o is None or isinstance(o, (str, int, float, bool)):
        return o
    raise TypeError(f"cannot write {type(o).__name__} to JSON")
