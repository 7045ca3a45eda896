"""PEPITA: Present the Error to Perturb the Input To modulate Activity.

Dellaferrera, G. & Kreiman, G. (2022). Error-driven Input Modulation: Solving the Credit
Assignment Problem without a Backward Pass. ICML 2022, PMLR 162. Eq. (1)-(5), Algorithm 1,
Sec. 3.3 (convolutional layers):

    standard pass    h_l = sigma_l(W_l h_{l-1}),  h_0 = x,           e = h_L - target   (1)
    modulated pass   h_l^err = sigma_l(W_l h_{l-1}^err),  h_0^err = x + F e            (2)
    first layer      Delta W_1 = (h_1 - h_1^err) (x + F e)^T                           (3)
    hidden layers    Delta W_l = (h_l - h_l^err) (h_{l-1}^err)^T                       (4)
    output layer     Delta W_L = e (h_{L-1}^err)^T                                     (5)
    SGD              W <- W - eta Delta W                                              (6)

Legend (paper -> code -> shape), batch-first: ``x`` -> ``x`` ``(n, n_0)``; ``F`` -> ``F_``
``(n_0, n_L)``; ``e`` -> ``e`` ``(n, n_L)``; ``h_l``, ``h_l^err`` -> ``fwd.h[l]``,
``err.h[l]`` ``(n, n_l)``; ``Delta W_l`` -> ``g["W<l>"]`` ``(n_l, n_{l-1})``. ``F e`` is
``e @ F_.T``. Eq. (3) is Eq. (4) with ``h_0^err = x + F e``, so one line serves both.

``g = Delta W`` is NOT a gradient: the hidden updates come from the difference of two forward
passes, and the paper finds they do not agree with BP's, "not even in sign" (Sec. 4.2). The
product ``W_L ... W_1`` comes to ANTI-align with ``F^T`` (angle above 90 deg, Fig. 3b); this
module's :meth:`PEPITA.feedback_pairs` lets :class:`nplearn.analysis.AlignmentRecorder` record
that angle.

Decisions
---------
* ``F`` is uniform in ``+-F_scale sqrt(6 / n_0)``: Table 2 prints "0.05 * 2 sqrt(6/d)", the
  WIDTH of that interval, so the paper's ``F_scale`` is 0.05. The default is 0.1, chosen on
  validation splits for 20 epochs of a 100-unit layer (docs page "Defaults").
* ``n_0`` in that bound is the network's input size (``model.sizes[0]``: 784 on MNIST, 3072 =
  32*32*3 on CIFAR), for every model. Table 2 prints ``28*28*1`` in its fully connected CIFAR
  columns and ``32*32*3`` in its convolutional MNIST column: the row follows the model family,
  not the dataset (MNIST has no 32*32*3 input), so we read it as filled across the columns by
  mistake. ``sqrt(6 / n_0)`` is the He-uniform bound of the layer ``F`` feeds, whose fan-in is
  the input; the authors' CIFAR-10 tutorial also draws ``F`` with ``n_0 = 32*32*3``. Taken
  literally, ``28*28*1`` on CIFAR would make ``F`` ``sqrt(3072/784) = 1.98`` times larger.
* ``e = softmax(a_L) - onehot`` from the standard pass, in Eq. (5) too (Algorithm 1 as printed;
  ``output_error="modulated"`` uses the modulated pass's error instead, as the authors' code).
* The modulated pass reuses the standard pass's dropout masks, so the two passes differ only
  by the input modulation ("the difference in the node activities is solely due to the
  error-driven modulation of the input signal", Sec. 3.2).
* Mean over the batch (``/ n``). No biases: the network keeps zero bias arrays for a uniform
  parameter layout, and PEPITA returns ``g_b = 0`` for them, so with any of nplearn's
  optimisers they stay exactly zero (``tests/test_pepita.py``).
* ``presynaptic="standard"`` is the variant of Sec. 3.2 with ``h_{l-1}`` in place of
  ``h_{l-1}^err`` ("such modification did not affect the network performance"), and the form
  used by the analysis of Sec. 4.3.
* Convolutional layers (Sec. 3.3): "for each pixel in the output map" the activity difference
  times "the area of the input map on which the filter was applied", summed and "divided by
  the number of summed products": the per-sample MEAN over output pixels of the im2col form,
  ``(h - h^err)`` taken after the non-linearity and BEFORE max pooling. A dense layer above a
  conv layer sees its pooled, flattened output.
"""
import numpy as np

