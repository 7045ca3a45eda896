"""Sweeps: a grid of ``Classifier`` settings x seeds, run in parallel, resumable, tabulated.

    nplearn sweep examples/sweep_digits.json                    # local processes (joblib)
    nplearn sweep grid.json --scheduler tcp://host:8786         # a running Dask cluster
    nplearn sweep grid.json --local-cluster --n-jobs 4          # a Dask cluster on this machine

A config is one JSON object (or TOML, Python >= 3.11; ``docs/sweeps.md`` has the schema):
``grid`` (setting -> non-empty list; every combination runs), ``base`` (settings shared by
every run, ``{}``), ``seeds`` (``[0, 1, 2]``), ``dataset`` (``"digits"``, or the path of an
``.npz`` file of your own), ``dataset_sha256`` (that file's, filled in; optional),
``presets`` (``true``), ``out`` (``sweeps/<file stem>``), ``data_dir`` (on the workers;
optional).
One run's settings are the rule's preset (if ``presets``), updated by ``base``, then by one
grid point, then completed by the rule's paper defaults (as :func:`nplearn.experiments.settings`;
``null`` keeps the preset's value). Its ``run_id`` hashes dataset (and a file's sha256),
settings and seed, so a finished run is found again whatever the grid's order, and a changed
preset, or a changed data file, runs again. Every worker checks the file's sha256 before it
trains on it.
The calling process holds ``out/sweep.lock`` while it runs (a second sweep into ``out`` is
refused, a lock left by a dead process on this host is taken over), refuses an ``out`` whose
``config.json`` is another config's (unless ``replace_config``), writes
``out/runs/<run_id>.json`` atomically as each run comes back (the workers need no shared
disk), skips runs whose file is a valid record of that run, and reruns any other.
:func:`gather` tabulates ``out`` per grid point into ``results.csv`` and ``results.md``.
Every worker trains on one BLAS thread, so ``n_jobs`` processes share the cores.
"""
import argparse
import contextlib
import csv
import functools
import io
import json
import os
import socket
import sys
import time
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed, parallel_config
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from .. import __version__
from ..data import load_dataset
from ..data.user import is_path
from ..estimator import Classifier
from ..train import DivergenceError, atomic_write
from .compare import SPLITS, BlasThreads, conv_image_shape, format_dataset, write_json
from .folders import FolderLocked, check_folder_path, locked  # noqa: F401 (FolderLocked)
from .sweep_config import (check_config, check_same_sweep, dataset_sha256,  # noqa: F401
                           expand, load_config, read_run, saved_config)

_STATS = ("test_error_mean", "test_error_std", "val_error_mean", "val_error_std",
          "train_error_mean", "train_error_std", "seconds_mean", "n_runs", "n_diverged",
          "n_missing")   # gather()'s columns after the grid point's
#: ``nplearn sweep --help``'s description
DESCRIPTION = ("Train every combination of the config's grid once per seed, on local processes "
               "or a Dask cluster, one BLAS thread each; save each run as it finishes "
               "(OUT/runs/<run_id>.json); run again to resume, skipping finished runs; write "
               "OUT/results.csv and results.md, one row per grid point (docs/sweeps.md). OUT is "
               "locked while the sweep runs and belongs to one config.")


