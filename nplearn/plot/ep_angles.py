"""EP's update against BP's gradient over training, per weight layer.

Reads :class:`nplearn.analysis.ep_angles.EPAngleRecorder` histories (or the same as dicts).
"""
import numpy as np

from . import style


def plot_ep_angles(histories, *, title=None):
    """Angle between EP's update of each ``W_l`` and BP's gradient of the cost at the free
    state (:func:`nplearn.analysis.ep_angles.ep_bp_angles`), against epochs.

    Parameters
    ----------
    histories : dict or list of dict
        ``EPAngleRecorder.history`` of one or more seeds: ``epoch``, ``ep_bp_angle``.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Line: mean over seeds; band: min to max.
    """
    histories = [histories] if isinstance(histories, dict) else list(histories)
    names = list(next((a for h in histories for a in h["ep_bp_angle"] if a), {}))
    if not names:
        raise ValueError("no EP-BP angles recorded: record an EP run with EPAngleRecorder")
    n = max(len(h["epoch"]) for h in histories)
    x = np.asarray(next(h["epoch"] for h in histories if len(h["epoch"]) == n))
    with style.context():
        fig, ax = style.new_figure(panel_size=(4.2, 3.0))
        ax = np.atleast_1d(ax)[0]
        for j, name in enumerate(names):
            Y = np.full((len(histories), n), np.nan)
            for i, h in enumerate(histories):
                Y[i, :len(h["epoch"])] = [a.get(name, np.nan) for a in h["ep_bp_angle"]]
            color = list(style.OKABE_ITO.values())[1 + j % 7]
            ax.plot(x, np.nanmean(Y, 0), color=color, label=name)
            ax.fill_between(x, np.nanmin(Y, 0), np.nanmax(Y, 0), color=color, alpha=0.2, lw=0)
        ax.axhline(90, color="0.35", ls="--", lw=1)
        ax.set_ylim(0, 180)
        ax.set_xlabel("epoch")
        ax.set_ylabel("angle to BP's gradient (°)")
        ax.legend(frameon=False, loc="upper right")
        ax.set_title(title or "EP's update vs BP's gradient")
    return fig
