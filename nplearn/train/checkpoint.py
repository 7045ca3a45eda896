"""Checkpoints: one ``.npz`` file that holds the arrays, the metadata and their hash.

``save_checkpoint("runs/clf_lr0.001", arrays, meta)`` writes

* ``runs/clf_lr0.001.npz``: the arrays, the metadata as UTF-8 JSON (entry ``__meta__``)
  and the sha256 of both (entry ``__sha256__``). This file IS the checkpoint: it is
  written to a temporary file in the same folder, flushed to disk and renamed over the
  old one (``os.replace``), so at every moment the name holds either the previous
  checkpoint or the new one, whole.
* ``runs/clf_lr0.001.json``: a readable copy of the metadata, renamed into place right
  after the ``.npz``. Loading takes nothing from it, but refuses a copy that no longer
  matches (someone edited it, expecting an effect), naming the field.

The suffix is appended to the name, never substituted: ``clf_lr0.001`` and ``clf_lr0.003``
are two checkpoints. A path ending in ``.npz`` or ``.json`` names the same checkpoint.

Loading refuses a file whose hash does not match its arrays and metadata (edited or
corrupt), a ``format_version`` it does not know, and any pickled entry; the messages name
the field. Round trips are exact (arrays are stored as they are, no text conversion).
Checkpoints of format 1 (an ``.npz`` plus a ``.json`` that holds the npz's sha256) load.
"""
import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

FORMAT_VERSION = 2
META_KEY, HASH_KEY = "__meta__", "__sha256__"
_SUFFIXES = (".npz", ".json")


def checkpoint_paths(path):
    """``(<path>.npz, <path>.json)``; a trailing ``.npz`` or ``.json`` is taken as given."""
    path = Path(path)
    if path.suffix in _SUFFIXES:
        path = path.with_suffix("")
    return path.with_name(path.name + ".npz"), path.with_name(path.name + ".json")


def atomic_write(path, write):
    """Call ``write(file_object)`` on a temp file beside ``path``, then rename over it."""
    path = Path(path)
    tmp = _write_temp(path, write)
    try:
        _replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise
    _sync_dir(path.parent)


def save_checkpoint(path, arrays, meta):
    """Write the checkpoint ``path`` (module docstring); returns ``(npz_path, json_path)``.

    Everything is checked and serialised before the first byte is written, so an array or
    a metadata field that cannot be stored raises a ValueError and leaves any previous
    checkpoint untouched.
    """
    npz, js = checkpoint_paths(path)
    arrays = _storable_arrays(arrays)
    meta = {"format_version": FORMAT_VERSION, **meta}
    try:
        meta_bytes = json.dumps(meta, sort_keys=True, indent=1, default=_jsonable).encode()
    except (TypeError, ValueError) as err:
        raise ValueError(f"cannot save the checkpoint {npz}: {err}") from None
    digest = _digest(meta_bytes, arrays)
    copy = {"sha256": digest,
            "note": f"readable copy of the metadata in {npz.name}; loading reads only the .npz",
            **meta}
    copy_bytes = json.dumps(copy, indent=1, default=_jsonable).encode()
    stored = {**arrays, META_KEY: np.frombuffer(meta_bytes, np.uint8),
              HASH_KEY: np.frombuffer(digest.encode(), np.uint8)}
    npz_tmp = _write_temp(npz, lambda fh: np.savez(fh, **stored))
    try:
        js_tmp = _write_temp(js, lambda fh: fh.write(copy_bytes))
    except BaseException:
        _remove(npz_tmp)
        raise
    try:
        _replace(npz_tmp, npz)             # the commit: the name now holds the new checkpoint
    except BaseException:
        _remove(npz_tmp)
        _remove(js_tmp)
        raise
    try:
        _replace(js_tmp, js)
    except BaseException:                  # the readable copy would describe the old one
        _remove(js_tmp)
        _remove(js)
        raise
    _sync_dir(npz.parent)
    return npz, js


def load_checkpoint(path):
    """Read a checkpoint written by :func:`save_checkpoint`; returns ``(arrays, meta)``.

    ``meta["format_version"]`` is the version the file was written in.
    """
    npz, js = checkpoint_paths(path)
    if not npz.is_file():
        raise FileNotFoundError(f"no checkpoint at {npz} (the file is missing)")
    arrays = _read_npz(npz)
    if META_KEY not in arrays:
        return _load_format_1(npz, js, arrays)
    if HASH_KEY not in arrays:
        raise ValueError(f"{npz}: entry {HASH_KEY} is missing; not an nplearn checkpoint")
    meta_bytes, digest = arrays.pop(META_KEY), arrays.pop(HASH_KEY)
    if meta_bytes.dtype != np.uint8 or digest.dtype != np.uint8:
        raise ValueError(f"{npz}: entries {META_KEY}/{HASH_KEY} must be bytes (uint8)")
    meta_bytes = meta_bytes.tobytes()
    if _digest(meta_bytes, arrays) != digest.tobytes().decode("ascii", "replace"):
        raise ValueError(f"{npz}: sha256 does not match the stored arrays and metadata; the "
                         "file is corrupt or was edited")
    try:
        meta = json.loads(meta_bytes)
    except ValueError as err:
        raise ValueError(f"{npz}: metadata is not valid JSON ({err})") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{npz}: metadata must be a JSON object, got {type(meta).__name__}")
    if js.is_file():
        _check_copy(js, meta, digest.tobytes().decode("ascii", "replace"))
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        raise ValueError(f"{npz}: checkpoint field format_version is {version!r}; this "
                         f"nplearn reads formats 1 and {FORMAT_VERSION}"
                         + ("; a newer nplearn wrote it: upgrade nplearn" if newer else ""))
    return arrays, meta


