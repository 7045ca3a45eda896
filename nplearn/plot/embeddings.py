"""2-D maps of the input and of each hidden layer, one row per rule (DFA paper, Fig. 3).

Nøkland 2016, "Direct Feedback Alignment Provides Learning in Deep Neural Networks",
Fig. 3: t-SNE of the MNIST test set in the input and in each hidden layer, for BP, FA
and DFA. The coordinates come from :func:`nplearn.analysis.layer_embeddings`.

Classes are coloured with matplotlib's ``tab10`` (``tab20`` past 10 classes). It is
not safe for every colour-vision deficiency, and no 10-colour palette is, so each
class is also written, as its label, beside the median of its points.
"""
import numpy as np
from matplotlib import colormaps, patheffects
from matplotlib.lines import Line2D

from . import style


def plot_embedding_grid(embeddings_by_rule, labels, knn=None, *, columns=None,
                        label_names=None, method="t-SNE", k=5, title=None):
    """Rows = rules, columns = input, ``h_1``, ...; each dot a sample coloured by its class.

    Parameters
    ----------
    embeddings_by_rule : dict
        Rule name -> list of ``(n, 2)`` arrays ``[input, h_1, ..., h_{L-1}]``.
    labels : array-like of shape (n,)
        Class index of each sample.
    knn : dict, optional
        Rule -> k-NN accuracies (fractions) of the panels, a list in column order or
        a dict keyed by ``columns``; shown in each panel's title.
    columns : list of str, optional
        Column names; default ``["input", "h1", "h2", ...]``.
    label_names : sequence of str, optional
        Name of each class index (default the index).
    method : str, default "t-SNE"
        Named in the title.
    k : int, default 5
        Neighbours of the k-NN classifier behind ``knn`` (for the titles).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    embeddings_by_rule = {r: [np.asarray(z, float) for z in zs]
                          for r, zs in embeddings_by_rule.items() if zs}
    if not embeddings_by_rule:
        raise ValueError("no embeddings to plot")
    labels = np.asarray(labels).astype(int)
    n_cols = max(len(zs) for zs in embeddings_by_rule.values())
    columns = list(columns or ["input"] + [f"h{l}" for l in range(1, n_cols)])
    classes = np.unique(labels)
    names = [str(label_names[c]) if label_names is not None else str(c) for c in classes]
    colors = _class_colors(len(classes))
    with style.context():
        fig, axes = style.new_figure(ncols=n_cols, nrows=len(embeddings_by_rule),
                                     panel_size=(2.3, 2.3))
        axes = np.asarray(axes).reshape(len(embeddings_by_rule), n_cols)
        for row, (rule, zs) in zip(axes, embeddings_by_rule.items()):
            accs = _accuracies((knn or {}).get(rule), columns)
            for j, ax in enumerate(row):
                _panel_style(ax)
                if j >= len(zs):
                    ax.set_axis_off()
                    continue
                _scatter(ax, zs[j], labels, classes, colors, names)
                head = _column_title(columns[j]) if ax in axes[0] else ""
                acc = "" if accs[j] is None else f"{k}-NN accuracy {100 * accs[j]:.1f} %"
                ax.set_title("\n".join(t for t in (head, acc) if t), fontsize=8)
            row[0].set_ylabel(style.rule_label(rule), fontsize=11, fontweight="bold")
        handles = [Line2D([], [], ls="", marker="o", ms=5, color=c, label=n)
                   for c, n in zip(colors, names)]
        fig.legend(handles=handles, loc="outside lower center", ncol=min(len(names), 10),
                   frameon=False, title="class", handletextpad=0.1, columnspacing=1.0)
        fig.suptitle(title or f"{method} of {len(labels)} test samples; colour and "
                     "number: true class")
    return fig


def _scatter(ax, Z, labels, classes, colors, names):
    for c, color, name in zip(classes, colors, names):
        pts = Z[labels == c]
        ax.scatter(pts[:, 0], pts[:, 1], s=4, color=color, alpha=0.75, lw=0, rasterized=True)
    for c, color, name in zip(classes, colors, names):  # labels beside the class median
        pts = Z[labels == c]
        if len(pts):
            mx, my = np.median(pts, axis=0)
            ax.annotate(name, (mx, my), xytext=(4, 4), textcoords="offset points", fontsize=8,
                        fontweight="bold", color=color, ha="left", va="bottom",
                        path_effects=[patheffects.withStroke(linewidth=2, foreground="white")])


def _panel_style(ax):
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.set_aspect("equal", adjustable="datalim")
    ax.margins(0.1)                                    # room for the labels at the edges
    for side in ("top", "right"):
        ax.spines[side].set_visible(True)
    for spine in ax.spines.values():
        spine.set_color("0.75")


def _class_colors(n):
    cmap = colormaps["tab10" if n <= 10 else "tab20" if n <= 20 else "turbo"]
    return [cmap(i) if n <= 20 else cmap(i / max(n - 1, 1)) for i in range(n)]


def _accuracies(knn, columns):
    if knn is None:
        return [None] * len(columns)
    if isinstance(knn, dict):
        return [knn.get(c) for c in columns]
    return list(knn) + [None] * (len(columns) - len(knn))


def _column_title(name):
    if name.startswith("h") and name[1:].isdigit():
        return f"hidden layer {name[1:]}"
    return name
