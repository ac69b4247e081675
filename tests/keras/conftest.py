"""Tiny synthetic images for the Keras baseline tests: two classes of simple shapes."""

from __future__ import annotations

import numpy as np
import pytest

HEIGHT, WIDTH = 58, 36


def shapes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` bright shapes on a dark 58x36 field, with labels and shape sizes.

    Class 0 is a filled square, class 1 a cross, each at a random place; the third array is
    each shape's half-size in pixels, a regression target.
    """
    rng = np.random.default_rng(seed)
    images = np.zeros((n, HEIGHT, WIDTH), np.float32)
    labels = rng.integers(0, 2, n)
    sizes = rng.integers(3, 9, n)
    for i in range(n):
        r, c, s = rng.integers(12, HEIGHT - 12), rng.integers(10, WIDTH - 10), sizes[i]
        if labels[i] == 0:
            images[i, r - s : r + s, c - s : c + s] = 1.0
        else:
            images[i, r - s - 2 : r + s + 2, c - 1 : c + 2] = 1.0
            images[i, r - 1 : r + 2, c - s - 2 : c + s + 2] = 1.0
    images += rng.normal(0.0, 0.05, images.shape).astype(np.float32)
    return np.clip(images, 0.0, 1.0), labels, sizes.astype(np.float32)


@pytest.fixture(scope="session")
def train_shapes() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return shapes(320, seed=0)


@pytest.fixture(scope="session")
def val_shapes() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return shapes(128, seed=1)
