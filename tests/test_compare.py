"""Rule comparison, presets, recording during compare and the learning-curve figure."""
import csv
import json
import math

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread

from nplearn.experiments import PRESETS, compare, format_table, preset, settings
from nplearn.plot import plot_learning_curves, rule_color, savefig
from nplearn.rules import RULES

DIVERGE = {"optimizer": "sgd", "learning_rate": 1e6, "loss": "mse"}  # inf loss within 2 epochs


def test_compare_writes_csv_json_png(tmp_path):
    result = compare("digits", rules=["bp", "dfa"], seeds=(0, 1), epochs=2, out_dir=tmp_path,
                     progress=False, embed="pca")
    rows = list(csv.DictReader((tmp_path / "results.csv").open()))
    assert [r["rule"] for r in rows] == ["bp", "dfa"]
    assert 0 <= float(rows[0]["test_error_pct_mean"]) <= 100
    saved = json.loads((tmp_path / "runs.json").read_text())
    assert saved["dataset"] == {
        "name": "digits", "n_train": 1293, "n_val": 144, "n_test": 360, "n_features": 64,
        "n_classes": 10, "image_shape": [1, 8, 8], "x_range": [0.0, 1.0], "sha256": None,
        "source": "scikit-learn load_digits (bundled)",
        "splits": "test: 360 of the 1797 samples, stratified, seed 0; validation: 144 of the "
                  "1437 training samples, stratified, seed 0"}
    assert (rows[0]["dataset"], rows[0]["dataset_n_train"], rows[0]["dataset_sha256"]) == \
        ("digits", "1293", "")
    assert saved["settings"]["dfa"]["optimizer"] == "rmsprop"
    assert saved["nplearn_version"] and len(saved["runs"]) == 4
    run = saved["runs"][0]
    assert run["status"] == "ok" and run["epochs"] == 2 and len(run["history"]["test_error"]) == 2
    assert run["test_error"] == run["history"]["test_error"][-1]
    pixels = imread(tmp_path / "learning_curves.png")
    assert pixels.std() > 0.02  # not a blank canvas
    assert (tmp_path / "learning_curves.svg").is_file()
    table = format_table(result["summary"]).splitlines()
    assert table[2].startswith("bp") and table[3].startswith("dfa")
    assert table[2].count("±") == 3 and "recording" in table[0] and "→" in table[3]


def test_recorded_history_shapes_in_runs_json(tmp_path):
    epochs, hidden = 3, (12, 10)
    compare("digits", rules=["bp", "dfa", "ifa"], seeds=(0, 1), epochs=epochs,
            hidden_sizes=hidden, out_dir=tmp_path, progress=False, embed="pca",
            embed_samples=50)
    saved = json.loads((tmp_path / "runs.json").read_text())
    per_epoch = math.ceil(1293 / 64)
    assert saved["record"]["every"] == {"bp": per_epoch, "dfa": per_epoch, "ifa": per_epoch}
    assert saved["record"]["probe_size"] == 128 and 0 < saved["record"]["overhead_mean"] < 1
    for run in saved["runs"]:
        rec = run["record"]
        assert rec["step"] == [per_epoch * i for i in range(epochs + 1)]  # step 0, each epoch
        assert all(len(rec[k]) == epochs + 1 for k in rec)
        assert {len(e) for e in rec["update_angle_mean"]} == {2}          # hidden layers
        assert {len(e) for e in rec["weight_norm"]} == {3}                # weight layers
        assert {len(e) for e in rec["weight_angle"]} == {3}
        names = {"bp": set(), "dfa": {"B1", "B2"}, "ifa": {"B1"}}[run["rule"]]
        assert all(set(e) == names for e in rec["feedback_angle"])
        if run["rule"] == "dfa":                  # zero initial weights: no angle at step 0
            assert rec["update_angle_mean"][0] == [None, None]
        assert all(0 <= a <= 180 for e in rec["update_angle_mean"][1:] for a in e)
        assert 0 < run["record_overhead"] < 1 and run["record_seconds"] < run["seconds"]
        sizes = {"W1": 64 * 12, "W2": 12 * 10, "W3": 10 * 10}
        assert {k: sum(c) for k, c in run["weight_hist"].items()} == sizes
        assert (run["knn"] is None) == (run["seed"] != 0)
    assert all(len(e) == 11 for k, e in saved["weight_bins"].items() if k == "W2")  # sqrt bins
    assert set(saved["embedding"]["knn"]) == {"bp", "dfa", "ifa"}
    s = saved["summary"]["dfa"]
    assert s["knn_input"] == saved["embedding"]["knn"]["dfa"]["input"]
    assert s["knn_last"] == saved["embedding"]["knn"]["dfa"]["h2"]
    with np.load(tmp_path / "embeddings.npz") as f:
        assert f["labels"].shape == (50,) and f["input"].shape == (50, 2)
        assert f["dfa.h2"].shape == (50, 2) and list(f["rules"]) == ["bp", "dfa", "ifa"]


