"""Bidirectional feedback alignment (BFA).

Luo, H., Fu, J. & Glass, J. (2017). Bidirectional Backpropagation: Towards Biologically
Plausible Error Signal Transmission in Neural Networks. arXiv:1702.07097 (v4, 2018:
"Adaptive Bidirectional Backpropagation ..."). Sec. 4.1, Eq. (15)-(29); Fig. 6.

Two networks of the same widths: the forward one maps ``x`` to ``y`` (Eq. 12-14), a
backward one of trainable feedback weights maps the label ``y`` back to the input
(Eq. 23-25). Each learns FA-style, with the OTHER network's weights as its feedback:

    forward phase   delta a_L = e = y_hat - y                                   (17)
                    delta a_l = (<-w_{L-l} delta a_{l+1}) ⊙ f'(a_l)            (18)-(19)
                    delta W_l = -delta a_l h_{l-1}^T                            (20)-(22)
    backward phase  <-a_k = <-w_k <-h_{k-1} + c_k,  <-h_0 = y,  <-h_k = f(<-a_k),
                    x_hat = f_x(<-a_L)                                           (23)-(25)
                    delta <-a_L = <-e = x_hat - x                                (26)
                    delta <-a_k = (W_{L-k} delta <-a_{k+1}) ⊙ f'(<-a_k)        (27)-(28)
                    delta <-w_k = -delta <-a_k <-h_{k-1}^T                     (29)

on the losses ``J`` of Eq. (15) and ``1/2 ||x_hat - x||^2`` of Eq. (16), both means
over the batch. The forward phase is :meth:`DeltaRule.updates` with :meth:`BFA.deltas`.

Legend (paper -> code -> shape), ``L`` weight layers, layer ``k`` of the backward
network counted from the label as in the paper:

=====================  ==========================  ===========================
``->w_l``              ``model.W[l]``              ``(n_l, n_{l-1})``
``<-w_k``              ``B_["V{k}"]``              ``(n_{L-k}, n_{L-k+1})``
bias of ``<-w_k``      ``B_["c{k}"]``              ``(n_{L-k},)``
``<-a_k``, ``<-h_k``   ``back.a[k]``, ``back.h[k]``  ``(n, n_{L-k})``
``x_hat``              ``back.h[L]``               ``(n, n_0)``
``<-e``                ``e_back``                  ``(n, n_0)``
``delta <-a_k``        ``delta_back[k]``           ``(n, n_{L-k})``
=====================  ==========================  ===========================

``<-w_k`` stands where BP has ``W_{L-k+1}^T`` (and ``W_{L-k}`` where a gradient of
Eq. 16 would have ``<-w_{k+1}^T``). ``g`` is NOT a gradient of either loss, except that
with ``<-w_k = W_{L-k+1}^T`` for every ``k`` the forward phase is BP and the backward
phase the exact gradient of Eq. (16) (``tests/test_bfa.py``).

Decisions
---------
* Both phases run on every batch ("process them iteratively in each batch", Sec. 4.1),
  computed from the weights before the batch and applied in one optimiser step (as in
  the authors' Torch code for BDFA, which updates the feedback inside the backward call
  that uses it). Run one after the other, the backward phase's error would travel
  through forward weights one learning-rate step newer.
* The reconstruction error travels through the forward weights only; the backward
  phase trains the feedback network (``B_``) alone, the forward phase ``model.params``.
* ``f_x`` (the paper's ``sigma_x``, not given): ``x_loss="mse"`` (default) is the
  identity with Eq. (16), for which Eq. (26) is the exact gradient;
  ``x_loss="logistic_bce"`` is a logistic output with binary cross-entropy (for pixels
  in [0, 1]), whose gradient is also ``x_hat - x`` (as Eq. 17), but not Eq. (16).
  The hidden non-linearity of the backward network is the forward one's, ``f``.
* Initial weights: the paper gives none. Forward ``U(+-1/sqrt(fan_in))``, the Torch
  default of the authors' code (from zero forward weights Eq. 27-28 would carry no
  error to the backward hidden layers); ``<-w_k`` uniform in ``+-1/sqrt(fan_out)`` like
  FA's ``B``; biases ``c_k`` zero.
* Defaults: tanh, logistic output with BCE (Eq. 15), RMSprop, and the feedforward family's
  learning rate 3e-3, chosen on validation splits (docs page "Defaults"); the paper's 1e-4
  (Sec. 5) is for 300 epochs of MNIST.
"""
import numpy as np

from ..nn import Forward, get_loss
from ..nn.init import feedback_uniform
from .base import DeltaRule, check_choice
from .step_record import put


