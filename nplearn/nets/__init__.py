"""Every network nplearn trains, in one place, and the interface they share
(:class:`Network`, :mod:`nplearn.nn.protocol`).

=======================  =========================================  ========================
class                    rules                                      file
=======================  =========================================  ========================
:class:`MLP`             BP, FA, DFA, IFA, DRTP, BFA, BDFA, PEPITA  ``nn/dense.py``
:class:`ConvNet`         BP, FA, DFA, PEPITA with ``conv=...``      ``nn/convnet.py``
:class:`HopfieldNet`     EP, EFP, sigprop_ct                        ``hopfield/network.py``
:class:`SigpropNet`      sigprop                                    ``rules/sigprop_net.py``
:class:`SpikingConvNet`  snn_bp, snn_shallow, snn_sigprop           ``snn/network.py``
=======================  =========================================  ========================

The classes stay beside the engines they run on (the Hopfield network beside its Numba
phases, the spiking network beside its neurons); this package only gathers them.
"""
from ..hopfield import HopfieldNet
from ..nn import MLP, ConvNet
from ..nn.protocol import Network
from ..rules.sigprop_net import SigpropNet
from ..snn import SpikingConvNet

__all__ = ["Network", "MLP", "ConvNet", "HopfieldNet", "SigpropNet", "SpikingConvNet"]
