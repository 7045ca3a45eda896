"""Your own data: an ``.npz`` file or arrays, checked with messages that say what is wrong.

A file holds ``x_train`` and ``y_train``, and optionally ``x_test`` and ``y_test`` (both or
neither), ``label_names`` and ``image_shape``; nothing else:

* ``x_*``: numbers (float, integer or bool), one row per sample: ``(n, n_features)`` for
  tabular data, ``(n, height, width)`` or ``(n, channels, height, width)`` for images. Used
  as stored, never rescaled; NaN and infinity are refused.
* ``y_*``: integer class labels, ``(n,)``. With ``label_names`` they are indices into it;
  without, any integers, the sorted distinct training labels becoming classes 0, 1, ...
  (and their names).
* ``label_names``: one string per class. ``image_shape``: ``(channels, height, width)`` or
  ``(height, width)`` of flat rows, whose product is the number of features.

Without a test split, a stratified ``test_size`` share (default 0.2) of the samples is held
out with seed 0, whatever ``random_state`` is, and the result says so. The file is read once:
the bytes hashed are the bytes parsed, and nothing is unpickled.
"""
import hashlib
import io
import math
import numbers
import os
import zipfile
from pathlib import Path

import numpy as np

from .dataset import finish, float_dtype
from .split import stratified_split

KEYS = ("x_train", "y_train", "x_test", "y_test", "label_names", "image_shape")
TEST_SIZE = 0.2     # share of the samples held out for testing when no test split is given
TEST_SEED = 0       # its seed: fixed, as the bundled datasets' test splits


def is_path(dataset):
    """Whether ``dataset`` names a file rather than a built-in dataset: a path-like object,
    or a string ending in ``.npz``."""
    return isinstance(dataset, os.PathLike) or (
        isinstance(dataset, str) and dataset.lower().endswith(".npz"))


