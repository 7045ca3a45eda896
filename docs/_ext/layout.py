"""The package layout of nplearn: which package may import which, read from the code.

``LAYERS`` lists the packages bottom-up; a package imports only from the layers below its
own (``tests/test_layout.py`` checks that :func:`package_graph` keeps to it, which also
means there are no import cycles). ``python docs/_ext/layout.py`` redraws
``docs/figures/architecture.png``, the picture on ``docs/architecture.md``.
"""
import ast
import collections
from pathlib import Path

#: Bottom-up. Modules at the top of the package (``estimator.py``, ``cli.py``) count as
#: packages of their own name.
LAYERS = [
    ("data", "nn", "optim"),            # arrays in, layers and optimisers: no learning rule
    ("hopfield", "snn"),                # the Numba engines: Hopfield phases, IF neurons
    ("rules",),                         # one file per learning rule
    ("nets", "train"),                  # every network in one place; the training loop
    ("analysis", "plot", "estimator"),  # read recorded arrays; the scikit-learn estimator
    ("experiments",),                   # compare, reproduce, sweeps
    ("cli",),                           # the command line
]

#: One training step, ``Classifier.fit`` down to the arrays, as (package, what it does): the
#: trainer asks the rule for the directions ``g`` (which runs the network's linear algebra),
#: then the optimiser applies them.
STEP = [("estimator", "Classifier.fit"), ("train", "train_step"), ("rules", "rule.updates"),
        ("nn", "forward, back, grads"), ("optim", "p -= lr * g")]
STEP_EDGES = [("estimator", "train"), ("train", "rules"), ("rules", "nn"), ("train", "optim")]


def package_graph(root):
    """``{package: {packages it imports}}`` for the ``nplearn`` package at ``root``."""
    root = Path(root)
    deps = collections.defaultdict(set)
    for f in sorted(root.rglob("*.py")):
        rel = f.relative_to(root).parts
        if rel[0] in ("__init__.py", "__main__.py", "testing.py"):
            continue                                      # the top level re-exports
        pkg = rel[0] if len(rel) > 1 else rel[0][:-3]
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            mod = (node.module or "").split(".")
            if node.level == 0 and mod[0] == "nplearn":
                target = mod[1] if len(mod) > 1 else None
            elif node.level == 1 and len(rel) == 1:       # a top-level module's sibling
                target = mod[0] or None
            elif node.level == 1:
                target = pkg
            elif node.level == 2:
                target = mod[0] or None
            else:
                continue
            if target and target != pkg:
                deps[pkg].add(target)
    return dict(deps)


def draw(path, root):
    """The layers as rows of boxes, every import as a grey arrow, one training step in red."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    graph = package_graph(root)
    where = {}
    for y, layer in enumerate(LAYERS):
        for k, name in enumerate(layer):
            where[name] = ((k + 1) / (len(layer) + 1), y)
    fig, ax = plt.subplots(figsize=(8, 6.5))
    for src, targets in graph.items():
        for t in targets:
            (x0, y0), (x1, y1) = where[src], where[t]
            ax.annotate("", (x1, y1 + 0.18), (x0, y0 - 0.18),
                        arrowprops=dict(arrowstyle="->", color="0.75", lw=0.8))
    for a, b in STEP_EDGES:
        (x0, y0), (x1, y1) = where[a], where[b]
        ax.annotate("", (x1, y1 + 0.18), (x0, y0 - 0.18),
                    arrowprops=dict(arrowstyle="->", color="tab:red", lw=2))
    notes = dict(STEP)
    for name, (x, y) in where.items():
        ax.text(x, y, name, ha="center", va="center", fontsize=11,
                bbox=dict(boxstyle="round", fc="tab:red" if name in notes else "white",
                          ec="0.3", alpha=0.25 if name in notes else 1.0))
        if name in notes:
            ax.text(x, y - 0.3, notes[name], ha="center", va="center", fontsize=8,
                    color="tab:red")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, len(LAYERS) - 0.4)
    ax.axis("off")
    ax.set_title("nplearn's packages, bottom-up: every import points down\n"
                 "(red: one training step, Classifier.fit to the arrays)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    here = Path(__file__).resolve().parents[2]
    draw(here / "docs" / "figures" / "architecture.png", here / "nplearn")
    print("wrote docs/figures/architecture.png")
