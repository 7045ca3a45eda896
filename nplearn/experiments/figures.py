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
                    plot_loop_angles, plot_setting_curves, plot_update_angles,
                    plot_weight_histograms, plot_weight_norms, savefig)
from ..plot.curves import paper_value
from ..train import atomic_write

FigureSpec = namedtuple("FigureSpec", "file heading caption")
METHOD_NAMES = {"tsne": "t-SNE", "pca": "PCA"}
LOOP_RULES_NOTE = ("EFP and SIGPROP_CT close their network with one loop from the output "
                   "back to the first hidden layer (EFP Eq. 1)")

# key (as in `nplearn plot --figure KEY`) -> file name, report heading, how to read it
FIGURES = {
    "curves": FigureSpec(
        "learning_curves", "Learning curves",
        "Error (%, log scale) after each epoch on the training, validation and test sets; "
        "lower is better, and a gap between training and test error is overfitting. Line "
        "style marks the rule's family: solid backprop and the feedback-alignment rules, "
        "dashed the Hopfield-network rules (EP, EFP, SIGPROP_CT), dash-dotted the "
        "forward-only rules (PEPITA, SIGPROP)."),
    "angles": FigureSpec(
        "update_angles", "Alignment of the updates with backprop",
        "Angle between each rule's hidden update direction δ_l and BP's for the same "
        "weights, on fixed training samples: below 90° the rule's update descends the "
        "loss (DFA Theorem 1), 0° is BP itself; band ± one standard deviation over "
        "samples."),
    "feedback": FigureSpec(
        "feedback_angles", "Alignment of the feedback matrices",
        "Angle between each fixed random feedback matrix B_l and the forward weights BP "
        "would use in its place (FA: W_{l+1}ᵀ; DFA, IFA: the whole path (W_L⋯W_{l+1})ᵀ; "
        "PEPITA: F against (W_L⋯W_1)ᵀ, which rises above 90°, its Fig. 3b): it falls from "
        "about 90° as the forward weights learn to agree with the feedback (for the last "
        "hidden layer FA and DFA stand in for the same W_Lᵀ)."),
    "loop": FigureSpec(
        "loop_angles", "Loop alignment (EFP paper, Fig. 5; sigprop paper, Fig. 4)",
        LOOP_RULES_NOTE + ". For each matrix W_z of the loop, the angle between W_zᵀ and the "
        "product of the rest of the loop, the path by which W_z's output returns to its "
        "input: below 90° that path carries signals as backprop's W_zᵀ would."),
    "tsne": FigureSpec(
        "embeddings", "Hidden representations (DFA paper, Fig. 3)",
        "Each dot is one test image, placed in 2-D from its values in that layer (the input: "
        "the raw pixels, shown once, the same for every rule) and coloured and numbered by "
        "its true class: tighter, more separate clusters mean the layer makes the classes "
        "easier to tell apart, as the k-NN accuracy in each title measures."),
    "norms": FigureSpec(
        "weight_norms", "Weight norms over training",
        "Frobenius norm of each weight matrix (line mean, band min to max over seeds): "
        "rules whose weights start at zero (FA, DFA with tanh) grow them from 0, and a "
        "norm still rising at the end has not settled."),
    "weights": FigureSpec(
        "weight_histograms", "Trained weights (as PEPITA paper, Fig. 5)",
        "Distribution of the final weights of each layer, pooled over seeds, one outline "
        "per rule: a wider distribution means larger weights, outlines that overlap mean "
        "rules that end alike, and a spike at 0 is weights that never moved (from pixels "
        "blank in every image, for rules whose weights start at zero)."),
}
# A reproduced paper table (result["table"], from nplearn.experiments.reproduce) has one figure.
TABLE_FIGURE = FigureSpec(
    "learning_curves", "Test error of every network of {title}",
    "One panel per network (row) of the paper's table, one line per rule (column): our test "
    "error (%, log scale) after each epoch{band}. The dotted line in the rule's colour is "
    "the paper's number{acc}; at the cpu scale compare the order of the rules, not the "
    "values (other data, smaller networks, fewer epochs).")
NO_DELTA = {"ep": "EP", "efp": "EFP", "sigprop_ct": "SIGPROP_CT", "sigprop": "SIGPROP",
            "snn_sigprop": "SNN_SIGPROP", "snn_bp": "SNN_BP", "snn_shallow": "SNN_SHALLOW"}


