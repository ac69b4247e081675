"""Decoding image files the way every loader does: the same checks, the same messages."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from bench.errors import BenchError

__all__ = ["check_size", "decode_image", "read_image"]


def check_size(size: Iterable[int]) -> tuple[int, int]:
    """A (width, height) pair of positive integers, or BenchError naming ``size``."""
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        raise BenchError(f"size must be (width, height), not {size!r}") from None
    if width < 1 or height < 1:
        raise BenchError(f"size must be positive, not {width}x{height}")
    return width, height


def decode_image(path: Path, color: bool) -> np.ndarray | str:
    """The whole image (uint8, BGR or gray) at full size, or why it cannot be used."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return f"unreadable: {error.strerror or error}"
    if not data:
        return "empty file (0 bytes)"
    if not _is_complete(data):
        return "truncated image (no end marker)"
    flags = cv2.IMREAD_COLOR if color else cv2.IMREAD_GRAYSCALE
    image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if image is None:
        return "corrupt image (cannot be decoded)"
    return image


def read_image(
    path: Path, size: tuple[int, int], color: bool
) -> tuple[np.ndarray, tuple[int, int]] | str:
    """Decode and reduce one image to ``size`` (float32 in [0, 1], RGB when ``color``)
    with its original (width, height), or say why it cannot be used."""
    image = decode_image(path, color)
    if isinstance(image, str):
        return image
    height, width = image.shape[:2]
    if color:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return small.astype(np.float32) / 255.0, (width, height)


def _is_complete(data: bytes) -> bool:
    """Whether a JPEG or PNG stream has its end marker (decoders pad truncated ones silently)."""
    if data[:2] == b"\xff\xd8":
        return b"\xff\xd9" in data[-64:]
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return b"IEND" in data[-16:]
    return True  # unknown format: let the decoder decide
