"""Random shape sweeps: every rule, depth, width, batch size and dtype."""
import numpy as np
import pytest

from nplearn.rules import RULES, DeltaRule
from nplearn.testing import random_batch
from nplearn.train import build


# the spiking rules train conv nets on square images only: their shapes are swept in
# tests/test_spiking.py
SPIKING = {r for r in RULES if r.startswith("snn_")}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("rule", sorted(set(RULES) - SPIKING))
def test_updates_match_parameter_shapes(rule, seed):
    rng = np.random.default_rng(seed)
    depth = int(rng.integers(0, 4))
    hidden = tuple(int(s) for s in rng.integers(1, 9, depth))
    n_in, n_out, n = int(rng.integers(1, 12)), int(rng.integers(2, 7)), int(rng.integers(1, 20))
    dtype = ["float64", "float32"][seed % 2]
    model, r = build(rule, n_in, n_out, hidden, rng=seed, dtype=dtype)
    x, Y = random_batch(rng, n, n_in, n_out, dtype)
    r.prepare(model, x)                # the Hopfield rules map these normal inputs to [0, 1]
    tr = {}
    g = r.updates(model, x, Y, trace=tr)
    learned = r.learned_params()                    # trainable feedback (BFA, BDFA), if any
    assert g.keys() == model.params.keys() | learned.keys()
    for k, p in {**model.params, **learned}.items():
        assert g[k].shape == p.shape and g[k].dtype == p.dtype, k
        assert np.all(np.isfinite(g[k]))
    for l in range(1, len(hidden) + 1):
        # EP, EFP: no delta_l, their states; sigprop: each layer's own activity
        key = "delta" if isinstance(r, DeltaRule) else "h" if rule == "sigprop" else "s_free"
        assert tr[f"{key}_{l}"].shape == (n, hidden[l - 1])
    if rule != "sigprop":                          # sigprop has no output error e
        assert tr["e"].shape == (n, n_out)
