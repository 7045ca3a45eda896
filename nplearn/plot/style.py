"""One look for every nplearn figure: colours per rule, axes, saving.

Figures are made with :class:`matplotlib.figure.Figure` directly, never through
``pyplot``, so plotting touches no global backend state and works headless.
Colours come from the Okabe-Ito palette, which stays distinguishable under the
common colour-vision deficiencies (Okabe & Ito, 2008, "Color Universal Design"), and
past its seven colours from Paul Tol's muted scheme; each rule family has its own line
style. Figures are at most :data:`MAX_WIDTH_IN` wide with no text under
:data:`MIN_FONT_PT`, so that on a page they read at least as large as the body text.
"""
import io
import zlib
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..train import atomic_write

OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9",
             "green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
             "vermillion": "#D55E00", "purple": "#CC79A7"}
# Paul Tol's "muted" scheme, also safe for colour-vision deficiencies, for the rules past the
# seven Okabe-Ito colours (Tol, 2021, "Colour Schemes", SRON/EPS/TN/09-002).
TOL_MUTED = {"indigo": "#332288", "wine": "#882255", "teal": "#44AA99", "olive": "#999933",
             "rose": "#CC6677", "cyan": "#88CCEE", "sand": "#DDCC77"}
PALETTE = {**OKABE_ITO, **TOL_MUTED}

# Rule families: one line style each, so two rules of one hue but different families stay
# apart, and a family reads as one at a glance.
FAMILIES = {"bp": "backprop", "fa": "feedback alignment", "dfa": "feedback alignment",
            "ifa": "feedback alignment", "bfa": "feedback alignment",
            "bdfa": "feedback alignment", "ep": "Hopfield network", "efp": "Hopfield network",
            "sigprop_ct": "Hopfield network", "pepita": "forward only",
            "sigprop": "forward only", "snn_bp": "spiking", "snn_shallow": "spiking",
            "snn_sigprop": "spiking"}
FAMILY_DASHES = {"backprop": "-", "feedback alignment": "-", "Hopfield network": "--",
                     "forward only": "-.", "spiking": ":"}

# Fixed colours for the rules we know of, so a rule looks the same in every figure. BP, the
# reference, is black; no two rules share both colour and line style. Yellow is left out: it
# is faint on white.
RULE_COLORS = {"bp": "black", "fa": "orange", "dfa": "blue", "ifa": "green",
               "bfa": "vermillion", "bdfa": "purple", "ep": "sky_blue", "efp": "indigo",
               "sigprop_ct": "wine", "pepita": "teal", "sigprop": "olive",
               "snn_bp": "black", "snn_shallow": "rose", "snn_sigprop": "olive"}
_FALLBACK = ("vermillion", "purple", "sky_blue", "orange", "green", "blue", "wine", "teal")

MIN_FONT_PT = 8      # no text in a figure is smaller: shown at width <= MAX_WIDTH_IN, it stays
MAX_WIDTH_IN = 6.8   # as large as 15 px body text on a 1024 px wide page (tests/test_browser.py)
RC = {"font.size": 9, "axes.titlesize": 9.5, "axes.labelsize": 9, "legend.fontsize": 8,
      "xtick.labelsize": 8, "ytick.labelsize": 8, "legend.title_fontsize": 8,
      "figure.titlesize": 10, "axes.grid": True, "grid.alpha": 0.3,
      "grid.linewidth": 0.6, "axes.spines.top": False, "axes.spines.right": False,
      "lines.linewidth": 1.6, "svg.hashsalt": "nplearn", "svg.fonttype": "path"}

DPI = 150
SPLIT_TITLES = {"train": "Train", "val": "Validation", "test": "Test"}


def rule_color(rule):
    """Hex colour of ``rule``: fixed for known rules, else a stable hash of the name."""
    name = RULE_COLORS.get(rule) or _FALLBACK[zlib.crc32(rule.encode()) % len(_FALLBACK)]
    return PALETTE[name]


def rule_family(rule):
    """The family of ``rule`` (``"feedback alignment"``, ...), ``"other"`` if unknown."""
    return FAMILIES.get(rule, "other")


def rule_linestyle(rule):
    """The line style of the rule's family; dashed for unknown rules, whose hashed colour may
    repeat a known rule's (densely dotted if that rule is dashed too)."""
    return FAMILY_DASHES.get(FAMILIES.get(rule), (0, (1, 1)))


def rule_label(rule):
    """Legend text of a rule: its name in capitals (``"dfa"`` -> ``"DFA"``)."""
    return rule.upper()


@contextmanager
def context():
    """Apply :data:`RC` for the figures made inside the ``with`` block only."""
    with matplotlib.rc_context(RC):
        yield


def new_figure(ncols=1, nrows=1, panel_size=(3.4, 2.8), sharey=False, sharex=False):
    """A constrained-layout :class:`Figure` and its axes (call inside :func:`context`).

    The width is at most :data:`MAX_WIDTH_IN`: wider grids get narrower panels, so that the
    figure's text is never shown smaller than a page's body text.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : ndarray of Axes, shape (nrows, ncols), squeezed
    """
    width = min(panel_size[0] * ncols, MAX_WIDTH_IN)
    fig = Figure(figsize=(width, panel_size[1] * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharey=sharey, sharex=sharex, squeeze=False)
    return fig, axes.squeeze()


def panel_grid(n, panel_size=(3.3, 2.6), max_cols=2, legend_slot=True, sharey=False):
    """``n`` panels in rows of at most ``max_cols``, within :data:`MAX_WIDTH_IN`.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : list of Axes
        The ``n`` data panels, row by row (the figure has no other Axes).
    spare : SubplotSpec or None
        The first empty grid cell if there is one and ``legend_slot``, where
        :func:`legend_outside` puts the legend.
    """
    ncols = max(1, min(n, max_cols))
    nrows = -(-n // ncols)
    fig, grid = new_figure(ncols=ncols, nrows=nrows, panel_size=panel_size, sharey=sharey)
    grid = list(np.atleast_1d(grid).ravel())
    axes, empty = grid[:n], grid[n:]
    spare = empty[0].get_subplotspec() if empty and legend_slot else None
    for ax in empty:
        ax.remove()
    return fig, axes, spare


def legend_outside(fig, axes, spare=None, title=None, ncol=None):
    """One legend for the figure, of the lines actually drawn (each label once), outside the
    data: centred in the empty grid cell ``spare`` (a SubplotSpec) if given, else below the
    panels.

    Returns the Legend, or None when nothing was drawn.
    """
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels and not lab.startswith("_"):
                handles.append(h)
                labels.append(lab)
    if not handles:
        return None
    if spare is not None:
        return fig.legend(handles, labels, loc="center", bbox_to_anchor=spare.get_position(fig),
                          frameon=False, title=title, ncol=ncol or (1 if len(labels) <= 7 else 2))
    if len(axes) == 1:                   # one panel: one column below it, as narrow as it
        return fig.legend(handles, labels, loc="outside lower center", frameon=False,
                          title=title, ncol=ncol or 1)
    return fig.legend(handles, labels, loc="outside lower center", frameon=False, title=title,
                      ncol=ncol or min(len(labels), 6 if len(max(labels, key=len)) < 12 else 3))


def integer_epochs(ax):
    """Epoch ticks at whole epochs only (no 2.5 or 7.5)."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=2))


def seeds_phrase(n):
    """``"mean over 3 seeds, band min to max"``; ``""`` for one seed, where there is no mean."""
    return f"mean over {n} seeds, band min to max" if n > 1 else ""


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
