"""Reproduce a paper's table: run every row and column over seeds, print ours beside the paper's.

>>> from nplearn.experiments.reproduce import list_tables, reproduce
>>> "dfa-table1" in list_tables()
True
>>> result = reproduce("dfa-deep", seeds=1, epochs=1)   # doctest: +SKIP
>>> print(result["markdown"])                           # doctest: +SKIP

The tables (paper numbers and settings) are in :mod:`nplearn.experiments.tables`. Each run
trains as :func:`nplearn.experiments.compare` does (same split, same record of errors and
curves), one epoch at a time (:mod:`nplearn.experiments.resumable`). With ``out_dir``, every
run is checkpointed after every epoch under ``out_dir/runs/``, ``resume=True`` continues an
interrupted reproduction with the numbers an uninterrupted one gives, and besides
``table.md`` and ``table.csv`` the runs of each dataset get compare's ``results.csv``,
``runs.json``, figures and ``report.html`` (in ``out_dir``, or in ``out_dir/<dataset>/``
when the table spans several datasets).

``epochs`` stops every run after that many epochs of its own budget: the learning-rate
schedule stays the paper's (it is not compressed), so a short reproduction is the beginning
of the full one and ``resume`` with a larger ``epochs`` continues it. The table says how many
epochs ran beside the paper's budget.

``nplearn reproduce`` also runs the figure experiments of :data:`FIGURE_EXPERIMENTS` (DFA
Fig. 2, left: :mod:`nplearn.experiments.frozen_layer`; EFP Fig. 4:
:mod:`nplearn.experiments.output_error`; EFP Sec. 5.2's relaxation lengths:
:mod:`nplearn.experiments.relaxation`).
"""
import csv
import hashlib
import importlib
import io
import json
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..data import load_dataset
from ..estimator import Classifier
from ..rules import RULES
from ..train import atomic_write
from .compare import _summarize, _weight_bins, _write, write_json
from .paper_settings import list_paper_settings, paper_settings
from .resumable import checkpoint_exists, out_lock, train_resumable
from .sweep_config import identity
from .tables import TABLES, TUNED, slug
from .tuning import tuned_rates

SCALES = ("cpu", "full")
NOT_IMPLEMENTED = "not implemented"
RULE_PARAM_KEYS = ("rule_params", "optimizer_params")   # merged key by key, not replaced


def list_tables():
    """``{name: title}`` of every table in :data:`nplearn.experiments.tables.TABLES`."""
    return {name: t.title for name, t in TABLES.items()}


def table_settings(name, scale="cpu", rows=None, columns=None):
    """``[(row, column, dataset, kwargs or None), ...]`` of table ``name`` at ``scale``.

    ``kwargs`` are complete ``Classifier`` arguments (the rule's paper default wherever the
    table is silent; ``learning_rate`` is :data:`~nplearn.experiments.tables.TUNED` where
    the table's tuning decides it); ``None`` for a cell nplearn does not run. ``rows`` and
    ``columns`` (row keys, column names or their slugs) keep only those cells.
    """
    table = _table(name)
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    keep_rows = _selection("rows", rows, [r.key for r in table.rows], name)
    keep_cols = _selection("columns", columns, [slug(c) for c in table.columns], name)
    cells = []
    for row in table.rows:
        if row.key not in keep_rows:
            continue
        dataset = row.dataset if scale == "full" else table.cpu_dataset
        for col, spec in table.columns.items():
            if slug(col) not in keep_cols:
                continue
            if spec is None or col in row.missing:
                cells.append((row, col, dataset, None))
                continue
            own = row.per_column.get(col, {}).get(scale)
            base = row.full if scale == "full" else row.cpu
            if isinstance(own, str):                 # this column's own paper setting
                base, own = own, None
            if isinstance(base, str):
                base = paper_settings(spec["rule"], base)
            cells.append((row, col, dataset, _complete(_merge(spec, base, own or {}))))
    return cells


