"""Building blocks: activations, output losses, initialisers, dropout, the dense network,
convolution and max pooling as matrix products (im2col), the convolutional network, and
the forward loop the two networks share."""
from .activations import ACTIVATIONS, Activation, get_activation
from .conv import (col2im, conv2d, conv2d_backward, conv2d_backward_input, conv2d_grads,
                   conv_output_size, im2col, maxpool2d, maxpool2d_backward)
from .convnet import ConvNet
from .dense import MLP, FeedForward, Forward
from .dropout import dropout_mask
from .init import INITS, get_init
from .losses import LOSSES, OutputLoss, get_loss

__all__ = ["ACTIVATIONS", "Activation", "get_activation", "MLP", "FeedForward", "Forward",
           "dropout_mask", "INITS", "get_init", "LOSSES", "OutputLoss", "get_loss", "ConvNet",
           "conv_output_size", "im2col", "col2im", "conv2d", "conv2d_backward", "conv2d_backward_input",
           "conv2d_grads", "maxpool2d", "maxpool2d_backward"]
