"""Continuous Hopfield networks (EP, EFP): relaxation curves (EFP Fig. 4) and loop angles (Fig. 5).

``plot_relaxation`` reads a :class:`nplearn.analysis.HopfieldRecorder` history (or the same as a
dict); ``plot_loop_angles`` that or an :class:`nplearn.analysis.AlignmentRecorder` history.
"""
import numpy as np
from matplotlib import colormaps

from . import style


def plot_relaxation(history, *, title=None):
    """Output error ``||s_L - d||`` (and the energy ``F``, for EP) per Euler step, one curve per
    record, coloured from early (light) to late (dark) in training (EFP Fig. 4).

    Parameters
    ----------
    history : dict
        ``HopfieldRecorder.history``: ``error`` (curves), ``energy`` (curves or None),
        ``epoch``, ``n_free`` (where the nudged phase begins).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not history.get("error"):
        raise ValueError("nothing recorded: no relaxation curves to plot")
    energy = [e for e in history.get("energy") or [] if e is not None]
    panels = [("error", r"mean $\|s_{out} - d\|$")] + ([("energy", "mean energy $F = E + \\beta C$")]
                                                       if energy else [])
    cmap, n = colormaps["viridis_r"], len(history["error"])
    with style.context():
        fig, axes = style.new_figure(ncols=len(panels), panel_size=(3.3, 2.8))
        axes = np.atleast_1d(axes)
        for ax, (key, label) in zip(axes, panels):
            for i, curve in enumerate(history[key]):
                ep = history["epoch"][i]
                ax.plot(np.arange(len(curve)), curve, color=cmap(0.15 + 0.85 * i / max(n - 1, 1)),
                        lw=1, label=f"epoch {ep:.1f}" if i in (0, n - 1) else None)
            ax.axvline(history["n_free"], color="0.35", ls="--", lw=1)
            ax.annotate("nudge on", (history["n_free"], 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, -3), textcoords="offset points", va="top",
                        fontsize=style.MIN_FONT_PT, color="0.35")
            ax.set_xlabel("Euler step")
            ax.set_ylabel(label)
        axes[0].legend(frameon=False, loc="best")
        fig.suptitle(title or "relaxation on the probe: free phase, then nudged phase")
    return fig


def plot_loop_angles(histories, *, steps_per_epoch=None, title=None):
    """EFP Fig. 5 / sigprop Fig. 4: per loop matrix ``W_z``, the angle to the product of the rest
    of the loop, over training; with per-path angles recorded, Fig. 5's grey lines behind.

    Parameters
    ----------
    histories : dict or list of dict
        The histories of one run (one per seed): :class:`nplearn.analysis.HopfieldRecorder`'s
        (``loop_angle``) or :class:`nplearn.analysis.AlignmentRecorder`'s (``feedback_angle``,
        which for EFP and sigprop-ct holds the same loop angles). Or a dict rule name -> such
        a list, to put several rules (EFP, SIGPROP_CT) side by side, one panel each. A
        HopfieldRecorder history also has ``loop_path_angle``
        (:func:`nplearn.analysis.relaxation.loop_path_angles`): one grey line per
        input-receiving neuron and history.
    steps_per_epoch : int or dict, optional
        For histories without ``epoch``: optimiser steps per epoch (or rule -> that
        number), so the x axis is in epochs; otherwise optimiser steps.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One line per loop matrix (mean over seeds; band: min to max), one panel per rule;
        grey, drawn first: one line per input-receiving neuron of each history that recorded
        per-path angles (its forward paths to the output against its ``W_loop`` weights).
    """
    by_rule = _by_rule(histories)
    angles = {rule: [_loop_series(h) for h in hs] for rule, hs in by_rule.items()}
    angles = {rule: a for rule, a in angles.items() if any(a)}
    if not angles:
        raise ValueError("no loop angles recorded (EP has no loop; record an EFP or "
                         "sigprop_ct run)")
    names = list(dict.fromkeys(n for a in angles.values() for s in a for e in s for n in e))
    colors = {n: list(style.OKABE_ITO.values())[1 + j % 7] for j, n in enumerate(names)}
    with style.context():
        fig, axes, spare = style.panel_grid(len(angles), panel_size=(3.3, 2.6), sharey=True)
        for ax, (rule, series) in zip(axes, angles.items()):
            hs = by_rule[rule]
            n = max(len(h["step"]) for h in hs)
            longest = next(h for h in hs if len(h["step"]) == n)
            x, xlabel = _loop_x(longest, rule, steps_per_epoch)
            _path_lines(ax, hs, x)
            for name in names:
                Y = np.full((len(series), n), np.nan)
                for i, s in enumerate(series):
                    Y[i, :len(s)] = [e.get(name, np.nan) if e.get(name) is not None else np.nan
                                     for e in s]
                if not np.isfinite(Y).any():
                    continue
                ok = np.isfinite(Y).any(axis=0)
                Yok = Y[:, ok]
                ax.plot(x[ok], np.nanmean(Yok, 0), color=colors[name],
                        label=f"{name}ᵀ vs rest of loop")
                if len(series) > 1:
                    ax.fill_between(x[ok], np.nanmin(Yok, 0), np.nanmax(Yok, 0),
                                    color=colors[name], alpha=0.2, lw=0)
            ax.axhline(90, color="0.35", ls="--", lw=1)
            ax.set_ylim(0, 180)
            ax.set_yticks(range(0, 181, 30))
            ax.set_xlabel(xlabel)
            if xlabel == "epoch":
                style.integer_epochs(ax)
            if ax.get_subplotspec().is_first_col():
                ax.set_ylabel("angle (°), below 90: aligned")
            if len(angles) > 1 or rule is not None:
                ax.set_title(style.rule_label(rule) if rule else "")
        style.legend_outside(fig, axes, spare, title="loop matrix" if spare is not None else None)
        fig.suptitle(title or "loop alignment (EFP Fig. 5, sigprop Fig. 4)")
    return fig


def _path_lines(ax, histories, x):
    """EFP Fig. 5's grey lines: per history, one line per input-receiving neuron."""
    label = "W_loopᵀ, one input-receiving neuron"
    for h in histories:
        ok = [i for i, p in enumerate(h.get("loop_path_angle") or ()) if p]
        if not ok:
            continue
        Y = np.array([h["loop_path_angle"][i] for i in ok], dtype=float)   # (records, n_1)
        ax.plot(x[ok], Y[:, :1], color="0.75", lw=0.5, zorder=1, label=label)
        ax.plot(x[ok], Y[:, 1:], color="0.75", lw=0.5, zorder=1)
        label = None