def reproduce(name, scale="cpu", seeds=3, out_dir=None, progress=None, epochs=None,
              data_dir=None, resume=False, rows=None, columns=None, tuning=None):
    """Train every implemented cell of table ``name`` once per seed; tabulate ours beside the paper.

    Parameters
    ----------
    name : str
        A key of :data:`nplearn.experiments.tables.TABLES` (see :func:`list_tables`).
    scale : {"cpu", "full"}, default "cpu"
        ``cpu``: digits, small nets, minutes. ``full``: the paper's datasets and networks;
        needs ``data_scripts/download.py`` (FileNotFoundError naming it otherwise).
    seeds : int, default 3
        Runs per cell, seeds ``0 .. seeds-1``.
    out_dir : str or path-like, optional
        Checkpoint every run there after every epoch, and write ``table.md``, ``table.csv``
        and compare's report of the runs. Without it nothing is written.
    progress : bool, optional
        A progress bar per run with its ETA (True), nothing (False); ``None``: bars on a
        terminal, else one line per epoch on stderr.
    epochs : int, optional
        Stop every run after this many epochs of its budget (module docstring).
    data_dir : str or path-like, optional
        Folder of downloaded datasets.
    resume : bool, default False
        Continue the runs checkpointed in ``out_dir``. Without it, a run already there is a
        ValueError (nothing saved is overwritten).
    rows, columns : sequence of str, optional
        Run only these rows (keys, see ``nplearn reproduce --list``) and columns.
    tuning : str, path-like or dict, optional
        For a table with ``tuned_by``: the tuning table's output folder (default: beside
        ``out_dir``, ``<parent>/<tuned_by>-<scale>``), or ``{row key: learning rate}``.

    Returns
    -------
    dict
        ``name, title, citation, scale, seeds, metric, notes, keep_best, paper_numbers,
        train_error, epochs`` (asked),
        ``tuning`` (the learning rates chosen, or ``None``), ``cells`` (one dict per row and
        column: ``model, row, column, rule, dataset, paper, mean, std`` (the table's metric
        at the last epoch run, %), ``best_mean, best_std, best_val_mean`` (test error at the
        best validation epoch, with ``keep_best``), ``val_mean, train_mean, seconds_mean,
        epochs_run, epochs_paper, n_ok, n_runs, status`` ("ok", "diverged" or
        "not implemented")), ``markdown``, ``results`` (dataset -> compare-style result
        of its runs) and, with ``out_dir``, ``files``.
    """
    table = _table(name)
    seeds = int(seeds)
    if seeds < 1:
        raise ValueError(f"seeds must be >= 1, got {seeds}")
    if epochs is not None and int(epochs) < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if resume and out_dir is None:
        raise ValueError("resume needs the out_dir of the reproduction to continue")
    cells = table_settings(name, scale, rows, columns)
    paper_epochs = {(r.key, c): kw and kw["epochs"]
                    for r, c, _, kw in table_settings(name, "full", rows, columns)}
    tuned = None
    if any(kw is not None and kw["learning_rate"] == TUNED for *_, kw in cells):
        tuned = tuned_rates(table, scale, tuning, out_dir, [r.key for r, *_ in cells])
        for row, _, _, kw in cells:
            if kw is not None and kw["learning_rate"] == TUNED:
                kw["learning_rate"] = tuned["rates"][row.key]["learning_rate"]
    out = None if out_dir is None else Path(out_dir)
    with out_lock(out):
        jobs = _jobs(table, scale, cells, seeds, data_dir, out, resume)
        bar = tqdm(jobs, desc=name, unit="run", leave=False,
                   disable=None if progress is None else not progress)
        done = {}
        for job in bar:
            label = f"{job['kwargs']['rule']} {tuple(job['kwargs']['hidden_sizes'])}"
            bar.set_postfix_str(f"{label} seed {job['seed']}")
            run, clf = train_resumable(
                _tuples(job["kwargs"]), job["seed"], job["data"], job["path"], epochs,
                table.keep_best, resume, progress, f"{label} seed {job['seed']}")
            model = getattr(clf, "model_", None)                  # the weights, for the report
            done[job["key"], job["seed"]] = run, model and model.params
        result = _result(table, name, scale, seeds, epochs, tuned, cells, paper_epochs, jobs,
                         done)
        if out is not None:
            result["files"] = [str(p) for p in _save(result, out)]
    return result


