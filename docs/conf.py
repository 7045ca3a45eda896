"""Sphinx configuration of the nplearn docs.

Build (from the repository root, offline, warnings are errors)::

    FAST=1 python -m sphinx -W --keep-going -b html docs docs/_build/html

Tutorials: the notebooks have ONE source each, ``tutorials/NN_*.ipynb`` at the
repository root (outputs stripped; copies such as ``*-Copy1.ipynb`` or
``*.nbconvert.ipynb`` are ignored, see ``_ext/tutorial_files.py``). At the start of every build
:func:`sync_tutorials` copies them into ``docs/tutorials/`` (gitignored; stale
copies are deleted), where ``docs/tutorials/index.md`` lists them with a glob, and
myst-nb executes each one with ``FAST=1`` (set below unless the environment says
otherwise), so the rendered outputs are those of this build, never hand-kept.
"""
import os
import re
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT))  # document this checkout, even if another nplearn is installed
os.environ.setdefault("FAST", "1")  # inherited by the notebook kernels

import nplearn  # noqa: E402
from tutorial_files import tutorial_sources  # noqa: E402


def sync_tutorials(src=ROOT / "tutorials", dst=DOCS / "tutorials"):
    """Copy ``tutorials/*.ipynb`` to ``docs/tutorials/``; remove copies whose source is gone.

    Unchanged files are left alone so that incremental builds do not re-run them.
    """
    dst.mkdir(exist_ok=True)
    sources = {p.name: p for p in tutorial_sources(src)}
    for old in dst.glob("*.ipynb"):
        if old.name not in sources:
            old.unlink()
    for name, path in sources.items():
        target = dst / name
        if not target.exists() or target.read_bytes() != path.read_bytes():
            shutil.copyfile(path, target)


sync_tutorials()

project = "nplearn"
author = "the nplearn authors"
copyright = "nplearn authors, BSD-3-Clause"
version = release = nplearn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",   # MathJax 3 served from _static/mathjax: no CDN, renders offline
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",
    "eqtable",
    "nplearn_docs",
]
exclude_patterns = ["_build", "rules.md", "**/.ipynb_checkpoints", "jupyter_execute"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
nitpicky = False

# --- offline: nothing is fetched at build time, nor when a page is read ------------------
# No intersphinx. MathJax 3 (its tex-chtml component and woff fonts) comes from the PyPI package
# sphinx-mathjax-offline and is copied into _static/mathjax/ at the end of the build, so every
# equation, the notebooks' Markdown math included, renders with no network (tests/test_browser.py
# checks it in headless Chromium). Set here as well as by the extension, so the page never
# points at a CDN whatever the order in which Sphinx applies the two.
mathjax_path = "mathjax/tex-chtml.js"
# textmacros (a local file too): \_ and other macros inside \text{...}, e.g. \text{fan\_in}.
mathjax3_config = {"loader": {"load": ["[tex]/textmacros"]},
                   "tex": {"packages": {"[+]": ["textmacros"]}}}
html_theme = "furo"
html_title = f"nplearn {release}"
html_static_path = []
html_show_sourcelink = False

# --- MyST / myst-nb -------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "force"         # run every notebook on each (re)read; no stored outputs
nb_execution_timeout = 300          # seconds per cell
nb_execution_raise_on_error = True  # a failing tutorial fails the build
nb_execution_in_temp = True         # files a tutorial writes do not land in docs/
nb_execution_show_tb = True         # print the traceback of a failing cell in the log
nb_kernel_rgx_aliases = {".*": "python3"}  # whatever kernel a notebook names, use this Python
nb_merge_streams = True

# --- autodoc / numpydoc ----------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False  # autodoc lists members; no autosummary stubs
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()   # style is reviewed by people, not enforced here
numpydoc_xref_param_type = False

# --- viewcode: the eqtable links point into these pages --------------------------------
viewcode_line_numbers = True
eqtable_root = ".."


# --- package docstrings: fixed here, not in the package --------------------------------
# The generated scikit-learn metadata-routing methods (set_fit_request, ...) carry
# sklearn's docstrings, whose glossary references do not exist here.
_SKLEARN_GENERATED = re.compile(r"^set_\w+_request$")
# "(n, *image_shape)" in a numpydoc type: docutils reads the star as emphasis.
_STAR_IN_SHAPE = re.compile(r"(?<=[(,] )\*(?=\w)")


def _skip_member(app, what, name, obj, skip, options):
    return True if _SKLEARN_GENERATED.match(name) else None


def _escape_shape_stars(app, what, name, obj, options, lines):
    lines[:] = [_STAR_IN_SHAPE.sub(r"\\*", line) if " : " in line else line for line in lines]


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("autodoc-process-docstring", _escape_shape_stars, priority=400)  # before numpydoc
