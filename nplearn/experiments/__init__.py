"""Experiments built on the estimator: per-rule presets and rule comparisons.

>>> from nplearn.experiments import compare, format_table, preset
>>> preset("dfa")["optimizer"]
'rmsprop'
"""
from .compare import compare, format_table, write_json
from .presets import DEFAULT_RULES, PRESETS, preset, settings

__all__ = ["compare", "format_table", "write_json", "DEFAULT_RULES", "PRESETS", "preset",
           "settings"]
