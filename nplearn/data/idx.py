"""MNIST and Fashion-MNIST IDX files: verify them by sha256, read them, convert them.

The IDX format (LeCun & Cortes, the MNIST page): big-endian; a magic number of two zero
bytes, a type byte (``0x08`` = uint8) and a dimension-count byte; one uint32 per
dimension; then the row-major data. Images have magic ``0x00000803`` and shape
``(n, 28, 28)`` after a 16-byte header, labels ``0x00000801`` and shape ``(n,)`` after 8.

A file is used only after its bytes matched a known sha256, and the bytes that were
hashed are the bytes that are parsed (each file is read once). The check is on the
DECOMPRESSED content where its hash is known (:data:`CONTENT`): it does not depend on the
gzip header, so Zalando's download, the Debian package ``dataset-fashion-mnist`` (whose
``.gz`` headers lack the file name) and an already decompressed file all pass. Where only
the hash of the original ``.gz`` download is known (MNIST), that is checked instead, so
MNIST must be given as its original ``.gz`` files.

This module imports only the standard library and NumPy: ``data_scripts/download.py``
loads it by path, without importing nplearn, and :func:`nplearn.load_dataset` uses it to
convert the Debian package's files when ``fashion_mnist.npz`` is missing.
"""
import gzip
import hashlib
import io
import os
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np

STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
IMAGES, LABELS = 0x00000803, 0x00000801

DIGITS = tuple(str(d) for d in range(10))
FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
LABEL_NAMES = {"mnist": DIGITS, "fashion_mnist": FASHION}

