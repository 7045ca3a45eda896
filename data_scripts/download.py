#!/usr/bin/env python
"""Download the full image datasets and convert each to one ``<name>.npz`` for nplearn.

For every dataset asked for, the script

1. downloads each raw file to ``<data-dir>/raw/<name>/<file>.part``, trying the mirrors in
   order; checks the byte size, then the sha256; renames the file into place. A file that
   fails a check is deleted and the next mirror is tried. Files already present are
   re-verified and skipped (a corrupt one is deleted and downloaded again);
2. converts the raw files to ``<data-dir>/<name>.npz`` with keys ``x_train, y_train,
   x_test, y_test`` (uint8 images, int64 labels) and ``label_names`` (str), written to a
   temporary file and renamed, so an interrupted run never leaves a half-written archive.
   A dataset whose ``.npz`` already exists and loads is skipped without any download.

Running the script twice downloads nothing the second time.

``--from DIR`` (mnist or fashion_mnist only) downloads nothing: it reads the four IDX
files from ``DIR``, each as ``<file>.gz`` or already decompressed ``<file>``, verifies each
by sha256 and converts them straight to the ``.npz`` (nothing is copied into the data dir,
and nothing is written unless all four pass). Fashion-MNIST is verified by the sha256 of
the decompressed content, so the Debian package ``dataset-fashion-mnist``
(``/usr/share/datasets/fashion-mnist``), whose ``.gz`` headers differ from Zalando's, passes;
MNIST, whose decompressed hashes we do not know, only as its original ``.gz`` downloads.

The IDX reader and its hashes live in ``nplearn/data/idx.py``, which this script loads by
path: it needs only the standard library, NumPy and SciPy (not an installed nplearn) and
downloads nothing at import. The default data dir is nplearn's: ``$NPLEARN_DATA``, else
``~/.cache/nplearn``.
"""
import argparse
import hashlib
import http.client
import importlib.util
import io
import os
import pickle
import sys
import tarfile
import urllib.request
from pathlib import Path

import numpy as np


