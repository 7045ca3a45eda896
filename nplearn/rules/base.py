"""What the rules with a hidden ``delta_l`` share (:class:`DeltaRule`).

A rule turns one minibatch into update directions ``g`` for every parameter
and returns them as a dict keyed like ``model.params``; it never writes
parameters (the optimiser does ``p -= lr * g``). For BP, ``g`` is the gradient
of the mean loss ``J``; for FA, DFA and IFA it is NOT a gradient.

The rules of the DFA paper differ only in how the hidden update directions
``delta_l = dJ/da_l`` (or their stand-ins) are computed, Eq. (6)-(9). The
rest is common and lives here:

* the forward pass, DFA Eq. (1)-(3);
* the output error ``e = y_hat - y``, Eq. (5);
* the weight updates, Eq. (10), ``dW_l = -delta_l h_{l-1}^T``. In batch form with
  ``J`` a mean over the ``n`` examples (Eq. 4), ``g_W_l = delta_l.T @ h_{l-1} / n``
  and ``g_b_l = mean(delta_l)``.

The per-layer linear algebra is the network's (``model.back``, ``model.through_f``,
``model.grads``, on :class:`~nplearn.nn.MLP` and :class:`~nplearn.nn.ConvNet`), so BP, FA
and DFA run unchanged on convolutional networks: for a conv layer ``W^T delta`` is the
transposed convolution, ``⊙ f'`` first routes the signal back through max pooling, and
Eq. (10) sums over the output pixels (:mod:`nplearn.nn.conv`).
"""
import numbers

import numpy as np

from ..nn import MLP, ConvNet, get_activation
from ..nn.conv_geometry import image_shape_for
from ..nn.init import feedback_uniform
from .step_record import put
from .rule import LearningRule


