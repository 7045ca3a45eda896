"""The signed output error of the Hopfield rules (stats["output_error"]) and the experiment of
EFP Fig. 4, nplearn.experiments.output_error."""
import copy
import json

import numpy as np
import pytest

from nplearn.cli import main
from nplearn.experiments import output_error as oe
from nplearn.optim import get_optimizer
from nplearn.train import build, train_step
from nplearn.train.loop import one_hot


@pytest.fixture
def batch():
    rng = np.random.default_rng(3)
    return rng.uniform(0, 1, size=(7, 8)), one_hot(np.arange(7) % 3, 3)


@pytest.mark.parametrize("rule, params", [("ep", {}), ("efp", {"update": "chl"}),
                                          ("efp", {"num_loops": 3})])
def test_output_error_is_the_mean_of_s_free_L_minus_d_of_the_traced_step(rule, params, batch):
    x, Y = batch
    model, r = build(rule, 8, 3, (5, 4), rng=0, rule_params=params)
    opt = get_optimizer("sgd", 1.0)
    # one of train_step's output errors must be mean(s_free_3 - Y) of the same traced step
    twin = copy.deepcopy((model, r, opt))
    stats = train_step(model, r, opt, x, Y, rng=np.random.default_rng(5), idx=np.arange(7))
    rec = train_step(*twin, x, Y, rng=np.random.default_rng(5), idx=np.arange(7), trace=True)
    want = [float(np.mean(c["s_free_3"] - Y)) for c in rec.calls]
    assert stats["output_error"] == pytest.approx(want[0], rel=1e-12, abs=1e-15)
    assert abs(stats["output_error"]) > 1e-3                 # a real number, not a zero
    if len(want) > 1:                                        # EFP's loop: the last call's too
        assert stats["last_call"]["output_error"] == pytest.approx(want[-1], rel=1e-12)
        assert stats["last_call"]["output_error"] != pytest.approx(want[0], rel=1e-6)
    else:
        assert "last_call" not in stats


def test_chunks_are_consecutive_means_and_spreads():
    v = [0.0, 2.0, 1.0, 1.0, -3.0, 3.0]
    m, sd = oe.chunk(v, 3)
    np.testing.assert_allclose(m, [1.0, 1.0, 0.0])
    np.testing.assert_allclose(sd, [1.0, 0.0, 3.0])
    with pytest.raises(ValueError, match="4 equal chunks"):
        oe.chunk(v, 4)


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setitem(oe.SCALES, "cpu", {**oe.SCALES["cpu"], "hidden_sizes": (6, 5)})
    monkeypatch.setattr(oe, "N_BATCHES", 200)              # 100 chunks of 2


def test_fig4_runs_both_algorithms_on_the_same_minibatches(tiny):
    r = oe.output_error("cpu", n_batches=140, n_chunks=7)    # over 2 epochs of 64 minibatches
    assert set(r["runs"]) == {"fp", "ep"} and r["n_train"] == 1293
    for name, run in r["runs"].items():
        assert len(run["output_error"]) == 140 and len(run["n_errors"]) == 140
        assert all(0 <= w <= 20 for w in run["n_errors"])
        assert 0 <= run["val_error"] <= 1
    assert len(r["runs"]["fp"]["output_error_first"]) == 140
    assert "output_error_first" not in r["runs"]["ep"]
    assert r["settings"]["fp"]["rule_params"]["update"] == "chl"
    steps = {k: s["n_free"] * s.get("rule_params", {}).get("num_loops", 1)
             + s["n_clamped"] * s.get("rule_params", {}).get("num_loops", 1)
             for k, s in r["settings"].items()}
    assert steps == {"fp": 28, "ep": 28}                     # the caption's 28 Euler steps
    s = oe.summary(r)
    assert 0 <= s["fp_closer"] <= 1 and s["fp"]["std"] > 0
    assert all(1 <= run["classes_predicted"] <= 10 for run in r["runs"].values())
    with pytest.raises(ValueError, match="must divide"):
        oe.output_error("cpu", n_batches=140, n_chunks=6)


def test_fig4_command_writes_its_files(tiny, tmp_path, capsys):
    assert main(["reproduce", "efp-fig4", "--out", str(tmp_path)]) == 0
    assert "FP (loop network, EP's update)" in capsys.readouterr().out
    assert {p.name for p in tmp_path.iterdir()} >= {"output_error.png", "output_error.svg",
                                                    "result.json", "summary.md"}
    saved = json.loads((tmp_path / "result.json").read_text())
    assert saved["n_batches"] == 200 and len(saved["runs"]["ep"]["output_error"]) == 200
    assert main(["reproduce", "efp-fig4", "--epochs", "2", "--out", str(tmp_path / "b")]) != 0
    assert "no --epochs" in capsys.readouterr().err and not (tmp_path / "b").exists()
