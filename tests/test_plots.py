"""Every plot function runs headless on recorded-style inputs and draws a non-blank image."""
import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.text import Text

from nplearn.analysis import weight_histograms
from nplearn.plot import (plot_embedding_grid, plot_feedback_angles, plot_learning_curves,
                          plot_update_angles, plot_weight_histograms, plot_weight_norms, savefig)
from nplearn.plot import plot_early_exits, plot_loop_angles, plot_setting_curves, plot_step
from nplearn.plot.curves import paper_value
from nplearn.plot.style import MAX_WIDTH_IN, MIN_FONT_PT
from nplearn.plot.trace import step_panels
from nplearn import Classifier
from nplearn.rules import RULES

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
    """Saved without a layout warning, not blank, no wider than a page, no tiny text."""
    assert isinstance(fig, Figure)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                 # e.g. "constrained_layout not applied"
        png, svg = savefig(fig, path)
    assert svg.is_file() and svg.stat().st_size > 1000
    assert imread(png).std() > MIN_STD
    assert fig.get_size_inches()[0] <= MAX_WIDTH_IN + 1e-9
    small = [(t.get_text(), t.get_fontsize()) for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip() and t.get_fontsize() < MIN_FONT_PT]
    assert not small, small


def legend_labels(fig):
    """Every legend's texts: the figure's and the axes' (the spare cell's)."""
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    return [t.get_text() for lg in legends for t in lg.get_texts()]


@pytest.fixture
def records(rng):
    return {"bp": [fake_record(rng, bp=True)], "fa": [fake_record(rng), fake_record(rng)],
            "dfa": [fake_record(rng), fake_record(rng, n_records=4)]}   # one shorter seed


@pytest.mark.parametrize("band", ["samples", "seeds"])
def test_update_angles(records, band, rng, tmp_path):
    no_delta = fake_record(rng, feedback=False)
    no_delta["update_angle_mean"] = no_delta["update_angle_std"] = [[] for _ in range(6)]
    fig = plot_update_angles({**records, "efp": [no_delta]},
                             steps_per_epoch={"fa": 10, "dfa": 10, "efp": 10}, band=band)
    assert len(fig.axes) == 2                       # one panel per hidden layer
    assert legend_labels(fig) == ["FA", "DFA"]      # BP (0 deg) and EFP (no delta_l) left out
    assert fig.axes[0].get_ylim() == (0, 180) and fig.axes[0].get_xlabel() == "epoch"
    assert_drawn(fig, tmp_path / "angles")
    assert all(float(t).is_integer() for t in fig.axes[0].get_xticks())   # whole epochs
    with pytest.raises(ValueError, match="band"):
        plot_update_angles(records, band="nope")
    with pytest.raises(ValueError, match="BP only"):
        plot_update_angles({"bp": records["bp"]})


def test_feedback_angles_and_norms(records, tmp_path):
    fig = plot_feedback_angles(records)
    assert [ax.get_title() for ax in fig.axes if ax.axison] == ["feedback matrix B1",
                                                                 "feedback matrix B2"]
    assert fig.axes[0].get_xlabel() == "optimiser step"
    assert_drawn(fig, tmp_path / "feedback")
    fig = plot_weight_norms(records, steps_per_epoch=10)
    assert sum(ax.axison for ax in fig.axes) == 3   # one panel per weight layer
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
    assert [ax.get_title() for ax in fig.axes if ax.axison] == ["W1: 160 weights",
                                                                 "W2: 60 weights"]
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
    titles = [ax.get_title() for ax in fig.axes if ax.axison]
    assert titles[0] == "BP · input\n5-NN accuracy 50.0 %"      # inputs differ: one row a rule
    assert "DFA · hidden layer 1\n5-NN accuracy 70.0 %" in titles
    assert all(not ax.get_xticks().size for ax in fig.axes if ax.axison)
    assert sum(not ax.axison for ax in fig.axes) == 1              # DFA has no h2
    assert_drawn(fig, tmp_path / "grid")


