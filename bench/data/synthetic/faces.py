"""Synthetic stand-in for CelebA, for the face-attribute paper's ten attributes.

CelebA (202,599 aligned celebrity photos, 178x218) cannot be redistributed, so
:func:`generate_faces` writes a folder in CelebA's layout (``img_align_celeba/000001.jpg``,
``list_attr_celeba.txt``, ``list_eval_partition.txt``) holding cartoon faces drawn with
OpenCV primitives. Each of the ten attributes changes what is drawn, and they are sampled
with about CelebA's prevalences and some of its correlations. The faces vary in pose,
shape, skin tone, lighting and background, so the attributes are learnable but not
trivially so. :func:`bench.data.faces.load_faces` reads the folder exactly as it reads a
real one.

See ``docs/synthetic-faces.md`` for the generative model and measured prevalences.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from bench.data.celeba import (
    ATTRIBUTE_FILE,
    ATTRIBUTES,
    IMAGE_FOLDER,
    PARTITION_FILE,
    default_partitions,
    write_attributes,
    write_partitions,
)
from bench.data.provenance import mark_synthetic
from bench.data.stirling import IMAGE_SUFFIXES
from bench.data.synthetic.checks import check_image_size, check_jpeg_quality, check_seed
from bench.errors import BenchError

__all__ = [
    "HAIR_KINDS",
    "FaceAttributes",
    "generate_faces",
    "render_face",
    "sample_attributes",
]

# --------------------------------------------------------------------------------------
# The generative model of the attributes.
# --------------------------------------------------------------------------------------

HAIR_KINDS = ("black", "blond", "brown", "gray", "red", "bald", "hat")
"""What is on a face's head. Only the first four are CelebA hair-colour attributes; red
hair, a bald head and a hat stand for CelebA's faces that have none of them."""

P_MALE = 0.42
# P(Young | Male): CelebA's men are older than its women.
P_YOUNG = {False: 0.85, True: 0.66}
# P(black, blond, brown, gray | Male, Young); the rest is "other" (red, bald or a hat).
# Gray is seldom young, blond mostly female.
P_HAIR = {
    (False, True): (0.22, 0.235, 0.22, 0.005),
    (False, False): (0.22, 0.20, 0.20, 0.10),
    (True, True): (0.28, 0.05, 0.20, 0.01),
    (True, False): (0.25, 0.03, 0.15, 0.20),
}
# How "other" splits into red hair, a bald head and a hat, by Male and Young.
P_OTHER = {
    (False, True): (0.75, 0.0, 0.25),
    (False, False): (0.70, 0.0, 0.30),
    (True, True): (0.45, 0.20, 0.35),
    (True, False): (0.25, 0.50, 0.25),
}
# P(Bangs | Male) when there is hair to hang over the forehead.
P_BANGS = {False: 0.245, True: 0.06}
# P(Eyeglasses | Male, Young): more men, more older people.
P_EYEGLASSES = {(False, True): 0.035, (False, False): 0.08, (True, True): 0.06, (True, False): 0.16}
P_PALE = {False: 0.06, True: 0.015}
P_SMILING = {False: 0.52, True: 0.43}


@dataclass(frozen=True)
class FaceAttributes:
    """The labelled facts about one synthetic face.

    Attributes
    ----------
    male, young : bool
    hair : str
        One of :data:`HAIR_KINDS`.
    bangs, eyeglasses, pale_skin, smiling : bool
    """

    male: bool
    young: bool
    hair: str
    bangs: bool
    eyeglasses: bool
    pale_skin: bool
    smiling: bool

    def labels(self) -> dict[str, int]:
        """The ten CelebA attributes as 0/1, in :data:`~bench.data.celeba.ATTRIBUTES` order."""
        values = {
            "Eyeglasses": self.eyeglasses,
            "Bangs": self.bangs,
            "Black_Hair": self.hair == "black",
            "Blond_Hair": self.hair == "blond",
            "Brown_Hair": self.hair == "brown",
            "Gray_Hair": self.hair == "gray",
            "Male": self.male,
            "Pale_Skin": self.pale_skin,
            "Smiling": self.smiling,
            "Young": self.young,
        }
        return {name: int(values[name]) for name in ATTRIBUTES}


def sample_attributes(rng: np.random.Generator) -> FaceAttributes:
    """Draw one face's attributes: Male, then Young given Male, then the rest given both.

    Hair is one categorical draw, so at most one hair colour is set. Bangs need hair (not
    bald, not under a hat) and are rarer on men; eyeglasses are commoner on men and older
    people; pale skin and smiling depend on Male only.
    """
    male = bool(rng.random() < P_MALE)
    young = bool(rng.random() < P_YOUNG[male])
    colours = P_HAIR[(male, young)]
    kind = int(rng.choice(5, p=[*colours, 1.0 - sum(colours)]))
    if kind < 4:
        hair = HAIR_KINDS[kind]
    else:
        hair = HAIR_KINDS[4 + int(rng.choice(3, p=P_OTHER[(male, young)]))]
    bangs = hair not in ("bald", "hat") and bool(rng.random() < P_BANGS[male])
    return FaceAttributes(
        male=male,
        young=young,
        hair=hair,
        bangs=bangs,
        eyeglasses=bool(rng.random() < P_EYEGLASSES[(male, young)]),
        pale_skin=bool(rng.random() < P_PALE[male]),
        smiling=bool(rng.random() < P_SMILING[male]),
    )


