"""The angle between EP's update and BP's gradient of the same Hopfield network's cost.

EP (Scellier & Bengio 2017) updates ``W_l`` from two relaxed states (EFP Eq. 5). Its
theorem: as ``beta -> 0``, ``g = -Delta W`` (Eq. 5 already divides by ``beta``) tends to the
gradient of the cost ``C = 1/2 ||s_L - d||^2`` (EFP Eq. 3) at the free fixed point ``s^0``,
which depends on ``W`` through the relaxation. Here that gradient is computed exactly and
compared, layer by layer, with the update ``g[W_l]`` EP returned (an angle, so the per-layer
rates folded into ``g`` do not matter).

What "BP's gradient" means here
-------------------------------
``dC(s^0)/dW`` with ``s^0`` the free state the update was computed from, differentiated
through the ``n_free`` Euler steps (EFP Eq. 1, 7) that produced it from its start state:
backpropagation through the free phase's time steps (BPTT). Why this one:

* it is the exact gradient of the cost of the very state EP's update used, well defined
  whether or not the relaxation has converged;
* when the free phase has converged it is the fixed-point gradient (recurrent
  backpropagation, Almeida-Pineda) that EP's theorem says the update approaches; Ernoult,
  Grollier, Querlioz, Bengio & Scellier (2019, "Updates of Equilibrium Prop Match Gradients
  of Backprop Through Time in an RNN with Static Input", NeurIPS) compare EP's updates with
  BPTT's gradients in the same way;
* the "equivalent feedforward net" (the same weights without top-down feedback) is another
  network: its forward pass is not the Hopfield relaxation, and EP does not estimate its
  gradient.

:func:`free_phase_residual` says how far ``s^0`` is from a fixed point, so a reader can tell
which regime a measurement is in. With ``beta`` finite, few nudged steps, or a free phase
that has not converged, EP's update is not that gradient; the angle measures by how much.

Legend (paper -> code -> shape): ``x`` (through the rule's input map) -> ``x`` ``(n, n_0)``;
``s^0`` -> ``s`` (list ``[s_1..s_L]``, ``(n, n_l)``); ``d`` -> ``Y`` ``(n, n_L)``; the Euler
step ``h``; ``u_l = s_l + h ds_l/dt`` before the clip of Eq. (7).
"""
import copy

import numpy as np

from ..hopfield.dynamics import drho
from .angles import angle
from .recorder import Recorder


def _euler_step(net, x, s, h):
    """One free Euler step (EFP Eq. 1, 7), synchronous, NumPy; returns ``(u, s_new)``."""
    L, W, b = len(s), net.W, net.b
    r = [np.clip(x, 0.0, 1.0)] + [np.clip(s_k, 0.0, 1.0) for s_k in s]     # rho(x), rho(s_l)
    u = []
    for l in range(1, L + 1):
        a = r[l - 1] @ W[l].T + b[l]                                 # EFP Eq. (1): from below
        if net.symmetric and l < L:
            a = a + r[l + 1] @ W[l + 1]                              # EP: -dE/ds_l, from above
        if not net.symmetric and l == 1:
            a = a + r[L] @ net.W_loop.T                              # EFP Eq. (1): loop O -> I
        u.append(s[l - 1] + h * (drho(s[l - 1]) * a - s[l - 1]))    # EFP Eq. (1), free (beta = 0)
    return u, [np.clip(u_l, 0.0, 1.0) for u_l in u]                   # EFP Eq. (7), state clipped


def free_phase_gradient(net, x, Y, start, n_steps, h=0.5):
    """BPTT gradient of ``C = mean_n 1/2 ||s_L - d||^2`` after ``n_steps`` free Euler steps.

    Parameters
    ----------
    net : HopfieldNet
        Symmetric (EP) or loop (EFP) connectivity.
    x : ndarray of shape (n, n_0)
        The input as the network reads it (after a rule's input map).
    Y : ndarray of shape (n, n_L)
        Targets ``d``.
    start : list of ndarray or None
        Start states ``[s_1..s_L]`` (None: zeros), held constant.
    n_steps : int
    h : float

    Returns
    -------
    grads : dict
        ``{"W1": dC/dW_1, "b1": ..., "W_loop": ...}``, keyed like ``net.params``.
    s : list of ndarray
        The free state after ``n_steps`` (the engine's ``free_phase`` gives the same).
    """
    x = np.asarray(x, net.dtype)
    s = [np.array(s_k, net.dtype) for s_k in (start or net.zero_state(x.shape[0]))]
    tape = []
    for _ in range(int(n_steps)):                                    # forward, keeping each step
        u, s_new = _euler_step(net, x, s, h)
        tape.append((s, u))
        s = s_new
    L, n, W = len(s), x.shape[0], net.W
    grads = {k: np.zeros_like(v) for k, v in net.params.items()}
    gs = [np.zeros_like(s_k) for s_k in s]
    gs[-1] = (s[-1] - Y) / n                                         # dC/ds_L, EFP Eq. (3), mean
    rx = np.clip(x, 0.0, 1.0)
    inside = lambda v: ((v >= 0) & (v <= 1)).astype(v.dtype)         # clip's slope, closed [0, 1]
    for s_prev, u in reversed(tape):
        gu = [g_l * inside(u_l) for g_l, u_l in zip(gs, u)]          # through the clip of Eq. (7)
        r = [rx] + [np.clip(s_k, 0.0, 1.0) for s_k in s_prev]
        ga = [h * gu[k] * drho(s_prev[k]) for k in range(L)]         # u = s + h (rho'(s) a - s)
        gr = [np.zeros_like(s_k) for s_k in s_prev]
        for l in range(1, L + 1):
            ga_l = ga[l - 1]
            grads[f"W{l}"] += ga_l.T @ r[l - 1]                      # a_l = W_l r_{l-1} + b_l ...
            grads[f"b{l}"] += ga_l.sum(axis=0)
            if l > 1:
                gr[l - 2] += ga_l @ W[l]
            if net.symmetric and l < L:                              # ... + W_{l+1}^T r_{l+1}
                grads[f"W{l + 1}"] += r[l + 1].T @ ga_l
                gr[l] += ga_l @ W[l + 1].T
            if not net.symmetric and l == 1:                         # ... + W_loop r_L
                if "W_loop" in grads:
                    grads["W_loop"] += ga_l.T @ r[L]
                gr[L - 1] += ga_l @ net.W_loop
        gs = [(1.0 - h) * gu[k] + gr[k] * inside(s_prev[k]) for k in range(L)]   # d u / d s, d r / d s
    return grads, s


