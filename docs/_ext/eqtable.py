"""``eqtable``: a table from a paper's equation numbers to the code lines that implement them.

Every line of nplearn that implements an equation ends with a comment naming it,
in the paper's own numbering (the conventions of ``docs/add-a-rule.md``)::

    delta[l] = model.through_f(l, dh, fwd)      # DFA Eq. (8): (B_l e) ⊙ f'(a_l)

A tag is ``<PAPER> Eq. <numbers>[: note]``. ``<PAPER>`` is one of the prefixes of
:data:`PAPERS`, one per paper:

==========  ==========================================================================
``DFA``     Nøkland (2016): BP, FA, DFA, IFA (and DRTP, Eq. (8) with ``y*`` for ``e``)
``BFA``     Luo, Fu & Glass (2017): BFA, BDFA
``EFP``     Kohan, Rietman & Siegelmann (2018): EFP, and EP as EFP restates it
``EP``      Scellier & Bengio (2017): EP in its own numbering
``PEPITA``  Dellaferrera & Kreiman (2022): PEPITA
``SP``      Kohan, Rietman & Siegelmann (2023): sigprop, sigprop_ct, snn_*
==========  ==========================================================================

``<numbers>`` is one equation ``(8)``, a range ``(6)-(9)`` or a list of
either, ``(1)-(3), (10)``. One comment may carry several tags, one per paper, separated by
``;`` (``# SP Eq. (13); EFP Eq. (1): loop O -> I``); a tag without a note of its own
shares the note of the next tag on the line. A note that starts with ``departs`` flags a
line where the code departs from the printed equation and says how
(``# SP Eq. (9), departs: logits +O_dot where Eq. (9) prints -O_dot``).

The directive scans the named files when the docs are built, so the table can never
point at a stale line number::

    ```{eqtable} nplearn/rules/dfa.py nplearn/rules/base.py
    :paper: DFA
    :eqs: 5, 8, 10
    ```

Paths are relative to the repository root (the config value ``eqtable_root``,
default: the folder above ``docs/``). ``:paper:`` keeps the tags of one paper
(default: all); ``:eqs:`` keeps the rows whose equation numbers meet the list
(``1-3, 8``) and warns, failing a ``-W`` build, if a listed equation has no code
line. Each row links to the highlighted source of ``sphinx.ext.viewcode``, at the
enclosing class or function when that is documented.

:func:`scan` is the scanner alone, without Sphinx (``tests/test_docs.py`` uses it).
"""
import ast
import dataclasses
import io
import re
import tokenize
from pathlib import Path

#: The tag prefixes, one per paper, whatever the rule: BFA and BDFA are one paper, so both
#: carry ``BFA``; sigprop's three rules carry ``SP``; a line that implements one equation of
#: two papers carries both tags (the continuous sigprop network is EFP's, so its dynamics read
#: ``# SP Eq. (13); EFP Eq. (1)``). A new paper adds its prefix here (docs/add-a-rule.md).
PAPERS = {
    "DFA": "Nøkland (2016), Direct Feedback Alignment Provides Learning in Deep Neural "
           "Networks (BP, FA, DFA, IFA; DRTP's lines: Eq. (8) with y* for e)",
    "BFA": "Luo, Fu & Glass (2017), Bidirectional Backpropagation (BFA and BDFA)",
    "EFP": "Kohan, Rietman & Siegelmann (2018), Error Forward-Propagation (EFP; EP's lines "
           "carry EFP's restatement of EP, Eq. (1)-(5), (7))",
    "EP": "Scellier & Bengio (2017), Equilibrium Propagation (EP in its own numbering)",
    "PEPITA": "Dellaferrera & Kreiman (2022), Error-driven Input Modulation (PEPITA)",
    "SP": "Kohan, Rietman & Siegelmann (2023), Signal Propagation (sigprop, sigprop_ct, snn_*)",
}

_NUM = r"\(\d+\)(?:\s*[-\u2013]\s*\(\d+\))?"
# one tag: "DFA Eq. (8)", "SP Eq. (1)-(3), (10)"; where it starts: the comment's start or "; "
TAG = re.compile(r"(?:^#|;)\s*(?P<paper>[A-Za-z][\w-]*)\s+Eq\.\s*"
                 rf"(?P<nums>{_NUM}(?:\s*,\s*{_NUM})*)")
