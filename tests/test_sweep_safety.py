"""Sweep folders: one config per folder, one sweep at a time (a lock with stale-lock
detection), and run records validated before they are trusted or tabulated."""
import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest

from nplearn.experiments import folders

sw = importlib.import_module("nplearn.experiments.sweep")   # the module, not the function

A = {"seeds": [0], "base": {"epochs": 1, "hidden_sizes": [8]}, "grid": {"rule": ["bp", "dfa"]}}
B = {**A, "grid": {"rule": ["fa"]}}


def _counting(monkeypatch, gate=None):
    calls, real = [], sw.run_one

    def run_one(settings, seed, *args):
        calls.append((settings["rule"], seed))
        if gate is not None:
            gate[0].set()                   # "I am running"; then wait to be let go
            assert gate[1].wait(60)
        return real(settings, seed, *args)
    monkeypatch.setattr(sw, "run_one", run_one)
    return calls


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished sweep of A, copied by each test that spoils it."""
    out = tmp_path_factory.mktemp("sweep") / "a"
    sw.sweep(A, n_jobs=1, out=out, progress=False)
    return out


def _copy(finished, tmp_path):
    out = tmp_path / "a"
    shutil.copytree(finished, out)
    return out


def test_a_folder_of_another_config_is_refused_and_how_to_proceed_is_said(finished, tmp_path,
                                                                          monkeypatch, capsys):
    out = _copy(finished, tmp_path)
    saved = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    calls = _counting(monkeypatch)
    with pytest.raises(ValueError) as err:
        sw.sweep(B, n_jobs=1, out=out, progress=False)
    for words in (f"{out} holds another sweep", "differs from this config in grid",
                  "--out DIR", "--replace-config"):
        assert words in str(err.value)
    assert not calls and {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == saved
    assert not (out / folders.LOCK_NAME).exists()
    config = tmp_path / "b.json"
    config.write_text(json.dumps(B))
    assert sw.main([str(config), "--n-jobs", "1", "--out", str(out)]) == 1
    assert "--replace-config" in capsys.readouterr().err
    # the same config again (resume), or with only out / data_dir changed, is this sweep
    assert sw.sweep({**A, "out": "elsewhere", "data_dir": str(tmp_path)}, n_jobs=1, out=out,
                    progress=False)["ran"] == []
    # on purpose: B replaces A's config; A's run files stay; the table is B's
    assert sw.main([str(config), "--n-jobs", "1", "--out", str(out), "--replace-config"]) == 0
    assert json.loads((out / "config.json").read_text())["grid"] == B["grid"]
    assert [r["rule"] for r in sw.gather(out)] == ["fa"] and len(calls) == 1
    assert len(list((out / "runs").glob("*.json"))) == 3


def test_a_second_sweep_into_a_running_sweeps_folder_is_refused(tmp_path, monkeypatch):
    out = tmp_path / "a"
    gate = (threading.Event(), threading.Event())
    calls = _counting(monkeypatch, gate)
    first = threading.Thread(target=sw.sweep, args=(A,),
                             kwargs={"n_jobs": 1, "out": out, "progress": False})
    first.start()
    try:
        assert gate[0].wait(60)                        # the first sweep is training now
        lock = json.loads((out / folders.LOCK_NAME).read_text())
        assert (lock["pid"], lock["host"]) == (os.getpid(), socket.gethostname())
        for config in (A, B):                          # the same config or another one
            with pytest.raises(folders.FolderLocked) as err:
                sw.sweep(config, n_jobs=1, out=out, progress=False)
            assert f"{out} is in use by another sweep" in str(err.value)
            assert f"pid {os.getpid()}" in str(err.value)
    finally:
        gate[1].set()
        first.join(60)
    assert len(calls) == 2                             # only the first sweep trained
    assert json.loads((out / "config.json").read_text())["grid"] == A["grid"]
    assert not (out / folders.LOCK_NAME).exists()      # released at the end


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()                                        # reaped: the pid runs nothing now
    return proc.pid


@pytest.mark.parametrize("holder, age, taken", [
    ("dead", 0, True),                  # this host, process ended: stale
    ("unreadable", 60, True),           # garbage, written long ago: stale
    ("unreadable", 0, False),           # garbage, just now: may be mid-write
    ("other host", 0, False),           # cannot be checked from here
    ("alive", 0, False),
])
def test_stale_locks_are_taken_over_and_live_ones_refused(finished, tmp_path, capsys,
                                                          holder, age, taken):
    out = _copy(finished, tmp_path)
    lock = out / folders.LOCK_NAME
    content = {"dead": {"pid": _dead_pid(), "host": socket.gethostname()},
               "other host": {"pid": 1, "host": "another-machine.example"},
               "alive": {"pid": os.getppid(), "host": socket.gethostname()}}.get(holder)
    lock.write_text("{not json" if content is None else json.dumps(
        {**content, "started": "2024-01-01T00:00:00+00:00", "token": "x"}))
    os.utime(lock, (time.time() - age, time.time() - age))
    if taken:
        assert sw.sweep(A, n_jobs=1, out=out, progress=False)["skipped"]
        assert "a stale lock, taken over" in capsys.readouterr().err
        assert not lock.exists()
        return
    before = lock.read_bytes()
    with pytest.raises(folders.FolderLocked) as err:
        sw.sweep(A, n_jobs=1, out=out, progress=False)
    assert f"delete {lock}" in str(err.value) and "--out DIR" in str(err.value)
    assert lock.read_bytes() == before                 # a lock not ours is never removed


def test_an_interrupted_sweep_releases_its_lock(tmp_path, monkeypatch):
    def interrupted(*args):
        raise KeyboardInterrupt
    monkeypatch.setattr(sw, "run_one", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sw.sweep(A, n_jobs=1, out=tmp_path, progress=False)
    assert not (tmp_path / folders.LOCK_NAME).exists()


def _spoil(record, change):
    if change == "list":
        return [record]
    record = dict(record)
    for key, value in change.items():
        if value is KeyError:
            del record[key]
        else:
            record[key] = value
    return record


@pytest.mark.parametrize("change, why", [
    ({"status": KeyError}, 'no "status"'),
    ({"status": "finished"}, '"status" is "finished", not one of ok, diverged'),
    ({"test_error": KeyError}, 'no "test_error"'),
    ({"test_error": "3 %"}, '"test_error" is "3 %"'),
    ({"val_error": 5.0}, '"val_error" is 5.0'),
    ({"seconds": None}, '"seconds" is null'),
    ({"epochs": 0}, '"epochs" is 0'),
    ({"status": "diverged", "message": KeyError}, 'no "message"'),
    ({"settings": KeyError}, 'no "settings"'),
    ({"settings": {"rule": "bp", "learning_rate": 1e9}}, '"settings" is not this run\'s'),
    ({"seed": 7}, '"seed" is not this run\'s'),
    ("list", "not a JSON object"),
])
def test_a_bad_record_is_never_trusted_never_crashes_gather_and_is_rerun(
        finished, tmp_path, monkeypatch, capsys, change, why):
    out = _copy(finished, tmp_path)
    path = next((out / "runs").glob("bp-*.json"))
    path.write_text(json.dumps(_spoil(json.loads(path.read_text()), change)))
    rows = sw.gather(out)
    assert [(r["rule"], r["n_runs"], r["n_diverged"], r["n_missing"]) for r in rows] == \
        [("bp", 0, 0, 1), ("dfa", 1, 0, 0)]
    assert rows[0]["test_error_mean"] is None
    err = capsys.readouterr().err
    assert f"run {path.stem} is left out" in err and why in err
    calls = _counting(monkeypatch)
    result = sw.sweep(A, n_jobs=1, out=out, progress=False)
    assert result["corrupt"] == [path.stem] and calls == [("bp", 0)]
    assert [r["n_missing"] for r in result["table"]] == [0, 0]
    assert json.loads(path.read_text())["status"] == "ok"


def test_a_corrupt_config_json_is_a_message(finished, tmp_path):
    out = _copy(finished, tmp_path)
    (out / "config.json").write_text('{"grid": ')
    for call in (lambda: sw.gather(out), lambda: sw.sweep(A, n_jobs=1, out=out, progress=False)):
        with pytest.raises(ValueError, match="config.json is not valid JSON.*--replace-config"):
            call()
    assert sw.sweep(A, n_jobs=1, out=out, progress=False, replace_config=True)["skipped"]
