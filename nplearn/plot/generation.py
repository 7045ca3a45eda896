"""Images generated from one-hot labels by a BFA network (Luo, Fu & Glass 2017, Fig. 6).

>>> from nplearn.rules.bfa import generate
>>> images = generate(clf.model_, clf.rule_)                       # doctest: +SKIP
>>> fig = plot_generated(images, (1, 8, 8), class_means=means)     # doctest: +SKIP
"""
import numpy as np

from . import style


def infer_image_shape(n_features):
    """``(channels, height, width)`` guessed from a flat size: a square, or 3 squares (RGB)."""
    for c in (1, 3):
        side = int(round(np.sqrt(n_features / c)))
        if c * side * side == n_features:
            return (c, side, side)
    return (1, 1, int(n_features))


def plot_generated(images, image_shape=None, *, labels=None, class_means=None, errors=None,
                   title=None):
    """One image per class in a row; below it, optionally, the class's mean training image.

    Parameters
    ----------
    images : ndarray of shape (m, n_features)
        Generated images (e.g. :func:`nplearn.rules.bfa.generate`).
    image_shape : tuple of int, optional
        ``(channels, height, width)``; default :func:`infer_image_shape`.
    labels : sequence of str, optional
        Column titles; default ``0 .. m-1``.
    class_means : ndarray of shape (m, n_features), optional
        Drawn as a second row, for comparison.
    errors : sequence of float, optional
        Shown under each generated image (e.g. its MSE to the class mean).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Every panel shares one grey scale (or clips RGB to [0, 1]).
    """
    images = np.reshape(images, (len(images), -1))
    m = len(images)
    if m == 0:
        raise ValueError("no images to plot")
    shape = tuple(image_shape or infer_image_shape(images.shape[1]))
    rows = [images] + ([np.reshape(class_means, (m, -1))] if class_means is not None else [])
    lo = min(float(np.nanmin(r)) for r in rows)
    hi = max(float(np.nanmax(r)) for r in rows)
    labels = [str(v) for v in (range(m) if labels is None else labels)]
    with style.context():
        fig, axes = style.new_figure(ncols=m, nrows=len(rows), panel_size=(0.9, 1.05))
        axes = np.reshape(axes, (len(rows), m))
        for r, row in enumerate(rows):
            for j in range(m):
                ax = axes[r, j]
                img = row[j].reshape(shape)
                if shape[0] == 3:
                    ax.imshow(np.clip(img.transpose(1, 2, 0), 0, 1))
                else:
                    ax.imshow(img[0], cmap="gray", vmin=lo, vmax=hi)
                ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
                for spine in ax.spines.values():
                    spine.set_visible(False)
                if r == 0:
                    ax.set_title(labels[j])
                    if errors is not None:
                        ax.set_xlabel(f"{errors[j]:.4f}", fontsize=style.MIN_FONT_PT)
        axes[0, 0].set_ylabel("generated")
        if class_means is not None:
            axes[1, 0].set_ylabel("class mean")
        if errors is not None:
            fig.supxlabel("under each generated image: its mean squared error to the class mean",
                          fontsize=style.MIN_FONT_PT)
        fig.suptitle(title or "BFA: input generated from each one-hot label (Fig. 6)")
    return fig
