"""nplearn: learning rules beyond backpropagation, in explicit NumPy/Numba.

>>> import nplearn
>>> d = nplearn.load_dataset("digits")
>>> clf = nplearn.Classifier(rule="dfa", hidden_sizes=(100,), random_state=0)
>>> big = nplearn.Classifier(**nplearn.paper_settings("efp", "efp-table1-2x1500"))
"""
__version__ = "0.1.0"

from .data import load_dataset  # noqa: E402
from .estimator import Classifier  # noqa: E402
from .rules import RULES, get_rule  # noqa: E402
from .train import DivergenceError  # noqa: E402

__all__ = ["Classifier", "load_dataset", "RULES", "get_rule", "DivergenceError",
           "paper_settings", "list_paper_settings", "__version__"]


def __getattr__(name):
    """``paper_settings`` and ``list_paper_settings`` of :mod:`nplearn.experiments.paper_settings`,
    imported on first use (``nplearn.experiments`` pulls in matplotlib)."""
    if name in ("paper_settings", "list_paper_settings"):
        from importlib import import_module
        return getattr(import_module(".experiments.paper_settings", __name__), name)
    raise AttributeError(f"module 'nplearn' has no attribute {name!r}")
