"""A user's own data at every entry point: load_dataset(path), from_arrays, compare(X, y),
the command line (train, compare), sweep configs; the checks of a file, and the record of
which data a result was made from. Every file lives in tmp_path; nothing touches ~/.cache."""
import csv
import hashlib
import json
import pickle

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_wine

from nplearn import load_dataset
from nplearn.cli import main
from nplearn.data import from_arrays
from nplearn.experiments import compare
from nplearn.experiments.sweep import expand, run_one, sweep

FAST = ["--epochs", "2", "--hidden", "8"]


def rows(x):
    return sorted(r.tobytes() for r in np.ascontiguousarray(x))


@pytest.fixture
def wine(tmp_path):
    """wine.npz as the data guide makes it: 178 samples, 13 features scaled into (0, 1],
    3 classes with names, no test split."""
    bunch = load_wine()
    x = bunch.data / bunch.data.max(axis=0)
    path = tmp_path / "wine.npz"
    np.savez(path, x_train=x, y_train=bunch.target, label_names=np.array(bunch.target_names))
    return path, x, bunch.target


@pytest.fixture
def cancer(tmp_path):
    """breast_cancer.npz with a test split of its own (the last 100 samples), float32."""
    x, y = load_breast_cancer(return_X_y=True)
    x = ((x - x.mean(0)) / x.std(0)).astype(np.float32)
    path = tmp_path / "breast_cancer.npz"
    np.savez(path, x_train=x[:-100], y_train=y[:-100], x_test=x[-100:], y_test=y[-100:])
    return path, x, y


def save(path, **arrays):
    np.savez(path, **arrays)
    return path


# ---------------------------------------------------------------- load_dataset(path)

def test_a_file_without_test_split_gets_a_stratified_seeded_one(wine):
    path, x, y = wine
    d = load_dataset(path)                       # a Path; a str ending in .npz is the same
    assert (d.name, d.n_features, d.n_classes, d.image_shape) == ("wine", 13, 3, None)
    assert (len(d.y_train), len(d.y_val), len(d.y_test)) == (127, 15, 36)   # 20 %, then 10 %
    assert d.label_names == ("class_0", "class_1", "class_2")
    assert rows(np.concatenate([d.x_train, d.x_val, d.x_test])) == rows(x)   # used as stored
    assert np.bincount(d.y_test).tolist() == [12, 14, 10]                    # stratified
    again = load_dataset(str(path), random_state=5)
    np.testing.assert_array_equal(again.x_test, d.x_test)       # the test split never moves
    assert rows(again.x_val) != rows(d.x_val)
    assert d.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert d.source == str(path.resolve())
    assert "36 of the 178 samples held out (test_size 0.2), stratified, seed 0" in d.splits
    assert "sha256 " + d.sha256 in d.summary() and "13 features" in d.summary()
    info = d.info()
    assert info["x_range"] == [float(d.x_train.min()), float(d.x_train.max())]
    assert json.loads(json.dumps(info)) == info
    small = load_dataset(path, test_size=30, validation_size=0, dtype="float32")
    assert (len(small.y_test), len(small.y_val), small.x_train.dtype) == (30, 0, np.float32)


def test_a_test_split_of_its_own_is_used_as_given(cancer):
    path, x, y = cancer
    d = load_dataset(path, validation_size=0)
    np.testing.assert_array_equal(d.x_test, x[-100:].astype(np.float64))
    np.testing.assert_array_equal(d.y_test, y[-100:])
    assert d.label_names == ("0", "1") and "test: the given x_test, y_test" in d.splits
    with pytest.raises(ValueError, match="has x_test; drop test_size"):
        load_dataset(path, test_size=0.3)


def test_any_integer_labels_become_classes_named_by_their_values(tmp_path, rng):
    x = rng.normal(size=(60, 4))
    y = np.repeat([3, 7, 9], 20)
    d = load_dataset(save(tmp_path / "odd.npz", x_train=x, y_train=y), validation_size=0)
    assert d.label_names == ("3", "7", "9") and set(d.y_train) == {0, 1, 2}
    assert np.bincount(d.y_test).tolist() == [4, 4, 4]
    np.savez(tmp_path / "odd.npz", x_train=x, y_train=y, x_test=x[:2], y_test=[3, 5])
    with pytest.raises(ValueError, match="y_test holds label 5, which no training sample has"):
        load_dataset(tmp_path / "odd.npz")