#: The reconstruction losses of ``x_loss`` (module docstring, Decisions).
X_LOSSES = ("mse", "logistic_bce")


class BFA(DeltaRule):
    """A backward network ``y -> x`` that is both the forward net's feedback and a generator.

    Parameters
    ----------
    x_loss : {"mse", "logistic_bce"}, default "mse"
        Output non-linearity ``f_x`` and loss of the reconstruction ``x_hat`` (Eq. 16).
    """

    name = "bfa"
    paper = "Luo, Fu & Glass (2017), arXiv:1702.07097, Eq. (15)-(29)"
    # tags of the traced step: the forward phase (12)-(22), then the backward one (23)-(29)
    equations = {"x": "BFA Eq. (12)", "y": "BFA Eq. (15)", "hidden": "BFA Eq. (12)-(13)",
                 "output": "BFA Eq. (14)", "loss": "BFA Eq. (15)", "e": "BFA Eq. (17)",
                 "delta": "BFA Eq. (18)-(19)", "update": "BFA Eq. (20)-(22)",
                 "feedback": "BFA Eq. (23)-(25)"}
    delta_formula = "(<-w_{k} {next}) ⊙ f'(a_{l})"
    deltas_top_down = True

    def __init__(self, x_loss="mse"):
        self.x_loss = check_choice(self.name, "x_loss", x_loss, X_LOSSES)

    def setup(self, model, rng):
        self.require_dense(model)
        n, L = model.sizes, model.n_layers
        self.B_ = {}
        for k in range(1, L + 1):                      # <-w_k: n_{L-k+1} -> n_{L-k}
            self.B_[f"V{k}"] = feedback_uniform(n[L - k], n[L - k + 1], rng, model.dtype)
            self.B_[f"c{k}"] = np.zeros(n[L - k], model.dtype)

    def default_init(self, activation):
        return "uniform_fan_in"

    def learned_params(self):
        """The backward network ``{"V1", "c1", ..., "VL", "cL"}``, trained by the optimiser."""
        return dict(self.B_)

    def feedback_pairs(self, model):
        """``<-w_{L-l}`` against ``W_{l+1}^T``, named ``B{l}`` like FA's ``B_l``, by the layer
        ``l`` whose error it carries (so the angle plots put like with like). ``B1 .. B{L-1}``
        carry the forward phase's error; ``B0`` is ``<-w_L``, the generator's last layer,
        in whose place ``W_1`` carries the backward phase's error."""
        L = model.n_layers
        return [(f"B{l}", self.B_[f"V{L - l}"], model.W[l + 1].T) for l in range(L)]

    def deltas(self, model, fwd, e):
        L = model.n_layers
        delta = [None] * L + [e]                                  # BFA Eq. (17): delta a_y = e
        for l in range(L - 1, 0, -1):
            V = self.B_[f"V{L - l}"]
            delta[l] = (delta[l + 1] @ V.T) * fwd.df[l]   # BFA Eq. (18)-(19): (<-w_{L-l} delta_{l+1}) ⊙ f'(a_l)
        return delta

    def backward_pass(self, model, Y):
        """The backward network from labels ``Y`` ``(n, n_L)``: Eq. (23)-(25).

        Returns
        -------
        nplearn.nn.Forward
            ``a[k]``, ``h[k]``, ``df[k]`` for ``k = 1..L`` (``h[0] = Y``, ``h[L] = x_hat``).
        """
        L, f, out = model.n_layers, model.f, get_loss(self.x_loss)
        a, h, df = [None], [Y], [None]
        for k in range(1, L + 1):
            a.append(h[k - 1] @ self.B_[f"V{k}"].T + self.B_[f"c{k}"])   # BFA Eq. (23)-(25): <-a_k = <-w_k <-h_{k-1}
            if k < L:
                h.append(f.f(a[k]))                          # BFA Eq. (23)-(24): <-h_k = f(<-a_k)
                df.append(f.df(a[k], h[k]))                  # f'(<-a_k), used by Eq. (27)-(28)
            else:
                h.append(out.output(a[k]))                   # BFA Eq. (25): x_hat = f_x(a_x)
                df.append(None)
        return Forward(a, h, df)

    def feedback_loss(self, model, x, Y):
        """Reconstruction loss of ``x`` from ``Y``, a mean over the batch: Eq. (16) for
        ``x_loss="mse"``, binary cross-entropy for ``"logistic_bce"``."""
        return get_loss(self.x_loss).loss(self.backward_pass(model, Y).a[-1], x)   # BFA Eq. (16)

    def feedback_updates(self, model, x, Y, fwd, trace=None, stats=None):
        """The backward phase, Eq. (23)-(29): update directions of ``B_`` (reconstruct ``x``
        from ``Y``; ``x`` is the input before any input dropout)."""
        L, W = model.n_layers, model.W
        back = self.backward_pass(model, Y)                            # BFA Eq. (23)-(25)
        e_back = get_loss(self.x_loss).error(back.h[L], x)             # BFA Eq. (26): <-e = x_hat - x
        delta_back = [None] * L + [e_back]
        for k in range(L - 1, 0, -1):
            delta_back[k] = (delta_back[k + 1] @ W[L - k].T) * back.df[k]   # BFA Eq. (27)-(28): (W_{L-k} delta_{k+1}) ⊙ f'(<-a_k)
        n = x.shape[0]
        g = {}
        for k in range(1, L + 1):
            g[f"V{k}"] = (delta_back[k] / n).T @ back.h[k - 1]   # BFA Eq. (29): delta <-w_k = -delta <-a_k <-h_{k-1}^T
            g[f"c{k}"] = delta_back[k].mean(axis=0)
        if stats is not None:
            stats["feedback_loss"] = get_loss(self.x_loss).loss(back.a[L], x)   # BFA Eq. (16)
        if trace is not None:
            self._trace_backward(trace, model, x, back, e_back, delta_back, g, stats)
        return g

    def _trace_backward(self, trace, model, x, back, e_back, delta_back, g, stats):
        """The backward phase under the paper's names, in computing order (Eq. 23-29)."""
        L = model.n_layers
        for k in range(1, L + 1):
            pre = "y" if k == 1 else f"h_back_{k - 1}"
            put(trace, f"a_back_{k}", back.a[k], "BFA Eq. (23)-(25)",
                f"<-a_{k} = <-w_{k} {pre} + c_{k}, the backward network's pre-activation")
            if k < L:
                put(trace, f"h_back_{k}", back.h[k], "BFA Eq. (23)-(24)", f"<-h_{k} = f(<-a_{k})")
                put(trace, f"fprime_back_{k}", back.df[k], "BFA Eq. (27)-(28)",
                    f"f'(<-a_{k}), the slope of f at <-a_{k}")
        put(trace, "x_hat", back.h[L], "BFA Eq. (25)", f"x_hat = f_x(<-a_{L}), the "
            f"reconstruction of x from y ({self.x_loss})")
        loss = (stats["feedback_loss"] if stats is not None
                else get_loss(self.x_loss).loss(back.a[L], x))
        put(trace, "feedback_loss", loss, "BFA Eq. (16)", "the reconstruction loss, "
            "batch mean" + ("" if self.x_loss == "mse" else " (binary cross-entropy)"))
        put(trace, "e_back", e_back, "BFA Eq. (26)", "<-e = x_hat - x, the reconstruction error")
        for k in range(L - 1, 0, -1):
            nxt = "<-e" if k + 1 == L else f"delta_back_{k + 1}"
            put(trace, f"delta_back_{k}", delta_back[k], "BFA Eq. (27)-(28)",
                f"delta <-a_{k} = (W_{L - k} {nxt}) ⊙ f'(<-a_{k})")
        for k in range(1, L + 1):
            post = "<-e" if k == L else f"delta_back_{k}"
            pre = "y" if k == 1 else f"h_back_{k - 1}"
            put(trace, f"dV_{k}", -g[f"V{k}"], "BFA Eq. (29)", f"delta <-w_{k} = -{post}^T "
                f"{pre} / n, before the learning rate", "direction")
            put(trace, f"dc_{k}", -g[f"c{k}"], "BFA Eq. (29)", f"-mean({post}), the bias of "
                f"<-w_{k}, before the learning rate", "direction")


def generate(model, rule, labels=None):
    """Input-space images from one-hot labels: the backward network of a trained BFA (Fig. 6).

    Parameters
    ----------
    model : MLP
    rule : BFA
        Trained with ``model``.
    labels : array-like of int, optional
        Class indices in ``[0, n_L)``; default one of each class, ``0 .. n_L - 1``.

    Returns
    -------
    ndarray of shape (len(labels), n_0)
        ``x_hat = f_x(<-w_L ... f(<-w_1 y))``, Eq. (23)-(25), one row per label.
    """
    n_classes = model.sizes[-1]
    labels = np.arange(n_classes) if labels is None else np.asarray(labels, dtype=int)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must be class indices in [0, {n_classes}), got {labels}")
    Y = np.eye(n_classes, dtype=model.dtype)[labels]                    # one-hot output features
    return rule.backward_pass(model, Y).h[-1]
