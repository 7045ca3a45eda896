"""Every tutorial follows the skeleton of STYLE.md rule 9 and is stored without outputs.

The notebooks are EXECUTED (with FAST=1) by the docs build in .ci/run, which fails on
any cell error; these checks are the cheap, static part.
"""
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "tutorials").glob("*.ipynb"))


def test_there_are_tutorials():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_stripped(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_skeleton(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    first = nb.cells[0].source
    assert first.startswith("# Tutorial"), "title first"
    assert "You will" in first and "(20" in first, "citation and 'You will:' in the first cell"
    for part in ("Optional: derivation", "Exercises", "Further reading", "## 1.",
                 "np.allclose", "assert ", 'os.environ.get("FAST"'):
        assert part in text, f"{path.name} lacks {part!r}"
