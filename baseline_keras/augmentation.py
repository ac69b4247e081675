"""Enlarging a small image set with Keras preprocessing layers, as the paper did.

The paper enlarged its 338 drawings with ``ImageDataGenerator`` ("stochastic rotations,
shifts, flips of images horizontally and vertically") to fixed sets: 17,500 for learning
and testing and 3,500 for validation. Keras 3 has no ``ImageDataGenerator``; its random
preprocessing layers do the same transformations. The sizes of the sets are the caller's
choice: :func:`enlarge` makes one augmented image per entry of ``sources``.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import layers

__all__ = ["FILL_MODES", "FLIP_MODES", "augmentation_pipeline", "enlarge"]

FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")
FILL_MODES = ("nearest", "reflect", "wrap", "constant")
INTERPOLATIONS = ("bilinear", "nearest")


def _check_range(name: str, value: Any, high: float, *, closed: bool) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok:
        ok = 0.0 <= value <= high if closed else 0.0 <= value < high
    if not ok:
        bracket = "]" if closed else ")"
        raise ValueError(f"{name} must be a number in [0, {high}{bracket}, not {value!r}")
    return float(value)


def _check_seed(seed: Any) -> int:
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    return int(seed)


def augmentation_pipeline(
    *,
    rotation: float = 10.0,
    translation: float = 0.1,
    flip: str | None = "horizontal_and_vertical",
    zoom: float = 0.0,
    fill_mode: str = "nearest",
    interpolation: str = "bilinear",
    seed: int = 0,
) -> keras.Sequential:
    """Random rotation, translation, flips and zoom as one seeded Keras model.

    The defaults are those of ``bench``'s paper-keras protocol (the paper gives no ranges):
    rotation up to 10 degrees, shifts up to 10% of the height and width, horizontal and
    vertical flips, no zoom.

    Parameters
    ----------
    rotation : float
        Largest rotation in degrees, either way (0 to 180; 0 leaves the layer out).
    translation : float
        Largest shift as a fraction of the height and of the width, either way ([0, 1)).
    flip : {"horizontal", "vertical", "horizontal_and_vertical"} or None
        Each direction mirrors an image with probability one half.
    zoom : float
        Largest zoom in or out as a fraction of the size, aspect kept ([0, 1)).
    fill_mode : {"nearest", "reflect", "wrap", "constant"}
        How pixels moved in from outside the image are filled. ``"nearest"`` repeats the
        edge (paper white for drawings), as ``ImageDataGenerator`` did by default;
        ``"constant"`` fills with 0.
    interpolation : {"bilinear", "nearest"}
    seed : int
        Seeds every layer (each layer gets its own stream derived from it).

    Returns
    -------
    keras.Sequential
        Call it with ``training=True`` on a batch (N, H, W, C); a fresh pipeline with the
        same seed repeats the same transformations for the same sequence of batches.
    """
    rotation = _check_range("rotation", rotation, 180.0, closed=True)
    translation = _check_range("translation", translation, 1.0, closed=False)
    zoom = _check_range("zoom", zoom, 1.0, closed=False)
    if flip is not None and flip not in FLIP_MODES:
        raise ValueError(f"flip must be None or one of {FLIP_MODES}, not {flip!r}")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"fill_mode must be one of {FILL_MODES}, not {fill_mode!r}")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, not {interpolation!r}")
    # Layers sharing one seed would draw correlated numbers: a rotation's angle would
    # follow a shift's distance. Derive an independent seed for each.
    seeds = [int(s) for s in np.random.SeedSequence(_check_seed(seed)).generate_state(4)]
    geometry = {"fill_mode": fill_mode, "interpolation": interpolation}
    pipeline: list[layers.Layer] = []
    if rotation > 0:
        pipeline.append(
            layers.RandomRotation(rotation / 360.0, seed=seeds[0], name="rotation", **geometry)
        )
    if translation > 0:
        pipeline.append(
            layers.RandomTranslation(
                translation, translation, seed=seeds[1], name="translation", **geometry
            )
        )
    if flip is not None:
        pipeline.append(layers.RandomFlip(flip, seed=seeds[2], name="flip"))
    if zoom > 0:
        pipeline.append(layers.RandomZoom(zoom, seed=seeds[3], name="zoom", **geometry))
    if not pipeline:
        pipeline.append(layers.Identity(name="identity"))
    return keras.Sequential(pipeline, name="augmentation")


def enlarge(
    images: np.ndarray,
    sources: np.ndarray,
    seed: int = 0,
    *,
    batch_size: int = 256,
    **augmentation: Any,
) -> np.ndarray:
    """One augmented copy of ``images[s]`` for each ``s`` in ``sources``.

    Parameters
    ----------
    images : ndarray, shape (N, H, W) or (N, H, W, C)
        Values in [0, 1].
    sources : array of int, shape (M,)
        Indices into ``images``; repeat an index to get several copies of one image.
    seed : int
        Fixes the transformations: the same images, sources, seed and ``batch_size`` give
        the same result on a CPU. (The layers draw one batch at a time, so a different
        ``batch_size`` gives a different, equally valid, set.)
    batch_size : int
        Images transformed per call.
    **augmentation
        Ranges for :func:`augmentation_pipeline` (``rotation``, ``translation``,
        ``flip``, ``zoom``, ``fill_mode``, ``interpolation``).

    Returns
    -------
    ndarray of float32, shape (M,) + images.shape[1:]
        Values clipped to [0, 1].

    Raises
    ------
    ValueError
        For bad images, sources, seed, batch size or ranges, naming the argument.
    """
    array = np.asarray(images)
    if array.ndim not in (3, 4) or array.shape[0] == 0 or min(array.shape[1:]) < 1:
        raise ValueError(
            f"images must have shape (N, H, W) or (N, H, W, C) with N >= 1, not {array.shape}"
        )
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"images must be floating point in [0, 1], not {array.dtype}")
    index = np.asarray(sources)
    if index.ndim != 1 or not (np.issubdtype(index.dtype, np.integer) or index.size == 0):
        raise ValueError(f"sources must be a 1-D array of integer indices, not {index!r:.80}")
    if index.size and (index.min() < 0 or index.max() >= len(array)):
        raise ValueError(f"sources must be indices in [0, {len(array)}), got {index.min()}..")
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, not {batch_size!r}")
    pipeline = augmentation_pipeline(seed=_check_seed(seed), **augmentation)

    grayscale = array.ndim == 3
    batch_images = array[..., None] if grayscale else array
    batch_images = batch_images.astype(np.float32, copy=False)
    out = np.empty((len(index),) + batch_images.shape[1:], dtype=np.float32)
    for start in range(0, len(index), batch_size):
        batch = batch_images[index[start : start + batch_size]]
        result = pipeline(keras.ops.convert_to_tensor(batch), training=True)
        out[start : start + len(batch)] = keras.ops.convert_to_numpy(result)
    # Bilinear resampling is a convex combination, but float rounding can overstep by an ulp.
    np.clip(out, 0.0, 1.0, out=out)
    return out[..., 0] if grayscale else out