def test_record_every_and_no_record():
    result = compare(rules=["fa"], seeds=(0,), epochs=1, record_every=5, embed="none",
                     progress=False)
    assert result["runs"][0]["record"]["step"] == [0, 5, 10, 15, 20, 21]   # and the last step
    assert result["embedding"] is None and result["runs"][0].get("knn") is None
    result = compare(rules=["fa"], seeds=(0,), epochs=1, record=False, embed="none",
                     progress=False)
    run = result["runs"][0]
    assert run["record"] is None and run["record_overhead"] is None and result["record"] is None
    assert "recording" not in format_table(result["summary"])
    with pytest.raises(ValueError, match="embed"):
        compare(rules=["fa"], embed="umap")
    with pytest.raises(ValueError, match="too few"):
        compare(rules=["fa"], seeds=(0,), epochs=1, embed_samples=5, progress=False)


def test_compare_trains_on_the_threads_train_chooses_and_records_them():
    from threadpoolctl import threadpool_limits
    from nplearn import Classifier, load_dataset
    from nplearn.experiments.compare import BlasThreads, format_threads
    d = load_dataset("digits")
    for n in (1, 2):                     # what the caller allows; compare adds no limit of its own
        with threadpool_limits(n):
            result = compare(rules=["bp", "dfa"], seeds=(0,), epochs=1, embed="pca",
                             embed_samples=50, progress=False)
            direct = BlasThreads()
            Classifier(**settings("bp", epochs=1), random_state=0, verbose=False).fit(
                d.x_train, d.y_train, callbacks=[direct])
        assert direct.n is not None
        assert [r["blas_threads"] for r in result["runs"]] == [direct.n, direct.n]
        assert format_threads(result) == ("time (s): fit wall time per run, one run at a time, "
                                          f"on {direct.n} BLAS thread{'s' * (direct.n > 1)}")


def test_compare_defaults_to_every_registered_rule_but_the_spiking_ones():
    result = compare(seeds=(0,), epochs=1, progress=False, embed="none")
    want = [r for r in RULES if not r.startswith("snn_")]
    assert list(result["summary"]) == want
    assert [r["rule"] for r in result["runs"]] == want


def test_compare_runs_the_spiking_rules_when_asked():
    result = compare(rules=["snn_shallow"], seeds=(0,), epochs=1, progress=False, embed="pca")
    assert result["runs"][0]["status"] == "ok" and result["runs"][0]["test_error"] < 1


def test_diverged_run_is_recorded_and_others_go_on(tmp_path, monkeypatch):
    monkeypatch.setitem(PRESETS, "bp", {**PRESETS["bp"], **DIVERGE})
    result = compare(rules=["bp", "dfa"], seeds=(0,), epochs=2, out_dir=tmp_path,
                     progress=False, embed="pca")
    bp, dfa = result["runs"]
    assert bp["status"] == "diverged" and "learning rate" in bp["message"]
    assert bp["history"] is None and bp["test_error"] is None
    assert dfa["status"] == "ok"
    assert result["summary"]["bp"]["n_diverged"] == 1
    assert "diverged" in format_table(result["summary"]).splitlines()[2]
    assert (tmp_path / "learning_curves.png").is_file()  # drawn from the runs that finished
    assert bp["record"] is None and bp["weight_hist"] is None and "bp" not in \
        result["embedding"]["knn"]
    assert (tmp_path / "report.html").is_file() and (tmp_path / "embeddings.npz").is_file()


def test_all_runs_diverged_still_writes_the_tables(tmp_path):
    result = compare(rules=["dfa"], seeds=(0,), epochs=2, out_dir=tmp_path, progress=False,
                     **DIVERGE)
    assert result["runs"][0]["status"] == "diverged"
    assert (tmp_path / "results.csv").is_file() and (tmp_path / "runs.json").is_file()
    assert not (tmp_path / "learning_curves.png").exists()
    assert not (tmp_path / "embeddings.npz").exists()
    assert "every run diverged" not in (tmp_path / "report.html").read_text()


def test_preset_merges_a_copy_and_falls_back_to_rule_defaults(monkeypatch):
    p = preset("dfa", epochs=5, learning_rate=None)
    assert p["epochs"] == 5 and p["learning_rate"] == PRESETS["dfa"]["learning_rate"]
    p["hidden_sizes"] = (7,)
    assert PRESETS["dfa"]["hidden_sizes"] == (100, 100)
    monkeypatch.delitem(PRESETS, "ifa")
    assert preset("ifa") == {}
    s = settings("ifa")
    assert s["optimizer"] == RULES["ifa"].defaults["optimizer"] and s["rule"] == "ifa"
    with pytest.raises(ValueError, match="unknown rule"):
        preset("nope")


def test_plot_panels_colours_and_savefig(tmp_path):
    h = {"epoch": [1, 2, 3], "train_error": [0.5, 0.2, 0.0], "val_error": [0.6, 0.3, 0.2],
         "test_error": [0.6, 0.3, 0.25], "train_loss": [1.0, 0.5, 0.3], "val_loss": [None] * 3}
    fig = plot_learning_curves({"bp": [h, h], "dfa": [h]})
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    assert len(plot_learning_curves({"bp": [h]}, metric=["train_loss", "val_loss"]).axes) == 1
    png, svg = savefig(fig, tmp_path / "curves")
    assert png.suffix == ".png" and svg.suffix == ".svg" and svg.is_file()
    colours = [rule_color(r) for r in ("bp", "fa", "dfa", "ifa")]
    assert len(set(colours)) == 4 and rule_color("new_rule") == rule_color("new_rule")
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_learning_curves({"bp": [h]}, metric="val_loss")
