"""Pages generated from the code at build time, so they cannot drift from it.

``rules-table``
    The table rule (linked to its page) -> paper -> file -> tutorial, one row per entry
    of :data:`nplearn.rules.RULES`. The tutorials of a rule are the ``tutorials/<name>``
    links on its page ``docs/rules/<rule>.md``; a missing page or tutorial is a warning.
``nplearn-cli``
    The ``--help`` of ``nplearn`` and of each of its subcommands, from
    :func:`nplearn.cli.build_parser`, at a fixed width of 88 columns.
``program-help``
    The ``--help`` of a script of the repository, e.g. ``data_scripts/download.py``.
``dataset-manifest``
    The files, sizes and licences of ``data_scripts/download.py``'s ``MANIFEST``.
``rule-defaults``
    What each rule trains with when the ``Classifier`` arguments are ``None``, from
    :func:`nplearn.rules.defaults_table`.

The rule-page helpers live in ``ruledocs.py``, which needs no Sphinx, so that
``tests/test_docs.py`` can use them too.
"""
import argparse
import importlib.util
import inspect
import os
import subprocess
import sys
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from ruledocs import rule_page, tutorial_links

logger = logging.getLogger(__name__)


def help_texts(width=88):
    """``[(command, help text), ...]`` for ``nplearn`` and each subcommand."""
    from nplearn.cli import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)  # argparse wraps to the terminal width
    try:
        parser = build_parser()
        out = [("nplearn", parser.format_help())]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                out += [(f"nplearn {name}", sub.format_help())
                        for name, sub in action.choices.items()]
        return out
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def load_script(path):
    """Import a script of the repository as a module (the data scripts download nothing
    at import)."""
    spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _doc_ref(docname, text=None):
    """A link to a document, resolved (and checked) by Sphinx like ``{doc}``."""
    ref = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget=f"/{docname}",
                                refexplicit=text is not None, refwarn=True)
    ref += nodes.inline(text=text or docname)
    return ref


class RulesTable(SphinxDirective):
    has_content = False

    def run(self):
        from nplearn.rules import RULES

        docs_dir = Path(self.env.srcdir)
        root = (docs_dir / self.config.eqtable_root).resolve()
        table = nodes.table(classes=["rules-table"])
        group = nodes.tgroup(cols=4)
        table += group
        for width in (10, 40, 25, 35):
            group += nodes.colspec(colwidth=width)
        head = nodes.row()
        for title in ("rule", "paper", "file", "tutorial"):
            head += nodes.entry("", nodes.paragraph(text=title))
        group += nodes.thead("", head)
        body = nodes.tbody()
        for name, cls in RULES.items():
            row = nodes.row()
            page = rule_page(docs_dir, name)
            cell = nodes.paragraph()
            if page is None:
                logger.warning(f"rule {name!r} has no page docs/rules/{name}.md",
                               location=self.get_location())
                cell += nodes.literal(text=name)
                tutorials = []
            else:
                self.env.note_dependency(str(page))
                cell += _doc_ref(f"rules/{name}", name)
                tutorials = tutorial_links(page.read_text(encoding="utf-8"))
            row += nodes.entry("", cell)
            row += nodes.entry("", nodes.paragraph(text=cls.paper or ""))
            path = Path(inspect.getsourcefile(cls)).resolve()
            try:
                path = path.relative_to(root)
            except ValueError:  # installed elsewhere than the docs' checkout
                path = Path(*cls.__module__.split(".")).with_suffix(".py")
            row += nodes.entry("", nodes.paragraph("", "", nodes.literal(text=path.as_posix())))
            cell = nodes.paragraph()
            for k, tut in enumerate(tutorials):
                if k:
                    cell += nodes.Text(", ")
                cell += _doc_ref(f"tutorials/{tut}")
            if not tutorials:
                logger.warning(f"the page of rule {name!r} links no tutorial",
                               location=self.get_location())
            row += nodes.entry("", cell)
            body += row
        group += body
        return [table]


class CliHelp(SphinxDirective):
    has_content = False

    def run(self):
        out = []
        for command, text in help_texts():
            out.append(nodes.rubric(text=command))
            block = nodes.literal_block(text, text, language="text")
            out.append(block)
        return out


class ProgramHelp(SphinxDirective):
    required_arguments = 1

    def run(self):
        root = (Path(self.env.srcdir) / self.config.eqtable_root).resolve()
        script = root / self.arguments[0]
        self.env.note_dependency(str(script))
        env = dict(os.environ, COLUMNS="88")
        done = subprocess.run([sys.executable, str(script), "--help"], cwd=root, env=env,
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            logger.warning(f"{self.arguments[0]} --help failed: {done.stderr.strip()}",
                           location=self.get_location())
        text = done.stdout.replace(str(script), self.arguments[0])
        return [nodes.literal_block(text, text, language="text")]


class DatasetManifest(SphinxDirective):
    required_arguments = 1

    def run(self):
        root = (Path(self.env.srcdir) / self.config.eqtable_root).resolve()
        script = root / self.arguments[0]
        self.env.note_dependency(str(script))
        manifest = load_script(script).MANIFEST
        table = nodes.table(classes=["dataset-manifest"])
        group = nodes.tgroup(cols=4)
        table += group
        for width in (14, 40, 14, 40):
            group += nodes.colspec(colwidth=width)
        head = nodes.row()
        for title in ("dataset", "files", "bytes", "licence"):
            head += nodes.entry("", nodes.paragraph(text=title))
        group += nodes.thead("", head)
        body = nodes.tbody()
        for name, entry in manifest.items():
            files = {**entry["files"], **{f"{k} (opt-in)": v for k, v in
                                          entry.get("extra", {}).items()}}
            row = nodes.row()
            row += nodes.entry("", nodes.paragraph("", "", nodes.literal(text=name)))
            cell, sizes = nodes.entry(), nodes.entry()
            for fname, (size, _sha) in files.items():
                cell += nodes.paragraph("", "", nodes.literal(text=fname))
                sizes += nodes.paragraph(text=f"{size:,}")
            row += cell
            row += sizes
            row += nodes.entry("", nodes.paragraph(text=entry["licence"]))
            body += row
        group += body
        return [table]


class RuleDefaults(SphinxDirective):
    has_content = False

    def run(self):
        from nplearn.rules.defaults import COLUMNS, defaults_table

        table = nodes.table(classes=["rule-defaults"])
        group = nodes.tgroup(cols=len(COLUMNS))
        table += group
        for width in (10, 10, 10, 9, 8, 10, 20, 33):
            group += nodes.colspec(colwidth=width)
        head = nodes.row()
        for title in COLUMNS:
            head += nodes.entry("", nodes.paragraph(text=title.replace("_", " ")))
        group += nodes.thead("", head)
        body = nodes.tbody()
        for values in defaults_table():
            row = nodes.row()
            row += nodes.entry("", nodes.paragraph("", "", _doc_ref(f"rules/{values[0]}",
                                                                    values[0])))
            for v in values[1:]:
                row += nodes.entry("", nodes.paragraph("", "", nodes.literal(text=v)))
            body += row
        group += body
        return [table]


def setup(app):
    app.setup_extension("eqtable")  # eqtable_root: where the repository is
    app.add_directive("rules-table", RulesTable)
    app.add_directive("nplearn-cli", CliHelp)
    app.add_directive("program-help", ProgramHelp)
    app.add_directive("dataset-manifest", DatasetManifest)
    app.add_directive("rule-defaults", RuleDefaults)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
