"""Signal propagation's early exits: each layer's own prediction error over training.

Kohan, Rietman & Siegelmann (2023), "Signal Propagation: A Framework for Learning and
Inference In a Forward Pass", Eq. (8): every layer ``l`` predicts ``argmax_m O(h_l, t_l)``,
so a network can stop at any layer (Fig. 2's networks, read layer by layer). The figure reads
a :class:`nplearn.analysis.early_exit.EarlyExitRecorder` history.
"""
import numpy as np
from matplotlib import colormaps

from . import style
from .curves import _log_axis


def plot_early_exits(histories, *, angles=True, title=None):
    """Per layer, the error of its own prediction (Eq. 8) and, beside it, the angle of its local
    update to BP's gradient of the network's loss, over training.

    Parameters
    ----------
    histories : dict or list of dict
        ``EarlyExitRecorder.history`` (one per seed): ``epoch``, ``exit_error`` (per record,
        one error rate per weight layer, the last one the network's output) and
        ``update_angle`` (degrees, per weight layer).
    angles : bool, default True
        Draw the update-angle panel too (when recorded).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Line: mean over seeds; band: min to max. Layers are coloured from light (layer 1)
        to dark (the output).
    """
    histories = [histories] if isinstance(histories, dict) else [h for h in histories if h]
    histories = [h for h in histories if h.get("exit_error")]
    if not histories:
        raise ValueError("no early-exit errors recorded: attach an EarlyExitRecorder to a "
                         "sigprop fit")
    n_layers = max(len(e) for h in histories for e in h["exit_error"])
    panels = [("exit_error", "error of its prediction (%)")]
    if angles and any(any(np.isfinite(_num(v)) for e in h.get("update_angle") or () for v in e)
                      for h in histories):
        panels.append(("update_angle", "angle to BP's gradient (°)"))
    cmap = colormaps["viridis_r"]
    colors = [cmap(0.2 + 0.8 * l / max(n_layers - 1, 1)) for l in range(n_layers)]
    with style.context():
        fig, axes, _ = style.panel_grid(len(panels), legend_slot=False)
        for ax, (key, label) in zip(axes, panels):
            for l in range(n_layers):
                x, Y = _stack(histories, key, l)
                if key == "exit_error":
                    Y = 100 * Y
                if not np.isfinite(Y).any():
                    continue
                name = f"layer {l + 1}" + (" (output)" if l == n_layers - 1 else "")
                ax.plot(x, np.nanmean(Y, 0), color=colors[l], label=name)
                if len(histories) > 1:
                    ax.fill_between(x, np.nanmin(Y, 0), np.nanmax(Y, 0), color=colors[l],
                                    alpha=0.2, lw=0)
            ax.set_xlabel("epoch")
            ax.set_ylabel(label)
            style.integer_epochs(ax)
            if key == "exit_error":
                ax.set_title(r"early exits: $\arg\max_m\, O(h_l, t_l)$, Eq. (8)")
                _log_axis(ax, has_zero=bool(np.nanmin(_all(histories, key)) <= 0))
            else:
                ax.set_title("local update vs BP's gradient")
                ax.axhline(90, color="0.35", ls="--", lw=1)
                ax.set_ylim(0, 180)
                ax.set_yticks(range(0, 181, 30))
        style.legend_outside(fig, axes, title="prediction of")
        n = len(histories)
        title = title or (f"mean over {n} seeds, band min to max" if n > 1 else "")
        if title:
            fig.suptitle(title)
    return fig


def _stack(histories, key, l):
    n = max(len(h[key]) for h in histories)
    Y = np.full((len(histories), n), np.nan)
    for i, h in enumerate(histories):
        Y[i, :len(h[key])] = [_num(e[l]) if l < len(e) else np.nan for e in h[key]]
    x = np.asarray(next(h["epoch"] for h in histories if len(h[key]) == n), dtype=float)
    return x, Y


def _all(histories, key):
    return np.array([_num(v) for h in histories for e in h[key] for v in e], dtype=float)


def _num(v):
    return np.nan if v is None else float(v)
