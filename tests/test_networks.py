"""Every network satisfies the written interface (nplearn.nn.protocol.Network)."""
import numpy as np
import pytest

from nplearn.nets import ConvNet, HopfieldNet, MLP, Network, SigpropNet, SpikingConvNet
from nplearn.train import build

BUILT = {"bp": {}, "dfa": {"conv": [(4, 3, 1, 1)]}, "efp": {}, "sigprop": {},
         "snn_bp": {"conv": [(4, 3, 1, 1)]}}
CLASSES = {"bp": MLP, "dfa": ConvNet, "efp": HopfieldNet, "sigprop": SigpropNet,
           "snn_bp": SpikingConvNet}


@pytest.mark.parametrize("rule", BUILT)
def test_each_network_satisfies_the_protocol_and_describes_itself(rule):
    model, _ = build(rule, 64, 3, (5,), rng=0, **BUILT[rule],
                     **({"image_shape": (1, 8, 8)} if "conv" in BUILT[rule] else {}))
    assert isinstance(model, CLASSES[rule]) and isinstance(model, Network)
    d = model.describe()
    assert set(d) == {"sizes", "activation", "loss", "dtype", "conv"}
    assert d["sizes"] == list(model.sizes) and d["dtype"] == model.dtype.name
    assert d["loss"] == model.loss.name
    assert d["activation"] == ("if" if rule == "snn_bp" else model.f.name)
    assert d["conv"] == [list(c) for c in BUILT[rule].get("conv", ())]
    out = model.predict_output(np.random.default_rng(0).uniform(0, 1, (2, 64)))
    assert out.shape == (2, 3)


def test_the_spiking_net_has_no_placeholder_rate_function():
    model, _ = build("snn_bp", 64, 3, (5,), rng=0, conv=[(4, 3, 1, 1)])
    assert not hasattr(model, "f")