def run_one(settings, seed, dataset="digits", data_dir=None, dataset_sha256=None):
    """Train ``Classifier(**settings, random_state=seed)`` on one BLAS thread; score every split.

    Parameters
    ----------
    settings : dict
        Every ``Classifier`` argument but ``random_state`` and ``verbose``, JSON-plain
        (lists for tuples), as in a run of :func:`expand`.
    seed : int
        ``random_state``: weights, feedback, shuffling, dropout.
    dataset : str, default "digits"
        A name or an ``.npz`` path accepted by :func:`nplearn.load_dataset`, loaded in this
        process (cached).
    data_dir : str, optional
        Folder of downloaded datasets, on the machine that runs this.
    dataset_sha256 : str, optional
        The sha256 the ``dataset`` file must have; a file with another is refused.

    Returns
    -------
    dict
        ``status`` ("ok" or "diverged"), ``message``, ``test_error, val_error, train_error``
        (fractions, last epoch, ``None`` if diverged), ``seconds`` (fit wall time), ``epochs``,
        ``history`` (``Classifier.history_``), ``blas_threads`` (BLAS threads while it
        trained, :class:`~nplearn.experiments.compare.BlasThreads`: 1), ``host``,
        ``nplearn_version``, ``data`` (:meth:`nplearn.data.Dataset.info`).
    """
    kwargs = {k: tuple(v) if k in ("hidden_sizes", "image_shape") and v is not None else v
              for k, v in settings.items()}
    if kwargs.get("conv"):
        kwargs["conv"] = [tuple(layer) for layer in kwargs["conv"]]
    run = {"status": "ok", "message": None, "host": socket.gethostname(),
           "nplearn_version": __version__}
    threads = BlasThreads()
    with threadpool_limits(1):          # one thread per process: n_jobs processes share the cores
        data = _load(dataset, data_dir, kwargs["dtype"], dataset_sha256)
        if dataset_sha256 and data.sha256 != dataset_sha256:
            raise ValueError(f"{dataset} on {run['host']} has sha256 {data.sha256}, but the sweep "
                             f"was started on a file with sha256 {dataset_sha256}: the file "
                             "changed, or this machine has another copy")
        run["data"] = data.info()
        if kwargs.get("conv") and kwargs.get("image_shape") is None:
            kwargs["image_shape"] = conv_image_shape(data)
        clf = Classifier(**kwargs, random_state=seed, verbose=False)
        t0 = time.perf_counter()
        try:
            clf.fit(data.x_train, data.y_train, callbacks=[threads],
                    eval_sets={"val": (data.x_val, data.y_val), "test": (data.x_test, data.y_test)})
        except DivergenceError as err:
            return {**run, "status": "diverged", "message": str(err), "epochs": None,
                    "seconds": time.perf_counter() - t0, "history": None,
                    "blas_threads": threads.n, **{f"{k}_error": None for k in SPLITS}}
    h = clf.history_
    return {**run, **{f"{k}_error": (h[f"{k}_error"] or [None])[-1] for k in SPLITS},
            "seconds": time.perf_counter() - t0, "epochs": len(h["epoch"]), "history": h,
            "blas_threads": threads.n}


def sweep(config, n_jobs=-1, scheduler=None, local_cluster=False, progress=None, out=None,
          replace_config=False):
    """Run every unfinished run of ``config`` in parallel, save each as it ends, then gather.

    Parameters
    ----------
    config : dict or str or path-like
        A config (see the module docstring) or its file.
    n_jobs : int, default -1
        Local processes (-1: one per core); with ``local_cluster``, the Dask workers.
    scheduler : str, optional
        Address of a running Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
    local_cluster : bool, default False
        Start a Dask cluster on 127.0.0.1 (one thread per worker process) for this sweep.
    progress : bool, optional
        Progress bar; ``None``: only on a terminal.
    out : str or path-like, optional
        Output folder; default ``config["out"]``.
    replace_config : bool, default False
        Run in a folder that holds another config (its ``config.json`` differs in
        ``dataset``, ``seeds``, ``base``, ``grid`` or ``presets``): the folder then
        belongs to this config; its run files stay and are reused where a run's
        settings match. Without it such a folder is refused.

    Returns
    -------
    dict
        ``out``, ``n_runs``, ``ran``, ``skipped``, ``corrupt`` (run ids), ``table``
        (:func:`gather`'s rows), ``data`` (which data the runs were made from, in words, as
        at the top of ``results.md``), ``files``.

    Raises
    ------
    ValueError
        A bad config, or ``out`` holds another config (and not ``replace_config``).
    FolderLocked
        Another sweep runs in ``out`` now.
    """
    c = load_config(config) if isinstance(config, (str, os.PathLike)) else check_config(config)
    if scheduler and local_cluster:
        raise ValueError("give either a scheduler address or local_cluster=True, not both")
    if n_jobs == 0:
        raise ValueError("n_jobs must be a number of processes, or -1 for one per core; not 0")
    if not (out or c["out"]):
        raise ValueError('the sweep needs an output folder: "out" in the config, or --out DIR')
    out = Path(out or c["out"])
    c["out"] = str(out)
    dataset = c["dataset"]             # what the workers load: a name, or a file's full path
    if is_path(dataset):
        dataset = str(Path(dataset).expanduser().resolve())
        found = load_dataset(dataset).sha256       # a bad file is refused here, before any run
        if c["dataset_sha256"] not in (None, found):
            raise ValueError(f'"dataset": {c["dataset"]} has sha256 {found}, but the config '
                             f'asks for "dataset_sha256": {c["dataset_sha256"]}; the file '
                             "changed: restore it, or drop dataset_sha256 to use it as it is")
        c["dataset_sha256"] = found
    runs = expand(c)
    check_folder_path(out)                      # a file, or under one: refused before any run
    with locked(out):                           # one sweep at a time in a folder
        if not replace_config:
            check_same_sweep(out, c)
        todo, skipped, corrupt = [], [], []
        for run in runs:
            state, why = read_run(out / "runs" / f"{run['run_id']}.json", run)
            if state == "done":
                skipped.append(run["run_id"])
                continue
            if state == "corrupt":
                corrupt.append(run["run_id"])
                print(f"sweep: run {run['run_id']} has a corrupt file ({why}); running it again",
                      file=sys.stderr)
            todo.append(run)
        write_json(out / "config.json", c)      # gather() expands it to find the runs
        ran = []
        if todo:
            by_id = {r["run_id"]: r for r in todo}
            jobs = (delayed(_job)(r["run_id"], r["settings"], r["seed"], dataset,
                                  c["data_dir"], c["dataset_sha256"]) for r in todo)
            with _backend(n_jobs, scheduler, local_cluster), tqdm(
                    total=len(todo), desc="sweep", unit="run", leave=False,
                    disable=None if progress is None else not progress) as bar:
                for run_id, result in Parallel(n_jobs=n_jobs,
                                               return_as="generator_unordered")(jobs):
                    write_json(out / "runs" / f"{run_id}.json", {**by_id[run_id], **result})
                    ran.append(run_id)
                    bar.update()
        table, data = _gather(out)
    return {"out": str(out), "n_runs": len(runs), "ran": ran, "skipped": skipped,
            "corrupt": corrupt, "table": table, "data": data,
            "files": [str(out / "results.csv"), str(out / "results.md")]}


