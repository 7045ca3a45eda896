"""The docs cannot skip a rule, checked without building them (docs/add-a-rule.md).

Every rule of ``RULES`` has a page ``docs/rules/<name>.md`` that is in the rules
toctree and links a tutorial notebook of ``tutorials/``; every equation table on a
rule page scans files that exist and finds each equation it lists; the scanner of
the ``eqtable`` directive finds the DFA paper's Eq. (6)-(10) where they are, reads two
tags on one line, lists of equations and departures; every tag in ``nplearn/`` uses a
listed paper prefix, and the prefixes are listed where a reader looks first.
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
    (10, "nplearn/rules/base.py", "DeltaRule.updates", 1),
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


def test_scanner_reads_two_tags_lists_and_departures(tmp_path):
    (tmp_path / "m.py").write_text(
        "a = 1  # SP Eq. (13); EFP Eq. (1): loop O -> I\n"
        "b = 2  # EFP Eq. (1)-(3), (7), departs: the state is clipped\n"
        "c = 3  # SP Eq. (9), departs: +O; DFA Eq. (5)\n"
        "d = 4  # a note; SP Eq. (2) is not a tag: a tag starts the comment\n", encoding="utf-8")
    rows = eqtable.scan("m.py", tmp_path)
    assert [(r.paper, r.lineno, r.label, r.note, r.departs) for r in rows] == [
        ("SP", 1, "(13)", "loop O -> I", False),           # shares the next tag's note
        ("EFP", 1, "(1)", "loop O -> I", False),
        ("EFP", 2, "(1)\u2013(3), (7)", "departs: the state is clipped", True),
        ("SP", 3, "(9)", "departs: +O", True),
        ("DFA", 3, "(5)", "", False)]
    assert rows[2].equations == [1, 2, 3, 7] and (rows[2].first, rows[2].last) == (1, 7)
    assert [r.paper for r in eqtable.scan("m.py", tmp_path, paper="EFP")] == ["EFP", "EFP"]


def test_scanner_keeps_an_ep_tag_beside_an_efp_tag(tmp_path):
    (tmp_path / "m.py").write_text(
        "a = 1  # EP Eq. (3); EFP Eq. (4): F = E + beta C\n"
        "b = 2  # EFP Eq. (5)\n"
        "c = 3  # PEPITA Eq. (2)\n", encoding="utf-8")
    rows = eqtable.scan("m.py", tmp_path, paper="EP")
    assert [(r.paper, r.lineno, r.label, r.note) for r in rows] == [
        ("EP", 1, "(3)", "F = E + beta C")]               # neither EFP's nor PEPITA's lines
    assert [r.label for r in eqtable.scan("m.py", tmp_path, paper="EFP")] == ["(4)", "(5)"]
    assert "EP" in eqtable.PAPERS


def _all_tags():
    return [row for path in sorted((REPO / "nplearn").rglob("*.py"))
            for row in eqtable.scan(path.relative_to(REPO), REPO)]


def test_every_tag_names_a_listed_paper():
    unknown = sorted({f"{r.paper} ({r.path}:{r.lineno})" for r in _all_tags()
                      if r.paper not in eqtable.PAPERS})
    assert not unknown, f"tags with a prefix not in eqtable.PAPERS: {unknown}"


def test_the_tag_prefixes_are_listed_where_a_reader_looks_first():
    for where, text in (("README.md", (REPO / "README.md").read_text("utf-8")),
                        ("docs/rules/index.md", (DOCS / "rules" / "index.md").read_text("utf-8")),
                        ("docs/add-a-rule.md", (DOCS / "add-a-rule.md").read_text("utf-8")),
                        ("eqtable docstring", eqtable.__doc__)):
        missing = [p for p in eqtable.PAPERS if f"``{p}``" not in text and f"`{p}`" not in text]
        assert not missing, f"{where} does not list the tag prefixes {missing}"