def spec(key, result):
    """The :class:`FigureSpec` of figure ``key`` for ``result``: heading and caption say what
    this result shows (which rules have no curve and why; a reproduced table's paper)."""
    if result.get("table"):
        t, n = result["table"], len(result["seeds"])
        return TABLE_FIGURE._replace(
            heading=TABLE_FIGURE.heading.format(title=_table_name(t)),
            caption=TABLE_FIGURE.caption.format(
                band=f", mean over {n} seeds, band min to max" if n > 1 else "",
                acc=(" (it prints accuracy a; drawn as the error 100 − a)"
                     if t["metric"].startswith("test accuracy") else "")))
    s = FIGURES[key]
    if key == "angles":
        missing = [r for r in result["settings"] if r in _no_update_angle(result)]
        if missing:
            names = ", ".join(r.upper() for r in missing)
            s = s._replace(caption=s.caption + f" {names}: no curve, because "
                           + ("the rule sends" if len(missing) == 1 else "these rules send")
                           + " no δ_l of the network's error to the hidden layers: EP, EFP "
                           "and SIGPROP_CT update from two relaxed states of a Hopfield "
                           "network (EFP Eq. 5-6), SIGPROP's layers each descend their own "
                           "loss (sigprop Eq. 9).")
    return s


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
    if result.get("table"):
        return ["curves"] if _missing("curves", result) is None else []
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
    if result.get("table"):
        return _table_curves(result, ok)
    n, name = len(result["seeds"]), result["dataset"]["name"]
    if key == "curves":
        return plot_learning_curves(by_rule("history"), title=name + (
            f": mean over {n} seeds, band min to max" if n > 1 else f", seed {result['seeds'][0]}"))
    spe = (result.get("record") or {}).get("steps_per_epoch")
    records = by_rule("record")
    if key == "angles":
        return plot_update_angles(records, steps_per_epoch=spe)
    if key == "feedback":
        return plot_feedback_angles({r: [_without_loop(x) for x in rs]
                                     for r, rs in records.items() if r not in _loop_rules(ok)},
                                    steps_per_epoch=spe)
    if key == "loop":
        return plot_loop_angles({r: rs for r, rs in records.items() if r in _loop_rules(ok)},
                                steps_per_epoch=spe, title="")
    if key == "norms":
        return plot_weight_norms(records, steps_per_epoch=spe)
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


def _table_curves(result, ok):
    """Small multiples of a reproduced table: a panel per row (network), a line per column."""
    t = result["table"]
    acc = t["metric"].startswith("test accuracy")
    histories, rules, paper = {}, {}, {}
    for c in t["cells"]:
        label = f"{c['model']} | {c['column']}"
        hs = [r["history"] for r in ok if r["rule"] == label and r.get("history")]
        if c["rule"] is None or not hs:
            continue
        panel = c["model"] + _ours_net(result["settings"][label], c["model"])
        histories.setdefault(panel, {})[c["column"]] = hs
        rules[c["column"]] = c["rule"]
        v = paper_value(c["paper"])
        paper.setdefault(panel, {})[c["column"]] = 100 - v if acc and v is not None else v
    d = result["dataset"]["name"]
    return plot_setting_curves(histories, rules, paper, paper_note="the paper's number",
                               title=f"{_table_name(t)}, {t['scale']} scale ({d})")


def _ours_net(kw, model):
    """``"\\n(ours: 7x60)"`` when our hidden layers are not those the row's name says."""
    h = list(kw.get("hidden_sizes") or ())
    ours = (f"{len(h)}x{h[0]}" if h and len(set(h)) == 1 else "-".join(map(str, h))) or "none"
    return "" if ours in model else f"\n(ours: {ours})"


def _table_name(t):
    """``"DFA Table 1"`` from the title ``"DFA Table 1: MNIST test error ..."``."""
    return t["title"].split(":")[0]


def _loop_rules(ok):
    """Rules whose recorded feedback angles are loop angles (EFP, sigprop_ct: ``W_loop``)."""
    return {r["rule"] for r in ok if r.get("record")
            and any("W_loop" in e for e in r["record"]["feedback_angle"])}


def _without_loop(record):
    return {**record, "feedback_angle": [{} for _ in record["feedback_angle"]]} \
        if any("W_loop" in e for e in record["feedback_angle"]) else record


def _no_update_angle(result):
    """Rules that ran with recording but have no finite update angle (no delta_l)."""
    out = set()
    for rule in result["settings"]:
        recs = [r["record"] for r in result["runs"] if r["rule"] == rule and r.get("record")]
        if recs and not any(a is not None and np.isfinite(a) for x in recs
                            for e in x["update_angle_mean"] for a in e):
            out.add(rule)
    return out


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
        png, svg = savefig(draw(key, result), Path(out_dir) / spec(key, result).file)
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
    if key in ("angles", "feedback", "loop", "norms") and not records:
        return "the run was made without recording (--no-record)"
    if key == "angles" and not any(a and abs(a) > 1e-3 for r in records
                                   for e in r["update_angle_mean"] for a in e):
        return "no rule but BP, or no hidden layer: no update angle to compare"
    loops = _loop_rules(ok)
    if key == "feedback" and not any(v is not None and np.isfinite(v) for r in ok
                                     if r.get("record") and r["rule"] not in loops
                                     for e in r["record"]["feedback_angle"] for v in e.values()):
        return "no rule with feedback matrices was compared"
    if key == "loop" and not loops:
        return "no rule with a Hopfield loop (EFP, sigprop_ct) was compared"
    if key == "weights" and not any(r.get("weight_hist") for r in ok):
        return "no weight histograms were saved"
    if key == "tsne" and not (result.get("embedding") and result.get("embedding_coords")):
        return "no embeddings (--embed none, or embeddings.npz missing)"
    return None
