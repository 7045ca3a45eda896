"""Learning curves from recorded training histories (``Classifier.history_``)."""
import numpy as np
from matplotlib.ticker import (FormatStrFormatter, LogLocator, NullFormatter,
                               SymmetricalLogLocator)

from . import style

ERROR_METRICS = ("train_error", "val_error", "test_error")


def plot_learning_curves(histories_by_rule, metric=ERROR_METRICS, *, title=None, log_y=True):
    """One panel per metric; per rule the mean over seeds and a shaded min-max band.

    Parameters
    ----------
    histories_by_rule : dict
        Rule name -> list of history dicts (one per seed), each with an ``"epoch"``
        list and per-epoch lists keyed like :data:`nplearn.train.HISTORY_KEYS`.
    metric : str or sequence of str, default ("train_error", "val_error", "test_error")
        History keys, one panel each, side by side. ``*_error`` is drawn in percent.
        A key no history recorded (all ``None``) is left out.
    title : str, optional
        Figure title; by default says what the line and the band are.
    log_y : bool, default True
        Logarithmic y axis: errors fall from ~90 % to ~1 %, and the late epochs,
        where the rules differ, would be a flat line on a linear axis. If a value is
        0 (a training error of 0 %), the axis is linear below 1 and logarithmic above.

    Returns
    -------
    matplotlib.figure.Figure
    """
    metrics = [metric] if isinstance(metric, str) else list(metric)
    histories_by_rule = {r: [h for h in hs if h] for r, hs in histories_by_rule.items()}
    histories_by_rule = {r: hs for r, hs in histories_by_rule.items() if hs}
    metrics = [m for m in metrics if any(_recorded(h, m) for hs in histories_by_rule.values()
                                         for h in hs)]
    if not metrics:
        raise ValueError("no history records any of the requested metrics; nothing to plot")
    n_seeds = max(len(hs) for hs in histories_by_rule.values())
    kinds = {_kind(m) for m in metrics}
    has_zero = any(v is not None and v <= 0 for hs in histories_by_rule.values() for h in hs
                   for m in metrics for v in h.get(m) or ())
    with style.context():
        fig, axes = style.new_figure(ncols=len(metrics), sharey=len(kinds) == 1)
        axes = np.atleast_1d(axes)
        for ax, m in zip(axes, metrics):
            for rule, hs in histories_by_rule.items():
                _draw(ax, rule, hs, m)
            split, _, kind = m.partition("_")
            ax.set_title(f"{style.SPLIT_TITLES.get(split, split)} {kind}")
            ax.set_xlabel("epoch")
            if log_y:
                _log_axis(ax, has_zero)
            if ax is axes[0] or len(kinds) > 1:
                ax.set_ylabel("error (%)" if kind == "error" else kind)
        axes[0].legend(frameon=False)
        if title is None and n_seeds > 1:
            title = f"mean over {n_seeds} seeds; band: min to max"
        if title:
            fig.suptitle(title)
    return fig


def _draw(ax, rule, histories, metric):
    curves = [h for h in histories if _recorded(h, metric)]
    if not curves:
        return
    n_epochs = max(len(h[metric]) for h in curves)
    y = np.full((len(curves), n_epochs), np.nan)           # (n_seeds, n_epochs)
    for i, h in enumerate(curves):
        y[i, :len(h[metric])] = [np.nan if v is None else v for v in h[metric]]
    if _kind(metric) == "error":
        y *= 100.0
    x = next(h["epoch"] for h in curves if len(h["epoch"]) == n_epochs)
    color, ls = style.rule_color(rule), style.rule_linestyle(rule)
    ax.plot(x, np.nanmean(y, axis=0), color=color, ls=ls, label=style.rule_label(rule))
    if len(curves) > 1:
        ax.fill_between(x, np.nanmin(y, axis=0), np.nanmax(y, axis=0), color=color,
                        alpha=0.2, lw=0)


def _log_axis(ax, has_zero):
    """Log y with ticks 1, 2, 5, 10, ...; linear below 1 when 0 must be shown."""
    if has_zero:
        ax.set_yscale("symlog", linthresh=1.0, linscale=0.5)
        ax.yaxis.set_major_locator(SymmetricalLogLocator(linthresh=1.0, base=10, subs=(1, 2, 5)))
    else:
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _recorded(history, metric):
    return any(v is not None for v in history.get(metric) or ())


def _kind(metric):
    return metric.rpartition("_")[2]
