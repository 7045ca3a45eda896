"""``nplearn trace``: one update of a rule, step by step, as a picture and a page.

>>> from nplearn.experiments.trace import trace
>>> result = trace("dfa", n_samples=8, out_dir="runs/trace-dfa")  # doctest: +SKIP

:meth:`nplearn.Classifier.trace_step` runs ONE update on a batch and returns every
intermediate; :func:`nplearn.plot.plot_step` draws each matrix as a heatmap with the paper's
symbol and equation number. This writes ``trace.png``, ``trace.svg`` and ``trace.html`` (the
figure and a table of every matrix, self-contained, no network needed to view it).
"""
import base64
import html
from pathlib import Path

import numpy as np

from ..data import DATASET_NAMES, load_dataset
from ..estimator import Classifier
from ..plot import savefig
from ..plot.trace import plot_step, step_panels
from ..rules import RULES
from ..train import atomic_write
from .presets import settings
from .report import CSS

DESCRIPTION = ("Run ONE update of a learning rule on a small batch (Classifier.trace_step) and "
               "draw every matrix of it as a heatmap titled with the paper's symbol and "
               "equation number: the forward pass, the error signals, the feedback and the "
               "update. Writes trace.png, trace.svg and trace.html (self-contained).")


def trace(rule, dataset="digits", hidden_sizes=(16, 12), n_samples=8, epochs=0, seed=0,
          out_dir=None, data_dir=None):
    """Trace one update of ``rule`` and draw it.

    Parameters
    ----------
    rule : str
        A name of :data:`nplearn.rules.RULES` with a layered network (not the spiking ones).
    dataset : str, default "digits"
    hidden_sizes : tuple of int, default (16, 12)
        Small layers keep every heatmap readable.
    n_samples : int, default 8
        Rows of the traced batch (the first training samples).
    epochs : int, default 0
        Train this many epochs first (with the rule's preset), to trace a later step.
    seed : int, default 0
    out_dir : str or path-like, optional
        Write ``trace.png``, ``trace.svg`` and ``trace.html`` there.
    data_dir : str or path-like, optional

    Returns
    -------
    dict
        ``record`` (trace_step's :class:`~nplearn.rules.step_record.StepRecord`), ``figure``,
        ``rule``, ``settings`` and, with ``out_dir``, ``files``.
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}, got {rule!r}")
    if int(n_samples) < 1 or int(epochs) < 0:
        raise ValueError(f"n_samples must be >= 1 and epochs >= 0, got {n_samples}, {epochs}")
    kw = settings(rule, hidden_sizes=tuple(hidden_sizes), epochs=max(int(epochs), 1))
    data = load_dataset(dataset, data_dir=data_dir, dtype=kw["dtype"])
    if kw.get("conv"):
        kw["image_shape"] = data.image_shape
    clf = Classifier(**kw, random_state=seed)
    if epochs:
        clf.fit(data.x_train, data.y_train)
    x, y = data.x_train[:int(n_samples)], data.y_train[:int(n_samples)]
    record = clf.trace_step(x, y, classes=np.arange(data.n_classes))
    where = f"after {epochs} epoch{'s' * (epochs != 1)}" if epochs else "at initialisation"
    fig = plot_step(record, rule, title=f"one {rule.upper()} update on {len(y)} {data.name} "
                    f"samples, {where} (seed {seed})")
    result = {"record": record, "figure": fig, "rule": rule, "settings": kw}
    if out_dir is not None:
        out = Path(out_dir)
        png, svg = savefig(fig, out / "trace")
        page = out / "trace.html"
        text = _page(rule, record, png.read_bytes(), data.name, where)
        atomic_write(page, lambda fh: fh.write(text.encode()))
        result["files"] = [png, svg, page]
    return result


def _page(rule, record, png, dataset, where):
    rows = "\n".join(
        f"<tr><td>{_e(p.row)}</td><td>{_e(p.col)}</td><td><code>{_e(p.key)}</code></td>"
        f"<td class=\"text\"><code>{_e(p.symbol)}</code></td>"
        f"<td class=\"text\">{_e(p.equation)}</td>"
        f"<td>{p.array.shape[0]}×{p.array.shape[1]}</td>"
        f"<td>{np.min(p.array):.3g}</td><td>{np.max(p.array):.3g}</td></tr>"
        for p in step_panels(record, rule))
    entries = "\n".join(
        f"<tr><td>{_e(kind)}</td><td><code>{_e(name)}</code></td><td>{_e(_shape(value))}</td>"
        f"<td class=\"text\">{_e(equation)}</td><td class=\"text\">{_e(text)}</td></tr>"
        for call in _calls(record) for name, value, equation, text, kind in _entries(call))
    calls = len(_calls(record))
    loop = (f" The rule updates {calls} times per batch, each update applied before the "
            f"next: the figure shows the first call, the table below every call's entries "
            f"(the second's start with <code>loop</code> = 1)." if calls > 1 else "")
    loss = record.get("loss")
    title = f"nplearn trace: one {rule.upper()} update on {dataset}, {where}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<h1>{_e(title)}</h1>
<p class="note">Batch loss {_e(f"{loss:.5g}" if loss is not None else "–")}. Columns are the
layers (input left, output right); rows what a matrix is. Each heatmap has its own colour
scale: white 0, red positive, blue negative. δW is the rule's update direction (the change
of the weights before the learning rate); ΔW applied is the change the optimiser actually
made, and the weights after the step are the weights before plus it, bit for bit.{loop}</p>
<figure><img alt="every matrix of one {_e(rule.upper())} update"
src="data:image/png;base64,{base64.b64encode(png).decode('ascii')}"></figure>
<h2>The matrices</h2>
<table>
<tr><th>row</th><th>layer</th><th>record key</th><th>symbol (LaTeX)</th><th>equation</th>
<th>shape</th><th>min</th><th>max</th></tr>
{rows}
</table>
<h2>Every entry of the record, in computing order</h2>
<table>
<tr><th>section</th><th>key</th><th>shape</th><th>equation</th><th>what</th></tr>
{entries}
</table>
</main>
</body>
</html>
"""


