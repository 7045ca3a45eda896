"""data_scripts/download.py end to end on tiny files in the real formats.

The files are written here (IDX .gz, CIFAR pickles in a .tar.gz, SVHN .mat) and served
from a local HTTP server on 127.0.0.1; the script's MANIFEST is pointed at them with
their true sizes and sha256, then the real download -> verify -> convert path runs and
``nplearn.data.load_dataset`` reads the result.
"""
import gzip
import hashlib
import importlib.util
import io
import pickle
import struct
import subprocess
import sys
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.io

from nplearn.data import load_dataset

SCRIPT = Path(__file__).resolve().parents[1] / "data_scripts" / "download.py"


def load_script():
    spec = importlib.util.spec_from_file_location("nplearn_download_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def script():
    return load_script()


@pytest.fixture
def server():
    """HTTP server on an ephemeral port; ``routes[path] = (body, announced_length)``."""
    routes, hits = {}, []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            if self.path not in routes:
                self.send_error(404)
                return
            body, length = routes[self.path]
            self.send_response(200)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{httpd.server_address[1]}",
                          routes=routes, hits=hits)
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def sha(data):
    return hashlib.sha256(data).hexdigest()


def publish(server, script, monkeypatch, name, files, mirror="/m1/"):
    """Serve ``files`` {file: bytes} under ``mirror`` and point MANIFEST[name] at them."""
    for file, body in files.items():
        server.routes[mirror + file] = (body, len(body))
    entry = dict(script.MANIFEST[name], mirrors=[server.url + mirror],
                 files={file: (len(body), sha(body)) for file, body in files.items()})
    if entry.get("content"):  # Fashion-MNIST: the decompressed files are checked too
        entry["content"] = {file.removesuffix(".gz"): (len(gzip.decompress(body)),
                                                       sha(gzip.decompress(body)))
                            for file, body in files.items()}
    monkeypatch.setitem(script.MANIFEST, name, entry)


# ---------------------------------------------------------------- tiny real-format files

def idx_bytes(array, magic):
    """A decompressed IDX file: big-endian magic and dims, then the uint8 data."""
    header = struct.pack(f">I{array.ndim}I", magic, *array.shape)
    return header + array.astype(np.uint8).tobytes()


def idx(array, magic):
    return gzip.compress(idx_bytes(array, magic))


def mnist_files(rng, n_train=6, n_test=4):
    x = {s: rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
         for s, n in (("train", n_train), ("t10k", n_test))}
    y = {s: rng.integers(0, 10, len(x[s])) for s in x}
    files = {}
    for s in x:
        files[f"{s}-images-idx3-ubyte.gz"] = idx(x[s], 0x803)
        files[f"{s}-labels-idx1-ubyte.gz"] = idx(y[s], 0x801)
    return files, x, y


