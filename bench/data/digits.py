"""scikit-learn's handwritten digits: 1,797 real 8 x 8 images that no one here made.

They are the suite's external check. The drawings and faces the suite generates are
stand-ins whose difficulty was chosen here; the digits are real images shipped with
scikit-learn (no download), so how the engines rank on them says something about the
engines that no choice of ours set.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bench.data.dataset import Dataset
from bench.data.loading import Decoded, Loader, read
from bench.data.sources import DIGITS_SIZE, DIGITS_SOURCE

__all__ = ["DIGITS_SOURCE", "load_digits"]

_LEVELS = 16.0  # the digits' pixels count 0..16 strokes


def load_digits() -> Dataset:
    """The 1,797 digits as images in [0, 1] (ink 1, background 0) and their labels.

    Returns
    -------
    Dataset
        ``images`` (1797, 8, 8) float32; ``labels`` with ``file`` (``digit-<index>``),
        ``group`` (each image its own: the digits' writers are not given) and ``digit``.
    """
    return read(_DigitsLoader())


class _DigitsLoader(Loader):
    """The digits' parts: scikit-learn's arrays, so no file can be bad."""

    def __init__(self) -> None:
        from sklearn.datasets import load_digits as sklearn_digits

        super().__init__(Path(DIGITS_SOURCE), DIGITS_SIZE[::-1], "digits")
        self.bunch = sklearn_digits()

    def find(self) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
        n = len(self.bunch.images)
        labels = pd.DataFrame(
            {
                "file": [f"digit-{i}" for i in range(n)],
                "group": np.arange(n),
                "digit": self.bunch.target.astype(np.int64),
            }
        )
        return labels, []

    def decode(self, index: int, name: str) -> Decoded:
        return (self.bunch.images[index] / _LEVELS).astype(np.float32), {}
