"""``report.html``: one self-contained page with a comparison's results and every figure;
and the same results as a terminal table (:func:`summary_table`, :func:`recording_line`).

The page is made to be projected: no figure is wider than the text column (figures are at
most 6.8 in wide, and shown at 1:1 or smaller their 8 pt text is not smaller than the 15 px
body text), no table is wider than a 1024 px page, and numbers do not wrap. A reproduced
paper table (``result["table"]``) gets its paper-versus-ours table and a panel per network.

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

from .. import __version__
from ..plot.style import DPI, RC
from ..train import atomic_write
from .figures import FIGURES, METHOD_NAMES, available, draw, spec

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
    shown = available(result)
    images = {k: base64.b64encode(_png(figures[k])).decode("ascii")
              for k in FIGURES if k in figures and k in shown}
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
main { max-width: 1100px; margin: 0 auto; padding: 1.5em 2em 4em; }
@media (max-width: 1100px) { main { padding: 1em 0.8em 3em; } }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.3em; }
.meta, .note { color: #555; }
.note { font-size: 0.9em; max-width: 60em; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.6em 0; max-width: 100%; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 0.3em 0.6em; text-align: right; }
th { background: #f4f4f4; vertical-align: bottom; }
td { white-space: nowrap; }
td.text { white-space: normal; text-align: left; overflow-wrap: anywhere; }
th.text { text-align: left; }
td:first-child, th:first-child { text-align: left; }
td.rule { font-weight: 600; }
figure { margin: 1em 0 0; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: 0.92em; max-width: 60em; margin-top: 0.4em; }
"""
SETTINGS_PER_TABLE = 6   # rules side by side in one settings table: it fits a 1024 px page


def _page(result, images):
    d, rules = result["dataset"], list(result["settings"])
    table = result.get("table")
    if table:
        title = f"nplearn reproduce: {table['title']}"
    else:
        title = f"nplearn compare: {', '.join(r.upper() for r in rules)} on {d['name']}"
    seeds = " ".join(map(str, result["seeds"]))
    body = [f"<h1>{_e(title)}</h1>",
            f"<p class=\"meta\">{_e(d['name'])}: {d['n_train']} training / {d['n_val']} "
            f"validation / {d['n_test']} test samples, {d['n_features']} features, "
            f"{d['n_classes']} classes &middot; seed{'s' * (len(result['seeds']) > 1)} "
            f"{_e(seeds)} &middot; nplearn {_e(result.get('nplearn_version') or __version__)} "
            "&middot; "
            f"{_e(result.get('date') or _now())}</p>",
            _data_line(d)]
    if table:
        body += [f"<p class=\"meta\">Paper: {_e(table['citation'])}. {_e(table['scale'])} "
                 "scale.</p>", f"<h2>{_e(_short(table))}: the paper's numbers and ours</h2>",
                 _paper_table(table), f"<p class=\"note\">{_paper_note(table)}</p>"]
    body += [f"<h2>{'Every run, by setting' if table else 'Results'}</h2>",
             _results_table(result), f"<p class=\"note\">{_results_note(result)}</p>"]
    for key in FIGURES:
        if key in images:
            s = spec(key, result)
            body += [f"<h2>{_e(s.heading)}</h2>",
                     f"<figure><img alt=\"{_e(s.heading)}\" "
                     f"src=\"data:image/png;base64,{images[key]}\">"
                     f"<figcaption>{_e(s.caption)}</figcaption></figure>"]
        if key == "loop" or (key == "feedback" and "loop" not in images):
            body.append(_alignment_table(result))
    body += ["<h2>Settings</h2>", _settings_tables(result),
             "<p class=\"note\">The exact <code>nplearn.Classifier</code> arguments of each "
             + ("setting" if table else "rule") + "; every seed used them, with "
             "<code>random_state</code> = seed.</p>"]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(body) + "\n</main>\n</body>\n</html>\n")


# ---- which data the report was made from (source, sha256, splits), when runs.json says
def _data_line(d):
    parts = [f"{k}: {d[k]}" for k in ("source", "sha256", "splits") if d.get(k)]
    return f"<p class=\"meta\">Data {_e(' · '.join(parts))}</p>" if parts else ""
# ----


