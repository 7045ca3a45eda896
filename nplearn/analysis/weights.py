"""Weight statistics: norms per layer and histograms (PEPITA paper, Fig. 3c and Fig. 5)."""
import numpy as np


def weight_norms(params):
    """``{"W1": ||W_1||_F, ...}`` for the weight matrices in ``params`` (biases skipped)."""
    return {k: float(np.linalg.norm(v)) for k, v in params.items() if k.startswith("W")}


def weight_histograms(params, bins=50, range_=None):
    """``{"W1": (counts, edges), ...}``; one shared range over all layers unless given."""
    Ws = {k: np.ravel(v) for k, v in params.items() if k.startswith("W")}
    if range_ is None:
        lo = min(float(w.min()) for w in Ws.values())
        hi = max(float(w.max()) for w in Ws.values())
        range_ = (lo, hi) if hi > lo else (lo - 1, hi + 1)
    return {k: np.histogram(w, bins=bins, range=range_) for k, w in Ws.items()}
