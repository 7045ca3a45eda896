"""``eqtable``: a table from a paper's equation numbers to the code lines that implement them.

Every line of nplearn that implements an equation ends with a comment naming it,
in the paper's own numbering (STYLE.md rule 3)::

    delta[l] = (e @ self.B_[f"B{l}"].T) * fwd.df[l]   # DFA Eq. (8): (B_l e) ⊙ f'(a_l)

The directive scans the named files when the docs are built, so the table can never
point at a stale line number::

    ```{eqtable} nplearn/rules/dfa.py nplearn/rules/base.py
    :paper: DFA
    :eqs: 5, 8, 10
    ```

Paths are relative to the repository root (the config value ``eqtable_root``,
default: the folder above ``docs/``). ``:paper:`` keeps the comments of one paper
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

# "# DFA Eq. (8): note", "# DFA Eq. (1)-(3): note", "# DFA Eq. (4) with ..."
EQ_COMMENT = re.compile(
    r"^#\s*(?P<paper>[A-Za-z][\w-]*)\s+Eq\.\s*\((?P<first>\d+)\)"
    r"(?:\s*[-\u2013]\s*\((?P<last>\d+)\))?\s*:?\s*(?P<note>.*)$")


@dataclasses.dataclass(frozen=True)
class EqLine:
    """One code line tagged with an equation: ``# <paper> Eq. (first)[-(last)]: note``."""

    paper: str
    first: int
    last: int
    path: str       # as given to scan(), e.g. "nplearn/rules/dfa.py"
    lineno: int     # 1-based line of the code (the comment's line, or the line after it)
    code: str       # the code on that line, without the comment
    note: str       # the comment's text after the equation number
    qualname: str   # innermost enclosing class/function, e.g. "DFA.deltas"; "" at module level

    @property
    def equations(self):
        return range(self.first, self.last + 1)

    @property
    def label(self):
        return f"({self.first})" if self.first == self.last else f"({self.first})\u2013({self.last})"

    @property
    def module(self):
        """Dotted module name of ``path`` (``nplearn/rules/dfa.py`` -> ``nplearn.rules.dfa``)."""
        parts = list(Path(self.path).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts)


def scan(path, root=None, paper=None):
    """Every ``# <paper> Eq. (n)`` comment of the Python file ``root/path``.

    Only real comments count (``tokenize``), not equation numbers in docstrings. A
    comment alone on its line tags the next code line. Returns a list of
    :class:`EqLine` in file order.
    """
    source = (Path(root or ".") / path).read_text(encoding="utf-8")
    lines = source.splitlines()
    scopes = _scopes(source)
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type != tokenize.COMMENT:
            continue
        m = EQ_COMMENT.match(tok.string)
        if not m or (paper and m["paper"] != paper):
            continue
        row, col = tok.start
        code = lines[row - 1][:col].strip()
        if not code:  # a comment on its own line describes the next code line
            row = next((k for k in range(row + 1, len(lines) + 1)
                        if lines[k - 1].strip() and not lines[k - 1].lstrip().startswith("#")),
                       row)
            code = lines[row - 1].split("  #")[0].strip()
        first = int(m["first"])
        found.append(EqLine(m["paper"], first, int(m["last"] or first), str(path), row, code,
                            m["note"].strip(), _innermost(scopes, row)))
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
