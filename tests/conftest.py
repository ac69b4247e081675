"""Shared fixtures: small drawings folders, written fast."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from bench.data import generate_drawings


def write_drawing(path: Path, seed: int = 0, size: tuple[int, int] = (60, 80)) -> Path:
    """A small random stroke picture on white paper, written with cv2."""
    rng = np.random.default_rng(seed)
    image = np.full((size[1], size[0]), 255, np.uint8)
    for _ in range(5):
        p, q = rng.integers(0, min(size), size=(2, 2))
        cv2.line(image, tuple(map(int, p)), tuple(map(int, q)), 0, 2)
    ok, data = cv2.imencode(path.suffix.lower().replace(".jpeg", ".jpg"), image)
    assert ok
    path.write_bytes(data.tobytes())
    return path


@pytest.fixture
def small_folder(tmp_path: Path) -> Path:
    """Nine well-formed drawings by four children."""
    names = [
        "nu-1s-4.5m.jpeg",
        "nu-1w-4.5m.jpeg",
        "p1-2m-5.10f.jpg",
        "p1-2s-5.10f.JPG",
        "p3-3w-7.11f.png",
        "p3-3m-7.11f.jpeg",
        "p7-4s-10.11m.jpeg",
        "p7-4m-10.11m.JPEG",
        "p7-4w-10.11m.jpeg",
    ]
    folder = tmp_path / "drawings"
    folder.mkdir()
    for i, name in enumerate(names):
        write_drawing(folder / name, seed=i)
    return folder


@pytest.fixture(scope="session")
def generated_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default synthetic collection (338 drawings), generated once per test session."""
    folder = tmp_path_factory.mktemp("generated") / "drawings"
    generate_drawings(folder, seed=0)
    return folder
