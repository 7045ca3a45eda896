"""Equilibrium Propagation (EP) on a layered continuous Hopfield network with symmetric weights.

Scellier, B. & Bengio, Y. (2017). Equilibrium Propagation: Bridging the Gap between
Energy-Based Models and Backpropagation. Front. Comput. Neurosci. 11:24. Equations as
numbered in Kohan, Rietman & Siegelmann (2018), arXiv:1808.03357 ("EFP"), Eq. (1)-(5), (7):

    free phase      relax ds/dt = -dE/ds (beta = 0) from the start state to s^0   (1), (2), (7)
    nudged phase    relax ds/dt = -dF/ds, F = E + beta C, C = 1/2 ||s_L - d||^2,
                    starting from s^0, to s^beta                                   (3), (4), (7)
    update          Delta W_ij = (1/beta) (rho(s_i^b) rho(s_j^b) - rho(s_i^0) rho(s_j^0))   (5)

Legend (paper -> code -> shape): ``x`` -> ``x`` ``(n, n_0)``; ``s^0``, ``s^beta`` -> ``s0``,
``sb`` (lists ``[s_1..s_L]``, ``(n, n_l)``); ``d`` -> ``Y`` ``(n, n_L)``; ``beta`` -> ``beta``.
The Euler loops and Eq. (5) are Numba kernels in :mod:`nplearn.hopfield` (NumPy twins beside).

``g = -Delta W`` tends to the gradient of ``C`` at the free fixed point as ``beta -> 0`` (EP's
theorem; ``tests/test_hopfield_engine.py``); for a finite ``beta`` it is NOT a gradient.

Decisions
---------
* **Cost convention.** ``C = 1/2 ||s_L - d||^2`` (EFP Eq. 3). The EP reference code uses
  ``||s_L - d||^2`` (no 1/2), so its nudge is ``2 beta_ref`` and its update estimates the
  gradient of twice our cost. ``beta = 1.0`` (reference 0.5) and the default per-layer rates
  ``(0.2, 0.1)`` (reference 0.1, 0.05, times 2) reproduce its dynamics, and at
  ``learning_rate=1`` its steps exactly; the default ``learning_rate=2`` doubles them, chosen
  on validation splits for 20 epochs of minibatches of 64 (docs page "Defaults").
* **Persistent particles** (reference code): one stored state per training example; the
  free phase starts from it and writes its fixed point back. Examples are keyed by their
  index in the training set, ``idx``, which the trainer passes with each batch; the
  particles are arrays ``particles_[l]`` of shape ``(n_seen, n_l)`` (zeros for an example
  not yet seen, grown as larger indices arrive), returned by :meth:`state`, so checkpoints
  save them and a resumed run continues exactly. A direct call without ``idx`` (rows of no
  training set) starts from zero states and stores nothing. ``persistent=False``: every
  free phase starts from zero.
* **Sign of beta** drawn at random (+-) each batch from the training ``rng`` (reference
  code), ``random_sign=True``; that halves the bias of the one-sided estimate on average.
  With ``rng=None`` (a direct call) nothing is drawn and ``beta`` keeps its sign, so equal
  calls give equal updates.
* **Symmetric nudge** (``symmetric_nudge=True``, off by default): a third phase with
  ``-beta``, both nudged phases from ``s^0``, and Eq. (5) between ``s^{-beta}`` and
  ``s^{+beta}`` over ``2 beta`` (second-order accurate in ``beta``); ``random_sign`` is then moot.
* **Prediction**: argmax of ``s_L`` after a free phase of ``n_predict`` steps from zero
  (default ``5 n_free``: without particles, 20 steps from zero are not yet at the fixed point).
"""
import numpy as np

from ..hopfield import clamped_phase, free_phase, hebbian_update, two_phase_update
from .base import check_flag, check_number
from .hopfield_base import HopfieldRule


