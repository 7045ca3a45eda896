"""Measurements of a continuous Hopfield network (EP, EFP): relaxation curves and loop angles.

``relaxation_curves``
    the output error ``s_L - d`` (its mean norm over a probe) and, for symmetric weights,
    the energy ``F = E + beta C`` (EFP Eq. 2-4) after every Euler step of a free phase
    followed by a nudged phase (EFP Fig. 4);
``loop_angles``
    EFP Fig. 5 / sigprop Fig. 4: each matrix ``W_z`` of the loop ``W_2, ..., W_L, W_loop``
    against the product ``W_x ... W_y`` of all the others (the blue line);
``loop_path_angles``
    EFP Fig. 5's grey lines: the same for ``W_loop``, one angle per input-receiving neuron
    (its forward paths to the output against its loop weights); both go through
    :func:`_angles`, the aggregate over the whole matrix, a path over one column;
``HopfieldRecorder``
    a training-loop callback recording both every ``every`` optimiser steps.

They read the network's public parameters and the rule's hyperparameters
(``n_free``, ``n_clamped``, ``beta``, ``h``), never its internal state.
"""

import numpy as np

from ..hopfield import relax
from .angles import product
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


def loop_products(net):
    """``[(name, P_z, W_z^T), ...]`` for each loop matrix ``W_z`` in forward order: ``P_z`` the
    product of the other loop matrices, from ``W_z``'s postsynaptic layer round to its
    presynaptic one (same shape as ``W_z^T``). The last is ``W_loop``'s:
    ``P = W_L ... W_2``, ``(n_L, n_1)``, the forward product from the input-receiving layer
    to the output."""
    loop = loop_matrices(net)
    return [(name, product([W for _, W in loop[z + 1:] + loop[:z]]), M.T)
            for z, (name, M) in enumerate(loop)]


def _angles(P, M, axis=None):
    """Angle (deg) between ``P`` and ``M`` flattened (``axis=None``), or between matching
    columns (``axis=0``); NaN where one is zero. The one computation behind both
    :func:`loop_angles` and :func:`loop_path_angles`."""
    P, M = np.asarray(P, np.float64), np.asarray(M, np.float64)
    if P.shape != M.shape:
        raise ValueError(f"cannot compare arrays of shapes {P.shape} and {M.shape}")
    norms = np.sqrt(np.sum(P * P, axis=axis) * np.sum(M * M, axis=axis))
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where(norms > 0, np.sum(P * M, axis=axis) / norms, np.nan)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def loop_angles(net):
    """EFP Fig. 5 (blue): ``{name: deg}``, each loop matrix ``W_z`` (transposed) against the
    product of the other loop matrices, from ``W_z``'s postsynaptic layer round to its
    presynaptic one (:func:`loop_products`).

    For two hidden layers: ``W_3^T`` vs ``W_2 W_loop``, ``W_2^T`` vs ``W_loop W_3``,
    ``W_loop^T`` vs ``W_3 W_2``. Below 90 degrees the rest of the loop carries the error
    the way ``W_z^T`` (backprop's feedback) would.
    """
    return {name: float(_angles(P, MT)) for name, P, MT in loop_products(net)}


def loop_path_angles(net):
    """EFP Fig. 5 (grey): per input-receiving neuron ``j`` (layer 1), the angle (deg) between
    column ``j`` of the forward product ``P = W_L ... W_2`` (the paths from ``j`` to the
    output neurons) and column ``j`` of ``W_loop^T`` (``j``'s loop weights from the output
    neurons), shape ``(n_1,)``.

    The caption's "individual forward paths from the input receiving neuron to the output
    neuron": a path to one output neuron alone is one number, whose angle with one loop
    weight is only 0 or 180, so a neuron's paths to all the output neurons are taken
    together. Only ``W_loop`` has such paths; the blue line of the same panel is
    ``loop_angles(net)["W_loop"]``, the same angle over all columns at once.
    """
    _, P, MT = loop_products(net)[-1]
    return _angles(P, MT, axis=0)


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
        ``loop_path_angle`` (per record the list of :func:`loop_path_angles`, ``[]`` for EP),
        ``weight_norm``; ``n_free`` (where the nudge starts).
    seconds_ : float
    """

    KEYS = ("error", "energy", "loop_angle", "loop_path_angle")

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
        h["loop_path_angle"].append([] if net.symmetric else loop_path_angles(net).tolist())