def test_images_from_their_shape_or_a_stored_or_given_image_shape(tmp_path, rng):
    y = np.arange(40) % 2
    images = rng.random((40, 2, 3, 4))
    d = load_dataset(save(tmp_path / "img.npz", x_train=images, y_train=y), flatten=False)
    assert d.image_shape == (2, 3, 4) and d.x_train.shape[1:] == (2, 3, 4)
    d = load_dataset(save(tmp_path / "hw.npz", x_train=images[:, 0], y_train=y))
    assert d.image_shape == (1, 3, 4) and d.x_train.shape[1:] == (12,)
    flat = images.reshape(40, -1)
    d = load_dataset(save(tmp_path / "flat.npz", x_train=flat, y_train=y, image_shape=[2, 3, 4]))
    assert d.image_shape == (2, 3, 4)
    d = load_dataset(save(tmp_path / "plain.npz", x_train=flat, y_train=y), image_shape=(4, 3, 2))
    assert d.image_shape == (4, 3, 2)
    with pytest.raises(ValueError, match=r"image_shape \(5, 5\) was given, but the file stores"):
        load_dataset(tmp_path / "flat.npz", image_shape=(5, 5))
    with pytest.raises(ValueError, match="has 30 pixels, x_train 24 features"):
        load_dataset(tmp_path / "plain.npz", image_shape=(1, 5, 6))
    with pytest.raises(ValueError, match="only for a file of your own"):
        load_dataset("digits", image_shape=(1, 8, 8))


def good(n=30, rng=None):
    rng = rng or np.random.default_rng(0)
    return {"x_train": rng.random((n, 5)), "y_train": np.arange(n) % 3}


@pytest.mark.parametrize("change, words", [
    ({"x_train": None}, "missing key 'x_train'"),
    ({"y_train": None}, "missing key 'y_train'"),
    ({"X_train": np.zeros((3, 5))}, "unknown key(s) ['X_train'] (did you mean 'x_train' for "
                                    "'X_train'?)"),
    ({"x_test": np.zeros((3, 5))}, "has x_test but no y_test: give both, or neither"),
    ({"y_train": np.arange(29) % 3}, "x_train has 30 samples but y_train has 29 labels"),
    ({"x_train": np.where(np.eye(30, 5) > 0, np.nan, 0.5)},
     "x_train holds 5 NaN and 0 infinite values (the first at sample 0, feature 0)"),
    ({"x_train": np.pad(np.full((1, 1), np.inf), ((2, 27), (3, 1)), constant_values=0.5)},
     "x_train holds 0 NaN and 1 infinite values (the first at sample 2, feature 3)"),
    ({"x_train": np.zeros(30)}, "x_train has shape (30,); expected one row per sample"),
    ({"x_train": np.zeros((30, 1, 1, 1, 2))}, "x_train has shape (30, 1, 1, 1, 2)"),
    ({"x_train": np.zeros((30, 0))}, "0 features per sample"),
    ({"x_train": np.zeros((0, 5)), "y_train": np.zeros(0, int)}, "x_train holds 0 samples"),
    ({"x_train": np.full((30, 5), "a")}, "x_train has dtype <U1; inputs must be numbers"),
    ({"x_train": np.zeros((30, 5), complex)}, "inputs must be numbers"),
    ({"y_train": np.arange(30) % 3 * 1.0}, "labels must be integers: they are whole numbers, "
                                           "so save y.astype(int)"),
    ({"y_train": np.arange(30) % 3 + 0.5}, "labels must be integers, and these are not"),
    ({"y_train": np.array(list("abc") * 10)}, "y_train holds strings; labels must be integers"),
    ({"y_train": np.eye(3)[np.arange(30) % 3]}, "for one-hot rows: y.argmax(axis=1)"),
    ({"y_train": np.zeros(30, int)}, "y_train holds a single class ('0')"),
    ({"label_names": np.array(["a", "b"])}, "y_train holds label 2, outside 0..1"),
    ({"label_names": np.array(["a", "b", "c", "d"])}, "no sample of class 3 ('d')"),
    ({"label_names": np.array(["a", "a", "b"])}, "repeats a name"),
    ({"label_names": np.array([1, 2, 3])}, "expected a 1-d str array"),
    ({"x_test": np.zeros((4, 6)), "y_test": np.zeros(4, int)},
     "x_test has samples of shape (6,), x_train of shape (5,)"),
    ({"image_shape": np.array([2, 0, 3])}, "positive integers"),
])
def test_a_bad_file_is_refused_saying_what_is_wrong(tmp_path, change, words):
    arrays = {**good(), **change}
    path = save(tmp_path / "mine.npz", **{k: v for k, v in arrays.items() if v is not None})
    with pytest.raises(ValueError) as err:
        load_dataset(path)
    assert str(err.value).startswith(f"{path}: ") and words in str(err.value)


