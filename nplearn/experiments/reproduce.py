"""Reproduce a paper's table: run every row and column over seeds, print ours beside the paper's.

>>> from nplearn.experiments.reproduce import list_tables, reproduce
>>> "dfa-table1" in list_tables()
True
>>> result = reproduce("dfa-deep", seeds=1, epochs=1)   # doctest: +SKIP
>>> print(result["markdown"])                           # doctest: +SKIP

The tables (paper numbers and settings) are in :mod:`nplearn.experiments.tables`. Each run is
:func:`nplearn.experiments.compare`'s (same split, same record of errors and curves); with
``out_dir``, besides ``table.md`` and ``table.csv``, the runs of each dataset get compare's
``results.csv``, ``runs.json``, figures and ``report.html`` (in ``out_dir``, or in
``out_dir/<dataset>/`` when the table spans several datasets).
"""
import csv
import io
import json
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..data import load_dataset
from ..estimator import Classifier
from ..rules import RULES
from ..train import atomic_write
from .compare import _run, _summarize, _weight_bins, _write
from .tables import TABLES

SCALES = ("cpu", "full")
NOT_IMPLEMENTED = "not implemented"


def list_tables():
    """``{name: title}`` of every table in :data:`nplearn.experiments.tables.TABLES`."""
    return {name: t.title for name, t in TABLES.items()}


def table_settings(name, scale="cpu", epochs=None):
    """``[(row, column, dataset, kwargs or None), ...]`` of table ``name`` at ``scale``.

    ``kwargs`` are complete ``Classifier`` arguments (the rule's paper default wherever the
    table is silent); ``None`` for a cell nplearn does not run.
    """
    table = _table(name)
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    cells = []
    for row in table.rows:
        dataset = row.dataset if scale == "full" else table.cpu_dataset
        for col, spec in table.columns.items():
            if spec is None or col in row.missing:
                cells.append((row, col, dataset, None))
                continue
            kw = {**spec, **getattr(row, scale), **row.per_column.get(col, {}).get(scale, {})}
            if epochs is not None:
                kw["epochs"] = int(epochs)
            cells.append((row, col, dataset, _complete(kw)))
    return cells


