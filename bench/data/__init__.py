"""Datasets: the children's drawings and the face attributes (real folders or generated),
and scikit-learn's digits, each read by one loader shape (:mod:`bench.data.loading`).

The names below are loaded on first use: the loaders bring pandas and OpenCV, and a
command checks its inputs (:mod:`bench.validation`, which reads file names through
:mod:`bench.data.stirling`) before it needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.data.celeba import ATTRIBUTES as FACE_ATTRIBUTES
    from bench.data.dataset import Dataset
    from bench.data.digits import load_digits
    from bench.data.drawings import load_drawings
    from bench.data.faces import load_faces
    from bench.data.sources import data_folders, default_folder, load, native_size
    from bench.data.stirling import DrawingLabels, parse_filename
    from bench.data.synthetic import generate_drawings, generate_faces
    from bench.data.targets import class_counts

__all__ = [
    "FACE_ATTRIBUTES",
    "Dataset",
    "DrawingLabels",
    "class_counts",
    "data_folders",
    "default_folder",
    "generate_drawings",
    "generate_faces",
    "load",
    "load_digits",
    "load_drawings",
    "load_faces",
    "native_size",
    "parse_filename",
]

# Public name -> (module, its name there).
_WHERE = {
    "FACE_ATTRIBUTES": ("celeba", "ATTRIBUTES"),
    "Dataset": ("dataset", "Dataset"),
    "DrawingLabels": ("stirling", "DrawingLabels"),
    "class_counts": ("targets", "class_counts"),
    "data_folders": ("sources", "data_folders"),
    "default_folder": ("sources", "default_folder"),
    "generate_drawings": ("synthetic", "generate_drawings"),
    "generate_faces": ("synthetic", "generate_faces"),
    "load": ("sources", "load"),
    "load_digits": ("digits", "load_digits"),
    "load_drawings": ("drawings", "load_drawings"),
    "load_faces": ("faces", "load_faces"),
    "native_size": ("sources", "native_size"),
    "parse_filename": ("stirling", "parse_filename"),
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _WHERE[name]
    return getattr(importlib.import_module(f"{__name__}.{module}"), attribute)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
