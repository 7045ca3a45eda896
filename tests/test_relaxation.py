"""EFP Sec. 5.2's relaxation-length experiment, nplearn.experiments.relaxation."""
import json

import numpy as np
import pytest

from nplearn.cli import main
from nplearn.experiments import relaxation as rx


def test_shortest_within_against_hand_values():
    n = [2, 4, 8, 16, 32]
    err = [0.50, 0.12, 0.105, 0.10, 0.11]
    assert rx.shortest_within(n, err, margin=0.0) == 16
    assert rx.shortest_within(n, err, margin=0.005) == 8         # 0.105 <= 0.10 + 0.005
    assert rx.shortest_within(n, err, margin=0.02) == 4
    assert rx.shortest_within(n, err, margin=0.5) == 2
    # order-free, and inf / nan (diverged) never count, even as "the best"
    assert rx.shortest_within(n[::-1], err[::-1], margin=0.005) == 8
    assert rx.shortest_within([2, 4, 8], [np.inf, 0.3, np.nan], margin=1.0) == 4
    assert rx.shortest_within([2, 4], [np.inf, np.nan]) is None
    with pytest.raises(ValueError, match="one length"):
        rx.shortest_within([2, 4], [0.1])
    with pytest.raises(ValueError, match="margin"):
        rx.shortest_within([2], [0.1], margin=-0.1)


def test_final_error_means_the_last_epochs_and_diverged_is_inf():
    e = {"val_error": [0.9, 0.3, 0.1], "diverged": False}
    assert rx.final_error(e, last=2) == pytest.approx(0.2)
    assert rx.final_error(e, last=1) == pytest.approx(0.1)
    assert rx.final_error({**e, "diverged": True}) == np.inf
    assert rx.final_error({"val_error": [0.5], "diverged": False}, last=2) == np.inf


TINY = {"fp": (2, 5), "ep": (3, 6, 12)}


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setitem(rx.SCALES, "cpu", {**rx.SCALES["cpu"], "width": 6, "epochs": 2})
    monkeypatch.setattr(rx, "GRIDS", TINY)


def test_the_grid_runs_the_lengths_it_says(tiny, monkeypatch):
    built, build = [], rx.build

    def spy(rule_name, n_in, n_out, hidden, **kw):         # the n_free each rule runs with
        model, rule = build(rule_name, n_in, n_out, hidden, **kw)
        built.append((rule_name, len(hidden), rule.dynamics()["n_free"], rule.steps_per_batch))
        return model, rule

    monkeypatch.setattr(rx, "build", spy)
    r = rx.relaxation("cpu", depths=(1, 2))
    assert built == [("efp", d, n, 2) for d in (1, 2) for n in TINY["fp"]] + [
        ("ep", d, n, 1) for d in (1, 2) for n in TINY["ep"]]
    assert r["grids"] == TINY and r["epochs"] == 2 and r["n_train"] == 1293
    for name, grid in TINY.items():
        assert set(r["runs"][name]) == {"1", "2"}
        for depth, entries in r["runs"][name].items():
            assert [e["n_free"] for e in entries] == list(grid)
            for e in entries:
                assert len(e["val_error"]) == 2 and len(e["seconds"]) == 2
                assert all(0 <= v <= 1 for v in e["val_error"]) and not e["diverged"]
    # the settings are the rules' depth defaults, n_free left out (it is the grid)
    assert r["settings"]["ep"]["1"]["n_clamped"] == 4 and r["settings"]["ep"]["2"]["n_clamped"] == 6
    assert r["settings"]["fp"]["2"]["rule_params"] == {"num_loops": 2}
    assert "n_free" not in r["settings"]["ep"]["2"]
    s = rx.summary(r)
    for name, grid in TINY.items():
        assert s[name]["1"]["shortest"] in grid and len(s[name]["2"]["error"]) == len(grid)
    with pytest.raises(ValueError, match="unknown algorithms"):
        rx.relaxation("cpu", grids={"bp": (2,)})


def test_relaxation_command_writes_its_files(tiny, tmp_path, capsys):
    assert main(["reproduce", "efp-relaxation", "--epochs", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "shortest n_free" in out and "FP (efp, loop of 2)" in out
    assert {p.name for p in tmp_path.iterdir()} >= {"relaxation.png", "relaxation.svg",
                                                    "result.json", "summary.md"}
    saved = json.loads((tmp_path / "result.json").read_text())
    assert [e["n_free"] for e in saved["runs"]["ep"]["3"]] == [3, 6, 12]
    assert saved["depths"] == [1, 2, 3]
