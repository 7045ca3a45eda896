"""Every plot function runs headless on recorded-style inputs and draws a non-blank image."""
import json
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread

from nplearn.analysis import weight_histograms
from nplearn.plot import (plot_embedding_grid, plot_feedback_angles, plot_learning_curves,
                          plot_update_angles, plot_weight_histograms, plot_weight_norms, savefig)

MIN_STD = 0.02   # pixel standard deviation of a PNG that shows something (blank: 0)


def fake_record(rng, n_records=6, n_hidden=2, feedback=True, bp=False):
    """An AlignmentRecorder-like history: angles falling from ~90 deg, norms growing."""
    t = np.arange(n_records)
    mean = 0.0 * t[:, None] + np.zeros(n_hidden) if bp else \
        90 - 40 * (1 - np.exp(-t / 2))[:, None] + rng.normal(0, 2, (n_records, n_hidden))
    mean = mean.tolist()
    if not bp:
        mean[0] = [None] * n_hidden       # zero initial weights: undefined, null in runs.json
    return {"step": (10 * t).tolist(), "epoch": t.tolist(),
            "update_angle_mean": mean,
            "update_angle_std": np.full((n_records, n_hidden), 12.0).tolist(),
            "weight_angle": (40 + rng.random((n_records, n_hidden + 1))).tolist(),
            "feedback_angle": [{f"B{l + 1}": 90 - 5 * i for l in range(n_hidden)}
                               if feedback and not bp else {} for i in t.tolist()],
            "weight_norm": (np.sqrt(t + 1)[:, None] * np.arange(1, n_hidden + 2)).tolist()}


def assert_drawn(fig, path):
    assert isinstance(fig, Figure)
    png, svg = savefig(fig, path)
    assert svg.is_file() and svg.stat().st_size > 1000
    assert imread(png).std() > MIN_STD


@pytest.fixture
def records(rng):
    return {"bp": [fake_record(rng, bp=True)], "fa": [fake_record(rng), fake_record(rng)],
            "dfa": [fake_record(rng), fake_record(rng, n_records=4)]}   # one shorter seed


@pytest.mark.parametrize("band", ["samples", "seeds"])
def test_update_angles(records, band, tmp_path):
    fig = plot_update_angles(records, steps_per_epoch={"fa": 10, "dfa": 10}, band=band)
    assert len(fig.axes) == 2                       # one panel per hidden layer
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels == ["FA", "DFA"]                  # BP (0 deg against itself) left out
    assert fig.axes[0].get_ylim() == (0, 180) and fig.axes[0].get_xlabel() == "epoch"
    assert_drawn(fig, tmp_path / "angles")
    with pytest.raises(ValueError, match="band"):
        plot_update_angles(records, band="nope")
    with pytest.raises(ValueError, match="BP only"):
        plot_update_angles({"bp": records["bp"]})


def test_feedback_angles_and_norms(records, tmp_path):
    fig = plot_feedback_angles(records)
    assert [ax.get_title() for ax in fig.axes] == ["feedback matrix B1", "feedback matrix B2"]
    assert fig.axes[0].get_xlabel() == "optimiser step"
    assert_drawn(fig, tmp_path / "feedback")
    fig = plot_weight_norms(records, steps_per_epoch=10)
    assert len(fig.axes) == 3                       # one panel per weight layer
    assert_drawn(fig, tmp_path / "norms")
    with pytest.raises(ValueError, match="feedback"):
        plot_feedback_angles({"bp": records["bp"]})
    with pytest.raises(ValueError, match="no recorded history"):
        plot_weight_norms({"bp": [None]})


def test_plots_read_json_round_trip(records, tmp_path):
    back = json.loads(json.dumps(records))          # as read from runs.json
    assert_drawn(plot_update_angles(back), tmp_path / "a")


def test_weight_histograms(rng, tmp_path):
    def params():
        return {"W1": rng.normal(0, 0.1, (20, 8)), "b1": np.zeros(20),
                "W2": rng.normal(0, 0.3, (3, 20)), "b2": np.zeros(3)}
    hists = {"bp": [weight_histograms(params(), 20, (-1, 1)) for _ in range(2)],
             "dfa": weight_histograms(params(), 20, (-1, 1))}    # one dict = one seed
    fig = plot_weight_histograms(hists, log_y=True)
    assert [ax.get_title() for ax in fig.axes] == ["W1: 160 weights", "W2: 60 weights"]
    assert_drawn(fig, tmp_path / "hist")
    bad = {"bp": [weight_histograms(params(), 20, (-1, 1)), weight_histograms(params(), 10)]}
    with pytest.raises(ValueError, match="different bins"):
        plot_weight_histograms(bad)


def test_embedding_grid(rng, tmp_path):
    labels = np.repeat(np.arange(10), 12)
    centres = rng.normal(0, 5, (10, 2))
    maps = lambda spread: centres[labels] + rng.normal(0, spread, (len(labels), 2))
    emb = {"bp": [maps(3), maps(1), maps(0.5)], "dfa": [maps(3), maps(2)]}  # dfa: 1 hidden
    fig = plot_embedding_grid(emb, labels, knn={"bp": [0.5, 0.8, 0.9], "dfa": {"h1": 0.7}},
                              label_names=[f"c{i}" for i in range(10)])
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "input\n5-NN accuracy 50.0 %" and titles[4] == "5-NN accuracy 70.0 %"
    assert all(not ax.get_xticks().size for ax in fig.axes)
    assert fig.axes[0].get_ylabel() == "BP" and not fig.axes[5].axison   # empty cell
    assert_drawn(fig, tmp_path / "grid")


def test_learning_curves_draw(tmp_path):
    h = {"epoch": [1, 2, 3], "train_error": [0.5, 0.2, 0.1], "val_error": [0.6, 0.3, 0.2],
         "test_error": [0.6, 0.3, 0.25]}
    assert_drawn(plot_learning_curves({"bp": [h], "fa": [h]}), tmp_path / "curves")


def test_plotting_never_imports_pyplot_or_needs_a_display(tmp_path):
    code = f"""
import sys, numpy as np
sys.path.insert(0, {str(__file__.rsplit('/', 1)[0])!r})
from test_plots import fake_record
from nplearn.plot import plot_update_angles, plot_embedding_grid, savefig
rng = np.random.default_rng(0)
savefig(plot_update_angles({{"dfa": [fake_record(rng)]}}), {str(tmp_path / 'a')!r})
y = np.arange(20) % 10
savefig(plot_embedding_grid({{"dfa": [rng.random((20, 2))]}}, y), {str(tmp_path / 'b')!r})
assert "matplotlib.pyplot" not in sys.modules
"""
    env = {"PATH": "/usr/bin:/bin", "MPLBACKEND": "", "HOME": str(tmp_path)}   # no DISPLAY
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "a.png").is_file() and (tmp_path / "b.png").is_file()
