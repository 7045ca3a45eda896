"""What each rule trains with when ``Classifier``'s arguments are ``None``, read from the code.

``rule.defaults`` (activation, loss, optimizer, learning rate, and where set, optimiser
hyperparameters, dropout and schedule), ``rule.default_init(activation)`` and the defaults of
the rule's constructor (its ``rule_params``) are the whole story; :func:`defaults_table` puts
them in one table, which the docs page ``docs/defaults.md`` renders at build time, so the
page cannot drift from the code. Why each value was chosen is on that page.
"""
import inspect

from . import RULES

#: Columns of :func:`defaults_table`.
COLUMNS = ("rule", "activation", "loss", "optimizer", "learning_rate", "init", "other",
           "rule_params")


def rule_defaults(name):
    """The settings rule ``name`` trains with when every ``Classifier`` argument is ``None``.

    Returns
    -------
    dict
        ``activation``, ``loss``, ``optimizer``, ``learning_rate``, ``init`` (the weight
        initialiser for that activation), ``other`` (``optimizer_params``, ``dropout``,
        ``schedule`` where the rule sets them) and ``rule_params`` (the constructor's
        defaults, in order).

    Examples
    --------
    >>> rule_defaults("dfa")["init"]
    'zero'
    """
    if name not in RULES:
        raise ValueError(f"unknown rule {name!r}; choose one of {sorted(RULES)}")
    cls = RULES[name]
    d = dict(cls.defaults)
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return {"activation": d.pop("activation"), "loss": d.pop("loss"),
            "optimizer": d.pop("optimizer"), "learning_rate": d.pop("learning_rate"),
            "init": cls().default_init(cls.defaults["activation"]), "other": d,
            "rule_params": {p.name: p.default for p in params if p.default is not p.empty}}


def defaults_table(rules=None):
    """One row of strings per rule (default: every rule of :data:`RULES`), in
    :data:`COLUMNS` order: the settings of :func:`rule_defaults`."""
    rows = []
    for name in rules or RULES:
        d = rule_defaults(name)
        other = ", ".join(f"{k}={v!r}" for k, v in d["other"].items()) or "-"
        params = ", ".join(f"{k}={v!r}" for k, v in d["rule_params"].items()) or "-"
        rows.append((name, d["activation"], d["loss"], d["optimizer"], f"{d['learning_rate']:g}",
                     str(d["init"]), other, params))
    return rows


def defaults_markdown(rules=None):
    """:func:`defaults_table` as a Markdown table (e.g. to print in a notebook)."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row) + " |" for row in defaults_table(rules)]
    return "\n".join(lines)
