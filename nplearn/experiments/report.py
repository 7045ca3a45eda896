"""``report.html``: one self-contained page with a comparison's results and every figure.

>>> from nplearn.experiments.figures import load_run, save_figures
>>> from nplearn.experiments.report import write_report
>>> result = load_run("results")                      # doctest: +SKIP
>>> files, pngs = save_figures(result, "results")     # doctest: +SKIP
>>> write_report("results", result, pngs)             # doctest: +SKIP
"""
import base64
import html
import io
from datetime import datetime
from pathlib import Path

import matplotlib
import numpy as np

from ..plot.style import DPI, RC
from ..train import atomic_write
from .figures import FIGURES, METHOD_NAMES, available, draw

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
            _data_line(d),
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


# ---- which data the report was made from (source, sha256, splits), when runs.json says
def _data_line(d):
    parts = [f"{k}: {d[k]}" for k in ("source", "sha256", "splits") if d.get(k)]
    return f"<p class=\"meta\">Data {_e(' · '.join(parts))}</p>" if parts else ""
# ----


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
