"""Alignment angles: one set of definitions for every rule.

* **Matrix angle**: arccos of the cosine between two flattened matrices, in
  degrees (Xiao et al. 2018; PEPITA Sec. 4.2). 0 deg = same direction, 90 deg =
  unrelated, 180 deg = opposite.
* **Update angle**, per sample: the angle between a rule's hidden update direction
  ``delta_l`` (its postsynaptic factor, as the rule recorded it) and BP's ``delta_l`` for the
  same weights and batch. Below 90 deg the rule's direction descends the loss (DFA
  Theorem 1).
* **Weight-update angle**, per layer: the angle between the update ``g[W_l]`` the rule
  returns, the array the optimiser applies, and BP's gradient of ``W_l`` on the same batch.
  It is read from the two rules' :meth:`updates`, never rebuilt from deltas, so whatever
  presynaptic activity a rule used (PEPITA's modulated pass ``h^err``, a rule's own
  forward pass) is the one measured.
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


def update_angles(model, rule, x, Y, seed=0, reference=None):
    """Per-sample angles of the hidden update directions, and per-layer angles of the weight
    updates, between ``rule`` and BP on one batch.

    Both rules are asked through their public :meth:`updates` with a trace (the
    intermediates under the paper's names, :func:`nplearn.rules.base.fill_trace`), each
    with a generator seeded by ``seed``: the forward pass is the first thing that draws
    from it, so both see the same dropout masks (checked). The angles are then computed
    from what was recorded, by :func:`angles_from_updates`; nothing of the rule's internals
    is read.

    Parameters
    ----------
    model : MLP or ConvNet
        A network BP can differentiate.
    rule : LearningRule
        Set up for ``model`` (its fixed feedback drawn). Its :meth:`updates` is called once;
        it must not change the rule's state (true of every rule that trains an MLP or ConvNet).
    x : ndarray of shape (n, n_0)
    Y : ndarray of shape (n, n_L)
        One-hot targets.
    seed : int
        Seeds the dropout masks (if the model uses dropout).
    reference : LearningRule, optional
        What to compare with; default :class:`~nplearn.rules.BP` (the exact gradient).

    Returns
    -------
    deltas : dict
        ``{l: ndarray of shape (n,)}`` for every hidden layer ``l`` whose ``delta_l`` the
        rule records: angle (deg) between the rule's and BP's ``delta_l``, per sample.
    weights : dict
        ``{l: float}`` for every layer ``l = 1..L``: angle (deg) between ``g[W_l]`` of the
        rule and of BP.
    """
    reference = BP() if reference is None else reference
    trace_rule, trace_ref = {}, {}
    g_rule = rule.updates(model, x, Y, rng=np.random.default_rng(seed), trace=trace_rule)
    g_ref = reference.updates(model, x, Y, rng=np.random.default_rng(seed), trace=trace_ref)
    out = f"a_{model.n_layers}"                        # depends on every dropout mask
    if out in trace_rule and not np.array_equal(trace_rule[out], trace_ref[out]):
        raise ValueError(f"update_angles: rule {rule.name!r} drew its dropout masks or forward "
                         f"pass differently from the reference; the angles would compare "
                         f"two different networks")
    return angles_from_updates(trace_rule, g_rule, trace_ref, g_ref, model.n_layers)


def angles_from_updates(trace_rule, g_rule, trace_ref, g_ref, n_layers):
    """The angles of :func:`update_angles` from two recorded updates of the same batch.

    Parameters
    ----------
    trace_rule, trace_ref : dict
        Traces of the two updates: ``delta_l`` of shape ``(n, ...)`` for the hidden layers
        (a layer the rule does not record is left out of ``deltas``).
    g_rule, g_ref : dict
        The update directions they returned, ``{"W1": ..., ...}``.
    n_layers : int
        ``L``.

    Returns
    -------
    deltas : dict
        ``{l: ndarray of shape (n,)}``, per-sample angles of ``delta_l`` (deg).
    weights : dict
        ``{l: float}``, the angle between ``g_rule["W<l>"]`` and ``g_ref["W<l>"]`` (deg).
    """
    deltas = {}
    for l in range(1, n_layers):
        key = f"delta_{l}"
        if key in trace_rule and key in trace_ref:
            d_rule, d_ref = np.asarray(trace_rule[key]), np.asarray(trace_ref[key])
            n = d_ref.shape[0]
            # a conv layer's delta_l (maps) is flattened per sample
            deltas[l] = row_angles(d_rule.reshape(n, -1), d_ref.reshape(n, -1))
    weights = {l: angle(g_rule[f"W{l}"], g_ref[f"W{l}"]) for l in range(1, n_layers + 1)}
    return deltas, weights
