"""Direct random target projection (DRTP).

Frenkel, C., Lefebvre, M. & Bol, D. (2021). Learning Without Feedback: Fixed Random Learning
Signals Allow for Feedforward Training of Deep Neural Networks. Frontiers in Neuroscience 15,
629892. Sec. 2 (the DRTP update, beside BP, FA and DFA written in the same frame):

    hidden layers   delta a_l = (B_l y*) ⊙ f'(a_l)       y* the one-hot TARGET, B_l fixed random
    output layer    delta a_L = e = y_hat - y*            its true local gradient (sigmoid + BCE)
    updates         Delta W_l = -eta delta a_l h_{l-1}^T,  Delta b_l = -eta delta a_l

It is DFA (DFA paper Eq. 8) with the output error ``e`` replaced by the target ``y*``: for
one-hot targets and outputs in (0, 1), the sign of every component of ``e`` is known before
the forward pass (negative for the target class, positive elsewhere), so ``y*`` carries the
error's sign and no information that depends on the output. A hidden layer's update then
needs only its own forward pass and the label: the layers can update as soon as their own
activity is computed (no update locking), and no signal travels back from the output.

Legend (paper -> code -> shape): ``y*`` -> ``Y`` ``(n, n_L)``; ``B_l`` -> ``B_[f"B{l}"]``
``(n_l, n_L)``; ``delta a_l`` -> ``delta[l]`` ``(n, n_l)``; ``e`` -> ``e`` ``(n, n_L)``.
Batch-first, so ``B_l y*`` is ``Y @ B_l.T``. The paper writes the projection as ``B_k^T y*``
with ``B_k`` of shape ``(n_L, n_l)``; our ``B_l`` is that matrix transposed, in DFA's
orientation, so the same :meth:`feedback_pairs` and analysis apply.

``g`` is NOT a gradient (only the output layer's is: with one hidden layer, ``g[W_2]`` and
``g[b_2]`` equal BP's exactly, ``tests/test_drtp.py``).

What was implemented, and the conventions chosen
-------------------------------------------------
The paper is not in the team's paper folder; the equations above are written from its
published description, and equation NUMBERS of the DRTP paper are not cited in the code for
that reason. The hidden line is tagged as DFA Eq. (8) with ``y*`` in place of ``e``, which
is exactly what it is.

* **Sign.** As the paper: ``delta a_l = +(B_l y*) ⊙ f'(a_l)`` and ``g_W = delta^T h / n``
  (DFA Eq. 10), so the optimiser's ``p -= lr g`` is ``Delta W_l = -eta delta a_l h_{l-1}^T``.
  Since ``y*`` stands for ``-e`` in sign (for the target class ``e_c = y_hat_c - 1 < 0``), the
  forward weights come to ANTI-align with ``B_l`` (feedback angle above 90 deg) while the
  update direction comes within 90 deg of BP's, i.e. descends (both measured on digits in
  ``tests/test_drtp.py``). ``B_l`` and ``-B_l`` are equally likely draws, so the sign is a
  convention of the parametrisation, not a property of the rule.
* **The target.** :meth:`DeltaRule.updates` hands :meth:`deltas` the error ``e = y_hat - y*``,
  not ``y*``; we recover ``y* = y_hat - e`` and round it to the 0/1 it is (the subtraction
  can leave an error in the last bit). Targets that are not one-hot raise a ValueError:
  DRTP is defined for one-hot labels.
* **Feedback scale** (ours, as DFA): ``B_l`` uniform in ``+-1/sqrt(n_l)``, drawn once, fixed.
* **Defaults** (ours): the DFA family's (tanh hidden units, logistic output with BCE, which
  the paper also uses for DRTP, RMSprop 1e-3) and weights uniform ``+-1/sqrt(fan_in)``.
* **Conv layers**: as DFA, ``y*`` is injected after max pooling (``model.through_f``).
"""
import numpy as np

from .base import DeltaRule, direct_feedback, direct_feedback_pairs


class DRTP(DeltaRule):
    """The one-hot target sent directly to every hidden layer through fixed random ``B_l``."""

    name = "drtp"
    paper = "Frenkel, Lefebvre & Bol (2021), Front. Neurosci. 15:629892, Sec. 2"
    # the DRTP paper is cited by section (module docstring); its delta is DFA Eq. (8), y* for e
    equations = {**DeltaRule.equations, "delta": "DRTP Sec. 2: DFA Eq. (8), y* for e",
                 "feedback": "DRTP Sec. 2"}
    delta_formula = "(B_{l} y*) ⊙ f'(a_{l}), y* = y_hat - e the one-hot target"

    def setup(self, model, rng):
        self.B_ = direct_feedback(model, rng)

    def feedback_pairs(self, model):
        """``B_l`` against ``(W_L ... W_{l+1})^T``, as DFA; DRTP drives this angle ABOVE 90 deg
        (module docstring, "Sign"). Layers whose path holds a conv kernel are skipped."""
        return direct_feedback_pairs(model, self.B_)

    def deltas(self, model, fwd, e):
        """``[None, delta_1, ..., delta_{L-1}, e]``: the hidden ones from the target alone."""
        L = model.n_layers
        delta = [None] * L + [e]
        if L == 1:
            return delta
        Y = target_from_error(fwd.y_hat, e)                     # y* = y_hat - e, one-hot
        for l in range(1, L):
            dh = Y @ self.B_[f"B{l}"].T                         # B_l y*    (n, n_l)
            # DFA Eq. (8) with y* in place of e: (B_l y*) ⊙ f'(a_l)
            delta[l] = model.through_f(l, dh, fwd)
        return delta


def target_from_error(y_hat, e):
    """The one-hot target ``y* = y_hat - e`` (``e = y_hat - y*``, DFA Eq. 5), rounded to 0/1.

    Raises a ValueError if ``y_hat - e`` is not within 1e-6 of a 0/1 array.
    """
    Y = y_hat - e
    R = np.rint(Y)
    if not (np.all((R == 0) | (R == 1)) and np.max(np.abs(Y - R), initial=0.0) < 1e-6):
        raise ValueError("DRTP projects one-hot targets (Sec. 2 of the paper): every target "
                         "entry must be 0 or 1; pass class labels or one-hot rows")
    return R.astype(y_hat.dtype, copy=False)
