"""Weights: histograms of the trained weights (PEPITA paper, Fig. 5) and norms over training.

Dellaferrera & Kreiman 2022, "Error-driven Input Modulation: Solving the Credit
Assignment Problem without a Backward Pass", Fig. 5 compares the weight
distributions that BP and PEPITA reach, layer by layer; Fig. 3c their norms.
"""
import numpy as np
from matplotlib.ticker import MaxNLocator

from . import style
from ._records import draw, nan_reduce, stack, x_axis


def plot_weight_histograms(hists_by_rule, *, log_y=False, title=None):
    """Per weight layer a panel; per rule one outline of the distribution of its weights.

    Parameters
    ----------
    hists_by_rule : dict
        Rule name -> list (one per seed) of ``{"W1": (counts, edges), ...}`` as
        :func:`nplearn.analysis.weight_histograms` returns (one dict is one seed).
        Within a layer every rule and seed must share the bin edges.
    log_y : bool, default False
        Logarithmic density axis, to see the tails.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Counts are pooled over seeds and drawn as a density (area 1 per line).
    """
    hists_by_rule = {r: [h] if isinstance(h, dict) else [x for x in h if x]
                     for r, h in hists_by_rule.items()}
    hists_by_rule = {r: hs for r, hs in hists_by_rule.items() if hs}
    if not hists_by_rule:
        raise ValueError("no weight histograms to plot")
    layers = sorted({k for hs in hists_by_rule.values() for h in hs for k in h},
                    key=lambda k: int(k[1:]) if k[1:].isdigit() else 10**6)   # W_loop last
    with style.context():
        fig, axes, spare = style.panel_grid(len(layers), panel_size=(2.27, 2.2), max_cols=3)
        for ax, layer in zip(axes, layers):
            n_weights = 0
            for rule, hs in hists_by_rule.items():
                pooled = _pool([h[layer] for h in hs if layer in h], rule, layer)
                if pooled is None:
                    continue
                counts, edges = pooled
                n_weights = int(round(counts.sum() / len(hs)))
                density = counts / max(counts.sum(), 1) / np.diff(edges)
                ax.stairs(density, edges, color=style.rule_color(rule), lw=1.4,
                          ls=style.rule_linestyle(rule), label=style.rule_label(rule))
            ax.set_title(f"{layer}: {n_weights:,} weights".replace(",", " "))
            ax.tick_params(axis="x", labelrotation=0)
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.set_xlabel("weight value")
            if log_y:
                ax.set_yscale("log")
            if ax.get_subplotspec().is_first_col():
                ax.set_ylabel("density (1 / weight unit)")
        style.legend_outside(fig, axes, spare, title="rule" if spare is not None else None)
        n = max(len(hs) for hs in hists_by_rule.values())
        title = title or (f"trained weights, pooled over {n} seeds" if n > 1 else "")
        if title:
            fig.suptitle(title)
    return fig


def plot_weight_norms(records_by_rule, *, steps_per_epoch=None, title=None):
    """Per weight layer a panel: Frobenius norm ``||W_l||_F`` over training.

    Parameters
    ----------
    records_by_rule : dict
        Rule name -> list of recorder histories (one per seed) with ``step`` and
        ``weight_norm`` (per record, one value per weight layer).
    steps_per_epoch : int or dict, optional
        Optimiser steps per epoch (or rule -> that number): x axis in epochs.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Line: mean over seeds; band: min to max over seeds.
    """
    records_by_rule = {r: [x for x in rs if x and x.get("step")]
                       for r, rs in records_by_rule.items()}
    records_by_rule = {r: rs for r, rs in records_by_rule.items() if rs}
    if not records_by_rule:
        raise ValueError("no recorded history to plot (was recording switched off?)")
    n_layers = max(len(e) for rs in records_by_rule.values() for r in rs
                   for e in r["weight_norm"])
    with style.context():
        fig, axes, spare = style.panel_grid(n_layers, panel_size=(2.27, 2.2), max_cols=3)
        xlabel = "optimiser step"
        for l, ax in enumerate(axes):
            for rule, records in records_by_rule.items():
                x, Y = stack(records, "weight_norm", l)
                x, xlabel = x_axis(x, rule, steps_per_epoch)
                draw(ax, rule, x, nan_reduce(np.mean, Y), nan_reduce(np.min, Y),
                     nan_reduce(np.max, Y))
            ax.set_title(f"layer {l + 1}: " + rf"$\|W_{l + 1}\|_F$")
            ax.set_xlabel(xlabel)
            ax.set_ylim(bottom=0)
            ax.set_xlim(left=0)
            if xlabel == "epoch":
                style.integer_epochs(ax)
            if ax.get_subplotspec().is_first_col():
                ax.set_ylabel("Frobenius norm")
        style.legend_outside(fig, axes, spare, title="rule" if spare is not None else None)
        n = max(len(rs) for rs in records_by_rule.values())
        title = title or (f"mean over {n} seeds; band: min to max over seeds" if n > 1 else "")
        if title:
            fig.suptitle(title)
    return fig


def _pool(hists, rule, layer):
    if not hists:
        return None
    edges = np.asarray(hists[0][1], dtype=float)
    for _, e in hists[1:]:
        if len(e) != len(edges) or not np.allclose(e, edges):
            raise ValueError(f"{rule} {layer}: the seeds' histograms have different bins; "
                             "histogram them with one shared range_")
    return np.sum([np.asarray(c, dtype=float) for c, _ in hists], axis=0), edges
