"""Learning rules, one per file; ``RULES`` maps each name to its class.

=========  =====================================  ======================
name       paper                                   file
=========  =====================================  ======================
``bp``     DFA paper Eq. (6)                       ``rules/bp.py``
``fa``     DFA paper Eq. (7), Lillicrap 2016       ``rules/fa.py``
``dfa``    DFA paper Eq. (8)                       ``rules/dfa.py``
``ifa``    DFA paper Eq. (9)                       ``rules/ifa.py``
``bfa``    Luo, Fu & Glass 2017, Eq. (15)-(29)     ``rules/bfa.py``
``bdfa``   Luo, Fu & Glass 2017, Eq. (30)-(42)     ``rules/bdfa.py``
``ep``     Scellier & Bengio 2017; EFP Eq. (5)     ``rules/ep.py``
``efp``    Kohan et al. 2018, Eq. (6)              ``rules/efp.py``
=========  =====================================  ======================

EP and EFP train a :class:`nplearn.hopfield.HopfieldNet` (``LearningRule.make_model``).
"""
from .base import LearningRule
from .bdfa import BDFA
from .bfa import BFA
from .bp import BP
from .dfa import DFA
from .efp import EFP
from .ep import EP
from .fa import FA
from .ifa import IFA

RULES = {cls.name: cls for cls in (BP, FA, DFA, IFA, BFA, BDFA, EP, EFP)}


def get_rule(name, **params):
    """Build the rule called ``name`` with hyperparameters ``params``."""
    if isinstance(name, LearningRule):
        return name
    if name not in RULES:
        raise ValueError(f"unknown rule {name!r}; choose one of {sorted(RULES)}")
    try:
        return RULES[name](**params)
    except TypeError as err:
        raise ValueError(f"bad rule_params for {name!r}: {err}") from None


__all__ = ["LearningRule", "BP", "FA", "DFA", "IFA", "BFA", "BDFA", "EP", "EFP", "RULES", "get_rule"]
