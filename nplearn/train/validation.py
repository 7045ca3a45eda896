"""Checks that run before any training starts, with errors that name the fix."""
import numpy as np


def check_features(X, n_features=None, name="X"):
    """``X`` must be a non-empty, finite, 2-D float array (``n_features`` columns if given)."""
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}; "
                         "flatten images with X.reshape(len(X), -1)")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {X.shape})")
    if not np.issubdtype(X.dtype, np.number) or np.iscomplexobj(X):
        raise ValueError(f"{name} must be real numbers, got dtype {X.dtype}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or inf ({np.sum(~np.isfinite(X))} entries); "
                         "clean or impute the data first")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} features but the network expects "
                         f"{n_features}")
    return X


def check_labels(y, n_classes, n_samples=None, name="y"):
    """``y`` must be integer class indices in ``[0, n_classes)``, one per sample."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D class indices, got shape {y.shape}")
    if n_samples is not None and y.shape[0] != n_samples:
        raise ValueError(f"{name} has {y.shape[0]} labels for {n_samples} samples")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError(f"{name} must hold integer class indices, got non-integer values")
    elif y.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integer class indices, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{name} has labels outside [0, {n_classes}): min {y.min()}, "
                         f"max {y.max()}; map labels to 0..n_classes-1 first")
    return y


def check_hidden_sizes(hidden_sizes):
    """A tuple of positive ints (may be empty: a single-layer network)."""
    if np.isscalar(hidden_sizes):
        hidden_sizes = (hidden_sizes,)
    sizes = tuple(hidden_sizes)
    for s in sizes:
        if isinstance(s, bool) or not float(s).is_integer() or int(s) < 1:
            raise ValueError(f"hidden layer sizes must be positive integers, got {sizes}")
    return tuple(int(s) for s in sizes)
