"""``train_step(trace=True)``: one update, recorded whole as a :class:`StepRecord`.

The traced step is the step training makes (the same rule calls, the same optimiser steps,
on the same arrays, in the same order), with copies taken around it. For each call of the
rule on the batch the record holds, in this order (:data:`~nplearn.rules.step_record.KINDS`):

1. the inputs ``x``, ``y`` (and ``loop``, the call number, for a rule that calls more than
   once per batch);
2. every trained array before the call, ``W1_before``, ``b1_before``, ... (the rule's
   trained feedback too, e.g. ``B1_before``), and the rule's fixed arrays (``B1``, ``F``);
3. the rule's intermediates in computing order, each with its equation
   (:meth:`LearningRule.updates <nplearn.rules.LearningRule.updates>` fills them) and the
   batch loss ``loss``;
4. the update directions ``dW_1``, ``db_1``, ...: the paper's ``Delta W`` before the
   learning rate, ``-g`` where ``g`` is what the optimiser receives (EP, EFP and sigprop_ct
   record theirs before the per-layer rates too);
5. ``W1_applied``, ...: the change the optimiser made, and ``W1_after``, ...: the arrays
   after it, with ``W1_before + W1_applied == W1_after`` bit for bit.

Why the applied change is exact. nplearn's optimisers update in place, ``p <- p - s``, with
a step ``s`` that does not depend on ``p`` (``lr g`` for SGD, ``lr g / (sqrt(r) + eps)`` for
RMSprop, ...). A copy of the optimiser, in the same state, takes the same step from
``p = -0.0``: its result is ``-s`` exactly, and ``p + (-s)`` is, in floating point, the very
operation ``p - s`` the optimiser performs. (``after - before`` would not do: rounding the
difference need not undo the rounding of the update.) Each record checks the identity and
raises a RuntimeError for an optimiser that breaks it.

A rule with ``steps_per_batch = k > 1`` (EFP's loop of Sec. 3.2.2) is called ``k`` times on
the batch, each call's update applied before the next: one record per call, in
``record.calls``; the record returned is the first call's, and the second call's
``W1_before`` is the first's ``W1_after``.
"""
import copy

import numpy as np

from ..rules.step_record import StepRecord, direction_key
from .divergence import PARAM_BOUND
from .loop import loss_diverged, params_diverged


def traced_step(model, rule, optimizer, x, Y, rng=None, idx=None, bound=PARAM_BOUND):
    """One minibatch update, as :func:`~nplearn.train.train_step` makes it, recorded whole.

    Parameters
    ----------
    model, rule, optimizer, x, Y, rng, idx, bound
        As for :func:`~nplearn.train.train_step`.

    Returns
    -------
    StepRecord
        The first rule call's record (module docstring); ``record.calls`` has one per call.

    Raises
    ------
    DivergenceError
        As :func:`~nplearn.train.train_step`.
    RuntimeError
        The optimiser's step depends on the parameter, so ``before + applied`` is not
        ``after`` (none of nplearn's optimisers does this).
    """
    x, Y = x.astype(model.dtype, copy=False), Y.astype(model.dtype, copy=False)  # no upcasting
    eq = rule.equations
    n_calls = getattr(rule, "steps_per_batch", 1)
    calls = []
    for k in range(n_calls):
        rec = StepRecord(rule.name)
        rec.put("x", x, eq.get("x", ""), "the input batch, one example per row", "input")
        rec.put("y", Y, eq.get("y", ""), "the one-hot targets", "input")
        if n_calls > 1:
            rec.put("loop", k, eq.get("loop", ""), f"this call's number on the batch (0 to "
                    f"{n_calls - 1}), each call's update applied before the next", "input")
        params = {**model.params, **rule.learned_params()}
        for name, p in params.items():
            rec.put(f"{name}_before", p.copy(), "", f"{name} before the update", "before")
        for name, value, equation, text in rule.trace_state():
            rec.put(name, np.array(value), equation, text, "state")
        st = {}
        g = rule.updates(model, x, Y, rng=rng, trace=rec, stats=st, idx=idx, loop=k)
        if not np.isfinite(st["loss"]):
            raise loss_diverged(st["loss"], optimizer)
        if "loss" not in rec:
            rec.put("loss", st["loss"], eq.get("loss", ""), "the batch loss before the update")
        for name in (n for n in params if n in g):          # in the order of the arrays
            if direction_key(name) not in rec:
                rec.put(direction_key(name), -g[name], eq.get("update", rule.paper or ""),
                        f"-g of {name}: the rule's update direction, before the learning "
                        f"rate", "direction")
        applied = _applied(optimizer, params, g)
        bad = optimizer.step(params, g, bound=bound)
        if bad:
            raise params_diverged(bad, bound, st["loss"], optimizer)
        how = _step_formula(optimizer)
        for name in params:
            rec.put(f"{name}_applied", applied[name], how,
                    f"the change the optimiser made to {name}", "applied")
        for name, p in params.items():
            rec.put(f"{name}_after", p.copy(), "",
                    f"{name} after the update: {name}_before + {name}_applied", "after")
            _check_exact(rec, name, optimizer)
        calls.append(rec.sort())
    for rec in calls:
        rec.calls = tuple(calls)
    return calls[0]


def _applied(optimizer, params, g):
    """``-s`` for every parameter: a copy of ``optimizer`` steps from ``p = -0.0`` (module
    docstring); parameters without a direction get ``-0.0`` (adding it changes no bit)."""
    out = {name: np.full_like(p, -0.0) for name, p in params.items()}
    twin = copy.deepcopy(optimizer)
    twin.step({name: out[name] for name in g}, {name: v.copy() for name, v in g.items()})
    return out


def _check_exact(rec, name, optimizer):
    before, applied, after = (rec[f"{name}_{s}"] for s in ("before", "applied", "after"))
    if (before + applied).tobytes() != after.tobytes():
        raise RuntimeError(f"{type(optimizer).__name__}'s step of {name} is not p - s with s "
                           f"independent of p, so the trace cannot record the applied change "
                           f"exactly; trace with SGD, RMSprop or Adam")


def _step_formula(optimizer):
    """The applied change in symbols, e.g. ``"RMSprop (lr 0.003): -lr g / (sqrt(r) + eps)"``."""
    lr = f"lr {optimizer.lr:g}"
    if optimizer.name == "sgd":
        mu = getattr(optimizer, "momentum", 0.0)
        return (f"SGD ({lr}, momentum {mu:g}): -lr v, v = mu v + g" if mu else
                f"SGD ({lr}): -lr g")
    if optimizer.name == "rmsprop":
        return f"RMSprop ({lr}): -lr g / (sqrt(r) + eps), r = rho r + (1 - rho) g^2"
    if optimizer.name == "adam":
        return f"Adam ({lr}): -lr m_hat / (sqrt(v_hat) + eps)"
    return f"{type(optimizer).__name__} ({lr})"