_SPAN = re.compile(r"\((\d+)\)(?:\s*[-\u2013]\s*\((\d+)\))?")


@dataclasses.dataclass(frozen=True)
class EqLine:
    """One tag on one code line: ``# <paper> Eq. (n)[-(m)][, (k)...][: note]``."""

    paper: str
    spans: tuple    # ((first, last), ...): "(1)-(3), (10)" -> ((1, 3), (10, 10))
    path: str       # as given to scan(), e.g. "nplearn/rules/dfa.py"
    lineno: int     # 1-based line of the code (the comment's line, or the line after it)
    code: str       # the code on that line, without the comment
    note: str       # the tag's text after the equation numbers
    qualname: str   # innermost enclosing class/function, e.g. "DFA.deltas"; "" at module level

    @property
    def first(self):
        return self.spans[0][0]

    @property
    def last(self):
        return self.spans[-1][1]

    @property
    def equations(self):
        return sorted({n for lo, hi in self.spans for n in range(lo, hi + 1)})

    @property
    def departs(self):
        """Whether the note flags a departure from the printed equation (``departs: ...``)."""
        return self.note.lower().startswith("departs")

    @property
    def label(self):
        return ", ".join(f"({lo})" if lo == hi else f"({lo})\u2013({hi})"
                         for lo, hi in self.spans)

    @property
    def module(self):
        """Dotted module name of ``path`` (``nplearn/rules/dfa.py`` -> ``nplearn.rules.dfa``)."""
        parts = list(Path(self.path).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts)


def parse_tags(comment):
    """``[(paper, spans, note), ...]`` for the tags of one comment (module docstring).

    ``"# SP Eq. (13); EFP Eq. (1): loop"`` -> ``[("SP", ((13, 13),), "loop"),
    ("EFP", ((1, 1),), "loop")]``. A comment that does not start with a tag has none.
    """
    found = list(TAG.finditer(comment))
    if not found or found[0].start() != 0:
        return []
    tags = []
    for k, m in enumerate(found):
        end = found[k + 1].start() if k + 1 < len(found) else len(comment)
        spans = tuple((int(lo), int(hi or lo)) for lo, hi in _SPAN.findall(m["nums"]))
        note = comment[m.end():end].strip().lstrip(":,").strip()
        tags.append([m["paper"], spans, note])
    for k in range(len(tags) - 2, -1, -1):       # no note of its own: the next tag's
        if not tags[k][2]:
            tags[k][2] = tags[k + 1][2]
    return [tuple(t) for t in tags]


def scan(path, root=None, paper=None):
    """Every ``# <paper> Eq. (n)`` tag in the comments of the Python file ``root/path``.

    Only real comments count (``tokenize``), not equation numbers in docstrings. A
    comment alone on its line tags the next code line. Returns a list of
    :class:`EqLine` in file order, one per tag (a comment with two tags gives two).
    """
    source = (Path(root or ".") / path).read_text(encoding="utf-8")
    lines = source.splitlines()
    scopes = _scopes(source)
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type != tokenize.COMMENT:
            continue
        tags = [t for t in parse_tags(tok.string) if not paper or t[0] == paper]
        if not tags:
            continue
        row, col = tok.start
        code = lines[row - 1][:col].strip()
        if not code:  # a comment on its own line describes the next code line
            row = next((k for k in range(row + 1, len(lines) + 1)
                        if lines[k - 1].strip() and not lines[k - 1].lstrip().startswith("#")),
                       row)
            code = lines[row - 1].split("  #")[0].strip()
        for name, spans, note in tags:
            found.append(EqLine(name, spans, str(path), row, code, note, _innermost(scopes, row)))
    return found