# --------------------------------------------------------------------------------------
# The look of one face: everything that is not a label.
# --------------------------------------------------------------------------------------

Colour = tuple[float, float, float]  # BGR, 0..255, as cv2 wants


@dataclass(frozen=True)
class _Style:
    """The unlabelled choices for one face; lengths are in face units (half the face width)."""

    skin: np.ndarray  # BGR float
    hair: np.ndarray  # BGR float
    brow: np.ndarray
    hair_length: str  # "short", "bob" or "long"
    hairline: float  # y of the hairline centre (more negative: higher forehead)
    parting: float  # sideways shift of the hairline's peak
    fringe: float  # y of the bangs' lower edge
    fringe_slant: float  # side-swept bangs: the edge's slope
    jaw: float  # superellipse exponent of the lower face: >2 square (male), <2 pointed
    face_height: float  # half height of the face over half width
    eye_colour: np.ndarray
    lips: np.ndarray
    beard: str  # "none", "stubble" or "beard"
    wrinkles: float  # 0 (smooth) .. 1 (deep lines)
    open_smile: bool  # teeth showing
    sunglasses: bool
    frame: np.ndarray
    earrings: bool
    clothes: np.ndarray
    yaw: float  # features shift sideways: a head turned a little
    angle: float  # degrees of in-plane rotation
    shift: tuple[float, float]  # fraction of the image width and height
    scale: float


def _jitter(rng: np.random.Generator, colour: Colour, spread: float) -> np.ndarray:
    return np.clip(np.asarray(colour, float) + rng.normal(0.0, spread, 3), 0, 255)


def _mix(a: Colour | np.ndarray, b: Colour | np.ndarray, t: float) -> np.ndarray:
    return np.asarray(a, float) * (1 - t) + np.asarray(b, float) * t


def _hair_colour(rng: np.random.Generator, hair: str) -> np.ndarray:
    if hair == "black":
        return _jitter(rng, (22, 22, 26), 5)
    if hair == "blond":  # yellow and light: high red and green, low blue
        return _jitter(rng, tuple(_mix((80, 185, 225), (55, 150, 200), rng.random())), 6)
    if hair == "brown":
        return _jitter(rng, tuple(_mix((28, 48, 78), (50, 85, 130), rng.random())), 5)
    if hair == "gray":  # light and desaturated
        return np.full(3, rng.uniform(180, 225)) + rng.normal(0, 3, 3)
    if hair == "red":
        return _jitter(rng, tuple(_mix((30, 55, 140), (50, 95, 195), rng.random())), 6)
    # A bald head's sides: dark and dull, so that they read as none of the four colours.
    return _jitter(rng, (50, 58, 70), 6)


def _sample_style(rng: np.random.Generator, face: FaceAttributes) -> _Style:
    if face.pale_skin:
        skin = _jitter(rng, (205, 218, 242), 4)
    else:
        # From light to dark, most faces in the middle: CelebA is mostly light-skinned.
        skin = _jitter(rng, tuple(_mix((150, 180, 225), (55, 85, 135), rng.beta(1.6, 3.0))), 4)
    if not face.young:  # older skin: a little greyer and darker
        skin = _mix(skin, skin.mean() * np.ones(3), 0.25) * 0.95
    hair = _hair_colour(rng, face.hair)
    brow = hair * (0.55 if face.hair in ("blond", "gray", "red") else 0.9)
    if face.hair in ("bald", "hat"):
        brow = _jitter(rng, (40, 50, 60), 8)
    if face.male:
        length = "long" if rng.random() < 0.08 else "short"
    else:
        length = str(rng.choice(["long", "bob", "short"], p=[0.75, 0.2, 0.05]))
    beard = "none"
    if face.male:
        beard = str(rng.choice(["none", "stubble", "beard"], p=[0.6, 0.25, 0.15]))
    receding = face.male and not face.young and rng.random() < 0.5
    lips = _mix(skin, (70, 70, 185), rng.uniform(0.25, 0.45))
    if not face.male and rng.random() < 0.6:  # lipstick
        lips = _jitter(rng, (60, 50, 175), 15)
    return _Style(
        skin=skin,
        hair=hair,
        brow=brow,
        hair_length=length,
        hairline=float(rng.uniform(-1.0, -0.85) - (0.2 if receding else 0.0)),
        parting=float(rng.normal(0, 0.15)),
        fringe=float(rng.uniform(-0.55, -0.45)),
        fringe_slant=float(rng.normal(0, 0.08)),
        jaw=float(rng.uniform(2.4, 3.2) if face.male else rng.uniform(1.7, 2.1)),
        face_height=float(rng.uniform(1.25, 1.42) + (0.05 if face.male else 0.0)),
        eye_colour=_jitter(rng, [(30, 45, 70), (120, 90, 50), (60, 100, 60)][rng.integers(3)], 10),
        lips=lips,
        beard=beard,
        wrinkles=float(rng.uniform(0.0, 0.15) if face.young else rng.uniform(0.6, 1.0)),
        open_smile=bool(rng.random() < 0.8),
        sunglasses=bool(rng.random() < 0.15),
        frame=_jitter(rng, [(20, 20, 20), (40, 60, 90), (150, 150, 150)][rng.integers(3)], 8),
        earrings=bool(not face.male and rng.random() < 0.3),
        clothes=rng.uniform(20, 230, 3),
        yaw=float(rng.normal(0, 0.05)),
        angle=float(np.clip(rng.normal(0, 5), -12, 12)),
        shift=(float(rng.normal(0, 0.03)), float(rng.normal(0, 0.015))),
        scale=float(rng.uniform(0.92, 1.08)),
    )


