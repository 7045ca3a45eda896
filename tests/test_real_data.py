"""The real Fashion-MNIST (60,000 + 10,000 images) from the Debian package, end to end.

``apt-get install -y dataset-fashion-mnist`` puts the four official IDX files in
/usr/share/datasets/fashion-mnist; ``.ci/run`` installs it where apt-get works. Without
it these tests are skipped, saying why. Everything is converted into pytest's tmp dirs:
the user's data dir (``~/.cache/nplearn``, ``$NPLEARN_DATA``) is never read or written.
"""
import gzip
import hashlib
import importlib.util
import struct
from pathlib import Path

import numpy as np
import pytest

from nplearn import Classifier, load_dataset
from nplearn.data.files import SYSTEM_COPIES
from nplearn.data.idx import CONTENT

SCRIPT = Path(__file__).resolve().parents[1] / "data_scripts" / "download.py"
SYSTEM_DIR, PACKAGE = SYSTEM_COPIES["fashion_mnist"]

pytestmark = pytest.mark.skipif(
    not SYSTEM_DIR.is_dir(),
    reason=f"{SYSTEM_DIR} not found: the real-data tests need the Debian package "
           f"(apt-get install -y {PACKAGE})")


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("nplearn_download_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def converted(script, tmp_path_factory):
    """A data dir holding fashion_mnist.npz made by ``download.py --from`` (about 2 s)."""
    home = tmp_path_factory.mktemp("fashion")
    argv = ["fashion_mnist", "--from", str(SYSTEM_DIR), "--data-dir", str(home)]
    assert script.main(argv) == 0
    return home


# Zalando's gzip header mtimes: Debian's files replace them (and drop the file name)
ZALANDO_MTIME = {"train-images-idx3-ubyte": 1504176606, "train-labels-idx1-ubyte": 1504176606,
                 "t10k-images-idx3-ubyte": 1504176627, "t10k-labels-idx1-ubyte": 1504176627}


@pytest.mark.parametrize("stem", list(ZALANDO_MTIME))
def test_debian_files_are_zalandos_downloads_up_to_the_gzip_header(script, stem):
    deb = (SYSTEM_DIR / f"{stem}.gz").read_bytes()
    assert deb[:4] == b"\x1f\x8b\x08\x00"  # gzip, deflate, no flags: no file name
    # RFC 1952 header: ID1 ID2 CM FLG(FNAME = 0x08) MTIME(4, little-endian) XFL OS, name\0
    zalando = (deb[:3] + b"\x08" + struct.pack("<I", ZALANDO_MTIME[stem]) + deb[8:10]
               + stem.encode() + b"\0" + deb[10:])
    size, sha256 = script.MANIFEST["fashion_mnist"]["files"][f"{stem}.gz"]
    assert (len(zalando), hashlib.sha256(zalando).hexdigest()) == (size, sha256)
    content = gzip.decompress(deb)
    assert (len(content), hashlib.sha256(content).hexdigest()) == CONTENT["fashion_mnist"][stem]


def test_real_fashion_mnist_has_the_official_counts(converted):
    data = load_dataset("fashion_mnist", data_dir=converted, validation_size=0,
                        dtype="float32", flatten=False)
    assert data.x_train.shape == (60000, 1, 28, 28) and data.x_test.shape == (10000, 1, 28, 28)
    assert np.bincount(data.y_train).tolist() == [6000] * 10
    assert np.bincount(data.y_test).tolist() == [1000] * 10
    assert data.label_names == ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    assert 0.2 < data.x_train.mean() < 0.4  # clothes on black, not noise or zeros


def test_load_dataset_converts_the_system_copy_the_same_way(converted, tmp_path, capsys):
    load_dataset("fashion_mnist", data_dir=tmp_path, validation_size=0, dtype="float32")
    assert f"converting the copy of 'fashion_mnist' in {SYSTEM_DIR}" in capsys.readouterr().err
    with np.load(converted / "fashion_mnist.npz") as a, \
            np.load(tmp_path / "fashion_mnist.npz") as b:
        assert sorted(a.files) == sorted(b.files)
        for key in a.files:
            assert a[key].dtype == b[key].dtype
            np.testing.assert_array_equal(a[key], b[key])


def test_short_training_run_on_real_images(converted):
    data = load_dataset("fashion_mnist", data_dir=converted, validation_size=0,
                        dtype="float32")
    clf = Classifier(rule="bp", hidden_sizes=(100,), epochs=1, dtype="float32",
                     random_state=0, verbose=False)
    clf.fit(data.x_train[:5000], data.y_train[:5000])  # about 500 per class, < 1 s
    accuracy = clf.score(data.x_test, data.y_test)
    assert accuracy > 0.6, f"test accuracy {accuracy:.3f} after 1 epoch on 5000 images"  # chance: 0.1
