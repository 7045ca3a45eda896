"""Sweeps: run ids, local vs Dask, resume after a kill or a corrupt file, bad configs."""
import importlib
import json

import pytest

sw = importlib.import_module("nplearn.experiments.sweep")   # the module, not the function

TINY = {"dataset": "digits", "seeds": [0, 1], "base": {"epochs": 3, "hidden_sizes": [16]},
        "grid": {"rule": ["bp", "dfa"], "learning_rate": [0.01]}}
NUMBERS = ("test_error", "val_error", "train_error", "epochs", "status")


def _numbers(out):
    """run_id -> the run's results, wall times and host left out."""
    runs = {}
    for path in sorted((out / "runs").glob("*.json")):
        r = json.loads(path.read_text())
        runs[r["run_id"]] = ({k: r[k] for k in NUMBERS},
                             {k: v for k, v in r["history"].items() if k != "time"})
    return runs


def _counting(monkeypatch, fail_at=None):
    """Replace run_one (looked up at call time; n_jobs=1 runs in this process) by a counter."""
    calls, real = [], sw.run_one

    def run_one(settings, seed, *args):
        calls.append((settings["rule"], seed))
        if len(calls) == fail_at:
            raise KeyboardInterrupt
        return real(settings, seed, *args)
    monkeypatch.setattr(sw, "run_one", run_one)
    return calls


def test_a_run_saved_before_input_dropout_existed_is_still_found(tmp_path):
    """Settings added later (input_dropout), at their default, change no run_id and do not
    make an older record another run's; at another value they do."""
    from nplearn.experiments.sweep_config import read_run
    run = sw.expand(TINY)[0]
    assert run["settings"]["input_dropout"] == 0.0
    older = {k: v for k, v in run["settings"].items() if k != "input_dropout"}
    record = {**run, "settings": older, "status": "ok", "seconds": 1.0, "test_error": 0.1,
              "val_error": 0.1, "train_error": 0.0, "epochs": 3}
    path = tmp_path / "run.json"
    path.write_text(json.dumps(record))
    assert read_run(path, run)[0] == "done"
    dropped = sw.expand({**TINY, "base": {**TINY["base"], "input_dropout": 0.1}})[0]
    assert dropped["run_id"] != run["run_id"]
    assert read_run(path, dropped)[0] == "corrupt"


def test_run_ids_are_stable_and_distinct():
    runs = sw.expand(TINY)
    assert len(runs) == 2 * 1 * 2
    again = sw.expand(json.loads(json.dumps(TINY)))        # a fresh copy, as read from a file
    assert [r["run_id"] for r in runs] == [r["run_id"] for r in again]
    assert len({r["run_id"] for r in runs}) == len(runs)
    # the grid's order does not change a run's id; its settings and seed do
    swapped = {**TINY, "grid": {"learning_rate": [0.01], "rule": ["dfa", "bp"]}}
    assert {r["run_id"] for r in sw.expand(swapped)} == {r["run_id"] for r in runs}
    other = {**TINY, "grid": {**TINY["grid"], "learning_rate": [0.02]}}
    assert not {r["run_id"] for r in sw.expand(other)} & {r["run_id"] for r in runs}
    r = runs[0]
    assert r["point"] == {"rule": "bp", "learning_rate": 0.01} and r["seed"] == 0
    assert r["run_id"].startswith("bp-seed0-")
    # presets apply under base and grid: BP's preset optimiser, base's epochs, grid's rate
    assert (r["settings"]["optimizer"], r["settings"]["epochs"], r["settings"]["learning_rate"]) \
        == ("rmsprop", 3, 0.01)
    bare = {"grid": {"rule": ["bp"]}, "seeds": [0]}
    preset, plain = (sw.expand({**bare, "presets": p})[0] for p in (True, False))
    assert (preset["settings"]["hidden_sizes"], preset["settings"]["epochs"]) == ([100, 100], 60)
    assert (plain["settings"]["hidden_sizes"], plain["settings"]["epochs"]) == ([100], 20)
    assert plain["settings"]["optimizer"] == "rmsprop"        # the rule's paper default
    assert preset["run_id"] != plain["run_id"]


