"""Optimisers: they apply update directions ``g`` to parameters, in place.

Each update is one fused pass per parameter (:mod:`nplearn.optim.kernels`): a
Numba kernel by default, or its readable NumPy twin with ``backend="numpy"``.

A learning rule returns ``g`` (a dict keyed like ``model.params``); the
optimiser turns it into a step. With plain SGD the step is ``p -= lr * g``.
The optimisers know nothing about learning rules (scikit-learn's
``_stochastic_optimizers`` follows the same split).

State arrays (velocities, second moments) are created lazily, one per
parameter key, and exposed through :meth:`Optimizer.state_dict` for checkpoints.
"""
import inspect

import numpy as np

from .kernels import BACKENDS, fused_update


class Optimizer:
    """Base class. ``lr`` may be changed between steps (learning-rate schedules)."""

    name = None

    def __init__(self, lr, backend="numba"):
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.number)) or \
                not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"learning rate must be a positive finite number, got {lr!r}")
        lr = float(lr)
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
        self.backend = backend
        self.lr = self.base_lr = lr   # a schedule sets lr = base_lr * factor
        self.t = 0
        self.state = {}

    def step(self, params, grads, bound=None):
        """Update every ``params[k]`` in place from ``grads[k]``; ``grads`` may be reused as scratch.

        Returns the keys whose updated parameter has an entry that is NaN, inf or beyond
        ``+-bound`` (``None``: only NaN and inf count), found in the update's own pass:
        the training loop's divergence check (:func:`nplearn.train.train_step`).
        """
        self.t += 1
        bad = []
        for k, g in grads.items():
            p = params[k]
            flag = self._update(k, p, g, bound)
            if flag is None:                 # a subclass whose _update does not check
                flag = not np.all(np.abs(p) <= (np.inf if bound is None else bound))
            if flag:
                bad.append(k)
        return bad

    def _update(self, k, p, g, bound):
        """Update ``p`` in place from ``g``; return whether it left ``+-bound`` (see :meth:`step`)."""
        raise NotImplementedError  # abstract

    def _slot(self, name, k, like):
        key = f"{name}/{k}"
        if key not in self.state:
            self.state[key] = np.zeros_like(like)
        return self.state[key]

    def state_dict(self):
        return {"t": self.t, "lr": self.lr, "base_lr": self.base_lr, **self.state}

    def load_state_dict(self, state):
        state = dict(state)
        self.t = int(state.pop("t"))
        self.lr = float(state.pop("lr"))
        self.base_lr = float(state.pop("base_lr"))
        self.state = {k: np.array(v) for k, v in state.items()}

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr:g})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional (heavy-ball) momentum.

    ``v <- mu v + g ;  p <- p - lr v``   (``mu = 0``: ``p <- p - lr g``)
    """

    name = "sgd"

    def __init__(self, lr=0.01, momentum=0.0, backend="numba"):
        super().__init__(lr, backend)
        self.momentum = _fraction("momentum", momentum)

    def _update(self, k, p, g, bound):
        if self.momentum:
            return fused_update("momentum", self.backend, p, g, self._slot("v", k, p), self.lr,
                                self.momentum, bound=bound)
        return fused_update("sgd", self.backend, p, g, self.lr, bound=bound)


class RMSprop(Optimizer):
    """RMSprop (Tieleman & Hinton, 2012), the optimiser of the DFA paper.

    ``r <- rho r + (1 - rho) g^2 ;  p <- p - lr g / (sqrt(r) + eps)``
    """

    name = "rmsprop"

    def __init__(self, lr=1e-3, rho=0.9, eps=1e-8, backend="numba"):
        super().__init__(lr, backend)
        self.rho, self.eps = _fraction("rho", rho), _positive("eps", eps)

    def _update(self, k, p, g, bound):
        return fused_update("rmsprop", self.backend, p, g, self._slot("r", k, p), self.lr,
                            self.rho, self.eps, bound=bound)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction.

    ``m <- b1 m + (1-b1) g ; v <- b2 v + (1-b2) g^2 ;
    p <- p - lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)``
    """

    name = "adam"

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, backend="numba"):
        super().__init__(lr, backend)
        self.beta1, self.beta2 = _fraction("beta1", beta1), _fraction("beta2", beta2)
        self.eps = _positive("eps", eps)

    def _update(self, k, p, g, bound):
        c1, c2 = 1.0 - self.beta1 ** self.t, 1.0 - self.beta2 ** self.t
        return fused_update("adam", self.backend, p, g, self._slot("m", k, p),
                            self._slot("v", k, p), self.lr, self.beta1, self.beta2, self.eps,
                            c1, c2, bound=bound)


OPTIMIZERS = {cls.name: cls for cls in (SGD, RMSprop, Adam)}


def _fraction(name, value):
    """A hyperparameter in [0, 1) (momentum, decay rates)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or \
            not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)


def _positive(name, value):
    """A finite hyperparameter >= 0 (eps; 0 only where no division by zero can occur)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or \
            not (np.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def get_optimizer(name, lr=None, **kwargs):
    """Build the optimiser called ``name`` (``lr=None`` keeps its default)."""
    if isinstance(name, Optimizer):
        return name
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {sorted(OPTIMIZERS)}")
    if lr is not None:
        kwargs["lr"] = lr
    cls = OPTIMIZERS[name]
    known = set(inspect.signature(cls).parameters) - {"lr", "backend"}
    unknown = sorted(set(kwargs) - known - {"lr", "backend"})
    if unknown:
        raise ValueError(f"unknown hyperparameter(s) {unknown} for optimizer {name!r}; "
                         f"it takes {sorted(known)}")
    return cls(**kwargs)
