"""The memorisation baseline: 1-nearest-neighbour on the pixels or on HOG features.

Its prediction for a test image is the label of the closest training sample, so it scores
what a leak hands over for free: under a protocol that puts copies of test drawings in
training it finds them if they are near in its representation. It has no paper; it sits
beside IgNet, under IgNet's protocol.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.engines.base import Build, Engine, EngineAdapter, keywords_of
from bench.engines.linear import FlatAdapter
from bench.errors import BenchError

__all__ = ["ENGINE", "NETWORKS", "hog_features"]

#: Its representations: the raw pixels, or a histogram of gradient orientations of the
#: drawing cut to its bounding box (see :func:`hog_features`).
NETWORKS = ("pixels", "hog")
_HOG_WINDOW = (32, 64)  # (width, height): HOG's cells tile it, near the drawings' aspect


class _NearestAdapter(FlatAdapter):
    # Training data is memorised by construction; the validation score is the news.
    scores_training = False

    def __init__(self, estimator: Any, task: str, network: str) -> None:
        super().__init__(estimator, task)
        self.network = network

    def _inputs(self, X: np.ndarray) -> np.ndarray:
        return hog_features(X) if self.network == "hog" else super()._inputs(X)


def hog_features(images: np.ndarray) -> np.ndarray:
    """Histograms of oriented gradients of each drawing cut to its bounding box.

    Cutting to the box of the ink (pixels that differ from the paper by at least half the
    strongest stroke's contrast) and resizing it to one window undoes shifts and stretches;
    the gradient histograms over 8-pixel cells, normalised per block, then tolerate small
    rotations and pixel noise. Neither undoes a flip.

    Parameters
    ----------
    images : ndarray, shape (N, H, W) or (N, H, W, C), values in [0, 1]
        Paper white or ink bright alike: the paper is taken as each image's median.

    Returns
    -------
    ndarray of float32, shape (N, F)
    """
    import cv2

    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 4:
        images = images.mean(axis=-1)
    descriptor = cv2.HOGDescriptor(_HOG_WINDOW, (16, 16), (8, 8), (8, 8), 9)
    rows = []
    for image in images:
        contrast = np.abs(image - np.median(image))
        # Relative to the darkest stroke: faint pencil drawings have little absolute contrast.
        ys, xs = np.nonzero(contrast > 0.5 * contrast.max())
        if contrast.max() > 0.02:
            image = image[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        window = cv2.resize(image, _HOG_WINDOW, interpolation=cv2.INTER_AREA)
        pixels = (np.clip(window, 0, 1) * 255).astype(np.uint8)
        rows.append(np.ravel(descriptor.compute(pixels)))
    return np.asarray(rows, dtype=np.float32)


def _build(job: Build) -> EngineAdapter:
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    if job.network not in NETWORKS:
        raise BenchError(
            f"nearest network must be one of {', '.join(NETWORKS)}, not {job.network!r}"
        )
    kind = KNeighborsRegressor if job.task == "regression" else KNeighborsClassifier
    return _NearestAdapter(kind(**{"n_neighbors": 1, **job.options}), job.task, job.network)


def _keywords(network: str, task: str) -> frozenset[str]:
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    return keywords_of(KNeighborsRegressor if task == "regression" else KNeighborsClassifier)


ENGINE = Engine(
    name="nearest",
    title="1-NN",
    role="baseline",
    build=_build,
    networks=lambda: NETWORKS,
    keywords=_keywords,
    protocol="paper-ignet",
    invert=False,
)
