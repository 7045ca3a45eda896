"""Direct feedback alignment (DFA).

Nøkland, A. (2016). Direct Feedback Alignment Provides Learning in Deep Neural
Networks. NeurIPS 29. Eq. (8):

    delta a_l = (B_l e) ⊙ f'(a_l)      for every hidden layer l

Legend (paper -> code -> shape): ``e`` -> ``e`` ``(n, n_L)``; ``B_l`` ->
``B_[l]`` ``(n_l, n_L)``; ``delta a_l`` -> ``delta[l]`` ``(n, n_l)``.
Batch-first, so ``B_l e`` is ``e @ B_l.T``.

``g`` is NOT a gradient. With one hidden layer and ``B_1 = W_2^T``, DFA equals
BP exactly (``tests/test_rule_identities.py``).

Conv layers (:class:`~nplearn.nn.ConvNet`): "the error was injected after the
max-pooling layers" (Sec. 3), so ``B_l`` has shape ``(n_l, n_L)`` with ``n_l`` the pooled,
flattened size of conv layer ``l``; ``model.through_f`` then routes ``B_l e`` back through
the pooling to the maxima and multiplies by ``f'(a_l)``. :meth:`DFA.feedback_pairs` skips
the layers whose path to the output crosses a conv layer (no matrix to compare with).

Options
-------
shared_feedback : bool
    "If all hidden layers have the same number of neurons, B_i can be chosen
    identical for all hidden layers" (Sec. 2). Off by default.
"""
from ..nn.init import feedback_uniform
from .base import DeltaRule, check_flag, direct_feedback, direct_feedback_pairs, zero_init_if_bounded


class DFA(DeltaRule):
    """The output error sent directly to every hidden layer through fixed random ``B_l`` (Eq. 8)."""

    name = "dfa"
    paper = "Nøkland (2016), NeurIPS 29, Eq. (8)"
    equations = {**DeltaRule.equations, "delta": "DFA Eq. (8)", "feedback": "DFA Eq. (8)"}
    delta_formula = "(B_{l} e) ⊙ f'(a_{l})"

    def __init__(self, shared_feedback=False):
        self.shared_feedback = check_flag(self.name, "shared_feedback", shared_feedback)

    def setup(self, model, rng):
        n, L = model.sizes, model.n_layers
        if self.shared_feedback:
            if len(set(n[1:L])) != 1:
                raise ValueError(f"shared_feedback needs equal hidden widths, got {n[1:L]}")
            B = feedback_uniform(n[1], n[L], rng, model.dtype)
            self.B_ = {f"B{l}": B for l in range(1, L)}
        else:
            self.B_ = direct_feedback(model, rng)

    def default_init(self, activation):
        return zero_init_if_bounded(activation)

    def feedback_pairs(self, model):
        """``B_l`` stands in for BP's whole path from the output, ``(W_L ... W_{l+1})^T``
        (layers whose path holds a conv kernel are skipped)."""
        return direct_feedback_pairs(model, self.B_)

    def deltas(self, model, fwd, e):
        L = model.n_layers
        delta = [None] * L + [e]
        for l in range(1, L):
            dh = e @ self.B_[f"B{l}"].T                         # B_l e    (n, n_l)
            delta[l] = model.through_f(l, dh, fwd)              # DFA Eq. (8): (B_l e) ⊙ f'(a_l)
        return delta