def _jobs(table, scale, cells, seeds, data_dir, out, resume):
    """One job per distinct (dataset, settings) and seed; data loaded and checked up front."""
    size = table.validation_size if scale == "full" else 0.1
    data, jobs, seen = {}, [], set()
    for row, col, d, kw in cells:
        if kw is None:
            continue
        if (d, kw["dtype"]) not in data:                       # fail early on missing data
            data[d, kw["dtype"]] = load_dataset(d, data_dir=data_dir, dtype=kw["dtype"],
                                                validation_size=size)
        if kw.get("conv") and kw.get("image_shape") is None:
            kw["image_shape"] = data[d, kw["dtype"]].image_shape
        key = _key(d, size, kw)
        for s in range(seeds):
            if (key, s) in seen:
                continue
            seen.add((key, s))
            path = None if out is None else out / "runs" / key / f"seed{s}"
            jobs.append({"key": key, "seed": s, "kwargs": kw, "data": data[d, kw["dtype"]],
                         "path": path})
    if out is not None and not resume:
        there = [j["path"] for j in jobs if checkpoint_exists(j["path"])]
        if there:
            raise ValueError(f"{out} already holds {len(there)} run(s) of this reproduction "
                             f"(e.g. {there[0]}); pass --resume (resume=True) to continue "
                             "them, or --out another folder")
    for j in jobs:
        if j["path"] is not None:                               # what each run folder holds
            write_json(j["path"].parent / "settings.json",
                       {"dataset": j["data"].name, "kwargs": j["kwargs"]})
    return jobs


def _key(dataset, validation_size, kw):
    """The run folder's name: the rule and a hash of everything that sets the run."""
    text = json.dumps({"dataset": dataset, "validation_size": validation_size,
                       "kwargs": identity(kw)},       # a folder made before input_dropout too
                      sort_keys=True, default=str)
    return f"{kw['rule']}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def _result(table, name, scale, seeds, epochs, tuned, cells, paper_epochs, jobs, done):
    result = {"name": name, "title": table.title, "citation": table.citation, "scale": scale,
              "seeds": list(range(seeds)), "metric": table.metric, "notes": table.notes,
              "keep_best": table.keep_best, "paper_numbers": table.paper_numbers,
              "train_error": table.train_error, "epochs": epochs, "tuning": tuned, "cells": [],
              "results": {}}
    data = {j["key"]: j["data"] for j in jobs}
    by_dataset = {}
    for row, col, d, kw in cells:
        cell = {"model": row.model, "row": row.key, "column": col, "rule": kw and kw["rule"],
                "dataset": d, "paper": row.paper.get(col, ""), "n_ok": 0, "n_runs": 0,
                "status": NOT_IMPLEMENTED, "epochs_paper": paper_epochs.get((row.key, col)),
                "why": row.missing.get(col, NOT_IMPLEMENTED) if kw is None else None}
        if kw is not None:
            key = _key(d, table.validation_size if scale == "full" else 0.1, kw)
            pairs = [done[key, s] for s in range(seeds)]
            entry = by_dataset.setdefault(d, {"data": data[key], "settings": {}, "runs": [],
                                              "finals": []})
            label = f"{row.model} | {col}"
            entry["settings"][label] = kw
            for run, params in pairs:
                entry["runs"].append({**run, "rule": label})
                entry["finals"].append(params if run["status"] == "ok" else None)
            cell.update(_cell_stats([run for run, _ in pairs], table))
        result["cells"].append(cell)
    for d, entry in by_dataset.items():
        result["results"][d] = _compare_result(entry["data"], result["seeds"], entry)
        result["results"][d]["table"] = {     # the paper's table, for the report of the runs
            **{k: result[k] for k in ("name", "title", "citation", "scale", "metric", "notes")},
            "cells": [c for c in result["cells"] if c["dataset"] == d]}
    result["markdown"] = format_markdown(result)
    return result


