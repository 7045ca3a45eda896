"""The record of one traced update (``Classifier.trace_step``, ``train_step(trace=True)``).

A :class:`StepRecord` is a plain ``dict`` (``record["delta_1"]``), ordered as the step was
computed, that also knows, for every key, the equation it implements, a one-line
description and its section (:data:`KINDS`)::

    inputs        x, y                              the batch (and the call number of a loop)
    before        W1_before, b1_before, ...         every trained array before the step
    state         B1, F, W_loop, ...                the rule's fixed arrays (feedback, loop)
    intermediate  a_1, h_1, fprime_1, ..., e, delta_1, ..., loss
    direction     dW_1, db_1, ...                   the rule's update, the paper's sign
    applied       W1_applied, b1_applied, ...       the change the optimiser made
    after         W1_after, b1_after, ...           = before + applied, bitwise

Rules write their intermediates with :func:`put`, which also accepts a plain dict (a direct
``rule.updates(..., trace={})`` call then gets the values without the tags).
"""
from collections import namedtuple

import numpy as np

#: One entry of a record: its key, the value, the equation tag, a description, the section.
Entry = namedtuple("Entry", "name value equation description kind")

#: The sections of a record, in the order they appear in it.
KINDS = ("input", "before", "state", "intermediate", "direction", "applied", "after")


class StepRecord(dict):
    """Every array of one update, in computing order, each with its equation.

    A ``dict`` subclass: indexing, ``in``, ``keys()``, ``items()`` (in order) and
    ``np.savez(path, **record)`` work as on a dict. What it adds:

    * :meth:`equation`, :meth:`description`, :meth:`kind` of a key, and :attr:`entries`,
      the list of :data:`Entry` ``(name, value, equation, description, kind)``;
    * :attr:`params`, the trained arrays recorded before and after (``"W1"``, ``"b1"``,
      ``"B1"``...), whose ``<name>_before + <name>_applied == <name>_after`` bitwise;
    * :attr:`calls`, one record per rule call on the batch (EFP's loop makes ``num_loops``,
      each applied before the next); ``(self,)`` for every other rule.

    Parameters
    ----------
    rule : str, optional
        The rule's name, for display.
    """

    def __init__(self, rule=None):
        super().__init__()
        self.rule = rule
        self.calls = (self,)
        self._tags = {}

    def put(self, key, value, equation="", description="", kind="intermediate"):
        """Store ``value`` under ``key`` with its equation tag, description and section;
        returns ``value``."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
        self[key] = value
        self._tags[key] = (str(equation), str(description), kind)
        return value

    def _tag(self, key):
        if key not in self:
            raise KeyError(key)
        return self._tags.get(key, ("", "", "intermediate"))

    def equation(self, key):
        """The equation ``key`` implements, e.g. ``"DFA Eq. (8)"`` (``""`` if none)."""
        return self._tag(key)[0]

    def description(self, key):
        """What ``key`` holds, in words."""
        return self._tag(key)[1]

    def kind(self, key):
        """The section of ``key``: one of :data:`KINDS`."""
        return self._tag(key)[2]

    @property
    def entries(self):
        """``[Entry(name, value, equation, description, kind), ...]`` in record order."""
        return [Entry(k, v, *self._tag(k)) for k, v in self.items()]

    @property
    def params(self):
        """Names of the trained arrays (``"W1"``, ``"b1"``, ..., a rule's ``"B1"``), in order."""
        return [k[:-len("_before")] for k in self if self.kind(k) == "before"]

    def sort(self):
        """Reorder the entries by section (:data:`KINDS`), keeping the order within each."""
        order = {k: i for i, k in enumerate(KINDS)}
        items = sorted(self.items(), key=lambda kv: order[self.kind(kv[0])])
        self.clear()
        self.update(items)
        return self

    def __repr__(self):
        head = f"StepRecord({self.rule or 'step'}, {len(self)} entries"
        if len(self.calls) > 1:
            head += f", call 1 of {len(self.calls)}"
        lines = [head + ")"]
        for name, value, equation, _, kind in self.entries:
            shape = "x".join(map(str, np.shape(value))) or _scalar(value)
            lines.append(f"  {kind:12s} {name:18s} {shape:12s} {equation}")
        return "\n".join(lines)


def put(trace, key, value, equation, description="", kind="intermediate"):
    """Store ``value`` under ``key`` in ``trace`` with its tags (:meth:`StepRecord.put`);
    ``trace`` may be a plain dict, which gets the value only. Returns ``value``."""
    if isinstance(trace, StepRecord):
        return trace.put(key, value, equation, description, kind)
    trace[key] = value
    return value


def direction_key(name):
    """The record key of the update direction of parameter ``name``: ``"W1"`` -> ``"dW_1"``,
    ``"b2"`` -> ``"db_2"``, ``"W_loop"`` -> ``"dW_loop"``."""
    stem = name.rstrip("0123456789")
    digits = name[len(stem):]
    return f"d{stem}_{digits}" if digits and not stem.endswith("_") else f"d{name}"


def _scalar(value):
    try:
        return f"{float(value):.4g}"
    except (TypeError, ValueError):
        return type(value).__name__
