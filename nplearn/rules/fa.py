"""Feedback alignment (FA), as written in the DFA paper.

Lillicrap, T. P., Cownden, D., Tweed, D. B. & Akerman, C. J. (2016). Random
synaptic feedback weights support error backpropagation for deep learning.
Nature Communications 7, 13276. Written as Nøkland (2016), DFA paper Eq. (7):

    delta a_l = (B_l delta a_{l+1}) ⊙ f'(a_l),    delta a_L = e

Legend (paper -> code -> shape): ``B_l`` -> ``B_[l]`` ``(n_l, n_{l+1})``, the
fixed random stand-in for ``W_{l+1}^T`` (paper's index: the hidden layer it
feeds); ``delta a_l`` -> ``delta[l]`` ``(n, n_l)``. Batch-first, so
``B_l delta`` is ``delta @ B_l.T``.

``g`` is NOT a gradient. With ``B_l = W_{l+1}^T`` FA equals BP exactly
(``tests/test_rule_identities.py``).

Conv layers (:class:`~nplearn.nn.ConvNet`). Where layer ``l+1`` is a conv layer, ``B_l``
is a fixed random KERNEL of ``W_{l+1}``'s shape ``(C_{l+1}, C_l, k, k)``, used in the
transposed convolution in place of ``W_{l+1}`` (``model.back``), and then
``model.through_f`` un-pools and multiplies by ``f'(a_l)``. Its entries are uniform in
``+-1/sqrt(C_l k k)``. Decision: a dense ``B_l`` ``(n_l, n_{l+1})`` is drawn with
``1/sqrt(fan_out)``, ``fan_out = n_l``, the number of units each error component is sent
to, which is also the fan-in of the ``W_{l+1}`` it replaces; in the transposed
convolution each error component is sent to ``C_l k k`` units (and ``C_l k k`` is the
fan-in of ``W_{l+1}``), so the kernel's bound is ``1/sqrt(C_l k k)``. With ``B_l = W_{l+1}``
(kernels) and ``B_l = W_{l+1}^T`` (dense) FA equals BP exactly (``tests/test_convnet.py``).
"""
import numpy as np

from ..nn.init import feedback_uniform
from .base import DeltaRule, zero_init_if_bounded


class FA(DeltaRule):
    """Error carried back layer by layer through fixed random matrices ``B_l`` (DFA Eq. 7)."""

    name = "fa"
    paper = "Lillicrap et al. (2016), Nat. Commun. 7:13276; as DFA paper Eq. (7)"
    equations = {**DeltaRule.equations, "delta": "DFA Eq. (7)", "feedback": "DFA Eq. (7)"}
    delta_formula = "(B_{l} {next}) ⊙ f'(a_{l})"
    deltas_top_down = True

    def setup(self, model, rng):
        n = model.sizes
        self.B_ = {}
        for l in range(1, model.n_layers):
            if model.is_conv(l + 1):
                self.B_[f"B{l}"] = feedback_kernel(model.W[l + 1].shape, rng, model.dtype)
            else:
                self.B_[f"B{l}"] = feedback_uniform(n[l], n[l + 1], rng, model.dtype)   # shape of W_{l+1}^T

    def default_init(self, activation):
        return zero_init_if_bounded(activation)

    def feedback_pairs(self, model):
        """``B_l`` stands in for ``W_{l+1}^T`` (for a conv layer ``l+1``: the kernel ``W_{l+1}``)."""
        W = model.W
        return [(f"B{l}", self.B_[f"B{l}"], W[l + 1] if model.is_conv(l + 1) else W[l + 1].T)
                for l in range(1, model.n_layers)]

    def deltas(self, model, fwd, e):
        L = model.n_layers
        delta = [None] * L + [e]
        for l in range(L - 1, 0, -1):
            B = self.B_[f"B{l}"]
            M = B if model.is_conv(l + 1) else B.T              # where BP has W_{l+1}
            dh = model.back(l + 1, delta[l + 1], M)             # B_l delta_{l+1}    (n, n_l)
            delta[l] = model.through_f(l, dh, fwd)              # DFA Eq. (7): (B_l delta_{l+1}) ⊙ f'(a_l)
        return delta


def feedback_kernel(shape, rng, dtype=np.float64):
    """Fixed random feedback kernel of ``shape = (C_out, C_in, k, k)``: U(+-1/sqrt(C_in k k)).

    The law of :func:`~nplearn.nn.init.feedback_uniform` with ``fan_out = C_in k k``, the
    number of units each error component reaches in the transposed convolution (module
    docstring).
    """
    C_out, C_in, k, _ = shape
    r = 1.0 / np.sqrt(C_in * k * k)
    return rng.uniform(-r, r, size=shape).astype(dtype)
