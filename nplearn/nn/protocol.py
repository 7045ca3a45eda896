"""The interface a network offers the rules, the trainer, the estimator and the analysis.

Five classes satisfy it: :class:`~nplearn.nn.MLP` and :class:`~nplearn.nn.ConvNet` (DFA
paper, BFA, PEPITA), :class:`~nplearn.hopfield.HopfieldNet` (EP, EFP, continuous sigprop),
:class:`~nplearn.rules.sigprop_net.SigpropNet` (discrete sigprop) and
:class:`~nplearn.snn.SpikingConvNet` (sigprop's spiking models). All five import from
:mod:`nplearn.nets`, the one place to find them. Each rule builds its own
(:meth:`nplearn.rules.LearningRule.make_model`); what it needs beyond this interface is the
network's own (e.g. ``back``, ``through_f``, ``grads`` of the two feedforward networks, the
phases of the Hopfield network) and documented there.
"""
from typing import Protocol, runtime_checkable


@runtime_checkable
class Network(Protocol):
    """What every network has.

    Attributes
    ----------
    sizes : tuple of int
        ``(n_0, ..., n_L)``: inputs, the layers (a conv layer counted after pooling,
        flattened), classes.
    params : dict of ndarray
        ``"W1", "b1", ..., "WL", "bL"`` (and a network's own extras, e.g. ``"W_loop"``); the
        optimiser updates these arrays in place.
    dtype : numpy.dtype
        float64 or float32, the dtype of every parameter and of the arithmetic.
    loss : OutputLoss
        The output non-linearity and loss (:mod:`nplearn.nn.losses`).
    n_layers, W, b
        ``L`` and ``[None, W_1, ..., W_L]``, ``[None, b_1, ..., b_L]`` indexed like the
        papers (:class:`~nplearn.nn.layered.Layered`).
    """

    sizes: tuple
    params: dict

    @property
    def n_layers(self) -> int: ...

    @property
    def W(self) -> list: ...

    def is_conv(self, l):
        """Whether weight layer ``l`` (1..L) is a convolution."""

    def logits(self, x):
        """The output pre-activation ``(n, n_L)`` without dropout (for prediction)."""

    def predict_output(self, x):
        """``y_hat`` ``(n, n_L)`` without dropout."""

    def describe(self):
        """``{"sizes", "activation", "loss", "dtype", "conv"}``: what a checkpoint records
        of the network, to check on loading that the arguments build the same one."""