def reproduce(name, scale="cpu", seeds=3, out_dir=None, progress=None, epochs=None,
              data_dir=None):
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
        Write ``table.md``, ``table.csv`` and compare's report of the runs there.
    progress : bool, optional
        Progress bar over the runs; ``None``: only on a terminal.
    epochs : int, optional
        Overrides every cell's epochs (the tests run one epoch).
    data_dir : str or path-like, optional
        Folder of downloaded datasets.

    Returns
    -------
    dict
        ``name, title, citation, scale, seeds, metric, notes``, ``cells`` (one dict per row and
        column: ``model, column, rule, dataset, paper, mean, std`` (in the table's metric, %),
        ``n_ok, n_runs, status`` ("ok", "diverged" or "not implemented")), ``markdown``,
        ``results`` (dataset -> compare-style result of its runs) and, with ``out_dir``,
        ``files``.
    """
    table = _table(name)
    seeds = int(seeds)
    if seeds < 1:
        raise ValueError(f"seeds must be >= 1, got {seeds}")
    cells = table_settings(name, scale, epochs)
    datasets = list(dict.fromkeys(d for *_, d, kw in cells if kw is not None))
    dtype = next(kw["dtype"] for *_, kw in cells if kw is not None)
    data = {d: load_dataset(d, data_dir=data_dir, dtype=dtype) for d in datasets}  # fail early
    jobs, cache = [], {}
    for row, col, d, kw in cells:
        if kw is not None and kw.get("conv") and kw.get("image_shape") is None:
            kw["image_shape"] = data[d].image_shape
        if kw is not None:
            key = (d, json.dumps(kw, sort_keys=True, default=str))
            jobs += [(key, s) for s in range(seeds) if (key, s) not in cache]
            cache.update({(key, s): None for s in range(seeds)})
    bar = tqdm(jobs, desc=name, unit="run", leave=False,
               disable=None if progress is None else not progress)
    for (d, text), seed in bar:
        kw = json.loads(text)
        bar.set_postfix_str(f"{kw['rule']} {tuple(kw['hidden_sizes'])} seed {seed}")
        cache[(d, text), seed] = _run(seed, _tuples(kw), data[d], None, None)
    result = {"name": name, "title": table.title, "citation": table.citation, "scale": scale,
              "seeds": list(range(seeds)), "metric": table.metric, "notes": table.notes,
              "cells": [], "results": {}}
    by_dataset = {}
    for row, col, d, kw in cells:
        cell = {"model": row.model, "column": col, "rule": kw and kw["rule"], "dataset": d,
                "paper": row.paper.get(col, ""), "mean": None, "std": None, "n_ok": 0,
                "n_runs": 0, "status": NOT_IMPLEMENTED,
                "why": row.missing.get(col, NOT_IMPLEMENTED) if kw is None else None}
        if kw is not None:
            key = (d, json.dumps(kw, sort_keys=True, default=str))
            label = f"{row.model} | {col}"
            pairs = [cache[key, s] for s in range(seeds)]
            by_dataset.setdefault(d, {"settings": {}, "runs": [], "finals": []})
            entry = by_dataset[d]
            entry["settings"][label] = kw
            for run, clf in pairs:
                entry["runs"].append({**run, "rule": label})
                entry["finals"].append(clf.model_.params if run["status"] == "ok" else None)
            cell.update(_cell_stats([run for run, _ in pairs], table.metric))
        result["cells"].append(cell)
    for d, entry in by_dataset.items():
        result["results"][d] = _compare_result(data[d], result["seeds"], entry)
        result["results"][d]["table"] = {     # the paper's table, for the report of the runs
            **{k: result[k] for k in ("name", "title", "citation", "scale", "metric", "notes")},
            "cells": [c for c in result["cells"] if c["dataset"] == d]}
    result["markdown"] = format_markdown(result)
    if out_dir is not None:
        result["files"] = [str(p) for p in _save(result, Path(out_dir))]
    return result


def format_markdown(result):
    """The table as Markdown: one line per row, the paper's value and ours per column."""
    cols = list(dict.fromkeys(c["column"] for c in result["cells"]))
    head = ["model"] + [f"{c} {w}" for c in cols for w in ("paper", "ours")]
    lines = [f"**{result['title']}** ({result['metric']}, {result['scale']} scale, ours: mean ± "
             f"std over seeds, [runs finished/started])", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    rows = list(dict.fromkeys(c["model"] for c in result["cells"]))
    for model in rows:
        mine = {c["column"]: c for c in result["cells"] if c["model"] == model}
        line = [model]
        for col in cols:
            c = mine[col]
            line += [c["paper"] or "(not printed)", _ours(c)]
        lines.append("| " + " | ".join(line) + " |")
    lines += ["", f"Paper: {result['citation']}."]
    if result["notes"]:
        lines.append(f"Notes: {result['notes']}")
    return "\n".join(lines) + "\n"


def _ours(c):
    if c["status"] == NOT_IMPLEMENTED:
        return NOT_IMPLEMENTED
    if c["mean"] is None:
        return f"diverged [0/{c['n_runs']}]"
    return f"{c['mean']:.2f} ± {c['std']:.2f} [{c['n_ok']}/{c['n_runs']}]"


def _cell_stats(runs, metric):
    ok = [r["test_error"] for r in runs if r["status"] == "ok" and r["test_error"] is not None]
    v = 100 * np.array(ok)
    if metric.startswith("test accuracy"):
        v = 100 - v
    return {"n_ok": len(ok), "n_runs": len(runs), "status": "ok" if ok else "diverged",
            "mean": float(v.mean()) if ok else None,
            "std": float(v.std(ddof=1)) if len(ok) > 1 else (0.0 if ok else None)}


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


def _save(result, out):
    md, csv_path = out / "table.md", out / "table.csv"
    atomic_write(md, lambda fh: fh.write(result["markdown"].encode()))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["table", "scale", "model", "column", "rule", "dataset", "metric", "paper",
                "ours_mean", "ours_std", "n_ok", "n_runs", "status"])
    for c in result["cells"]:
        w.writerow([result["name"], result["scale"], c["model"], c["column"], c["rule"] or "",
                    c["dataset"], result["metric"], c["paper"],
                    "" if c["mean"] is None else f"{c['mean']:.4f}",
                    "" if c["std"] is None else f"{c['std']:.4f}", c["n_ok"], c["n_runs"],
                    c["status"]])
    atomic_write(csv_path, lambda fh: fh.write(buf.getvalue().encode()))
    files = [md, csv_path]
    several = len(result["results"]) > 1
    for d, res in result["results"].items():
        files += _write(res, out / d if several else out)
    return files


def _complete(kw):
    """Every ``Classifier`` argument but ``random_state``/``verbose``; ``None`` -> rule default."""
    kw = {k: v for k, v in kw.items() if v is not None}
    params = Classifier(**kw).get_params()
    del params["random_state"], params["verbose"]
    params.update({k: v for k, v in RULES[kw["rule"]].defaults.items()
                   if k in params and params[k] is None})
    return params


def _tuples(kw):
    """JSON turned tuples into lists; ``Classifier`` wants tuples for layer specs."""
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


def _table(name):
    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}; choose one of {', '.join(TABLES)}")
    return TABLES[name]


