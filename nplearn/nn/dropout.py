"""Inverted dropout (Srivastava et al., 2014).

A unit is kept with probability ``1 - p`` and a kept unit is scaled by
``1 / (1 - p)``, so nothing changes at test time. The mask is returned so a
learning rule (or PEPITA's second pass) can reuse it.
"""
import numpy as np


def dropout_mask(shape, p, rng, dtype=np.float64):
    """Scaled keep-mask of ``shape``: entries ``0`` or ``1 / (1 - p)``.

    Returns ``None`` when ``p == 0`` (no dropout).
    """
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    if p == 0.0:
        return None
    mask = (rng.random(shape) >= p).astype(dtype)
    mask *= 1.0 / (1.0 - p)
    return mask
