"""Random masks for dropout, dropconnect and freezeconnect, redrawn for every batch.

* dropout: each output neuron is dropped with probability ``rate``; kept ones are scaled
  by 1 / (1 - rate) so that nothing changes at inference, where the mask is off.
* dropconnect: each weight is dropped with probability ``rate`` and takes no part in the
  forward pass, hence none in learning; kept weights are scaled by 1 / (1 - rate).
* freezeconnect (the paper's section 5.5.1): each weight is frozen with probability
  ``rate``: it still takes part in the forward pass, but is not updated for this batch.
"""

from __future__ import annotations

import numpy as np

from ignet.errors import IgNetError


def check_rate(rate: float, field: str) -> float:
    """A rate in [0, 1), or IgNetError naming ``field``."""
    try:
        rate = float(rate)
    except (TypeError, ValueError):
        raise IgNetError(f"{field} must be a number, got {rate!r}") from None
    if not 0 <= rate < 1:
        raise IgNetError(f"{field} must be in [0, 1), got {rate!r}")
    return rate


def keep_mask(
    rng: np.random.Generator, shape: tuple[int, ...], rate: float, dtype: np.dtype
) -> np.ndarray:
    """1 where kept (probability 1 - rate), 0 where dropped or frozen."""
    return (rng.random(shape) >= rate).astype(dtype)


def scaled_keep_mask(
    rng: np.random.Generator, shape: tuple[int, ...], rate: float, dtype: np.dtype
) -> np.ndarray:
    """:func:`keep_mask` divided by the keep probability (dropout and dropconnect)."""
    return keep_mask(rng, shape, rate, dtype) * np.asarray(1 / (1 - rate), dtype=dtype)
