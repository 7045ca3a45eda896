"""nplearn: learning rules beyond backpropagation, in explicit NumPy/Numba.

>>> import nplearn
>>> d = nplearn.load_dataset("digits")
>>> clf = nplearn.Classifier(rule="dfa", hidden_sizes=(100,), random_state=0)
"""
__version__ = "0.1.0"

from .data import load_dataset  # noqa: E402
from .estimator import Classifier  # noqa: E402
from .rules import RULES, get_rule  # noqa: E402
from .train import DivergenceError  # noqa: E402

__all__ = ["Classifier", "load_dataset", "RULES", "get_rule", "DivergenceError", "__version__"]