# --------------------------------------------------------------------------------------
# The painter: shapes in face units, drawn with sub-pixel accuracy.
# --------------------------------------------------------------------------------------


def _c(colour: np.ndarray | Colour, factor: float = 1.0) -> Colour:
    b, g, r = (min(255.0, max(0.0, float(v) * factor)) for v in colour)
    return (b, g, r)


def _arc(
    cx: float, cy: float, rx: float, ry: float, start: float = 0, end: float = 360, n: int = 40
) -> np.ndarray:
    """Points on an ellipse from ``start`` to ``end`` degrees (0 = right, 90 = down)."""
    t = np.radians(np.linspace(start, end, n))
    return np.column_stack([cx + rx * np.cos(t), cy + ry * np.sin(t)])


def _curve(x0: float, x1: float, y: float, bend: float, n: int = 16) -> np.ndarray:
    """A parabola from ``(x0, y)`` to ``(x1, y)`` whose middle is ``bend`` lower."""
    t = np.linspace(-1, 1, n)
    return np.column_stack([(x0 + x1) / 2 + t * (x1 - x0) / 2, y + bend * (1 - t**2)])


class _Painter:
    """Draws on a BGR image in face units: the face's centre is (0, 0), y points down and
    one unit is half the face's width. ``matrix`` (2x3) maps units to pixels."""

    SHIFT = 4  # sub-pixel bits for cv2

    def __init__(self, image: np.ndarray, matrix: np.ndarray, rng: np.random.Generator) -> None:
        self.image = image
        self.matrix = matrix
        self.rng = rng
        self.unit = float(np.hypot(matrix[0, 0], matrix[1, 0]))

    def px(self, pts: np.ndarray) -> np.ndarray:
        pts = np.asarray(pts, float).reshape(-1, 2)
        xy = pts @ self.matrix[:, :2].T + self.matrix[:, 2]
        return np.round(xy * (1 << self.SHIFT)).astype(np.int32)

    def fill(self, pts: np.ndarray, colour: Colour) -> None:
        cv2.fillPoly(self.image, [self.px(pts)], colour, cv2.LINE_AA, self.SHIFT)

    def line(self, pts: np.ndarray, colour: Colour, width: float, closed: bool = False) -> None:
        thickness = max(1, round(width * self.unit))
        cv2.polylines(
            self.image, [self.px(pts)], closed, colour, thickness, cv2.LINE_AA, self.SHIFT
        )

    def disc(self, x: float, y: float, radius: float, colour: Colour) -> None:
        (cx, cy), scale = self.px(np.array([x, y]))[0], 1 << self.SHIFT
        r = max(1, round(radius * self.unit * scale))
        cv2.circle(self.image, (int(cx), int(cy)), r, colour, -1, cv2.LINE_AA, self.SHIFT)

    @contextmanager
    def translucent(self, alpha: float) -> Iterator[None]:
        """Whatever is drawn inside shows at ``alpha`` over what was there before."""
        before = self.image.copy()
        yield
        cv2.addWeighted(self.image, alpha, before, 1 - alpha, 0, dst=self.image)

    def hair(self, shapes: list[np.ndarray], colour: np.ndarray, alpha: float = 1.0) -> None:
        """Fill shapes with a hair texture: the colour with lighter and darker strands."""
        polygons = [self.px(shape) for shape in shapes]
        corner = np.vstack(polygons).min(axis=0) >> self.SHIFT
        x, y = (max(0, int(v) - 1) for v in corner)
        far = np.vstack(polygons).max(axis=0) >> self.SHIFT
        w = min(self.image.shape[1], int(far[0]) + 2) - x
        h = min(self.image.shape[0], int(far[1]) + 2) - y
        if w <= 0 or h <= 0:
            return
        mask = np.zeros((h, w), np.uint8)
        offset = np.array([x, y], np.int32) << self.SHIFT
        for polygon in polygons:  # one at a time: fillPoly leaves the overlap of two empty
            cv2.fillPoly(mask, [polygon - offset], 255, cv2.LINE_AA, self.SHIFT)
        texture = np.empty((h, w, 3), np.uint8)
        texture[:] = _c(colour)
        n = int(0.004 * w * h) + 3
        starts = self.rng.uniform(0, 1, (n, 2)) * (w, h)
        angles = self.rng.normal(np.pi / 2, 0.5, n)
        lengths = self.rng.uniform(0.15, 0.5, n) * self.unit
        ends = starts + lengths[:, None] * np.column_stack([np.cos(angles), np.sin(angles)])
        strands = np.round(np.stack([starts, ends], axis=1) * (1 << self.SHIFT)).astype(np.int32)
        shade = self.rng.integers(0, 4, n)
        width = max(1, round(0.02 * self.unit))
        for k, factor in enumerate((0.8, 0.9, 1.1, 1.2)):
            lines = list(strands[shade == k])
            if lines:
                cv2.polylines(
                    texture, lines, False, _c(colour, factor), width, cv2.LINE_AA, self.SHIFT
                )
        region = self.image[y : y + h, x : x + w]
        weight = mask.astype(np.float32) * np.float32(alpha / 255)
        region[:] = cv2.blendLinear(texture, region, weight, 1 - weight)