from .base import DeltaRule, check_choice, check_number, fill_trace, forward_path


class PEPITA(DeltaRule):
    """Two forward passes, the second on the input modulated by the error (Eq. 1-5).

    Parameters
    ----------
    F_scale : float
        ``F`` is uniform in ``+-F_scale * sqrt(6 / n_0)`` (Table 2: 0.05; default 0.1,
        chosen on validation splits for 20 epochs of a 100-unit layer, docs page "Defaults").
    output_error : {"standard", "modulated"}
        The error ``e`` in the output update Eq. (5): the standard pass's (Algorithm 1) or the
        modulated pass's.
    presynaptic : {"modulated", "standard"}
        Presynaptic term of Eq. (3)-(5): ``h_{l-1}^err`` (the paper's rule) or ``h_{l-1}``
        (the variant of Sec. 3.2 and the analysis of Sec. 4.3).

    Attributes
    ----------
    F_ : ndarray of shape (n_0, n_L)
        The fixed projection ``F`` (Eq. 2), drawn by :meth:`setup`: the array ``B_["F"]``
        (what :meth:`state` saves).
    """

    name = "pepita"
    paper = "Dellaferrera & Kreiman (2022), ICML, Eq. (1)-(5), Alg. 1, Sec. 3.3"
    # Table 2, MNIST fully connected: ReLU, softmax, SGD with momentum 0.9, eta 0.1, x0.1 at
    # epoch 60, dropout 10 %, He init.
    defaults = {"activation": "relu", "loss": "softmax_ce", "optimizer": "sgd",
                "optimizer_params": {"momentum": 0.9}, "learning_rate": 0.1,
                "schedule": "multistep:60", "dropout": 0.1}
    # tags of the traced step: the standard pass (1), the error, the modulated pass (2),
    # the postsynaptic factors and the update (3)-(5)
    equations = {"x": "PEPITA Eq. (1)", "y": "PEPITA Alg. 1", "hidden": "PEPITA Eq. (1)",
                 "output": "PEPITA Eq. (1)", "loss": "PEPITA Alg. 1", "e": "PEPITA Alg. 1",
                 "delta": "PEPITA Eq. (3)-(4)", "fprime": "PEPITA Eq. (1)",
                 "update": "PEPITA Eq. (3)-(5)", "feedback": "PEPITA Eq. (2)"}

    def __init__(self, F_scale=0.1, output_error="standard", presynaptic="modulated"):
        self.F_scale = check_number(self.name, "F_scale", F_scale, low=0)
        self.output_error = check_choice(self.name, "output_error", output_error,
                                         ("standard", "modulated"))
        self.presynaptic = check_choice(self.name, "presynaptic", presynaptic,
                                        ("modulated", "standard"))

    def setup(self, model, rng):
        n_0, n_L = model.sizes[0], model.sizes[-1]
        r = self.F_scale * np.sqrt(6.0 / n_0)                     # Table 2: width 2 r
        self.B_ = {"F": rng.uniform(-r, r, size=(n_0, n_L)).astype(model.dtype)}

    @property
    def F_(self):
        """The fixed projection ``F`` of the error onto the input, ``(n_0, n_L)``."""
        return self.B_["F"]

    def default_init(self, activation):
        return "he"                                               # Sec. 4.1

    def feedback_pairs(self, model):
        """``F^T`` against the forward product ``W_L ... W_1`` (Fig. 3b; fully connected only).

        The angle starts near 90 deg and rises above it (anti-alignment, Sec. 4.2-4.3).
        """
        if any(model.is_conv(l) for l in range(1, model.n_layers + 1)):
            return []
        return [("F", self.F_.T, forward_path(model, 0))]

    def describe_delta(self, l, L):
        """PEPITA's postsynaptic factor of layer ``l`` (Eq. 3-4), in the trace's ``delta_l``."""
        return (f"h_{l} - h_{l}^err (before pooling for a conv layer), the postsynaptic "
                f"factor of Eq. (3)-(4), in delta's place")

    def describe_update(self, l, L):
        """``-Delta W_l`` of Eq. (3)-(5) in words: the trace's sign is the descent's."""
        post = ("e^err" if self.output_error == "modulated" else "e") if l == L else \
            f"delta_{l}"
        pre = ("x_err" if l == 1 else f"h_{l - 1}_err") if self.presynaptic == "modulated" \
            else ("x" if l == 1 else f"h_{l - 1}")
        return (f"-Delta W_{l} = -{post}^T {pre} / n (the paper's W <- W - eta Delta W), "
                f"before the learning rate", "0: PEPITA trains no biases (Sec. 4.1)")

    def modulated_pass(self, model, x, e, fwd):
        """Eq. (2): the forward pass on ``x + F e`` with the standard pass's dropout masks."""
        x_err = x + e @ self.F_.T                                 # PEPITA Eq. (2): h_0^err = x + F e
        return model.forward(x_err, masks=fwd.mask)               # PEPITA Eq. (2)

    def deltas(self, model, fwd, e):
        """Postsynaptic factors ``[None, h_1 - h_1^err, ..., e]`` (Eq. 3-5), shaped like ``a_l``.

        They play the part of BP's ``delta_l`` in ``Delta W_l``; the update-angle analysis
        compares them with BP's. Conv layers: the difference before pooling (Sec. 3.3).
        """
        err = self.modulated_pass(model, fwd.h[0], e, fwd)
        return self._post(model, fwd, err, e, fwd.y_hat - e)      # Y = y_hat - e

    def _post(self, model, fwd, err, e, Y):
        L = model.n_layers
        post = [None] * (L + 1)
        for l in range(1, L):
            if model.is_conv(l):
                post[l] = fwd.conv_h[l] - err.conv_h[l]           # Sec. 3.3: per output pixel
            else:
                post[l] = fwd.h[l] - err.h[l]                     # PEPITA Eq. (3)-(4): h_l - h_l^err
        if self.output_error == "standard":
            post[L] = e                                           # PEPITA Eq. (5), Alg. 1
        else:
            post[L] = model.loss.error(err.y_hat, Y)              # the authors' code: e^err
        return post

    def updates(self, model, x, Y, rng=None, trace=None, stats=None, idx=None, loop=0):
        """Update directions ``g = Delta W`` (Eq. 3-5) for one minibatch; ``g_b = 0``."""
        fwd = model.forward(x, rng)                               # PEPITA Eq. (1): standard pass
        e = model.loss.error(fwd.y_hat, Y)                        # Alg. 1: e = h_L - target
        err = self.modulated_pass(model, x, e, fwd)               # PEPITA Eq. (2): modulated pass
        post = self._post(model, fwd, err, e, Y)
        pre = err if self.presynaptic == "modulated" else fwd
        g = {}
        for l in range(1, model.n_layers + 1):
            g_W, _ = model.grads(l, post[l], pre)                 # PEPITA Eq. (3)-(5): post (pre)^T / n
            if model.is_conv(l):
                g_W = g_W / np.prod(post[l].shape[2:])            # Sec. 3.3: mean over output pixels
            g[f"W{l}"] = g_W
            g[f"b{l}"] = np.zeros_like(model.params[f"b{l}"])     # no biases (Sec. 4.1)
        if stats is not None:
            stats["loss"] = model.loss.loss(fwd.a[-1], Y)
            stats["n_errors"] = int(np.sum(fwd.a[-1].argmax(1) != Y.argmax(1)))
        if trace is not None:
            fill_trace(trace, model, fwd, e, post, g, Y, rule=self,
                       loss=None if stats is None else stats["loss"],
                       extra=self._trace_modulated(model, err, post))
        return g

    def _trace_modulated(self, model, err, post):
        """The modulated pass (Eq. 2) as ``fill_trace`` entries, in computing order."""
        L, eq = model.n_layers, "PEPITA Eq. (2)"
        out = [("x_err", err.h[0], eq, "h_0^err = x + F e, the input modulated by the error")]
        for l in range(1, L):
            pre = "x_err" if l == 1 else f"h_{l - 1}_err"
            out.append((f"a_{l}_err", err.a[l], eq, f"a_{l}^err = W_{l} {pre} + b_{l}"))
            out.append((f"h_{l}_err", err.h[l], eq, f"h_{l}^err = f(a_{l}^err)"))
        if self.output_error == "modulated":
            out.append(("e_err", post[L], "PEPITA Eq. (5), the authors' code",
                        "e^err = f_y(a_L^err) - y, the modulated pass's error, in Eq. (5)"))
        return out