def _cell_stats(runs, table):
    ok = [r for r in runs if r["status"] == "ok" and r[f"{table.split}_error"] is not None]
    accuracy = table.metric.startswith("test accuracy")

    def stats(values, flip=False):
        v = 100 * np.array([x for x in values if x is not None], dtype=float)
        v = 100 - v if flip else v
        if not v.size:
            return None, None
        return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0

    mean, std = stats([r[f"{table.split}_error"] for r in ok], accuracy)
    best = [r["best"] for r in ok if r["best"]] if table.keep_best else []
    best_mean, best_std = stats([b["test_error"] for b in best], accuracy)
    return {"n_ok": len(ok), "n_runs": len(runs), "status": "ok" if ok else "diverged",
            "mean": mean, "std": std, "best_mean": best_mean, "best_std": best_std,
            "best_val_mean": stats([b["val_error"] for b in best])[0],
            "best_epoch_mean": float(np.mean([b["epoch"] for b in best])) if best else None,
            "val_mean": stats([r["val_error"] for r in ok])[0],
            "train_mean": stats([r["train_error"] for r in ok])[0],
            "seconds_mean": float(np.mean([r["seconds"] for r in ok])) if ok else None,
            "epochs_run": max((r["epochs"] for r in ok), default=None)}


def format_markdown(result):
    """The table as Markdown: one line per row, the epochs run, the paper's value and ours."""
    cols = list(dict.fromkeys(c["column"] for c in result["cells"]))
    paper, best = result.get("paper_numbers", True), result.get("keep_best", False)
    train = result.get("train_error", False)
    head = ["model", "epochs run / paper's" if paper else "epochs run / budget"]
    for c in cols:
        head += [f"{c} paper"] * paper + [f"{c} ours"] + [f"{c} ours, best val."] * best
    brackets = "(mean training error) [runs finished/started]" if train else \
        "[runs finished/started]"
    lines = [f"**{result['title']}** ({result['metric']}, {result['scale']} scale, ours: mean ± "
             f"std over seeds at the last epoch run, {brackets})", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for model in dict.fromkeys(c["model"] for c in result["cells"]):
        mine = {c["column"]: c for c in result["cells"] if c["model"] == model}
        budgets = dict.fromkeys(f"{c['epochs_run']} / {c['epochs_paper']}"
                                for c in mine.values() if c["status"] != NOT_IMPLEMENTED
                                and c["epochs_run"] is not None)     # no finished run: its cell says why
        line = [model, ", ".join(budgets) or "-"]
        for col in cols:
            c = mine.get(col)
            if c is None:
                line += ["-"] * (paper + 1 + best)
                continue
            line += [c["paper"] or "(not printed)"] * paper + [_ours(c, train=train)]
            line += [_ours(c, "best_")] * best
        lines.append("| " + " | ".join(line) + " |")
    lines += [""]
    if result.get("tuning"):
        lines.append(_tuning_line(result["tuning"]))
    lines.append(f"Paper: {result['citation']}." if paper else f"Source: {result['citation']}.")
    if result["notes"]:
        lines.append(f"Notes: {result['notes']}")
    return "\n".join(lines) + "\n"


def _ours(c, prefix="", train=False):
    """``"mean ± std [ok/runs]"``; ``train``: the mean training error in brackets before the
    runs, as the DFA paper prints it (``"3.06 ± 0.25 (0.00) [3/3]"``)."""
    if c["status"] == NOT_IMPLEMENTED:
        return NOT_IMPLEMENTED
    mean, std = c.get(f"{prefix}mean"), c.get(f"{prefix}std")
    if mean is None:
        return f"diverged [0/{c['n_runs']}]"
    t = f" ({c['train_mean']:.2f})" if train and c.get("train_mean") is not None else ""
    return f"{mean:.2f} ± {std:.2f}{t} [{c['n_ok']}/{c['n_runs']}]"


def _tuning_line(tuning):
    parts = []
    for row, t in tuning["rates"].items():
        tried = ", ".join(f"{col} {v:.2f} %" for col, v in t["val_error"].items())
        parts.append(f"{row}: {t['learning_rate']:g} " + (
            f"({tried}; {t['epochs']} epochs)" if tried else "(given)"))
    return (f"Learning rate of the tuned columns, chosen on the validation split by "
            f"{tuning['table']} (mean validation error): " + "; ".join(parts) + ".")


def _compare_result(data, seeds, entry):
    """A result shaped as :func:`nplearn.experiments.compare`'s, for its report writer."""
    labels = list(entry["settings"])
    return {"dataset": {"name": data.name, "n_train": len(data.y_train),
                        "n_val": len(data.y_val), "n_test": len(data.y_test),
                        "n_features": data.n_features, "n_classes": data.n_classes},
            "seeds": seeds, "settings": entry["settings"], "record": None, "embedding": None,
            "weight_bins": _weight_bins(entry["finals"]),
            "runs": _with_hists(entry["runs"], entry["finals"]),
            "summary": _summarize(entry["runs"], labels)}


def _with_hists(runs, finals):
    bins = _weight_bins(finals)
    return [{**run, "knn": None, "weight_hist": None if p is None else
             {k: np.histogram(p[k], bins=e)[0] for k, e in bins.items() if k in p}}
            for run, p in zip(runs, finals)]


CSV_FIELDS = ("table", "scale", "model", "row", "column", "rule", "dataset", "metric", "paper",
              "ours_mean", "ours_std", "best_mean", "best_std", "best_val_mean",
              "best_epoch_mean", "val_mean", "train_mean", "seconds_mean", "epochs_run",
              "epochs_paper", "n_ok", "n_runs", "status")


def _save(result, out):
    md, csv_path = out / "table.md", out / "table.csv"
    atomic_write(md, lambda fh: fh.write(result["markdown"].encode()))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for c in result["cells"]:
        num = {k: "" if c.get(k) is None else f"{c[k]:.4f}"
               for k in ("mean", "std", "best_mean", "best_std", "best_val_mean",
                         "best_epoch_mean", "val_mean", "train_mean", "seconds_mean")}
        w.writerow([result["name"], result["scale"], c["model"], c["row"], c["column"],
                    c["rule"] or "", c["dataset"], result["metric"], c["paper"],
                    num["mean"], num["std"], num["best_mean"], num["best_std"],
                    num["best_val_mean"], num["best_epoch_mean"], num["val_mean"],
                    num["train_mean"], num["seconds_mean"], c.get("epochs_run") or "",
                    c.get("epochs_paper") or "", c["n_ok"], c["n_runs"], c["status"]])
    atomic_write(csv_path, lambda fh: fh.write(buf.getvalue().encode()))
    files = [md, csv_path]
    several = len(result["results"]) > 1
    for d, res in result["results"].items():
        files += _write(res, out / d if several else out)
    return files


def _merge(*dicts):
    """``{**a, **b, ...}``, but ``rule_params`` and ``optimizer_params`` merged key by key
    (the SP voltage column's ``mode`` joins the setting's ``conv``)."""
    out = {}
    for d in dicts:
        for k, v in d.items():
            if k in RULE_PARAM_KEYS and isinstance(v, dict) and isinstance(out.get(k), dict):
                v = {**out[k], **v}
            out[k] = v
    return out


def _complete(kw):
    """Every ``Classifier`` argument but ``random_state``/``verbose``; ``None`` -> rule default."""
    kw = {k: v for k, v in kw.items() if v is not None}
    params = Classifier(**kw).get_params()
    del params["random_state"], params["verbose"]
    params.update({k: v for k, v in RULES[kw["rule"]].defaults.items()
                   if k in params and params[k] is None})
    return params


def _tuples(kw):
    """Settings as ``Classifier`` wants them: tuples for layer specs (JSON makes lists)."""
    kw = dict(kw)
    for k in ("hidden_sizes", "image_shape"):
        if kw.get(k) is not None:
            kw[k] = tuple(kw[k])
    if kw.get("conv") is not None:
        kw["conv"] = tuple(tuple(c) for c in kw["conv"])
    if kw.get("rule_params"):
        kw["rule_params"] = {k: tuple(tuple(c) if isinstance(c, list) else c for c in v)
                             if isinstance(v, list) else v for k, v in kw["rule_params"].items()}
    return kw


def _selection(what, chosen, valid, name):
    if chosen is None:
        return set(valid)
    chosen = [slug(c) for c in ([chosen] if isinstance(chosen, str) else chosen)]
    bad = [c for c in chosen if c not in valid]
    if bad or not chosen:
        raise ValueError(f"table {name!r} has no {what} {', '.join(bad) or '(none given)'}; "
                         f"choose from {', '.join(dict.fromkeys(valid))}")
    return set(chosen)


def _table(name):
    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}; choose one of {', '.join(TABLES)}")
    return TABLES[name]