def test_dask_local_cluster_gives_the_numbers_of_local_processes(tmp_path):
    distributed = pytest.importorskip("distributed")
    local = sw.sweep(TINY, n_jobs=2, out=tmp_path / "local", progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        dask = sw.sweep(TINY, scheduler=cluster.scheduler_address, out=tmp_path / "dask",
                        progress=False)
    assert sorted(local["ran"]) == sorted(dask["ran"]) and len(local["ran"]) == 4
    a, b = _numbers(tmp_path / "local"), _numbers(tmp_path / "dask")
    assert a == b                                   # identical, not close
    assert all(n["status"] == "ok" and n["test_error"] < 0.5 for n, _ in a.values())
    for out in ("local", "dask"):                   # one BLAS thread per worker process
        assert {json.loads(p.read_text())["blas_threads"]
                for p in (tmp_path / out / "runs").glob("*.json")} == {1}
    for row_a, row_b in zip(local["table"], dask["table"]):
        assert {**row_a, "seconds_mean": 0} == {**row_b, "seconds_mean": 0}


def test_a_sweep_in_this_process_trains_on_one_blas_thread(tmp_path):
    from threadpoolctl import threadpool_limits
    with threadpool_limits(2):                      # the caller allows two
        result = sw.sweep({**TINY, "seeds": [0]}, n_jobs=1, out=tmp_path, progress=False)
    assert len(result["ran"]) == 2
    assert {json.loads(p.read_text())["blas_threads"]
            for p in (tmp_path / "runs").glob("*.json")} == {1}


def test_epochs_and_learning_rate_are_checked_as_on_the_command_line():
    for key, value, words in (("epochs", 0, "epochs must be a positive integer"),
                              ("learning_rate", 0, "learning_rate must be a finite number > 0"),
                              ("learning_rate", float("inf"), "a finite number > 0")):
        with pytest.raises(ValueError, match=words):
            sw.expand({**TINY, "base": {key: value}})


def test_without_presets_a_run_is_what_classifier_trains():
    from nplearn import Classifier
    run = sw.expand({"grid": {"rule": ["pepita"], "optimizer": ["sgd", "adam"]}, "seeds": [0],
                     "presets": False})
    sgd, adam = (r["settings"] for r in run)
    assert sgd["optimizer_params"] == {"momentum": 0.9}     # the rule's, with its optimiser
    assert adam["optimizer_params"] == {}                    # as Classifier: not with another
    clf = Classifier(**adam, random_state=0, verbose=False)
    clf.fit(*_tiny_data())
    assert clf.optimizer_.name == "adam"


def _tiny_data():
    from nplearn import load_dataset
    d = load_dataset("digits")
    return d.x_train[:200], d.y_train[:200]


def test_rerun_repeats_only_missing_and_corrupt_runs(tmp_path, monkeypatch, capsys):
    first = sw.sweep(TINY, n_jobs=1, out=tmp_path, progress=False)
    assert len(first["ran"]) == 4 and not first["skipped"]
    files = sorted((tmp_path / "runs").glob("*.json"))
    deleted, truncated = files[0], files[1]
    deleted.unlink()
    truncated.write_text(truncated.read_text()[:50])     # a half-written file
    mtimes = {p: p.stat().st_mtime_ns for p in files[2:]}
    calls = _counting(monkeypatch)
    again = sw.sweep(TINY, n_jobs=1, out=tmp_path, progress=False)
    assert sorted(again["ran"]) == sorted([deleted.stem, truncated.stem]) and len(calls) == 2
    assert again["corrupt"] == [truncated.stem]
    assert f"run {truncated.stem} has a corrupt file" in capsys.readouterr().err
    assert {p: p.stat().st_mtime_ns for p in files[2:]} == mtimes
    assert json.loads(truncated.read_text())["run_id"] == truncated.stem
    assert [r["n_runs"] for r in again["table"]] == [2, 2]
    assert (tmp_path / "results.csv").read_text().startswith("rule,learning_rate,test_error_pct")


def test_a_sweep_killed_midway_resumes_without_repeating_finished_runs(tmp_path, monkeypatch):
    calls = _counting(monkeypatch, fail_at=3)
    with pytest.raises(KeyboardInterrupt):
        sw.sweep(TINY, n_jobs=1, out=tmp_path, progress=False)
    finished = sorted(p.stem for p in (tmp_path / "runs").glob("*.json"))
    assert len(finished) == 2 and len(calls) == 3
    mtimes = {p: p.stat().st_mtime_ns for p in (tmp_path / "runs").glob("*.json")}
    calls = _counting(monkeypatch)
    result = sw.sweep(TINY, n_jobs=1, out=tmp_path, progress=False)
    assert sorted(result["skipped"]) == finished and len(result["ran"]) == len(calls) == 2
    assert not set(result["ran"]) & set(finished)
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes
    assert [r["n_missing"] for r in result["table"]] == [0, 0]


def test_gather_counts_missing_runs(tmp_path):
    sw.sweep(TINY, n_jobs=1, out=tmp_path, progress=False)
    next((tmp_path / "runs").glob("dfa-*.json")).unlink()
    rows = sw.gather(tmp_path)
    assert [(r["rule"], r["n_runs"], r["n_missing"]) for r in rows] == [("bp", 2, 0), ("dfa", 1, 1)]
    assert rows[1]["test_error_std"] == 0.0
    assert "| dfa | 0.01 |" in (tmp_path / "results.md").read_text()


@pytest.mark.parametrize("change, words", [
    ({"seed": [0]}, ['unknown config key "seed"', 'did you mean "seeds"']),
    ({"base": {"lerning_rate": 0.1}}, ['"lerning_rate" in base["lerning_rate"]',
                                       'did you mean "learning_rate"']),
    ({"base": {"random_state": 0}}, ['seeds go in "seeds"']),
    ({"grid": {"rule": ["bp", "backprop"]}}, ['grid["rule"][1] = "backprop"', "one of bp, fa"]),
    ({"grid": {}}, ['"grid" is missing or empty']),
    ({"grid": {"learning_rate": []}}, ['grid["learning_rate"] must be a non-empty list']),
    ({"grid": {"learning_rate": 0.1}}, ['"learning_rate": [0.1]']),
    ({"base": {"epochs": "5"}}, ['base["epochs"] = "5"', "a positive integer"]),
    ({"base": {"hidden_sizes": 100}}, ["a list of positive integers, e.g. [100, 100]"]),
    ({"base": {"learning_rate": 0.1}, "grid": {"learning_rate": [0.2]}},
     ['"learning_rate" is both in base and in grid']),
    ({"seeds": 3}, ['"seeds" must be a non-empty list']),
    ({"dataset": "mnist7"}, ['"dataset": \'mnist7\' is unknown']),
    ({"presets": "yes"}, ['"presets" must be true or false']),
    ({"grid": {"learning_rate": [0.1, 0.1]}}, ["repeats a value"]),
    ({"grid": {"optimizer": [None, "rmsprop"]}}, ["give the same settings"]),
])
def test_bad_configs_name_the_key_and_the_fix(change, words):
    with pytest.raises(ValueError) as err:
        sw.expand({**TINY, **change})                        # checks the config first
    for w in words:
        assert w in str(err.value)


def test_command_line(tmp_path, capsys):
    config = tmp_path / "grid.json"
    config.write_text(json.dumps({**TINY, "seeds": [0], "grid": {"rule": ["bp"]}}))
    assert sw.main([str(config), "--n-jobs", "1", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "1 runs: 1 run now, 0 already finished" in out and "| bp |" in out
    assert sw.main([str(config), "--n-jobs", "1", "--out", str(tmp_path / "o")]) == 0
    assert "0 run now, 1 already finished" in capsys.readouterr().out
    config.write_text('{"grid": {"rule": ["bp"]}, "epochs": 3}')
    assert sw.main([str(config)]) == 1
    assert 'unknown config key "epochs"' in capsys.readouterr().err
    config.write_text('{"grid": ')
    assert sw.main([str(config)]) == 1
    assert "is not valid JSON" in capsys.readouterr().err
    assert sw.main([str(config), "--scheduler", "x", "--local-cluster"]) == 2
