"""Initial weights and biases by the paper's eq. (3).

Each layer n draws its weights from U(-W_n / (v_n h_n), +W_n / (v_n h_n)), where v_n x h_n is
the spatial extent of its filter (the whole input map for a dense layer), and its biases
from U(-B_n, +B_n). W_n (``w_range``) and B_n (``b_range``) are set per layer.

:func:`he_range` gives the W_n for which eq. (3)'s bound is He's uniform bound
sqrt(6 / fan_in), the usual start for ReLU networks (the estimators' ``init="he"``).
"""

from __future__ import annotations

import numpy as np

from ignet.errors import IgNetError


def check_range(value: float, field: str) -> float:
    """A non-negative finite amplitude, or IgNetError naming ``field``."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise IgNetError(f"{field} must be a number, got {value!r}") from None
    if not np.isfinite(value) or value < 0:
        raise IgNetError(f"{field} must be finite and >= 0, got {value!r}")
    return value


def uniform_weights(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    w_range: float,
    kernel: tuple[int, int],
    dtype: np.dtype,
) -> np.ndarray:
    """Weights U(+-w_range / (v h)) for a filter bank of ``shape`` with kernel (v, h)."""
    bound = w_range / (kernel[0] * kernel[1])
    return _symmetric(rng, shape, bound, dtype)


def he_range(kernel: tuple[int, int], fan_in: int) -> float:
    """The amplitude W_n that makes eq. (3)'s bound W_n / (v h) equal sqrt(6 / fan_in).

    Parameters
    ----------
    kernel : the layer's (v, h) of eq. (3).
    fan_in : inputs of one neuron (C v h for a convolution, C H W for a dense layer).
    """
    if fan_in < 1:
        raise IgNetError(f"fan_in must be >= 1, got {fan_in!r}")
    return float(kernel[0] * kernel[1] * np.sqrt(6.0 / fan_in))


def uniform_biases(
    rng: np.random.Generator, shape: tuple[int, ...], b_range: float, dtype: np.dtype
) -> np.ndarray:
    """Biases U(+-b_range)."""
    return _symmetric(rng, shape, b_range, dtype)


def _symmetric(
    rng: np.random.Generator, shape: tuple[int, ...], bound: float, dtype: np.dtype
) -> np.ndarray:
    # One float64 draw scaled by the bound: re-drawing from the same seed with another
    # amplitude rescales the same values, which is what calibration relies on.
    return ((2 * rng.random(shape) - 1) * bound).astype(dtype)