# (bytes, sha256) of each DECOMPRESSED IDX file: 16 + 784 n bytes of images, 8 + n of labels.
# Fashion-MNIST: the files inside Zalando's downloads. Debian's dataset-fashion-mnist .gz
# files are those downloads with the gzip header's file name removed and its mtime changed:
# restoring both (mtimes 1504176606 train, 1504176627 t10k) gives back the download sha256
# of data_scripts/download.py (tests/test_real_data.py checks it). MNIST: no trustworthy
# published sha256 of the decompressed files is known to us, so none is invented here and
# MNIST is verified by the sha256 of its original .gz downloads.
CONTENT = {
    "fashion_mnist": dict(zip(STEMS, [
        (47040016, "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
        (60008, "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
        (7840016, "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
        (10008, "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34")])),
    "mnist": {},
}


def locate(folder, stem):
    """Path of ``<folder>/<stem>.gz``, else of the decompressed ``<folder>/<stem>``.

    Raises
    ------
    FileNotFoundError
        Neither exists; the message names both.
    """
    folder = Path(folder)
    for path in (folder / f"{stem}.gz", folder / stem):
        if path.is_file():
            return path
    raise FileNotFoundError(f"{folder}: neither {stem}.gz nor {stem} found")


def read_verified(path, content=None, download=None):
    """The decompressed bytes of one IDX file, after checking them against a known sha256.

    Parameters
    ----------
    path : path-like
        A ``.gz`` file, or an already decompressed IDX file (any other name).
    content : (int, str), optional
        Byte size and sha256 of the decompressed file; checked whenever given.
    download : (int, str), optional
        Byte size and sha256 of the original ``.gz`` download; checked only when
        ``content`` is None.

    Returns
    -------
    bytes

    Raises
    ------
    ValueError
        No hash applies, a size or sha256 differs, or the gzip stream is truncated or
        damaged. The message starts with the path.
    """
    path = Path(path)
    gz = path.name.endswith(".gz")
    if content is not None:
        size, sha256 = content
        data = _gunzip(path, open(path, "rb"), limit=size) if gz else _read(path, size)
        _check(path, data, size, sha256, "decompressed content")
        return data
    if gz and download is not None:
        size, sha256 = download
        raw = _read(path, size, " as downloaded")
        _check(path, raw, size, sha256, "file")
        return _gunzip(path, io.BytesIO(raw), limit=None)  # the bytes just hashed
    raise ValueError(
        f"{path}: no known sha256 to verify it by. Only the hash of the original .gz "
        f"download is known for this dataset: give {path.name.removesuffix('.gz')}.gz as "
        "downloaded, not a decompressed or recompressed copy"
    )


def _read(path, size, what=""):
    actual = os.path.getsize(path)  # before reading: a wrong size is rejected cheaply
    if actual != size:
        raise ValueError(f"{path}: {actual} bytes{what}, expected {size}: truncated, "
                         "padded or a different file")
    return path.read_bytes()


def _gunzip(path, raw, limit):
    """Decompress the open file ``raw`` of ``path``; stop past ``limit`` bytes (e.g. a bomb)."""
    try:
        with raw, gzip.GzipFile(fileobj=raw, mode="rb") as f:
            data = f.read() if limit is None else f.read(limit + 1)
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f"{path}: not a complete gzip file ({err}): truncated or damaged"
                         ) from err
    if limit is not None and len(data) > limit:
        raise ValueError(f"{path}: decompresses to more than the expected {limit} bytes")
    return data


def _check(path, data, size, sha256, what):
    if len(data) != size:
        raise ValueError(f"{path}: {what} is {len(data)} bytes, expected {size}: truncated "
                         "or a different file")
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise ValueError(f"{path}: {what} has sha256 {digest}, expected {sha256}: the file "
                         "is damaged or not the official one; it was not used")


def parse_idx(data, magic, path="IDX data"):
    """Decompressed IDX bytes -> uint8 array (a read-only view of ``data``).

    Parameters
    ----------
    data : bytes
    magic : int
        ``IMAGES`` (0x00000803, shape (n, rows, cols)) or ``LABELS`` (0x00000801, (n,)).
    path : str or path-like
        Named in error messages.

    Raises
    ------
    ValueError
        Wrong magic number, or a payload that is not exactly ``prod(dims)`` bytes.
    """
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header or struct.unpack(">I", data[:4])[0] != magic:
        found = data[:4].hex() if len(data) >= 4 else "too short"
        raise ValueError(f"{path}: IDX magic {found}, expected {magic:08x}")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    if len(data) - header != int(np.prod(dims)):
        raise ValueError(f"{path}: header says {dims} = {int(np.prod(dims))} bytes of data, "
                         f"file holds {len(data) - header} (truncated or padded)")
    return np.frombuffer(data, np.uint8, offset=header).reshape(dims)


def convert(paths, label_names, content=None, download=None):
    """Four verified IDX files -> the arrays of ``<name>.npz``.

    Every file is verified and parsed before anything is returned, so a caller that
    writes the result writes nothing when any file fails.

    Parameters
    ----------
    paths : dict
        ``{stem: path}`` for the four :data:`STEMS`.
    label_names : sequence of str
    content, download : dict, optional
        ``{stem: (bytes, sha256)}`` of the decompressed files and of the ``.gz``
        downloads; see :func:`read_verified`.

    Returns
    -------
    dict
        ``x_train, x_test`` uint8 ``(n, 28, 28)``, ``y_train, y_test`` int64 ``(n,)``,
        ``label_names`` str array.
    """
    content, download = content or {}, download or {}

    def read(stem, magic):
        data = read_verified(paths[stem], content.get(stem), download.get(stem))
        return parse_idx(data, magic, paths[stem])

    arrays = {"label_names": np.array(label_names)}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        x = read(f"{prefix}-images-idx3-ubyte", IMAGES)
        y = read(f"{prefix}-labels-idx1-ubyte", LABELS)
        if x.shape[1:] != (28, 28) or len(x) != len(y):
            raise ValueError(f"{split}: images {x.shape} do not match labels {y.shape}")
        if len(y) and y.max() >= len(label_names):
            raise ValueError(f"{split}: label {y.max()} outside 0..{len(label_names) - 1}")
        arrays[f"x_{split}"], arrays[f"y_{split}"] = x, y.astype(np.int64)
    return arrays


def write_npz(path, arrays):
    """Write ``arrays`` to ``path`` atomically: a temporary file beside it, then
    ``os.replace``, so ``path`` is always the old file or the complete new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
