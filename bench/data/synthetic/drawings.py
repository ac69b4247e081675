"""Synthetic stand-in for the Stirling collection of children's drawings of people.

The real collection (338 scanned drawings, http://pics.psych.stir.ac.uk) cannot be
redistributed, so the benchmark's default data is written by :func:`generate_drawings`:
a folder of JPEG "scans" named with the Stirling scheme (``p3-67w-6.7f.jpeg``), in which
the drawing depends on the child's age, who is drawn (for a self-portrait, the author's
sex, as the paper decodes the subject code ``s``), the author's sex and a per-child style.
Age is learnable from the pictures only approximately, as in the real data: children of
the same age differ in skill and neighbouring school years overlap.

See ``docs/synthetic-drawings.md`` for the age table and the drawing stages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from bench.data.provenance import mark_synthetic
from bench.data.stirling import (
    AGE_CATEGORIES,
    IMAGE_SUFFIXES,
    SUBJECTS,
    DrawingLabels,
    format_filename,
)
from bench.data.synthetic.checks import check_image_size, check_jpeg_quality, check_seed
from bench.errors import BenchError

__all__ = [
    "AGE_CATEGORY_MONTHS",
    "LATENTS_FILE",
    "ChildRecord",
    "generate_drawings",
    "plan_collection",
]

# Written beside the images: each drawing's latent parameters, one row per file.
LATENTS_FILE = "latents.csv"


def _primary_range(year: int) -> tuple[int, int]:
    # Scottish children start P1 between about 4y6m and 5y6m and the drawings were made
    # through the school year, so year N spans (N+3)y6m .. (N+5)y5m: a year's overlap
    # with each neighbour, thinly populated at the edges.
    return (year + 3) * 12 + 6, (year + 5) * 12 + 5


AGE_CATEGORY_MONTHS: dict[str, tuple[int, int]] = {
    "nu": (36, 59),
    **{f"p{n}": _primary_range(n) for n in range(1, 8)},
}
"""Inclusive range of ages, in months, that each age category may hold."""

# Subject codes in a fixed order: seeds and draws index into it.
_SUBJECT_CODES = tuple(SUBJECTS)
# How many drawings a child makes (1, 2 or 3): most children drew all three.
_DRAWINGS_PER_CHILD_P = (0.08, 0.14, 0.78)


@dataclass(frozen=True)
class ChildRecord:
    """One synthetic child and the pictures they drew.

    Attributes
    ----------
    child_id : int
        Unique across the collection.
    category : str
        Age category, one of :data:`AGE_CATEGORIES`.
    age_months : int
        Age in months; inside ``AGE_CATEGORY_MONTHS[category]``.
    sex : str
        ``"f"`` (girl) or ``"m"`` (boy).
    subjects : tuple of str
        Distinct subject codes drawn, a non-empty subset of :data:`SUBJECTS`: a man, a
        woman, or the child themself (a person of the child's sex).
    """

    child_id: int
    category: str
    age_months: int
    sex: str
    subjects: tuple[str, ...]

    def labels(self, subject: str) -> DrawingLabels:
        """The labels of this child's drawing of ``subject``, as its file name carries them."""
        return DrawingLabels(self.category, self.child_id, subject, self.age_months, self.sex)

    def file_name(self, subject: str) -> str:
        """The Stirling-style file name of this child's drawing of ``subject``."""
        return format_filename(self.labels(subject))


# --------------------------------------------------------------------------------------
# Planning the collection: who draws what.
# --------------------------------------------------------------------------------------


def plan_collection(seed: int = 0, n_drawings: int = 338) -> list[ChildRecord]:
    """Decide the children of a synthetic collection, without drawing anything.

    Parameters
    ----------
    seed : int, optional
        Non-negative seed; the same seed gives the same plan.
    n_drawings : int, optional
        Total number of drawings; the children's subjects add up to exactly this.

    Returns
    -------
    list of ChildRecord
        The children, in the order their drawings are made.
    """
    seed = check_seed(seed)
    if isinstance(n_drawings, bool) or not isinstance(n_drawings, int | np.integer):
        raise BenchError(f"n_drawings must be an integer, got {n_drawings!r}")
    if n_drawings < 1:
        raise BenchError(f"n_drawings must be >= 1, got {n_drawings}")
    rng = np.random.default_rng([seed, 0])

    counts: list[int] = []
    while sum(counts) < n_drawings:
        counts.append(int(rng.choice(3, p=_DRAWINGS_PER_CHILD_P)) + 1)
    counts[-1] -= sum(counts) - n_drawings

    n_children = len(counts)
    # Ids are sparse, as in a collection where some children's drawings are missing.
    ids = rng.choice(np.arange(1, 2 * n_children + 11), size=n_children, replace=False)
    # Classes of about equal size, as a school sample with a quota per year would give.
    categories = rng.permutation(np.resize(np.arange(len(AGE_CATEGORIES)), n_children))
    children = []
    for count, child_id, cat_index in zip(counts, ids, categories, strict=True):
        category = AGE_CATEGORIES[int(cat_index)]
        lo, hi = AGE_CATEGORY_MONTHS[category]
        # Most children are near the middle of their year; the overlapping edges are rarer.
        age = int(np.clip(round(rng.triangular(lo - 0.49, (lo + hi) / 2, hi + 0.49)), lo, hi))
        sex = "f" if rng.random() < 0.5 else "m"
        picked = sorted(rng.choice(3, size=count, replace=False).tolist())
        subjects = tuple(_SUBJECT_CODES[i] for i in picked)
        children.append(ChildRecord(int(child_id), category, age, sex, subjects))
    return children


# --------------------------------------------------------------------------------------
# Per-child style and per-drawing figure plan.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Style:
    """What stays the same in all the drawings of one child."""

    skill: float  # years ahead of (or behind) the typical child of that age
    line_px: int  # pencil (1-3 px) or crayon / felt-tip (4-7 px) at 600x800
    pressure: float  # darkness of the strokes, 0..1
    scale: float  # figure height as a fraction of the page height
    center_x: float  # figure centre, fraction of the page width
    top: float  # top of the figure, fraction of the spare height above and below
    slant: float  # degrees
    shaky: float  # multiplies the line wobble
    head_factor: float  # >1: big heads
    no_neck: bool
    colouring: float  # probability of colouring-in clothes / hair
    arm_pose: str  # "out", "down" or "up"
    hair_bias: int  # index into the child's favourite hair style
    smile_curve: float  # how much the mouth bends (negative: a flat or sad mouth)
    extras: float  # probability of a ground line or a sun


def _child_style(rng: np.random.Generator, child: ChildRecord) -> _Style:
    skill = float(rng.normal(0.0, 0.75))
    level = child.age_months / 12 - 3.0 + skill  # the child's usual stage score
    # 1 for a beginner, 0 from about seven years of age on: beginners use crayons more,
    # place and size their figures erratically and slant them.
    young = float(np.clip((4.5 - level) / 4.0, 0.0, 1.0))
    girl = child.sex == "f"
    crayon = rng.random() < 0.15 + 0.5 * young
    line_px = int(rng.integers(4, 8)) if crayon else int(rng.integers(1, 4))
    return _Style(
        skill=skill,
        line_px=line_px,
        pressure=float(rng.uniform(0.45, 0.95)),
        scale=float(np.clip(rng.normal(0.45 + 0.045 * level, 0.05 + 0.07 * young), 0.25, 0.9)),
        center_x=float(np.clip(rng.normal(0.5, 0.02 + 0.1 * young), 0.25, 0.75)),
        top=float(np.clip(rng.normal(0.5, 0.1 + 0.25 * young), 0.05, 0.95)),
        slant=float(rng.normal(0.0, 2.0 + 6.0 * young)),
        shaky=float(rng.lognormal(0.0, 0.3)),
        head_factor=float(1.3 if rng.random() < 0.15 else rng.normal(1.0, 0.08)),
        no_neck=bool(rng.random() < 0.25),
        colouring=float(rng.beta(2.0, 2.0) * (1.25 if girl else 1.0)),
        # Boys draw figures in action (arms up) a little more often; girls smile more.
        arm_pose=str(
            rng.choice(["out", "down", "up"], p=[0.55, 0.35, 0.10] if girl else [0.5, 0.35, 0.15])
        ),
        hair_bias=int(rng.integers(0, 4)),
        smile_curve=float(rng.normal(0.6 if girl else 0.4, 0.3)),
        extras=float(rng.beta(1.0, 6.0)),
    )


def _stage_score(child: ChildRecord, style: _Style, rng: np.random.Generator) -> float:
    """Developmental level in 'years of drawing experience': about 0 at 3 years old."""
    return child.age_months / 12 - 3.0 + style.skill + float(rng.normal(0.0, 0.3))


def _prob(s: float, start: float, full: float) -> float:
    """A probability that rises linearly from 0 at stage ``start`` to 1 at ``full``."""
    return float(np.clip((s - start) / (full - start), 0.0, 1.0))


# --------------------------------------------------------------------------------------
# The pen: strokes in figure units, drawn with wobble on an ink layer.
# --------------------------------------------------------------------------------------


class _Pen:
    """Draws jittered strokes onto an ink layer (0 = paper, 255 = full ink).

    Figure units: the figure's head top is at ``y = 0`` and the feet at ``y = 1``;
    ``x = 0`` is the body's axis. ``matrix`` maps them to pixels.
    """

    _SHIFT = 4  # sub-pixel bits for cv2

    def __init__(
        self,
        shape: tuple[int, int],
        matrix: np.ndarray,
        rng: np.random.Generator,
        width: int,
        value: int,
        wobble: float,
        sketchy: float = 0.0,
    ) -> None:
        self.sketchy = sketchy  # probability of going over a stroke a second time
        self.ink = np.zeros(shape, np.uint8)
        self.fill_layer = np.zeros(shape, np.uint8)
        self.matrix = matrix
        self.rng = rng
        self.width = width
        self.value = value
        self.wobble = wobble  # in figure units
        self.unit_px = float(math.hypot(matrix[0, 0], matrix[1, 0]))

    def to_px(self, pts: np.ndarray) -> np.ndarray:
        return pts @ self.matrix[:, :2].T + self.matrix[:, 2]

    def _jitter(self, px: np.ndarray, amount: float) -> np.ndarray:
        # Resample to ~6 px steps and add a smooth, low-frequency displacement: a hand
        # that drifts, not pixel noise.
        seg = np.linalg.norm(np.diff(px, axis=0), axis=1)
        length = float(seg.sum())
        if length < 1.0:
            return px
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        n = max(2, int(length / 6.0) + 1)
        t = np.linspace(0.0, length, n)
        out = np.column_stack([np.interp(t, cum, px[:, 0]), np.interp(t, cum, px[:, 1])])
        amp = amount * self.unit_px
        if amp <= 0:
            return out
        u = t / length
        for _ in range(2):
            freq = self.rng.uniform(0.5, 2.5) * max(1.0, length / (0.3 * self.unit_px + 1.0))
            phase = self.rng.uniform(0, 2 * np.pi, 2)
            out[:, 0] += amp * 0.6 * np.sin(2 * np.pi * freq * u + phase[0])
            out[:, 1] += amp * 0.6 * np.sin(2 * np.pi * freq * u + phase[1])
        return out

    def stroke(
        self,
        pts: list | np.ndarray,
        closed: bool = False,
        width: float | None = None,
        value: int | None = None,
        wobble: float | None = None,
    ) -> None:
        pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
        if closed:
            pts = np.vstack([pts, pts[:1]])
        base = self.to_px(pts)
        amount = self.wobble if wobble is None else wobble
        thickness = max(1, round(self.width if width is None else width))
        # Older children sketch: they go over an outline again, slightly off the first line.
        passes = 2 if self.sketchy > 0 and self.rng.random() < self.sketchy else 1
        for i in range(passes):
            px = self._jitter(base, amount if i == 0 else max(amount, 0.006))
            cv2.polylines(
                self.ink,
                [np.round(px * (1 << self._SHIFT)).astype(np.int32)],
                False,
                int(self.value if value is None else value),
                max(1, thickness - i),
                cv2.LINE_AA,
                self._SHIFT,
            )

    def ellipse_points(
        self, cx: float, cy: float, rx: float, ry: float, closure: float = 0.0, n: int = 40
    ) -> np.ndarray:
        """Points of a hand-drawn ellipse; ``closure`` > 0 overshoots, < 0 leaves a gap."""
        start = self.rng.uniform(0, 2 * np.pi)
        theta = start + np.linspace(0, 2 * np.pi * (1 + closure), n)
        harm = self.rng.normal(0, 0.04 + self.wobble * 2, 2)
        k = 1 + harm[0] * np.sin(2 * theta + self.rng.uniform(0, 6.3)) + harm[1] * np.sin(3 * theta)
        return np.column_stack([cx + rx * k * np.cos(theta), cy + ry * k * np.sin(theta)])

    def ellipse(
        self, cx: float, cy: float, rx: float, ry: float, closure: float | None = None
    ) -> None:
        if closure is None:
            closure = float(self.rng.normal(0.04, 0.04 + self.wobble * 4))
        self.stroke(self.ellipse_points(cx, cy, rx, ry, closure))

    def dot(self, x: float, y: float, radius_px: float | None = None) -> None:
        cx, cy = self.to_px(np.array([[x, y]], dtype=np.float64))[0]
        r = radius_px if radius_px is not None else max(2.0, self.width * 1.2)
        scale = 1 << self._SHIFT
        cv2.circle(
            self.ink,
            (round(cx * scale), round(cy * scale)),
            max(1, round(r * scale)),
            self.value,
            -1,
            cv2.LINE_AA,
            self._SHIFT,
        )

    def colour_in(self, pts: np.ndarray, value: int, solid: bool, tidy: float) -> None:
        """Colour a polygon: solid crayon or zig-zag hatching, spilling over when untidy."""
        px = self.to_px(np.asarray(pts, dtype=np.float64))
        h, w = self.fill_layer.shape
        x0, y0 = np.floor(px.min(axis=0)).astype(int) - 8
        x1, y1 = np.ceil(px.max(axis=0)).astype(int) + 8
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 - x0 < 3 or y1 - y0 < 3:
            return
        local = np.round(px - [x0, y0]).astype(np.int32)
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(mask, [local], 255, cv2.LINE_AA)
        if tidy < 0.7:
            spill = int(3 + (0.7 - tidy) * 12)
            mask = cv2.dilate(mask, np.ones((spill, spill), np.uint8))
        if solid:
            patch = (mask.astype(np.uint16) * value // 255).astype(np.uint8)
        else:
            patch = np.zeros_like(mask)
            spacing = self.rng.uniform(4.0, 9.0) * max(1.0, self.width / 2)
            angle = self.rng.uniform(-0.6, 0.6)
            diag = float(np.hypot(*mask.shape))
            rows = np.arange(-diag, diag, spacing)
            zig = np.empty((len(rows), 2))
            zig[:, 0] = np.where(np.arange(len(rows)) % 2 == 0, -diag, diag)
            zig[:, 1] = rows + self.rng.normal(0, spacing * 0.2, len(rows))
            rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
            centre = np.array([mask.shape[1] / 2, mask.shape[0] / 2])
            zig = zig @ rot.T + centre
            cv2.polylines(
                patch, [np.round(zig).astype(np.int32)], False, value, self.width, cv2.LINE_AA
            )
            np.minimum(patch, mask, out=patch)
        region = self.fill_layer[y0:y1, x0:x1]
        np.maximum(region, patch, out=region)


# --------------------------------------------------------------------------------------
# Figure parts.
# --------------------------------------------------------------------------------------


def _tube(pen: _Pen, path: np.ndarray, half_width: float) -> np.ndarray:
    """Draw a limb as two parallel outlines around ``path``; returns its outline polygon."""
    path = np.asarray(path, dtype=np.float64)
    d = np.gradient(path, axis=0)
    d /= np.linalg.norm(d, axis=1, keepdims=True) + 1e-9
    normal = np.column_stack([-d[:, 1], d[:, 0]]) * half_width
    left, right = path + normal, path - normal
    # Both ends stay open: the body covers one, the hand or foot the other.
    pen.stroke(left)
    pen.stroke(right)
    return np.vstack([left, right[::-1]])


def _hand(pen: _Pen, wrist: np.ndarray, direction: np.ndarray, size: float, s: float) -> None:
    direction = direction / (np.linalg.norm(direction) + 1e-9)
    rng = pen.rng
    if s < 3.5:
        if rng.random() < 0.5:
            # Radial "sun" fingers, often too many.
            n = int(rng.integers(3, 8))
            for a in np.linspace(-0.9, 0.9, n):
                rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
                pen.stroke([wrist, wrist + rot @ direction * size])
        return
    if s < 5.5 and rng.random() < 0.5:
        cx, cy = wrist + direction * size * 0.5
        pen.ellipse(cx, cy, size * 0.5, size * 0.45)
        return
    palm = wrist + direction * size * 0.4
    pen.ellipse(palm[0], palm[1], size * 0.38, size * 0.32)
    n = 5 if s > 5.5 or rng.random() < 0.4 else int(rng.integers(3, 7))
    for a in np.linspace(-0.8, 0.8, n):
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        tip = palm + rot @ direction * size * 0.95
        pen.stroke([palm + rot @ direction * size * 0.35, tip], width=max(1, pen.width - 1))


def _foot(pen: _Pen, ankle: np.ndarray, side: float, size: float, s: float, fill: int) -> None:
    if s < 2.2:
        return
    if s < 3.5:
        pen.stroke([ankle, ankle + [side * size, 0.0]])
        return
    centre = ankle + [side * size * 0.45, size * 0.1]
    if s < 6:
        pen.ellipse(centre[0], centre[1], size * 0.6, size * 0.28)
        return
    # A shoe: rounded toe and a flat, filled sole.
    shoe = np.array(
        [
            [-0.4, -0.25],
            [0.2, -0.3],
            [0.65, -0.1],
            [0.7, 0.2],
            [-0.45, 0.2],
        ]
    )
    shoe = shoe * [side * size, size] + centre
    pen.stroke(shoe, closed=True)
    pen.colour_in(shoe, fill, solid=True, tidy=1.0)


def _face(pen: _Pen, cx: float, cy: float, r: float, s: float, female: bool, style: _Style) -> None:
    rng = pen.rng
    eye_y = cy - r * rng.uniform(0.05, 0.25)
    eye_dx = r * rng.uniform(0.3, 0.45)
    dot_px = max(2.0, pen.width * 1.1, r * pen.unit_px * 0.07)
    detailed_eyes = rng.random() < _prob(s, 3.5, 6.5)
    for side in (-1, 1):
        ex = cx + side * eye_dx
        if detailed_eyes:
            pen.ellipse(ex, eye_y, r * 0.17, r * 0.11, closure=0.02)
            pen.dot(ex, eye_y, radius_px=dot_px * 0.9)
            if female and rng.random() < 0.6 * _prob(s, 4, 6):
                for a in np.linspace(-0.8, 0.8, 3):
                    base = np.array([ex + r * 0.17 * np.sin(a), eye_y - r * 0.11 * np.cos(a)])
                    pen.stroke([base, base + [r * 0.08 * np.sin(a), -r * 0.1]], width=1)
            if rng.random() < _prob(s, 5.5, 8):
                pen.stroke(
                    [[ex - r * 0.18, eye_y - r * 0.22], [ex + r * 0.18, eye_y - r * 0.25]], width=1
                )
        else:
            pen.dot(ex, eye_y, radius_px=dot_px)
    if rng.random() < _prob(s, 2.5, 5.0):
        if s > 6 and rng.random() < 0.6:
            pen.stroke(
                [
                    [cx, eye_y + r * 0.1],
                    [cx - r * 0.08, cy + r * 0.25],
                    [cx + r * 0.06, cy + r * 0.27],
                ]
            )
        else:
            pen.dot(cx, cy + r * 0.1, radius_px=dot_px * 0.7)
    if rng.random() < _prob(s, 0.8, 2.0):
        mouth_y = cy + r * rng.uniform(0.4, 0.55)
        half = r * rng.uniform(0.25, 0.45)
        bend = r * style.smile_curve * 0.25
        xs = np.linspace(-half, half, 9)
        mouth = np.column_stack([cx + xs, mouth_y + bend * (1 - (xs / half) ** 2) - bend * 0.5])
        pen.stroke(mouth)
        if s > 6 and rng.random() < 0.4:
            lower = mouth.copy()
            lower[:, 1] += bend * 0.5 * (1 - (xs / half) ** 2) + r * 0.04
            pen.stroke(lower)
    if rng.random() < 0.7 * _prob(s, 5, 7):
        for side in (-1, 1):
            pen.ellipse(cx + side * r * 1.02, cy + r * 0.05, r * 0.12, r * 0.2, closure=-0.3)


def _hair(
    pen: _Pen, cx: float, cy: float, r: float, style_name: str, s: float, fill: int | None
) -> None:
    rng = pen.rng
    if style_name == "none":
        return
    if style_name == "spiky" or (style_name == "short" and s < 3.5):
        n = int(rng.integers(4, 10))
        for a in np.linspace(-2.5, -0.64, n):
            base = np.array([cx + r * np.cos(a), cy + r * np.sin(a)])
            pen.stroke([base, base + [r * 0.35 * np.cos(a), r * 0.35 * np.sin(a)]])
        return
    if style_name == "short":
        theta = np.linspace(np.pi * 1.05, np.pi * 1.95, 12)
        outer = np.column_stack([cx + r * 1.1 * np.cos(theta), cy + r * 1.15 * np.sin(theta)])
        fringe = np.column_stack(
            [np.linspace(cx + r * 0.95, cx - r * 0.95, 6), cy - r * rng.uniform(0.35, 0.6, 6)]
        )
        cap = np.vstack([outer, fringe])
        pen.stroke(cap, closed=True)
        if fill is not None:
            pen.colour_in(cap, fill, solid=False, tidy=min(1.0, s / 8))
        return
    if style_name == "curly":
        for a in np.linspace(-3.0, -0.14, int(rng.integers(6, 11))):
            pen.ellipse(cx + r * 1.05 * np.cos(a), cy + r * 1.05 * np.sin(a), r * 0.2, r * 0.2)
        return
    if style_name == "bunches":
        theta = np.linspace(np.pi * 1.0, np.pi * 2.0, 12)
        pen.stroke(np.column_stack([cx + r * 1.08 * np.cos(theta), cy + r * 1.1 * np.sin(theta)]))
        for side in (-1, 1):
            pen.ellipse(cx + side * r * 1.35, cy - r * 0.1, r * 0.3, r * 0.5)
        return
    # Long hair: a hood around the head falling to the shoulders, with a few strands.
    length = r * rng.uniform(1.6, 2.8)
    theta = np.linspace(np.pi * 0.85, np.pi * 2.15, 16)
    top = np.column_stack([cx + r * 1.15 * np.cos(theta), cy + r * 1.12 * np.sin(theta)])
    left = np.array([[cx - r * 1.3, cy + length * 0.6], [cx - r * 1.35, cy + length]])
    right = np.array([[cx + r * 1.3, cy + length * 0.6], [cx + r * 1.35, cy + length]])
    outline = np.vstack([left[::-1], top, right])
    pen.stroke(outline)
    if s > 4:
        pen.stroke([[cx - r * 1.35, cy + length], [cx - r * 0.9, cy + length * 0.95]])
        pen.stroke([[cx + r * 1.35, cy + length], [cx + r * 0.9, cy + length * 0.95]])
        for x in np.linspace(-0.7, 0.7, int(rng.integers(2, 6))):
            pen.stroke([[cx + r * x, cy - r * 1.05], [cx + r * x * 1.2, cy - r * 0.6]], width=1)
    if fill is not None:
        hood = np.vstack(
            [outline, [[cx + r * 0.9, cy + length * 0.95]], [[cx - r * 0.9, cy + length * 0.95]]]
        )
        pen.colour_in(hood, fill, solid=False, tidy=min(1.0, s / 8))


def _scribble(pen: _Pen, s: float) -> None:
    """The youngest stage: looping scribbles, sometimes a closed shape with 'eyes'."""
    rng = pen.rng
    for _ in range(int(rng.integers(1, 5))):
        n = int(rng.integers(30, 120))
        turn = rng.normal(0.35, 0.15) * rng.choice([-1, 1])
        angle = np.cumsum(turn + rng.normal(0, 0.35, n))
        step = rng.uniform(0.03, 0.08)
        start = rng.uniform([-0.3, 0.1], [0.3, 0.9])
        pts = start + np.cumsum(np.column_stack([np.cos(angle), np.sin(angle)]) * step, axis=0)
        pen.stroke(np.clip(pts, [-0.6, -0.1], [0.6, 1.1]))
    if rng.random() < _prob(s, -0.4, 0.8):
        cx, cy, r = rng.uniform(-0.1, 0.1), rng.uniform(0.2, 0.5), rng.uniform(0.15, 0.3)
        pen.ellipse(cx, cy, r, r * rng.uniform(0.8, 1.2), closure=float(rng.uniform(-0.1, 0.3)))
        if rng.random() < 0.6:
            pen.dot(cx - r * 0.35, cy - r * 0.1)
            pen.dot(cx + r * 0.35, cy - r * 0.1)


def _tadpole(pen: _Pen, s: float, style: _Style, female: bool) -> None:
    """A head with limbs: legs (and maybe arms) coming straight out of the head."""
    rng = pen.rng
    r = rng.uniform(0.2, 0.3) * style.head_factor
    cx, cy = 0.0, r
    pen.ellipse(cx, cy, r * rng.uniform(0.85, 1.1), r)
    _face(pen, cx, cy, r, s, female, style)
    if rng.random() < 0.35:
        _hair(pen, cx, cy, r, "spiky", s, None)
    for side in (-1, 1):
        hip = np.array([cx + side * r * rng.uniform(0.2, 0.5), cy + r * 0.95])
        foot = np.array([hip[0] + side * rng.uniform(0.0, 0.15), 1.0])
        pen.stroke([hip, foot])
        _foot(pen, foot, side, 0.08, s, pen.value)
    if rng.random() < 0.4 + 0.4 * _prob(s, 0.8, 2.0):
        for side in (-1, 1):
            sh = np.array([cx + side * r, cy + r * rng.uniform(-0.1, 0.3)])
            hand = sh + [side * rng.uniform(0.15, 0.35), rng.uniform(-0.2, 0.15)]
            pen.stroke([sh, hand])
            _hand(pen, hand, hand - sh, 0.07, s)


@dataclass(frozen=True)
class _Body:
    """Where the torso is, in figure units."""

    shoulder_y: float
    shoulder_w: float
    waist_y: float
    hip_w: float


def _figure(pen: _Pen, s: float, style: _Style, drawing: DrawingLabels, colour: int | None) -> None:
    """Head-body-limbs figures, more proportioned and detailed as ``s`` grows."""
    rng = pen.rng
    female = drawing.who_is_drawn == "female"
    child_self = drawing.self_portrait
    author = drawing.author

    head_h = float(np.clip(0.40 - 0.032 * s, 0.13, 0.36)) * style.head_factor
    head_h *= 1.12 if child_self else 1.0
    head_h *= float(rng.normal(1.0, 0.06))
    r = head_h / 2
    has_neck = not style.no_neck and rng.random() < _prob(s, 3.0, 6.0)
    neck = head_h * rng.uniform(0.15, 0.3) if has_neck else 0.0
    torso_top = head_h + neck
    torso_h = (1 - torso_top) * rng.uniform(0.38, 0.5)
    waist = torso_top + torso_h
    shoulder_w = r * (0.9 + 0.1 * min(s, 8)) * (0.85 if female else 1.0) * rng.uniform(0.9, 1.1)
    body = _Body(torso_top, shoulder_w, waist, shoulder_w * 0.85)

    hair_options_f = ["long", "long", "bunches", "curly", "short", "long"]
    hair_options_m = ["short", "short", "spiky", "none", "curly", "short"]
    options = hair_options_f if female else hair_options_m
    hair = options[(style.hair_bias + int(rng.integers(0, 2))) % len(options)]
    if rng.random() > 0.4 + 0.6 * _prob(s, 1.5, 4.0):
        hair = "none"
    hair_fill = colour if colour is not None and rng.random() < 0.6 else None

    # Long hair goes behind the head, so it is drawn first.
    if hair == "long":
        _hair(pen, 0.0, r, r, hair, s, hair_fill)
    pen.ellipse(0.0, r, r * rng.uniform(0.8, 1.0), r)
    _face(pen, 0.0, r, r, s, female, style)
    if hair != "long":
        _hair(pen, 0.0, r, r, hair, s, hair_fill)
    if not female and not child_self and s > 4 and rng.random() < 0.15:
        beard = np.column_stack(
            [
                np.linspace(-r * 0.8, r * 0.8, 9),
                r + r * (0.5 + 0.5 * np.cos(np.linspace(-1.4, 1.4, 9))),
            ]
        )
        pen.stroke(beard)
        pen.colour_in(
            np.vstack([beard, [[r * 0.8, r * 1.3]], [[-r * 0.8, r * 1.3]]]),
            pen.value // 2,
            False,
            0.9,
        )

    if has_neck:
        nw = r * 0.3
        if s > 4.5:
            pen.stroke([[-nw, head_h * 0.97], [-nw, torso_top]])
            pen.stroke([[nw, head_h * 0.97], [nw, torso_top]])
        else:
            pen.stroke([[0, head_h], [0, torso_top]])

    stick = s < 3.5 and rng.random() < 1.0 - _prob(s, 1.8, 3.5)
    if stick:
        _stick_body(pen, body, s, style)
        return
    _shape_body(pen, body, s, style, female, author, colour)


def _arm_paths(body: _Body, s: float, pose: str, rng: np.random.Generator) -> list[np.ndarray]:
    # Young children's arms are any length; older ones reach about mid-thigh.
    spread = max(0.0, 0.12 - 0.015 * s)
    length = float(np.clip(rng.normal(0.36, 0.03 + spread), 0.18, 0.55))
    if pose == "out" and s > 5 and rng.random() < _prob(s, 5.0, 8.0):
        pose = "down"
    paths = []
    for side in (-1, 1):
        sh = np.array([side * body.shoulder_w, body.shoulder_y + 0.02])
        if pose == "up":
            angle = np.radians(rng.uniform(20, 60))
            d = np.array([side * np.cos(angle), -np.sin(angle)])
        elif pose == "down" and s > 2.5:
            angle = np.radians(rng.uniform(50, 75))
            d = np.array([side * np.cos(angle), np.sin(angle)])
        else:
            angle = np.radians(rng.uniform(-10, 25))
            d = np.array([side * np.cos(angle), np.sin(angle)])
        if s > 6 and rng.random() < 0.5:
            # A bent elbow.
            elbow = sh + d * length * 0.5
            bend = np.radians(rng.uniform(-25, 25)) * side
            rot = np.array([[np.cos(bend), -np.sin(bend)], [np.sin(bend), np.cos(bend)]])
            paths.append(np.array([sh, elbow, elbow + rot @ d * length * 0.5]))
        else:
            paths.append(np.array([sh, sh + d * length * 0.5, sh + d * length]))
    return paths


def _stick_body(pen: _Pen, body: _Body, s: float, style: _Style) -> None:
    rng = pen.rng
    oval = rng.random() < 0.5
    if oval:
        cy = (body.shoulder_y + body.waist_y) / 2
        half_h = (body.waist_y - body.shoulder_y) / 2
        pen.ellipse(0.0, cy, body.shoulder_w * rng.uniform(0.6, 0.9), half_h)
    else:
        pen.stroke([[0, body.shoulder_y - 0.01], [0, body.waist_y]])
    narrow = body.shoulder_w * (0.7 if oval else 0.0)
    shoulders = body.shoulder_y + (body.waist_y - body.shoulder_y) * (0.3 if oval else 0.15)
    stick_body = replace(body, shoulder_y=shoulders, shoulder_w=narrow, hip_w=0.0)
    for path in _arm_paths(stick_body, s, style.arm_pose, rng):
        pen.stroke(path)
        _hand(pen, path[-1], path[-1] - path[-2], 0.06, s)
    for side in (-1, 1):
        hip = np.array([side * body.shoulder_w * (0.3 if oval else 0.05), body.waist_y - 0.01])
        foot = np.array([side * rng.uniform(0.05, 0.2), 0.97])
        pen.stroke([hip, foot])
        _foot(pen, foot, side, 0.08, s, pen.value)


def _shape_body(
    pen: _Pen,
    body: _Body,
    s: float,
    style: _Style,
    female: bool,
    author: str,
    colour: int | None,
) -> None:
    rng = pen.rng
    sw, top, waist = body.shoulder_w, body.shoulder_y, body.waist_y
    # Girls put women (and themselves) in dresses a little more often than boys do.
    dress = female and rng.random() < (0.85 if author == "f" else 0.7)
    tidy = min(1.0, s / 7)
    limb_hw = float(np.clip(0.012 + 0.004 * s, 0.02, 0.04))
    tubes = rng.random() < _prob(s, 3.0, 5.0)

    if dress:
        hem_y = waist + (1 - waist) * rng.uniform(0.25, 0.5)
        flare = sw * rng.uniform(1.2, 1.8)
        fitted = s > 5 and rng.random() < 0.6
        if fitted:
            torso = np.array(
                [
                    [-sw, top],
                    [sw, top],
                    [sw * 0.6, waist],
                    [flare, hem_y],
                    [-flare, hem_y],
                    [-sw * 0.6, waist],
                ]
            )
        else:
            torso = np.array([[-sw * 0.6, top], [sw * 0.6, top], [flare, hem_y], [-flare, hem_y]])
        leg_top = hem_y
    else:
        fitted = False
        torso = np.array([[-sw, top], [sw, top], [body.hip_w, waist], [-body.hip_w, waist]])
        leg_top = waist

    # Arms first, so the torso outline sits over their roots; they start where the
    # torso's top corners are.
    arm_body = replace(body, shoulder_w=float(torso[1, 0]))
    for path in _arm_paths(arm_body, s, style.arm_pose, rng):
        if tubes:
            outline = _tube(pen, path, limb_hw)
            if colour is not None and s > 5:
                pen.colour_in(outline, colour, solid=False, tidy=tidy)
        else:
            pen.stroke(path)
        _hand(pen, path[-1], path[-1] - path[-2], 0.05 + 0.005 * min(s, 6), s)

    pen.stroke(torso, closed=True)
    if fitted:
        pen.stroke([[-sw * 0.6, waist], [sw * 0.6, waist]])
    if colour is not None and rng.random() < 0.8:
        pen.colour_in(torso, colour, solid=rng.random() < 0.3, tidy=tidy)

    # Clothing details for the older children.
    if rng.random() < _prob(s, 4.0, 7.0):
        n = int(rng.integers(2, 5))
        for y in np.linspace(top + 0.03, waist - 0.02, n):
            pen.ellipse(0.0, y, 0.008, 0.008, closure=0.0)
    if rng.random() < _prob(s, 5.5, 8.0):
        pen.stroke([[-sw * 0.35, top], [0, top + 0.05], [sw * 0.35, top]])
    if not dress and rng.random() < _prob(s, 5.0, 8.0):
        pen.stroke([[-body.hip_w, waist - 0.025], [body.hip_w, waist - 0.025]])

    foot_size = 0.05 + 0.005 * min(s, 6)
    trousers = not dress and rng.random() < _prob(s, 3.5, 5.5)
    for side in (-1, 1):
        hip_x = side * body.hip_w * (0.5 if not dress else 0.3)
        ankle = np.array([hip_x + side * rng.uniform(0.0, 0.06), 1.0 - foot_size * 0.3])
        path = np.array([[hip_x, leg_top], (np.array([hip_x, leg_top]) + ankle) / 2, ankle])
        if trousers:
            outline = np.array(
                [
                    [hip_x - side * body.hip_w * 0.5, leg_top],
                    [ankle[0] - side * limb_hw * 1.3, ankle[1]],
                    [ankle[0] + side * limb_hw * 1.3, ankle[1]],
                    [side * body.hip_w, leg_top],
                ]
            )
            pen.stroke(outline[:3])
            pen.stroke(outline[2:])
            if colour is not None and s > 5:
                pen.colour_in(outline, colour, solid=False, tidy=tidy)
        elif tubes:
            _tube(pen, path, limb_hw * 0.9)
        else:
            pen.stroke(path)
        _foot(pen, ankle, side, foot_size, s, pen.value)


def _extras(pen: _Pen, style: _Style, s: float) -> None:
    """Things around the figure: a ground line or a sun in a corner."""
    rng = pen.rng
    if s < 1.0:
        return
    if rng.random() < style.extras:
        pen.stroke([[-0.9, 1.04], [0.9, 1.04]], wobble=pen.wobble * 0.5)
    if rng.random() < style.extras * 0.7:
        side = rng.choice([-1, 1])
        cx, cy, r = side * 0.75, -0.05, 0.09
        pen.ellipse(cx, cy, r, r)
        for a in np.linspace(0, 2 * np.pi, int(rng.integers(6, 11)), endpoint=False):
            d = np.array([np.cos(a), np.sin(a)])
            pen.stroke([np.array([cx, cy]) + d * r * 1.3, np.array([cx, cy]) + d * r * 2.0])


# --------------------------------------------------------------------------------------
# Rendering a page and scanning it.
# --------------------------------------------------------------------------------------


def _page_matrix(style: _Style, rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    width, height = size
    fig_h = height * float(np.clip(style.scale * rng.normal(1.0, 0.05), 0.2, 0.85))
    # Arms held out make a figure about as wide as it is tall; keep most of it on the page.
    fig_h = min(fig_h, 1.05 * width)
    # Hair and a sun reach above y = 0, shoes a little below y = 1.
    spare = max(0.0, height - 1.15 * fig_h)
    top = 0.08 * fig_h + spare * float(np.clip(style.top + rng.normal(0, 0.08), 0.0, 1.0))
    cx = width * float(np.clip(style.center_x + rng.normal(0, 0.03), 0.2, 0.8))
    angle = np.radians(style.slant + rng.normal(0, 2.0))
    c, s = np.cos(angle), np.sin(angle)
    # Rotate about the figure's middle so slanting does not push it off the page.
    mid = np.array([cx, top + fig_h / 2])
    lin = fig_h * np.array([[c, -s], [s, c]])
    offset = mid - lin @ np.array([0.0, 0.5])
    return np.column_stack([lin, offset])


def _scan(
    ink: np.ndarray, rng: np.random.Generator, crayon: bool, page_scale: float, quality: int
) -> bytes:
    """Turn an ink layer into a JPEG 'scan': grain, tinted paper, shading, noise, blur."""
    h, w = ink.shape
    # Pencil and crayon leave paper grain showing through the strokes; crayon more so.
    grain = rng.random((h, w), dtype=np.float32)
    coarse = 0.35 if crayon else 0.22
    alpha = ink.astype(np.float32) * np.float32(1 / 255) * (1 - coarse + coarse * grain)
    paper = np.float32(rng.uniform(238, 250))
    # Uneven scanner light: a gentle gradient across the sheet.
    gy = np.linspace(-1, 1, h, dtype=np.float32)[:, None] * np.float32(rng.normal(0, 4))
    gx = np.linspace(-1, 1, w, dtype=np.float32)[None, :] * np.float32(rng.normal(0, 4))
    graphite = np.float32(rng.uniform(25, 70))
    gray = (paper + gy + gx) * (1 - alpha) + graphite * alpha
    gray += rng.standard_normal((h, w), dtype=np.float32) * np.float32(rng.uniform(1.5, 3.5))
    sigma = float(rng.uniform(0.5, 1.0)) * page_scale
    gray = cv2.GaussianBlur(gray, (0, 0), sigma)
    # Slightly warm or cool paper, so the scan is colour but looks grey.
    tint = np.array([rng.uniform(0.95, 0.99), rng.uniform(0.97, 1.0), 1.0], np.float32)
    bgr = np.clip(gray[:, :, None] * tint, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - cv2 encodes any uint8 image
        raise BenchError("could not encode a synthetic drawing as JPEG")
    return buf.tobytes()


def _render(
    child: ChildRecord,
    style: _Style,
    subject: str,
    rng: np.random.Generator,
    size: tuple[int, int],
    quality: int,
) -> tuple[bytes, float]:
    """One drawing's JPEG bytes and the stage score it was drawn at."""
    s = _stage_score(child, style, rng)
    width, height = size
    matrix = _page_matrix(style, rng, size)
    wobble = float(np.clip(0.022 - 0.0022 * s, 0.003, 0.025)) * style.shaky
    value = int(255 * np.clip(style.pressure + rng.normal(0, 0.05), 0.3, 1.0))
    # Line widths are chosen for a 600x800 sheet; other sizes keep the same look.
    page_scale = min(width / 600, height / 800)
    line_px = max(1, round(style.line_px * page_scale))
    pen = _Pen((height, width), matrix, rng, line_px, value, wobble, _prob(s, 6.0, 9.5))
    colour = None
    if rng.random() < min(1.0, 1.5 * style.colouring) * _prob(s, 0.5, 7.0):
        colour = int(value * rng.uniform(0.3, 0.6))
    drawing = child.labels(subject)
    if s < 0.7:
        _scribble(pen, s)
    elif s < 1.9:
        _tadpole(pen, s, style, drawing.who_is_drawn == "female")
    else:
        _figure(pen, s, style, drawing, colour)
    _extras(pen, style, s)
    np.maximum(pen.ink, pen.fill_layer, out=pen.ink)
    return _scan(pen.ink, rng, style.line_px >= 4, max(page_scale, 0.5), quality), s


# --------------------------------------------------------------------------------------
# Public entry point.
# --------------------------------------------------------------------------------------


def _prepare_folder(folder: Path, overwrite: bool) -> None:
    if folder.exists() and not folder.is_dir():
        raise BenchError(f"folder {folder} exists and is not a directory")
    folder.mkdir(parents=True, exist_ok=True)
    images = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    if images and not overwrite:
        raise BenchError(
            f"folder {folder} already holds {len(images)} image file(s); "
            "choose an empty folder or pass overwrite=True"
        )
    for path in images:
        path.unlink()


def generate_drawings(
    folder: str | Path,
    seed: int = 0,
    n_drawings: int = 338,
    image_size: tuple[int, int] = (600, 800),
    progress: bool = False,
    *,
    jpeg_quality: int = 88,
    overwrite: bool = False,
) -> list[Path]:
    """Write a synthetic collection of children's drawings as Stirling-named JPEGs.

    Each synthetic child has an age category, an age, a sex and a drawing style, and
    draws up to three pictures (a man, a woman, themselves: a person of the child's sex,
    named with the subject code ``s``). The figures grow from scribbles and tadpoles to
    proportioned, clothed people with age and skill.

    Parameters
    ----------
    folder : str or Path
        Target folder; created if missing. It must not already hold image files
        unless ``overwrite`` is true.
    seed : int, optional
        Non-negative seed. The same seed gives byte-identical files.
    n_drawings : int, optional
        Number of drawings to write (the real collection has 338).
    image_size : tuple of int, optional
        ``(width, height)`` of each scan in pixels.
    progress : bool, optional
        Show a tqdm progress bar.
    jpeg_quality : int, optional
        JPEG quality, 1..100.
    overwrite : bool, optional
        Delete the ``.jpeg``, ``.jpg`` and ``.png`` files already in ``folder`` first;
        other files are left alone.

    Returns
    -------
    list of Path
        The image files written, in the order they were made. Beside them go
        ``SYNTHETIC.txt`` and :data:`LATENTS_FILE`, each drawing's latent parameters
        (stage score and style; :func:`bench.data.drawings.read_latents` reads them).

    Raises
    ------
    BenchError
        For a bad argument (the message names it) or a folder that already holds images.
    """
    seed = check_seed(seed)
    width, height = check_image_size(image_size)
    jpeg_quality = check_jpeg_quality(jpeg_quality)
    children = plan_collection(seed, n_drawings)
    folder = Path(folder)
    _prepare_folder(folder, overwrite)

    jobs = [(i, child, subject) for i, child in enumerate(children) for subject in child.subjects]
    iterator = jobs
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(jobs, desc="synthetic drawings", unit="img")
    written: list[Path] = []
    latents: list[dict[str, object]] = []
    styles: dict[int, _Style] = {}
    for index, child, subject in iterator:
        if index not in styles:
            styles[index] = _child_style(np.random.default_rng([seed, 1, index]), child)
        # One stream per drawing, so a drawing does not depend on the ones before it.
        rng = np.random.default_rng([seed, 2, index, _SUBJECT_CODES.index(subject)])
        data, stage = _render(child, styles[index], subject, rng, (width, height), jpeg_quality)
        path = folder / child.file_name(subject)
        path.write_bytes(data)
        written.append(path)
        latents.append(_latents(path.name, stage, styles[index], child.labels(subject)))
    _write_latents(folder / LATENTS_FILE, latents)
    mark_synthetic(folder, "the Stirling drawings collection", seed)
    return written


def _latents(name: str, stage: float, style: _Style, drawing: DrawingLabels) -> dict[str, object]:
    """What a drawing was drawn from and its pixels can show: the stage and the style.

    The child's skill is left out: it reaches the drawing only through the stage score
    (age plus skill plus noise), and with both the age would follow by subtraction.
    """
    return {
        "file": name,
        "stage": round(stage, 6),
        "female_drawn": int(drawing.who_is_drawn == "female"),
        "girl_author": int(drawing.author == "f"),
        "line_px": style.line_px,
        "pressure": round(style.pressure, 6),
        "scale": round(style.scale, 6),
        "center_x": round(style.center_x, 6),
        "top": round(style.top, 6),
        "slant": round(style.slant, 6),
        "shaky": round(style.shaky, 6),
        "head_factor": round(style.head_factor, 6),
        "no_neck": int(style.no_neck),
        "colouring": round(style.colouring, 6),
        "arm_pose": ("out", "down", "up").index(style.arm_pose),
        "smile_curve": round(style.smile_curve, 6),
        "extras": round(style.extras, 6),
    }


def _write_latents(path: Path, rows: list[dict[str, object]]) -> None:
    import csv

    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
