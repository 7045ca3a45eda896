"""Which files in ``tutorials/`` are tutorial sources (one place for the docs and the tests).

A source is named ``NN_words.ipynb`` (two digits, an underscore, letters, digits and
underscores). Copies a student's tools leave beside them are not sources and are ignored:
Jupyter's ``NN_words-Copy1.ipynb``, ``jupyter nbconvert``'s ``NN_words.nbconvert.ipynb``,
checkpoints in ``.ipynb_checkpoints/``.
"""
import re
from pathlib import Path

SOURCE_NAME = re.compile(r"^\d\d_[A-Za-z0-9_]+\.ipynb$")


def tutorial_sources(folder):
    """The tutorial sources in ``folder``, sorted by name."""
    return sorted(p for p in Path(folder).glob("*.ipynb") if SOURCE_NAME.match(p.name))
