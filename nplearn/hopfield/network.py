"""The layered continuous Hopfield network of EFP Sec. 2-3, with two connectivities.

Kohan, Rietman & Siegelmann (2018), *Error Forward-Propagation: Reusing Feedforward
Connections to Propagate Errors in Deep Learning*, arXiv:1808.03357 ("EFP"), and
Scellier & Bengio (2017), *Equilibrium Propagation: Bridging the Gap between
Energy-Based Models and Backpropagation*, Front. Comput. Neurosci. 11:24 ("EP").

Notation (paper -> code -> shape), ``L`` = number of weight layers, layer 0 = input:

=========================  ================  =====================================
``x`` (clamped input)      ``x``             ``(n, n_0)``
``s_l``, l = 1..L          ``s[l - 1]``      ``(n, n_l)``; ``s[-1]`` is the output
``rho(s) = clip(s, 0, 1)`` ``rho(s)``        same as ``s``
``W_l`` (layer l-1 -> l)   ``W[l]``          ``(n_l, n_{l-1})``, ``params["W{l}"]``
``b_l``                    ``b[l]``          ``(n_l,)``, ``params["b{l}"]``
loop ``O -> I`` (Eq. 1)    ``W_loop``        ``(n_1, n_L)``, ``params["W_loop"]``
``d`` (target)             ``d``             ``(n, n_L)``
``beta``                   ``beta``          scalar
=========================  ================  =====================================

Connectivities:

* ``"symmetric"`` (EP; EFP Eq. 2-5, Fig. 1c): layer l is driven by ``W_l`` from below and
  by ``W_{l+1}^T`` from above. The dynamics is ``ds/dt = -dF/ds`` with ``F = E + beta C``.
* ``"loop"`` (EFP Eq. 1, Fig. 1a): feedforward ``W_l`` plus one loop matrix from the
  output layer back to layer 1 (the input-receiving layer). No energy function.

Time constant: EFP Eq. 1 has ``-s_j / r_j`` but Eq. 2 has ``(1/r_j) s_j^2``; these agree
only for ``r_j = 2`` in Eq. 2 vs ``r_j = 1`` in Eq. 1. We follow EP (Scellier & Bengio,
Eq. 1-2): ``E = 1/2 sum s^2 - ...``, so ``r_j = 1`` in Eq. 1 and ``-dE/ds = rho'(s) (...) - s``.
"""
import numpy as np

from nplearn.nn import get_activation, get_loss
from nplearn.nn.init import get_init
from nplearn.nn.layered import Layered, float_dtype

CONNECTIVITIES = ("symmetric", "loop")


def rho(s):
    """Hard sigmoid rate ``rho(s) = min(1, max(0, s))`` (EFP Sec. 4)."""
    return np.clip(s, 0.0, 1.0)


