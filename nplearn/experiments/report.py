"""The figures of a comparison and ``report.html``, one self-contained page holding them all.

A comparison (:func:`nplearn.experiments.compare`) is drawn from its result alone,
in memory or read back from ``runs.json`` and ``embeddings.npz`` (:func:`load_run`),
so ``nplearn plot RUN_DIR`` redraws any figure without retraining.

>>> from nplearn.experiments.report import load_run, save_figures, write_report
>>> result = load_run("results")                      # doctest: +SKIP
>>> files, pngs = save_figures(result, "results")     # doctest: +SKIP
>>> write_report("results", result, pngs)             # doctest: +SKIP
"""
import base64
import html
import io
import json
from collections import namedtuple
from datetime import datetime
from pathlib import Path

import matplotlib
import numpy as np

from ..plot import (plot_embedding_grid, plot_feedback_angles, plot_learning_curves,
                    plot_update_angles, plot_weight_histograms, plot_weight_norms, savefig)
from ..plot.style import DPI, RC
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


def write_report(out_dir, result, figures=None):
    """Write ``out_dir/report.html``: results, settings and every figure, self-contained.

    Figures are PNGs inside the page as base64 ``data:`` URIs, the CSS is inline and
    nothing is loaded from elsewhere, so the one file can be mailed or opened offline.

    Parameters
    ----------
    out_dir : str or path-like
    result : dict
        From :func:`nplearn.experiments.compare` or :func:`load_run`.
    figures : dict, optional
        key -> Figure already drawn, or the path of its PNG already saved; the other
        available figures are drawn here.

    Returns
    -------
    pathlib.Path
    """
    figures = dict(figures or {})
    for key in available(result):
        if key not in figures:
            figures[key] = draw(key, result)
    images = {k: base64.b64encode(_png(figures[k])).decode("ascii")
              for k in FIGURES if k in figures}
    text = _page(result, images)
    path = Path(out_dir) / "report.html"
    atomic_write(path, lambda fh: fh.write(text.encode()))
    return path


def alignment_rows(result):
    """``[(rule, quantity, start, end), ...]``: angles at the first defined and the last record.

    Each number is the mean over seeds, in degrees; ``start`` is the first record
    where it is defined (after the first update for weights that start at zero).
    """
    rows = []
    for rule in result["settings"]:
        recs = [r["record"] for r in result["runs"] if r["rule"] == rule and r.get("record")]
        if not recs:
            continue
        n_hidden = max(len(e) for r in recs for e in r["update_angle_mean"])
        series = [(f"update δ{l + 1}", [[e[l] if l < len(e) else None
                                          for e in r["update_angle_mean"]] for r in recs])
                  for l in range(n_hidden)]
        names = sorted({n for r in recs for e in r["feedback_angle"] for n in e})
        series += [(f"feedback {n}", [[e.get(n) for e in r["feedback_angle"]] for r in recs])
                   for n in names]
        for label, values in series:
            Y = np.array([[np.nan if v is None else v for v in s] for s in values
                          if len(s) == len(values[0])], dtype=float)
            mean = np.array([np.nanmean(c) if np.isfinite(c).any() else np.nan for c in Y.T])
            ok = np.flatnonzero(np.isfinite(mean))
            if ok.size and np.nanmax(np.abs(mean)) > 1e-3:    # BP vs itself is 0: left out
                steps = recs[0]["step"]
                rows.append((rule, label, (steps[ok[0]], mean[ok[0]]),
                             (steps[ok[-1]], mean[ok[-1]])))
    return rows


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


def _png(fig):
    """PNG bytes of a Figure, or of a PNG file already saved."""
    if isinstance(fig, (str, Path)):
        return Path(fig).read_bytes()
    buf = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       color: #222; margin: 0; background: #fff; }