#: Figure experiments ``nplearn reproduce`` runs besides the tables: name -> (module, title).
#: The module's ``run(out_dir, scale=, epochs=, data_dir=)`` writes the figure and returns
#: ``(result, markdown, files)``.
FIGURE_EXPERIMENTS = {
    "dfa-fig2-left": ("frozen_layer", "DFA Fig. 2 (left): 3x50 tanh pre-trained by BP with the "
                                      "first hidden layer frozen, then unfrozen (BP or DFA)"),
    "efp-fig4": ("output_error", "EFP Fig. 4: output error of FP (loop network) and EP, both "
                                 "with EP's update, over 2,500 minibatches of 20"),
    "efp-relaxation": ("relaxation", "EFP Sec. 5.2: the shortest free phase FP (loop of 2) and "
                                     "EP need, against depth (1-3 hidden layers)"),
}


def format_list():
    """What ``nplearn reproduce --list`` prints: the tables (rows and columns), then every
    paper setting of :func:`nplearn.paper_settings`."""
    width = max(map(len, TABLES))
    lines = ["Tables (nplearn reproduce TABLE [--rows ROW ...] [--columns COLUMN ...]):"]
    for name, t in TABLES.items():
        lines.append(f"  {name:<{width}}  {t.title}")
        lines.append(f"  {'':<{width}}    rows: {', '.join(dict.fromkeys(r.key for r in t.rows))}")
        lines.append(f"  {'':<{width}}    columns: {', '.join(slug(c) for c in t.columns)}")
    lines += ["", "Figures (nplearn reproduce FIGURE [--scale cpu|full]; one seed):"]
    lines += [f"  {name:<{width}}  {title}" for name, (_, title) in FIGURE_EXPERIMENTS.items()]
    lines += ["", "Paper settings (Classifier(**nplearn.paper_settings(RULE, NAME))):"]
    by_name = {}
    for s in list_paper_settings():
        by_name.setdefault(s.name, []).append(s)
    width = max(map(len, by_name))
    for n, group in by_name.items():
        lines.append(f"  {n:<{width}}  {', '.join(s.rule for s in group)}  ({group[0].source})")
        if group[0].ours:
            lines.append(f"  {'':<{width}}    ours: {group[0].ours}")
    return "\n".join(lines)


