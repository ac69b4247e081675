"""Datasets: the children's drawings and the face attributes (real folders or generated),
and scikit-learn's digits."""

from bench.data.celeba import ATTRIBUTES as FACE_ATTRIBUTES
from bench.data.dataset import Dataset
from bench.data.digits import load_digits
from bench.data.drawing_generator import generate_drawings
from bench.data.drawings import load_drawings
from bench.data.face_generator import generate_faces
from bench.data.faces import load_faces
from bench.data.stirling import DrawingLabels, parse_filename
from bench.data.targets import class_counts

__all__ = [
    "FACE_ATTRIBUTES",
    "Dataset",
    "DrawingLabels",
    "class_counts",
    "generate_drawings",
    "generate_faces",
    "load_digits",
    "load_drawings",
    "load_faces",
    "parse_filename",
]
