"""Indirect feedback alignment (IFA).

Nøkland, A. (2016). Direct Feedback Alignment Provides Learning in Deep Neural
Networks. NeurIPS 29. Eq. (9): the error reaches only the FIRST hidden layer,
through ``B_1``; every later hidden layer gets that update direction carried
FORWARD through the forward weights:

    delta a_1 = (B_1 e) ⊙ f'(a_1)
    delta a_l = (W_l delta a_{l-1}) ⊙ f'(a_l)      for l = 2 .. L-1

Legend (paper -> code -> shape): ``B_1`` -> ``B_["B1"]`` ``(n_1, n_L)``;
``W_l`` -> ``W[l]`` ``(n_l, n_{l-1})``; ``delta a_l`` -> ``delta[l]`` ``(n, n_l)``.
Batch-first, so ``W_l delta`` is ``delta @ W_l.T``.

``g`` is NOT a gradient. With one hidden layer IFA is DFA.

Decision: the paper's IFA experiment starts "from a random initialization"
(Sec. 4); from zero weights ``delta a_2 = W_2 delta a_1 = 0`` and ``W_2`` could
never move, so IFA uses U(+-1/sqrt(fan_in)) for every activation.
"""
from ..nn.init import feedback_uniform
from .base import DeltaRule, forward_path


class IFA(DeltaRule):
    """Error into the first hidden layer, then forward through ``W_l`` (DFA Eq. 9)."""

    name = "ifa"
    paper = "Nøkland (2016), NeurIPS 29, Eq. (9)"
    equations = {**DeltaRule.equations, "delta": "DFA Eq. (9)", "feedback": "DFA Eq. (9)"}

    def describe_delta(self, l, L):
        return "(B_1 e) ⊙ f'(a_1)" if l == 1 else f"(W_{l} delta_{l - 1}) ⊙ f'(a_{l})"

    def setup(self, model, rng):
        self.require_dense(model)
        n = model.sizes
        self.B_ = {"B1": feedback_uniform(n[1], n[-1], rng, model.dtype)}

    def feedback_pairs(self, model):
        """``B_1`` stands in for ``(W_L ... W_2)^T``, BP's path from the output to layer 1."""
        if model.n_layers == 1:
            return []
        return [("B1", self.B_["B1"], forward_path(model, 1).T)]

    def deltas(self, model, fwd, e):
        L, W = model.n_layers, model.W
        delta = [None] * L + [e]
        if L == 1:
            return delta
        delta[1] = (e @ self.B_["B1"].T) * fwd.df[1]             # DFA Eq. (9): (B_1 e) ⊙ f'(a_1)
        for l in range(2, L):
            delta[l] = (delta[l - 1] @ W[l].T) * fwd.df[l]       # DFA Eq. (9): (W_l delta_{l-1}) ⊙ f'(a_l)
        return delta
