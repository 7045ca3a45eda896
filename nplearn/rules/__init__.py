"""Learning rules, one per file; ``RULES`` maps each name to its class.

=================  =====================================  ========================
name               paper                                  file
=================  =====================================  ========================
``bp``             DFA paper Eq. (6)                      ``rules/bp.py``
``fa``             DFA paper Eq. (7), Lillicrap 2016      ``rules/fa.py``
``dfa``            DFA paper Eq. (8)                      ``rules/dfa.py``
``ifa``            DFA paper Eq. (9)                      ``rules/ifa.py``
``drtp``           Frenkel, Lefebvre & Bol 2021, Sec. 2   ``rules/drtp.py``
``bfa``            Luo, Fu & Glass 2017, Eq. (15)-(29)    ``rules/bfa.py``
``bdfa``           Luo, Fu & Glass 2017, Eq. (30)-(42)    ``rules/bdfa.py``
``ep``             Scellier & Bengio 2017; EFP Eq. (5)    ``rules/ep.py``
``efp``            Kohan et al. 2018, Eq. (6)             ``rules/efp.py``
``pepita``         Dellaferrera & Kreiman 2022, (1)-(5)   ``rules/pepita.py``
``sigprop``        Kohan et al. 2023, Eq. (1)-(10)        ``rules/sigprop.py``
``sigprop_ct``     Kohan et al. 2023, Eq. (11)-(14)       ``rules/sigprop_ct.py``
``snn_bp``         Kohan et al. 2023, Sec. VI, Table V    ``rules/spiking.py``
``snn_shallow``    Kohan et al. 2023, Sec. VI, Table V    ``rules/spiking.py``
``snn_sigprop``    Kohan et al. 2023, Eq. (15)-(17)       ``rules/spiking.py``
=================  =====================================  ========================

EP, EFP and ``sigprop_ct`` train a :class:`nplearn.hopfield.HopfieldNet`, ``sigprop`` a
:class:`~nplearn.rules.sigprop_net.SigpropNet`, the ``snn_*`` rules a
:class:`nplearn.snn.SpikingConvNet` (``LearningRule.make_model``); BP, FA, DFA and PEPITA
train an :class:`~nplearn.nn.MLP` or, with ``conv=...``, a :class:`~nplearn.nn.ConvNet`.

Every rule satisfies :class:`LearningRule` (``rules/rule.py``: build the net, draw or fit any
state, return update directions, save what it owns); the rules with a hidden ``delta_l`` and
DFA Eq. (10)'s weight update (BP, FA, DFA, IFA, DRTP, BFA, BDFA, PEPITA) share
:class:`DeltaRule` (``rules/base.py``).
"""
import inspect

from .base import DeltaRule
from .rule import LearningRule
from .bdfa import BDFA
from .bfa import BFA
from .bp import BP
from .dfa import DFA
from .drtp import DRTP
from .efp import EFP
from .ep import EP
from .fa import FA
from .ifa import IFA
from .pepita import PEPITA
from .sigprop import Sigprop
from .sigprop_ct import SigpropCT
from .spiking import SpikingBP, SpikingShallow, SpikingSigprop

RULES = {cls.name: cls for cls in (BP, FA, DFA, IFA, DRTP, BFA, BDFA, EP, EFP, PEPITA, Sigprop,
                                   SigpropCT, SpikingBP, SpikingShallow, SpikingSigprop)}


def rule_param_names(name):
    """The hyperparameters rule ``name`` accepts in ``rule_params``: its constructor's
    arguments, in order."""
    sig = inspect.signature(RULES[name].__init__)
    return [p.name for p in list(sig.parameters.values())[1:]
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def get_rule(name, **params):
    """Build the rule called ``name`` with hyperparameters ``params``.

    Raises a ValueError for an unknown name, for a key of ``params`` the rule does not take
    (listing the ones it takes), and for a bad value (the rule's constructor checks each).
    """
    if isinstance(name, LearningRule):
        if params:
            raise ValueError(f"rule_params {params} cannot be applied to a rule instance "
                             f"({name!r}); pass rule={name.name!r} with rule_params, or give "
                             f"them to the rule's constructor")
        return name
    if not isinstance(name, str) or name not in RULES:
        raise ValueError(f"unknown rule {name!r}; choose one of {sorted(RULES)}")
    accepted = rule_param_names(name)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        takes = (f"it takes {', '.join(accepted)}" if accepted
                 else "it takes no rule_params")
        raise ValueError(f"bad rule_params for {name!r}: unknown key(s) "
                         f"{', '.join(map(repr, unknown))}; {takes}")
    return RULES[name](**params)


from .defaults import defaults_table, rule_defaults  # noqa: E402  (needs RULES)

__all__ = ["LearningRule", "DeltaRule", "DRTP", "BP", "FA", "DFA", "IFA", "BFA", "BDFA", "EP", "EFP", "PEPITA",
           "Sigprop", "SigpropCT", "SpikingBP", "SpikingShallow", "SpikingSigprop", "RULES",
           "get_rule", "rule_param_names", "defaults_table", "rule_defaults"]
