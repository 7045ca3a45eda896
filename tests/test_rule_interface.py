"""The rule interface: every rule is a LearningRule; only the delta rules carry deltas."""
import inspect

from nplearn.rules import RULES, DeltaRule, LearningRule

DELTA_RULES = {"bp", "fa", "dfa", "ifa", "drtp", "bfa", "bdfa", "pepita"}


def test_every_rule_is_a_learning_rule_and_the_delta_family_is_the_dfa_papers_and_relatives():
    assert all(issubclass(cls, LearningRule) for cls in RULES.values())
    assert {name for name, cls in RULES.items() if issubclass(cls, DeltaRule)} == DELTA_RULES


def test_rules_without_a_hidden_delta_have_no_deltas_method_to_hide():
    # EP, EFP, sigprop and the spiking rules used to inherit deltas() and set it to None
    for name, cls in RULES.items():
        if name not in DELTA_RULES:
            assert not hasattr(cls, "deltas"), name
            assert not hasattr(cls, "describe_delta"), name
        else:
            assert callable(cls.deltas), name


def test_the_base_interface_is_what_the_trainer_estimator_and_checkpoints_call_and_documented():
    members = {n for n, _ in inspect.getmembers(LearningRule) if not n.startswith("_")}
    # what a rule is (name, paper, defaults, equations, steps_per_batch), what it builds and
    # draws (make_model, default_init, setup, prepare), what it computes (updates,
    # feedback_pairs), what it owns (state, load_state, learned_params, trace_state, get_params)
    assert members == {"name", "paper", "defaults", "equations", "steps_per_batch",
                       "make_model", "default_init", "setup", "prepare", "updates",
                       "feedback_pairs", "state", "load_state", "learned_params",
                       "trace_state", "get_params"}
    for n in members:
        value = getattr(LearningRule, n)
        if callable(value):
            assert value.__doc__, n
