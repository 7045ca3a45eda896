"""Output non-linearity + loss pairs, each giving the output error ``e``.

All three pairs are matched so that the error at the output pre-activation is
the same simple expression (DFA paper, Eq. 5)::

    e = dJ/da_y = y_hat - y        (per example; J is a mean over the batch)

===============  ====================  =======================================
name             output ``f_y(a_y)``   loss ``J`` (mean over the N examples)
===============  ====================  =======================================
``logistic_bce`` logistic              binary cross-entropy, DFA Eq. (4)
``softmax_ce``   softmax               categorical cross-entropy
``mse``          identity              ``1/2 ||y_hat - y||^2``
===============  ====================  =======================================

Losses are computed from the logits ``a_y`` so they stay finite for any
finite ``a_y``.
"""
import numpy as np


class OutputLoss:
    """Base class: ``output(a)``, ``loss(a, Y)`` and ``error(y_hat, Y)``.

    ``a`` and ``y_hat`` are ``(n, n_classes)``; ``Y`` is the one-hot (or real)
    target of the same shape.
    """

    name = None

    def output(self, a):
        raise NotImplementedError  # abstract

    def loss(self, a, Y):
        raise NotImplementedError  # abstract

    def error(self, y_hat, Y):
        """Output error ``e = y_hat - Y`` (DFA Eq. 5), shape ``(n, n_classes)``."""
        return y_hat - Y

    def __repr__(self):
        return f"{type(self).__name__}()"


class LogisticBCE(OutputLoss):
    """Logistic output units with binary cross-entropy (DFA paper, Eq. 3-5)."""

    name = "logistic_bce"

    def output(self, a):
        return 0.5 * (1.0 + np.tanh(0.5 * a))

    def loss(self, a, Y):
        # DFA Eq. (4) with log(y_hat) = -softplus(-a), log(1 - y_hat) = -softplus(a)
        softplus = np.logaddexp(0.0, a)
        return float(np.sum(softplus - Y * a) / a.shape[0])


class SoftmaxCE(OutputLoss):
    """Softmax output with categorical cross-entropy."""

    name = "softmax_ce"

    def output(self, a):
        z = np.exp(a - a.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def loss(self, a, Y):
        m = a.max(axis=1, keepdims=True)
        log_z = m + np.log(np.exp(a - m).sum(axis=1, keepdims=True))
        return float(np.sum(Y * (log_z - a)) / a.shape[0])


class MSE(OutputLoss):
    """Linear output with half squared error, ``J = 1/(2N) sum ||a - Y||^2``."""

    name = "mse"

    def output(self, a):
        return a

    def loss(self, a, Y):
        return float(0.5 * np.sum((a - Y) ** 2) / a.shape[0])


LOSSES = {cls.name: cls for cls in (LogisticBCE, SoftmaxCE, MSE)}


def get_loss(name):
    """Return a fresh :class:`OutputLoss` called ``name`` (or ``name`` itself)."""
    if isinstance(name, OutputLoss):
        return name
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {sorted(LOSSES)}")
    return LOSSES[name]()
