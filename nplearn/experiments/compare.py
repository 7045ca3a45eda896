"""Compare learning rules: every rule for every seed on one dataset, summarised and plotted.

>>> from nplearn.experiments import compare, format_table
>>> result = compare("digits", rules=["bp", "dfa"], seeds=(0,), epochs=2)
>>> print(format_table(result["summary"]))  # doctest: +SKIP

All runs share one train/validation/test split (validation seed 0), so the seeds vary
only the weights, the feedback matrices, the shuffling and dropout.
"""
import csv
import io
import json
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .. import __version__
from ..data import load_dataset
from ..estimator import Classifier
from ..plot import plot_learning_curves, savefig
from ..rules import RULES
from ..train import DivergenceError, atomic_write
from .presets import settings

SPLITS = ("test", "val", "train")


def compare(dataset="digits", rules=None, seeds=(0, 1, 2), epochs=None, hidden_sizes=None,
            out_dir=None, data_dir=None, progress=None, **overrides):
    """Train each rule with its preset once per seed; record, summarise and save.

    Parameters
    ----------
    dataset : str, default "digits"
        A name accepted by :func:`nplearn.load_dataset`.
    rules : sequence of str, optional
        Rule names; default every rule in :data:`nplearn.rules.RULES`.
    seeds : sequence of int, default (0, 1, 2)
        ``random_state`` of each run.
    epochs : int, optional
        Overrides every preset's epochs.
    hidden_sizes : tuple of int, optional
        Overrides every preset's hidden layers.
    out_dir : str or path-like, optional
        If given, write ``results.csv``, ``runs.json`` and ``learning_curves.png/.svg``.
    data_dir : str or path-like, optional
        Folder of downloaded datasets (see :func:`nplearn.data.data_home`).
    progress : bool, optional
        Progress bar over the runs; ``None``: only on a terminal.
    **overrides
        Further ``Classifier`` kwargs for every rule (e.g. ``learning_rate=1e-4``).

    Returns
    -------
    dict
        ``nplearn_version``, ``dataset`` (name and split sizes), ``seeds``, ``settings``
        (rule -> the exact ``Classifier`` kwargs, paper defaults filled in), ``runs``
        (one dict per rule and seed: ``rule, seed, status`` ("ok" or "diverged"),
        ``message, test_error, val_error, train_error`` (fractions, last epoch),
        ``seconds`` (fit wall time), ``epochs, history``), ``summary`` (rule ->
        means and std over the finished runs, see :func:`format_table`) and, with
        ``out_dir``, ``files``.
    """
    rules = list(dict.fromkeys(RULES if rules is None else rules))
    seeds = [int(s) for s in seeds]
    if not rules or not seeds:
        raise ValueError("compare needs at least one rule and one seed")
    kwargs = {r: settings(r, epochs=epochs, hidden_sizes=hidden_sizes, **overrides) for r in rules}
    data = load_dataset(dataset, data_dir=data_dir, dtype=kwargs[rules[0]]["dtype"])
    jobs = [(r, s) for r in rules for s in seeds]
    bar = tqdm(jobs, desc="compare", unit="run", leave=False,
               disable=None if progress is None else not progress)
    runs = []
    for rule, seed in bar:
        bar.set_postfix_str(f"{rule} seed {seed}")
        runs.append(_run(seed, kwargs[rule], data))
    result = {
        "nplearn_version": __version__,
        "dataset": {"name": data.name, "n_train": len(data.y_train), "n_val": len(data.y_val),
                    "n_test": len(data.y_test), "n_features": data.n_features,
                    "n_classes": data.n_classes},
        "seeds": seeds,
        "settings": kwargs,
        "runs": runs,
        "summary": _summarize(runs, rules),
    }
    if out_dir is not None:
        result["files"] = [str(p) for p in _write(result, Path(out_dir))]
    return result


def format_table(summary):
    """Aligned text table of a ``compare(...)["summary"]``: errors in %, mean ± std over seeds.

    A rule whose runs all diverged shows ``diverged``; ``runs`` counts finished/total.
    """
    head = ("rule", "test error (%)", "val error (%)", "train error (%)", "time (s)", "runs")
    rows = []
    for rule, s in summary.items():
        test = ("diverged" if s["test_error_mean"] is None else
                f"{100 * s['test_error_mean']:.2f} ± {100 * s['test_error_std']:.2f}")
        rows.append((rule, test, _pct(s["val_error_mean"]), _pct(s["train_error_mean"]),
                     "-" if s["seconds_mean"] is None else f"{s['seconds_mean']:.2f}",
                     f"{s['n_runs'] - s['n_diverged']}/{s['n_runs']}"))
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths))) for r in (head, *rows)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_json(path, obj):
    """Write ``obj`` as indented JSON to ``path``, atomically."""
    text = json.dumps(obj, indent=1, default=_jsonable)
    atomic_write(path, lambda fh: fh.write(text.encode()))


def _run(seed, kwargs, data):
    clf = Classifier(**kwargs, random_state=seed, verbose=False)
    run = {"rule": kwargs["rule"], "seed": seed, "status": "ok", "message": None}
    t0 = time.perf_counter()
    try:
        clf.fit(data.x_train, data.y_train,
                eval_sets={"val": (data.x_val, data.y_val), "test": (data.x_test, data.y_test)})
    except DivergenceError as err:
        run.update(status="diverged", message=str(err), seconds=time.perf_counter() - t0,
                   epochs=None, history=None, **{f"{k}_error": None for k in SPLITS})
        return run
    h = clf.history_
    run.update({f"{k}_error": (h[f"{k}_error"] or [None])[-1] for k in SPLITS})
    run.update(seconds=time.perf_counter() - t0, epochs=len(h["epoch"]), history=h)
    return run


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
        s["seconds_mean"] = float(np.mean([r["seconds"] for r in ok])) if ok else None
        summary[rule] = s
    return summary


def _write(result, out_dir):
    csv_path, json_path = out_dir / "results.csv", out_dir / "runs.json"
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["rule", "test_error_pct_mean", "test_error_pct_std", "val_error_pct_mean",
                "train_error_pct_mean", "seconds_mean", "n_runs", "n_diverged"])
    for rule, s in result["summary"].items():
        w.writerow([rule, *(_num(s[k], 100) for k in ("test_error_mean", "test_error_std",
                                                      "val_error_mean", "train_error_mean")),
                    _num(s["seconds_mean"]), s["n_runs"], s["n_diverged"]])
    atomic_write(csv_path, lambda fh: fh.write(buf.getvalue().encode()))
    write_json(json_path, result)
    files = [csv_path, json_path]
    histories = {}
    for r in result["runs"]:
        if r["history"]:
            histories.setdefault(r["rule"], []).append(r["history"])
    if histories:  # nothing to draw if every run diverged
        n = len(result["seeds"])
        fig = plot_learning_curves(histories, title=f"{result['dataset']['name']}: mean over "
                                   f"{n} seed{'s' * (n > 1)}, band min to max")
        files += savefig(fig, out_dir / "learning_curves")
    return files


def _pct(v):
    return "-" if v is None else f"{100 * v:.2f}"


def _num(v, scale=1):
    return "" if v is None else f"{scale * v:.4f}"


def _jsonable(o):
    if isinstance(o, (np.generic, np.ndarray)):
        return o.tolist()
    raise TypeError(f"cannot write {type(o).__name__} to JSON")
