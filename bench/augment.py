"""Image augmentation: rotation, stretch, shift, flips and the IgNet paper's noising.

Every augmented sample is a pair (source image, seed): the seed alone fixes its
transformation, so a protocol's augmented set is reproducible and independent of how
samples are batched or which of them a fold asks for.

Tools apply the transformations. ``"opencv"``, the suite's own, warps each image with
OpenCV and adds the IgNet paper's noising; the IgNet protocol uses it. An engine may bring
tools of its own (:attr:`bench.engines.Engine.augmenters`): the Keras engine brings
``"image_data_generator"``, Keras's ``ImageDataGenerator``, the tool of the Keras paper's
section 4.2, which the Keras protocol uses. Each paper protocol's augmentation is the one
its engine declares (:func:`paper_augmentation`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import cv2
import numpy as np

from bench import engines
from bench.errors import BenchError

__all__ = [
    "IGNET_PAPER_AUGMENTATION",
    "KERAS_PAPER_AUGMENTATION",
    "TOOLS",
    "Augmentation",
    "paper_augmentation",
    "paper_augmentations",
]

# The engines' tools, by name: each takes (images, seeds, augmentation).
_AUGMENTERS = {name: tool for e in engines.registered() for name, tool in e.augmenters.items()}
TOOLS = ("opencv", *_AUGMENTERS)


@dataclass(frozen=True)
class Augmentation:
    """Random transformations of images in [0, 1].

    Parameters
    ----------
    rotation : float
        Largest rotation, in degrees either way.
    stretch : float
        Largest relative stretch, drawn independently for width and height:
        each axis is scaled by a factor in [1 - stretch, 1 + stretch].
    shift : float
        Largest shift, as a fraction of the width and of the height.
    flip_horizontal, flip_vertical : bool
        Mirror left-right (up-down) with probability one half.
    noise_portion : float
        Fraction of pixels that are noised (the paper's "portion of pixels").
    noise_level : float
        Noised pixels get a value drawn uniformly from [-level, +level] added, relative to
        the [0, 1] range (the paper's "relative level of noise"); results are clipped.
    tool : one of :data:`TOOLS`
        What applies the transformations: the suite's OpenCV warp (``opencv``), or an
        engine's tool, such as Keras's ``ImageDataGenerator`` (``image_data_generator``,
        whose ``zoom_range`` is the stretch). Only ``opencv`` noises. Both fill from the
        nearest edge pixel and interpolate bilinearly.
    """

    rotation: float = 0.0
    stretch: float = 0.0
    shift: float = 0.0
    flip_horizontal: bool = False
    flip_vertical: bool = False
    noise_portion: float = 0.0
    noise_level: float = 0.0
    tool: str = "opencv"

    def __post_init__(self) -> None:
        if self.tool not in TOOLS:
            raise BenchError(f"augmentation tool must be one of {TOOLS}, not {self.tool!r}")
        if self.tool != "opencv" and (self.noise_portion or self.noise_level):
            raise BenchError(
                f"augmentation noise_portion and noise_level must be 0 with the {self.tool} "
                "tool, which has no noising"
            )
        bounds = {
            "rotation": (0.0, 180.0),
            "stretch": (0.0, 0.99),
            "shift": (0.0, 0.99),
            "noise_portion": (0.0, 1.0),
            "noise_level": (0.0, 1.0),
        }
        for name, (low, high) in bounds.items():
            value = getattr(self, name)
            if not isinstance(value, int | float) or not low <= value <= high:
                raise BenchError(f"augmentation {name} must be in [{low}, {high}], not {value!r}")

    def scaled(self, strength: float) -> Augmentation:
        """The same augmentation with rotation, stretch, shift and noise level times ``strength``.

        One factor moves every continuous range together, so a sweep from 0 (exact copies)
        through 1 (these ranges) to 2 (twice them) is a single axis. Flips cannot be
        scaled: they stay as they are for any positive strength and are dropped at 0, so
        that strength 0 makes exact copies of the originals.

        Raises
        ------
        BenchError
            When ``strength`` is negative or a scaled range leaves its bounds.
        """
        if isinstance(strength, bool) or not isinstance(strength, int | float) or strength < 0:
            raise BenchError(
                f"augmentation strength must be a number of 0 or more, not {strength!r}"
            )
        kept = strength > 0
        return replace(
            self,
            rotation=self.rotation * strength,
            stretch=self.stretch * strength,
            shift=self.shift * strength,
            noise_level=self.noise_level * strength,
            noise_portion=self.noise_portion if kept else 0.0,
            flip_horizontal=self.flip_horizontal and kept,
            flip_vertical=self.flip_vertical and kept,
        )

    def to_dict(self) -> dict[str, float | bool | str]:
        """The settings, for result records."""
        return asdict(self)

    def __call__(self, images: np.ndarray, seeds: np.ndarray) -> np.ndarray:
        """Augment ``images[i]`` with the transformation fixed by ``seeds[i]``.

        Parameters
        ----------
        images : ndarray, shape (N, H, W) or (N, H, W, C), values in [0, 1]
        seeds : array of int, shape (N,)

        Returns
        -------
        ndarray of float32, the same shape as ``images``, values in [0, 1].
        """
        images = np.asarray(images, dtype=np.float32)
        seeds = np.asarray(seeds).reshape(-1)
        if images.ndim not in (3, 4) or len(images) != len(seeds):
            raise BenchError(
                f"augmentation needs images (N, H, W[, C]) and N seeds, got images "
                f"{images.shape} and {seeds.shape[0]} seeds"
            )
        if self.tool != "opencv":
            return _AUGMENTERS[self.tool](images, seeds, self)
        n, height, width = images.shape[:3]
        draws = [np.random.default_rng(int(s)) for s in seeds]
        params = np.array([g.uniform(-1.0, 1.0, size=5) for g in draws]).reshape(n, 5)
        flips = np.array([g.random(2) < 0.5 for g in draws]).reshape(n, 2)
        out = self._warp(images, params, flips)
        if self.noise_portion > 0 and self.noise_level > 0:
            noise = np.stack([g.random((2, height, width), dtype=np.float32) for g in draws])
            chosen = noise[:, 0] < self.noise_portion
            delta = (2.0 * noise[:, 1] - 1.0) * self.noise_level * chosen
            if out.ndim == 4:
                delta = delta[..., None]
            out = np.clip(out + delta, 0.0, 1.0, out=out)
        return out

    def _warp(self, images: np.ndarray, params: np.ndarray, flips: np.ndarray) -> np.ndarray:
        """Rotate, stretch, flip and shift about the centre; edge pixels fill the border."""
        height, width = images.shape[1:3]
        angle = np.deg2rad(self.rotation) * params[:, 0]
        scale_x = 1.0 + self.stretch * params[:, 1]
        scale_y = 1.0 + self.stretch * params[:, 2]
        scale_x = np.where(self.flip_horizontal & flips[:, 0], -scale_x, scale_x)
        scale_y = np.where(self.flip_vertical & flips[:, 1], -scale_y, scale_y)
        shift_x = self.shift * width * params[:, 3]
        shift_y = self.shift * height * params[:, 4]

        # Inverse map: every output pixel p samples the input at A (p - c - shift) + c.
        cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
        cos, sin = np.cos(angle), np.sin(angle)
        out = np.empty_like(images)
        for i, image in enumerate(images):
            a = np.array(
                [[cos[i] / scale_x[i], sin[i] / scale_x[i]],
                 [-sin[i] / scale_y[i], cos[i] / scale_y[i]]]
            )  # fmt: skip
            offset = np.array([cx, cy]) - a @ np.array([cx + shift_x[i], cy + shift_y[i]])
            out[i] = cv2.warpAffine(
                image,
                np.hstack([a, offset[:, None]]),
                (width, height),
                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                borderMode=cv2.BORDER_REPLICATE,
            ).reshape(image.shape)
        return out


def paper_augmentation(protocol: str) -> Augmentation:
    """The augmentation of a paper protocol: the one its engine declares.

    Raises
    ------
    BenchError
        When no registered engine declares an augmentation for ``protocol``.
    """
    for engine in engines.registered():
        if engine.protocol == protocol and engine.augmentation is not None:
            return Augmentation(**engine.augmentation)
    raise BenchError(f"no engine declares the augmentation of protocol {protocol!r}")


def paper_augmentations() -> dict[str, Augmentation]:
    """Engine name -> the augmentation of its paper's protocol, for engines that have one."""
    return {e.name: Augmentation(**e.augmentation) for e in engines.registered() if e.augmentation}


KERAS_PAPER_AUGMENTATION = paper_augmentation("paper-keras")
IGNET_PAPER_AUGMENTATION = paper_augmentation("paper-ignet")