def free_phase_residual(net, x, s, h=0.5):
    """``max |Phi(s) - s| / h``: how far ``s`` is from a fixed point of the free dynamics
    (0 at a fixed point; ``Phi`` is one Euler step, EFP Eq. 1 and 7)."""
    _, s_next = _euler_step(net, np.asarray(x, net.dtype), s, h)
    return float(max(np.abs(a - b).max() for a, b in zip(s_next, s)) / h)


def ep_bp_angles(model, rule, x, Y, idx=None):
    """Per layer, the angle between EP's update ``g[W_l]`` and BP's ``dC(s^0)/dW_l``.

    The rule runs once on ``(x, Y)`` as in training, but on a shallow copy whose particle
    store holds only these rows, so the trained rule (its particles, its random stream) is
    left as it was. BP's gradient is :func:`free_phase_gradient` from the same start state
    through the rule's ``n_free`` steps (module docstring).

    Parameters
    ----------
    model : HopfieldNet
        Trained by ``rule``.
    rule : EP
    x : ndarray of shape (n, n_0); Y : ndarray of shape (n, n_L)
        A probe batch and its one-hot targets.
    idx : ndarray of int, optional
        The rows' indices in the training set: the free phase then starts from their
        persistent particles, as in training (rows not yet seen start from zero). ``None``:
        from zero states.

    Returns
    -------
    dict
        ``{"W1": deg, ..., "WL": deg, "residual": float}``: the angles (per layer, so the
        per-layer rates do not matter) and :func:`free_phase_residual` of ``s^0``. The
        sign of ``beta`` is not drawn (``beta > 0``).
    """
    if getattr(rule, "name", None) != "ep":
        raise ValueError(f"ep_bp_angles measures the EP rule; got {getattr(rule, 'name', rule)!r}")
    probe = _probe_rule(rule, model, idx)
    rows = None if idx is None else np.arange(len(idx))
    tr = {}
    g = probe.updates(model, x, Y, trace=tr, idx=rows)                 # rng None: beta > 0
    L = model.n_layers
    start = [tr[f"s_start_{l}"] for l in range(1, L + 1)]
    dyn = rule.dynamics()
    bp, s0 = free_phase_gradient(model, tr["x"], Y, start, dyn["n_free"], dyn["h"])
    out = {f"W{l}": angle(g[f"W{l}"], bp[f"W{l}"]) for l in range(1, L + 1)}
    out["residual"] = free_phase_residual(model, tr["x"], s0, dyn["h"])
    return out


def _probe_rule(rule, model, idx):
    """A shallow copy of ``rule`` whose particles are copies of the rows ``idx`` only."""
    probe = copy.copy(rule)
    if idx is None:
        return probe
    idx = np.asarray(idx)
    n_seen = rule.particles_[0].shape[0] if rule.particles_ else 0
    seen = idx < n_seen
    probe.particles_ = []
    for l, m in enumerate(model.sizes[1:]):
        p = np.zeros((len(idx), m), model.dtype)
        if n_seen:
            p[seen] = rule.particles_[l][idx[seen]]
        probe.particles_.append(p)
    return probe


class EPAngleRecorder(Recorder):
    """Record :func:`ep_bp_angles` on a probe batch during an EP run.

    Parameters
    ----------
    x : ndarray of shape (n, n_0); y : ndarray of shape (n,)
        Probe inputs and class indices.
    idx : ndarray of int, optional
        The probe rows' indices in the training set (their particles start the free phase,
        as in training); ``None``: zero start states.
    every : int
        Record every ``every`` optimiser steps (and before the first, after the last).
    max_samples : int

    Attributes
    ----------
    history : dict of lists
        ``step``, ``epoch``, ``ep_bp_angle`` (per record ``{"W1": deg, ...}``),
        ``residual`` (of the free state), ``weight_norm``.
    """

    KEYS = ("ep_bp_angle", "residual")

    def __init__(self, x, y, idx=None, every=50, max_samples=256):
        super().__init__(x, y, every, max_samples)
        self.idx = None if idx is None else np.asarray(idx)[:max_samples]

    def measure(self, state, x, Y):
        out = ep_bp_angles(state.model, state.rule, x, Y, idx=self.idx)
        self.history["residual"].append(out.pop("residual"))
        self.history["ep_bp_angle"].append(out)
