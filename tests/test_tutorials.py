"""Every tutorial follows one skeleton (docs/tutorials/index.md) and is committed without outputs.

The notebooks are EXECUTED (with FAST=1) by the docs build in .ci/run, which fails on
any cell error; these checks are the cheap, static part. A student who runs a tutorial and
saves it, or leaves an nbconvert copy beside it, does not break them: the outputs check reads
the COMMITTED notebook when the folder is a git checkout, and copies are not sources
(``docs/_ext/tutorial_files.py``).
"""
import importlib.util
import subprocess
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).parents[1]
_spec = importlib.util.spec_from_file_location("_tutorial_files",
                                               ROOT / "docs" / "_ext" / "tutorial_files.py")
_files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_files)
NOTEBOOKS = _files.tutorial_sources(ROOT / "tutorials")


def _committed(path):
    """The notebook as committed (HEAD), or the file itself outside a git checkout."""
    rel = path.relative_to(ROOT).as_posix()
    try:
        blob = subprocess.run(["git", "-C", str(ROOT), "show", f"HEAD:{rel}"],
                              capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return nbformat.read(path, as_version=4)
    return nbformat.reads(blob.decode("utf-8"), as_version=4)


def test_there_are_tutorials():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_stripped(path):
    nb = _committed(path)
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


def test_copies_beside_the_tutorials_are_not_sources(tmp_path):
    for name in ("00_intro.ipynb", "00_intro-Copy1.ipynb", "00_intro.nbconvert.ipynb",
                 "Untitled.ipynb", "notes.md"):
        (tmp_path / name).write_text("{}")
    assert [p.name for p in _files.tutorial_sources(tmp_path)] == ["00_intro.ipynb"]
