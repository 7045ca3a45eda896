"""Stratified, seeded splits.

The test split of every dataset is fixed (official files, or seed 0 for the bundled
ones); the validation split is carved from the training set only, so choosing
hyperparameters never looks at the test set.
"""
import math
import numbers

import numpy as np
from sklearn.model_selection import train_test_split


def n_validation(validation_size, n_train):
    """Number of validation samples asked for by ``validation_size``.

    Parameters
    ----------
    validation_size : float or int
        A fraction in [0, 1) of the training set (rounded up, as scikit-learn does),
        or a count in [0, n_train).
    n_train : int
        Size of the training set before the split.

    Returns
    -------
    int
    """
    if isinstance(validation_size, (bool, np.bool_)):
        raise ValueError(f"validation_size must be a fraction or a count, not {validation_size!r}")
    if isinstance(validation_size, numbers.Integral):
        if not 0 <= validation_size < n_train:
            raise ValueError(
                f"validation_size={validation_size} must be a count in [0, {n_train}) "
                f"(the training set has {n_train} samples)"
            )
        return int(validation_size)
    if isinstance(validation_size, numbers.Real):
        if not 0.0 <= validation_size < 1.0:
            raise ValueError(f"validation_size={validation_size} must be a fraction in [0, 1)")
        return math.ceil(validation_size * n_train)
    raise ValueError(f"validation_size must be a fraction or a count, not {validation_size!r}")


def stratified_split(x, y, n_holdout, random_state, advice=None):
    """Split ``(x, y)`` into a kept part and a stratified held-out part.

    Parameters
    ----------
    x : ndarray of shape (n, ...)
    y : ndarray of shape (n,), int
    n_holdout : int
        Size of the held-out part; 0 returns empty held-out arrays.
    random_state : int
        Seed of the shuffle.
    advice : str, optional
        What the error tells the user to do; default: use ``validation_size=0`` or
        another size.

    Returns
    -------
    x_keep, y_keep, x_out, y_out : ndarray
        Each class appears in the held-out part in proportion to its frequency.

    Raises
    ------
    ValueError
        Stratification is impossible: a class has fewer than 2 samples, or either part
        would be smaller than the number of classes.
    """
    if n_holdout == 0:
        return x, y, x[:0], y[:0]
    classes, counts = np.unique(y, return_counts=True)
    n_keep = len(y) - n_holdout
    problem = None
    if counts.min() < 2:
        problem = f"class {classes[counts.argmin()]} has only {counts.min()} sample"
    elif min(n_holdout, n_keep) < len(classes):
        problem = f"both parts need at least one sample of each of the {len(classes)} classes"
    if problem:
        raise ValueError(
            f"cannot carve a stratified set of {n_holdout} from {len(y)} samples: {problem}. "
            + (advice or "Use validation_size=0 or a different size.")
        )
    idx_keep, idx_out = train_test_split(
        np.arange(len(y)), test_size=n_holdout, stratify=y, random_state=random_state
    )
    return x[idx_keep], y[idx_keep], x[idx_out], y[idx_out]
