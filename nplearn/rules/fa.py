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
"""
from ..nn.init import feedback_uniform
from .base import LearningRule, zero_init_if_bounded


class FA(LearningRule):
    """Error carried back layer by layer through fixed random matrices ``B_l`` (DFA Eq. 7)."""

    name = "fa"
    paper = "Lillicrap et al. (2016), Nat. Commun. 7:13276; as DFA paper Eq. (7)"

    def setup(self, model, rng):
        n = model.sizes
        self.B_ = {f"B{l}": feedback_uniform(n[l], n[l + 1], rng, model.dtype)   # shape of W_{l+1}^T
                   for l in range(1, model.n_layers)}

    def default_init(self, activation):
        return zero_init_if_bounded(activation)

    def feedback_pairs(self, model):
        """``B_l`` stands in for ``W_{l+1}^T``."""
        return [(f"B{l}", self.B_[f"B{l}"], model.W[l + 1].T) for l in range(1, model.n_layers)]

    def deltas(self, model, fwd, e):
        L = model.n_layers
        delta = [None] * L + [e]
        for l in range(L - 1, 0, -1):
            B = self.B_[f"B{l}"]
            delta[l] = (delta[l + 1] @ B.T) * fwd.df[l]   # DFA Eq. (7): (B_l delta_{l+1}) ⊙ f'(a_l)
        return delta
