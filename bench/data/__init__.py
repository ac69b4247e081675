"""Datasets: the children's drawings (a real Stirling folder or the synthetic generator)."""

from bench.data.dataset import Dataset
from bench.data.drawing_generator import generate_drawings
from bench.data.drawings import load_drawings
from bench.data.stirling import DrawingLabels, parse_filename

__all__ = ["Dataset", "DrawingLabels", "generate_drawings", "load_drawings", "parse_filename"]
