"""The layout of docs/architecture.md holds: every import points to a lower layer."""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "docs" / "_ext"))
import layout  # noqa: E402


def test_every_package_imports_only_from_the_layers_below_it():
    graph = layout.package_graph(REPO / "nplearn")
    level = {name: k for k, names in enumerate(layout.LAYERS) for name in names}
    assert set(graph) <= set(level), set(graph) - set(level)
    upward = [(a, b) for a, targets in graph.items() for b in targets if level[b] >= level[a]]
    assert not upward, f"imports that point up or sideways: {upward}"


def test_the_scanner_sees_a_real_import_and_would_flag_an_upward_one(tmp_path):
    pkg = tmp_path / "nplearn"
    (pkg / "nn").mkdir(parents=True)
    (pkg / "rules").mkdir()
    (pkg / "nn" / "x.py").write_text("from ..rules import BP\n")
    (pkg / "rules" / "y.py").write_text("from ..nn import MLP\nfrom nplearn.nn.x import z\n")
    assert layout.package_graph(pkg) == {"nn": {"rules"}, "rules": {"nn"}}


def test_every_package_folder_is_placed_in_a_layer():
    folders = {p.name for p in (REPO / "nplearn").iterdir()
               if p.is_dir() and (p / "__init__.py").exists()}
    placed = {name for names in layout.LAYERS for name in names}
    assert folders <= placed, folders - placed
