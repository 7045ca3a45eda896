"""Rule comparison, presets and the learning-curve figure."""
import csv
import json

import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread

from nplearn.experiments import PRESETS, compare, format_table, preset, settings
from nplearn.plot import plot_learning_curves, rule_color, savefig
from nplearn.rules import RULES

DIVERGE = {"optimizer": "sgd", "learning_rate": 1e6, "loss": "mse"}  # inf loss within 2 epochs


def test_compare_writes_csv_json_png(tmp_path):
    result = compare("digits", rules=["bp", "dfa"], seeds=(0, 1), epochs=2, out_dir=tmp_path,
                     progress=False)
    rows = list(csv.DictReader((tmp_path / "results.csv").open()))
    assert [r["rule"] for r in rows] == ["bp", "dfa"]
    assert 0 <= float(rows[0]["test_error_pct_mean"]) <= 100
    saved = json.loads((tmp_path / "runs.json").read_text())
    assert saved["dataset"] == {"name": "digits", "n_train": 1293, "n_val": 144, "n_test": 360,
                                "n_features": 64, "n_classes": 10}
    assert saved["settings"]["dfa"]["optimizer"] == "rmsprop"
    assert saved["nplearn_version"] and len(saved["runs"]) == 4
    run = saved["runs"][0]
    assert run["status"] == "ok" and run["epochs"] == 2 and len(run["history"]["test_error"]) == 2
    assert run["test_error"] == run["history"]["test_error"][-1]
    pixels = imread(tmp_path / "learning_curves.png")
    assert pixels.std() > 0.02  # not a blank canvas
    assert (tmp_path / "learning_curves.svg").is_file()
    table = format_table(result["summary"]).splitlines()
    assert len(table) == 2 + 2 and table[2].startswith("bp") and table[3].startswith("dfa")
    assert "±" in table[2]


def test_compare_defaults_to_every_registered_rule():
    result = compare(seeds=(0,), epochs=1, progress=False)
    assert list(result["summary"]) == list(RULES)
    assert [r["rule"] for r in result["runs"]] == list(RULES)


def test_diverged_run_is_recorded_and_others_go_on(tmp_path, monkeypatch):
    monkeypatch.setitem(PRESETS, "bp", {**PRESETS["bp"], **DIVERGE})
    result = compare(rules=["bp", "dfa"], seeds=(0,), epochs=2, out_dir=tmp_path,
                     progress=False)
    bp, dfa = result["runs"]
    assert bp["status"] == "diverged" and "learning rate" in bp["message"]
    assert bp["history"] is None and bp["test_error"] is None
    assert dfa["status"] == "ok"
    assert result["summary"]["bp"]["n_diverged"] == 1
    assert "diverged" in format_table(result["summary"]).splitlines()[2]
    assert (tmp_path / "learning_curves.png").is_file()  # drawn from the runs that finished


def test_all_runs_diverged_still_writes_the_tables(tmp_path):
    result = compare(rules=["dfa"], seeds=(0,), epochs=2, out_dir=tmp_path, progress=False,
                     **DIVERGE)
    assert result["runs"][0]["status"] == "diverged"
    assert (tmp_path / "results.csv").is_file() and (tmp_path / "runs.json").is_file()
    assert not (tmp_path / "learning_curves.png").exists()


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
