"""CelebA faces for the face-attribute paper: the folder loader.

The label files are read by :mod:`bench.data.celeba`; synthetic folders are written by
:mod:`bench.data.synthetic.faces`, and a real CelebA folder is read the same way.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import pandas as pd

from bench.data.celeba import (
    ATTRIBUTE_FILE,
    ATTRIBUTES,
    IMAGE_FOLDER,
    PARTITION_FILE,
    PARTITIONS,
    default_partitions,
    read_attributes,
    read_partitions,
)
from bench.data.dataset import Dataset
from bench.data.images import check_size, decode_image, read_image
from bench.data.loading import Decoded, Loader, check_folder, check_on_error, read
from bench.errors import BenchError

__all__ = ["load_faces"]

HAAR_CASCADE = "haarcascade_frontalface_default.xml"
# Room around the detected box, as a fraction of its side: Haar boxes stop at the brows and
# the chin, and the attributes include hair and glasses.
CROP_MARGIN = 0.25
# The shorter side, in pixels, of the copy the face search runs on (see _read_cropped).
DETECT_SIDE = 96
# The decoded column that says whether a face was found: reported, not kept.
_FOUND = "face_found"


def load_faces(
    folder: str | Path,
    size: tuple[int, int] = (64, 64),
    color: bool = False,
    attributes: Sequence[str] = ATTRIBUTES,
    partitions: Iterable[str] | None = None,
    limit: int | None = None,
    crop_faces: bool = False,
    on_error: Literal["raise", "skip"] = "raise",
    progress: bool = False,
) -> Dataset:
    """Read a CelebA-style folder (real or synthetic) into a :class:`Dataset`.

    Parameters
    ----------
    folder : str or Path
        A folder holding ``img_align_celeba/`` (the JPEGs), ``list_attr_celeba.txt`` and,
        optionally, ``list_eval_partition.txt``. Without the partition file the images
        are split in file order: the first 80 % train, the next 10 % validation, the last
        10 % test (CelebA's own split is also contiguous, in about these proportions).
        Images that are in the folder but not in the attribute file are ignored.
    size : (width, height)
        The size every image is reduced to with ``cv2.INTER_AREA``.
    color : bool
        Keep three RGB channels instead of converting to grayscale.
    attributes : sequence of str
        The attribute columns to return, in this order; by default the paper's ten. Any
        attribute named on line 2 of the attribute file may be chosen (the real file has
        40, see :data:`bench.data.celeba.CELEBA_ATTRIBUTES`).
    partitions : iterable of str, optional
        Keep only these partitions (``"train"``, ``"validation"``, ``"test"``); all by default.
    limit : int, optional
        Keep only the first ``limit`` images, in file order, of the chosen partitions; bad
        files among them are then left out, not replaced. The whole of CelebA (202,599
        images) takes 202,599 x width x height x 4 bytes, three times that in colour: about
        10 GB at 64x64 RGB.
    crop_faces : bool
        Crop each image to its largest face, found with OpenCV's Haar cascade
        (``haarcascade_frontalface_default.xml``), with a margin of a quarter of the face
        box on every side, widened to the output's aspect ratio so faces are not stretched.
        An image where no face is found is used whole; a warning says how many were. Needs
        an OpenCV that ships the cascade (OpenCV 4; OpenCV 5 dropped it).
    on_error : {"raise", "skip"}
        What to do with bad files (listed in the attribute file but missing, not in the
        partition file, empty, corrupt, truncated or unreadable): ``"raise"`` fails with one
        error listing the bad files and why (the first 50, and how many in all); ``"skip"``
        leaves them out, warns with the same list and records every one in
        :attr:`Dataset.skipped`.
    progress : bool
        Show a progress bar while decoding.

    Returns
    -------
    Dataset
        ``images`` float32 in [0, 1] of shape (N, height, width) or (N, height, width, 3),
        in the attribute file's order; ``labels`` with ``file``, ``group`` (the file stem:
        these files carry no identity, so every image is its own group), ``partition`` and
        one 0/1 int column per attribute.

    Raises
    ------
    BenchError
        For a bad argument (the message names it), a missing folder or attribute file, a
        malformed label file (the message names the file and line), an attribute not in
        the attribute file, bad images when ``on_error="raise"``, or no usable image.
    """
    size = check_size(size)
    check_on_error(on_error)
    keep = _check_partitions(partitions)
    limit = _check_limit(limit)
    if crop_faces:
        _haar_detector()  # fail before reading anything when OpenCV has no cascade
    loader = _FacesLoader(Path(folder), size, color, attributes, keep, limit, crop_faces)
    return read(loader, on_error, progress)


class _FacesLoader(Loader):
    """The faces' parts: the files the attribute file lists, in its order, with their
    partition; each image whole or cropped to its face."""

    def __init__(
        self,
        folder: Path,
        size: tuple[int, int],
        color: bool,
        attributes: Sequence[str],
        keep: tuple[str, ...],
        limit: int | None,
        crop_faces: bool,
    ) -> None:
        shape = (size[1], size[0], 3) if color else (size[1], size[0])
        super().__init__(folder, shape, "faces")
        self.size, self.color, self.crop_faces = size, color, crop_faces
        self.attributes, self.keep, self.limit = attributes, keep, limit
        self.image_dir = _check_folder(folder)
        # One detector per thread: a cascade keeps scratch buffers while it searches.
        self.local = threading.local()

    def find(self) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
        folder = self.source
        table = read_attributes(folder / ATTRIBUTE_FILE, self.attributes)
        names = list(table.columns[1:])
        bad: list[tuple[str, str]] = []
        partition_path = folder / PARTITION_FILE
        if partition_path.exists():
            table.insert(1, "partition", table["file"].map(read_partitions(partition_path)))
            unassigned = table["partition"].isna()
            bad += [(name, f"not in {PARTITION_FILE}") for name in table.loc[unassigned, "file"]]
            table = table[~unassigned]
        else:
            table.insert(1, "partition", default_partitions(len(table)))
        table = table[table["partition"].isin(self.keep)]
        if self.limit is not None:
            table = table.head(self.limit)
        table = table.reset_index(drop=True)
        if table.empty and not bad:
            raise BenchError(f"{folder}: no images listed in partition(s) {', '.join(self.keep)}")
        table.insert(1, "group", [Path(name).stem for name in table["file"]])
        return table[["file", "group", "partition", *names]], bad

    def decode(self, index: int, name: str) -> Decoded:
        if Path(name).name != name or name in ("", ".", ".."):
            return "not a plain file name"
        path = self.image_dir / name
        if not path.exists() and not path.is_symlink():
            return f"missing (listed in {ATTRIBUTE_FILE})"
        if not self.crop_faces:
            result = read_image(path, self.size, self.color)
            return result if isinstance(result, str) else (result[0], {})
        if not hasattr(self.local, "detector"):
            self.local.detector = _haar_detector()
        cropped = _read_cropped(path, self.size, self.color, self.local.detector)
        if isinstance(cropped, str):
            return cropped
        image, found = cropped
        return image, {_FOUND: found}

    def finish(self, labels: pd.DataFrame) -> pd.DataFrame:
        if not self.crop_faces:
            return labels
        missed = int((~labels.pop(_FOUND)).sum())
        if missed:
            # Pointed at load_faces's caller: up through the skeleton's read and load_faces.
            warnings.warn(
                f"{self.source}: crop_faces found no face in {missed} of {len(labels)} images; "
                "those were used whole",
                stacklevel=4,
            )
        return labels


def _check_partitions(partitions: Iterable[str] | None) -> tuple[str, ...]:
    if partitions is None:
        return PARTITIONS
    if isinstance(partitions, str):
        partitions = (partitions,)
    try:
        chosen = tuple(partitions)
    except TypeError:
        raise BenchError(f"partitions must be a list of names, not {partitions!r}") from None
    unknown = [p for p in chosen if p not in PARTITIONS]
    if unknown:
        raise BenchError(
            f"partitions: unknown {', '.join(map(repr, unknown))} "
            f"(expected some of {', '.join(PARTITIONS)})"
        )
    if not chosen:
        raise BenchError("partitions must name at least one partition")
    return chosen


def _check_limit(limit: int | None) -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int | np.integer) or limit < 1:
        raise BenchError(f"limit must be a positive integer or None, not {limit!r}")
    return int(limit)


def _check_folder(folder: Path) -> Path:
    check_folder(folder)
    layout = f"a CelebA folder holds {IMAGE_FOLDER}/, {ATTRIBUTE_FILE} and {PARTITION_FILE}"
    if not (folder / ATTRIBUTE_FILE).is_file():
        raise BenchError(f"{folder}: no {ATTRIBUTE_FILE} ({layout})")
    image_dir = folder / IMAGE_FOLDER
    if not image_dir.is_dir():
        raise BenchError(f"{folder}: no {IMAGE_FOLDER} folder ({layout})")
    return image_dir


def _haar_detector() -> Any:
    """A new frontal-face Haar cascade, or a BenchError when this OpenCV has none."""
    classifier: Callable[[str], Any] | None = getattr(cv2, "CascadeClassifier", None)
    data = getattr(getattr(cv2, "data", None), "haarcascades", None)
    path = Path(data or ".") / HAAR_CASCADE
    if classifier is None or data is None or not path.is_file():
        raise BenchError(
            f"crop_faces needs OpenCV's {HAAR_CASCADE}, which OpenCV {cv2.__version__} does not "
            "ship (OpenCV 5 dropped the Haar cascades): install opencv-python-headless<5 or "
            "load with crop_faces=False"
        )
    detector = classifier(str(path))
    if detector.empty():
        raise BenchError(f"{path}: OpenCV could not load the face cascade")
    return detector


def _read_cropped(
    path: Path, size: tuple[int, int], color: bool, detector: Any
) -> tuple[np.ndarray, bool] | str:
    """Decode one image, cropped to its largest face if one is found (float32 in [0, 1]).

    Returns the image and whether a face was found, or why the file cannot be used.
    """
    image = decode_image(path, color)
    if isinstance(image, str):
        return image
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if color else image
    # The search runs on a copy whose shorter side is DETECT_SIDE, where aligned CelebA
    # faces (about half the width) still span twice the cascade's 24-pixel window: on the
    # synthetic faces it finds as many as at 178x218 with a third less CPU time.
    scale = min(1.0, DETECT_SIDE / min(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    # Boxes under a quarter of the shorter side are false alarms.
    side = max(24, min(small.shape) // 4)
    boxes = detector.detectMultiScale(small, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
    found = len(boxes) > 0
    if found:
        box = max((tuple(map(int, b)) for b in boxes), key=lambda b: b[2] * b[3])
        x, y, w, h = (round(v / scale) for v in box)
        image = _crop_box(image, (x, y, w, h), size)
    if color:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return small.astype(np.float32) / 255.0, found


def _crop_box(
    image: np.ndarray, box: tuple[int, int, int, int], size: tuple[int, int]
) -> np.ndarray:
    """Cut a face box out of ``image`` with a margin, at the aspect ratio of ``size``.

    The box ``(x, y, w, h)`` grows by :data:`CROP_MARGIN` of its side on every side, then
    along one axis to match ``size`` (width, height); it is moved, not shrunk, to stay
    inside the image where it can.
    """
    x, y, w, h = box
    rows, cols = image.shape[:2]
    width, height = w * (1 + 2 * CROP_MARGIN), h * (1 + 2 * CROP_MARGIN)
    aspect = size[0] / size[1]
    if width / height < aspect:
        width = height * aspect
    else:
        height = width / aspect
    width, height = min(width, cols), min(height, rows)
    x0 = round(min(max(x + w / 2 - width / 2, 0.0), cols - width))
    y0 = round(min(max(y + h / 2 - height / 2, 0.0), rows - height))
    return image[y0 : y0 + round(height), x0 : x0 + round(width)]
