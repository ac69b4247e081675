"""Enlarging a small image set with Keras's ``ImageDataGenerator``, as the paper did.

Section 4.2 of the IgNet paper: "stochastic rotations–shifts–flips of images horizontally
and vertically. With Keras ImageGenerator utility the drawings set was enlarged up to 17500
items for learning and testing. 3500 more samples were produced for validation."
``ImageDataGenerator`` is shipped with Keras 3 in its legacy module (the class that
``tensorflow.keras.preprocessing.image.ImageDataGenerator`` names); it transforms one image
at a time with numpy and scipy, on any Keras back end.

:func:`enlarge` transforms ``images[i]`` with the parameters that ``seeds[i]`` draws
(``ImageDataGenerator.random_transform(x, seed=...)``), so every sample of an enlarged set
is fixed by its own seed: the same whatever subset, order or batch it is asked for in.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from keras.src.legacy.preprocessing.image import ImageDataGenerator

from baseline_keras.checks import (
    KerasBaselineError,
    check_choice,
    check_flag,
    check_images,
    check_number,
)

__all__ = ["FILL_MODES", "enlarge", "image_data_generator"]

FILL_MODES = ("nearest", "reflect", "wrap", "constant")

#: ``np.random.seed``, which ``random_transform`` calls, takes seeds below 2**32.
SEED_LIMIT = 2**32


def image_data_generator(
    *,
    rotation: float = 10.0,
    shift: float = 0.1,
    zoom: float = 0.0,
    horizontal_flip: bool = True,
    vertical_flip: bool = True,
    fill_mode: str = "nearest",
) -> ImageDataGenerator:
    """Keras's ``ImageDataGenerator`` with the paper's transformations.

    The paper names rotations, shifts and horizontal and vertical flips but gives no
    ranges; the defaults here (rotation up to 10 degrees, shifts up to 10% of the height
    and width, both flips, no zoom) are our choice (``docs/keras-baseline.md``).

    Parameters
    ----------
    rotation : float
        ``rotation_range``: largest rotation in degrees, either way (0 to 180).
    shift : float
        ``width_shift_range`` and ``height_shift_range``: largest shift as a fraction of
        the width and of the height, either way ([0, 1)).
    zoom : float
        ``zoom_range``: each axis's sampling step is drawn on its own from
        [1 - zoom, 1 + zoom], so the image is stretched independently in width and height
        ([0, 1); 0 leaves it out, as the paper names no zoom).
    horizontal_flip, vertical_flip : bool
        Mirror left-right (up-down) with probability one half.
    fill_mode : {"nearest", "reflect", "wrap", "constant"}
        How pixels moved in from outside are filled. ``"nearest"``, Keras's default,
        repeats the edge, which keeps a drawing's paper white; ``"constant"`` fills with 0.

    Returns
    -------
    ImageDataGenerator
        Channels-last, bilinear (``interpolation_order=1``, Keras's default).

    Raises
    ------
    KerasBaselineError
        For a bad range or fill mode, naming the argument.
    """
    rotation = check_number("rotation", rotation, 0.0, 180.0)
    shift = check_number("shift", shift, 0.0, 1.0, high_open=True)
    zoom = check_number("zoom", zoom, 0.0, 1.0, high_open=True)
    check_flag("horizontal_flip", horizontal_flip)
    check_flag("vertical_flip", vertical_flip)
    check_choice("fill_mode", fill_mode, FILL_MODES)
    return ImageDataGenerator(
        rotation_range=rotation,
        width_shift_range=shift,
        height_shift_range=shift,
        zoom_range=zoom,
        horizontal_flip=bool(horizontal_flip),
        vertical_flip=bool(vertical_flip),
        fill_mode=fill_mode,
        data_format="channels_last",
        dtype="float32",
    )


def enlarge(images: np.ndarray, seeds: np.ndarray, **ranges: Any) -> np.ndarray:
    """``images[i]`` transformed by ``ImageDataGenerator`` with the draw of ``seeds[i]``.

    To enlarge a set, repeat its images: ``enlarge(originals[sources], seeds)`` makes one
    augmented copy of ``originals[s]`` per ``s`` in ``sources``.

    Parameters
    ----------
    images : ndarray, shape (N, H, W) or (N, H, W, C)
        Floating point, values in [0, 1].
    seeds : array of int, shape (N,)
        Each in [0, 2**32): ``random_transform(x, seed=seeds[i])`` draws the rotation,
        shift, zoom and flips of image ``i``. The same image and seed give the same
        result, whatever else is transformed in the same call.
    **ranges
        Keywords of :func:`image_data_generator` (``rotation``, ``shift``, ``zoom``,
        ``horizontal_flip``, ``vertical_flip``, ``fill_mode``).

    Returns
    -------
    ndarray of float32, the shape of ``images``
        Values in [0, 1].

    Raises
    ------
    KerasBaselineError
        For bad images, seeds or ranges, naming the argument.

    Notes
    -----
    ``random_transform`` seeds numpy's global random state; the state is restored
    afterwards, so a caller's own draws from ``np.random`` are not disturbed.
    """
    generator = image_data_generator(**ranges)
    array = check_images("images", images, floating=True)
    draws = np.asarray(seeds)
    if draws.shape != (len(array),) or not np.issubdtype(draws.dtype, np.integer):
        raise KerasBaselineError(
            f"seeds must be {len(array)} integers, one per image, not {draws!r:.80}"
        )
    if draws.min() < 0 or draws.max() >= SEED_LIMIT:
        raise KerasBaselineError(f"seeds must be in [0, 2**32), got {draws.min()}..{draws.max()}")

    grayscale = array.ndim == 3
    stack = (array[..., None] if grayscale else array).astype(np.float32, copy=False)
    out = np.empty_like(stack)
    # random_transform reseeds numpy's legacy global generator: keep the caller's state.
    state = np.random.get_state()  # noqa: NPY002
    try:
        for i, (image, seed) in enumerate(zip(stack, draws.tolist(), strict=True)):
            out[i] = generator.random_transform(image, seed=seed)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    # Bilinear resampling is a convex combination, but float rounding can overstep by an ulp.
    np.clip(out, 0.0, 1.0, out=out)
    return out[..., 0] if grayscale else out
