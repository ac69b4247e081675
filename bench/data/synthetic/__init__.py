"""The synthetic stand-ins: folders laid out as the real collections are, read by the same
loaders. Neither real collection can be redistributed, so these are the suite's default data."""

from bench.data.synthetic.drawings import LATENTS_FILE, generate_drawings
from bench.data.synthetic.faces import generate_faces

__all__ = ["LATENTS_FILE", "generate_drawings", "generate_faces"]
