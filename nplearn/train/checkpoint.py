"""Checkpoints: one ``.npz`` of arrays plus one ``.json`` of everything else.

Both files are written atomically (temporary file in the same folder, then
``os.replace``), so an interrupted save never destroys the previous
checkpoint. The JSON records the sha256 of the npz it belongs to, and loading
refuses a pair that does not match. Round trips are exact (arrays are stored
as they are, no text conversion).
"""
import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1


def atomic_write(path, write):
    """Call ``write(file_object)`` on a temp file beside ``path``, then rename over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())   # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def save_checkpoint(path, arrays, meta):
    """Write ``<path>.npz`` (``arrays``: name -> ndarray) and ``<path>.json`` (``meta``)."""
    path = Path(path)
    npz, js = path.with_suffix(".npz"), path.with_suffix(".json")
    atomic_write(npz, lambda fh: np.savez(fh, **arrays))
    meta = {"format_version": FORMAT_VERSION, "npz_sha256": _sha256(npz), **meta}
    atomic_write(js, lambda fh: fh.write(json.dumps(meta, indent=1, default=_jsonable).encode()))
    return npz, js


def load_checkpoint(path):
    """Read a checkpoint written by :func:`save_checkpoint`; returns ``(arrays, meta)``."""
    path = Path(path)
    npz, js = path.with_suffix(".npz"), path.with_suffix(".json")
    for p in (npz, js):
        if not p.exists():
            raise FileNotFoundError(f"checkpoint file {p} is missing")
    try:
        meta = json.loads(js.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"checkpoint {js} is not valid JSON ({err}); it is corrupt") from None
    if meta.get("npz_sha256") != _sha256(npz):
        raise ValueError(f"{npz} does not match {js} (sha256 differs): the pair is corrupt or "
                         "from two different saves")
    with np.load(npz, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    return arrays, meta


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _jsonable(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(f"cannot store {type(o).__name__} in a checkpoint's JSON")