def add_arguments(p):
    """The ``nplearn reproduce`` arguments on parser ``p``; sets ``run=run_args``."""
    p.add_argument("table", nargs="?", metavar="TABLE",
                   help=f"one of {{{', '.join(TABLES)}}}, or a figure: "
                   f"{{{', '.join(FIGURE_EXPERIMENTS)}}} (see --list)")
    p.add_argument("--list", action="store_true",
                   help="list the tables (with their rows and columns) and the paper settings")
    p.add_argument("--scale", choices=SCALES, default="cpu",
                   help="cpu: digits, small nets, minutes; full: the paper's datasets and nets, "
                   "needs data_scripts/download.py (default: cpu)")
    p.add_argument("--seeds", type=int, default=3, metavar="N",
                   help="runs per cell, seeds 0..N-1 (default: 3)")
    p.add_argument("--epochs", type=int, metavar="N",
                   help="stop every run after N epochs of its budget (the schedule stays the "
                   "paper's; --resume with a larger N continues it)")
    p.add_argument("--resume", action="store_true",
                   help="continue the runs checkpointed in --out (the same numbers as an "
                   "uninterrupted reproduction)")
    p.add_argument("--rows", nargs="+", metavar="ROW", help="run only these rows (--list)")
    p.add_argument("--columns", nargs="+", metavar="COLUMN",
                   help="run only these columns (--list)")
    p.add_argument("--tuning", metavar="DIR", help="output folder of the table's tuning table "
                   "(default: results/reproduce/<tuning table>-SCALE beside --out)")
    p.add_argument("--data-dir", metavar="DIR", help="folder of downloaded <dataset>.npz files "
                   "(default: $NPLEARN_DATA, else ~/.cache/nplearn)")
    p.add_argument("--out", metavar="DIR",
                   help="output and checkpoint folder (default: results/reproduce/TABLE-SCALE)")
    p.set_defaults(run=run_args)