def add_arguments(p):
    """The ``nplearn reproduce`` arguments on parser ``p``; sets ``run=run_args``."""
    p.add_argument("table", nargs="?", metavar="TABLE",
                   help=f"one of {{{', '.join(TABLES)}}} (see --list)")
    p.add_argument("--list", action="store_true", help="list the tables and exit")
    p.add_argument("--scale", choices=SCALES, default="cpu",
                   help="cpu: digits, small nets, minutes; full: the paper's datasets and nets, "
                   "needs data_scripts/download.py (default: cpu)")
    p.add_argument("--seeds", type=int, default=3, metavar="N",
                   help="runs per cell, seeds 0..N-1 (default: 3)")
    p.add_argument("--epochs", type=int, metavar="N", help="override every cell's epochs")
    p.add_argument("--data-dir", metavar="DIR", help="folder of downloaded <dataset>.npz files "
                   "(default: $NPLEARN_DATA, else ~/.cache/nplearn)")
    p.add_argument("--out", metavar="DIR",
                   help="output folder (default: results/reproduce/TABLE-SCALE)")
    p.set_defaults(run=run_args)


DESCRIPTION = ("Reproduce a table of one of the five papers: train every row and column over "
               "seeds, print the paper's numbers beside ours (mean ± std, runs) as Markdown, "
               "and write table.md, table.csv and the compare report (report.html) of the runs.")


def run_args(args):
    """Run ``nplearn reproduce`` from parsed ``args``; return the exit code."""
    if args.list:
        width = max(map(len, TABLES))
        for name, title in list_tables().items():
            print(f"{name:<{width}}  {title}")
        return 0
    if args.table is None:
        raise ValueError(f"give a TABLE ({', '.join(TABLES)}) or --list")
    if args.seeds < 1 or (args.epochs is not None and args.epochs < 1):
        raise ValueError("--seeds and --epochs must be >= 1")
    out = args.out or f"results/reproduce/{args.table}-{args.scale}"
    result = reproduce(args.table, scale=args.scale, seeds=args.seeds, out_dir=out,
                       epochs=args.epochs, data_dir=args.data_dir)
    print(result["markdown"])
    print(f"wrote {', '.join(result['files'])}")
    return 0

