"""2-D maps of the input and of each hidden layer of each rule (DFA paper, Fig. 3).

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
    """Rules x (input, ``h_1``, ...); each dot a sample coloured by its class.

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
        If every rule's first map is the same array (the input, mapped once), it is drawn
        once, in the first row beside the class legend, and each rule's hidden layers follow,
        two rules a row when they fit; otherwise one row per rule. Every panel's title names
        its rule and column, so no panel needs a header far above it.
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
    firsts = [zs[0] for zs in embeddings_by_rule.values()]
    shared = len(firsts) > 1 and n_cols > 1 and all(
        z.shape == firsts[0].shape and np.array_equal(z, firsts[0]) for z in firsts[1:])
    rules = list(embeddings_by_rule)
    per_rule = n_cols - 1 if shared else n_cols                # panels of each rule
    per_row = max(1, MAX_PANELS // per_rule) if shared else 1  # rules in one row
    ncols = max(per_rule * per_row, 2 if shared else 1)
    nrows = -(-len(rules) // per_row) + (1 if shared else 0)
    with style.context():
        fig, grid = style.new_figure(ncols=ncols, nrows=nrows, panel_size=(1.7, 1.85))
        grid = np.asarray(grid).reshape(nrows, ncols)
        for ax in grid.ravel():
            ax.set_axis_off()
        legend_ax = None
        if shared:
            ax = grid[0, 0]
            acc = _accuracies((knn or {}).get(rules[0]), columns)[0]
            _panel(ax, firsts[0], labels, classes, colors, names,
                   _title(_column_title(columns[0]), acc, k))
            legend_ax = grid[0, 1]
        for i, rule in enumerate(rules):
            zs = embeddings_by_rule[rule]
            accs = _accuracies((knn or {}).get(rule), columns)
            row = (1 + i // per_row) if shared else i
            start = (i % per_row) * per_rule
            for j in range(1 if shared else 0, n_cols):
                if j >= len(zs):
                    continue
                ax = grid[row, start + j - (1 if shared else 0)]
                head = f"{style.rule_label(rule)} · {_column_title(columns[j])}"
                _panel(ax, zs[j], labels, classes, colors, names, _title(head, accs[j], k))
        handles = [Line2D([], [], ls="", marker="o", ms=5, color=c, label=n)
                   for c, n in zip(colors, names)]
        if legend_ax is not None:
            legend_ax.legend(handles=handles, loc="center", ncol=2 if len(names) > 5 else 1,
                             frameon=False, title="class", handletextpad=0.1,
                             columnspacing=1.0)
        else:
            fig.legend(handles=handles, loc="outside lower center",
                       ncol=min(len(names), 10), frameon=False, title="class",
                       handletextpad=0.1, columnspacing=1.0)
        fig.suptitle(title or f"{method} of {len(labels)} test samples; colour and "
                     "number: true class")
    return fig


MAX_PANELS = 4     # panels in a row (1.7 in each) when the input is drawn once


def _panel(ax, Z, labels, classes, colors, names, title):
    ax.set_axis_on()
    _panel_style(ax)
    _scatter(ax, Z, labels, classes, colors, names)
    ax.set_title(title, fontsize=style.MIN_FONT_PT)


def _title(head, acc, k):
    return head if acc is None else f"{head}\n{k}-NN accuracy {100 * acc:.1f} %"


def _scatter(ax, Z, labels, classes, colors, names):
    for c, color, name in zip(classes, colors, names):
        pts = Z[labels == c]
        ax.scatter(pts[:, 0], pts[:, 1], s=4, color=color, alpha=0.75, lw=0, rasterized=True)
    for c, color, name in zip(classes, colors, names):  # labels beside the class median
        pts = Z[labels == c]
        if len(pts):
            mx, my = np.median(pts, axis=0)
            ax.annotate(name, (mx, my), xytext=(4, 4), textcoords="offset points",
                        fontsize=style.MIN_FONT_PT,
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
