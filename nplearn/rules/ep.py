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
  ``||s_L - d||^2`` (no 1/2), so its nudge term is ``-2 beta_ref (s_L - d)`` where ours is
  ``-beta (s_L - d)``: the same states for ``beta = 2 beta_ref``. Its step is
  ``(alpha_ref / beta_ref) Delta(rho rho)``, ours ``learning_rate * lr_l * (1 / beta)
  Delta(rho rho)`` (:mod:`nplearn.rules.hopfield_base`), the same step for
  ``learning_rate * lr_l = 2 alpha_ref``. So ``beta = 1.0`` (reference 0.5) and the rates
  ``(0.2, 0.1)`` (reference 0.1, 0.05) reproduce its net1 at ``learning_rate=1``
  (``tests/test_hopfield_rules.py`` checks a step of net2 against the reference's equations);
  the default ``learning_rate=2`` doubles the step, chosen on validation splits for 20 epochs
  of minibatches of 64 (docs page "Defaults").
* **Deeper networks.** The reference code trains two and three hidden layers with longer
  phases, a stronger nudge and rates falling toward the output (``net2``: 150 / 6 steps,
  ``beta_ref`` 1, rates .4, .1, .01; ``net3``: 500 / 8, 1, .128, .032, .008, .002), all
  spelled out in our convention in :data:`REFERENCE`. Arguments left ``None`` take them by
  depth (:data:`DEPTH_DEFAULTS`, rates halved so the default ``learning_rate=2`` makes the
  reference's step); one hidden layer keeps the defaults above. The rule's resolved values
  are :meth:`dynamics` (``n_free_``, ``n_clamped_``, ``beta_`` after :meth:`make_model`).
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
* ``trace`` adds ``s_start_l``, the state the free phase started from (the particles, or
  zeros), so that :func:`nplearn.analysis.ep_angles.ep_bp_angles` can differentiate the free
  phase from the same start.
"""
import numpy as np

from ..hopfield import clamped_phase, free_phase, hebbian_update, two_phase_update
from .base import check_flag, check_number
from .hopfield_base import HopfieldRule

#: By number of weight layers, what ``n_free``, ``n_clamped``, ``beta`` and ``lr_layers`` left
#: ``None`` stand for (:func:`depth_defaults`). One hidden layer: the reference code's net1
#: (its rates in our convention; with the default ``learning_rate=2``, twice its step, chosen
#: on validation). Two and three hidden layers: net2 and net3 (:data:`REFERENCE`) with the
#: rates halved, so that ``learning_rate=2`` makes exactly the reference's step (with two
#: hidden layers twice it stayed at chance on the digits; docs page "Defaults").
DEPTH_DEFAULTS = {
    2: {"n_free": 20, "n_clamped": 4, "beta": 1.0, "lr_layers": (0.2, 0.1)},
    3: {"n_free": 150, "n_clamped": 6, "beta": 2.0, "lr_layers": (0.4, 0.1, 0.01)},
    4: {"n_free": 500, "n_clamped": 8, "beta": 2.0, "lr_layers": (0.128, 0.032, 0.008, 0.002)},
}

_REF = {"rule": "ep", "optimizer": "sgd", "learning_rate": 1.0, "batch_size": 20}
#: The EP reference code's three MNIST networks (Scellier & Bengio's ``train_model.py``,
#: ``net1``-``net3``: 784 inputs, minibatches of 20, Euler step 0.5) as ``Classifier`` kwargs in
#: nplearn's cost convention: ``beta`` and the per-layer rates are twice the reference's
#: (module docstring), at ``learning_rate=1``, so every state and every step is the reference's.
REFERENCE = {
    "784-500-10": {**_REF, "hidden_sizes": (500,), "epochs": 25, "rule_params": {
        "n_free": 20, "n_clamped": 4, "beta": 1.0, "h": 0.5, "lr_layers": (0.2, 0.1)}},
    "784-500-500-10": {**_REF, "hidden_sizes": (500, 500), "epochs": 60, "rule_params": {
        "n_free": 150, "n_clamped": 6, "beta": 2.0, "h": 0.5, "lr_layers": (0.8, 0.2, 0.02)}},
    "784-500-500-500-10": {**_REF, "hidden_sizes": (500, 500, 500), "epochs": 500, "rule_params": {
        "n_free": 500, "n_clamped": 8, "beta": 2.0, "h": 0.5,
        "lr_layers": (0.256, 0.064, 0.016, 0.004)}},
}


class EP(HopfieldRule):
    """Equilibrium propagation: contrastive Hebbian update between two fixed points (EFP Eq. 5).

    Parameters
    ----------
    n_free, n_clamped : int, optional
        Euler steps of the free and the nudged phase. ``None``: by depth
        (:data:`DEPTH_DEFAULTS`): 20, 4 for one hidden layer, 150, 6 for two, 500, 8 for three
        or more (the reference code's).
    beta : float > 0, optional
        Nudge strength in the convention ``C = 1/2 ||s_L - d||^2`` (reference ``beta / 2``).
        ``None``: 1.0 for one hidden layer, 2.0 for more (reference 0.5 and 1).
    h : float
        Euler step size of EFP Eq. (7) (0.5); not a hidden rate, which ``h`` is in the
        feedforward rules.
    lr_layers : tuple of float, optional
        Rate per weight layer ``W_1..W_L`` (its bias shares it), multiplied into ``g``.
        ``None``: by depth (:data:`DEPTH_DEFAULTS`), ``(0.2, 0.1)`` for one hidden layer.
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
    none_by_depth = ("n_free", "n_clamped", "beta")

    def __init__(self, n_free=None, n_clamped=None, beta=None, h=0.5, lr_layers=None,
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
        return 5 * self.n_free_ if self.n_predict is None else self.n_predict

    def default_lr_layers(self, n_rates):
        return depth_defaults(n_rates)["lr_layers"]

    def dynamics(self):
        """``n_free``, ``n_clamped``, ``beta``, ``h`` as the rule runs them: the ``None`` of a
        constructor argument resolved for the depth of the network it was built for."""
        return {"n_free": self.n_free_, "n_clamped": self.n_clamped_, "beta": self.beta_,
                "h": self.h}

    def make_model(self, sizes, activation, loss, init, dropout, dtype, rng, **conv):
        d = depth_defaults(len(sizes) - 1)
        self.n_free_ = d["n_free"] if self.n_free is None else self.n_free
        self.n_clamped_ = d["n_clamped"] if self.n_clamped is None else self.n_clamped
        self.beta_ = d["beta"] if self.beta is None else self.beta
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
        n_free, n_clamped, h = self.n_free_, self.n_clamped_, self.h
        start = self._start(model, idx)
        beta = float(self.beta_)
        if self.symmetric_nudge:
            s0 = free_phase(model, x, start, n_free, h)                    # EFP Eq. (1), (2), (7)
            sp = clamped_phase(model, x, s0, Y, beta, n_clamped, h)         # EFP Eq. (4): +beta
            sm = clamped_phase(model, x, s0, Y, -beta, n_clamped, h)        # EFP Eq. (4): -beta
            g = hebbian_update(model, "chl", x, sm, sp, 2 * beta)          # EFP Eq. (5), centred
            sb = sp
        else:
            if self.random_sign and rng is not None and rng.integers(2):
                beta = -beta                                                # reference code
            s0, sb, g = two_phase_update(model, "chl", x, Y, beta, start, n_free, n_clamped,
                                         h)                      # EFP Eq. (1)-(5), (7)
        self._store(idx, s0)
        self.fill(model, x, Y, s0, sb, g, trace, stats, beta=beta,
                  start=None if trace is None else start or model.zero_state(x.shape[0]),
                  s_minus=sm if self.symmetric_nudge else None)
        return self.scale(model, g)

    def trace_state(self):
        """As :meth:`HopfieldRule.trace_state`, without the persistent particles: they are
        state of the training set, not of this step (``s_start_l`` holds the batch's)."""
        return [t for t in super().trace_state() if not t[0].startswith("particle_")]

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


def depth_defaults(n_layers):
    """What ``n_free``, ``n_clamped``, ``beta`` and ``lr_layers`` left ``None`` stand for in a
    network of ``n_layers`` weight layers (:data:`DEPTH_DEFAULTS`; deeper than four: the
    four-layer steps and ``beta``, each further rate a quarter of the one before, untested)."""
    if n_layers in DEPTH_DEFAULTS:
        return DEPTH_DEFAULTS[n_layers]
    d = DEPTH_DEFAULTS[max(DEPTH_DEFAULTS)]
    rates = d["lr_layers"] + tuple(d["lr_layers"][-1] / 4 ** k
                                   for k in range(1, n_layers - len(d["lr_layers"]) + 1))
    return {**d, "lr_layers": rates[:n_layers]}


def _check_idx(idx, n):
    """``idx`` as an int array of ``n`` non-negative training-set indices (or None)."""
    if idx is None:
        return None
    idx = np.asarray(idx)
    if idx.shape != (n,) or not np.issubdtype(idx.dtype, np.integer) or (n and idx.min() < 0):
        raise ValueError(f"idx must hold the {n} rows' non-negative indices in the training "
                         f"set (integers, shape ({n},)); got shape {idx.shape}, dtype {idx.dtype}")
    return idx
