"""The figures of a comparison: which exist, how to draw each, and the saved run they come from.

A comparison (:func:`nplearn.experiments.compare`) is drawn from its result alone,
in memory or read back from ``runs.json`` and ``embeddings.npz`` (:func:`load_run`),
so ``nplearn plot RUN_DIR`` redraws any figure without retraining.

>>> from nplearn.experiments.figures import load_run, save_figures
>>> result = load_run("results")                      # doctest: +SKIP
>>> files, pngs = save_figures(result, "results")     # doctest: +SKIP
"""
import json
from collections import namedtuple
from pathlib import Path

import numpy as np

from ..plot import (plot_embedding_grid, plot_feedback_angles, plot_learning_curves,
                    plot_update_angles, plot_weight_histograms, plot_weight_norms, savefig)
from ..train import atomic_write

FigureSpec = namedtuple("FigureSpec", "file heading caption")
METHOD_NAMES = {"tsne": "t-SNE", "pca": "PCA"}

# key (as in `nplearn plot --figure KEY`) -> file name, report heading, how to read it
FIGURES = {
    "curves": FigureSpec(
        "learning_curves", "Learning curves",
        "Error (%, log scale) after each epoch on the training, validation and test sets: "
        "line the mean over seeds, band min to max; lower is better, and a gap between "
        "training and test error is overfitting."),
    "angles": FigureSpec(
        "update_angles", "Alignment of the updates with backprop",
        "Angle between each rule's hidden update direction δ_l and BP's for the same "
        "weights, on fixed training samples: below 90° the rule's update descends the "
        "loss (DFA Theorem 1), 0° is BP itself; band ± one standard deviation over "
        "samples."),
    "feedback": FigureSpec(
        "feedback_angles", "Alignment of the feedback matrices",
        "Angle between each fixed random feedback matrix B_l and the forward weights BP "
        "would use in its place (FA: W_{l+1}ᵀ; DFA, IFA: the whole path (W_L⋯W_{l+1})ᵀ): "
        "it falls from about 90° as the forward weights learn to agree with the feedback "
        "(for the last hidden layer FA and DFA stand in for the same W_Lᵀ)."),
    "tsne": FigureSpec(
        "embeddings", "Hidden representations (DFA paper, Fig. 3)",
        "Each dot is one test image, placed in 2-D from its values in that layer (left: "
        "the raw pixels) and coloured and numbered by its true class: tighter, more "
        "separate clusters mean the layer makes the classes easier to tell apart, as the "
        "k-NN accuracy in each title measures."),
    "norms": FigureSpec(
        "weight_norms", "Weight norms over training",
        "Frobenius norm of each weight matrix (line mean, band min to max over seeds): "
        "rules whose weights start at zero (FA, DFA with tanh) grow them from 0, and a "
        "norm still rising at the end has not settled."),
    "weights": FigureSpec(
        "weight_histograms", "Trained weights (PEPITA paper, Fig. 5)",
        "Distribution of the final weights of each layer, pooled over seeds, one outline "
        "per rule: a wider distribution means larger weights, outlines that overlap mean "
        "rules that end alike, and a spike at 0 is weights that never moved (from pixels "
        "blank in every image, for rules whose weights start at zero)."),
}


def load_run(run_dir):
    """The result saved by ``compare(out_dir=run_dir)``: ``runs.json`` plus ``embeddings.npz``."""
    run_dir = Path(run_dir)
    path = run_dir / "runs.json"
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir} has no runs.json; make a run there first with "
                                f"`nplearn compare --out {run_dir}`")
    result = json.loads(path.read_text())
    if (run_dir / "embeddings.npz").is_file():
        result["embedding_coords"] = load_embeddings(run_dir / "embeddings.npz")
    return result


def save_embeddings(path, result):
    """Write ``result["embedding_coords"]`` to ``path`` (``.npz``), atomically.

    Arrays: ``labels`` and ``index`` (n,) (class and position in the test set),
    ``input`` (n, 2), ``<rule>.h<l>`` (n, 2) per rule and hidden layer, and the
    names ``rules``, ``columns``, ``label_names``, ``method``.
    """
    c, meta = result["embedding_coords"], result["embedding"]
    arrays = {"labels": np.asarray(c["labels"]), "index": np.asarray(c["index"]),
              "rules": np.array(list(c["maps"]), dtype=str),
              "columns": np.array(meta["columns"], dtype=str),
              "label_names": np.array(meta["label_names"], dtype=str),
              "method": np.array(meta["method"])}
    for rule, zs in c["maps"].items():
        arrays["input"] = zs[0]                       # the same for every rule
        arrays.update({f"{rule}.{col}": z for col, z in zip(meta["columns"][1:], zs[1:])})
    atomic_write(path, lambda fh: np.savez_compressed(fh, **arrays))
    return Path(path)


