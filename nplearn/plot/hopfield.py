"""Continuous Hopfield networks (EP, EFP): relaxation curves (EFP Fig. 4) and loop angles (Fig. 5).

Both read a :class:`nplearn.analysis.HopfieldRecorder` history (or the same as a dict).
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
        fig, axes = style.new_figure(ncols=len(panels))
        axes = np.atleast_1d(axes)
        for ax, (key, label) in zip(axes, panels):
            for i, curve in enumerate(history[key]):
                ep = history["epoch"][i]
                ax.plot(np.arange(len(curve)), curve, color=cmap(0.15 + 0.85 * i / max(n - 1, 1)),
                        lw=1, label=f"epoch {ep:.1f}" if i in (0, n - 1) else None)
            ax.axvline(history["n_free"], color="0.35", ls="--", lw=1)
            ax.annotate("nudge on", (history["n_free"], 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, -3), textcoords="offset points", va="top", fontsize=7,
                        color="0.35")
            ax.set_xlabel("Euler step")
            ax.set_ylabel(label)
        axes[0].legend(frameon=False, loc="best")
        fig.suptitle(title or "relaxation on the probe: free phase, then nudged phase")
    return fig


def plot_loop_angles(histories, *, steps_per_epoch=None, title=None):
    """EFP Fig. 5: per loop matrix ``W_z``, the angle to the product of the rest of the loop.

    Parameters
    ----------
    histories : dict or list of dict
        ``HopfieldRecorder`` histories (one per seed) of an EFP run.
    steps_per_epoch : int, optional
        Ignored when the histories hold ``epoch`` (the x axis is epochs then).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Line: mean over seeds; band: min to max.
    """
    histories = [histories] if isinstance(histories, dict) else list(histories)
    names = list(next((a for h in histories for a in h["loop_angle"] if a), {}))
    if not names:
        raise ValueError("no loop angles recorded (EP has no loop; record an EFP run)")
    with style.context():
        fig, ax = style.new_figure(panel_size=(4.2, 3.0))
        ax = np.atleast_1d(ax)[0]
        for j, name in enumerate(names):
            n = max(len(h["step"]) for h in histories)
            Y = np.full((len(histories), n), np.nan)
            for i, h in enumerate(histories):
                Y[i, :len(h["step"])] = [a.get(name, np.nan) for a in h["loop_angle"]]
            x = np.asarray(next(h["epoch"] for h in histories if len(h["step"]) == n))
            color = list(style.OKABE_ITO.values())[1 + j % 7]
            ax.plot(x, np.nanmean(Y, 0), color=color, label=f"{name}ᵀ vs rest of loop")
            ax.fill_between(x, np.nanmin(Y, 0), np.nanmax(Y, 0), color=color, alpha=0.2, lw=0)
        ax.axhline(90, color="0.35", ls="--", lw=1)
        ax.set_ylim(0, 180)
        ax.set_xlabel("epoch")
        ax.set_ylabel("angle (°)")
        ax.legend(frameon=False, loc="upper right")
        ax.set_title(title or "loop alignment (EFP Fig. 5)")
    return fig
