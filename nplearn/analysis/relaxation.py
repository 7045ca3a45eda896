"""Measurements of a continuous Hopfield network (EP, EFP): relaxation curves and loop angles.

``relaxation_curves``
    the output error ``s_L - d`` (its mean norm over a probe) and, for symmetric weights,
    the energy ``F = E + beta C`` (EFP Eq. 2-4) after every Euler step of a free phase
    followed by a nudged phase (EFP Fig. 4);
``loop_angles``
    EFP Fig. 5 / sigprop Fig. 4: each matrix ``W_z`` of the loop ``W_2, ..., W_L, W_loop``
    against the product ``W_x ... W_y`` of all the others, via :func:`product_angle`;
``HopfieldRecorder``
    a training-loop callback recording both every ``every`` optimiser steps.

They read the network's public parameters and the rule's hyperparameters
(``n_free``, ``n_clamped``, ``beta``, ``h``), never its internal state.
"""

import numpy as np

from ..hopfield import relax
from .angles import product_angle
from .recorder import Recorder


def relaxation_curves(net, x, Y, n_free=20, n_clamped=4, beta=1.0, h=0.5):
    """Output error and energy after each Euler step: ``n_free`` free, then ``n_clamped``
    nudged steps from the free state, starting from zero states.

    Parameters
    ----------
    net : HopfieldNet
    x : ndarray (n, n_0); Y : ndarray (n, n_L)
        Probe inputs and one-hot targets ``d``.
    n_free, n_clamped : int
    beta, h : float

    Returns
    -------
    dict
        ``"error"``: ``(n_free + n_clamped + 1,)``, mean over the probe of ``||s_L - d||``
        (step 0 is the zero start); ``"energy"``: same shape, mean ``F = E + beta C`` with the
        phase's ``beta`` (``None`` for ``"loop"`` nets, which have no energy); ``"n_free"``.
    """
    s = net.zero_state(x.shape[0])
    err, energy = [], []

    def measure(b):
        err.append(float(np.mean(np.linalg.norm(s[-1] - Y, axis=1))))   # EFP Fig. 4: s_out - d
        if net.symmetric:
            energy.append(float(np.mean(net.total_energy(x, s, b, Y))))  # EFP Eq. (4)

    measure(0.0)
    for _ in range(int(n_free)):
        s = relax(net, x, s, 1, 0.0, None, h)
        measure(0.0)
    for _ in range(int(n_clamped)):
        s = relax(net, x, s, 1, beta, Y, h)
        measure(beta)
    return {"error": np.array(err), "energy": np.array(energy) if net.symmetric else None,
            "n_free": int(n_free)}


def loop_matrices(net):
    """``[("W2", W_2), ..., ("WL", W_L), ("W_loop", W_loop)]``: the loop of EFP Eq. (1) in
    forward order (layer 1 -> ... -> L -> 1)."""
    if net.symmetric:
        raise ValueError("loop angles need a 'loop' network (EFP); this one is symmetric")
    return [(f"W{l}", net.W[l]) for l in range(2, net.n_layers + 1)] + [("W_loop", net.W_loop)]


def loop_angles(net):
    """EFP Fig. 5: ``{name: deg}``, each loop matrix ``W_z`` (transposed) against the product
    of the other loop matrices, from ``W_z``'s postsynaptic layer round to its presynaptic one.

    For two hidden layers: ``W_3^T`` vs ``W_2 W_loop``, ``W_2^T`` vs ``W_loop W_3``,
    ``W_loop^T`` vs ``W_3 W_2``. Below 90 degrees the rest of the loop carries the error
    the way ``W_z^T`` (backprop's feedback) would.
    """
    loop = loop_matrices(net)
    out = {}
    for z, (name, M) in enumerate(loop):
        rest = [W for _, W in loop[z + 1:] + loop[:z]]
        out[name] = float(product_angle(rest, M.T))
    return out


class HopfieldRecorder(Recorder):
    """Record relaxation curves, loop angles and weight norms of an EP / EFP run.

    Parameters
    ----------
    x : ndarray of shape (n, n_0); y : ndarray of shape (n,)
        Probe inputs and class indices.
    every : int
        Record every ``every`` optimiser steps (and before the first, after the last).
    max_samples : int

    Attributes
    ----------
    history : dict of lists
        ``step``, ``epoch``, ``error`` (one curve per record, EFP Fig. 4), ``energy``
        (curves, or None for EFP), ``loop_angle`` (per record ``{name: deg}``, ``{}`` for EP),
        ``weight_norm``; ``n_free`` (where the nudge starts).
    seconds_ : float
    """

    KEYS = ("error", "energy", "loop_angle")

    def __init__(self, x, y, every=50, max_samples=128):
        super().__init__(x, y, every, max_samples)
        self.history["n_free"] = None

    def measure(self, state, x, Y):
        net, p = state.model, {**state.rule.get_params(), **state.rule.dynamics()}   # EP: None by depth
        n_free = p["n_free"] * p.get("num_loops", 1)
        c = relaxation_curves(net, x, Y, n_free, p["n_clamped"], p["beta"], p["h"])
        h = self.history
        h["n_free"] = n_free
        h["error"].append(c["error"].tolist())
        h["energy"].append(None if c["energy"] is None else c["energy"].tolist())
        h["loop_angle"].append({} if net.symmetric else loop_angles(net))
