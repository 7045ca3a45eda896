"""`nplearn reproduce`: the paper tables, one epoch of each at cpu scale, the files and errors;
the papers' settings (`nplearn.paper_settings`); checkpoints, `--resume` and `--epochs`."""
import csv
import json

import numpy as np
import pytest

import nplearn
from nplearn import Classifier, load_dataset
from nplearn.cli import main
from nplearn.experiments import paper_settings as ps
from nplearn.experiments import resumable
from nplearn.experiments.reproduce import (NOT_IMPLEMENTED, format_list, list_tables, reproduce,
                                           table_settings)
from nplearn.experiments.resumable import out_lock, train_resumable
from nplearn.experiments.tables import TABLES, TUNED

# tables whose cpu scale takes over ~15 s for one seed of one epoch on 2 cores
SLOW = {"dfa-table1", "dfa-deep"}
TUNING = {"1x1024": 3e-3, "2x800": 3e-3}     # fashion-feedforward's tuned rate, given directly


def test_list_names_every_table_row_and_paper_setting(capsys):
    assert main(["reproduce", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in TABLES)
    assert all(row.key in out for t in TABLES.values() for row in t.rows)
    assert all(s.name in out for s in ps.list_paper_settings())
    assert set(list_tables()) == set(TABLES)
    assert out.strip() == format_list().strip()


def test_every_paper_cell_is_listed_or_run():
    for name, table in TABLES.items():
        for scale in ("cpu", "full"):
            cells = table_settings(name, scale)
            assert len(cells) == len(table.rows) * len(table.columns), name
            for row, col, dataset, kw in cells:
                assert dataset == (table.cpu_dataset if scale == "cpu" else row.dataset)
                assert col in row.paper or not table.paper_numbers, (name, row.model, col)
                assert kw is None or kw["epochs"] >= 1


def test_paper_settings_are_one_call_away():
    kw = nplearn.paper_settings("efp", "efp-table1-2x1500")
    assert kw["hidden_sizes"] == (1500, 1500) and kw["batch_size"] == 1
    assert kw["rule_params"]["lr_layers"] == (0.2, 0.05, 0.01)
    kw["rule_params"]["lr_layers"] = None                   # a copy: the registry is unchanged
    assert nplearn.paper_settings("efp", "efp-table1-2x1500")["rule_params"]["lr_layers"]
    for s in nplearn.list_paper_settings():
        params = Classifier(**ps.paper_settings(s.rule, s.name)).get_params()
        assert params["rule"] == s.rule and s.source
    with pytest.raises(ValueError, match="efp-table1-3x1500"):
        nplearn.paper_settings("efp", "table1-2x1500")
    with pytest.raises(ValueError, match="rules with paper settings"):
        nplearn.paper_settings("ep", "efp-table1-2x1500")


def test_the_dfa_dropout_rows_drop_inputs_too():
    """DFA Sec. 4: "a dropout probability of 0.1 was used in the input layer and 0.5
    elsewhere", in the paper setting and at both scales of the tables (SP: none)."""
    for name in ("dfa-table1-2x800-dropout", "dfa-table2-3x1000-dropout",
                 "dfa-table3-3x1000-dropout"):
        for rule in ("bp", "fa", "dfa"):
            kw = ps.paper_settings(rule, name)
            assert (kw["input_dropout"], kw["dropout"]) == (0.1, 0.5), (rule, name)
    for table in ("dfa-table1", "dfa-table2", "sigprop-table6"):
        for scale in ("cpu", "full"):
            for row, col, _, kw in table_settings(table, scale):
                if kw is not None:
                    want = (0.1, 0.5) if row.key.endswith("do") and col != "SP" else (0.0, 0.0)
                    got = (kw["input_dropout"], kw["dropout"] or 0.0)    # None: the rule's 0
                    assert got == want, (table, row.key, col)


def test_run_folders_made_before_input_dropout_keep_their_names():
    from nplearn.experiments.reproduce import _key
    kw = table_settings("dfa-table1", "cpu", rows=["2x800-tanh"], columns=["dfa"])[0][3]
    old = {k: v for k, v in kw.items() if k != "input_dropout"}
    assert kw["input_dropout"] == 0.0 and _key("digits", 0.1, kw) == _key("digits", 0.1, old)
    assert _key("digits", 0.1, {**kw, "input_dropout": 0.1}) != _key("digits", 0.1, old)


def test_the_rule_files_hold_no_table_of_settings():
    """One home: the EFP rule's Table 1 rates are referred to, not copied."""
    from nplearn.rules import efp, pepita
    assert not [k for k in vars(efp) if k.startswith("TABLE")]
    assert not [k for k in vars(pepita) if k.startswith("TABLE")]
    for depth, rates in efp.PAPER_LR_LAYERS.items():
        assert efp.EFP().default_lr_layers(depth + 1) == rates
        assert ps.paper_settings("efp", f"efp-table1-{depth}x1500")["rule_params"][
            "lr_layers"] == rates


def test_full_scale_cells_are_the_paper_settings():
    """Every full-scale cell of a row named by a paper setting trains exactly that setting."""
    checked = 0
    for name, table in TABLES.items():
        for row, col, _, kw in table_settings(name, "full"):
            own = row.per_column.get(col, {}).get("full")
            setting = own if isinstance(own, str) else row.full
            if kw is None or not isinstance(setting, str):
                continue
            want = ps.paper_settings(kw["rule"], setting)
            extra = table.columns[col].get("rule_params", {})
            want["rule_params"] = {**want.get("rule_params", {}), **extra} or None
            assert {k: kw[k] for k in want} == want, (name, row.key, col)
            checked += 1
    assert checked > 100
    v = [kw for r, c, _, kw in table_settings("sigprop-table5", "full", columns=["sp-voltage"])]
    assert all(kw["rule_params"] == ps.paper_settings(
        "snn_sigprop", "sigprop-table5-voltage")["rule_params"] for kw in v)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n
                                  for n in TABLES])
