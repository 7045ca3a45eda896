"""Building blocks: activations, output losses, initialisers, dropout, the dense network."""
from .activations import ACTIVATIONS, Activation, get_activation
from .dense import MLP, Forward
from .dropout import dropout_mask
from .init import INITS, get_init
from .losses import LOSSES, OutputLoss, get_loss

__all__ = ["ACTIVATIONS", "Activation", "get_activation", "MLP", "Forward", "dropout_mask",
           "INITS", "get_init", "LOSSES", "OutputLoss", "get_loss"]
