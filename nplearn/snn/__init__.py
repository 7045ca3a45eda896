"""Spiking networks: integrate-and-fire neurons, the arc-tangent surrogate and the small
convolutional SNN of the sigprop paper (Kohan et al., Sec. VI)."""
from .network import DIGITS_CONV, SpikingConvNet
from .neurons import (arctan_surrogate, arctan_surrogate_grad, heaviside, if_backward,
                      if_forward, spike_maxpool)

__all__ = ["DIGITS_CONV", "SpikingConvNet", "arctan_surrogate", "arctan_surrogate_grad",
           "heaviside", "if_backward", "if_forward", "spike_maxpool"]