def test_embedding_grid_draws_a_shared_input_once(rng, tmp_path):
    labels = np.repeat(np.arange(4), 10)
    z = lambda: rng.normal(size=(40, 2))
    x = z()
    emb = {r: [x, z(), z()] for r in ("bp", "fa", "dfa", "ifa", "bfa")}
    fig = plot_embedding_grid(emb, labels)
    titles = [ax.get_title() for ax in fig.axes if ax.axison]
    assert sum("input" in t for t in titles) == 1 and titles[0] == "input"
    assert len(titles) == 1 + 2 * 5 and all(" · hidden layer " in t for t in titles[1:])
    assert fig.get_size_inches()[0] <= MAX_WIDTH_IN + 1e-9
    assert_drawn(fig, tmp_path / "shared")
    for ax in fig.axes[1:]:
        if ax.get_legend():
            assert ax.get_legend().get_title().get_text() == "class"   # in the spare cell


def test_learning_curves_draw(tmp_path):
    h = {"epoch": [1, 2, 3, 4, 5], "train_error": [0.5, 0.2, 0.1, 0.08, 0.07],
         "val_error": [0.6, 0.3, 0.2, 0.15, 0.12], "test_error": [0.6, 0.3, 0.25, 0.2, 0.18]}
    rules = ["bp", "fa", "dfa", "ifa", "bfa", "bdfa", "ep", "efp", "pepita", "sigprop",
             "sigprop_ct"]
    fig = plot_learning_curves({r: [h] for r in rules})
    assert_drawn(fig, tmp_path / "curves")
    assert legend_labels(fig) == [r.upper() for r in rules]     # in the grid's empty cell
    lines = [(l.get_color(), l.get_linestyle()) for l in fig.axes[0].get_lines()]
    assert len(set(lines)) == len(rules)            # no two rules look alike
    assert not fig.texts and fig._suptitle is None  # one seed: no "mean over 1 seed"
    for ax in fig.axes[:3]:
        assert all(float(t).is_integer() for t in ax.get_xticks())
        labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert not any("10^" in s or "times" in s for s in labels), labels
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["1", "2", "5", "10", "20",
                                                                     "50"]
    fig = plot_learning_curves({"bp": [h, h]})
    assert fig._suptitle.get_text() == "mean over 2 seeds, band min to max"


def test_setting_curves_mark_the_paper(tmp_path):
    h = {"epoch": [1, 2, 3], "test_error": [0.5, 0.2, 0.1]}
    histories = {f"{n}x800 Tanh": {"BP": [h], "FA": [h, h], "DFA": [h]} for n in (1, 2, 3, 4)}
    paper = {s: {"BP": 1.6, "FA": None, "DFA": paper_value("1.70 ± 0.04 (0.02)")}
             for s in histories}
    fig = plot_setting_curves(histories, {"BP": "bp", "FA": "fa", "DFA": "dfa"}, paper)
    data = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in data] == list(histories)   # a panel per setting
    dotted = [l for l in data[0].get_lines() if l.get_linestyle() == ":"]
    assert sorted(l.get_ydata()[0] for l in dotted) == [1.6, 1.7]
    assert legend_labels(fig) == ["BP", "FA", "DFA", "the paper's number"]
    assert_drawn(fig, tmp_path / "settings")
    assert paper_value("-") is None and paper_value("98.05") == 98.05
    assert paper_value("about 11") == 11.0 and paper_value("not printed") is None
    with pytest.raises(ValueError, match="no setting"):
        plot_setting_curves({"x": {"BP": [None]}})


def test_loop_angles_from_either_recorder(rng, tmp_path):
    loop = [{"W2": 90 - i, "W3": 85 - 2 * i, "W_loop": 80 - 3 * i} for i in range(5)]
    align = {"step": [0, 10, 20, 30, 40], "epoch": [0, 1, 2, 3, 4], "feedback_angle": loop}
    hopfield = {"step": align["step"], "epoch": align["epoch"], "loop_angle": loop}
    for name, hs in (("one", align), ("seeds", [align, hopfield]),
                     ("rules", {"efp": [align], "sigprop_ct": [hopfield]})):
        fig = plot_loop_angles(hs)
        assert legend_labels(fig) == ["W2ᵀ vs rest of loop", "W3ᵀ vs rest of loop",
                                      "W_loopᵀ vs rest of loop"]
        assert_drawn(fig, tmp_path / name)
    assert [ax.get_title() for ax in fig.axes if ax.axison] == ["EFP", "SIGPROP_CT"]
    dfa = {"step": [0, 10], "epoch": [0, 1], "feedback_angle": [{"B1": 80}, {"B1": 70}]}
    with pytest.raises(ValueError, match="no loop angles"):
        plot_loop_angles({"dfa": [dfa]})


