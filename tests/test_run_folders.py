"""Run folders of ``nplearn train``: the previous run or the new one, whole, whatever fails
and wherever it stops; an ``--out`` that cannot be written is refused before training (and
by ``compare`` and ``sweep`` too)."""
import json
import os
import signal
import threading

import pytest

from nplearn import Classifier
from nplearn import cli
from nplearn.cli import main
from nplearn.experiments import folders

FAST = ["train", "--rule", "bp", "--hidden", "8", "--epochs", "1"]


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def old_run(tmp_path):
    """A finished run in tmp_path/run (seed 1) and its bytes."""
    out = tmp_path / "run"
    assert main([*FAST, "--seed", "1", "--out", str(out)]) == 0
    return out, _files(out)


def _fail_on_call(exc):
    def fail(*args, **kwargs):
        raise exc
    return fail


def _count_training(monkeypatch):
    calls, real = [], Classifier.partial_fit

    def partial_fit(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)
    monkeypatch.setattr(Classifier, "partial_fit", partial_fit)
    return calls


@pytest.mark.parametrize("exc, code", [(OSError(28, "No space left on device"), 1),
                                        (KeyboardInterrupt(), 130)])
@pytest.mark.parametrize("step", ["history", "model", "figure"])
def test_a_save_that_fails_at_any_write_leaves_the_previous_run_whole(
        old_run, monkeypatch, capsys, step, exc, code):
    out, before = old_run
    target = {"history": (cli, "write_json"), "model": (Classifier, "save"),
              "figure": (cli, "savefig")}[step]
    monkeypatch.setattr(*target, _fail_on_call(exc))
    assert main([*FAST, "--seed", "2", "--out", str(out)]) == code
    assert _files(out) == before                              # the old run, byte for byte
    assert sorted(p.name for p in out.parent.iterdir()) == ["run"]   # no hidden leftovers
    assert "Traceback" not in capsys.readouterr().err


def test_an_interrupted_training_leaves_the_previous_run_and_no_new_folders(
        old_run, tmp_path, monkeypatch):
    out, before = old_run
    monkeypatch.setattr(Classifier, "partial_fit", _fail_on_call(KeyboardInterrupt()))
    assert main([*FAST, "--seed", "2", "--out", str(out)]) == 130
    assert _files(out) == before
    deep = tmp_path / "new" / "deeper" / "run"     # folders made for --out are removed again
    assert main([*FAST, "--out", str(deep)]) == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.mark.parametrize("failing", [1, 2])
def test_a_swap_that_fails_at_either_rename_leaves_the_previous_run(old_run, monkeypatch,
                                                                     failing):
    out, before = old_run
    calls, real = [], os.rename

    def rename(src, dst):
        calls.append((src, dst))
        if len(calls) == failing:
            raise OSError(5, "Input/output error")
        return real(src, dst)
    monkeypatch.setattr(folders.os, "rename", rename)
    assert main([*FAST, "--seed", "2", "--out", str(out)]) == 1
    assert len(calls) == failing + (failing == 2)              # the second failing: put back
    assert _files(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["run"]


def test_ctrl_c_during_the_swap_waits_for_it_to_finish(old_run, monkeypatch):
    out, before = old_run
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers can only be set in the main thread")
    # Ctrl-C raises KeyboardInterrupt here, also where the test runner ignores SIGINT (xdist)
    before_handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    calls, real = [], os.rename

    def rename(src, dst):
        real(src, dst)
        calls.append(dst)
        if len(calls) == 1:                 # between "old run aside" and "new run in"
            os.kill(os.getpid(), signal.SIGINT)
    monkeypatch.setattr(folders.os, "rename", rename)
    try:
        assert main([*FAST, "--seed", "2", "--out", str(out)]) == 130
    finally:
        signal.signal(signal.SIGINT, before_handler)
    assert len(calls) == 2                  # the interrupt waited for the second rename
    after = _files(out)
    assert after != before and set(after) == set(before)      # the new run, whole
    history = json.loads(after["history.json"])
    assert Classifier.load(out / "model").history_ == history
    assert sorted(p.name for p in out.parent.iterdir()) == ["run"]


def test_a_new_run_replaces_the_previous_one_whole_and_through_a_symlink(old_run, tmp_path):
    out, before = old_run
    (out / "generated.png").write_bytes(b"made by nplearn generate from the old model")
    link = tmp_path / "latest"
    link.symlink_to(out)
    assert main([*FAST, "--seed", "2", "--out", str(link)]) == 0
    assert link.is_symlink() and link.resolve() == out.resolve()
    after = _files(out)
    assert set(after) == set(before) and after["history.json"] != before["history.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "run"]


@pytest.mark.parametrize("make, words", [
    (lambda t: (t / "f").write_text("x") and t / "f", ["is a file, not a folder"]),
    (lambda t: (t / "f").write_text("x") and t / "f" / "sub" / "run",
     ["is a file, so no folder can be made under it"]),
    (lambda t: (t / "mine").mkdir() or (t / "mine" / "notes.txt").write_text("x") and t / "mine",
     ["holds files that `nplearn train` did not write (notes.txt)", "a new or an empty folder"]),
])
def test_an_out_that_cannot_be_written_is_refused_before_training(tmp_path, monkeypatch, capsys,
                                                                  make, words):
    out = make(tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    calls = _count_training(monkeypatch)
    assert main([*FAST, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert not calls                                          # refused before any epoch
    assert f"--out {out}" in err and "Traceback" not in err
    for w in words:
        assert w in err
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_folders_left_by_a_killed_run_are_named(old_run, capsys):
    out, _ = old_run
    left = out.parent / ".run.old-99999-abcd"
    left.mkdir()
    assert folders.leftovers(out) == [left]
    assert main([*FAST, "--out", str(out)]) == 0
    assert f"{left} was left by a train run into {out} that was killed" in \
        capsys.readouterr().err
    assert left.is_dir()                                      # never deleted for the user


def test_compare_and_sweep_refuse_an_out_under_a_file_before_training(tmp_path, monkeypatch,
                                                                       capsys):
    from nplearn.experiments.sweep import sweep
    (tmp_path / "f").write_text("x")
    calls = _count_training(monkeypatch)
    monkeypatch.setattr(Classifier, "fit", _fail_on_call(AssertionError("trained")))
    assert main(["compare", "--rules", "bp", "--seeds", "0", "--epochs", "1",
                 "--out", str(tmp_path / "f" / "results")]) == 1
    assert f"{tmp_path / 'f'} is a file" in capsys.readouterr().err
    with pytest.raises(ValueError, match="is a file"):
        sweep({"grid": {"rule": ["bp"]}, "seeds": [0]}, n_jobs=1, out=tmp_path / "f")
    assert not calls and (tmp_path / "f").read_text() == "x"
