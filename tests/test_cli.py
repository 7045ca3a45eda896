"""The ``nplearn`` command line, run in-process through ``main(argv)``."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nplearn import Classifier, __version__, load_dataset
from nplearn import cli
from nplearn.cli import build_parser, main
from nplearn.experiments import settings
from nplearn.experiments.sweep_config import run_settings
from nplearn.rules import RULES

REPO = Path(__file__).resolve().parents[1]
DIVERGE = ["--optimizer", "sgd", "--lr", "1e6", "--loss", "mse"]  # inf loss within 2 epochs


def test_train_writes_files_and_saved_model_predicts_as_fit(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--rule", "fa", "--hidden", "20", "20", "--epochs", "2",
                 "--seed", "3", "--out", str(out)]) == 0
    for name in ("history.json", "model.npz", "model.json", "learning_curve.png",
                 "learning_curve.svg"):
        assert (out / name).is_file(), name
    d = load_dataset("digits")
    ref = Classifier(rule="fa", hidden_sizes=(20, 20), epochs=2, random_state=3,
                     verbose=False).fit(d.x_train, d.y_train,
                                        eval_sets={"val": (d.x_val, d.y_val),
                                                   "test": (d.x_test, d.y_test)})
    loaded = Classifier.load(out / "model")
    np.testing.assert_array_equal(loaded.predict(d.x_test), ref.predict(d.x_test))
    history = json.loads((out / "history.json").read_text())
    assert history["epoch"] == [1, 2]
    assert history["test_error"] == ref.history_["test_error"]


@pytest.mark.parametrize("rule", ["dfa", "pepita"])
def test_unset_train_flags_take_classifiers_defaults_not_compares_presets(tmp_path, rule):
    out = tmp_path / "run"
    assert main(["train", "--rule", rule, "--epochs", "1", "--out", str(out)]) == 0
    ref = Classifier(rule=rule, epochs=1, random_state=0, verbose=False)
    loaded = Classifier.load(out / "model")
    assert loaded.get_params() == ref.get_params()
    d = load_dataset("digits")
    ref.fit(d.x_train, d.y_train)
    for k, v in ref.model_.params.items():
        np.testing.assert_array_equal(loaded.model_.params[k], v)
    assert settings(rule)["hidden_sizes"] != ref.hidden_sizes       # the preset differs


def test_train_help_names_classifiers_defaults_and_compare_help_its_presets():
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices
    text = {c: " ".join(sub[c].format_help().split()) for c in ("train", "compare")}
    tables = {"train": {r: run_settings(r, presets=False) for r in RULES},
              "compare": {r: settings(r) for r in RULES}}
    for arg in ("hidden_sizes", "learning_rate", "epochs", "optimizer", "dropout"):
        for command, table in tables.items():
            assert cli._default(arg, table) in text[command], (command, arg)
    assert "not Classifier's defaults" in text["compare"]
    assert "exactly what nplearn.Classifier(rule=RULE) trains" in text["train"]


def test_epochs_0_and_lr_0_are_refused_in_the_words_of_the_sweep_config(capsys):
    from nplearn.experiments.sweep import expand
    for flag, key, value in (("--epochs", "epochs", 0), ("--lr", "learning_rate", 0),
                             ("--lr", "learning_rate", float("inf"))):
        assert main(["train", flag, str(value)]) == 2
        cli_words = capsys.readouterr().err.strip().splitlines()[-1]
        with pytest.raises(ValueError) as err:
            expand({"grid": {"rule": ["bp"]}, "base": {key: value}})
        words = f"{key} must be " + str(err.value).split(f"{key} must be ")[1]
        assert words in cli_words, (cli_words, words)


def test_train_prints_epochs_and_uses_default_out(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert "epoch 1/2" in out and "epoch 2/2" in out and "final error: train" in out
    assert (tmp_path / "runs" / "dfa-digits-seed0" / "model.npz").is_file()


@pytest.mark.parametrize("argv", [
    [], ["fit"], ["train", "--rule", "nope"], ["train", "--dataset", "nope"],
    ["train", "--hidden", "0"], ["train", "--epochs", "-1"], ["train", "--epochs", "0"],
    ["train", "--lr", "0"], ["train", "--lr", "-1e-3"], ["train", "--lr", "inf"],
    ["train", "--dropout", "1"], ["train", "--activation", "swish"],
    ["compare", "--rules", "bp", "nope"], ["compare", "--seeds", "-1"],
    ["compare", "--embed", "umap"], ["compare", "--record-every", "0"],
    ["compare", "--embed-samples", "0"], ["plot"], ["plot", "x", "--figure", "nope"],
])
def test_bad_flags_exit_2_without_traceback(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_divergence_is_a_message_and_exit_1(tmp_path, capsys):
    assert main(["train", "--epochs", "2", *DIVERGE, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "diverged" in err and "learning rate" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_missing_dataset_names_the_download_script(tmp_path, capsys):
    assert main(["train", "--dataset", "mnist", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "data_scripts/download.py mnist" in err and "Traceback" not in err


def test_compare_prints_table_and_writes_files(tmp_path, capsys):
    assert main(["compare", "--rules", "bp", "ifa", "--seeds", "0", "--epochs", "2",
                 "--embed", "pca", "--embed-samples", "100", "--record-every", "7",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "test error" in out and str(tmp_path / "results.csv") in out
    assert {line.split()[0] for line in out.splitlines() if line[:3] in ("bp ", "ifa")} == \
        {"bp", "ifa"}
    assert "recording:" in out and "every 7 optimiser steps on 128 training samples" in out
    assert str(tmp_path / "report.html") in out
    saved = json.loads((tmp_path / "runs.json").read_text())
    assert saved["settings"]["ifa"]["epochs"] == 2
    assert saved["runs"][0]["record"]["step"][:3] == [0, 7, 14]
    assert saved["embedding"]["method"] == "pca" and saved["embedding"]["n_samples"] == 100


def test_compare_no_record_no_embed(tmp_path, capsys):
    assert main(["compare", "--rules", "dfa", "--seeds", "0", "--epochs", "1", "--no-record",
                 "--embed", "none", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "recording overhead" not in out and "rec. (%)" not in out
    assert not (tmp_path / "update_angles.png").exists()
    assert not (tmp_path / "embeddings.npz").exists() and (tmp_path / "report.html").is_file()
    assert main(["plot", str(tmp_path), "--figure", "angles"]) == 1      # nothing recorded
    assert "--no-record" in capsys.readouterr().err


def test_plot_redraws_a_saved_run(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["compare", "--rules", "bp", "dfa", "--seeds", "0", "--epochs", "1",
                 "--hidden", "8", "8", "--embed", "pca", "--embed-samples", "60",
                 "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["plot", str(run), "--out", str(tmp_path / "all")]) == 0
    names = {p.name for p in (tmp_path / "all").iterdir()}
    assert names == {f"{f}.{ext}" for f in ("learning_curves", "update_angles",
                                            "feedback_angles", "embeddings", "weight_norms",
                                            "weight_histograms") for ext in ("png", "svg")} | \
        {"report.html"}
    saved = (run / "runs.json").read_bytes()
    (run / "update_angles.png").unlink()
    assert main(["plot", str(run), "--figure", "angles"]) == 0          # default --out: RUN_DIR
    assert (run / "update_angles.png").is_file() and (run / "runs.json").read_bytes() == saved
    assert str(run / "update_angles.svg") in capsys.readouterr().out


def test_plot_without_runs_json_says_how_to_make_one(tmp_path, capsys):
    assert main(["plot", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no runs.json" in err and f"nplearn compare --out {tmp_path}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["train", "compare", "plot", "sweep"])
def test_help_lists_every_flag_with_its_default(command, capsys):
    assert main([command, "--help"]) == 0
    text = capsys.readouterr().out
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]
    for action in sub._actions:
        if action.dest == "help":
            continue
        assert (action.option_strings or [action.metavar])[0] in text
        assert action.help and "default" in action.help, action.dest
        if action.choices:
            assert all(str(c) in text for c in action.choices), action.dest


def test_version(capsys):
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_python_dash_m_help_in_a_subprocess():
    proc = subprocess.run([sys.executable, "-m", "nplearn", "--help"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert all(c in proc.stdout for c in ("train", "compare", "plot"))
