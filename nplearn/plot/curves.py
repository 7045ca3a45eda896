"""Learning curves from recorded training histories (``Classifier.history_``).

``plot_learning_curves``
    one panel per split (train / validation / test), one line per rule;
``plot_setting_curves``
    small multiples: one panel per setting (a network of a paper's table), one line per rule
    inside it, and the paper's number marked on the panel (``nplearn reproduce``).
"""
import re
import textwrap

import numpy as np
from matplotlib.lines import Line2D
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
        History keys, one panel each, two panels a row. ``*_error`` is drawn in percent.
        A key no history recorded (all ``None``) is left out.
    title : str, optional
        Figure title; by default says what the line and the band are (nothing for one seed).
    log_y : bool, default True
        Logarithmic y axis: errors fall from ~90 % to ~1 %, and the late epochs,
        where the rules differ, would be a flat line on a linear axis. If a value is
        0 (a training error of 0 %), the axis is linear below 1 and logarithmic above.

    Returns
    -------
    matplotlib.figure.Figure
        The legend (rules, with their family's line style) sits in the grid's empty cell,
        or below the panels, never over the data.
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
        fig, axes, spare = style.panel_grid(len(metrics), sharey=len(kinds) == 1)
        for ax, m in zip(axes, metrics):
            for rule, hs in histories_by_rule.items():
                _draw(ax, rule, hs, m)
            split, _, kind = m.partition("_")
            ax.set_title(f"{style.SPLIT_TITLES.get(split, split)} {kind}")
            ax.set_xlabel("epoch")
            style.integer_epochs(ax)
            if log_y:
                _log_axis(ax, has_zero)
            if len(kinds) > 1 or ax.get_subplotspec().is_first_col():
                ax.set_ylabel("error (%)" if kind == "error" else kind)
        style.legend_outside(fig, axes, spare, title="rule" if spare is not None else None)
        title = style.seeds_phrase(n_seeds) if title is None else title
        if title:
            fig.suptitle(title)
    return fig


def plot_setting_curves(histories, rules=None, paper=None, *, metric="test_error",
                        paper_note="the paper's number", title=None, log_y=True):
    """Small multiples: a panel per setting, a line per rule, the paper's number marked.

    Parameters
    ----------
    histories : dict
        Setting (e.g. ``"2x800 Tanh"``) -> {line label (e.g. ``"DFA"``) -> list of histories,
        one per seed}.
    rules : dict, optional
        Line label -> rule name, for its colour and line style (default: the label in
        lower case).
    paper : dict, optional
        Setting -> {line label -> the paper's value in the units drawn (percent error), or
        None}: a dotted horizontal line in the rule's colour.
    metric : str, default "test_error"
        The history key drawn (``*_error`` in percent).
    paper_note : str
        Legend text of the dotted lines.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Three panels a row; one legend below the panels.
    """
    histories = {s: {k: [h for h in hs if h] for k, hs in lines.items()}
                 for s, lines in histories.items()}
    histories = {s: {k: hs for k, hs in lines.items() if hs} for s, lines in histories.items()}
    histories = {s: lines for s, lines in histories.items() if lines}
    if not histories:
        raise ValueError("no setting has a finished run; nothing to plot")
    rules, paper = dict(rules or {}), dict(paper or {})
    rule_of = lambda label: rules.get(label, label.lower())
    n_seeds = max(len(hs) for lines in histories.values() for hs in lines.values())
    values = [100 * v for lines in histories.values() for hs in lines.values() for h in hs
              for v in h.get(metric) or () if v is not None]
    values += [v for marks in paper.values() for v in marks.values() if v is not None]
    has_zero = any(v <= 0 for v in values)
    with style.context():
        ncols = min(len(histories), 3)
        width = max(2.27, 4.6 / ncols)          # one or two panels: wide enough for the legend
        height = 2.3 if len(histories) > 2 else 3.0   # ... and tall enough beside its rows
        fig, axes, _ = style.panel_grid(len(histories), panel_size=(width, height), max_cols=3,
                                        legend_slot=False, sharey=True)
        fig_width = fig.get_size_inches()[0]
        for ax, (setting, lines) in zip(axes, histories.items()):
            for label, hs in lines.items():
                _draw(ax, rule_of(label), hs, metric, label=label)
            for label, v in (paper.get(setting) or {}).items():
                if v is not None:
                    ax.axhline(v, color=style.rule_color(rule_of(label)), ls=":", lw=1.3)
            ax.set_title(_wrap(str(setting), int(width * 11)))   # ~11 characters an inch
            style.integer_epochs(ax)
            if log_y:
                _log_axis(ax, has_zero)
        for ax in axes:
            if ax.get_subplotspec().is_first_col():
                ax.set_ylabel(f"{style.SPLIT_TITLES.get(metric.split('_')[0], '')} error (%)")
            if ax.get_subplotspec().is_last_row() or ax is axes[-1]:
                ax.set_xlabel("epoch")
        order = list(dict.fromkeys(k for lines in histories.values() for k in lines))
        handles = [Line2D([], [], color=style.rule_color(rule_of(k)),
                          ls=style.rule_linestyle(rule_of(k)), label=k) for k in order]
        if any(v is not None for marks in paper.values() for v in marks.values()):
            handles.append(Line2D([], [], color="0.3", ls=":", lw=1.3, label=paper_note))
        # an entry: the line sample and gap (~0.6 in) and its label (~0.075 in a character)
        entry_width = 0.6 + 0.075 * max(len(h.get_label()) for h in handles)
        fig.legend(handles=handles, loc="outside lower center", frameon=False,
                   ncol=max(1, min(len(handles), 6, int(fig_width / entry_width))))
        title = style.seeds_phrase(n_seeds) if title is None else title
        if title:
            fig.suptitle(_wrap(title, int(fig_width * 10)))
    return fig


def _wrap(text, width):
    """``text`` wrapped to ``width`` characters, keeping the line breaks it has."""
    return "\n".join(textwrap.fill(line, width) for line in text.split("\n"))


def paper_value(text):
    """The first number of a printed table cell (``"2.16 ± 0.13 (0.02)"`` -> 2.16, ``"about
    11"`` -> 11.0, as EFP Sec. 5.1 prints it); None for an empty field (``"-"``) or no number."""
    m = re.search(r"(?<![\w.])(-?\d+(?:\.\d+)?)", str(text or ""))
    return float(m.group(1)) if m else None


def _draw(ax, rule, histories, metric, label=None):
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
    ax.plot(x, np.nanmean(y, axis=0), color=color, ls=ls,
            label=style.rule_label(rule) if label is None else label)
    if len(curves) > 1:
        ax.fill_between(x, np.nanmin(y, axis=0), np.nanmax(y, axis=0), color=color,
                        alpha=0.2, lw=0)


def _log_axis(ax, has_zero):
    """Log y with plain ticks 1, 2, 5, 10, ... (never 2x10^1); linear below 1 when 0 is shown."""
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