class DeltaRule(LearningRule):
    """Base of the rules that compute a hidden update direction ``delta_l`` per layer
    and update each weight by DFA Eq. (10): BP, FA, DFA, IFA, DRTP, BFA, BDFA and PEPITA.

    Subclasses set ``name``, ``paper``, ``defaults`` and implement :meth:`deltas`; rules
    with fixed random feedback also implement :meth:`setup` (and :meth:`feedback_pairs`),
    rules with trained feedback :meth:`feedback_updates` and :meth:`learned_params`. The
    rest of the interface is :class:`~nplearn.rules.rule.LearningRule`'s.
    """

    # the DFA paper's tanh, logistic output with BCE and RMSprop; its learning rate was
    # "roughly optimized for BP and then used for all methods": 3e-3 on validation here
    defaults = {"activation": "tanh", "loss": "logistic_bce", "optimizer": "rmsprop",
                "learning_rate": 3e-3}

    #: Equation tags of a traced step (:class:`~nplearn.rules.step_record.StepRecord`): the
    #: inputs ``x``, ``y``, the hidden and output layers, the loss, the error, the hidden
    #: ``delta_l`` (and the ``f'(a_l)`` they use), the rule's fixed feedback and the update
    #: direction. Each rule names its own paper's numbers.
    equations = {"x": "DFA Eq. (1)", "y": "DFA Eq. (4)", "hidden": "DFA Eq. (1)-(2)",
                 "output": "DFA Eq. (3)", "loss": "DFA Eq. (4)", "e": "DFA Eq. (5)",
                 "delta": "DFA Eq. (6)", "feedback": "", "update": "DFA Eq. (10)"}
    #: ``delta_l`` in words for the trace, formatted with ``l``, ``n = l + 1``, ``k = L - l``
    #: and ``next`` (``delta_{l+1}``, or ``e`` when ``l + 1 = L``).
    delta_formula = "(W_{n}^T {next}) ⊙ f'(a_{l})"
    #: Whether :meth:`deltas` computes ``delta_{L-1}`` first (BP, FA) or ``delta_1`` (DFA).
    deltas_top_down = False

    def make_model(self, sizes, activation, loss, init, dropout, dtype, rng, conv=None,
                   image_shape=None, pool=2, input_dropout=0.0):
        """The network this rule trains: an :class:`~nplearn.nn.MLP` (the feedforward
        family), or a :class:`~nplearn.nn.ConvNet` when ``conv`` is given (then
        ``image_shape = (C, H, W)`` with ``C*H*W = sizes[0]`` is required; ``sizes[1:-1]``
        are the dense hidden layers after the conv blocks; no ``input_dropout``)."""
        if conv is None:
            return MLP(sizes, activation=activation, loss=loss, init=init, dropout=dropout,
                       input_dropout=input_dropout, dtype=dtype, rng=rng)
        if input_dropout:
            raise ValueError(f"input_dropout needs a fully connected network; the conv net has "
                             f"none (got input_dropout={input_dropout!r} with conv={conv!r})")
        image_shape = image_shape_for(sizes[0], image_shape, square_if_none=False)
        return ConvNet(image_shape, conv, sizes[1:-1], sizes[-1], activation=activation,
                       loss=loss, init=init, dropout=dropout, pool=pool, dtype=dtype, rng=rng)

    def require_dense(self, model):
        """Raise a ValueError if ``model`` has conv layers (rules written for dense nets only)."""
        if getattr(model, "n_conv", 0):
            raise ValueError(f"rule {self.name!r} supports fully connected networks only; "
                             f"drop conv={model.conv}")

    def deltas(self, model, fwd, e):
        """Hidden update directions ``[None, delta_1, ..., delta_{L-1}, e]``; see subclasses."""
        raise NotImplementedError  # abstract

    def updates(self, model, x, Y, rng=None, trace=None, stats=None, idx=None, loop=0):
        """Update directions ``g`` for one minibatch (arguments and result as
        :meth:`LearningRule.updates <nplearn.rules.LearningRule.updates>`): the forward pass
        (DFA Eq. 1-3, dropout masks from ``rng``), ``e`` (Eq. 5), the rule's :meth:`deltas`
        (Eq. 6-9) and Eq. (10) for every layer, then :meth:`feedback_updates`. ``stats``
        gets ``J`` (Eq. 4) and ``n_errors``; ``trace`` every intermediate (:func:`fill_trace`).
        ``idx`` and ``loop`` are unused (no per-example state, one call per batch).
        """
        fwd = model.forward(x, rng)
        e = model.loss.error(fwd.y_hat, Y)                 # DFA Eq. (5): e = y_hat - y
        delta = self.deltas(model, fwd, e)                 # DFA Eq. (6)-(9)
        g = {}
        for l in range(1, model.n_layers + 1):
            # model.grads: (delta_l / n).T @ h_{l-1} and mean(delta_l); conv: summed over pixels
            g[f"W{l}"], g[f"b{l}"] = model.grads(l, delta[l], fwd)   # DFA Eq. (10): dW_l = -delta_l h_{l-1}^T
        if stats is not None:
            stats["loss"] = model.loss.loss(fwd.a[-1], Y)
            stats["n_errors"] = int(np.sum(fwd.a[-1].argmax(1) != Y.argmax(1)))
        if trace is not None:
            fill_trace(trace, model, fwd, e, delta, g, Y, rule=self,
                       loss=None if stats is None else stats["loss"])
        g.update(self.feedback_updates(model, x, Y, fwd, trace=trace, stats=stats))
        return g

    def describe_delta(self, l, L):
        """``delta_l`` in words for the trace (:attr:`delta_formula`), e.g.
        ``"(B_1 e) ⊙ f'(a_1)"``."""
        nxt = "e" if l + 1 == L else f"delta_{l + 1}"
        return self.delta_formula.format(l=l, n=l + 1, k=L - l, next=nxt)

    def describe_update(self, l, L):
        """``(dW_l, db_l)`` in words for the trace: Eq. (10) in batch form, before the
        learning rate (a conv layer also sums over the output pixels)."""
        post, pre = ("e" if l == L else f"delta_{l}"), ("x" if l == 1 else f"h_{l - 1}")
        return (f"-{post}^T {pre} / n, before the learning rate",
                f"-mean({post}), before the learning rate")

    def feedback_updates(self, model, x, Y, fwd, trace=None, stats=None):
        """Update directions of the rule's trainable feedback, keyed like :meth:`learned_params`.

        Called by :meth:`updates` after the forward weights' updates, on the same batch
        and the same forward pass ``fwd`` (BFA's and BDFA's backward phase). Default:
        none, the feedback is fixed or absent.
        """
        return {}


