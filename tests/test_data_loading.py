"""The data layer's shared parts: the loader skeleton, the dataset sources and defaults."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.data import Dataset, data_folders, default_folder, load, load_drawings, native_size
from bench.data.digits import DIGITS_SOURCE
from bench.data.inspection import inspect_folder
from bench.data.loading import Decoded, Loader, read
from bench.data.sources import SOURCES
from bench.errors import BenchError, DataError


class _Toy(Loader):
    """Five 'files': one bad at finding, one bad at decoding, the rest 2x3 images."""

    def __init__(self, bad_decode: tuple[str, ...] = ("c",), value: float = 0.25) -> None:
        super().__init__(Path("toy"), (2, 3), "toys")
        self.bad_decode, self.value = bad_decode, value

    def find(self) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
        table = pd.DataFrame({"file": list("abcd"), "group": [0, 0, 1, 1]})
        return table, [("e", "bad name")]

    def decode(self, index: int, name: str) -> Decoded:
        if name in self.bad_decode:
            return "corrupt"
        return np.full((2, 3), self.value * index, np.float32), {"size": 10 + index}


def test_the_skeleton_collects_every_bad_file_with_its_reason():
    with pytest.raises(DataError) as caught:
        read(_Toy())
    assert str(caught.value) == (
        "toy: 2 bad files: c: corrupt; e: bad name (move them out of the folder: "
        "`ignet-bench data inspect toy` lists a drawings folder's bad files; in Python, "
        "on_error='skip' leaves them out)"
    )
    with pytest.warns(UserWarning, match="toy: 2 bad files: c: corrupt; e: bad name; they"):
        data = read(_Toy(), on_error="skip")
    assert data.skipped == [("c", "corrupt"), ("e", "bad name")]
    # The usable rows in the table's order, with the decoded column beside the found ones.
    assert data.labels.to_dict("list") == {
        "file": ["a", "b", "d"],
        "group": [0, 0, 1],
        "size": [10, 11, 13],
    }
    assert data.images.shape == (3, 2, 3) and data.images.dtype == np.float32
    assert [float(image.max()) for image in data.images] == [0.0, 0.25, 0.75]


def test_the_skeleton_names_a_too_long_list_by_its_first_fifty():
    class Many(_Toy):
        def find(self):
            names = [f"{i:03d}" for i in range(60)]
            return pd.DataFrame({"file": names, "group": range(60)}), []

    with pytest.raises(
        BenchError, match=r"^toy: 59 bad files: 001: corrupt; .*; 050: corrupt; and 9 more \("
    ):
        read(Many(bad_decode=tuple(f"{i:03d}" for i in range(1, 60))))


def test_an_image_that_breaks_the_datasets_promise_is_named():
    with pytest.raises(BenchError, match=r"d: decoded to values outside \[0, 1\]"):
        read(_Toy(bad_decode=(), value=0.5))  # 0.5 x 3 = 1.5 for the fourth file

    class WrongShape(_Toy):
        def decode(self, index, name):
            return np.zeros((3, 2), np.float32), {}

    with pytest.raises(BenchError, match=r"a: decoded to float32 \(3, 2\), not float32 \(2, 3\)"):
        read(WrongShape())


def test_no_usable_image_and_a_bad_on_error_are_errors():
    class Nothing(_Toy):
        def decode(self, index, name):
            return "corrupt"

    with warnings.catch_warnings(), pytest.raises(BenchError, match="toy: no usable images"):
        warnings.simplefilter("ignore")
        read(Nothing(), on_error="skip")
    with pytest.raises(BenchError, match="on_error must be 'raise' or 'skip', not 'ignore'"):
        read(_Toy(), on_error="ignore")  # type: ignore[arg-type]


def test_sources_read_each_dataset_and_name_the_choices(small_folder):
    drawings = load.__wrapped__("drawings", str(small_folder), (12, 20), False)
    assert drawings.images.shape == (9, 20, 12)
    # The digits come at their own size whatever size is asked.
    assert load("digits", "ignored", (36, 58), False).images.shape == (1797, 8, 8)
    assert native_size("digits") == (8, 8) and native_size("drawings") is None
    with pytest.raises(BenchError, match="dataset must be drawings, faces or digits, not 'x'"):
        load("x", str(small_folder), (12, 20), False)
    with pytest.raises(BenchError, match=r"crop_faces .* faces only, not to drawings"):
        load("drawings", str(small_folder), (12, 20), False, True)


def test_the_default_folder_is_generated_once_and_shipped_data_needs_none(tmp_path, monkeypatch):
    made: list[tuple[Path, int]] = []

    def fake(folder: Path, seed: int, progress: bool) -> None:
        made.append((folder, seed))
        folder.mkdir(parents=True)
        (folder / "x.jpeg").write_bytes(b"")
        (folder / "SYNTHETIC.txt").write_text("made here\n")

    drawings = dataclasses.replace(SOURCES["drawings"], generate=fake)
    monkeypatch.setitem(SOURCES, "drawings", drawings)
    assert default_folder(tmp_path, 3) == tmp_path / "data" / "drawings"
    assert default_folder(tmp_path, 3) == tmp_path / "data" / "drawings"
    # Written beside its place and moved there whole; the second call found it.
    assert made == [(tmp_path / "data" / "drawings.partial", 3)]
    assert default_folder(tmp_path, 3, "digits") == Path(DIGITS_SOURCE)
    assert not (tmp_path / "data" / "digits").exists()

    folders, labels = data_folders(["digits", "drawings", "digits"], tmp_path, 3, {"faces": None})
    assert folders == {"drawings": tmp_path / "data" / "drawings", "digits": Path(DIGITS_SOURCE)}
    assert labels == [
        f"drawings: {tmp_path / 'data' / 'drawings'} (synthetic, seed 3; "
        "docs/synthetic-drawings.md)",
        "digits: scikit-learn's 1,797 handwritten digits (real images)",
    ]
    folders, labels = data_folders(["drawings"], tmp_path, 3, {"drawings": "/real/stirling"})
    assert folders == {"drawings": Path("/real/stirling")} and labels == [
        "drawings: /real/stirling"
    ]


def test_inspecting_a_folder_lists_its_bad_files_and_saves_the_grid(small_folder, tmp_path):
    (small_folder / "not-a-drawing.jpeg").write_bytes(b"")
    summary, figure = inspect_folder(small_folder)
    assert figure is None
    assert summary.splitlines()[0] == f"9 drawings by 4 children in {small_folder}"
    assert "bad files (1):" in summary and "  not-a-drawing.jpeg: bad name" in summary
    summary, figure = inspect_folder(small_folder, tmp_path / "grid.png")
    assert figure == tmp_path / "grid.png" and figure.stat().st_size > 0


def test_a_dataset_holds_float32_images_only():
    labels = pd.DataFrame({"file": ["a", "b"], "group": [0, 1]})
    with pytest.raises(ValueError, match=r"float32 of shape .* not float64 \(2, 3, 3\)"):
        Dataset(images=np.zeros((2, 3, 3)), labels=labels)
    with pytest.raises(ValueError, match=r"not float32 \(2, 9\)"):
        Dataset(images=np.zeros((2, 9), np.float32), labels=labels)
    with pytest.raises(ValueError, match="2 images, 1 rows"):
        Dataset(images=np.zeros((2, 3, 3), np.float32), labels=labels.head(1))


def test_a_folder_of_badly_named_drawings_lists_them_all(tmp_path):
    for name in ("scan-1.jpeg", "scan-2.png"):
        (tmp_path / name).write_bytes(b"")
    with pytest.raises(BenchError, match=r"2 bad files: scan-1.jpeg: bad name: .*; scan-2.png"):
        load_drawings(tmp_path)
    with warnings.catch_warnings(), pytest.raises(BenchError, match="no usable images"):
        warnings.simplefilter("ignore")
        load_drawings(tmp_path, on_error="skip")


def test_the_bad_file_warning_points_at_the_loaders_caller(small_folder):
    (small_folder / "scan.jpeg").write_bytes(b"")
    with pytest.warns(UserWarning, match="scan.jpeg: bad name") as caught:
        load_drawings(small_folder, on_error="skip")
    assert [warning.filename for warning in caught] == [__file__]
