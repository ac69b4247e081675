from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from bench.data import load_drawings
from bench.data.inspection import describe_drawings
from bench.data.targets import CLASS_TARGETS, PAPER_CLASS_COUNTS, encode_target
from bench.errors import BenchError


def test_loads_a_folder(small_folder):
    data = load_drawings(small_folder)
    assert data.images.shape == (9, 58, 36)
    assert data.images.dtype == np.float32
    assert 0.0 <= data.images.min() and data.images.max() <= 1.0
    assert data.images.min() < 0.5 < data.images.max()  # strokes on white paper
    assert list(data.labels["file"]) == sorted(p.name for p in small_folder.iterdir())
    row = data.labels.set_index("file").loc["p7-4s-10.11m.jpeg"]
    assert (row.age_category, row.child_id, row.subject, row.age_months, row.author) == (
        "p7",
        4,
        "s",
        131,
        "m",
    )
    # Section 2.1's decoding: a boy's self-portrait draws a male.
    assert (row.who_is_drawn, row.self_portrait) == ("male", True)
    assert row.group == "p7-4"
    assert (row.width, row.height) == (60, 80)
    assert data.labels["group"].nunique() == 4
    assert data.skipped == []


def test_who_is_drawn_and_self_portrait_columns(small_folder):
    labels = load_drawings(small_folder).labels.set_index("file")
    assert labels["who_is_drawn"].to_dict() == {
        "nu-1s-4.5m.jpeg": "male",
        "nu-1w-4.5m.jpeg": "female",
        "p1-2m-5.10f.jpg": "male",
        "p1-2s-5.10f.JPG": "female",
        "p3-3m-7.11f.jpeg": "male",
        "p3-3w-7.11f.png": "female",
        "p7-4m-10.11m.JPEG": "male",
        "p7-4s-10.11m.jpeg": "male",
        "p7-4w-10.11m.jpeg": "female",
    }
    assert labels.index[labels["self_portrait"]].tolist() == [
        "nu-1s-4.5m.jpeg",
        "p1-2s-5.10f.JPG",
        "p7-4s-10.11m.jpeg",
    ]


def test_inspection_prints_our_class_counts_beside_the_papers(small_folder):
    data = load_drawings(small_folder)
    lines = describe_drawings(data).splitlines()
    assert "who_is_drawn: female 4, male 5" in lines
    start = lines.index("classes per target:")
    assert lines[start + 1].split() == ["target", "ours", "paper"]
    printed = {
        target: (int(ours), paper)
        for target, ours, paper in (
            line.split() for line in lines[start + 2 : start + 2 + len(CLASS_TARGETS)]
        )
    }
    assert list(printed) == list(CLASS_TARGETS)
    for target, (ours, paper) in printed.items():
        assert ours == len(encode_target(data.labels, target)[1]), target
        assert paper == str(PAPER_CLASS_COUNTS.get(target, "-")), target
    # Four factors: nine drawings, but the two drawings of a male by child 4 share a class.
    assert printed["age+who_drew+who_is_drawn+age_category"] == (8, "186")
    assert printed["who_is_drawn"] == (2, "-")
    assert printed["self_portrait"] == (2, "-")


def test_color_and_size(small_folder):
    data = load_drawings(small_folder, size=(20, 30), color=True)
    assert data.images.shape == (9, 30, 20, 3)


def test_ignores_other_files(small_folder):
    (small_folder / "README.txt").write_text("not a drawing")
    (small_folder / ".DS_Store").write_bytes(b"\0")
    (small_folder / "sub.jpeg").mkdir()
    assert len(load_drawings(small_folder)) == 9