def parse_eqs(text):
    """``"1-3, 8"`` -> ``[1, 2, 3, 8]``."""
    out = []
    for part in filter(None, (p.strip() for p in re.split(r"[,\s]+", text or ""))):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def _scopes(source):
    scopes = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                scopes.append((child.lineno, child.end_lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return scopes


def _innermost(scopes, row):
    inside = [s for s in scopes if s[0] <= row <= s[1]]
    return max(inside, key=lambda s: s[0])[2] if inside else ""


# ----------------------------------------------------------------------------- Sphinx
try:
    from docutils import nodes
    from docutils.parsers.rst import directives
    from sphinx.util import logging
    from sphinx.util.docutils import SphinxDirective
except ImportError:  # the scanner alone needs no Sphinx
    SphinxDirective = object

if SphinxDirective is not object:
    logger = logging.getLogger(__name__)

    class eqtable_source(nodes.inline):
        """Placeholder for a file:line link, resolved once viewcode knows its pages."""

    class EqTable(SphinxDirective):
        required_arguments = 1
        optional_arguments = 20
        option_spec = {"paper": directives.unchanged, "eqs": directives.unchanged,
                       "class": directives.class_option}
        has_content = False

        def run(self):
            root = Path(self.env.srcdir, self.config.eqtable_root).resolve()
            paper = self.options.get("paper")
            wanted = parse_eqs(self.options.get("eqs"))
            rows = []
            for path in self.arguments:
                if not (root / path).is_file():
                    logger.warning(f"eqtable: no file {path} under {root}",
                                   location=self.get_location())
                    continue
                self.env.note_dependency(str(root / path))
                found = scan(path, root, paper)
                if not found:
                    logger.warning(f"eqtable: no '# {paper or '<PAPER>'} Eq. (n)' comment "
                                   f"in {path}", location=self.get_location())
                rows.extend(found)
            if wanted:
                rows = [r for r in rows if set(r.equations) & set(wanted)]
                for n in wanted:
                    if not any(n in r.equations for r in rows):
                        logger.warning(f"eqtable: Eq. ({n}) is listed in :eqs: but no line "
                                       f"of {' '.join(self.arguments)} is tagged with it",
                                       location=self.get_location())
            rows.sort(key=lambda r: (r.first, r.last, self.arguments.index(r.path), r.lineno))
            return [self._table(rows)]

        def _table(self, rows):
            table = nodes.table(classes=["eqtable"] + self.options.get("class", []))
            group = nodes.tgroup(cols=4)
            table += group
            for width in (8, 48, 28, 30):
                group += nodes.colspec(colwidth=width)
            head = nodes.row()
            for title in ("Eq.", "code", "as in the paper", "file:line"):
                head += nodes.entry("", nodes.paragraph(text=title))
            group += nodes.thead("", head)
            body = nodes.tbody()
            for r in rows:
                row = nodes.row()
                eq = f"{r.paper} {r.label}" if not self.options.get("paper") else r.label
                row += nodes.entry("", nodes.paragraph(text=eq))
                row += nodes.entry("", nodes.paragraph("", "", nodes.literal(text=r.code)))
                row += nodes.entry("", nodes.paragraph("", "", nodes.literal(text=r.note)) if r.note
                               else nodes.paragraph())
                where = f"{r.path}:{r.lineno}"
                src = eqtable_source("", where, module=r.module, qualname=r.qualname)
                para = nodes.paragraph("", "", src)
                if r.qualname:
                    para += nodes.Text(" in ")
                    para += nodes.literal(text=r.qualname)
                row += nodes.entry("", para)
                body += row
            group += body
            return table

    def _resolve_sources(app, doctree, docname):
        """Link each file:line to the viewcode page, at its enclosing documented object."""
        modules = getattr(app.env, "_viewcode_modules", {})
        html = app.builder.format == "html"
        for node in list(doctree.findall(eqtable_source)):
            text = node.astext()
            entry = modules.get(node["module"]) if html else None
            if not entry:
                node.replace_self(nodes.Text(text))
                continue
            used = entry[2]
            parts = node["qualname"].split(".") if node["qualname"] else []
            anchor = next((".".join(parts[:k]) for k in range(len(parts), 0, -1)
                           if ".".join(parts[:k]) in used), "")
            page = "_modules/" + node["module"].replace(".", "/")
            uri = app.builder.get_relative_uri(docname, page) + (f"#{anchor}" if anchor else "")
            node.replace_self(nodes.reference("", "", nodes.literal(text=text), refuri=uri,
                                              internal=True))

    def setup(app):
        app.add_config_value("eqtable_root", "..", "env")
        app.add_node(eqtable_source)
        app.add_directive("eqtable", EqTable)
        app.connect("doctree-resolved", _resolve_sources)
        return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