def test_cpu_scale_runs_one_epoch(name, tmp_path):
    result = reproduce(name, seeds=1, epochs=1, out_dir=tmp_path, progress=False,
                       tuning=TUNING if TABLES[name].tuned_by else None)
    table = TABLES[name]
    assert len(result["cells"]) == len(table.rows) * len(table.columns)
    for cell in result["cells"]:
        if cell["status"] == NOT_IMPLEMENTED:
            assert cell["n_runs"] == 0
        else:
            assert cell["n_runs"] == 1 and cell["epochs_run"] == 1
    md = (tmp_path / "table.md").read_text()
    for row in table.rows:
        assert row.model in md and all(v in md for v in row.paper.values())
    assert "1 / " in md                                      # epochs run / paper's
    with open(tmp_path / "table.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(result["cells"])
    assert {"paper", "ours_mean", "ours_std", "n_runs", "epochs_run", "epochs_paper",
            "best_mean"} <= set(rows[0])
    assert (tmp_path / "report.html").exists()


def test_not_implemented_cells_keep_the_paper_number():
    cells = table_settings("pepita-table1", "cpu")
    drtp = [(row, kw) for row, col, _, kw in cells if col == "DRTP"]
    assert drtp and all(kw is None and row.paper["DRTP"] for row, kw in drtp)


def test_bad_table_row_or_column_names_list_the_names(capsys):
    with pytest.raises(ValueError, match="dfa-table1"):
        reproduce("no-such-table")
    assert main(["reproduce", "no-such-table"]) == 1
    assert "dfa-table1" in capsys.readouterr().err
    with pytest.raises(ValueError, match="fashion-2x1500"):
        table_settings("efp", rows=["fashion"])
    with pytest.raises(ValueError, match="sp-voltage"):
        table_settings("sigprop-table5", columns=["voltage"])


def test_full_scale_without_data_names_the_download_script(tmp_path):
    with pytest.raises(FileNotFoundError, match="download.py"):
        reproduce("bfa-table1", scale="full", seeds=1, epochs=1, data_dir=tmp_path)


# ---------------------------------------------------------------- runs that survive interruption
KW = {"rule": "dfa", "hidden_sizes": (20, 20), "learning_rate": 3e-3, "epochs": 4,
      "batch_size": 64, "activation": "tanh", "loss": "logistic_bce", "optimizer": "rmsprop"}


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def test_epoch_at_a_time_equals_fit(digits):
    """partial_fit per epoch (with a save after each) is fit: same history, same weights."""
    ref = Classifier(**KW, random_state=1, verbose=False).fit(
        digits.x_train, digits.y_train,
        eval_sets={"val": (digits.x_val, digits.y_val), "test": (digits.x_test, digits.y_test)})
    run, clf = train_resumable(KW, 1, digits, progress=False)
    for k in ("train_loss", "train_error", "val_error", "test_error", "lr"):
        assert run["history"][k] == ref.history_[k], k
    for k, v in ref.model_.params.items():
        np.testing.assert_array_equal(clf.model_.params[k], v)


def test_shorter_budget_then_resume_is_the_full_run(digits, tmp_path):
    full, clf_full = train_resumable(KW, 0, digits, tmp_path / "a" / "seed0", progress=False)
    short, _ = train_resumable(KW, 0, digits, tmp_path / "b" / "seed0", epochs=2, progress=False)
    assert short["epochs"] == 2 and short["budget"] == 4
    assert short["history"]["lr"] == full["history"]["lr"][:2]        # the schedule is not cut
    more, clf = train_resumable(KW, 0, digits, tmp_path / "b" / "seed0", resume=True,
                                progress=False)
    assert more["history"]["test_error"] == full["history"]["test_error"]
    for k, v in clf_full.model_.params.items():
        np.testing.assert_array_equal(clf.model_.params[k], v)
    again, _ = train_resumable(KW, 0, digits, tmp_path / "b" / "seed0", epochs=3, resume=True,
                               progress=False)                         # a prefix of what is saved
    assert again["epochs"] == 3 and again["test_error"] == full["history"]["test_error"][2]
    with pytest.raises(ValueError, match="resume"):
        train_resumable(KW, 0, digits, tmp_path / "b" / "seed0", progress=False)
    with pytest.raises(ValueError, match="other settings"):
        train_resumable({**KW, "learning_rate": 1e-3}, 0, digits, tmp_path / "b" / "seed0",
                        resume=True, progress=False)


def test_keep_best_saves_the_best_validation_epoch(digits, tmp_path):
    kw = {**KW, "learning_rate": 3e-2, "epochs": 6}
    run, clf = train_resumable(kw, 0, digits, tmp_path / "seed0", keep_best=True,
                               progress=False)
    val = run["history"]["val_error"]
    b = int(np.argmin(val))
    assert run["best"]["epoch"] == b + 1 and run["best"]["test_error"] == run["history"][
        "test_error"][b]
    best = Classifier.load(tmp_path / "seed0-best")
    assert len(best.history_["epoch"]) == b + 1
    assert 1 - best.score(digits.x_val, digits.y_val) == pytest.approx(val[b])


def test_divergence_is_recorded_and_not_retrained(digits, tmp_path):
    kw = {**KW, "rule": "bp", "learning_rate": 1e6, "activation": "relu", "loss": "mse",
          "optimizer": "sgd"}
    run, _ = train_resumable(kw, 0, digits, tmp_path / "seed0", progress=False)
    if run["status"] != "diverged":
        pytest.skip("this setting did not diverge")
    record = json.loads((tmp_path / "seed0.run.json").read_text())
    assert record["status"] == "diverged" and "learning rate" in record["message"]
    again, _ = train_resumable(kw, 0, digits, tmp_path / "seed0", resume=True, progress=False)
    assert again["status"] == "diverged"


def test_interrupted_reproduction_resumes_exactly(tmp_path, monkeypatch):
    """Interrupt a tiny table after its first epoch; --resume gives the uninterrupted numbers."""
    args = dict(seeds=2, epochs=2, progress=False, rows=["1x1024"], columns=["bp", "dfa"],
                tuning=TUNING)
    whole = reproduce("fashion-feedforward", out_dir=tmp_path / "whole", **args)
    calls, fit = {"n": 0}, Classifier.partial_fit

    def interrupted(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 4:                  # the second run's second epoch
            raise KeyboardInterrupt
        return fit(self, *a, **k)

    monkeypatch.setattr(Classifier, "partial_fit", interrupted)
    with pytest.raises(KeyboardInterrupt):
        reproduce("fashion-feedforward", out_dir=tmp_path / "cut", **args)
    monkeypatch.setattr(Classifier, "partial_fit", fit)
    with pytest.raises(ValueError, match="--resume"):            # nothing saved is overwritten
        reproduce("fashion-feedforward", out_dir=tmp_path / "cut", **args)
    resumed = reproduce("fashion-feedforward", out_dir=tmp_path / "cut", resume=True, **args)
    assert resumed["markdown"] == whole["markdown"]
    for a, b in zip(whole["results"]["digits"]["runs"], resumed["results"]["digits"]["runs"]):
        assert a["history"]["test_error"] == b["history"]["test_error"]
        assert a["history"]["train_loss"] == b["history"]["train_loss"]


def test_the_tuned_rate_is_the_best_validation_column(tmp_path):
    common = dict(seeds=1, epochs=1, progress=False, rows=["1x1024"])
    with pytest.raises(FileNotFoundError, match="reproduce fashion-bp-lr"):
        reproduce("fashion-feedforward", out_dir=tmp_path / "fashion-feedforward-cpu",
                  columns=["bp"], **common)
    tune = reproduce("fashion-bp-lr", out_dir=tmp_path / "fashion-bp-lr-cpu", **common)
    best = min((c for c in tune["cells"]), key=lambda c: c["mean"])
    lr = TABLES["fashion-bp-lr"].columns[best["column"]]["learning_rate"]
    result = reproduce("fashion-feedforward", out_dir=tmp_path / "fashion-feedforward-cpu",
                       columns=["bp", "pepita"], **common)
    assert result["tuning"]["rates"]["1x1024"]["learning_rate"] == lr
    settings = result["results"]["digits"]["settings"]
    assert [kw["learning_rate"] for label, kw in settings.items() if label.endswith("| BP")] == [lr]
    pepita = [kw["learning_rate"] for label, kw in settings.items() if label.endswith("| PEPITA")]
    assert pepita == [0.1]                                  # its own paper's rate, not tuned
    assert "chosen on the validation split" in result["markdown"]
    assert all(kw["learning_rate"] == TUNED for *_, kw in table_settings(
        "fashion-feedforward", columns=["bfa"]))


def test_one_writer_per_output_folder(tmp_path):
    with out_lock(tmp_path):
        with pytest.raises(ValueError, match="another process"):
            with out_lock(tmp_path):
                pass
    with out_lock(tmp_path):                  # released
        pass


def test_progress_prints_a_line_per_epoch_off_a_terminal(digits, capsys, monkeypatch):
    monkeypatch.setattr(resumable, "LOG_EVERY", 0.0)
    train_resumable({**KW, "epochs": 2}, 0, digits, progress=None, label="dfa test")
    err = capsys.readouterr().err
    assert "dfa test: epoch 1/2," in err and "dfa test: epoch 2/2," in err and "ETA" in err
    assert "dfa test: epoch 2/2, batch 21/21" in err
    assert resumable._hms(3725) == "1h02m"
