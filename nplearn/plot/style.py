"""One look for every nplearn figure: colours per rule, axes, saving.

Figures are made with :class:`matplotlib.figure.Figure` directly, never through
``pyplot``, so plotting touches no global backend state and works headless.
Colours come from the Okabe-Ito palette, which stays distinguishable under the
common colour-vision deficiencies (Okabe & Ito, 2008, "Color Universal Design").
"""
import io
import zlib
from contextlib import contextmanager
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from ..train import atomic_write

OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9",
             "green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
             "vermillion": "#D55E00", "purple": "#CC79A7"}

# Fixed colours for the rules we know of, so a rule looks the same in every figure.
# BP, the reference, is black. Yellow is last: it is faint on white.
RULE_COLORS = {"bp": "black", "fa": "orange", "dfa": "blue", "ifa": "green",
               "bfa": "vermillion", "bdfa": "purple", "pepita": "sky_blue",
               "sigprop": "yellow"}
_FALLBACK = ("vermillion", "purple", "sky_blue", "orange", "green", "blue")

RC = {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
      "xtick.labelsize": 8, "ytick.labelsize": 8, "axes.grid": True, "grid.alpha": 0.3,
      "grid.linewidth": 0.6, "axes.spines.top": False, "axes.spines.right": False,
      "lines.linewidth": 1.6, "svg.hashsalt": "nplearn", "svg.fonttype": "path"}

DPI = 150
SPLIT_TITLES = {"train": "Train", "val": "Validation", "test": "Test"}


def rule_color(rule):
    """Hex colour of ``rule``: fixed for known rules, else a stable hash of the name."""
    name = RULE_COLORS.get(rule) or _FALLBACK[zlib.crc32(rule.encode()) % len(_FALLBACK)]
    return OKABE_ITO[name]


def rule_linestyle(rule):
    """Solid for the known rules; dashed for others, whose hashed colour may repeat one."""
    return "-" if rule in RULE_COLORS else "--"


def rule_label(rule):
    """Legend text of a rule: its name in capitals (``"dfa"`` -> ``"DFA"``)."""
    return rule.upper()


@contextmanager
def context():
    """Apply :data:`RC` for the figures made inside the ``with`` block only."""
    with matplotlib.rc_context(RC):
        yield


def new_figure(ncols=1, nrows=1, panel_size=(3.4, 2.8), sharey=False):
    """A constrained-layout :class:`Figure` and its axes (call inside :func:`context`).

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : ndarray of Axes, shape (nrows, ncols), squeezed
    """
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharey=sharey, squeeze=False)
    return fig, axes.squeeze()


def savefig(fig, path):
    """Write ``<path>.png`` (dpi 150) and ``<path>.svg``, each atomically.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or path-like
        File name without extension; a ``.png``/``.svg`` suffix is replaced.

    Returns
    -------
    list of pathlib.Path
        The PNG and the SVG.
    """
    path = Path(path)
    if path.suffix in (".png", ".svg"):
        path = path.with_suffix("")
    out = []
    for fmt, meta in (("png", {"Software": None}), ("svg", {"Date": None})):
        buf = io.BytesIO()
        with matplotlib.rc_context(RC):  # svg.hashsalt: byte-identical SVGs run to run
            fig.savefig(buf, format=fmt, dpi=DPI, metadata=meta)
        target = path.with_name(f"{path.name}.{fmt}")
        atomic_write(target, lambda fh: fh.write(buf.getvalue()))
        out.append(target)
    return out
