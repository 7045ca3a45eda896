"""Hidden-unit non-linearities ``f`` and their derivatives ``f'``.

Every activation is an :class:`Activation` with two methods:

``f(a)``
    the rate ``h = f(a)`` for pre-activations ``a`` of shape ``(n, n_l)``;
``df(a, h)``
    the derivative ``f'(a)`` (DFA paper, Eq. 6-9). ``h = f(a)`` is passed too,
    because for tanh and the logistic the derivative is cheapest from ``h``.

Here ``h`` is always the hidden RATE ``f(a)`` (the DFA paper's ``h_l``). In
:mod:`nplearn.hopfield` and the Hopfield rules ``h`` is the Euler STEP size of EFP Eq. (7)
instead, and the rate is ``rho(s)`` (``r`` in the code).

The hard sigmoid ``rho(s) = clip(s, 0, 1)`` is the rate of the continuous
Hopfield network (EFP paper, Sec. 2). Here its derivative is 1 on the OPEN interval
(0, 1), else 0 (at the kinks 0 and 1 it is 0, as ``relu'(0) = 0``); the Hopfield engine's
``rho'`` (:func:`nplearn.hopfield.drho`) is 1 on the CLOSED interval [0, 1]. Why both are
kept: docs page "Decisions", section "rho' at the ends of [0, 1]".
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Activation:
    """A named non-linearity with its derivative.

    Parameters
    ----------
    name : str
        Registry name, e.g. ``"tanh"``.
    f : callable
        ``f(a) -> h``, elementwise.
    df : callable
        ``df(a, h) -> f'(a)``, elementwise, same dtype as ``a``.
    bounded : bool
        True if ``f`` saturates on both sides (tanh, logistic, hard sigmoid).
        With such units DFA may start from zero weights (DFA paper, Sec. 3).
    """

    name: str
    f: Callable
    df: Callable
    bounded: bool

    def __repr__(self):
        return f"Activation({self.name!r})"


def _logistic(a):
    # 1 / (1 + exp(-a)), written with tanh so it never overflows
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _dtanh(a, h):
    return 1.0 - h * h


def _dlogistic(a, h):
    return h * (1.0 - h)


def _relu(a):
    return np.maximum(a, 0.0)


def _drelu(a, h):
    return (a > 0).astype(a.dtype)


LEAKY_SLOPE = 0.01


def _leaky_relu(a):
    return np.where(a > 0, a, LEAKY_SLOPE * a)


def _dleaky_relu(a, h):
    return np.where(a > 0, 1.0, LEAKY_SLOPE).astype(a.dtype)


def _linear(a):
    return a


def _dlinear(a, h):
    return np.ones_like(a)


def _hard_sigmoid(a):
    return np.clip(a, 0.0, 1.0)


def _dhard_sigmoid(a, h):
    # 1 on the OPEN interval (0, 1), 0 at the kinks a = 0 and a = 1 (as relu'(0) = 0). The
    # Hopfield engine's rho' (nplearn.hopfield.dynamics.drho) is 1 on the CLOSED [0, 1]:
    # its states sit exactly at 0 or 1 after every clipped Euler step (docs/decisions.md).
    return ((a > 0) & (a < 1)).astype(a.dtype)


ACTIVATIONS = {
    "tanh": Activation("tanh", np.tanh, _dtanh, True),
    "logistic": Activation("logistic", _logistic, _dlogistic, True),
    "relu": Activation("relu", _relu, _drelu, False),
    "leaky_relu": Activation("leaky_relu", _leaky_relu, _dleaky_relu, False),
    "hard_sigmoid": Activation("hard_sigmoid", _hard_sigmoid, _dhard_sigmoid, True),
    # identity: the linear networks of PEPITA Sec. 4.3 and Lillicrap et al.'s analysis
    "linear": Activation("linear", _linear, _dlinear, False),
}


def get_activation(name):
    """Return the :class:`Activation` called ``name`` (or ``name`` itself if it is one)."""
    if isinstance(name, Activation):
        return name
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]
