"""How close generated images are to their class: BFA's Fig. 6, measured.

Luo, Fu & Glass (2017), arXiv:1702.07097, Sec. 5: a BFA network generates an input for
each one-hot label through its backward weights (:func:`nplearn.rules.bfa.generate`).
With the squared reconstruction error of Eq. (16) and a label as the only input, the best
the backward network can output is the mean training image of the class, so that is the
yardstick here. Arrays in, numbers out; nothing of the rule is read.
"""
import numpy as np


def class_means(x, y, n_classes):
    """Mean image of each class, ``(n_classes, n_features)``; NaN rows for absent classes."""
    x = np.reshape(x, (len(x), -1)).astype(np.float64)
    out = np.full((n_classes, x.shape[1]), np.nan)
    for c in range(n_classes):
        if np.any(y == c):
            out[c] = x[y == c].mean(axis=0)
    return out


def generation_errors(images, labels, x, y, random_state=0):
    """Mean squared error of each generated image to its class's mean training image.

    Parameters
    ----------
    images : ndarray of shape (m, n_features)
        Generated images, one per entry of ``labels``.
    labels : array-like of int, shape (m,)
        Class index each image was generated from.
    x : ndarray of shape (n, n_features) or (n, *image_shape)
        Training images (the class means are taken over them).
    y : ndarray of shape (n,)
        Their class indices.
    random_state : int or numpy.random.Generator
        Seeds the random baseline.

    Returns
    -------
    dict
        Arrays of shape ``(m,)``: ``own`` (to the mean of the image's class),
        ``nearest_other`` (to the closest mean of ANOTHER class), ``random`` (a uniform
        random image over the value range of the generated images, to the same class
        mean); ``nearest_class`` (the class whose mean is closest).
    """
    images = np.reshape(images, (len(images), -1)).astype(np.float64)
    labels = np.asarray(labels, dtype=int)
    means = class_means(x, y, int(max(labels.max(initial=0), np.max(y))) + 1)
    if images.shape[1] != means.shape[1]:
        raise ValueError(f"images have {images.shape[1]} features, the data {means.shape[1]}")
    d = np.mean((images[:, None, :] - means[None]) ** 2, axis=2)         # (m, n_classes)
    own = d[np.arange(len(labels)), labels]
    other = np.where(np.eye(means.shape[0], dtype=bool)[labels], np.inf, np.nan_to_num(d, nan=np.inf))
    rng = np.random.default_rng(random_state)
    noise = rng.uniform(images.min(), images.max(), size=images.shape)
    return {"own": own, "nearest_other": other.min(axis=1),
            "random": np.mean((noise - means[labels]) ** 2, axis=1),
            "nearest_class": np.argmin(np.nan_to_num(d, nan=np.inf), axis=1)}
