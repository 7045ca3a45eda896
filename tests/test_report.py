"""report.html: self-contained, one embedded PNG per figure, the results table; redrawing."""
import html
import re

import numpy as np
import pytest

from nplearn.experiments import compare
from nplearn.experiments.figures import FIGURES, available, draw, load_run, save_figures
from nplearn.experiments.report import alignment_rows, write_report

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
    assert text.count('src="data:image/png;base64,') == len(FIGURES)
    for spec in FIGURES.values():
        assert text.count(IMG.format(spec.heading)) == 1 and html.escape(spec.caption) in text
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
    assert available(result) == list(FIGURES)
    files, pngs = save_figures(result, tmp_path, keys=["tsne", "weights"])
    assert sorted(f.name for f in files) == ["embeddings.png", "embeddings.svg",
                                             "weight_histograms.png", "weight_histograms.svg"]
    path = write_report(tmp_path, result, pngs)                    # draws the other four
    assert path.read_text().count("data:image/png;base64,") == len(FIGURES)


def test_no_record_and_no_embedding_leave_those_figures_out(tmp_path):
    result = compare("digits", rules=["bp", "dfa"], seeds=(0,), record=False, embed="none",
                     out_dir=tmp_path, **TINY)
    assert available(result) == ["curves", "weights"]
    assert not (tmp_path / "update_angles.png").exists()
    assert not (tmp_path / "embeddings.npz").exists()
    text = (tmp_path / "report.html").read_text()
    assert text.count("data:image/png;base64,") == 2 and "recording overhead" in text
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
