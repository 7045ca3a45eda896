"""Weight initialisers. Each returns ``(W, b)`` with ``W`` of shape ``(n_out, n_in)``.

=================  ==========================================  ==============
name               W                                            b
=================  ==========================================  ==============
``zero``           0  (DFA paper Sec. 4: FA/DFA with tanh)      0
``uniform_fan_in`` U(-1/sqrt(n_in), 1/sqrt(n_in))  (DFA Sec. 4) same law as W
``xavier``         U(-sqrt(6/(n_in+n_out)), +sqrt(...))          0
``he``             N(0, 2/n_in)                                 0
=================  ==========================================  ==============
"""
import numpy as np


def zero(n_out, n_in, rng, dtype=np.float64):
    return np.zeros((n_out, n_in), dtype), np.zeros(n_out, dtype)


def uniform_fan_in(n_out, n_in, rng, dtype=np.float64):
    r = 1.0 / np.sqrt(n_in)
    W = rng.uniform(-r, r, size=(n_out, n_in)).astype(dtype)
    b = rng.uniform(-r, r, size=n_out).astype(dtype)
    return W, b


def xavier(n_out, n_in, rng, dtype=np.float64):
    r = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-r, r, size=(n_out, n_in)).astype(dtype), np.zeros(n_out, dtype)


def he(n_out, n_in, rng, dtype=np.float64):
    W = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_out, n_in)).astype(dtype)
    return W, np.zeros(n_out, dtype)


def feedback_uniform(n_rows, n_cols, rng, dtype=np.float64):
    """Fixed random feedback ``B`` of shape ``(n_rows, n_cols)``: U(-1/sqrt(fan_out), +1/sqrt(fan_out)).

    DFA paper Sec. 4. ``B`` maps an ``n_cols`` signal onto ``n_rows`` hidden
    units, so its fan-out is ``n_rows`` (by the same convention as ``W``'s fan-in
    being its column count).
    """
    r = 1.0 / np.sqrt(n_rows)
    return rng.uniform(-r, r, size=(n_rows, n_cols)).astype(dtype)


INITS = {"zero": zero, "uniform_fan_in": uniform_fan_in, "xavier": xavier, "he": he}


def get_init(name):
    """Return the initialiser called ``name``."""
    if callable(name):
        return name
    if name not in INITS:
        raise ValueError(f"unknown init {name!r}; choose one of {sorted(INITS)}")
    return INITS[name]
