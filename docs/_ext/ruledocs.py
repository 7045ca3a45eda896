"""What the docs promise about each rule, checkable without Sphinx.

Used by the ``rules-table`` directive (``nplearn_docs.py``) and by
``tests/test_docs.py``: every rule of :data:`nplearn.rules.RULES` has a page
``docs/rules/<name>.md`` (or ``.rst``) that links at least one tutorial
``tutorials/<name>.ipynb`` and whose ``eqtable`` directives name existing files.
"""
import re
from pathlib import Path

TUTORIAL_LINK = re.compile(r"tutorials/(\w+)")
# ```{eqtable} a.py b.py        or        .. eqtable:: a.py b.py
#  :paper: DFA                                :paper: DFA
EQTABLE = re.compile(r"^(?:```+\{eqtable\}|\.\. eqtable::)[ \t]+(?P<args>[^\n]+)\n"
                     r"(?P<opts>(?:[ \t]*:\w+:[^\n]*\n)*)", re.MULTILINE)
OPTION = re.compile(r"^[ \t]*:(\w+):[ \t]*(.*)$", re.MULTILINE)


def rule_page(docs_dir, name):
    """``docs/rules/<name>.md`` or ``.rst``, or None if the rule has no page."""
    for ext in (".md", ".rst"):
        page = Path(docs_dir) / "rules" / f"{name}{ext}"
        if page.is_file():
            return page
    return None


def tutorial_links(text):
    """Names of the tutorials linked from a page's text, in order, without repeats."""
    return list(dict.fromkeys(TUTORIAL_LINK.findall(text)))


def eqtable_directives(text):
    """``[(paths, options), ...]`` for every ``eqtable`` directive in a page's text."""
    return [(m["args"].split(), dict(OPTION.findall(m["opts"])))
            for m in EQTABLE.finditer(text)]