def tar_gz(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, obj in members.items():
            data = pickle.dumps(obj, protocol=2)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def cifar10_tar(rng):
    batches = {f"data_batch_{i}": 2 for i in range(1, 6)} | {"test_batch": 3}
    members, data = {}, {}
    for batch, n in batches.items():
        data[batch] = (rng.integers(0, 256, (n, 3072), dtype=np.uint8), list(range(n)))
        members[f"cifar-10-batches-py/{batch}"] = {
            "batch_label": batch, "data": data[batch][0], "labels": data[batch][1]}
    members["cifar-10-batches-py/batches.meta"] = {
        "label_names": ["airplane", "automobile", "bird", "cat", "deer",
                        "dog", "frog", "horse", "ship", "truck"], "num_vis": 3072}
    return tar_gz(members), data


def cifar100_tar(rng):
    members, data = {}, {}
    for split, n in (("train", 5), ("test", 3)):
        data[split] = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        members[f"cifar-100-python/{split}"] = {
            "data": data[split], "fine_labels": [99 - i for i in range(n)],
            "coarse_labels": [19 - i for i in range(n)]}
    members["cifar-100-python/meta"] = {
        "fine_label_names": [f"fine{i}" for i in range(100)],
        "coarse_label_names": [f"coarse{i}" for i in range(20)]}
    return tar_gz(members), data


def svhn_mat(rng, n):
    x = rng.integers(0, 256, (32, 32, 3, n), dtype=np.uint8)
    y = (np.arange(n) % 10 + 1).reshape(n, 1).astype(np.uint8)  # 1..10, 10 = digit 0
    buffer = io.BytesIO()
    scipy.io.savemat(buffer, {"X": x, "y": y})
    return buffer.getvalue(), x, y


# ---------------------------------------------------------------- end to end

@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_mnist_formats_end_to_end(script, server, monkeypatch, tmp_path, capsys, name):
    files, x, y = mnist_files(np.random.default_rng(0))
    publish(server, script, monkeypatch, name, files)
    assert script.main([name, "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert script.MANIFEST[name]["licence"] in out
    assert sorted(p.name for p in (tmp_path / "raw" / name).iterdir()) == sorted(files)

    data = load_dataset(name, data_dir=tmp_path, validation_size=0, flatten=False)
    assert data.x_train.shape == (6, 1, 28, 28) and data.x_test.shape == (4, 1, 28, 28)
    np.testing.assert_array_equal(np.rint(data.x_train[:, 0] * 255), x["train"])
    np.testing.assert_array_equal(np.rint(data.x_test[:, 0] * 255), x["t10k"])
    np.testing.assert_array_equal(data.y_test, y["t10k"])
    assert data.y_train.dtype == np.int64
    assert data.label_names == script.idx.LABEL_NAMES[name]


def test_cifar10_end_to_end(script, server, monkeypatch, tmp_path):
    tar, data = cifar10_tar(np.random.default_rng(1))
    publish(server, script, monkeypatch, "cifar10", {"cifar-10-python.tar.gz": tar})
    assert script.main(["cifar10", "--data-dir", str(tmp_path)]) == 0

    ds = load_dataset("cifar10", data_dir=tmp_path, validation_size=0, flatten=False)
    assert ds.x_train.shape == (10, 3, 32, 32) and ds.image_shape == (3, 32, 32)
    train = np.concatenate([data[f"data_batch_{i}"][0] for i in range(1, 6)])
    # each row is 1024 R, 1024 G, 1024 B values of a row-major 32x32 plane
    np.testing.assert_array_equal(np.rint(ds.x_train * 255), train.reshape(-1, 3, 32, 32))
    np.testing.assert_array_equal(ds.y_test, [0, 1, 2])
    assert ds.label_names[0] == "airplane" and ds.n_classes == 10


def test_cifar100_end_to_end_keeps_coarse_labels(script, server, monkeypatch, tmp_path):
    tar, data = cifar100_tar(np.random.default_rng(2))
    publish(server, script, monkeypatch, "cifar100", {"cifar-100-python.tar.gz": tar})
    assert script.main(["cifar100", "--data-dir", str(tmp_path), "--delete-raw"]) == 0
    assert not (tmp_path / "raw" / "cifar100" / "cifar-100-python.tar.gz").exists()

    ds = load_dataset("cifar100", data_dir=tmp_path, validation_size=0)
    assert ds.n_classes == 100 and ds.n_features == 3072
    np.testing.assert_array_equal(np.rint(ds.x_test * 255), data["test"])
    np.testing.assert_array_equal(ds.y_train, [99, 98, 97, 96, 95])
    with np.load(tmp_path / "cifar100.npz") as npz:
        np.testing.assert_array_equal(npz["y_test_coarse"], [19, 18, 17])
        assert len(npz["coarse_label_names"]) == 20


def test_svhn_end_to_end_maps_label_10_to_0(script, server, monkeypatch, tmp_path):
    rng = np.random.default_rng(3)
    (train, x_train, y_train), (test, _, _) = svhn_mat(rng, 12), svhn_mat(rng, 4)
    publish(server, script, monkeypatch, "svhn",
            {"train_32x32.mat": train, "test_32x32.mat": test})
    assert script.main(["svhn", "--data-dir", str(tmp_path)]) == 0

    ds = load_dataset("svhn", data_dir=tmp_path, validation_size=0, flatten=False)
    np.testing.assert_array_equal(ds.y_train, y_train.ravel() % 10)
    assert ds.y_train[9] == 0 and ds.y_train.max() == 9
    # NCHW: x[i, c, h, w] == X[h, w, c, i]
    np.testing.assert_array_equal(np.rint(ds.x_train * 255), x_train.transpose(3, 2, 0, 1))


def test_svhn_extra_is_opt_in_and_added_later(script, server, monkeypatch, tmp_path):
    rng = np.random.default_rng(4)
    mats = {f"{s}_32x32.mat": svhn_mat(rng, n)[0] for s, n in (("train", 3), ("test", 2))}
    extra = svhn_mat(rng, 5)[0]
    publish(server, script, monkeypatch, "svhn", mats)
    server.routes["/m1/extra_32x32.mat"] = (extra, len(extra))
    script.MANIFEST["svhn"]["extra"] = {"extra_32x32.mat": (len(extra), sha(extra))}
    assert script.main(["svhn", "--data-dir", str(tmp_path)]) == 0
    assert "/m1/extra_32x32.mat" not in server.hits
    assert script.main(["svhn", "--data-dir", str(tmp_path), "--svhn-extra"]) == 0
    assert server.hits.count("/m1/extra_32x32.mat") == 1 and len(server.hits) == 3
    with np.load(tmp_path / "svhn.npz") as npz:
        assert npz["x_extra"].shape == (5, 3, 32, 32) and npz["y_extra"].max() <= 9


def test_second_run_downloads_nothing(script, server, monkeypatch, tmp_path, capsys):
    files, _, _ = mnist_files(np.random.default_rng(4))
    publish(server, script, monkeypatch, "mnist", files)
    assert script.main(["mnist", "--data-dir", str(tmp_path)]) == 0
    assert len(server.hits) == 4
    capsys.readouterr()
    assert script.main(["mnist", "--data-dir", str(tmp_path)]) == 0
    assert len(server.hits) == 4
    assert "already converted" in capsys.readouterr().out

    # without the npz, the verified raw files are reused: still no download
    (tmp_path / "mnist.npz").unlink()
    assert script.main(["mnist", "--data-dir", str(tmp_path)]) == 0
    assert len(server.hits) == 4
    assert load_dataset("mnist", data_dir=tmp_path, validation_size=0).x_train.shape == (6, 784)


def test_corrupt_raw_file_and_npz_are_redone(script, server, monkeypatch, tmp_path, capsys):
    files, _, _ = mnist_files(np.random.default_rng(5))
    publish(server, script, monkeypatch, "mnist", files)
    assert script.main(["mnist", "--data-dir", str(tmp_path)]) == 0
    raw = tmp_path / "raw" / "mnist" / "train-labels-idx1-ubyte.gz"
    raw.write_bytes(b"\0" * raw.stat().st_size)  # right size, wrong content
    (tmp_path / "mnist.npz").write_bytes(b"not a zip")
    capsys.readouterr()
    assert script.main(["mnist", "--data-dir", str(tmp_path)]) == 0
    assert server.hits[4:] == ["/m1/train-labels-idx1-ubyte.gz"]
    assert "is corrupt" in capsys.readouterr().out
    assert raw.read_bytes() == files["train-labels-idx1-ubyte.gz"]
    assert load_dataset("mnist", data_dir=tmp_path, validation_size=0).n_classes == 10


# ---------------------------------------------------------------- fetch: mirrors and checks

BODY = bytes(range(256)) * 40


def test_first_mirror_404_falls_back_to_second(script, server, tmp_path):
    server.routes["/good/f.bin"] = (BODY, len(BODY))
    urls = [server.url + "/missing/f.bin", server.url + "/good/f.bin"]
    path = script.fetch(urls, tmp_path / "f.bin", len(BODY), sha(BODY), log=lambda *a: None)
    assert path.read_bytes() == BODY
    assert server.hits == ["/missing/f.bin", "/good/f.bin"]


def test_checksum_mismatch_is_rejected_and_part_deleted(script, server, tmp_path):
    server.routes["/a/f.bin"] = (BODY, len(BODY))
    server.routes["/b/f.bin"] = (BODY, len(BODY))
    urls = [server.url + "/a/f.bin", server.url + "/b/f.bin"]
    with pytest.raises(script.DownloadError) as err:
        script.fetch(urls, tmp_path / "f.bin", len(BODY), sha(b"other"), log=lambda *a: None)
    message = str(err.value)
    assert urls[0] in message and urls[1] in message and "sha256" in message
    assert list(tmp_path.iterdir()) == []  # neither f.bin nor f.bin.part


@pytest.mark.parametrize("announced", ["short", "full"])
def test_truncated_download_is_rejected(script, server, tmp_path, announced):
    body = BODY[:-100]
    server.routes["/f.bin"] = (body, len(body) if announced == "short" else len(BODY))
    with pytest.raises(script.DownloadError, match="expected"):
        script.fetch([server.url + "/f.bin"], tmp_path / "f.bin", len(BODY), sha(BODY),
                     log=lambda *a: None)
    assert list(tmp_path.iterdir()) == []


def test_all_mirrors_failing_makes_main_fail(script, server, monkeypatch, tmp_path, capsys):
    entry = dict(script.MANIFEST["mnist"], mirrors=[server.url + "/x/", server.url + "/y/"])
    monkeypatch.setitem(script.MANIFEST, "mnist", entry)
    assert script.main(["mnist", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "/x/train-images-idx3-ubyte.gz" in err and "/y/train-images-idx3-ubyte.gz" in err
    assert "404" in err and not (tmp_path / "mnist.npz").exists()


# ---------------------------------------------------------------- formats

def test_idx_bad_magic_and_truncation(script):
    data = idx_bytes(np.zeros((2, 28, 28), np.uint8), 0x803)
    with pytest.raises(ValueError, match="magic"):
        script.idx.parse_idx(data, 0x801)
    with pytest.raises(ValueError, match="truncated"):
        script.idx.parse_idx(data[:-1], 0x803, "short")
    assert script.idx.parse_idx(data, 0x803).shape == (2, 28, 28)


def test_cifar_refuses_wrong_sha_and_foreign_pickles(script, tmp_path):
    path = tmp_path / "c.tar.gz"
    path.write_bytes(cifar10_tar(np.random.default_rng(6))[0])
    with pytest.raises(ValueError, match="sha256"):
        script.convert_cifar(path, sha(b"x"), "cifar10")
    import collections  # a harmless class stands in for a malicious global
    path.write_bytes(tar_gz({"cifar-100-python/meta": collections.OrderedDict()}))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        script.convert_cifar(path, script.sha256_file(path), "cifar100")


# A Python-2 cPickle (protocol 2) of {"data": uint8 (2, 3) array, "labels": [1, 2]}, written
# opcode by opcode as in the real CIFAR batches: numpy.core paths, str (not bytes) payload.
PY2_PICKLE = (
    b"\x80\x02}q\x00(U\x04dataq\x01cnumpy.core.multiarray\n_reconstruct\nq\x02"
    b"cnumpy\nndarray\nq\x03K\x00\x85U\x01b\x87R(K\x01K\x02K\x03\x86cnumpy\ndtype\n"
    b"U\x02u1K\x00K\x01\x87R(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    b"\x89U\x06\x00\x01\xc8\xff\x80\x07tbU\x06labels]q\x04(K\x01K\x02eu.")


def test_python2_pickle_loads_without_warnings(script):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batch = script.load_pickle(PY2_PICKLE)
    assert batch["data"].dtype == np.uint8 and batch["labels"] == [1, 2]
    np.testing.assert_array_equal(batch["data"], [[0, 1, 200], [255, 128, 7]])


def test_help_and_standalone_import():
    code = (f"import importlib.util, sys; s = importlib.util.spec_from_file_location('d', "
            f"{str(SCRIPT)!r}); m = importlib.util.module_from_spec(s); "
            "s.loader.exec_module(m); assert 'nplearn' not in sys.modules; m.main(['--help'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=SCRIPT.parent).stdout
    assert "--delete-raw" in out and "--svhn-extra" in out and "non-commercial" in out


# ---------------------------------------------------------------- --from DIR (no download)

STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def no_network(url):
    raise AssertionError(f"--from must not download, asked for {url}")


def idx_contents(rng, n_train=12, n_test=5):
    """Decompressed IDX files {stem: bytes} of a tiny MNIST-shaped dataset, and its arrays."""
    x = {s: rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
         for s, n in (("train", n_train), ("t10k", n_test))}
    y = {s: np.arange(len(x[s])) % 10 for s in x}
    contents = {}
    for s in x:
        contents[f"{s}-images-idx3-ubyte"] = idx_bytes(x[s], 0x803)
        contents[f"{s}-labels-idx1-ubyte"] = idx_bytes(y[s], 0x801)
    return contents, x, y


def write_source(folder, contents, form):
    """Write the files decompressed ("plain") or gzipped as Zalando's ("gz": the file name
    in the header) or as Debian's ("debian-gz": no name, another mtime; other bytes, same
    content)."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem, data in contents.items():
        if form == "plain":
            (folder / stem).write_bytes(data)
            continue
        name, mtime = (stem, 0) if form == "gz" else ("", 1591347949)
        with open(folder / f"{stem}.gz", "wb") as raw, \
                gzip.GzipFile(name, "wb", fileobj=raw, mtime=mtime) as f:
            f.write(data)
    return folder


def snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir())}


@pytest.fixture
def fashion(script, monkeypatch, tmp_path):
    """Tiny Fashion-MNIST-shaped contents whose sha256 the manifest records as the real
    ones; the download hashes stay the real (non-matching) ones, as for Debian's files."""
    contents, x, y = idx_contents(np.random.default_rng(7))
    content = {stem: (len(data), sha(data)) for stem, data in contents.items()}
    entry = dict(script.MANIFEST["fashion_mnist"], content=content)
    monkeypatch.setitem(script.MANIFEST, "fashion_mnist", entry)
    return SimpleNamespace(contents=contents, x=x, y=y, out=tmp_path / "out",
                           src=tmp_path / "src")


@pytest.mark.parametrize("form", ["gz", "debian-gz", "plain"])
def test_from_dir_verifies_content_and_converts(script, fashion, capsys, form):
    src = write_source(fashion.src, fashion.contents, form)
    before = snapshot(src)
    argv = ["fashion_mnist", "--from", str(src), "--data-dir", str(fashion.out)]
    assert script.main(argv, opener=no_network) == 0
    out = capsys.readouterr().out
    assert out.count("sha256 of its decompressed content") == 4
    assert snapshot(src) == before  # read only: nothing moved, deleted or rewritten
    assert sorted(p.name for p in fashion.out.iterdir()) == ["fashion_mnist.npz"]  # no raw/

    data = load_dataset("fashion_mnist", data_dir=fashion.out, validation_size=0,
                        flatten=False)
    np.testing.assert_array_equal(np.rint(data.x_train[:, 0] * 255), fashion.x["train"])
    np.testing.assert_array_equal(data.y_test, fashion.y["t10k"])
    assert data.label_names[0] == "T-shirt/top"
    assert script.main(argv, opener=no_network) == 0  # idempotent
    assert "already converted" in capsys.readouterr().out


def assert_refused(script, argv, capsys, out, *needles):
    assert script.main(argv, opener=no_network) == 1
    err = capsys.readouterr().err
    for needle in needles:
        assert needle in err, err
    assert not out.exists() or list(out.iterdir()) == []  # nothing written, no .tmp
    return err


def test_from_dir_rejects_tampered_content(script, fashion, capsys):
    contents = dict(fashion.contents)
    data = bytearray(contents["t10k-images-idx3-ubyte"])
    data[500] ^= 1  # one pixel; header and size still valid
    contents["t10k-images-idx3-ubyte"] = bytes(data)
    src = write_source(fashion.src, contents, "gz")
    assert_refused(script, ["fashion_mnist", "--from", str(src), "--data-dir", str(fashion.out)],
                   capsys, fashion.out, str(src / "t10k-images-idx3-ubyte.gz"), "sha256",
                   "not the official one")


@pytest.mark.parametrize("form", ["gz", "plain"])
def test_from_dir_rejects_truncated_file(script, fashion, capsys, form):
    src = write_source(fashion.src, fashion.contents, form)
    name = "train-images-idx3-ubyte" + (".gz" if form == "gz" else "")
    path = src / name
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert_refused(script, ["fashion_mnist", "--from", str(src), "--data-dir", str(fashion.out)],
                   capsys, fashion.out, str(path), "truncated")


def test_from_dir_rejects_oversized_content(script, fashion, capsys):
    contents = dict(fashion.contents)
    contents["train-labels-idx1-ubyte"] += b"\0" * 10_000  # e.g. a gzip bomb, or padding
    src = write_source(fashion.src, contents, "gz")
    assert_refused(script, ["fashion_mnist", "--from", str(src), "--data-dir", str(fashion.out)],
                   capsys, fashion.out, "train-labels-idx1-ubyte.gz", "more than the expected")


def test_from_dir_missing_file(script, fashion, capsys):
    src = write_source(fashion.src, fashion.contents, "gz")
    (src / "t10k-labels-idx1-ubyte.gz").unlink()
    assert_refused(script, ["fashion_mnist", "--from", str(src), "--data-dir", str(fashion.out)],
                   capsys, fashion.out, "t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte found")


def test_from_dir_interrupted_write_leaves_nothing(script, fashion, monkeypatch):
    src = write_source(fashion.src, fashion.contents, "gz")

    def interrupted(f, **arrays):
        f.write(b"PK\x03\x04 half an archive")
        raise KeyboardInterrupt

    monkeypatch.setattr(script.idx.np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        script.main(["fashion_mnist", "--from", str(src), "--data-dir", str(fashion.out)],
                    opener=no_network)
    assert list(fashion.out.iterdir()) == []


@pytest.fixture
def mnist(script, monkeypatch, tmp_path):
    """Tiny MNIST .gz files recorded in the manifest by their download hash only, as the
    real MNIST is (no content hashes)."""
    contents, x, y = idx_contents(np.random.default_rng(8))
    files = {f"{stem}.gz": gzip.compress(data) for stem, data in contents.items()}
    entry = dict(script.MANIFEST["mnist"],
                 files={f: (len(body), sha(body)) for f, body in files.items()})
    monkeypatch.setitem(script.MANIFEST, "mnist", entry)
    src = tmp_path / "src"
    src.mkdir()
    for f, body in files.items():
        (src / f).write_bytes(body)
    return SimpleNamespace(contents=contents, x=x, src=src, out=tmp_path / "out")


def test_mnist_from_dir_checks_the_download_hash(script, mnist, capsys):
    assert script.MANIFEST["mnist"]["content"] == {}  # none is known: none is invented
    argv = ["mnist", "--from", str(mnist.src), "--data-dir", str(mnist.out)]
    assert script.main(argv, opener=no_network) == 0
    assert capsys.readouterr().out.count("sha256 of its .gz download") == 4
    data = load_dataset("mnist", data_dir=mnist.out, validation_size=0, flatten=False)
    np.testing.assert_array_equal(np.rint(data.x_test[:, 0] * 255), mnist.x["t10k"])


def test_mnist_from_dir_rejects_recompressed_or_decompressed(script, mnist, capsys):
    argv = ["mnist", "--from", str(mnist.src), "--data-dir", str(mnist.out)]
    path = mnist.src / "train-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(mnist.contents["train-labels-idx1-ubyte"], mtime=1))
    assert_refused(script, argv, capsys, mnist.out, str(path), "sha256")
    path.unlink()
    (mnist.src / "train-labels-idx1-ubyte").write_bytes(mnist.contents["train-labels-idx1-ubyte"])
    assert_refused(script, argv, capsys, mnist.out, str(mnist.src / "train-labels-idx1-ubyte"),
                   "no known sha256", "as downloaded")


@pytest.mark.parametrize("argv, match", [
    (["cifar10", "--from", "d"], "mnist or fashion_mnist"),
    (["mnist", "fashion_mnist", "--from", "d"], "one dataset"),
    (["all", "--from", "d"], "one dataset"),
    (["mnist", "--from", "d", "--delete-raw"], "never deletes"),
])
def test_from_dir_argument_errors(script, capsys, argv, match):
    with pytest.raises(SystemExit) as exit_:
        script.main(argv, opener=no_network)
    assert exit_.value.code == 2 and match in capsys.readouterr().err


# ---------------------------------------------------------------- the manifest's hashes

FASHION_CONTENT_SHA256 = {  # of the decompressed official files (test_real_data.py)
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}


def test_manifest_records_download_and_content_hashes(script):
    fashion = script.MANIFEST["fashion_mnist"]
    assert {k: v[1] for k, v in fashion["content"].items()} == FASHION_CONTENT_SHA256
    sizes = {k: v[0] for k, v in fashion["content"].items()}
    assert sizes == {"train-images-idx3-ubyte": 16 + 60000 * 784, "train-labels-idx1-ubyte":
                     8 + 60000, "t10k-images-idx3-ubyte": 16 + 10000 * 784,
                     "t10k-labels-idx1-ubyte": 8 + 10000}
    for name in ("mnist", "fashion_mnist"):
        assert sorted(script.MANIFEST[name]["files"]) == sorted(f"{s}.gz" for s in STEMS)


def test_docs_list_every_idx_hash(script):
    text = (SCRIPT.parents[1] / "docs" / "data.md").read_text()
    for name in ("mnist", "fashion_mnist"):
        entry = script.MANIFEST[name]
        for size, digest in [*entry["files"].values(), *entry["content"].values()]:
            assert digest in text and f"{size:,}" in text