def _load_idx_module():
    """``nplearn/data/idx.py``, the one home of the IDX reader, loaded by path: it needs
    only NumPy, and importing nplearn itself would pull in scikit-learn and Numba."""
    path = Path(__file__).resolve().parents[1] / "nplearn" / "data" / "idx.py"
    spec = importlib.util.spec_from_file_location("nplearn_data_idx", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


idx = _load_idx_module()
CHUNK = 1 << 20
IDX_NAMES = tuple(f"{stem}.gz" for stem in idx.STEMS)

# name -> licence, mirrors (base URLs, tried in order), files {file: (bytes, sha256)} of the
# downloads, and for MNIST / Fashion-MNIST content {file: (bytes, sha256)} of the
# decompressed IDX files where known (idx.CONTENT, shared with nplearn.load_dataset)
MANIFEST = {
    "mnist": {
        "licence": "MNIST: CC BY-SA 3.0 (Yann LeCun & Corinna Cortes)",
        "mirrors": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                    "https://storage.googleapis.com/cvdf-datasets/mnist/",
                    "http://yann.lecun.com/exdb/mnist/"],
        "files": dict(zip(IDX_NAMES, [
            (9912422, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
            (28881, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
            (1648877, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
            (4542, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6")])),
        "content": idx.CONTENT["mnist"],  # empty: not known, the .gz hashes are checked
    },
    "fashion_mnist": {
        "licence": "Fashion-MNIST: MIT licence (Zalando Research)",
        "mirrors": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
        "files": dict(zip(IDX_NAMES, [
            (26421880, "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
            (29515, "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
            (4422102, "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
            (5148, "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5")])),
        "content": idx.CONTENT["fashion_mnist"],
    },
    "cifar10": {
        "licence": "CIFAR-10: cite Krizhevsky (2009), Learning Multiple Layers of Features "
                   "from Tiny Images",
        "mirrors": ["https://www.cs.toronto.edu/~kriz/"],
        "files": {"cifar-10-python.tar.gz": (
            170498071, "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce")},
    },
    "cifar100": {
        "licence": "CIFAR-100: cite Krizhevsky (2009), Learning Multiple Layers of Features "
                   "from Tiny Images",
        "mirrors": ["https://www.cs.toronto.edu/~kriz/"],
        "files": {"cifar-100-python.tar.gz": (
            169001437, "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7")},
    },
    "svhn": {
        "licence": "SVHN: non-commercial use only (Netzer et al. 2011)",
        "mirrors": ["http://ufldl.stanford.edu/housenumbers/"],
        "files": {
            "train_32x32.mat": (
                182040794, "435e94d69a87fde4fd4d7f3dd208dfc32cb6ae8af2240d066de1df7508d083b8"),
            "test_32x32.mat": (
                64275384, "cdce80dfb2a2c4c6160906d0bd7c68ec5a99d7ca4831afa54f09182025b6a75b")},
        "extra": {"extra_32x32.mat": (  # 1.3 GB, only with --svhn-extra
            1329278602, "a133a4beb38a00fcdda90c9489e0c04f900b660ce8a316a5e854838379a71eb3")},
    },
}
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test", "label_names")


class DownloadError(RuntimeError):
    """No mirror delivered a file of the right size and sha256."""


# ---------------------------------------------------------------- download and verify

def _urlopen(url, timeout=60):
    """Open ``url``; tests replace this function to serve files locally."""
    request = urllib.request.Request(url, headers={"User-Agent": "nplearn-data-script"})
    return urllib.request.urlopen(request, timeout=timeout)


def _size(n_bytes):
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 1e5 else f"{n_bytes / 1e3:.1f} kB"


def sha256_file(path):
    """Hex sha256 digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_file(path, size, sha256):
    """Return None if ``path`` has ``size`` bytes and digest ``sha256``, else the reason."""
    actual = os.path.getsize(path)
    if actual != size:
        return f"{actual} bytes, expected {size}"
    digest = sha256_file(path)
    if digest != sha256:
        return f"sha256 {digest}, expected {sha256}"
    return None


def fetch(urls, dest, size, sha256, opener=None, log=print):
    """Make ``dest`` a verified copy of the file, downloading it only if needed.

    Parameters
    ----------
    urls : list of str
        Full URLs of the file, tried in order.
    dest : path-like
        Final location; the download goes to ``dest + ".part"`` first.
    size : int
        Expected size in bytes, checked first.
    sha256 : str
        Expected hex digest, checked second.
    opener : callable, optional
        ``opener(url)`` returning a file-like response; defaults to :func:`_urlopen`.
    log : callable, default print

    Returns
    -------
    pathlib.Path
        ``dest``.

    Raises
    ------
    DownloadError
        Every mirror failed; the message lists each URL and why.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        problem = check_file(dest, size, sha256)
        if problem is None:
            log(f"  skip {dest.name}: already downloaded and verified ({_size(size)})")
            return dest
        log(f"  {dest.name} is corrupt ({problem}); deleting it and downloading again")
        dest.unlink()
    part = dest.with_name(dest.name + ".part")
    failures = []
    for url in urls:
        log(f"  download {url} ({_size(size)})")
        try:
            _stream(opener or _urlopen, url, part, size)
            problem = check_file(part, size, sha256)
            if problem:
                raise ValueError(problem)
        except (OSError, ValueError, http.client.HTTPException) as err:
            failures.append(f"{url}: {err}")
            log(f"    failed: {err}")
            part.unlink(missing_ok=True)
            continue
        except BaseException:  # e.g. Ctrl-C: leave no .part behind
            part.unlink(missing_ok=True)
            raise
        os.replace(part, dest)
        return dest
    raise DownloadError(f"could not download {dest.name} from any mirror:\n  "
                        + "\n  ".join(failures))


def _stream(opener, url, part, size):
    """Copy ``url`` to ``part`` in chunks; stop early once it exceeds ``size`` bytes."""
    done = 0
    with opener(url) as response, open(part, "wb") as f:
        for chunk in iter(lambda: response.read(CHUNK), b""):
            done += len(chunk)
            if done > size:
                raise ValueError(f"more than the expected {size} bytes")
            f.write(chunk)
            if sys.stderr.isatty():
                print(f"\r    {_size(done)} / {_size(size)}", end="", file=sys.stderr)
    if sys.stderr.isatty():
        print(file=sys.stderr)


# ---------------------------------------------------------------- formats

def convert_idx(name, paths, entry):
    """MNIST or Fashion-MNIST: ``paths`` {stem: path} -> verified arrays for the .npz."""
    download = {file.removesuffix(".gz"): check for file, check in entry["files"].items()}
    return idx.convert(paths, idx.LABEL_NAMES[name], entry["content"], download)


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler that builds only dicts, lists, str, numbers and NumPy arrays."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"),
               ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def load_pickle(blob):
    """Unpickle a Python-2 CIFAR batch (``encoding="latin1"``), allowing no other classes."""
    return _ArrayUnpickler(io.BytesIO(blob), encoding="latin1").load()


def convert_cifar(path, sha256, kind):
    """CIFAR-10/100 python tarball -> arrays for the .npz (images (n, 3, 32, 32)).

    The pickles are read from the tarball in memory (nothing is extracted to disk),
    and only after the tarball's sha256 matched: unpickling can run code.
    CIFAR-100 keeps ``fine_labels`` as ``y_*`` and adds ``y_*_coarse``.
    """
    if sha256_file(path) != sha256:
        raise ValueError(f"{path}: sha256 mismatch; refusing to unpickle it")
    folder, train, test, meta = {
        "cifar10": ("cifar-10-batches-py", [f"data_batch_{i}" for i in range(1, 6)],
                    ["test_batch"], "batches.meta"),
        "cifar100": ("cifar-100-python", ["train"], ["test"], "meta")}[kind]
    wanted = {f"{folder}/{m}" for m in train + test + [meta]}
    blobs = {}
    with tarfile.open(path, "r|gz") as tar:  # one sequential pass
        for member in tar:
            if member.isfile() and member.name in wanted:
                blobs[member.name.split("/")[-1]] = load_pickle(tar.extractfile(member).read())
    missing = sorted(m.split("/")[-1] for m in wanted if m.split("/")[-1] not in blobs)
    if missing:
        raise ValueError(f"{path}: members {missing} not found in {folder}/")

    def stack(members, key):
        return np.concatenate([np.asarray(blobs[m][key]) for m in members])

    label_key = "labels" if kind == "cifar10" else "fine_labels"
    names_key = "label_names" if kind == "cifar10" else "fine_label_names"
    arrays = {"label_names": np.array(blobs[meta][names_key])}
    for split, members in (("train", train), ("test", test)):
        arrays[f"x_{split}"] = stack(members, "data").astype(np.uint8).reshape(-1, 3, 32, 32)
        arrays[f"y_{split}"] = stack(members, label_key).astype(np.int64)
        if kind == "cifar100":
            arrays[f"y_{split}_coarse"] = stack(members, "coarse_labels").astype(np.int64)
    if kind == "cifar100":
        arrays["coarse_label_names"] = np.array(blobs[meta]["coarse_label_names"])
    return arrays


def read_svhn(path):
    """One SVHN ``.mat`` file -> images (n, 3, 32, 32) uint8, labels (n,) int64 in 0..9."""
    from scipy.io import loadmat

    mat = loadmat(path)
    x = np.ascontiguousarray(mat["X"].transpose(3, 2, 0, 1), dtype=np.uint8)  # (32,32,3,n) -> NCHW
    y = mat["y"].ravel().astype(np.int64)
    if x.shape[1:] != (3, 32, 32) or len(x) != len(y) or y.min() < 1 or y.max() > 10:
        raise ValueError(f"{path}: X {mat['X'].shape} / y {mat['y'].shape} not SVHN-shaped")
    return x, y % 10  # label 10 means digit 0


def convert_svhn(paths):
    """SVHN ``.mat`` files -> arrays for the .npz; ``x_extra, y_extra`` if downloaded."""
    arrays = {"label_names": np.array(idx.DIGITS)}
    for split in ("train", "test", "extra"):
        if f"{split}_32x32.mat" in paths:
            arrays[f"x_{split}"], arrays[f"y_{split}"] = read_svhn(paths[f"{split}_32x32.mat"])
    return arrays


def convert(name, paths, files):
    """Dispatch to the converter of ``name``; ``paths`` maps file names to local paths."""
    if name in idx.LABEL_NAMES:
        stems = {file.removesuffix(".gz"): path for file, path in paths.items()}
        return convert_idx(name, stems, MANIFEST[name])
    if name in ("cifar10", "cifar100"):
        (file, (_, sha256)), = files.items()
        return convert_cifar(paths[file], sha256, name)
    return convert_svhn(paths)


# ---------------------------------------------------------------- npz and driver

write_npz = idx.write_npz  # atomic: a temporary file, then os.replace


def npz_ok(path, keys=NPZ_KEYS):
    """True if ``path`` loads without pickles and every array in ``keys`` reads back."""
    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as npz:
            for key in keys:
                npz[key]  # reading checks the zip CRC
        return True
    except Exception:  # missing, truncated, bad zip, bad CRC, missing key, ...
        return False


def prepare(name, data_dir, opener=None, svhn_extra=False, delete_raw=False, log=print,
            source=None):
    """Download (or read from ``source``), verify and convert one dataset; return the path
    of ``<name>.npz``."""
    entry, data_dir = MANIFEST[name], Path(data_dir)
    files = dict(entry["files"])
    if name == "svhn" and svhn_extra:
        files.update(entry["extra"])
    keys = NPZ_KEYS + (("x_extra", "y_extra") if "extra_32x32.mat" in files else ())
    npz = data_dir / f"{name}.npz"
    log(f"== {name} | licence: {entry['licence']}")
    if npz_ok(npz, keys):
        log(f"  skip {name}: {npz} already converted ({_size(npz.stat().st_size)})")
        return npz
    if source is not None:  # nothing is downloaded, copied or deleted
        paths = {stem: idx.locate(source, stem) for stem in idx.STEMS}
        arrays = convert_idx(name, paths, entry)
        how = "decompressed content" if entry["content"] else ".gz download"
        for path in paths.values():
            log(f"  verified {path} (sha256 of its {how})")
    else:
        raw_dir = data_dir / "raw" / name
        paths = {file: fetch([base + file for base in entry["mirrors"]], raw_dir / file,
                             size, sha256, opener=opener, log=log)
                 for file, (size, sha256) in files.items()}
        arrays = convert(name, paths, files)
    write_npz(npz, arrays)
    log(f"  wrote {npz} ({_size(npz.stat().st_size)}): train {arrays['x_train'].shape}, "
        f"test {arrays['x_test'].shape}, {len(arrays['label_names'])} classes")
    if delete_raw and source is None:
        for path in paths.values():
            path.unlink()
        log(f"  deleted raw files in {raw_dir}")
    return npz


def default_data_dir():
    """``$NPLEARN_DATA``, else ``~/.cache/nplearn`` (same rule as nplearn.data.data_home)."""
    env = os.environ.get("NPLEARN_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "nplearn"


def main(argv=None, opener=None):
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Download, verify (size, then sha256) and convert image datasets to "
                    "<data-dir>/<name>.npz\nfor nplearn.data.load_dataset. Raw files go to "
                    "<data-dir>/raw/<name>/. Anything already\npresent and verified is "
                    "skipped, so a second run downloads nothing.",
        epilog="licences (printed again for each dataset):\n  "
               + "\n  ".join(e["licence"] for e in MANIFEST.values())
               + "\n\nexamples:\n  python data_scripts/download.py mnist\n"
               "  python data_scripts/download.py all --data-dir ~/data/nplearn --delete-raw\n"
               "  python data_scripts/download.py fashion_mnist "
               "--from /usr/share/datasets/fashion-mnist",
    )
    parser.add_argument("names", nargs="+", metavar="NAME", choices=[*MANIFEST, "all"],
                        help=f"datasets to fetch: {', '.join(MANIFEST)}, or all")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where <name>.npz and raw/<name>/ go "
                             "(default: $NPLEARN_DATA, else ~/.cache/nplearn)")
    raw = parser.add_mutually_exclusive_group()
    raw.add_argument("--keep-raw", dest="delete_raw", action="store_false", default=False,
                     help="keep the downloaded raw files in <data-dir>/raw/ (the default)")
    raw.add_argument("--delete-raw", dest="delete_raw", action="store_true",
                     help="delete the raw files once the .npz is written")
    parser.add_argument("--svhn-extra", action="store_true",
                        help="also fetch SVHN's 1.3 GB extra_32x32.mat "
                             "(stored in svhn.npz as x_extra, y_extra)")
    parser.add_argument("--from", dest="source", type=Path, default=None, metavar="DIR",
                        help="download nothing: verify the IDX files of mnist or "
                             "fashion_mnist in DIR (<file>.gz or decompressed <file>) by "
                             "sha256, then convert them; see the last example (the "
                             "Debian package dataset-fashion-mnist)")
    args = parser.parse_args(argv)
    names = list(MANIFEST) if "all" in args.names else list(dict.fromkeys(args.names))
    if args.source is not None:
        if len(names) != 1 or names[0] not in idx.LABEL_NAMES:
            parser.error("--from reads the IDX files of one dataset: mnist or fashion_mnist")
        if args.delete_raw:
            parser.error("--delete-raw deletes downloaded files; --from downloads nothing "
                         "and never deletes the files in DIR")
        args.source = args.source.expanduser()
    data_dir = args.data_dir.expanduser() if args.data_dir else default_data_dir()
    print(f"data dir: {data_dir}")
    failed = []
    for name in names:
        try:
            prepare(name, data_dir, opener, args.svhn_extra, args.delete_raw,
                    source=args.source)
        except (DownloadError, ValueError, OSError) as err:
            print(f"  error: {name}: {err}", file=sys.stderr)
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"done: {', '.join(names)} in {data_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
