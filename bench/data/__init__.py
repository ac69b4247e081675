"""Datasets: the children's drawings and the face attributes (real folders or generated),
and scikit-learn's digits, each read by one loader shape (:mod:`bench.data.loading`)."""

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