def test_loop_angles_draw_one_grey_line_per_path_behind(tmp_path):
    loop = [{"W2": 90 - i, "W3": 85 - 2 * i, "W_loop": 80 - 3 * i} for i in range(5)]
    paths = [[80 - 3 * i + d for d in (-9, -3, 4, 8)] for i in range(5)]   # 4 input neurons
    h = {"step": [0, 10, 20, 30, 40], "epoch": [0, 1, 2, 3, 4], "loop_angle": loop,
         "loop_path_angle": paths}
    fig = plot_loop_angles([h, {**h, "loop_path_angle": [[] for _ in paths]}])  # 2 seeds
    ax = next(a for a in fig.axes if a.axison)
    grey = [l for l in ax.get_lines() if l.get_color() == "0.75"]
    blue = [l for l in ax.get_lines() if l.get_linestyle() == "-" and l not in grey]
    assert len(grey) == 4 and len(blue) == 3                 # one seed recorded paths
    assert all(g.get_zorder() < b.get_zorder() for g in grey for b in blue)
    assert sorted(g.get_ydata()[0] for g in grey) == [71, 77, 84, 88]
    np.testing.assert_array_equal(grey[2].get_ydata(), [84, 81, 78, 75, 72])
    assert legend_labels(fig)[0] == "W_loopᵀ, one input-receiving neuron"
    assert_drawn(fig, tmp_path / "paths")
    fig = plot_loop_angles([h, h])                           # each seed's paths
    ax = next(a for a in fig.axes if a.axison)
    assert len([l for l in ax.get_lines() if l.get_color() == "0.75"]) == 8


def test_early_exits(tmp_path):
    h = {"epoch": [0, 1, 2, 3], "exit_error": [[0.9, 0.9, 0.9], [0.3, 0.2, 0.5],
                                                [0.1, 0.08, 0.2], [0.05, 0.04, 0.1]],
         "update_angle": [[80, 85, 40], [70, 60, 45], [60, 55, 40], [55, 50, 38]]}
    fig = plot_early_exits([h, h])
    assert legend_labels(fig) == ["layer 1", "layer 2", "layer 3 (output)"]
    assert len(fig.axes) == 2 and fig.axes[1].get_ylim() == (0, 180)
    assert_drawn(fig, tmp_path / "exits")
    assert len(plot_early_exits(h, angles=False).axes) == 1
    with pytest.raises(ValueError, match="EarlyExitRecorder"):
        plot_early_exits({"epoch": [], "exit_error": []})


@pytest.mark.parametrize("rule", [r for r in RULES if not r.startswith("snn_")])
def test_one_traced_step_of_every_rule(rule, tmp_path):
    clf = Classifier(rule=rule, hidden_sizes=(6, 5), random_state=0)
    X, y = np.random.default_rng(0).random((5, 12)), np.array([0, 1, 2, 1, 0])
    record = clf.trace_step(X, y)
    panels = step_panels(record, rule)
    assert panels and all(p.array.ndim == 2 for p in panels)
    assert all(p.equation for p in panels), [p.key for p in panels if not p.equation]
    assert {p.row for p in panels} >= {"forward pass", "update"}
    assert all("Eq." in p.equation for p in panels if p.row == "update")
    fig = plot_step(record, rule)
    assert_drawn(fig, tmp_path / rule)


def test_traced_step_names_and_adapter():
    clf = Classifier(rule="dfa", hidden_sizes=(6, 5), random_state=0)
    record = clf.trace_step(np.random.default_rng(0).random((5, 12)), np.array([0, 1, 2, 1, 0]))
    by_key = {p.key: p for p in step_panels(record, "dfa")}
    assert by_key["delta_1"].symbol == r"\delta_{1} = (B_{1} e) \odot f^\prime(a_{1})"
    assert by_key["delta_1"].equation == "DFA Eq. (8)" and by_key["delta_1"].col == 1
    assert by_key["dW_3"].equation == "DFA Eq. (10)" and by_key["dW_3"].row == "update"
    assert "a_1" not in by_key and "db_1" not in by_key          # left out: a_l, biases
    record["W_1_before"] = np.ones((6, 12))                       # a key the adapter lacks
    assert "W_1_before" in {p.key for p in step_panels(record, "dfa")}
    with pytest.raises(ValueError, match="no matrices"):
        plot_step({"loss": 1.0}, "snn_bp")


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