def _by_rule(histories):
    """``{rule or None: [history, ...]}`` from any of the accepted forms."""
    if isinstance(histories, dict) and "step" in histories:
        return {None: [histories]}
    if isinstance(histories, dict):
        out = {r: [hs] if isinstance(hs, dict) else [h for h in hs if h]
               for r, hs in histories.items()}
        return {r: hs for r, hs in out.items() if hs and any(h.get("step") for h in hs)}
    return {None: [h for h in histories if h]}


def _loop_series(history):
    """Per record ``{name: deg}`` of the loop matrices: HopfieldRecorder's ``loop_angle``, or the
    loop entries (``W<l>``, ``W_loop``) of AlignmentRecorder's ``feedback_angle``."""
    if history.get("loop_angle") is not None:
        return [dict(e or {}) for e in history["loop_angle"]]
    loop = lambda k: k == "W_loop" or (k[:1] == "W" and k[1:].isdigit())
    series = [{k: v for k, v in (e or {}).items() if loop(k)}
              for e in history.get("feedback_angle") or ()]
    return series if any(series) else []


def _loop_x(history, rule, steps_per_epoch):
    if history.get("epoch") is not None:
        return np.asarray(history["epoch"], dtype=float), "epoch"
    n = steps_per_epoch.get(rule) if isinstance(steps_per_epoch, dict) else steps_per_epoch
    x = np.asarray(history["step"], dtype=float)
    return (x / n, "epoch") if n else (x, "optimiser step")
