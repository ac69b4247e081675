"""The in-memory dataset that every loader returns and every protocol consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Dataset:
    """Images and their labels, one row of ``labels`` per image.

    Attributes
    ----------
    images : ndarray of float32, shape (N, H, W) or (N, H, W, 3)
        Pixel values in [0, 1].
    labels : DataFrame
        One row per image, in the same order; always has a ``file`` column and a
        ``group`` column (the unit that honest splits keep on one side).
    source : Path or None
        The folder the images were read from.
    skipped : list of (file name, reason)
        Files that were left out because they could not be used.
    """

    images: np.ndarray
    labels: pd.DataFrame
    source: Path | None = None
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # The loaders convert every image once (bench.data.loading); what reaches a
        # protocol or an engine is never converted or checked again, so the promise is
        # kept here. The [0, 1] range is checked per image as it is decoded.
        if self.images.dtype != np.float32 or self.images.ndim not in (3, 4):
            raise ValueError(
                f"images must be float32 of shape (N, H, W) or (N, H, W, 3), "
                f"not {self.images.dtype} {self.images.shape}"
            )
        if len(self.images) != len(self.labels):
            raise ValueError(
                f"images and labels disagree: {len(self.images)} images, {len(self.labels)} rows"
            )

    def __len__(self) -> int:
        return len(self.images)

    @property
    def groups(self) -> np.ndarray:
        """The group (child) of every image, as an array."""
        return self.labels["group"].to_numpy()
