"""report.html: self-contained, one embedded PNG per figure, the results table; redrawing."""
import html
import re

import numpy as np
import pytest

from nplearn.experiments import compare
from nplearn.experiments.figures import FIGURES, available, draw, load_run, save_figures, spec
from nplearn.experiments.report import (SETTINGS_PER_TABLE, alignment_rows, recording_line,
                                        summary_table, write_report)
from nplearn.experiments.reproduce import reproduce

IMG = '<img alt="{}" src="data:image/png;base64,'
TINY = dict(epochs=2, hidden_sizes=(16, 16), progress=False)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp")
    compare("digits", rules=["bp", "fa", "dfa", "ifa"], seeds=(0, 1), embed="pca",
            embed_samples=100, out_dir=out, **TINY)
    return out


def assert_self_contained(text):
    assert not re.search(r"""(src|href)\s*=\s*(?!["']?data:)""", text), "external reference"
    assert "<script" not in text and "@import" not in text and "url(" not in text


def test_report_has_every_figure_and_the_table(run_dir):
    text = (run_dir / "report.html").read_text()
    result = load_run(run_dir)
    shown = available(result)
    assert shown == [k for k in FIGURES if k != "loop"]           # no EFP / sigprop_ct here
    assert text.count('src="data:image/png;base64,') == len(shown)
    for key in shown:
        s = spec(key, result)
        assert text.count(IMG.format(s.heading)) == 1 and html.escape(s.caption) in text
    assert "mean over 1 seed" not in text
    for rule in ("BP", "FA", "DFA", "IFA"):
        assert f'<tr><td class="rule">{rule}</td>' in text      # results and angle tables
    assert "below 90° the rule" in text and "digits" in text and "1293 training" in text
    assert_self_contained(text)


def test_alignment_rows_start_and_end(run_dir):
    rows = alignment_rows(load_run(run_dir))
    quantities = {(r, q) for r, q, _, _ in rows}
    assert ("dfa", "update δ1") in quantities and ("fa", "feedback B2") in quantities
    assert not any(r == "bp" for r, *_ in rows)                  # BP vs itself: 0, left out
    for _, _, (s, a), (t, b) in rows:
        assert s < t and 0 <= a <= 180 and 0 <= b <= 180


def test_redraw_from_saved_run_without_retraining(run_dir, tmp_path):
    result = load_run(run_dir)
    assert available(result) == [k for k in FIGURES if k != "loop"]
    files, pngs = save_figures(result, tmp_path, keys=["tsne", "weights"])
    assert sorted(f.name for f in files) == ["embeddings.png", "embeddings.svg",
                                             "weight_histograms.png", "weight_histograms.svg"]
    path = write_report(tmp_path, result, pngs)                    # draws the other four
    assert path.read_text().count("data:image/png;base64,") == len(FIGURES) - 1


def test_no_record_and_no_embedding_leave_those_figures_out(tmp_path):
    result = compare("digits", rules=["bp", "dfa"], seeds=(0,), record=False, embed="none",
                     out_dir=tmp_path, **TINY)
    assert available(result) == ["curves", "weights"]
    assert not (tmp_path / "update_angles.png").exists()
    assert not (tmp_path / "embeddings.npz").exists()
    text = (tmp_path / "report.html").read_text()
    assert text.count("data:image/png;base64,") == 2
    assert "recording (% of time)" not in text and "k-NN" not in text   # empty columns: out
    with pytest.raises(ValueError, match="--no-record"):
        draw("angles", result)


def test_tsne_on_a_small_subset(tmp_path):
    result = compare("digits", rules=["dfa"], seeds=(0,), record=False, embed="tsne",
                     embed_samples=60, out_dir=tmp_path, **TINY)
    emb = result["embedding"]
    assert emb["method"] == "tsne" and emb["n_samples"] == 60
    assert emb["columns"] == ["input", "h1", "h2"]
    labels = result["embedding_coords"]["labels"]
    assert np.bincount(labels).min() >= 5                         # stratified: 6 per class
    assert all(0 <= v <= 1 for v in emb["knn"]["dfa"].values())
    assert "t-SNE" in (tmp_path / "report.html").read_text()
    back = load_run(tmp_path)["embedding_coords"]
    np.testing.assert_array_equal(back["labels"], labels)
    np.testing.assert_allclose(back["maps"]["dfa"][2], result["embedding_coords"]["maps"]["dfa"][2])


