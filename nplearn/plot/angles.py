"""Alignment angles over training, from :class:`nplearn.analysis.AlignmentRecorder` histories.

The angle between two update directions is ``arccos(<u, v> / (|u| |v|))`` in degrees. An
update direction within 90 deg of BP's descends the loss (Nøkland 2016, "Direct Feedback
Alignment Provides Learning in Deep Neural Networks", Theorem 1), so every angle panel
marks 90 deg. Only the rules with a curve are in the legend: EP, EFP and the sigprop rules
send no ``delta_l`` to the hidden layers, so they have no update angle.
"""
import numpy as np

from . import style
from ._records import draw, nan_reduce, stack, x_axis

BANDS = ("samples", "seeds")


def plot_update_angles(records_by_rule, *, steps_per_epoch=None, band="samples", title=None):
    """One panel per hidden layer: angle between the rule's ``delta_l`` and BP's, over training.

    Parameters
    ----------
    records_by_rule : dict
        Rule name -> list of recorder histories (one per seed) with ``step``,
        ``update_angle_mean`` and ``update_angle_std`` (per record, one value per
        hidden layer, in degrees).
    steps_per_epoch : int or dict, optional
        Optimiser steps per epoch (or rule -> that number): the x axis is then in
        epochs; otherwise in optimiser steps.
    band : {"samples", "seeds"}, default "samples"
        The line is the mean over seeds of the mean over probe samples. The band is
        ``"samples"``: plus and minus the spread over probe samples (the per-sample
        standard deviation, averaged over seeds), i.e. how consistently single
        samples get a descent direction; or ``"seeds"``: min to max over seeds of
        the per-seed mean.
    title : str, optional
        Figure title; by default says what the line and band are.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    A rule whose angle is 0 at every record (BP against itself) is left out.
    """
    if band not in BANDS:
        raise ValueError(f"band must be one of {BANDS}, got {band!r}")
    records_by_rule = _moving(_with_records(records_by_rule), "update_angle_mean")
    n_hidden = max(len(e) for rs in records_by_rule.values() for r in rs
                   for e in r["update_angle_mean"])
    if n_hidden == 0:
        raise ValueError("the recorded networks have no hidden layer; no update angles to plot")
    with style.context():
        fig, axes, spare = style.panel_grid(n_hidden, sharey=True)
        xlabel = "optimiser step"
        for l, ax in enumerate(axes):
            for rule, records in records_by_rule.items():
                x, M = stack(records, "update_angle_mean", l)
                if not np.isfinite(M).any():
                    continue                    # no delta_l (EP, EFP, sigprop): nothing drawn
                x, xlabel = x_axis(x, rule, steps_per_epoch)
                mean = nan_reduce(np.mean, M)
                if band == "samples":
                    S = nan_reduce(np.mean, stack(records, "update_angle_std", l)[1])
                    draw(ax, rule, x, mean, mean - S, mean + S)
                else:
                    draw(ax, rule, x, mean, nan_reduce(np.min, M), nan_reduce(np.max, M))
            ax.set_title(f"hidden layer {l + 1}: " + rf"$\delta_{l + 1}$ vs BP's")
            ax.set_xlabel(xlabel)
            _epoch_ticks(ax, xlabel)
            _angle_axis(ax, "below 90°: descent")
            if ax.get_subplotspec().is_first_col():
                ax.set_ylabel("angle to BP's update (°)")
        style.legend_outside(fig, axes, spare, title="rule" if spare is not None else None)
        n = max(len(rs) for rs in records_by_rule.values())
        fig.suptitle(title or (("mean over probe samples" if n == 1 else
                                f"mean over {_seeds(n)} and probe samples") + "; band: " +
                               ("± std over samples" if band == "samples" else
                                "min to max over seeds")))
    return fig


def plot_feedback_angles(records_by_rule, *, steps_per_epoch=None, title=None):
    """One panel per feedback matrix: angle between ``B_l`` and the forward weights it replaces.

    Parameters
    ----------
    records_by_rule : dict
        Rule name -> list of recorder histories (one per seed) with ``step`` and
        ``feedback_angle`` (per record, feedback name -> degrees). Rules without
        feedback matrices (BP) are left out.
    steps_per_epoch : int or dict, optional
        As in :func:`plot_update_angles`.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Line: mean over seeds; band: min to max over seeds.
    """
    records_by_rule = {r: rs for r, rs in _with_records(records_by_rule).items()
                       if any(v is not None and np.isfinite(v) for x in rs
                              for e in x["feedback_angle"] for v in e.values())}
    if not records_by_rule:
        raise ValueError("no recorded rule has feedback matrices; no feedback angles to plot")
    names = sorted({n for rs in records_by_rule.values() for r in rs
                    for e in r["feedback_angle"] for n in e}, key=_natural)
    with style.context():
        fig, axes, spare = style.panel_grid(len(names), panel_size=(2.27, 2.3), max_cols=3,
                                            sharey=True)
        xlabel = "optimiser step"
        for ax, name in zip(axes, names):
            for rule, records in records_by_rule.items():
                x, Y = stack(records, "feedback_angle", name)
                if np.all(np.isnan(Y)):
                    continue
                x, xlabel = x_axis(x, rule, steps_per_epoch)
                draw(ax, rule, x, nan_reduce(np.mean, Y), nan_reduce(np.min, Y),
                     nan_reduce(np.max, Y))
            ax.set_title(f"feedback matrix {name}")
            ax.set_xlabel(xlabel)
            _epoch_ticks(ax, xlabel)
            _angle_axis(ax, "below 90°: aligned")
            if ax.get_subplotspec().is_first_col():
                ax.set_ylabel("angle to forward path (°)")
        style.legend_outside(fig, axes, spare, title="rule" if spare is not None else None)
        n = max(len(rs) for rs in records_by_rule.values())
        title = title or ("" if n == 1 else f"mean over {_seeds(n)}; band: min to max over seeds")
        if title:
            fig.suptitle(title)
    return fig


def _epoch_ticks(ax, xlabel):
    if xlabel == "epoch":
        style.integer_epochs(ax)


def _angle_axis(ax, note):
    """0-180 deg with a dashed line at 90 deg and what lies below it; x from 0."""
    ax.axhline(90, color="0.35", ls="--", lw=1, zorder=1)
    ax.annotate(note, (0.98, 90), xycoords=("axes fraction", "data"), xytext=(0, -3),
                textcoords="offset points", ha="right", va="top", fontsize=style.MIN_FONT_PT,
                color="0.35")
    ax.set_ylim(0, 180)
    ax.set_xlim(left=0)
    ax.set_yticks(range(0, 181, 30))


def _with_records(records_by_rule):
    out = {r: [x for x in rs if x and x.get("step")] for r, rs in records_by_rule.items()}
    out = {r: rs for r, rs in out.items() if rs}
    if not out:
        raise ValueError("no recorded history to plot (was recording switched off?)")
    return out


def _moving(records_by_rule, key):
    """Leave out rules whose every recorded angle is ~0 (BP compared with itself)."""
    def zero(rs):
        v = np.array([np.nan if a is None else a for r in rs for e in r[key] for a in e], float)
        return bool(v.size) and np.nanmax(np.abs(v), initial=0.0) < 1e-3
    out = {r: rs for r, rs in records_by_rule.items() if not zero(rs)}
    if not out:
        raise ValueError("every recorded rule has update angle 0 (BP only): nothing to compare")
    return out


def _natural(name):
    digits = "".join(c for c in name if c.isdigit())
    return (name.rstrip("0123456789"), int(digits) if digits else 0)


def _seeds(n):
    return f"{n} seed{'s' * (n > 1)}"