def gather(out):
    """One row per grid point of the sweep in ``out``: errors over its finished seeds.

    Writes ``out/results.csv`` (errors in %; the last columns name the dataset and, for a
    file of your own, its sha256) and ``out/results.md`` (which data, then the table)
    atomically. A run file
    that is not a complete record of its run (cut short, a field missing or malformed, an
    unknown status, another run's settings) is reported on stderr and counted as missing,
    never trusted; ``nplearn sweep`` trains that run again.

    Returns
    -------
    list of dict
        The grid point's values, then ``test_error_mean, test_error_std, val_error_mean,
        val_error_std, train_error_mean, train_error_std, seconds_mean`` (fractions; ``None``
        without a finished run), ``n_runs`` (finished, diverged included), ``n_diverged``,
        ``n_missing``.
    """
    return _gather(out)[0]


def _gather(out):
    """:func:`gather`'s rows, and the lines saying which data the runs were made from."""
    out = Path(out)
    if not (out / "config.json").exists():
        raise FileNotFoundError(f"{out / 'config.json'} is missing: {out} is not a sweep folder")
    config = saved_config(out)
    runs = expand(config)
    groups = {}
    for run in runs:
        group = groups.setdefault(json.dumps(run["point"]), (run["point"], []))
        state, record = read_run(out / "runs" / f"{run['run_id']}.json", run)
        if state == "corrupt":
            print(f"gather: run {run['run_id']} is left out: its file is not a valid record "
                  f"({record}); `nplearn sweep` trains it again", file=sys.stderr)
        group[1].append(record if state == "done" else None)
    rows = []
    for point, records in groups.values():
        done = [r for r in records if r is not None]
        ok = [r for r in done if r["status"] == "ok"]
        row = dict(point)
        for k in SPLITS:
            v = np.array([r[f"{k}_error"] for r in ok if r[f"{k}_error"] is not None],
                         dtype=float)
            row[f"{k}_error_mean"] = float(v.mean()) if v.size else None
            row[f"{k}_error_std"] = (float(v.std(ddof=1)) if v.size > 1 else
                                     0.0 if v.size else None)
        row["seconds_mean"] = float(np.mean([r["seconds"] for r in ok])) if ok else None
        row.update(n_runs=len(done), n_diverged=len(done) - len(ok),
                   n_missing=len(records) - len(done))
        rows.append(row)
    keys, stats = list(runs[0]["point"]), _STATS[:6]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*keys, *(k.replace("_error_", "_error_pct_") for k in stats), *_STATS[6:],
                "dataset", "dataset_sha256"])
    for r in rows:
        w.writerow([*(_cell(r[k]) for k in keys), *(_num(r[k], 100) for k in stats),
                    _num(r["seconds_mean"]), *(r[k] for k in _STATS[7:]), config["dataset"],
                    config.get("dataset_sha256") or ""])
    data = _describe(config, [r for _, records in groups.values() for r in records])
    atomic_write(out / "results.csv", lambda fh: fh.write(buf.getvalue().encode()))
    md = "  \n".join(data.splitlines()) + "\n\n" + format_table(rows) + "\n"
    atomic_write(out / "results.md", lambda fh: fh.write(md.encode()))
    return rows, data


def _describe(config, records):
    """Which data a sweep ran on: as its runs recorded it, else as its config names it."""
    info = next((r["data"] for r in records if r and isinstance(r.get("data"), dict)), None)
    try:
        return format_dataset(info)
    except (TypeError, KeyError):         # no run finished yet, or written by an older nplearn
        sha = config.get("dataset_sha256")
        return f"data: {config['dataset']}" + (f", sha256 {sha}" if sha else "")