def _results_table(result):
    head = ["rule", "epochs", "test error (%)", "validation error (%)", "training error (%)",
            "time (s)", "recording (% of time)", "k-NN input (%)", "k-NN last hidden (%)",
            "runs finished"]
    rows = []
    for rule, s in result["summary"].items():
        rows.append([rule if result.get("table") else rule.upper(), _epochs(result, rule),
                     _pm(s, "test"), _pm(s, "val"), _pm(s, "train"),
                     _fmt(s["seconds_mean"], 1, "{:.2f}"),
                     _fmt(s.get("record_overhead_mean"), 100, "{:.1f}"),
                     _fmt(s.get("knn_input"), 100, "{:.1f}"),
                     _fmt(s.get("knn_last"), 100, "{:.1f}"),
                     f"{s['n_runs'] - s['n_diverged']} / {s['n_runs']}"])
    keep = [j for j in range(len(head)) if j < 6 or j == len(head) - 1
            or any(r[j] != "–" for r in rows)]            # no empty columns
    return _table([head[j] for j in keep], [[r[j] for j in keep] for r in rows])


def _epochs(result, rule):
    n = sorted({r["epochs"] for r in result["runs"] if r["rule"] == rule and r.get("epochs")})
    if not n:
        n = [result["settings"][rule].get("epochs")]
    return "–" if n == [None] else "/".join(map(str, n))


def _results_note(result):
    emb = result.get("embedding")
    knn = ("" if not emb else
           f" k-NN: accuracy of a {emb['k']}-nearest-neighbour classifier (5-fold "
           f"cross-validated) in the 2-D {METHOD_NAMES.get(emb['method'], emb['method'])} "
           f"map of {emb['n_samples']} test "
           f"samples, seed {emb['seed']}: the raw input versus the last hidden layer.")
    rec = (" Recording: the share of the fit time spent measuring alignment angles."
           if result.get("record") else "")
    return _e("Errors at the last epoch, mean ± standard deviation over seeds (± 0.00 for "
              "one seed). Time: wall time of one fit, recording included." + rec + knn)


def _paper_table(table):
    cols = list(dict.fromkeys(c["column"] for c in table["cells"]))
    head = ["network"] + [f"{c} {w}" for c in cols for w in ("paper", "ours")]
    rows = []
    for model in dict.fromkeys(c["model"] for c in table["cells"]):
        mine = {c["column"]: c for c in table["cells"] if c["model"] == model}
        row = [model]
        for col in cols:
            c = mine[col]
            row += [c["paper"] or "(not printed)", _ours(c)]
        rows.append(row)
    return _table(head, rows)


def _ours(c):
    if c["status"] == "not implemented":
        return "not run"
    if c["mean"] is None:
        return f"diverged ({c['n_runs']} runs)"
    return f"{c['mean']:.2f} ± {c['std']:.2f}"


def _paper_note(table):
    notes = f" {table['notes']}" if table.get("notes") else ""
    return _e(f"{table['metric'][:1].upper()}{table['metric'][1:]}; ours: mean ± standard "
              "deviation over seeds at the last epoch; not run: a model nplearn does not "
              f"implement.{notes}")


def _short(table):
    return table["title"].split(":")[0]


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
            "path; W_l, W_loop of EFP and SIGPROP_CT: the loop matrix against the rest of the "
            "loop). Start is the first record where the angle is defined: weights that start "
            "at zero give BP no gradient to compare with before the first update.</p>")


def _settings_tables(result):
    """Arguments shared by every rule in one short table; the others side by side, at most
    :data:`SETTINGS_PER_TABLE` rules a table, so no table is wider than the page."""
    settings = result["settings"]
    keys = list(dict.fromkeys(k for s in settings.values() for k in s if k != "rule"))
    label = (lambda r: r) if result.get("table") else (lambda r: r.upper())
    values = {k: [_setting(s.get(k)) for s in settings.values()] for k in keys}
    shared = [k for k in keys if len(set(values[k])) == 1]
    differ = [k for k in keys if k not in shared]
    out = []
    if shared and len(settings) > 1:
        out += ["<h3>The same for every " + ("setting" if result.get("table") else "rule")
                + "</h3>", _table(["argument", "value"],
                                  [[k, values[k][0]] for k in shared], text_cols=(1,))]
    names = list(settings)
    keys = differ if len(settings) > 1 else keys
    for i in range(0, len(names), SETTINGS_PER_TABLE):
        part = names[i:i + SETTINGS_PER_TABLE]
        if keys:
            if len(settings) > 1:
                out.append("<h3>Different per " + ("setting" if result.get("table") else "rule")
                           + (f" ({i + 1}-{i + len(part)} of {len(names)})"
                              if len(names) > SETTINGS_PER_TABLE else "") + "</h3>")
            out.append(_table(["argument"] + [label(r) for r in part],
                              [[k] + [values[k][names.index(r)] for r in part] for k in keys],
                              text_cols=range(1, len(part) + 1)))
    return "\n".join(out)