DESCRIPTION = ("Reproduce a table of one of the five papers (or one of nplearn's own "
               "Fashion-MNIST tables): train every row and column over seeds, checkpointing "
               "each run every epoch (--resume continues), print the paper's numbers beside "
               "ours (mean ± std, runs, epochs run) as Markdown, and write table.md, table.csv "
               "and the compare report (report.html) of the runs. A figure experiment "
               "(dfa-fig2-left, efp-fig4, efp-relaxation) writes its figure and numbers instead.")


def run_args(args):
    """Run ``nplearn reproduce`` from parsed ``args``; return the exit code."""
    if args.list:
        print(format_list())
        return 0
    if args.table not in (*TABLES, *FIGURE_EXPERIMENTS):
        raise ValueError(f"give a TABLE ({', '.join(TABLES)}), a FIGURE "
                         f"({', '.join(FIGURE_EXPERIMENTS)}) or --list"
                         + ("" if args.table is None else f"; got {args.table!r}"))
    if args.seeds < 1 or (args.epochs is not None and args.epochs < 1):
        raise ValueError("--seeds and --epochs must be >= 1")
    out = args.out or f"results/reproduce/{args.table}-{args.scale}"
    if args.table in FIGURE_EXPERIMENTS:        # one module each
        module = importlib.import_module(f".{FIGURE_EXPERIMENTS[args.table][0]}", __package__)
        _, markdown, files = module.run(out, scale=args.scale, epochs=args.epochs,
                                        data_dir=args.data_dir)
        print(markdown)
        print(f"wrote {', '.join(files)}")
        return 0
    result = reproduce(args.table, scale=args.scale, seeds=args.seeds, out_dir=out,
                       epochs=args.epochs, data_dir=args.data_dir, resume=args.resume,
                       rows=args.rows, columns=args.columns, tuning=args.tuning)
    print(result["markdown"])
    print(f"wrote {', '.join(result['files'])}")
    return 0
