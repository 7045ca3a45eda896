"""The docs cannot skip a rule (STYLE.md rule 3), checked without building them.

Every rule of ``RULES`` has a page ``docs/rules/<name>.md`` that is in the rules
toctree and links a tutorial notebook of ``tutorials/``; every equation table on a
rule page scans files that exist and finds each equation it lists; the scanner of
the ``eqtable`` directive finds the DFA paper's Eq. (6)-(10) where they are.
"""
import importlib.util
from pathlib import Path

import pytest

from nplearn.rules import RULES

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


def _load(name):
    """Import ``docs/_ext/<name>.py`` (no Sphinx needed for the parts used here)."""
    spec = importlib.util.spec_from_file_location(f"_docs_{name}", DOCS / "_ext" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


eqtable = _load("eqtable")
ruledocs = _load("ruledocs")


def _rule_pages():
    return sorted((DOCS / "rules").glob("*.md")) + sorted((DOCS / "rules").glob("*.rst"))


@pytest.mark.parametrize("name", list(RULES))
def test_every_rule_has_a_page_in_the_toctree(name):
    page = ruledocs.rule_page(DOCS, name)
    assert page is not None, f"rule {name!r}: write docs/rules/{name}.md (docs/add-a-rule.md)"
    index = (DOCS / "rules" / "index.md").read_text(encoding="utf-8")
    assert any(line.strip() == name for line in index.splitlines()), \
        f"rule {name!r}: add {name} to the toctree of docs/rules/index.md"


@pytest.mark.parametrize("name", list(RULES))
def test_every_rule_page_links_an_existing_tutorial(name):
    page = ruledocs.rule_page(DOCS, name)
    if page is None:
        pytest.fail(f"rule {name!r} has no docs page")
    links = ruledocs.tutorial_links(page.read_text(encoding="utf-8"))
    assert links, f"{page.relative_to(REPO)} links no tutorial ({{doc}}`../tutorials/NN_topic`)"
    missing = [t for t in links if not (REPO / "tutorials" / f"{t}.ipynb").is_file()]
    assert not missing, f"{page.relative_to(REPO)} links tutorials not in tutorials/: {missing}"


@pytest.mark.parametrize("page", _rule_pages(), ids=lambda p: p.name)
def test_equation_tables_point_at_files_and_equations_that_exist(page):
    tables = ruledocs.eqtable_directives(page.read_text(encoding="utf-8"))
    if page.stem in RULES:
        assert tables, f"{page.relative_to(REPO)} has no eqtable directive"
    for paths, options in tables:
        for path in paths:
            assert (REPO / path).is_file(), f"{page.name}: eqtable names {path}, not a file"
        found = [row for path in paths
                 for row in eqtable.scan(path, REPO, options.get("paper"))]
        covered = {n for row in found for n in row.equations}
        for n in eqtable.parse_eqs(options.get("eqs")):
            assert n in covered, f"{page.name}: Eq. ({n}) listed, but no line of {paths} has it"


@pytest.mark.parametrize("eq, path, qualname, count", [
    (6, "nplearn/rules/bp.py", "BP.deltas", 1),
    (7, "nplearn/rules/fa.py", "FA.deltas", 1),
    (8, "nplearn/rules/dfa.py", "DFA.deltas", 1),
    (9, "nplearn/rules/ifa.py", "IFA.deltas", 2),          # delta_1 and delta_l, l >= 2
    (10, "nplearn/rules/base.py", "LearningRule.updates", 1),
])
def test_scanner_finds_the_dfa_paper_equations(eq, path, qualname, count):
    rows = [r for r in eqtable.scan(path, REPO, paper="DFA") if r.first == r.last == eq]
    assert len(rows) == count, rows
    for r in rows:
        assert r.qualname == qualname
        assert r.code and "#" not in r.code
        assert REPO.joinpath(path).read_text(encoding="utf-8").splitlines()[r.lineno - 1] \
            .lstrip().startswith(r.code)


def test_scanner_reads_comments_only(tmp_path):
    (tmp_path / "m.py").write_text(
        '"""Docstring: # DFA Eq. (3) is not a tag."""\n'
        "def f(x):\n"
        "    # DFA Eq. (4): on its own line, tags the next code line\n"
        "    y = x + 1\n"
        "    return y * 2  # DFA Eq. (1)-(3): a range\n", encoding="utf-8")
    rows = eqtable.scan("m.py", tmp_path)
    assert [(r.label, r.lineno, r.code, r.qualname) for r in rows] == [
        ("(4)", 4, "y = x + 1", "f"), ("(1)\u2013(3)", 5, "return y * 2", "f")]
    assert list(rows[1].equations) == [1, 2, 3]
    assert eqtable.scan("m.py", tmp_path, paper="EP") == []
    assert eqtable.parse_eqs("1-3, 8") == [1, 2, 3, 8]
