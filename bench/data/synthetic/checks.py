"""The arguments both generators take, checked the same way with the same messages."""

from __future__ import annotations

import numpy as np

from bench.errors import BenchError

__all__ = ["check_image_size", "check_jpeg_quality", "check_seed"]


def _is_integer(value: object) -> bool:
    # A bool is an int to Python, never a count or a seed to a user.
    return not isinstance(value, bool) and isinstance(value, int | np.integer)


def check_seed(seed: int) -> int:
    """``seed`` as an int, or BenchError naming ``seed`` when it is not a non-negative integer."""
    if not _is_integer(seed) or seed < 0:
        raise BenchError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def check_image_size(image_size: tuple[int, int]) -> tuple[int, int]:
    """A (width, height) pair of integers from 64 to 8000, or BenchError naming ``image_size``."""
    try:
        width, height = image_size
    except (TypeError, ValueError):
        raise BenchError(f"image_size must be a (width, height) pair, got {image_size!r}") from None
    if not (_is_integer(width) and _is_integer(height)):
        raise BenchError(f"image_size must hold two integers, got {image_size!r}")
    if not (64 <= width <= 8000 and 64 <= height <= 8000):
        raise BenchError(
            f"image_size must be between 64 and 8000 pixels a side, got {image_size!r}"
        )
    return int(width), int(height)


def check_jpeg_quality(jpeg_quality: int) -> int:
    """A JPEG quality from 1 to 100, or BenchError naming ``jpeg_quality``."""
    if not _is_integer(jpeg_quality):
        raise BenchError(f"jpeg_quality must be an integer, got {jpeg_quality!r}")
    if not 1 <= jpeg_quality <= 100:
        raise BenchError(f"jpeg_quality must be between 1 and 100, got {jpeg_quality}")
    return int(jpeg_quality)