def _e(text):
    return html.escape(str(text), quote=True)


def _calls(record):
    return getattr(record, "calls", (record,))


def _entries(record):
    """``(name, value, equation, description, kind)`` of a record (a plain dict: untagged)."""
    if hasattr(record, "entries"):
        return record.entries
    return [(k, v, "", "", "") for k, v in record.items()]


def _shape(value):
    shape = np.shape(value)
    return "×".join(map(str, shape)) if shape else f"{value:.5g}" if isinstance(
        value, (float, np.floating)) else str(value)


def add_arguments(p):
    """The ``nplearn trace`` arguments on parser ``p``; sets ``run=run_args``."""
    traceable = [r for r in RULES if not r.startswith("snn_")]
    p.add_argument("--rule", default="dfa", choices=traceable, help="learning rule (default: dfa)")
    p.add_argument("--dataset", default="digits", choices=DATASET_NAMES,
                   help="dataset (default: digits, built in)")
    p.add_argument("--data-dir", metavar="DIR", help="folder of downloaded <dataset>.npz files "
                   "(default: $NPLEARN_DATA, else ~/.cache/nplearn)")
    p.add_argument("--hidden", nargs="*", type=int, default=[16, 12], metavar="N",
                   help="hidden layer widths (default: 16 12, small enough to read every unit)")
    p.add_argument("--samples", type=int, default=8, metavar="N",
                   help="samples in the traced batch (default: 8)")
    p.add_argument("--epochs", type=int, default=0, metavar="N",
                   help="train N epochs with the rule's preset first (default: 0, trace the "
                   "first update)")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights (default: 0)")
    p.add_argument("--out", metavar="DIR", help="output folder (default: runs/trace-RULE)")
    p.set_defaults(run=run_args)


def run_args(args):
    """Run ``nplearn trace`` from parsed ``args``; return the exit code."""
    if any(n < 1 for n in args.hidden) or args.samples < 1 or args.epochs < 0 or args.seed < 0:
        raise ValueError("--hidden widths and --samples must be >= 1, --epochs and --seed >= 0")
    out = args.out or f"runs/trace-{args.rule}"
    result = trace(args.rule, dataset=args.dataset, hidden_sizes=tuple(args.hidden),
                   n_samples=args.samples, epochs=args.epochs, seed=args.seed, out_dir=out,
                   data_dir=args.data_dir)
    print(f"loss of the traced batch: {result['record'].get('loss', float('nan')):.5g}")
    print(f"wrote {', '.join(map(str, result['files']))}")
    return 0