def test_rules_without_update_angles_or_with_a_loop(tmp_path):
    result = compare("digits", rules=["dfa", "efp", "sigprop"], seeds=(0,), embed="none",
                     out_dir=tmp_path, epochs=1, hidden_sizes=(12, 12), progress=False)
    assert available(result) == ["curves", "angles", "feedback", "loop", "norms", "weights"]
    caption = spec("angles", result).caption
    assert "EFP, SIGPROP: no curve" in caption and "EFP Eq. 5-6" in caption
    legend = lambda fig: [t.get_text() for lg in fig.legends for t in lg.get_texts()]
    assert legend(draw("angles", result)) == ["DFA"]               # only the drawn rules
    assert legend(draw("feedback", result)) == ["DFA"]             # EFP's loop: its own figure
    loop = draw("loop", result)
    assert [ax.get_title() for ax in loop.axes if ax.axison] == ["EFP"]
    assert "W_loopᵀ vs rest of loop" in legend(loop)
    text = (tmp_path / "report.html").read_text()
    assert "Loop alignment (EFP paper, Fig. 5" in text and "feedback W_loop" in text


def test_terminal_table_and_recording_line(run_dir):
    result = load_run(run_dir)
    lines = summary_table(result["summary"], result["runs"]).splitlines()
    head = lines[0].split("  ")
    assert [h.strip() for h in head if h.strip()][:5] == [
        "rule", "epochs", "test error", "validation error", "training error"]
    assert "rec." not in lines[0] and "recording" in lines[0] and "every" not in lines[0]
    assert lines[-3].startswith("errors in %: mean ± standard deviation")
    assert lines[2].startswith("bp") and lines[2].count("±") == 3   # test, val and train
    assert " 2 " in lines[2]                                       # the epochs column
    assert "→" in lines[2]
    line = recording_line(result)
    assert "once an epoch on 128 training samples" in line and "steps" not in line
    lines = summary_table(result["summary"]).splitlines()           # no runs: no epochs column
    assert "epochs" not in lines[0]


def test_settings_tables_are_at_most_six_rules_wide():
    kw = {"activation": "tanh", "epochs": 2, "hidden_sizes": (8,)}
    settings = {f"r{i}": {**kw, "rule": f"r{i}", "learning_rate": 0.1 * i} for i in range(8)}
    result = {"dataset": {"name": "d", "n_train": 1, "n_val": 1, "n_test": 1, "n_features": 1,
                          "n_classes": 2}, "seeds": [0], "settings": settings, "runs": [],
              "summary": {}, "record": None, "embedding": None}
    from nplearn.experiments.report import _settings_tables
    text = _settings_tables(result)
    assert text.count("<table>") == 3                               # shared, 1-6, 7-8
    assert "(1-6 of 8)" in text and "(7-8 of 8)" in text
    widest = max(t.split("</tr>")[0].count("<th") for t in text.split("<table>")[1:])
    assert widest == 1 + SETTINGS_PER_TABLE


def test_reproduce_report_names_its_paper_and_draws_a_panel_per_network(tmp_path):
    result = reproduce("bfa-table1", seeds=1, epochs=1, out_dir=tmp_path, progress=False)
    text = (tmp_path / "report.html").read_text()
    assert "<h1>nplearn reproduce: BFA/BDFA Table 1: MNIST test error</h1>" in text
    assert "BFA/BDFA Table 1: the paper's numbers and ours" in text
    assert "Test error of every network of BFA/BDFA Table 1" in text
    assert "PEPITA" not in text and "mean over 1 seed" not in text
    assert text.count("data:image/png;base64,") == 1                # no weight histograms
    fig = draw("curves", load_run(tmp_path))
    panels = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title().split("\n")[0] for ax in panels] == [
        "1x400", "1x800", "2x400", "2x800", "3x400", "3x800"]
    paper = [l.get_ydata()[0] for l in panels[0].get_lines() if l.get_linestyle() == ":"]
    assert sorted(paper) == [1.95, 2.90, 3.24, 3.75, 3.75]          # the paper's row 1x400
    assert result["results"]["digits"]["table"]["name"] == "bfa-table1"


def test_trace_command_writes_png_svg_and_a_self_contained_page(tmp_path, capsys):
    from nplearn.cli import main
    assert main(["trace", "--rule", "dfa", "--hidden", "6", "5", "--samples", "4",
                 "--out", str(tmp_path)]) == 0
    assert "trace.html" in capsys.readouterr().out
    assert {p.name for p in tmp_path.iterdir()} == {"trace.png", "trace.svg", "trace.html"}
    text = (tmp_path / "trace.html").read_text()
    assert_self_contained(text.replace("<style>", "").replace("</style>", ""))
    assert text.count("data:image/png;base64,") == 1 and "DFA Eq. (8)" in text
    assert main(["trace", "--rule", "dfa", "--samples", "0", "--out", str(tmp_path)]) == 1
    assert "--samples" in capsys.readouterr().err