@pytest.fixture
def planted(small_folder):
    """The small folder with one bad file of every kind."""
    (small_folder / "p2-9w-6.1f.jpeg").write_bytes(os.urandom(2000))  # corrupt
    (small_folder / "p2-9m-6.1f.jpeg").write_bytes(b"")  # zero bytes
    whole = (small_folder / "p3-3m-7.11f.jpeg").read_bytes()
    (small_folder / "p2-9s-6.1f.jpeg").write_bytes(whole[: len(whole) // 2])  # truncated
    shutil.copy(small_folder / "p3-3m-7.11f.jpeg", small_folder / "p3-3m-7.13f.jpeg")  # bad name
    shutil.copy(small_folder / "p3-3m-7.11f.jpeg", small_folder / "p3-3m-7.11f.png")  # duplicate
    return small_folder


BAD = {
    "p2-9w-6.1f.jpeg": "corrupt",
    "p2-9m-6.1f.jpeg": "empty file",
    "p2-9s-6.1f.jpeg": "truncated",
    "p3-3m-7.13f.jpeg": "13 months",
    "p3-3m-7.11f.png": "duplicate",
}


def test_bad_files_fail_together_by_default(planted):
    with pytest.raises(BenchError) as caught:
        load_drawings(planted)
    message = str(caught.value)
    assert "5 bad files" in message
    for name, reason in BAD.items():
        assert f"{name}: " in message
        assert reason in message.split(f"{name}: ", 1)[1].split(";")[0]


def test_bad_files_can_be_skipped(planted):
    with pytest.warns(UserWarning, match="5 bad files") as caught:
        data = load_drawings(planted, on_error="skip")
    assert all(name in str(caught[0].message) for name in BAD)
    assert len(data) == 9
    assert {name for name, _ in data.skipped} == set(BAD)
    assert not set(data.labels["file"]) & set(BAD)


def test_unreadable_file(small_folder):
    # A dangling link cannot be read, even by root (who ignores file modes).
    (small_folder / "p1-8m-5.10f.jpg").symlink_to(small_folder / "gone.jpg")
    with pytest.raises(BenchError, match=r"p1-8m-5\.10f\.jpg: unreadable"):
        load_drawings(small_folder)


def test_missing_empty_and_imageless_folders(tmp_path):
    with pytest.raises(BenchError, match="does not exist"):
        load_drawings(tmp_path / "nowhere")
    (tmp_path / "file.jpeg").write_bytes(b"x")
    with pytest.raises(BenchError, match="not a folder"):
        load_drawings(tmp_path / "file.jpeg")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BenchError, match="is empty"):
        load_drawings(empty)
    (empty / "notes.txt").write_text("hello")
    with pytest.raises(BenchError, match=r"no \.jpeg, \.jpg or \.png"):
        load_drawings(empty)


def test_a_folder_of_only_bad_files_is_an_error_even_when_skipping(tmp_path):
    (tmp_path / "p1-1w-5.1f.jpeg").write_bytes(b"")
    with pytest.warns(UserWarning), pytest.raises(BenchError, match="no usable images"):
        load_drawings(tmp_path, on_error="skip")


@pytest.mark.parametrize(
    ("options", "field"),
    [({"size": (0, 5)}, "size"), ({"size": "big"}, "size"), ({"on_error": "ignore"}, "on_error")],
)
def test_bad_options_name_the_field(small_folder, options, field):
    with pytest.raises(BenchError, match=field):
        load_drawings(small_folder, **options)


def test_generated_folder_loads(generated_folder):
    data = load_drawings(generated_folder)
    assert len(data) == 338
    assert data.images.shape == (338, 58, 36)
    assert set(data.labels["age_category"]) == {"nu", "p1", "p2", "p3", "p4", "p5", "p6", "p7"}
    assert set(data.labels["subject"]) == {"m", "w", "s"}
    assert set(data.labels["who_is_drawn"]) == {"female", "male"}
    portraits = data.labels[data.labels["self_portrait"]]
    drawn = portraits["author"].map({"f": "female", "m": "male"})
    assert (portraits["who_is_drawn"] == drawn).all()
    assert set(data.labels["author"]) == {"m", "f"}
    # A child's drawings share category, age and sex.
    per_child = data.labels.groupby("group")[["age_months", "author"]].nunique()
    assert (per_child == 1).all().all()
    assert data.labels.groupby("group").size().max() <= 3