def fill_trace(trace, model, fwd, e, delta, g, Y, rule=None, loss=None, extra=()):
    """Store one step under the paper's names, in the order it was computed.

    ``x, y`` (only if not recorded yet: the trainer records its inputs first), then per
    layer ``a_l``, ``h_l``, ``fprime_l`` = ``f'(a_l)`` (and ``mask_l`` with dropout), the
    output ``a_L``, ``y_hat``, the loss ``J``, ``e``, the hidden ``delta_l`` in the order
    the rule made them, and the update directions ``dW_l``, ``db_l``, each tagged with
    ``rule``'s :attr:`~LearningRule.equations` when ``trace`` is a
    :class:`~nplearn.rules.step_record.StepRecord`. ``extra``, ``[(key, value, equation,
    description), ...]``, are what the rule computed between ``e`` and the ``delta_l``
    (PEPITA's modulated pass).

    Shapes are the forward pass's: for a conv layer ``a_l``, ``fprime_l`` and ``delta_l``
    are maps ``(n, C_l, Ho_l, Wo_l)`` and ``h_l`` the pooled activities, flat ``(n, n_l)``.
    With dropout, ``h_l`` and ``fprime_l`` already hold the scaled mask ``mask_l``.

    ``dW_l`` is the paper's ``delta W_l = -g_W_l`` of Eq. (10) (the change before
    the learning rate), so its sign matches the paper, not the optimiser.
    """
    rule = DeltaRule() if rule is None else rule      # a direct call: the DFA paper's tags
    eq, L = rule.equations, model.n_layers
    if "x" not in trace:
        put(trace, "x", fwd.h[0], eq["x"], "the input batch, one example per row", "input")
        put(trace, "y", Y, eq["y"], "the one-hot targets", "input")
    if fwd.mask[0] is not None:
        put(trace, "mask_0", fwd.mask[0], "dropout (Srivastava et al. 2014)",
            "the input's dropout mask, scaled by 1 / (1 - p)")
        put(trace, "h_0", fwd.h[0], "dropout (Srivastava et al. 2014)", "x ⊙ mask_0")
    for l in range(1, L + 1):
        pre = f"h_{l - 1}" if l > 1 or fwd.mask[0] is not None else "x"
        op = f"conv(W_{l}, {pre})" if model.is_conv(l) else f"W_{l} {pre}"
        put(trace, f"a_{l}", fwd.a[l], eq["output" if l == L else "hidden"],
            f"a_{l} = {op} + b_{l}, the pre-activation")
        if l == L:
            put(trace, "y_hat", fwd.y_hat, eq["output"], f"y_hat = f_y(a_{L}), the output")
            break
        put(trace, f"h_{l}", fwd.h[l], eq["hidden"], f"h_{l} = f(a_{l})")
        put(trace, f"fprime_{l}", fwd.df[l], eq.get("fprime", eq["delta"]),
            f"f'(a_{l}), the slope of f at a_{l}")
        if fwd.mask[l] is not None:
            put(trace, f"mask_{l}", fwd.mask[l], "dropout (Srivastava et al. 2014)",
                f"the dropout mask of h_{l}, scaled by 1 / (1 - p); in h_{l} and fprime_{l}")
    if loss is None:
        loss = model.loss.loss(fwd.a[-1], Y)
    put(trace, "loss", loss, eq["loss"], "J, the batch-mean loss before the update")
    put(trace, "e", e, eq["e"], "e = y_hat - y, the output error")
    for key, value, equation, text in extra:
        put(trace, key, value, equation, text)
    for l in (range(L - 1, 0, -1) if rule.deltas_top_down else range(1, L)):
        put(trace, f"delta_{l}", delta[l], eq["delta"], f"delta_{l} = {rule.describe_delta(l, L)}")
    for l in range(1, L + 1):
        dW, db = rule.describe_update(l, L)
        put(trace, f"dW_{l}", -g[f"W{l}"], eq["update"], f"dW_{l} = {dW}", "direction")
        put(trace, f"db_{l}", -g[f"b{l}"], eq["update"], f"db_{l} = {db}", "direction")
    return trace


