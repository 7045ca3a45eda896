"""Back-propagation (BP), as written in the DFA paper.

Nøkland, A. (2016). Direct Feedback Alignment Provides Learning in Deep Neural
Networks. NeurIPS 29. Eq. (6):

    delta a_l = (W_{l+1}^T delta a_{l+1}) ⊙ f'(a_l),    delta a_L = e

Legend (paper -> code -> shape): ``delta a_l`` -> ``delta[l]`` ``(n, n_l)``;
``W_l`` -> ``W[l]`` ``(n_l, n_{l-1})``; ``f'(a_l)`` -> ``fwd.df[l]`` ``(n, n_l)``;
``e`` -> ``e`` ``(n, n_L)``. Batch-first, so ``W^T delta`` is ``delta @ W``
(``model.back``) and ``⊙ f'(a_l)`` is ``* fwd.df[l]`` (``model.through_f``).

Conv layers (:class:`~nplearn.nn.ConvNet`): ``delta[l]`` has the shape of ``a_l``,
``(n, C_l, Ho_l, Wo_l)``; ``W_{l+1}^T delta`` is the transposed convolution when layer
``l+1`` is a conv layer, and ``model.through_f`` routes the signal back through the max
pooling of layer ``l`` before multiplying by ``f'(a_l)`` (:mod:`nplearn.nn.conv`).

``g`` is the exact gradient of the mean loss ``J`` (tested against central
differences in ``tests/test_gradients.py``).
"""
from .base import DeltaRule


class BP(DeltaRule):
    """Back-propagation of the error through the transposed forward weights (DFA Eq. 6)."""

    name = "bp"
    paper = "Rumelhart, Hinton & Williams (1986); as DFA paper Eq. (6)"
    equations = {**DeltaRule.equations, "delta": "DFA Eq. (6)"}
    delta_formula = "(W_{n}^T {next}) ⊙ f'(a_{l})"
    deltas_top_down = True

    def deltas(self, model, fwd, e):
        L, W = model.n_layers, model.W
        delta = [None] * L + [e]
        for l in range(L - 1, 0, -1):
            dh = model.back(l + 1, delta[l + 1], W[l + 1])      # W_{l+1}^T delta_{l+1}    (n, n_l)
            delta[l] = model.through_f(l, dh, fwd)              # DFA Eq. (6): (W_{l+1}^T delta_{l+1}) ⊙ f'(a_l)
        return delta