def load_embeddings(path):
    """``{"labels", "index", "maps": {rule: [input, h1, ...]}}`` from :func:`save_embeddings`."""
    with np.load(path) as f:
        columns = [str(c) for c in f["columns"]]
        maps = {str(r): [f["input"], *(f[f"{r}.{c}"] for c in columns[1:] if f"{r}.{c}" in f)]
                for r in f["rules"]}
        return {"labels": f["labels"], "index": f["index"], "maps": maps}


def available(result):
    """Keys of :data:`FIGURES` that ``result`` holds the data for, in order."""
    return [k for k in FIGURES if _missing(k, result) is None]


def draw(key, result):
    """The :class:`~matplotlib.figure.Figure` ``key`` of :data:`FIGURES` for ``result``."""
    if key not in FIGURES:
        raise ValueError(f"unknown figure {key!r}; choose one of {', '.join(FIGURES)}")
    why = _missing(key, result)
    if why:
        raise ValueError(f"cannot draw {key}: {why}")
    ok = [r for r in result["runs"] if r["status"] == "ok"]
    by_rule = lambda field: {rule: [r[field] for r in ok if r["rule"] == rule and r[field]]
                             for rule in result["settings"]}
    n, name = len(result["seeds"]), result["dataset"]["name"]
    if key == "curves":
        return plot_learning_curves(by_rule("history"), title=f"{name}: mean over {n} "
                                    f"seed{'s' * (n > 1)}, band min to max")
    spe = (result.get("record") or {}).get("steps_per_epoch")
    if key == "angles":
        return plot_update_angles(by_rule("record"), steps_per_epoch=spe)
    if key == "feedback":
        return plot_feedback_angles(by_rule("record"), steps_per_epoch=spe)
    if key == "norms":
        return plot_weight_norms(by_rule("record"), steps_per_epoch=spe)
    if key == "weights":
        bins = result["weight_bins"]
        return plot_weight_histograms({rule: [{k: (c, bins[k]) for k, c in h.items()}
                                              for h in hs]
                                       for rule, hs in by_rule("weight_hist").items()})
    meta, coords = result["embedding"], result["embedding_coords"]
    method = METHOD_NAMES.get(meta["method"], meta["method"])
    return plot_embedding_grid(coords["maps"], coords["labels"], meta["knn"],
                               columns=meta["columns"], label_names=meta["label_names"],
                               method=method, k=meta["k"],
                               title=f"{method} of {meta['n_samples']} {name} test samples "
                               f"(seed {meta['seed']}); colour and number: true class")


def save_figures(result, out_dir, keys=None):
    """Draw ``keys`` (default every available figure) into ``out_dir`` as PNG and SVG.

    Returns
    -------
    files : list of pathlib.Path
    pngs : dict
        key -> its PNG, for :func:`write_report` to embed without drawing again.
    """
    files, pngs = [], {}
    for key in available(result) if keys is None else keys:
        png, svg = savefig(draw(key, result), Path(out_dir) / FIGURES[key].file)
        files += [png, svg]
        pngs[key] = png
    return files, pngs


def _missing(key, result):
    """Why ``result`` cannot give figure ``key``, or ``None``."""
    ok = [r for r in result["runs"] if r["status"] == "ok"]
    if not ok:
        return "every run diverged"
    records = [r["record"] for r in ok if r.get("record")]
    if key == "curves":
        return None
    if key in ("angles", "feedback", "norms") and not records:
        return "the run was made without recording (--no-record)"
    if key == "angles" and not any(a and abs(a) > 1e-3 for r in records
                                   for e in r["update_angle_mean"] for a in e):
        return "no rule but BP, or no hidden layer: no update angle to compare"
    if key == "feedback" and not any(v is not None and np.isfinite(v) for r in records
                                     for e in r["feedback_angle"] for v in e.values()):
        return "no rule with feedback matrices was compared"
    if key == "weights" and not any(r.get("weight_hist") for r in ok):
        return "no weight histograms were saved"
    if key == "tsne" and not (result.get("embedding") and result.get("embedding_coords")):
        return "no embeddings (--embed none, or embeddings.npz missing)"
    return None