main { max-width: 1150px; margin: 0 auto; padding: 1.5em 2em 4em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
.meta, .note { color: #555; }
.note { font-size: 0.9em; max-width: 60em; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.6em 0; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 0.3em 0.8em; text-align: right; }
th { background: #f4f4f4; }
td:first-child, th:first-child { text-align: left; }
td.rule { font-weight: 600; }
figure { margin: 1em 0 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: 0.92em; max-width: 60em; margin-top: 0.4em; }
"""


def _page(result, images):
    d, rules = result["dataset"], list(result["settings"])
    title = f"nplearn compare: {', '.join(r.upper() for r in rules)} on {d['name']}"
    seeds = " ".join(map(str, result["seeds"]))
    body = [f"<h1>{_e(title)}</h1>",
            f"<p class=\"meta\">{_e(d['name'])}: {d['n_train']} training / {d['n_val']} "
            f"validation / {d['n_test']} test samples, {d['n_features']} features, "
            f"{d['n_classes']} classes &middot; seeds {_e(seeds)} &middot; nplearn "
            f"{_e(result.get('nplearn_version', '?'))} &middot; "
            f"{_e(result.get('date') or _now())}</p>",
            "<h2>Results</h2>", _results_table(result),
            f"<p class=\"note\">{_results_note(result)}</p>"]
    for key in FIGURES:
        if key in images:
            spec = FIGURES[key]
            body += [f"<h2>{_e(spec.heading)}</h2>",
                     f"<figure><img alt=\"{_e(spec.heading)}\" "
                     f"src=\"data:image/png;base64,{images[key]}\">"
                     f"<figcaption>{_e(spec.caption)}</figcaption></figure>"]
        if key == "feedback":
            body.append(_alignment_table(result))
    body += ["<h2>Settings</h2>", _settings_table(result),
             "<p class=\"note\">The exact <code>nplearn.Classifier</code> arguments of each "
             "rule; every seed of a rule used them, with <code>random_state</code> = seed.</p>"]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(body) + "\n</main>\n</body>\n</html>\n")


def _results_table(result):
    head = ["rule", "test error (%)", "validation error (%)", "training error (%)",
            "time (s)", "recording overhead (%)", "k-NN input (%)", "k-NN last hidden (%)",
            "runs finished"]
    rows = []
    for rule, s in result["summary"].items():
        rows.append([rule.upper(), _pm(s, "test"), _pm(s, "val"), _pm(s, "train"),
                     _fmt(s["seconds_mean"], 1, "{:.2f}"),
                     _fmt(s.get("record_overhead_mean"), 100, "{:.1f}"),
                     _fmt(s.get("knn_input"), 100, "{:.1f}"),
                     _fmt(s.get("knn_last"), 100, "{:.1f}"),
                     f"{s['n_runs'] - s['n_diverged']} / {s['n_runs']}"])
    return _table(head, rows)


def _results_note(result):
    emb = result.get("embedding")
    knn = ("" if not emb else
           f" k-NN: accuracy of a {emb['k']}-nearest-neighbour classifier (5-fold "
           f"cross-validated) in the 2-D {METHOD_NAMES.get(emb['method'], emb['method'])} "
           f"map of {emb['n_samples']} test "
           f"samples, seed {emb['seed']}: the raw input versus the last hidden layer.")
    return _e("Errors at the last epoch, mean ± standard deviation over seeds. Time: wall "
              "time of one fit, recording included; recording overhead: the share of it "
              "spent measuring alignment angles." + knn)


def _alignment_table(result):
    spe = (result.get("record") or {}).get("steps_per_epoch") or {}
    when = lambda rule, step: (f"epoch {step / spe[rule]:.3g}" if spe.get(rule)
                               else f"step {step}")
    rows = [[rule.upper(), _e(q), f"{a:.1f}° <small>({when(rule, s)})</small>",
             f"{b:.1f}° <small>({when(rule, t)})</small>"]
            for rule, q, (s, a), (t, b) in alignment_rows(result)]
    if not rows:
        return ""
    return ("<h2>Angles at the start and end of training</h2>" +
            _table(["rule", "angle", "start", "end"], rows, escape=False) +
            "<p class=\"note\">Mean over seeds, in degrees (update δ_l: the rule's hidden "
            "update against BP's; feedback B_l: the feedback matrix against the forward "
            "path). Start is the first record where the angle is defined: weights that start "
            "at zero give BP no gradient to compare with before the first update.</p>")


def _settings_table(result):
    settings = result["settings"]
    keys = list(dict.fromkeys(k for s in settings.values() for k in s if k != "rule"))
    rows = [[k] + [_setting(s.get(k)) for s in settings.values()] for k in keys]
    return _table(["argument"] + [r.upper() for r in settings], rows)


def _table(head, rows, escape=True):
    cell = _e if escape else str
    out = ["<table>", "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>"]
    for row in rows:
        out.append("<tr>" + f"<td class=\"rule\">{cell(row[0])}</td>"
                   + "".join(f"<td>{cell(c)}</td>" for c in row[1:]) + "</tr>")
    return "\n".join(out + ["</table>"])


def _pm(s, split):
    m, sd = s[f"{split}_error_mean"], s[f"{split}_error_std"]
    return "diverged" if m is None else f"{100 * m:.2f} ± {100 * (sd or 0):.2f}"


def _fmt(v, scale, form):
    return "–" if v is None else form.format(scale * v)


def _setting(v):
    if isinstance(v, (list, tuple)):
        return " ".join(map(str, v)) or "none"
    return "–" if v is None else str(v)


def _e(text):
    return html.escape(str(text), quote=True)


def _now():
    return datetime.now().astimezone().isoformat(timespec="seconds")
