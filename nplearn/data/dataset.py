"""The :class:`Dataset` every loader returns, and the steps all loaders share.

:func:`finish` takes raw training and test arrays (from a bundled dataset, a downloaded
``.npz``, a user's file or a user's arrays), carves the seeded validation split from the
training set, converts to float and records where the data came from.
"""
from dataclasses import dataclass

import numpy as np

from .split import n_validation, stratified_split


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """Train / validation / test arrays of one classification dataset, and where they came from.

    Attributes
    ----------
    name : str
        The dataset's name; for a file of your own, its stem (``wine.npz`` -> ``"wine"``).
    x_train, x_val, x_test : ndarray of shape (n, n_features) or (n, *image_shape)
        float64 or float32. The built-in image datasets are scaled to [0, 1]; your own data
        are used as stored (nplearn does not rescale them).
    y_train, y_val, y_test : ndarray of shape (n,), int64
        Class indices into ``label_names``.
    label_names : tuple of str
    image_shape : tuple of int or None
        ``(channels, height, width)`` of an image dataset; ``None`` for tabular data.
    source : str
        Where the arrays came from: a file path, ``"scikit-learn load_digits (bundled)"``,
        or ``"arrays"`` for arrays passed in.
    sha256 : str or None
        Of a file of your own: the sha256 of its bytes (as ``sha256sum`` prints it); of
        arrays passed in: the sha256 of their dtypes, shapes and bytes; of mnist5k: its
        verified sha256; ``None`` for the other built-in datasets.
    splits : str
        How the test and validation splits were made, in words.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    label_names: tuple
    image_shape: tuple = None
    source: str = ""
    sha256: str = None
    splits: str = ""

    @property
    def n_features(self):
        """Number of inputs of one flattened sample (``channels * height * width`` of an image)."""
        return int(np.prod(self.x_train.shape[1:]))

    @property
    def n_classes(self):
        """Number of classes, ``len(label_names)``."""
        return len(self.label_names)

    def info(self):
        """What the data are, as a JSON-ready dict: what compare and sweep record and print.

        Returns
        -------
        dict
            ``name, source, sha256, n_train, n_val, n_test, n_features, n_classes,
            image_shape`` (list, or ``None`` for tabular data), ``x_range`` (min and max of
            ``x_train``), ``splits``.
        """
        x = self.x_train
        return {"name": self.name, "source": self.source, "sha256": self.sha256,
                "n_train": len(self.y_train), "n_val": len(self.y_val),
                "n_test": len(self.y_test), "n_features": self.n_features,
                "n_classes": self.n_classes,
                "image_shape": None if self.image_shape is None else list(self.image_shape),
                "x_range": [float(x.min()), float(x.max())], "splits": self.splits}

    def summary(self):
        """Multi-line description: classes, shape, dtype, value range, source and splits."""
        shape = (f"image {self.image_shape} = {self.n_features} features"
                 if self.image_shape else f"{self.n_features} features")
        lo, hi = self.info()["x_range"]
        lines = [f"Dataset {self.name!r}: {self.n_classes} classes, {shape}, "
                 f"{self.x_train.dtype}, x_train in [{lo:.4g}, {hi:.4g}]"]
        for split in ("train", "val", "test"):
            x = getattr(self, f"x_{split}")
            lines.append(f"  {split:<5} {len(x):>7} samples  x {x.shape}")
        lines.append(f"  source: {self.source}" + (f" (sha256 {self.sha256})" if self.sha256
                                                    else ""))
        lines.append(f"  splits: {self.splits}")
        return "\n".join(lines)

    def __repr__(self):
        return self.summary()


def finish(name, x_train, y_train, x_test, y_test, label_names, image_shape, *, scale=1.0,
           validation_size=0.1, random_state=0, dtype="float64", flatten=True, source="",
           sha256=None, test_split=""):
    """The :class:`Dataset` of checked raw arrays: validation split, float, shape, provenance.

    Parameters
    ----------
    name : str
    x_train, x_test : ndarray of shape (n, ...)
        Raw inputs, any numeric dtype; divided by ``scale``.
    y_train, y_test : ndarray of shape (n,), int
        Class indices.
    label_names : sequence of str
    image_shape : tuple of int or None
    scale : float, default 1.0
        255 for uint8 pixels, 16 for digits, 1 for a user's data (used as stored).
    validation_size, random_state, dtype, flatten
        As :func:`nplearn.data.load_dataset`.
    source, sha256 : str
        As :class:`Dataset`.
    test_split : str
        How the test split was made, in words.
    """
    dtype = float_dtype(dtype)
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)):
        raise ValueError(f"random_state must be an int seed, got {random_state!r}")
    n_val = n_validation(validation_size, len(y_train))
    x_train, y_train, x_val, y_val = stratified_split(x_train, y_train, n_val, random_state)
    sample = (int(np.prod(x_train.shape[1:])),) if flatten or image_shape is None else image_shape

    def prepare(x):
        out = x.astype(dtype)  # a fresh array, scaled in place
        if scale != 1:
            out /= scale
        return out.reshape(len(out), *sample)

    val = (f"{n_val} of the {len(y_train) + n_val} training samples, stratified, seed "
           f"{random_state}" if n_val else "none")
    return Dataset(
        name=name,
        x_train=prepare(x_train), y_train=np.asarray(y_train, dtype=np.int64),
        x_val=prepare(x_val), y_val=np.asarray(y_val, dtype=np.int64),
        x_test=prepare(x_test), y_test=np.asarray(y_test, dtype=np.int64),
        label_names=tuple(str(s) for s in label_names),
        image_shape=None if image_shape is None else tuple(int(s) for s in image_shape),
        source=str(source), sha256=sha256, splits=f"test: {test_split}; validation: {val}",
    )


def float_dtype(dtype):
    """``np.dtype`` of ``"float64"`` or ``"float32"``; ``ValueError`` for anything else."""
    try:
        resolved = None if dtype is None else np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in (np.float32, np.float64):
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    return resolved
