"""Figures from recorded histories and arrays (never from rule internals).

>>> from nplearn.plot import plot_learning_curves, savefig
>>> fig = plot_learning_curves({"dfa": [clf.history_]})  # doctest: +SKIP
>>> savefig(fig, "runs/dfa/learning_curve")              # .png and .svg  # doctest: +SKIP
"""
from .curves import plot_learning_curves
from .style import OKABE_ITO, rule_color, savefig

__all__ = ["plot_learning_curves", "savefig", "rule_color", "OKABE_ITO"]