@pytest.mark.parametrize("content, words", [
    ("object array", "pickled Python objects"),
    ("pickle file", "pickled Python objects"),
    ("npy file", "a single array (.npy)"),
    ("truncated zip", "not a readable .npz (zip) archive"),
])
def test_pickles_and_non_archives_are_refused_unread(tmp_path, content, words):
    path = tmp_path / "mine.npz"
    if content == "object array":
        np.savez(path, **good(), label_names=np.array(["a", "b", "c"], object))
    elif content == "pickle file":
        path.write_bytes(pickle.dumps(good()))
    elif content == "npy file":
        with open(path, "wb") as f:
            np.save(f, np.zeros(3))
    else:
        path.write_bytes(b"PK\x03\x04 cut short")
    with pytest.raises(ValueError) as err:
        load_dataset(path)
    assert str(path) in str(err.value) and words in str(err.value)
    assert "allow_pickle" not in str(err.value)


def test_missing_file_unknown_name_and_small_test_split(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz not found"):
        load_dataset(tmp_path / "nope.npz")
    with pytest.raises(ValueError, match="or the path of an .npz file of your own"):
        load_dataset("wine")
    path = save(tmp_path / "tiny.npz", x_train=np.zeros((4, 2)), y_train=[0, 0, 1, 1])
    with pytest.raises(ValueError, match="Store a test split of your own"):
        load_dataset(path, test_size=1)
    with pytest.raises(ValueError, match="test_size must be a fraction in"):
        load_dataset(path, test_size=1.5)


def test_tabular_data_under_a_known_name_points_to_the_path(tmp_path, wine):
    path, x, y = wine
    np.savez(tmp_path / "mnist.npz", x_train=x, y_train=y, x_test=x, y_test=y,
             label_names=np.array(["a", "b", "c"]))
    with pytest.raises(ValueError) as err:
        load_dataset("mnist", data_dir=tmp_path)
    assert "expected uint8" in str(err.value)
    assert "give its path instead of a dataset name" in str(err.value)


def test_from_arrays_checks_as_a_file_and_hashes_the_arrays(wine):
    _, x, y = wine
    d = from_arrays(x, y, name="wine")
    assert (len(d.y_train), len(d.y_val), len(d.y_test)) == (127, 15, 36)
    assert np.array_equal(d.x_test, load_dataset(wine[0]).x_test)    # the same split as a file
    assert d.source == "arrays" and d.sha256 == from_arrays(x.copy(), y).sha256
    assert from_arrays(x, y[::-1].copy()).sha256 != d.sha256
    with pytest.raises(ValueError, match=r"from_arrays\('wine'\): y_train has dtype float64"):
        from_arrays(x, y + 0.5, name="wine")


# ---------------------------------------------------------------- compare

def test_compare_on_arrays_a_dataset_and_a_file_records_the_data(tmp_path, wine):
    path, x, y = wine
    kw = dict(rules=["dfa"], seeds=(0,), epochs=2, hidden_sizes=(8,), embed="none",
              record=False, progress=False)
    on_arrays = compare(x, y, **kw)
    d = on_arrays["dataset"]
    assert (d["name"], d["source"], d["n_test"], d["n_features"]) == ("arrays", "arrays X, y",
                                                                      36, 13)
    assert d["sha256"] == from_arrays(x, y).sha256
    on_file = compare(path, out_dir=tmp_path / "out", **kw)
    assert on_file["runs"][0]["test_error"] == on_arrays["runs"][0]["test_error"]
    saved = json.loads((tmp_path / "out" / "runs.json").read_text())["dataset"]
    assert saved["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert saved["source"] == str(path.resolve()) and saved["name"] == "wine"
    table = list(csv.DictReader((tmp_path / "out" / "results.csv").open()))
    assert (table[0]["dataset"], table[0]["dataset_sha256"], table[0]["dataset_n_test"]) == \
        ("wine", saved["sha256"], "36")
    page = (tmp_path / "out" / "report.html").read_text()
    assert saved["sha256"] in page and str(path.resolve()) in page
    own_test = from_arrays(x[:150], y[:150], x[150:], y[150:], name="split")
    result = compare(own_test, **{**kw, "dtype": "float32"})
    assert result["dataset"]["n_test"] == 28 and result["settings"]["dfa"]["dtype"] == "float32"


def test_compare_on_arrays_names_x_and_y_in_its_errors(wine):
    _, x, y = wine
    with pytest.raises(ValueError, match=r"compare\(X, y\): X has 178 samples but y has 177"):
        compare(x, y[:-1], rules=["dfa"], seeds=(0,), epochs=1)
    with pytest.raises(ValueError, match="X was given without its labels y"):
        compare(x, rules=["dfa"])
    with pytest.raises(ValueError, match="pass rules=.* by keyword"):
        compare("digits", ["bp"])
    with pytest.raises(ValueError, match="conv layers need images, and 'arrays' holds 13"):
        compare(x, y, rules=["bp"], seeds=(0,), epochs=1, conv=[(4, 3, 1)])


# ---------------------------------------------------------------- command line

def test_train_and_compare_on_a_file_on_the_command_line(tmp_path, wine, capsys, monkeypatch):
    path, _, _ = wine
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--dataset", "wine.npz", *FAST]) == 0
    out = capsys.readouterr().out
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert out.startswith("data: wine, 127 train / 15 val / 36 test, 13 features, 3 classes")
    assert f"from {path.resolve()}, sha256 {sha}" in out and "seed 0" in out
    assert (tmp_path / "runs" / "dfa-wine-seed0" / "model.npz").is_file()   # named by the stem
    assert main(["compare", "--dataset", str(path), "--rules", "bp", "dfa", "--seeds", "0",
                 *FAST, "--embed", "pca", "--out", "cmp"]) == 0
    out = capsys.readouterr().out
    head = out[:out.index("rule ")]
    assert "data: wine" in head and sha in head and "test: 36 of the 178 samples" in head
    assert {r["dataset_sha256"] for r in csv.DictReader(open("cmp/results.csv"))} == {sha}


def test_command_line_refusals_on_own_data(tmp_path, wine, capsys):
    path, _, _ = wine
    assert main(["train", "--dataset", "wine", "--out", str(tmp_path / "r")]) == 2
    assert "nor the path of an .npz file" in capsys.readouterr().err
    assert main(["train", "--dataset", str(tmp_path / "no.npz"), "--out", str(tmp_path / "r")]) == 1
    assert "no.npz not found" in capsys.readouterr().err
    bad = save(tmp_path / "bad.npz", x_train=np.zeros((3, 2)), y_train=[0.0, 1.0, 1.0])
    assert main(["compare", "--dataset", str(bad), "--out", str(tmp_path / "c")]) == 1
    err = capsys.readouterr().err
    assert "y_train has dtype float64; labels must be integers" in err and "Traceback" not in err
    assert main(["train", "--dataset", str(path), "--conv", "4,3,1", *FAST,
                 "--out", str(tmp_path / "r")]) == 1
    assert "pass --image-shape C H W" in capsys.readouterr().err


def test_image_shape_flag_gives_conv_layers_their_images(tmp_path, capsys):
    from sklearn.datasets import load_digits
    x, y = load_digits(return_X_y=True)
    path = save(tmp_path / "flat_digits.npz", x_train=x / 16, y_train=y)
    argv = ["--dataset", str(path), "--image-shape", "1", "8", "8", "--conv", "4,3,1",
            "--epochs", "1", "--hidden", "8"]
    assert main(["train", "--rule", "bp", *argv, "--out", str(tmp_path / "r")]) == 0
    assert main(["compare", "--rules", "bp", "--seeds", "0", "--embed", "none", "--no-record",
                 *argv, "--out", str(tmp_path / "c")]) == 0
    saved = json.loads((tmp_path / "c" / "runs.json").read_text())
    assert saved["dataset"]["image_shape"] == [1, 8, 8]
    assert saved["settings"]["bp"]["image_shape"] == [1, 8, 8]


# ---------------------------------------------------------------- sweeps

def test_a_sweep_on_a_file_hashes_it_and_refuses_a_changed_one(tmp_path, wine, monkeypatch,
                                                               capsys):
    path, x, y = wine
    monkeypatch.chdir(tmp_path)
    config = {"dataset": "wine.npz", "seeds": [0], "base": {"epochs": 2, "hidden_sizes": [8]},
              "grid": {"rule": ["bp", "dfa"]}, "out": "sw"}
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    result = sweep(config, n_jobs=1, progress=False)
    assert len(result["ran"]) == 2 and sha in result["data"]
    assert "data: wine, 127 train / 15 val / 36 test" in result["data"]
    saved = json.loads((tmp_path / "sw" / "config.json").read_text())
    assert saved["dataset_sha256"] == sha
    record = json.loads(next((tmp_path / "sw" / "runs").glob("bp-*.json")).read_text())
    assert record["dataset_sha256"] == sha and record["data"]["sha256"] == sha
    assert (tmp_path / "sw" / "results.md").read_text().startswith("data: wine")
    table = list(csv.DictReader(open("sw/results.csv")))
    assert {(r["dataset"], r["dataset_sha256"]) for r in table} == {("wine.npz", sha)}
    (tmp_path / "grid.json").write_text(json.dumps(config))
    assert main(["sweep", "grid.json", "--n-jobs", "1"]) == 0            # resumes: nothing to do
    out = capsys.readouterr().out
    assert "0 run now, 2 already finished\ndata: wine, 127 train" in out and sha in out
    # the file's sha256 is in every run id: other content, other runs
    ids = {r["run_id"] for r in expand(config)}
    np.savez(path, x_train=x * 0.5, y_train=y)
    assert not ids & {r["run_id"] for r in expand(config)}
    with pytest.raises(ValueError, match="differs from this config in dataset_sha256"):
        sweep(config, n_jobs=1, progress=False)
    with pytest.raises(ValueError, match="the config asks for \"dataset_sha256\""):
        sweep({**config, "dataset_sha256": sha}, n_jobs=1, progress=False)
    assert len(sweep(config, n_jobs=1, progress=False, replace_config=True)["ran"]) == 2


def test_a_worker_refuses_a_file_whose_sha256_is_not_the_sweeps(wine):
    path, _, _ = wine
    settings = expand({"dataset": str(path), "seeds": [0], "grid": {"rule": ["dfa"]},
                       "base": {"epochs": 1}})[0]["settings"]
    with pytest.raises(ValueError, match="the file changed, or this machine has another copy"):
        run_one(settings, 0, str(path), None, "0" * 64)


@pytest.mark.parametrize("change, words", [
    ({"dataset": "wine"}, "or the path of an .npz file of your own"),
    ({"dataset": "wine.npz", "dataset_sha256": "abc"}, "must be null, or the 64 lowercase hex"),
    ({"dataset_sha256": "0" * 64}, "only for a file of your own"),
])
def test_sweep_config_dataset_checks(change, words):
    with pytest.raises(ValueError, match=words):
        expand({"grid": {"rule": ["bp"]}, **change})



def test_generate_compares_with_the_class_means_of_a_file(tmp_path, wine, capsys):
    path, _, _ = wine
    run = tmp_path / "bfa"
    assert main(["train", "--rule", "bfa", "--dataset", str(path), *FAST, "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["generate", str(run), "--dataset", str(path)]) == 0
    out = capsys.readouterr().out
    assert "class_0" in out and "class_2" in out and (run / "generated.npz").is_file()