class HopfieldNet(Layered):
    """Parameters and energy of a layered continuous Hopfield network.

    Parameters
    ----------
    sizes : sequence of int
        ``(n_0, n_1, ..., n_L)``: input, hidden layers, output. ``"loop"`` needs ``L >= 2``.
    connectivity : {"symmetric", "loop"}
    train_loop : bool
        ``"loop"`` only: whether ``W_loop`` is trained ("The weights in the feedback loop
        connections may be fixed or trained", EFP Sec. 2). A fixed ``W_loop`` is kept in
        ``fixed`` rather than ``params``, so rules and optimisers never see it.
    init : str or callable
        Initialiser from :mod:`nplearn.nn.init` (default ``"xavier"``: Glorot uniform
        weights and zero biases, as in the EP reference code). ``W_loop`` uses it too.
    dtype : {"float64", "float32"}
    rng : int or numpy.random.Generator
    n_predict : int >= 1
        Euler steps of the free phase behind :meth:`logits` (prediction, EFP Eq. 8).
    h : float
        Euler step size of that free phase (EFP Sec. 4: 0.5).

    Notes
    -----
    For the training loop and ``Classifier`` it offers what an ``MLP`` offers: ``params``,
    ``sizes``, ``dtype``, ``n_layers``, ``W``, ``logits(x)`` (the output state after a free
    phase from zero states), ``hidden(x)``, ``f`` (the hard sigmoid) and ``loss``, the half
    squared error ``1/2 ||s_L - y||^2`` averaged over the batch (EFP Eq. 3).
    """

    def __init__(self, sizes, connectivity="symmetric", train_loop=True, init="xavier",
                 dtype="float64", rng=None, n_predict=20, h=0.5):
        sizes = tuple(int(n) for n in sizes)
        if connectivity not in CONNECTIVITIES:
            raise ValueError(f"connectivity must be one of {CONNECTIVITIES}, got {connectivity!r}")
        min_len = 3 if connectivity == "loop" else 2
        if len(sizes) < min_len or min(sizes) < 1:
            raise ValueError(f"{connectivity!r} needs at least {min_len} layers of >= 1 unit "
                             f"(input, hidden..., output), got sizes {sizes}")
        self.dtype = float_dtype(dtype)
        self.sizes, self.connectivity, self.train_loop = sizes, connectivity, bool(train_loop)
        if int(n_predict) != n_predict or n_predict < 1 or not h > 0:
            raise ValueError(f"n_predict must be an integer >= 1 and h > 0, got {n_predict}, {h}")
        self.n_predict, self.h = int(n_predict), float(h)
        self.f = get_activation("hard_sigmoid")          # rho, named for checkpoints
        self.loss = get_loss("mse")                      # EFP Eq. (3), mean over the batch
        rng, init = np.random.default_rng(rng), get_init(init)
        self.params, self.fixed = {}, {}
        for l in range(1, len(sizes)):
            self.params[f"W{l}"], self.params[f"b{l}"] = init(sizes[l], sizes[l - 1], rng, self.dtype)
        if connectivity == "loop":
            W_loop, _ = init(sizes[1], sizes[-1], rng, self.dtype)           # (n_1, n_L)
            (self.params if self.train_loop else self.fixed)["W_loop"] = W_loop

    @property
    def symmetric(self):
        return self.connectivity == "symmetric"

    @property
    def W_loop(self):
        """The loop matrix ``(n_1, n_L)`` (``"loop"`` only), trained or fixed."""
        return self.params.get("W_loop", self.fixed.get("W_loop"))

    def zero_state(self, n):
        """All-zero states ``[s_1, ..., s_L]``, each ``(n, n_l)``."""
        return [np.zeros((n, m), self.dtype) for m in self.sizes[1:]]

    def free_states(self, x, backend="numba"):
        """States ``[s_1, ..., s_L]`` after ``n_predict`` free Euler steps from zero (deterministic)."""
        from .phases import free_phase                 # phases imports this module's users only
        return free_phase(self, x, None, self.n_predict, self.h, backend)

    def logits(self, x):
        """Output states ``s_L`` after the free phase, ``(n, n_L)``: argmax is the prediction
        (EFP Eq. 8)."""
        return self.free_states(x)[-1]

    def hidden(self, x):
        """Hidden states ``[s_1, ..., s_{L-1}]`` after the free phase, each ``(n, n_l)``."""
        return self.free_states(x)[:-1]

    def energy(self, x, s):
        """Hopfield energy, EFP Eq. (2) with ``r_j = 1`` and the factor 1/2 of EP, per example.

        ``E = sum_l 1/2 ||s_l||^2 - sum_l rho(s_l) . (W_l rho(s_{l-1})) - sum_l b_l . rho(s_l)``
        (the input's own ``1/2 ||x||^2`` is a constant and left out; each symmetric pair
        ``w_ij = w_ji`` appears once, which cancels Eq. (2)'s 1/2 over ``i != j``).
        Returns an array of shape ``(n,)``. Defined for ``"symmetric"`` only.
        """
        if not self.symmetric:
            raise ValueError("energy (EFP Eq. 2) needs symmetric weights; this net is 'loop'")
        r_prev, E = rho(x), 0.0
        for l, s_l in enumerate(s, start=1):
            r = rho(s_l)
            E = E + 0.5 * np.sum(s_l * s_l, axis=1)                           # EFP Eq. (2), 1st
            E = E - np.sum(r * (r_prev @ self.W[l].T), axis=1)               # EFP Eq. (2), 2nd
            E = E - r @ self.b[l]                                             # EFP Eq. (2), 3rd
            r_prev = r
        return E

    @staticmethod
    def cost(s, d):
        """``C = 1/2 ||s_out - d||^2`` per example, EFP Eq. (3). Shape ``(n,)``.

        The EP reference code uses ``||s_out - d||^2`` without the 1/2: its ``beta`` is
        half of ours for the same nudge.
        """
        e = s[-1] - d
        return 0.5 * np.sum(e * e, axis=1)

    def total_energy(self, x, s, beta, d):
        """``F = E + beta C``, EFP Eq. (4), per example."""
        return self.energy(x, s) + beta * self.cost(s, d)

    def __repr__(self):
        loop = f", train_loop={self.train_loop}" if not self.symmetric else ""
        return f"HopfieldNet(sizes={self.sizes}, connectivity={self.connectivity!r}{loop})"