def format_table(rows):
    """Markdown table of :func:`gather`'s rows (errors in %, mean ± std over seeds)."""
    keys = [k for k in rows[0] if k not in _STATS]
    head = [*keys, "test error (%)", "val error (%)", "train error (%)", "time (s)", "runs"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        err = [("-" if r[f"{k}_error_mean"] is None else
                f"{100 * r[f'{k}_error_mean']:.2f} ± {100 * r[f'{k}_error_std']:.2f}")
               for k in SPLITS]
        sec = "-" if r["seconds_mean"] is None else f"{r['seconds_mean']:.2f}"
        runs = f"{r['n_runs'] - r['n_diverged']}/{r['n_runs'] + r['n_missing']}"
        runs += f" ({r['n_diverged']} diverged)" * bool(r["n_diverged"])
        lines.append("| " + " | ".join([*(_cell(r[k]) for k in keys), *err, sec, runs]) + " |")
    return "\n".join(lines)


def add_arguments(parser):
    """Add ``sweep``'s arguments to ``parser`` (``nplearn sweep``'s subparser)."""
    parser.add_argument("config", metavar="CONFIG", help="sweep config, .json or .toml "
                        "(docs/sweeps.md; example: examples/sweep_digits.json; no default)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on the Dask cluster of "
                       "this scheduler, e.g. tcp://10.0.0.5:8786 (default: local processes)")
    where.add_argument("--local-cluster", action="store_true", help="run on a Dask cluster "
                       "started on 127.0.0.1 for this sweep, --n-jobs workers (default: off)")
    parser.add_argument("--n-jobs", type=int, default=-1, metavar="N",
                        help="parallel local processes or local-cluster workers (default: -1, "
                        "one per core)")
    parser.add_argument("--out", metavar="DIR", help='output folder (default: the config\'s '
                        '"out", else sweeps/<config file name>)')
    parser.add_argument("--replace-config", action="store_true", help="run in a folder that "
                        "holds another config, which this one replaces; finished runs whose "
                        "settings match are reused (default: refuse such a folder)")
    parser.set_defaults(run=run_args)


def run_args(args):
    """Run ``nplearn sweep`` from parsed ``args``; print the table; return the exit code."""
    try:
        result = sweep(args.config, n_jobs=args.n_jobs, scheduler=args.scheduler,
                       local_cluster=args.local_cluster, out=args.out,
                       replace_config=args.replace_config)
    except KeyboardInterrupt:
        print("nplearn: error: interrupted; finished runs are saved, the same command resumes",
              file=sys.stderr)
        return 130
    except (FileNotFoundError, ImportError, ValueError, OSError) as err:
        print(f"nplearn: error: {err}", file=sys.stderr)
        return 1
    print(f"{result['n_runs']} runs: {len(result['ran'])} run now, {len(result['skipped'])} "
          f"already finished")
    print(f"{result['data']}\n")
    print(format_table(result["table"]))
    print(f"\nwrote {', '.join(result['files'])} and {result['out']}/runs/*.json")
    return 0


def main(argv=None):
    """``nplearn sweep CONFIG [--scheduler ADDRESS | --local-cluster] [--n-jobs N] [--out DIR]
    [--replace-config]``."""
    parser = argparse.ArgumentParser(prog="nplearn sweep", description=DESCRIPTION)
    add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return stop.code
    return args.run(args)


def _job(run_id, settings, seed, dataset, data_dir, dataset_sha256):
    try:
        return run_id, run_one(settings, seed, dataset, data_dir, dataset_sha256)
    except ValueError as err:      # settings the config check cannot see, e.g. conv with EP
        raise ValueError(f"run {run_id}: {err}") from None


@functools.lru_cache(maxsize=2)     # a worker process trains many runs on one dataset
def _load(dataset, data_dir, dtype, dataset_sha256):   # a new sha256 reads the file again
    return load_dataset(dataset, data_dir=data_dir, dtype=dtype)


@contextlib.contextmanager
def _backend(n_jobs, scheduler, local_cluster):
    """joblib's default (local processes), or Dask on ``scheduler`` / a local cluster."""
    if not (scheduler or local_cluster):
        yield
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ImportError("running on Dask needs dask[distributed]: pip install "
                          "'nplearn[dask]'") from None
    with contextlib.ExitStack() as stack:
        if local_cluster:
            scheduler = stack.enter_context(LocalCluster(
                n_workers=n_jobs if n_jobs > 0 else os.cpu_count(), threads_per_worker=1,
                processes=True, host="127.0.0.1", dashboard_address=None))
        stack.enter_context(Client(scheduler))
        stack.enter_context(parallel_config(backend="dask"))
        yield


def _num(v, scale=1):
    return "" if v is None else f"{scale * v:.4f}"


def _cell(v):
    return v if isinstance(v, str) else json.dumps(v)
