"""Shared helpers: recorder histories (one per seed) -> arrays, and the mean-and-band line.

A history is ``AlignmentRecorder.history`` or the same read back from ``runs.json``,
where NaN was written as ``null``; ``None`` reads back as NaN here.
"""
import numpy as np

from . import style


def stack(records, key, index):
    """``x`` (steps of the longest record) and ``Y`` of shape (n_seeds, n_records), NaN-padded.

    ``Y[i, j] = records[i][key][j][index]``: ``index`` is a layer position (e.g. in
    ``update_angle_mean``) or a feedback name (``"B1"`` in ``feedback_angle``); an
    entry a record lacks is NaN.
    """
    n = max(len(r["step"]) for r in records)
    Y = np.full((len(records), n), np.nan)                  # (n_seeds, n_records)
    for i, r in enumerate(records):
        Y[i, :len(r["step"])] = [_pick(entry, index) for entry in r[key]]
    x = np.asarray(next(r["step"] for r in records if len(r["step"]) == n), dtype=float)
    return x, Y


def x_axis(x, rule, steps_per_epoch):
    """``(x, label)``: optimiser steps, or epochs if ``steps_per_epoch`` (int or rule -> int)."""
    n = steps_per_epoch.get(rule) if isinstance(steps_per_epoch, dict) else steps_per_epoch
    return (x, "optimiser step") if not n else (x / n, "epoch")


def draw(ax, rule, x, mean, lo=None, hi=None):
    """The rule's mean line, and a shaded band from ``lo`` to ``hi`` if given."""
    color = style.rule_color(rule)
    ok = np.isfinite(mean)
    ax.plot(x[ok], mean[ok], color=color, ls=style.rule_linestyle(rule),
            label=style.rule_label(rule))
    if lo is not None:
        band = ok & np.isfinite(lo) & np.isfinite(hi)
        ax.fill_between(x[band], lo[band], hi[band], color=color, alpha=0.2, lw=0)


def nan_reduce(fn, Y):
    """``fn(Y, axis=0)`` where a column of only NaN gives NaN without a warning."""
    out = np.full(Y.shape[1], np.nan)
    ok = np.any(np.isfinite(Y), axis=0)
    out[ok] = fn(Y[:, ok], axis=0)
    return out


def _pick(entry, index):
    try:
        v = entry[index]
    except (IndexError, KeyError):
        return np.nan
    return np.nan if v is None else float(v)