def zero_init_if_bounded(activation):
    """DFA paper Sec. 4: FA/DFA start from zero weights with tanh or logistic units;
    ReLU (and the hard sigmoid, whose derivative is 0 at 0) cannot, so they use U(+-1/sqrt(fan_in))."""
    return "zero" if get_activation(activation).name in ("tanh", "logistic") else "uniform_fan_in"


def direct_feedback(model, rng):
    """``{"B1": B_1, ..., "B{L-1}": B_{L-1}}``, each ``B_l`` of shape ``(n_l, n_L)`` drawn from
    U(+-1/sqrt(fan_out)) (DFA paper Sec. 4): the fixed matrices that carry the output (DFA's
    ``e``, DRTP's target) straight to every hidden layer."""
    n, L = model.sizes, model.n_layers
    return {f"B{l}": feedback_uniform(n[l], n[L], rng, model.dtype) for l in range(1, L)}


def direct_feedback_pairs(model, B):
    """``[(name, B_l, (W_L ... W_{l+1})^T), ...]``: each direct feedback matrix against BP's
    whole path from the output (:meth:`LearningRule.feedback_pairs`); layers whose path
    holds a conv kernel are skipped."""
    L = model.n_layers
    return [(f"B{l}", B[f"B{l}"], forward_path(model, l).T)
            for l in range(1, L) if not any(model.is_conv(k) for k in range(l + 1, L + 1))]


def forward_path(model, l):
    """``W_L W_{L-1} ... W_{l+1}``, shape ``(n_L, n_l)``: the linear path from layer ``l``
    to the output.

    Raises a ValueError if a conv layer lies on the path (a kernel is not that matrix).
    """
    W = model.W
    conv = [k for k in range(l + 1, model.n_layers + 1) if model.is_conv(k)]
    if conv:
        raise ValueError(f"forward_path: W_{conv[0]} is a conv kernel; the path from layer "
                         f"{l} is not a product of matrices")
    M = W[model.n_layers]
    for k in range(model.n_layers - 1, l, -1):
        M = M @ W[k]
    return M


# ------------------------------------------------------------ hyperparameter checks
# Each rule checks its own hyperparameters once, in its constructor, with these: the message
# names the rule, the knob and the accepted values.

def check_choice(rule, name, value, choices):
    """Raise a ValueError unless ``value`` is one of the strings ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"rule {rule!r}: {name} must be one of "
                         f"{', '.join(repr(c) for c in choices)}; got {value!r}")
    return value


def check_flag(rule, name, value):
    """Raise a ValueError unless ``value`` is True or False."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"rule {rule!r}: {name} must be True or False; got {value!r}")
    return bool(value)


def check_number(rule, name, value, low=None, strict=False, integer=False, none_ok=False):
    """Raise a ValueError unless ``value`` is a finite (integer) number ``>= low`` (``> low``
    with ``strict``), or None when ``none_ok``; returns it as int or float."""
    if value is None and none_ok:
        return None
    kind = "an integer" if integer else "a finite number"
    bound = "" if low is None else f" {'>' if strict else '>='} {low}"
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    ok = ok and np.isfinite(value) and (not integer or float(value) == int(value))
    ok = ok and (low is None or (value > low if strict else value >= low))
    if not ok:
        none = " or None" if none_ok else ""
        raise ValueError(f"rule {rule!r}: {name} must be {kind}{bound}{none}; got {value!r}")
    return int(value) if integer else float(value)