class EP(HopfieldRule):
    """Equilibrium propagation: contrastive Hebbian update between two fixed points (EFP Eq. 5).

    Parameters
    ----------
    n_free, n_clamped : int
        Euler steps of the free and the nudged phase (reference: 20, 4).
    beta : float > 0
        Nudge strength in the convention ``C = 1/2 ||s_L - d||^2`` (1.0 = reference 0.5).
    h : float
        Euler step size (0.5).
    lr_layers : tuple of float, optional
        Rate per weight layer ``W_1..W_L`` (its bias shares it), multiplied into ``g``.
        ``None``: ``(0.2, 0.1)`` for one hidden layer (the reference's), else ones.
    persistent : bool
        Persistent particles, one state per training example.
    random_sign : bool
        Draw the sign of ``beta`` at random each batch.
    symmetric_nudge : bool
        Third phase with ``-beta``; Eq. (5) between the two nudged states.
    n_predict : int, optional
        Free steps from zero behind a prediction; ``None``: ``5 * n_free``.
    """

    name = "ep"
    paper = "Scellier & Bengio (2017), Front. Comput. Neurosci.; EFP Eq. (1)-(5), (7)"
    connectivity = "symmetric"
    defaults = {**HopfieldRule.defaults, "learning_rate": 2.0}

    def __init__(self, n_free=20, n_clamped=4, beta=1.0, h=0.5, lr_layers=None,
                 persistent=True, random_sign=True, symmetric_nudge=False, n_predict=None):
        self.n_free = n_free
        self.n_clamped = n_clamped
        self.beta = beta
        self.h = h
        self.lr_layers = lr_layers
        self.persistent = check_flag(self.name, "persistent", persistent)
        self.random_sign = check_flag(self.name, "random_sign", random_sign)
        self.symmetric_nudge = check_flag(self.name, "symmetric_nudge", symmetric_nudge)
        self.n_predict = check_number(self.name, "n_predict", n_predict, low=1, integer=True,
                                      none_ok=True)
        self.check_dynamics()

    def predict_steps(self):
        return 5 * self.n_free if self.n_predict is None else self.n_predict

    def default_lr_layers(self, n_rates):
        return (0.2, 0.1) if n_rates == 2 else (1.0,) * n_rates

    def make_model(self, sizes, activation, loss, init, dropout, dtype, rng, **conv):
        net = super().make_model(sizes, activation, loss, init, dropout, dtype, rng, **conv)
        self.particles_ = [np.zeros((0, m), net.dtype) for m in net.sizes[1:]]
        return net

    def _start(self, model, idx):
        """Persistent particles of the training examples ``idx`` (zeros if not yet seen);
        None (zero states) without particles or indices."""
        if not self.persistent or idx is None or idx.size == 0:
            return None
        n_seen = self.particles_[0].shape[0]
        if idx.max() >= n_seen:                        # grow: new examples start at zero
            grow = int(idx.max()) + 1 - n_seen
            self.particles_ = [np.concatenate([p, np.zeros((grow, p.shape[1]), p.dtype)])
                               for p in self.particles_]
        return [p[idx] for p in self.particles_]

    def _store(self, idx, s0):
        if self.persistent and idx is not None:
            for p, s_k in zip(self.particles_, s0):
                p[idx] = s_k

    def updates(self, model, x, Y, rng=None, trace=None, stats=None, idx=None, loop=0):
        """Update directions ``g = -lr_l Delta W_l`` (EFP Eq. 5) for one minibatch.

        ``idx`` (training-set indices of the rows) selects the persistent particles; ``rng``
        draws the sign of ``beta`` (``None``: no draw, ``beta > 0``)."""
        idx = _check_idx(idx, x.shape[0])
        if rng is not None and not isinstance(rng, np.random.Generator):
            rng = np.random.default_rng(rng)                                # a seed
        x = self.inputs(model, x)
        n_free, n_clamped, h = self.n_free, self.n_clamped, self.h
        beta = float(self.beta)
        if self.symmetric_nudge:
            s0 = free_phase(model, x, self._start(model, idx), n_free, h)  # EFP Eq. (1), (2), (7)
            sp = clamped_phase(model, x, s0, Y, beta, n_clamped, h)         # EFP Eq. (4): +beta
            sm = clamped_phase(model, x, s0, Y, -beta, n_clamped, h)        # EFP Eq. (4): -beta
            g = hebbian_update(model, "chl", x, sm, sp, 2 * beta)          # EFP Eq. (5), centred
            sb = sp
        else:
            if self.random_sign and rng is not None and rng.integers(2):
                beta = -beta                                                # reference code
            s0, sb, g = two_phase_update(model, "chl", x, Y, beta, self._start(model, idx),
                                         n_free, n_clamped, h)   # EFP Eq. (1)-(5), (7)
        self._store(idx, s0)
        self.fill(model, x, Y, s0, sb, g, trace, stats)
        if trace is not None:
            trace["beta"] = beta
        return self.scale(model, g)

    def state(self):
        """The input map and the persistent particles ``particle_1 .. particle_L``."""
        out = super().state()
        out.update({f"particle_{l}": p for l, p in enumerate(self.particles_, start=1)})
        return out

    def load_state(self, state):
        super().load_state(state)
        keys = [k for k in state if k.startswith("particle_")]
        if keys:
            self.particles_ = [np.array(state[f"particle_{l}"])
                               for l in range(1, len(keys) + 1)]


def _check_idx(idx, n):
    """``idx`` as an int array of ``n`` non-negative training-set indices (or None)."""
    if idx is None:
        return None
    idx = np.asarray(idx)
    if idx.shape != (n,) or not np.issubdtype(idx.dtype, np.integer) or (n and idx.min() < 0):
        raise ValueError(f"idx must hold the {n} rows' non-negative indices in the training "
                         f"set (integers, shape ({n},)); got shape {idx.shape}, dtype {idx.dtype}")
    return idx