# --------------------------------------------------------------------------------------
# The parts of a face, one function each, in drawing order.
# --------------------------------------------------------------------------------------


def _background(image: np.ndarray, rng: np.random.Generator) -> None:
    """A flat or graded colour with out-of-focus clutter: CelebA's varied backdrops."""
    # Drawn at a quarter of the size and enlarged: out of focus, and quick.
    h, w = max(8, image.shape[0] // 4), max(8, image.shape[1] // 4)
    top, bottom = rng.uniform(20, 235, 3), rng.uniform(20, 235, 3)
    ramp = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    small = (top * (1 - ramp) + bottom * ramp).astype(np.uint8) * np.ones((1, w, 1), np.uint8)
    for _ in range(int(rng.integers(2, 8))):
        colour = _c(rng.uniform(0, 255, 3))
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        size = int(rng.integers(w // 12, w // 2))
        kind = rng.integers(3)
        if kind == 0:
            corner = (x + size, y + int(rng.integers(size // 3, 2 * size)))
            cv2.rectangle(small, (x, y), corner, colour, -1)
        elif kind == 1:
            cv2.circle(small, (x, y), max(1, size // 2), colour, -1, cv2.LINE_AA)
        else:
            end = (x + int(rng.integers(-size, size)), y + int(rng.integers(-size, size)))
            cv2.line(small, (x, y), end, colour, max(1, size // 8), cv2.LINE_AA)
    blurred = cv2.GaussianBlur(small, (0, 0), float(rng.uniform(0.3, 0.8)))
    cv2.resize(blurred, image.shape[1::-1], dst=image, interpolation=cv2.INTER_LINEAR)


def _back_hair(p: _Painter, face: FaceAttributes, style: _Style) -> None:
    """Long hair and bobs hang behind the head, down to the shoulders or the chin."""
    if face.hair in ("bald", "hat") or style.hair_length == "short":
        return
    bottom = 2.4 if style.hair_length == "long" else 1.0
    bottom += float(p.rng.uniform(-0.3, 0.3))
    side = 1.32 if style.hair_length == "long" else 1.22
    top = _arc(0, -0.1, 1.2, 1.55, 180, 360)
    edge = _curve(side, -side, bottom, 0.12) + p.rng.normal(0, 0.03, (16, 2))
    shape = np.vstack([top, [[side + 0.05, 0.4]], edge, [[-side - 0.05, 0.4]]])
    p.hair([shape], style.hair * 0.85)


def _body(p: _Painter, face: FaceAttributes, style: _Style) -> None:
    """Neck and shoulders: a man's are broader."""
    neck = 0.5 if face.male else 0.42
    p.fill(
        np.array([[-neck, 0.5], [neck, 0.5], [neck * 1.1, 2.3], [-neck * 1.1, 2.3]]),
        _c(style.skin, 0.85),
    )
    wide = 3.0 if face.male else 2.6
    dip = 0.25 if face.male else float(p.rng.uniform(0.25, 0.6))
    collar = _curve(neck + 0.15, -neck - 0.15, 1.8, dip)
    # The collar runs right to left; reversed, the outline goes round without crossing.
    shoulders = np.vstack(
        [
            [[-wide, 4.0], [-wide + 0.3, 2.2], [-1.4, 1.85]],
            collar[::-1],
            [[1.4, 1.85], [wide - 0.3, 2.2], [wide, 4.0]],
        ]
    )
    p.fill(shoulders, _c(style.clothes))


def _ears(p: _Painter, style: _Style) -> None:
    for side in (-1, 1):
        x = side * (0.98 - 0.5 * side * style.yaw)
        p.fill(_arc(x, 0.02, 0.15, 0.27), _c(style.skin, 0.92))
        inner = (
            _arc(x, 0.02, 0.08, 0.17, -60, 60) if side > 0 else _arc(x, 0.02, 0.08, 0.17, 120, 240)
        )
        p.line(inner, _c(style.skin, 0.7), 0.03)


def _head_outline(style: _Style, face: FaceAttributes) -> np.ndarray:
    """A superellipse: round above, square (male) or pointed (female) below."""
    t = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    c, s = np.cos(t), np.sin(t)
    n = np.where(s > 0, style.jaw, 2.0)
    x = np.sign(c) * np.abs(c) ** (2 / n)
    y = np.sign(s) * np.abs(s) ** (2 / n)
    # The chin is narrower than the cheekbones, more so on women.
    taper = np.where(s > 0, 1 - (0.1 if face.male else 0.18) * s**2, 1.0)
    return np.column_stack([x * taper, y * np.where(s > 0, style.face_height, 1.4)])


def _head(p: _Painter, face: FaceAttributes, style: _Style) -> np.ndarray:
    outline = _head_outline(style, face)
    p.fill(outline, _c(style.skin))
    # Shade the cheeks' edges so the face reads as round, not as a flat disc.
    with p.translucent(0.35):
        p.line(outline * 0.96, _c(style.skin, 0.8), 0.08, closed=True)
    return outline


def _wrinkles(p: _Painter, face: FaceAttributes, style: _Style) -> None:
    """Forehead lines, crow's feet, bags, folds from nose to mouth: the signs of age."""
    if style.wrinkles < 0.05:
        return
    colour = _c(style.skin, 1 - 0.35 * style.wrinkles)
    width = 0.025 + 0.015 * style.wrinkles
    dx = style.yaw
    with p.translucent(min(1.0, 0.4 + 0.6 * style.wrinkles)):
        if not face.bangs and face.hair != "hat":
            faint = _c(style.skin, 1 - 0.25 * style.wrinkles)
            for k in range(1 + round(1.5 * style.wrinkles)):
                y = -0.53 - 0.1 * k
                bend = -0.03 + p.rng.normal(0, 0.01)
                p.line(_curve(-0.42 + dx, 0.42 + dx, y, bend), faint, width * 0.8)
        for side in (-1, 1):
            ex = side * 0.4 + dx
            for k in (-1, 0, 1):  # crow's feet fan out from the outer corner
                a = np.radians(k * 22)
                start = np.array([ex + side * 0.26, -0.2 + 0.04 * k])
                p.line(
                    np.array([start, start + 0.14 * np.array([side * np.cos(a), np.sin(a)])]),
                    colour,
                    width * 0.8,
                )
            p.line(_curve(ex - 0.16, ex + 0.16, -0.09, 0.06), colour, width)  # bags
            p.line(
                np.array(
                    [[side * 0.17 + dx, 0.25], [side * 0.3 + dx, 0.5], [side * 0.36 + dx, 0.72]]
                ),
                colour,
                width,
            )
            p.line(np.array([[side * 0.36 + dx, 0.76], [side * 0.38 + dx, 0.95]]), colour, width)


def _beard(p: _Painter, face: FaceAttributes, style: _Style, outline: np.ndarray) -> None:
    """Stubble (a translucent shadow) or a full beard over the jaw, with a moustache."""
    if style.beard == "none":
        return
    lower = outline[(outline[:, 1] > 0.15)]
    lower = lower[np.argsort(np.arctan2(lower[:, 1], lower[:, 0]))]
    dx = style.yaw
    top = np.array(
        [
            [-0.9, 0.2],
            [-0.45, 0.42],
            [-0.3, 0.5],
            [-0.05 + dx, 0.47],
            [0.05 + dx, 0.47],
            [0.3, 0.5],
            [0.45, 0.42],
            [0.9, 0.2],
        ]
    )
    shape = np.vstack([lower[::-1], top[::-1]])
    colour = style.hair if face.hair not in ("bald", "hat") else style.brow
    p.hair([shape], colour * 0.9, alpha=0.35 if style.beard == "stubble" else 0.9)


def _nose(p: _Painter, style: _Style) -> None:
    dx = style.yaw * 1.3
    shade = _c(style.skin, 0.72)
    p.line(np.array([[0.1 + dx, -0.12], [0.13 + dx, 0.2], [0.08 + dx, 0.3]]), shade, 0.03)
    for side in (-1, 1):
        p.line(
            _arc(
                side * 0.1 + dx,
                0.31,
                0.07,
                0.045,
                200 if side < 0 else -40,
                380 if side < 0 else 140,
                10,
            ),
            shade,
            0.03,
        )
    p.line(_curve(-0.06 + dx, 0.06 + dx, 0.35, 0.02, 6), shade, 0.025)


def _eyes(p: _Painter, face: FaceAttributes, style: _Style) -> None:
    open_ = 0.075 if face.smiling else 0.095  # smiling narrows the eyes
    for side in (-1, 1):
        ex = side * 0.4 + style.yaw
        p.fill(_arc(ex, -0.2, 0.19, open_), (225, 230, 235))
        gaze = float(p.rng.normal(0, 0.02))
        p.disc(ex + gaze, -0.2, 0.075, _c(style.eye_colour))
        p.disc(ex + gaze, -0.2, 0.035, (15, 15, 15))
        p.disc(ex + gaze + 0.025, -0.225, 0.015, (245, 245, 245))
        lid = _arc(ex, -0.2, 0.2, open_ * 1.1, 180, 360, 16)
        p.line(lid, (30, 30, 40), 0.05 if not face.male else 0.035)
        lower = _arc(ex, -0.2, 0.19, open_, 10, 170, 12)
        if face.smiling:  # cheeks push the lower lid up
            lower[:, 1] -= 0.02
        p.line(lower, _c(style.skin, 0.6), 0.02)
        thick = 0.085 if face.male else 0.055
        arch = -0.05 if face.male else -0.08
        brow = _curve(ex - 0.22, ex + 0.22, -0.4 + (0.03 if face.male else 0.0), arch, 10)
        p.line(brow, _c(style.brow), thick)


def _mouth(p: _Painter, face: FaceAttributes, style: _Style) -> None:
    dx = style.yaw * 1.2
    y = 0.66
    if face.smiling:
        half = 0.36
        upper = _curve(-half + dx, half + dx, y - 0.06, 0.06)
        lower = _curve(half + dx, -half + dx, y - 0.06, 0.22 if style.open_smile else 0.1)
        p.fill(np.vstack([upper, lower]), _c(style.lips))
        if style.open_smile:
            inner_top = _curve(-half * 0.85 + dx, half * 0.85 + dx, y - 0.04, 0.06)
            inner_bottom = _curve(half * 0.85 + dx, -half * 0.85 + dx, y - 0.04, 0.17)
            p.fill(np.vstack([inner_top, inner_bottom]), (50, 35, 70))
            teeth_bottom = _curve(half * 0.8 + dx, -half * 0.8 + dx, y - 0.02, 0.1)
            p.fill(np.vstack([inner_top, teeth_bottom]), (235, 240, 242))
        else:
            p.line(_curve(-half + dx, half + dx, y - 0.04, 0.09), (50, 35, 70), 0.03)
        # Smile lines from the nose to the raised corners.
        with p.translucent(0.5):
            for side in (-1, 1):
                p.line(
                    _arc(
                        side * 0.3 + dx,
                        0.48,
                        0.12,
                        0.16,
                        -70 if side > 0 else 110,
                        40 if side > 0 else 220,
                        10,
                    ),
                    _c(style.skin, 0.7),
                    0.025,
                )
    else:
        half = float(p.rng.uniform(0.24, 0.3))
        droop = 0.0 if face.young else 0.03  # older mouths turn down at the corners
        lip = 0.05 if face.young else 0.035
        upper = _curve(-half + dx, half + dx, y + droop, -droop - lip)
        lower = _curve(half + dx, -half + dx, y + droop, -droop + lip * 1.5)
        p.fill(np.vstack([upper, lower]), _c(style.lips))
        p.line(_curve(-half + dx, half + dx, y + droop, -droop), _c(style.lips, 0.55), 0.025)


def _front_hair(p: _Painter, face: FaceAttributes, style: _Style) -> None:
    """The hair over the top of the head, the bangs, a bald head's fringe or a hat."""
    if face.hair == "hat":
        colour = p.rng.uniform(20, 230, 3)
        p.fill(
            np.vstack([_arc(0, -0.52, 1.18, 1.05, 180, 360), [[1.18, -0.52], [-1.18, -0.52]]]),
            _c(colour),
        )
        p.fill(
            np.array([[-1.22, -0.72], [1.22, -0.72], [1.2, -0.46], [-1.2, -0.46]]), _c(colour, 0.7)
        )
        return
    if face.hair == "bald":
        with p.translucent(0.35):  # a shine on the scalp
            p.fill(_arc(0.15, -0.95, 0.35, 0.18), _c(style.skin, 1.25))
        for side in (-1, 1):
            fringe = np.array(
                [
                    [side * 1.0, -0.55],
                    [side * 1.08, -0.3],
                    [side * 1.03, 0.05],
                    [side * 0.93, 0.0],
                    [side * 0.95, -0.45],
                ]
            )
            p.hair([fringe], style.hair)
        return
    line = style.hairline
    top = 1.52 if style.hair_length == "short" else 1.58
    outer = _arc(0, -0.08, 1.1, top, 180, 360, 30)
    side_bottom = 0.12 if face.male else -0.05
    hairline = np.array(
        [
            [1.06, side_bottom],
            [0.97, -0.2],
            [0.82, line + 0.2],
            [0.45 + style.parting, line - 0.02],
            [style.parting, line],
            [-0.45 + style.parting, line + 0.02],
            [-0.82, line + 0.2],
            [-0.97, -0.2],
            [-1.06, side_bottom],
        ]
    )
    shapes = [np.vstack([outer, hairline])]
    if face.bangs:
        xs = np.linspace(0.93, -0.93, 15)
        edge = (
            style.fringe + style.fringe_slant * xs + np.where(np.arange(15) % 2 == 0, 0.04, -0.02)
        )
        edge += 0.12 * (xs / 0.93) ** 4  # the fringe follows the head round at the sides
        shapes.append(
            np.vstack(
                [
                    [[-0.98, -0.5], [-0.8, -1.35], [0.8, -1.35], [0.98, -0.5]],
                    np.column_stack([xs, edge]),
                ]
            )
        )
    if style.hair_length != "short":  # locks framing the face
        for side in (-1, 1):
            shapes.append(
                np.array(
                    [
                        [side * 1.1, -0.6],
                        [side * 1.16, 0.6],
                        [side * 1.08, 1.1],
                        [side * 0.93, 0.55],
                        [side * 0.9, -0.45],
                    ]
                )
            )
    p.hair(shapes, style.hair)


def _glasses(p: _Painter, style: _Style) -> None:
    """Two rings, a bridge and the arms to the ears; sometimes dark lenses."""
    frame = _c(style.frame)
    for side in (-1, 1):
        ex = side * 0.4 + style.yaw
        ring = _arc(ex, -0.19, 0.29, 0.2, 0, 360, 32)
        with p.translucent(0.85 if style.sunglasses else 0.18):
            p.fill(ring, (30, 30, 30) if style.sunglasses else (200, 190, 170))
        p.line(ring, frame, 0.07, closed=True)
        p.line(np.array([[side * 0.69 + style.yaw, -0.22], [side * 0.99, -0.16]]), frame, 0.06)
    p.line(_curve(-0.12 + style.yaw, 0.12 + style.yaw, -0.2, -0.05, 8), frame, 0.06)


def _earrings(p: _Painter, style: _Style) -> None:
    for side in (-1, 1):
        p.disc(side * (0.98 - 0.5 * side * style.yaw), 0.32, 0.05, (60, 190, 220))


def _face_matrix(style: _Style, size: tuple[int, int]) -> np.ndarray:
    """Face units to pixels: CelebA's alignment (eyes about 52 % down) plus pose."""
    width, height = size
    unit = 0.25 * min(width, height * 178 / 218) * style.scale
    cx = width * (0.5 + style.shift[0])
    cy = height * (0.555 + style.shift[1])
    a = np.radians(style.angle)
    lin = unit * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return np.column_stack([lin, [cx, cy]])


def _finish(image: np.ndarray, rng: np.random.Generator, quality: int) -> bytes:
    """Light falling from one side, sensor noise, a little blur, then JPEG."""
    h, w = image.shape[:2]
    gx = np.linspace(-1, 1, w, dtype=np.float32)[None, :] * np.float32(rng.normal(0, 0.18))
    gy = np.linspace(-1, 1, h, dtype=np.float32)[:, None] * np.float32(rng.normal(0, 0.08))
    light = np.float32(rng.uniform(0.8, 1.12)) * (1 + gx + gy)
    # Grain at half resolution, enlarged: coarse like a compressed photo's, and half the cost.
    coarse = rng.standard_normal(((h + 1) // 2, (w + 1) // 2), dtype=np.float32)
    grain = cv2.resize(coarse * np.float32(rng.uniform(1.5, 5.0)), (w, h))  # bilinear
    blurred = cv2.GaussianBlur(image, (0, 0), float(rng.uniform(0.3, 0.7)) * w / 178)
    lit = cv2.multiply(blurred, cv2.merge([light, light, light]), dtype=cv2.CV_32F)
    out = cv2.add(lit, cv2.merge([grain, grain, grain]), dtype=cv2.CV_8U)  # saturates
    ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - cv2 encodes any uint8 image
        raise BenchError("could not encode a synthetic face as JPEG")
    return buf.tobytes()


def render_face(
    face: FaceAttributes,
    rng: np.random.Generator,
    size: tuple[int, int] = (178, 218),
    quality: int = 90,
) -> bytes:
    """Draw one face with these attributes and return it as JPEG bytes.

    Parameters
    ----------
    face : FaceAttributes
        What the picture must show.
    rng : numpy.random.Generator
        Source of everything else (style, pose, background, noise); the same state gives
        the same bytes.
    size : (width, height)
        Picture size in pixels.
    quality : int
        JPEG quality, 1..100.
    """
    style = _sample_style(rng, face)
    image = np.empty((size[1], size[0], 3), np.uint8)
    _background(image, rng)
    p = _Painter(image, _face_matrix(style, size), rng)
    _back_hair(p, face, style)
    _body(p, face, style)
    _ears(p, style)
    outline = _head(p, face, style)
    _wrinkles(p, face, style)
    _beard(p, face, style, outline)
    _nose(p, style)
    _eyes(p, face, style)
    _mouth(p, face, style)
    _front_hair(p, face, style)
    if face.eyeglasses:
        _glasses(p, style)
    if style.earrings:
        _earrings(p, style)
    return _finish(image, rng, quality)


# --------------------------------------------------------------------------------------
# Public entry point.
# --------------------------------------------------------------------------------------


def _prepare_folder(folder: Path, overwrite: bool) -> Path:
    if folder.exists() and not folder.is_dir():
        raise BenchError(f"folder {folder} exists and is not a directory")
    if folder.exists() and any(folder.iterdir()):
        if not overwrite:
            raise BenchError(
                f"folder {folder} is not empty; choose an empty folder or pass overwrite=True"
            )
        # Only what a generator writes goes; anything else in the folder stays.
        images = folder / IMAGE_FOLDER
        if images.is_dir():
            for path in images.iterdir():
                if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
                    path.unlink()
        for name in (ATTRIBUTE_FILE, PARTITION_FILE):
            (folder / name).unlink(missing_ok=True)
    (folder / IMAGE_FOLDER).mkdir(parents=True, exist_ok=True)
    return folder / IMAGE_FOLDER


def generate_faces(
    folder: str | Path,
    seed: int = 0,
    n_images: int = 2000,
    image_size: tuple[int, int] = (178, 218),
    progress: bool = False,
    *,
    jpeg_quality: int = 90,
    overwrite: bool = False,
) -> Path:
    """Write a synthetic CelebA-style folder of faces with the paper's ten attributes.

    Parameters
    ----------
    folder : str or Path
        Target folder; created if missing. It must be empty unless ``overwrite`` is true.
    seed : int, optional
        Non-negative seed. The same seed gives byte-identical files; image ``i`` depends
        only on the seed and ``i``, not on ``n_images``.
    n_images : int, optional
        Number of faces, named ``000001.jpg`` onwards.
    image_size : tuple of int, optional
        ``(width, height)`` in pixels; CelebA's aligned images are 178x218.
    progress : bool, optional
        Show a tqdm progress bar.
    jpeg_quality : int, optional
        JPEG quality, 1..100.
    overwrite : bool, optional
        Write into a non-empty folder, first deleting the images in ``img_align_celeba/``
        and the two label files; other files are left alone.

    Returns
    -------
    Path
        ``folder``, ready for :func:`bench.data.faces.load_faces`.

    Raises
    ------
    BenchError
        For a bad argument (the message names it) or a non-empty folder.
    """
    seed = check_seed(seed)
    size = check_image_size(image_size)
    if isinstance(n_images, bool) or not isinstance(n_images, int | np.integer) or n_images < 1:
        raise BenchError(f"n_images must be a positive integer, got {n_images!r}")
    jpeg_quality = check_jpeg_quality(jpeg_quality)
    folder = Path(folder)
    image_dir = _prepare_folder(folder, overwrite)

    def make(index: int) -> tuple[FaceAttributes, bytes]:
        # One stream per image, so the pictures do not depend on the threads' timing.
        rng = np.random.default_rng([seed, index])
        face = sample_attributes(rng)
        return face, render_face(face, rng, size, jpeg_quality)

    names = [f"{i + 1:06d}.jpg" for i in range(int(n_images))]
    rows = []
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        results = pool.map(make, range(len(names)))
        if progress:
            from tqdm.auto import tqdm

            results = tqdm(results, total=len(names), desc="synthetic faces", unit="img")
        for name, (face, data) in zip(names, results, strict=True):
            (image_dir / name).write_bytes(data)
            rows.append({"file": name, **face.labels()})
    write_attributes(folder / ATTRIBUTE_FILE, pd.DataFrame(rows))
    write_partitions(
        folder / PARTITION_FILE, dict(zip(names, default_partitions(len(names)), strict=True))
    )
    mark_synthetic(folder, "CelebA", seed)
    return folder