def read_file(path, image_shape=None):
    """The checked arrays and the sha256 of the ``.npz`` file ``path``.

    ``image_shape``, if given, is used as if stored in the file (and must agree with a
    stored one).

    Returns
    -------
    arrays : dict
        As :func:`check_arrays`.
    sha256 : str
        Hex digest of the file's bytes.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        The file is not an ``.npz`` archive, holds pickled objects, lacks a key, has a
        key nplearn does not know, or arrays :func:`check_arrays` refuses; the message
        names the file, the array and the fix.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found" + (" (it is a folder)" if path.is_dir()
                                                       else ""))
    raw = path.read_bytes()
    sha256 = hashlib.sha256(raw).hexdigest()
    try:
        npz = np.load(io.BytesIO(raw), allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array (.npy), not an .npz archive of named "
                             "arrays; save with np.savez(path, x_train=..., y_train=...)")
        with npz:
            arrays = {k: npz[k] for k in npz.files}
    except (ValueError, TypeError, OSError, EOFError, KeyError, zipfile.BadZipFile) as err:
        reason = str(err)
        if "pickle" in reason:  # numpy's message advises allow_pickle=True: never do that
            reason = ("it holds pickled Python objects (an array of dtype object), which "
                      "nplearn never loads; save numeric arrays, and label_names as a str array")
        elif isinstance(err, zipfile.BadZipFile) or "zip" in reason.lower():
            reason = f"it is not a readable .npz (zip) archive ({reason})"
        raise ValueError(f"{path}: {reason}") from None
    unknown = [k for k in arrays if k not in KEYS]
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {unknown}{_close(unknown)}; an .npz of your "
                         f"own holds only {', '.join(KEYS)}")
    if image_shape is not None:
        given = np.asarray(image_shape)
        stored = arrays.setdefault("image_shape", given)
        if stored.shape != given.shape or np.any(stored != given):
            raise ValueError(f"{path}: image_shape {tuple(given.tolist())} was given, but the "
                             f"file stores image_shape {tuple(stored.tolist())}")
    return check_arrays(arrays, where=str(path)), sha256


def check_arrays(arrays, where="arrays", names=None):
    """Check a user's arrays; return them ready for :func:`nplearn.data.dataset.finish`.

    Parameters
    ----------
    arrays : dict
        Keys of :data:`KEYS`; ``x_train`` and ``y_train`` required, ``None`` values absent.
    where : str
        Prefix of every message: the file's path, or the function the arrays went to.
    names : dict, optional
        Key -> the name the caller knows it by (``{"x_train": "X"}`` for ``compare(X, y)``).

    Returns
    -------
    dict
        ``x_train, y_train, x_test, y_test`` (``None`` without a test split; labels as
        int64 class indices), ``label_names`` (tuple of str), ``image_shape`` (tuple or None).

    Raises
    ------
    ValueError
        ``"<where>: <array> <what is wrong>; <the fix>"``.
    """
    names = names or {}
    arrays = {k: v for k, v in arrays.items() if v is not None}

    def fail(message):
        for key, alias in names.items():
            message = message.replace(key, alias)
        raise ValueError(f"{where}: {message}")

    for key in ("x_train", "y_train"):
        if key not in arrays:
            fail(f"missing key '{key}': give at least x_train (inputs, one row per sample) "
                 "and y_train (their integer labels)")
    if ("x_test" in arrays) != ("y_test" in arrays):
        have, lack = ("x_test", "y_test") if "x_test" in arrays else ("y_test", "x_test")
        fail(f"has {have} but no {lack}: give both, or neither (then a stratified "
             f"{TEST_SIZE:.0%} of the samples is held out for testing)")
    splits = ("train", "test") if "x_test" in arrays else ("train",)
    x = {s: _inputs(arrays[f"x_{s}"], f"x_{s}", fail) for s in splits}
    y = {s: _labels(arrays[f"y_{s}"], f"y_{s}", len(x[s]), fail) for s in splits}
    if "test" in x and x["test"].shape[1:] != x["train"].shape[1:]:
        fail(f"x_test has samples of shape {x['test'].shape[1:]}, x_train of shape "
             f"{x['train'].shape[1:]}; both splits need the same features")
    image_shape = _image_shape(arrays.get("image_shape"), x["train"], fail)
    y, label_names = _classes(y, arrays.get("label_names"), fail)
    return {"x_train": x["train"], "y_train": y["train"], "x_test": x.get("test"),
            "y_test": y.get("test"), "label_names": label_names, "image_shape": image_shape}


def from_arrays(x_train, y_train, x_test=None, y_test=None, *, name="arrays", label_names=None,
                image_shape=None, test_size=None, validation_size=0.1, random_state=0,
                dtype="float64", flatten=True):
    """A :class:`~nplearn.data.Dataset` of your own arrays, checked as a file would be.

    Parameters
    ----------
    x_train : array-like of shape (n, n_features), (n, height, width) or (n, C, H, W)
        Numbers; used as given (never rescaled).
    y_train : array-like of shape (n,), int
        Class labels: indices into ``label_names`` if given, else any integers.
    x_test, y_test : array-like, optional
        A test split of your own; without it a stratified ``test_size`` share of
        ``x_train`` is held out, with seed 0 (independent of ``random_state``).
    name : str, default "arrays"
    label_names : sequence of str, optional
        One name per class; default the distinct labels, as strings.
    image_shape : tuple of int, optional
        ``(channels, height, width)`` of flat rows, for conv layers.
    test_size : float or int, optional
        Fraction in (0, 1) or count held out without ``x_test``; default 0.2. Refused with
        ``x_test``.
    validation_size, random_state, dtype, flatten
        As :func:`nplearn.load_dataset`.

    Returns
    -------
    Dataset
        ``source`` is ``"arrays"``; ``sha256`` hashes the arrays' dtypes, shapes and bytes.

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> X, y = load_wine(return_X_y=True)
    >>> d = from_arrays(X / X.max(axis=0), y, name="wine")
    >>> len(d.y_train), len(d.y_val), len(d.y_test), d.n_features, d.n_classes
    (127, 15, 36, 13, 3)
    """
    given = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test,
             "label_names": None if label_names is None else np.asarray(label_names),
             "image_shape": image_shape}
    arrays = check_arrays(given, where=f"from_arrays({name!r})")
    return build(name, arrays, source="arrays", sha256=arrays_sha256(given),
                 test_size=test_size, validation_size=validation_size,
                 random_state=random_state, dtype=dtype, flatten=flatten)


def arrays_sha256(arrays):
    """sha256 of the dtypes, shapes and bytes of the ``x_*``, ``y_*`` arrays, as given."""
    digest = hashlib.sha256()
    for key in ("x_train", "y_train", "x_test", "y_test"):
        if arrays.get(key) is not None:
            a = np.ascontiguousarray(arrays[key])
            digest.update(f"{key} {a.dtype.str} {a.shape}\n".encode())
            if a.dtype != object:
                digest.update(a.tobytes())
    return digest.hexdigest()


def build(name, arrays, *, source, sha256, test_size=None, **options):
    """:func:`~nplearn.data.dataset.finish` of checked arrays, holding out a test split if
    they have none. ``options``: ``validation_size, random_state, dtype, flatten``."""
    float_dtype(options.get("dtype", "float64"))          # before any work
    a = dict(arrays)
    if a["x_test"] is not None:
        if test_size is not None:
            raise ValueError(f"{source}: test_size={test_size!r} is for data without a test "
                             "split, and this one has x_test; drop test_size")
        test_split = "the given x_test, y_test"
    else:
        n = len(a["y_train"])
        n_test = _n_test(TEST_SIZE if test_size is None else test_size, n)
        a["x_train"], a["y_train"], a["x_test"], a["y_test"] = stratified_split(
            a["x_train"], a["y_train"], n_test, TEST_SEED,
            advice="Store a test split of your own (x_test, y_test), or choose another "
                   "test_size.")
        test_split = (f"{n_test} of the {n} samples held out (test_size "
                      f"{TEST_SIZE if test_size is None else test_size}), stratified, seed "
                      f"{TEST_SEED}")
    return finish(name, a["x_train"], a["y_train"], a["x_test"], a["y_test"], a["label_names"],
                  a["image_shape"], source=source, sha256=sha256, test_split=test_split,
                  **options)


def _n_test(test_size, n):
    if isinstance(test_size, numbers.Integral) and not isinstance(test_size, bool):
        if 0 < test_size < n:
            return int(test_size)
    elif isinstance(test_size, numbers.Real) and not isinstance(test_size, bool):
        if 0 < test_size < 1:
            return math.ceil(test_size * n)
    raise ValueError(f"test_size must be a fraction in (0, 1) or a count in [1, {n}) of the "
                     f"{n} samples; got {test_size!r}")


def _inputs(x, key, fail):
    x = np.asarray(x)
    if x.dtype == object:
        fail(f"{key} holds Python objects (dtype object); give a numeric array")
    if x.dtype.kind not in "fiub":
        fail(f"{key} has dtype {x.dtype}; inputs must be numbers (float, integer or bool)")
    if x.ndim < 2 or x.ndim > 4:
        fail(f"{key} has shape {x.shape}; expected one row per sample: (n_samples, "
             "n_features), (n, height, width) or (n, channels, height, width)"
             + (" (one feature: x.reshape(-1, 1))" if x.ndim == 1 else ""))
    if len(x) == 0:
        fail(f"{key} holds 0 samples")
    if x[0].size == 0:
        fail(f"{key} has shape {x.shape}: 0 features per sample")
    if x.dtype.kind == "f":
        bad = ~np.isfinite(x)
        if bad.any():
            nan, n_bad = int(np.isnan(x).sum()), int(bad.sum())
            first = [int(i) for i in np.unravel_index(int(np.flatnonzero(bad)[0]), x.shape)]
            where = first[1] if x.ndim == 2 else tuple(first[1:])
            fail(f"{key} holds {nan} NaN and {n_bad - nan} infinite values (the first at "
                 f"sample {first[0]}, feature {where}); drop or impute them before saving")
    return x


def _labels(y, key, n, fail):
    y = np.asarray(y)
    if y.dtype == object:
        fail(f"{key} holds Python objects (dtype object); give integer labels")
    if y.dtype.kind in "US":
        fail(f"{key} holds strings; labels must be integers: save "
             "label_names, y = np.unique(y, return_inverse=True) (names and indices)")
    if y.ndim != 1:
        fail(f"{key} has shape {y.shape}; expected one label per sample, shape ({n},)"
             + (" (for one-hot rows: y.argmax(axis=1))" if y.ndim == 2 else ""))
    if y.dtype.kind == "f":
        whole = bool(np.all(np.isfinite(y)) and np.all(y == np.round(y)))
        fail(f"{key} has dtype {y.dtype}; labels must be integers"
             + (": they are whole numbers, so save y.astype(int)" if whole else
                f", and these are not (e.g. {y[y != np.round(y)][:3].tolist()})"))
    if y.dtype.kind not in "iub":
        fail(f"{key} has dtype {y.dtype}; labels must be integers")
    if len(y) != n:
        fail(f"x_{key[2:]} has {n} samples but {key} has {len(y)} labels")
    return y.astype(np.int64)


def _image_shape(stored, x, fail):
    """``(C, H, W)`` from the stored or given ``image_shape`` and the shape of ``x``."""
    from_x = None
    if x.ndim == 3:
        from_x = (1, *x.shape[1:])
    elif x.ndim == 4:
        from_x = tuple(x.shape[1:])
    if stored is None:
        return from_x
    s = np.asarray(stored)
    if s.ndim != 1 or len(s) not in (2, 3) or s.dtype.kind not in "iu" or np.any(s < 1):
        fail(f"image_shape is {s.tolist()}; expected (channels, height, width) or (height, "
             "width), positive integers")
    shape = tuple(int(v) for v in s)
    shape = (1, *shape) if len(shape) == 2 else shape
    n_features = int(np.prod(x.shape[1:]))
    if from_x is not None and shape != from_x:
        fail(f"image_shape {shape} disagrees with x_train's images of shape {x.shape[1:]}")
    if int(np.prod(shape)) != n_features:
        fail(f"image_shape {shape} has {int(np.prod(shape))} pixels, x_train "
             f"{n_features} features per sample")
    return shape


def _classes(y, label_names, fail):
    """Labels as class indices 0..K-1, and one name per class."""
    train = y["train"]
    if label_names is not None:
        names = np.asarray(label_names)
        if names.dtype.kind != "U" or names.ndim != 1:
            fail(f"label_names is {names.dtype} of shape {names.shape}; expected a 1-d str "
                 "array, one name per class: np.array(['a', 'b', ...])")
        if len(set(names.tolist())) < len(names):
            fail(f"label_names {names.tolist()} repeats a name")
        for split, labels in y.items():
            out = labels[(labels < 0) | (labels >= len(names))]
            if out.size:
                fail(f"y_{split} holds label {int(out[0])}, outside 0..{len(names) - 1} (the "
                     f"indices of the {len(names)} label_names)")
        missing = np.setdiff1d(np.arange(len(names)), train)
        if missing.size:
            c = int(missing[0])
            fail(f"y_train has no sample of class {c} ({str(names[c])!r}); every class in "
                 "label_names needs training samples")
        classes = np.arange(len(names))
        label_names = tuple(names.tolist())
    else:
        classes = np.unique(train)
        label_names = tuple(str(c) for c in classes)
        for split, labels in y.items():
            unseen = np.setdiff1d(labels, classes)
            if unseen.size:
                fail(f"y_{split} holds label {int(unseen[0])}, which no training sample has")
    if len(classes) < 2:
        fail(f"y_train holds a single class ({label_names[0]!r}); a classifier needs 2 or more")
    return {s: np.searchsorted(classes, labels) for s, labels in y.items()}, label_names


def _close(unknown):
    import difflib
    hints = [f"{m[0]!r} for {k!r}" for k in unknown
             for m in [difflib.get_close_matches(k.lower(), KEYS, n=1)] if m]
    return f" (did you mean {', '.join(hints)}?)" if hints else ""