def _check_copy(js, meta, digest):
    """The readable ``.json`` must still say what the ``.npz`` holds."""
    try:
        copy = json.loads(js.read_text())
    except (ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"{js}, the readable copy of the checkpoint's metadata, is not valid "
                         f"JSON ({err}); it was edited or damaged: delete it (loading reads "
                         "only the .npz) or save again") from None
    if not isinstance(copy, dict) or copy.get("sha256") != digest:
        raise ValueError(f"{js} belongs to another checkpoint than {js.with_suffix('.npz')} "
                         "(field sha256 differs): delete it or save again")
    copy = {k: v for k, v in copy.items() if k not in ("sha256", "note")}
    where = _first_difference(json.loads(json.dumps(meta, default=_jsonable)), copy)
    if where is not None:
        raise ValueError(f"{js}: field {where} differs from the checkpoint's own metadata in "
                         f"{js.with_suffix('.npz').name}: the readable copy was edited. Edits "
                         "there have no effect; delete the .json (loading reads only the "
                         ".npz) or save again")


def _first_difference(a, b, path=""):
    """Dotted path of the first value that differs between two JSON trees, or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}{k}"
            d = _first_difference(a[k], b[k], f"{path}{k}.")
            if d is not None:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            d = _first_difference(x, y, f"{path[:-1] if path else ''}[{i}].")
            if d is not None:
                return d
        return None
    same = a == b or (isinstance(a, float) and isinstance(b, float) and a != a and b != b)
    return None if same else path.rstrip(".") or "(root)"


def _load_format_1(npz, js, arrays):
    """A format-1 checkpoint: its ``.json`` holds the metadata and the npz's sha256."""
    if not js.is_file():
        raise ValueError(f"{npz} has no {META_KEY} entry and {js} is missing: not an "
                         "nplearn checkpoint")
    try:
        meta = json.loads(js.read_text())
    except (ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"{js} is not valid JSON ({err}); it is corrupt") from None
    if not isinstance(meta, dict) or meta.get("format_version") != 1:
        version = meta.get("format_version") if isinstance(meta, dict) else None
        raise ValueError(f"{js}: format_version {version!r} is not one nplearn reads "
                         f"(1 or {FORMAT_VERSION}); not an nplearn checkpoint of this version")
    if meta.get("npz_sha256") != _sha256(npz):
        raise ValueError(f"{npz} does not match {js} (npz_sha256 differs): the pair is corrupt "
                         "or from two different saves")
    meta.pop("npz_sha256")
    return arrays, meta


def _read_npz(npz):
    with open(npz, "rb") as fh:
        if fh.read(4) != b"PK\x03\x04":
            raise ValueError(f"{npz} is not an .npz archive (not a zip file): the file is "
                             "corrupt or another kind of file")
    try:
        with np.load(npz, allow_pickle=False) as f:
            if not isinstance(f, np.lib.npyio.NpzFile):
                raise ValueError("it holds a single array, not an .npz archive")
            return {k: f[k] for k in f.files}
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise ValueError(f"{npz} holds pickled Python objects, which nplearn checkpoints "
                             "never contain; refusing to load it (a foreign or tampered "
                             "file)") from None
        raise ValueError(f"{npz} is not a readable checkpoint ({err})") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as err:
        raise ValueError(f"{npz} is not a readable checkpoint: the file is corrupt or "
                         f"truncated ({type(err).__name__}: {err})") from None


def _storable_arrays(arrays):
    out = {}
    for k, v in arrays.items():
        if k in (META_KEY, HASH_KEY):
            raise ValueError(f"array name {k!r} is reserved for the checkpoint's metadata")
        v = np.asarray(v)
        if v.dtype.kind in "OV":
            raise ValueError(f"cannot save array {k!r} of dtype {v.dtype}: checkpoints hold "
                             "numbers and strings only (no pickled objects)")
        out[k] = v
    return out


def _digest(meta_bytes, arrays):
    """sha256 over the metadata and every array's name, dtype, shape and bytes."""
    h = hashlib.sha256(meta_bytes)
    for k in sorted(arrays):
        a = np.ascontiguousarray(arrays[k])
        h.update(f"\0{k}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(a.reshape(-1).view(np.uint8) if a.size else b"")
    return h.hexdigest()


# ---- file operations, one function each, so tests can fail each in turn ----------------
def _write_temp(path, write):
    """Write a temporary file beside ``path`` via ``write(fh)``, flushed to disk; its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())   # mkstemp makes 0600; give the usual permissions
    except BaseException:
        _remove(tmp)
        raise
    return tmp


def _replace(src, dst):
    os.replace(src, dst)


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _sync_dir(folder):
    """Flush the folder entry of a rename to disk (POSIX); a no-op where unsupported."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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
    raise TypeError(f"a {type(o).__name__} cannot be stored in a checkpoint's JSON")
