"""Datasets: the children's drawings (real Stirling folder or synthetic generator)."""

from bench.data.dataset import Dataset
from bench.data.drawings import (
    DrawingLabels,
    generate_drawings,
    load_drawings,
    parse_filename,
)

__all__ = ["Dataset", "DrawingLabels", "generate_drawings", "load_drawings", "parse_filename"]