def _table(head, rows, escape=True, text_cols=()):
    cell = _e if escape else str
    td = lambda j: "<td class=\"text\">" if j in text_cols else "<td>"
    th = lambda j: "<th class=\"text\">" if j in text_cols else "<th>"
    out = ["<table>", "<tr>" + "".join(f"{th(j)}{_e(h)}</th>" for j, h in enumerate(head))
           + "</tr>"]
    for row in rows:
        out.append("<tr>" + f"<td class=\"rule\">{cell(row[0])}</td>"
                   + "".join(f"{td(j)}{cell(c)}</td>" for j, c in enumerate(row[1:], 1))
                   + "</tr>")
    return "\n".join(out + ["</table>"])


def _pm(s, split):
    m, sd = s[f"{split}_error_mean"], s[f"{split}_error_std"]
    return "diverged" if m is None else f"{100 * m:.2f} ± {100 * (sd or 0):.2f}"


def _fmt(v, scale, form):
    return "–" if v is None else form.format(scale * v)


def _setting(v):
    if isinstance(v, dict):
        return ", ".join(f"{k}={_setting(x)}" for k, x in v.items()) or "none"
    if isinstance(v, (list, tuple)):
        return " ".join(map(_setting, v)) or "none"
    return "–" if v is None else str(v)


# ------------------------------------------------------------------ the terminal table
def summary_table(summary, runs=None):
    """Aligned text table of a ``compare(...)["summary"]``, as the report's: errors in %, mean
    ± standard deviation over seeds, for the test, validation and training sets; a line under
    it for each unit.

    ``runs`` (``compare(...)["runs"]``) adds an epochs column. Columns without a value (no
    recording, no embedding) are left out; a rule whose runs all diverged shows
    ``diverged``; ``runs`` counts finished / started.
    """
    head = ["rule", "epochs", "test error", "validation error", "training error", "time (s)",
            "recording", "5-NN input → last", "runs"]
    rows = []
    for rule, s in summary.items():
        epochs = "–"
        if runs is not None:
            n = sorted({r["epochs"] for r in runs if r["rule"] == rule and r.get("epochs")})
            epochs = "/".join(map(str, n)) or "–"
        rows.append([rule, epochs, _pm(s, "test"), _pm(s, "val"), _pm(s, "train"),
                     _fmt(s["seconds_mean"], 1, "{:.2f}"),
                     _fmt(s.get("record_overhead_mean"), 100, "{:.1f}"),
                     "–" if s.get("knn_input") is None else
                     f"{100 * s['knn_input']:.1f} → {100 * s['knn_last']:.1f}",
                     f"{s['n_runs'] - s['n_diverged']}/{s['n_runs']}"])
    keep = [j for j in range(len(head)) if j in (0, 2, 3, 4, 5, len(head) - 1)
            or any(r[j] != "–" for r in rows)]
    head, rows = [head[j] for j in keep], [[r[j] for j in keep] for r in rows]
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths))) for r in (head, *rows)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = ["errors in %: mean ± standard deviation over seeds, at the last epoch"]
    if "recording" in head:
        notes.append("recording: % of the fit time spent measuring alignment")
    if "5-NN input → last" in head:
        notes.append("5-NN: % accuracy in the 2-D map of the input and of the last hidden layer")
    return "\n".join(lines + notes)


def recording_line(result):
    """One line on what recording measured and what it cost, or ``""`` if nothing was."""
    rec, runs = result.get("record"), [r for r in result["runs"] if r.get("record_overhead")]
    if not rec or not runs:
        return ""
    v = [100 * r["record_overhead"] for r in runs]
    every, per_epoch = rec["every"], rec.get("steps_per_epoch") or {}
    if per_epoch and all(every[r] == per_epoch.get(r) for r in every):
        when = "once an epoch"
    elif len(set(every.values())) == 1:
        when = f"every {next(iter(every.values()))} optimiser steps"
    else:
        when = "every " + ", ".join(f"{n} steps ({r})" for r, n in every.items())
    return (f"recording: alignment angles and weight norms measured {when} on "
            f"{rec['probe_size']} training samples, {np.mean(v):.1f} % of the fit time on "
            f"average ({min(v):.1f} to {max(v):.1f} % per run)")


def _e(text):
    return html.escape(str(text), quote=True)


def _now():
    return datetime.now().astimezone().isoformat(timespec="seconds")
