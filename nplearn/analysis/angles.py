"""Alignment angles: one set of definitions for every rule (ALGORITHMS.md, last section).

* **Matrix angle**: arccos of the cosine between two flattened matrices, in
  degrees (Xiao et al. 2018; PEPITA Sec. 4.2). 0 deg = same direction, 90 deg =
  unrelated, 180 deg = opposite.
* **Update angle**: per sample, the angle between a rule's hidden update
  direction ``delta_l`` and BP's ``delta_l`` for the same weights and batch.
  Below 90 deg the rule's direction descends the loss (DFA Theorem 1).
* **Feedback angle**: a rule's fixed feedback ``B`` against the forward-weight
  matrix that BP would use in its place (FA: ``W_{l+1}^T``; DFA:
  ``(W_L ... W_{l+1})^T``), from :meth:`LearningRule.feedback_pairs`.
* **Product angle**: a product of forward matrices against a fixed matrix
  (PEPITA's ``W_L ... W_1`` vs ``F^T``; the Hopfield loop's ``W_x W_y`` vs ``W_z``).

Angles are NaN where a vector is zero (e.g. BP's deltas at zero initial weights).
"""
import numpy as np

from ..rules import BP


def angle(u, v):
    """Angle in degrees between ``u`` and ``v`` flattened; NaN if either is zero."""
    u, v = np.ravel(u).astype(np.float64), np.ravel(v).astype(np.float64)
    if u.shape != v.shape:
        raise ValueError(f"cannot compare arrays of {u.size} and {v.size} entries")
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    if nu == 0 or nv == 0:
        return float("nan")
    return float(np.degrees(np.arccos(np.clip(u @ v / (nu * nv), -1.0, 1.0))))


def row_angles(U, V):
    """Angle in degrees between matching rows of ``U`` and ``V``, shape ``(n,)``."""
    U, V = np.asarray(U, np.float64), np.asarray(V, np.float64)
    if U.shape != V.shape or U.ndim != 2:
        raise ValueError(f"need two 2-D arrays of one shape, got {U.shape} and {V.shape}")
    norms = np.linalg.norm(U, axis=1) * np.linalg.norm(V, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where(norms > 0, np.sum(U * V, axis=1) / norms, np.nan)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def product(mats):
    """``M_k ... M_2 M_1`` for ``mats = [M_1, M_2, ..., M_k]`` (the order of a forward pass)."""
    out = mats[0]
    for M in mats[1:]:
        out = M @ out
    return out


def product_angle(mats, M):
    """Angle between the forward product ``M_k ... M_1`` of ``mats`` and the matrix ``M``."""
    return angle(product(mats), M)


def feedback_angles(model, rule):
    """``{"B1": deg, ...}``: each feedback matrix against what BP would use instead."""
    return {name: angle(B, M) for name, B, M in rule.feedback_pairs(model)}


def update_angles(model, rule, x, Y, seed=0):
    """Per-sample angles between ``rule``'s and BP's hidden update directions.

    One forward pass serves both rules (same weights, same dropout masks), then
    each rule's :meth:`~nplearn.rules.base.LearningRule.deltas` gives its
    ``delta_l`` and DFA Eq. (10) (``model.grads``) its weight updates. A conv layer's
    ``delta_l`` (maps ``(C_l, Ho_l, Wo_l)`` per sample) is flattened per sample.

    Parameters
    ----------
    model : MLP or ConvNet
    rule : LearningRule
    x : ndarray of shape (n, n_0)
    Y : ndarray of shape (n, n_L)
        One-hot targets.
    seed : int
        Seeds the dropout masks (if the model uses dropout).

    Returns
    -------
    deltas : dict
        ``{l: ndarray of shape (n,)}`` for every hidden layer ``l``: angle (deg)
        between ``delta_l`` of the rule and of BP, per sample.
    weights : dict
        ``{l: float}`` for every layer: angle between the rule's and BP's
        batch update of ``W_l``.
    """
    fwd = model.forward(x, np.random.default_rng(seed))
    e = model.loss.error(fwd.y_hat, Y)                              # DFA Eq. (5)
    d_rule, d_bp = rule.deltas(model, fwd, e), BP().deltas(model, fwd, e)
    n, L = x.shape[0], model.n_layers
    deltas = {l: row_angles(d_rule[l].reshape(n, -1), d_bp[l].reshape(n, -1)) for l in range(1, L)}
    weights = {l: angle(model.grads(l, d_rule[l], fwd)[0], model.grads(l, d_bp[l], fwd)[0])  # Eq. (10)
               for l in range(1, L + 1)}
    return deltas, weights
