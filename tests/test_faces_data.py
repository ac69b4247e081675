from __future__ import annotations

import os
import re
import shutil
import warnings
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from bench.data import faces
from bench.data.celeba import (
    ATTRIBUTES,
    CELEBA_ATTRIBUTES,
    PARTITIONS,
    default_partitions,
    read_attributes,
    read_partitions,
    write_attributes,
    write_partitions,
)
from bench.data.faces import load_faces
from bench.data.synthetic.faces import (
    HAIR_KINDS,
    FaceAttributes,
    generate_faces,
    sample_attributes,
)
from bench.errors import BenchError

HAIR_COLOURS = ["Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair"]
# About CelebA's prevalences, which the generator's model follows.
PREVALENCE = {
    "Eyeglasses": 0.065,
    "Bangs": 0.15,
    "Black_Hair": 0.24,
    "Blond_Hair": 0.15,
    "Brown_Hair": 0.20,
    "Gray_Hair": 0.04,
    "Male": 0.42,
    "Pale_Skin": 0.04,
    "Smiling": 0.48,
    "Young": 0.77,
}


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 small synthetic faces, written once per session; copy before changing."""
    folder = tmp_path_factory.mktemp("faces") / "celeba"
    generate_faces(folder, seed=0, n_images=60, image_size=(89, 109))
    return folder


@pytest.fixture
def folder(generated: Path, tmp_path: Path) -> Path:
    """A private copy of the generated folder, free to damage."""
    return Path(shutil.copytree(generated, tmp_path / "celeba"))


@pytest.fixture(scope="session")
def sampled() -> pd.DataFrame:
    """The labels of the first 2,000 generated faces of seed 0, without drawing them."""
    rows = [sample_attributes(np.random.default_rng([0, index])).labels() for index in range(2000)]
    return pd.DataFrame(rows)


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# --------------------------------------------------------------------------------------
# The generator.
# --------------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(tmp_path):
    a = generate_faces(tmp_path / "a", seed=3, n_images=12, image_size=(64, 78))
    b = generate_faces(tmp_path / "b", seed=3, n_images=12, image_size=(64, 78))
    c = generate_faces(tmp_path / "c", seed=4, n_images=12, image_size=(64, 78))
    first = _files(a)
    assert len(first) == 15  # 12 images, the two label files and the marker
    assert first == _files(b)
    other = _files(c)
    assert first.keys() == other.keys()
    differ = [name for name in first if name.endswith(".jpg") and first[name] != other[name]]
    assert len(differ) == 12


def test_an_image_does_not_depend_on_how_many_are_made(tmp_path):
    few = _files(generate_faces(tmp_path / "few", seed=1, n_images=3, image_size=(64, 78)))
    many = _files(generate_faces(tmp_path / "many", seed=1, n_images=8, image_size=(64, 78)))
    for name in ("000001.jpg", "000002.jpg", "000003.jpg"):
        key = f"img_align_celeba/{name}"
        assert few[key] == many[key]


def test_generated_folder_layout(generated):
    images = sorted(p.name for p in (generated / "img_align_celeba").iterdir())
    assert images == [f"{i:06d}.jpg" for i in range(1, 61)]
    lines = (generated / "list_attr_celeba.txt").read_text().splitlines()
    assert lines[0] == "60"
    assert lines[1].split() == list(ATTRIBUTES)
    assert re.fullmatch(r"000001\.jpg( (-1| 1)){10}", lines[2])
    image = cv2.imread(str(generated / "img_align_celeba" / "000001.jpg"))
    assert image.shape == (109, 89, 3)
    parts = read_partitions(generated / "list_eval_partition.txt")
    assert list(parts) == images
    assert list(parts.values()) == ["train"] * 48 + ["validation"] * 6 + ["test"] * 6


def test_labels_follow_the_attribute_model(generated, sampled):
    table = read_attributes(generated / "list_attr_celeba.txt")
    expected = sampled.head(60).to_numpy()
    assert (table[list(ATTRIBUTES)].to_numpy() == expected).all()


def test_prevalences_are_celeba_like(sampled):
    measured = sampled.mean()
    for name, target in PREVALENCE.items():
        # Four standard errors of a proportion from 2,000 draws, plus the model's own
        # distance from the rounded CelebA figures.
        tolerance = 4 * np.sqrt(target * (1 - target) / len(sampled)) + 0.01
        assert abs(measured[name] - target) < tolerance, (name, measured[name], target)


def test_at_most_one_hair_colour(sampled, generated):
    assert sampled[HAIR_COLOURS].sum(axis=1).max() == 1
    assert (sampled[HAIR_COLOURS].sum(axis=1) == 0).mean() > 0.2  # red, bald or a hat
    table = read_attributes(generated / "list_attr_celeba.txt")
    assert table[HAIR_COLOURS].sum(axis=1).max() <= 1


def test_correlations(sampled):
    young = sampled["Young"] == 1
    male = sampled["Male"] == 1
    assert sampled.loc[young, "Gray_Hair"].mean() < 0.2 * sampled.loc[~young, "Gray_Hair"].mean()
    assert sampled.loc[male, "Bangs"].mean() < 0.4 * sampled.loc[~male, "Bangs"].mean()
    assert sampled.loc[male, "Blond_Hair"].mean() < 0.4 * sampled.loc[~male, "Blond_Hair"].mean()
    assert sampled.loc[male, "Young"].mean() < sampled.loc[~male, "Young"].mean()
    assert sampled.loc[~young, "Eyeglasses"].mean() > sampled.loc[young, "Eyeglasses"].mean()


def test_face_attributes_labels():
    face = FaceAttributes(
        male=True,
        young=False,
        hair="gray",
        bangs=False,
        eyeglasses=True,
        pale_skin=False,
        smiling=True,
    )
    assert face.labels() == {
        "Eyeglasses": 1,
        "Bangs": 0,
        "Black_Hair": 0,
        "Blond_Hair": 0,
        "Brown_Hair": 0,
        "Gray_Hair": 1,
        "Male": 1,
        "Pale_Skin": 0,
        "Smiling": 1,
        "Young": 0,
    }
    assert list(face.labels()) == list(ATTRIBUTES)
    assert set(HAIR_KINDS) >= {"black", "blond", "brown", "gray"}


def test_refuses_a_non_empty_folder_unless_overwriting(tmp_path):
    target = tmp_path / "faces"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    with pytest.raises(BenchError, match="not empty"):
        generate_faces(target, n_images=3, image_size=(64, 78))
    generate_faces(target, n_images=5, image_size=(64, 78), overwrite=True)
    generate_faces(target, n_images=3, image_size=(64, 78), overwrite=True)
    assert (target / "notes.txt").read_text() == "keep me"
    assert len(list((target / "img_align_celeba").iterdir())) == 3
    assert len(load_faces(target)) == 3


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"seed": -1}, "seed"),
        ({"n_images": 0}, "n_images"),
        ({"image_size": (10, 10)}, "image_size"),
        ({"image_size": "big"}, "image_size"),
        ({"jpeg_quality": 0}, "jpeg_quality"),
    ],
)
def test_bad_generator_arguments_name_the_field(tmp_path, options, field):
    with pytest.raises(BenchError, match=field):
        generate_faces(tmp_path / "faces", **options)


# --------------------------------------------------------------------------------------
# The label files.
# --------------------------------------------------------------------------------------


def test_label_files_round_trip(tmp_path):
    table = pd.DataFrame(
        {"file": ["000001.jpg", "000002.jpg"], "Smiling": [1, 0], "Bangs": [True, False]}
    )
    write_attributes(tmp_path / "attr.txt", table)
    back = read_attributes(tmp_path / "attr.txt", ["Smiling", "Bangs"])
    assert back.to_dict("list") == {
        "file": ["000001.jpg", "000002.jpg"],
        "Smiling": [1, 0],
        "Bangs": [1, 0],
    }
    parts = {"000001.jpg": "train", "000002.jpg": "test"}
    write_partitions(tmp_path / "parts.txt", parts)
    assert (tmp_path / "parts.txt").read_text() == "000001.jpg 0\n000002.jpg 2\n"
    assert read_partitions(tmp_path / "parts.txt") == parts


def test_default_partitions():
    assert default_partitions(10) == ["train"] * 8 + ["validation", "test"]
    split = default_partitions(2000)
    assert [split.count(p) for p in PARTITIONS] == [1600, 200, 200]
    assert default_partitions(1) == ["train"]


def _real_style_file(path: Path, n: int = 6, seed: int = 0) -> np.ndarray:
    """A 40-attribute file laid out like CelebA's own, with random signs."""
    signs = np.random.default_rng(seed).choice([-1, 1], size=(n, len(CELEBA_ATTRIBUTES)))
    lines = [str(n), " ".join(CELEBA_ATTRIBUTES) + " "]
    lines += [f"{i + 1:06d}.jpg " + " ".join(f"{v:2d}" for v in row) for i, row in enumerate(signs)]
    path.write_text("\r\n".join(lines) + "\r\n")
    return signs


def test_a_real_40_attribute_file_gives_the_ten(tmp_path):
    path = tmp_path / "list_attr_celeba.txt"
    signs = _real_style_file(path)
    table = read_attributes(path)
    assert list(table.columns) == ["file", *ATTRIBUTES]
    assert table["file"].tolist() == [f"{i:06d}.jpg" for i in range(1, 7)]
    columns = [CELEBA_ATTRIBUTES.index(name) for name in ATTRIBUTES]
    assert (table[list(ATTRIBUTES)].to_numpy() == (signs[:, columns] > 0)).all()
    assert table["Smiling"].dtype.kind == "i"


def test_loader_reads_a_real_40_attribute_folder(folder):
    signs = _real_style_file(folder / "list_attr_celeba.txt", n=60, seed=5)
    data = load_faces(folder, attributes=["Wavy_Hair", "Young"])
    assert list(data.labels.columns) == ["file", "group", "partition", "Wavy_Hair", "Young"]
    wavy = CELEBA_ATTRIBUTES.index("Wavy_Hair")
    assert data.labels["Wavy_Hair"].tolist() == (signs[:, wavy] > 0).astype(int).tolist()


def _attribute_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "list_attr_celeba.txt"
    path.write_text(body)
    return path


GOOD_HEADER = "2\n" + " ".join(ATTRIBUTES) + "\n"
ROW = "000001.jpg " + " ".join(["-1"] * 10) + "\n"


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        (GOOD_HEADER + ROW + "000002.jpg 1 -1\n", 4, "2 value(s), expected 10"),
        (GOOD_HEADER + ROW + "000002.jpg " + " ".join(["1"] * 9 + ["2"]), 4, "'2' for Young"),
        (GOOD_HEADER + ROW + "000002.jpg " + " ".join(["1"] * 9 + ["0"]), 4, "expected 1 or -1"),
        ("2\n" + " ".join(ATTRIBUTES[1:]) + "\n" + ROW, 2, "no attribute(s) Eyeglasses"),
        (GOOD_HEADER + ROW, 1, "says 2 images but 1 are listed"),
        ("two\n" + " ".join(ATTRIBUTES) + "\n", 1, "number of images"),
        ("", 1, "number of images"),
        ("1\n", 2, "attribute names"),
        (GOOD_HEADER + ROW + ROW, 4, "listed twice (first on line 3)"),
        ("0\nBangs Bangs " + " ".join(ATTRIBUTES) + "\n", 2, "named twice: Bangs"),
    ],
)
def test_malformed_attribute_files_name_file_and_line(tmp_path, body, line, words):
    path = _attribute_file(tmp_path, body)
    with pytest.raises(BenchError) as caught:
        read_attributes(path)
    message = str(caught.value)
    assert message.startswith(f"{path}, line {line}: ")
    assert words in message


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("000001.jpg 0\n000002.jpg 3\n", 2, "partition code '3'"),
        ("000001.jpg 0\n000001.jpg 1\n", 2, "listed twice"),
        ("000001.jpg\n", 1, "a file name and a partition code"),
    ],
)
def test_malformed_partition_files_name_file_and_line(tmp_path, body, line, words):
    path = tmp_path / "list_eval_partition.txt"
    path.write_text(body)
    with pytest.raises(BenchError) as caught:
        read_partitions(path)
    assert str(caught.value).startswith(f"{path}, line {line}: ")
    assert words in str(caught.value)


def test_a_malformed_file_fails_the_loader(folder):
    path = folder / "list_attr_celeba.txt"
    lines = path.read_text().splitlines()
    lines[7] = lines[7].replace("-1", "2", 1) if "-1" in lines[7] else lines[7].replace("1", "2")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(BenchError, match=r"list_attr_celeba\.txt, line 8: "):
        load_faces(folder)


# --------------------------------------------------------------------------------------
# The loader.
# --------------------------------------------------------------------------------------


def test_loads_a_generated_folder(generated):
    data = load_faces(generated)
    assert data.images.shape == (60, 64, 64)
    assert data.images.dtype == np.float32
    assert 0.0 <= data.images.min() and data.images.max() <= 1.0
    assert data.images.std() > 0.05
    assert list(data.labels.columns) == ["file", "group", "partition", *ATTRIBUTES]
    assert data.labels["file"].tolist() == [f"{i:06d}.jpg" for i in range(1, 61)]
    assert data.labels["group"].tolist() == [f"{i:06d}" for i in range(1, 61)]
    assert data.labels["partition"].value_counts().to_dict() == {
        "train": 48,
        "validation": 6,
        "test": 6,
    }
    for name in ATTRIBUTES:
        assert data.labels[name].dtype.kind == "i"
        assert set(data.labels[name]) <= {0, 1}
    table = read_attributes(generated / "list_attr_celeba.txt")
    assert (data.labels[list(ATTRIBUTES)].to_numpy() == table[list(ATTRIBUTES)].to_numpy()).all()
    assert data.source == generated
    assert data.skipped == []
    assert len(data.groups) == 60


def test_color_and_size(generated):
    data = load_faces(generated, size=(32, 40), color=True, limit=5)
    assert data.images.shape == (5, 40, 32, 3)
    gray = load_faces(generated, size=(32, 40), limit=5)
    assert gray.images.shape == (5, 40, 32)


def test_color_is_rgb(tmp_path):
    root = tmp_path / "celeba"
    (root / "img_align_celeba").mkdir(parents=True)
    red = np.zeros((30, 20, 3), np.uint8)
    red[:, :, 2] = 255  # BGR on disk
    cv2.imwrite(str(root / "img_align_celeba" / "000001.jpg"), red)
    write_attributes(
        root / "list_attr_celeba.txt",
        pd.DataFrame({"file": ["000001.jpg"], **{name: [0] for name in ATTRIBUTES}}),
    )
    data = load_faces(root, size=(10, 15), color=True)
    pixel = data.images[0].mean(axis=(0, 1))
    assert pixel[0] > 0.9 and pixel[2] < 0.1
    # Without a partition file the split follows file order; one image is train.
    assert data.labels["partition"].tolist() == ["train"]


def test_attribute_subset_in_the_given_order(generated):
    data = load_faces(generated, attributes=("Smiling", "Male"))
    assert list(data.labels.columns) == ["file", "group", "partition", "Smiling", "Male"]
    full = load_faces(generated)
    assert data.labels["Male"].tolist() == full.labels["Male"].tolist()


def test_unknown_attributes_are_named(generated):
    with pytest.raises(BenchError, match=r"line 2: no attribute\(s\) Smilling, Hat"):
        load_faces(generated, attributes=["Smilling", "Male", "Hat"])
    with pytest.raises(BenchError, match="attributes"):
        load_faces(generated, attributes="Male")
    with pytest.raises(BenchError, match="named twice"):
        load_faces(generated, attributes=["Male", "Male"])


def test_partitions_and_limit(generated):
    test = load_faces(generated, partitions=["test"])
    assert test.labels["file"].tolist() == [f"{i:06d}.jpg" for i in range(55, 61)]
    assert set(test.labels["partition"]) == {"test"}
    some = load_faces(generated, partitions=("train", "validation"), limit=50)
    assert len(some) == 50
    assert some.labels["partition"].tolist() == ["train"] * 48 + ["validation"] * 2


def test_an_empty_partition_is_an_error(folder):
    path = folder / "list_eval_partition.txt"
    path.write_text(path.read_text().replace(" 2\n", " 1\n"))
    with pytest.raises(BenchError, match=r"no images listed in partition\(s\) test"):
        load_faces(folder, partitions="test")


def test_without_a_partition_file_the_split_follows_file_order(folder):
    (folder / "list_eval_partition.txt").unlink()
    data = load_faces(folder)
    assert data.labels["partition"].tolist() == default_partitions(60)


def test_an_image_missing_from_the_partition_file_is_bad(folder):
    path = folder / "list_eval_partition.txt"
    path.write_text("".join(path.read_text().splitlines(keepends=True)[1:]))
    with pytest.raises(BenchError, match=r"000001\.jpg: not in list_eval_partition\.txt"):
        load_faces(folder)


@pytest.fixture
def planted(folder: Path) -> Path:
    """The copied folder with one bad image of every kind."""
    images = folder / "img_align_celeba"
    (images / "000003.jpg").write_bytes(os.urandom(1500))  # corrupt
    (images / "000005.jpg").write_bytes(b"")  # empty
    whole = (images / "000007.jpg").read_bytes()
    (images / "000007.jpg").write_bytes(whole[: len(whole) // 2])  # truncated
    (images / "000009.jpg").unlink()  # listed but missing
    return folder


BAD = {
    "000003.jpg": "corrupt",
    "000005.jpg": "empty file",
    "000007.jpg": "truncated",
    "000009.jpg": "missing (listed in list_attr_celeba.txt)",
}


def test_bad_images_fail_together_by_default(planted):
    with pytest.raises(BenchError) as caught:
        load_faces(planted)
    message = str(caught.value)
    assert "4 bad files" in message
    for name, reason in BAD.items():
        assert reason in message.split(f"{name}: ", 1)[1].split(";")[0]
    assert "on_error='skip'" in message


def test_bad_images_can_be_skipped(planted):
    with pytest.warns(UserWarning, match="4 bad files") as caught:
        data = load_faces(planted, on_error="skip")
    assert all(name in str(caught[0].message) for name in BAD)
    assert len(data) == 56
    assert data.images.shape == (56, 64, 64)
    assert {name for name, _ in data.skipped} == set(BAD)
    assert not set(data.labels["file"]) & set(BAD)


def test_skipped_rows_keep_their_labels_aligned(planted, generated):
    with pytest.warns(UserWarning):
        data = load_faces(planted, on_error="skip")
    reference = load_faces(generated).labels.set_index("file")
    kept = data.labels.set_index("file")
    assert (kept == reference.loc[kept.index]).all().all()
    clean = load_faces(generated)
    rows = [i for i, name in enumerate(clean.labels["file"]) if name not in BAD]
    assert np.array_equal(clean.images[rows], data.images)


def test_a_long_list_of_bad_files_is_shortened(folder):
    for path in (folder / "img_align_celeba").iterdir():
        if path.name != "000060.jpg":
            path.unlink()
    with pytest.raises(BenchError) as caught:
        load_faces(folder)
    message = str(caught.value)
    assert "59 bad files" in message and "; and 9 more" in message
    with pytest.warns(UserWarning):
        data = load_faces(folder, on_error="skip")
    assert len(data) == 1 and len(data.skipped) == 59


def test_missing_folder_files_and_images(tmp_path, folder):
    with pytest.raises(BenchError, match="does not exist"):
        load_faces(tmp_path / "nowhere")
    (tmp_path / "file").write_text("x")
    with pytest.raises(BenchError, match="not a folder"):
        load_faces(tmp_path / "file")
    shutil.rmtree(folder / "img_align_celeba")
    with pytest.raises(BenchError, match="no img_align_celeba folder"):
        load_faces(folder)
    (folder / "list_attr_celeba.txt").unlink()
    with pytest.raises(BenchError, match=r"no list_attr_celeba\.txt"):
        load_faces(folder)


def test_a_folder_of_only_bad_images_is_an_error_even_when_skipping(folder):
    shutil.rmtree(folder / "img_align_celeba")
    (folder / "img_align_celeba").mkdir()
    with pytest.warns(UserWarning), pytest.raises(BenchError, match="no usable images"):
        load_faces(folder, on_error="skip")


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"size": (0, 5)}, "size"),
        ({"on_error": "ignore"}, "on_error"),
        ({"partitions": ["train", "dev"]}, "partitions"),
        ({"partitions": []}, "partitions"),
        ({"limit": 0}, "limit"),
        ({"limit": 2.5}, "limit"),
    ],
)
def test_bad_options_name_the_field(generated, options, field):
    with pytest.raises(BenchError, match=field):
        load_faces(generated, **options)


# --------------------------------------------------------------------------------------
# Face cropping.
# --------------------------------------------------------------------------------------


class _FakeDetector:
    """Finds a face box in the middle of every other image it is shown."""

    calls = 0

    def detectMultiScale(self, gray, **options):
        _FakeDetector.calls += 1
        h, w = gray.shape
        if _FakeDetector.calls % 2:
            return ()
        return np.array([[w // 4, h // 3, w // 2, w // 2], [0, 0, 10, 10]])


def test_crop_faces_returns_the_requested_size(generated, monkeypatch):
    monkeypatch.setattr(faces, "_haar_detector", _FakeDetector)
    with pytest.warns(UserWarning, match=r"no face in \d+ of 20 images"):
        data = load_faces(generated, size=(24, 30), color=True, crop_faces=True, limit=20)
    assert data.images.shape == (20, 30, 24, 3)
    assert data.images.dtype == np.float32
    whole = load_faces(generated, size=(24, 30), color=True, limit=20)
    assert not np.array_equal(whole.images, data.images)


def test_a_run_crops_the_faces_when_it_asks(generated, monkeypatch):
    from bench.data.sources import load as cached

    monkeypatch.setattr(faces, "_haar_detector", _FakeDetector)
    load = cached.__wrapped__  # not the cache: each call reads the folder
    with pytest.warns(UserWarning, match="no face"):
        cropped = load("faces", str(generated), (24, 30), False, True)
    whole = load("faces", str(generated), (24, 30), False, False)
    assert cropped.images.shape == whole.images.shape == (60, 30, 24)
    assert not np.array_equal(cropped.images, whole.images)
    assert cropped.labels.equals(whole.labels)
    with pytest.raises(BenchError, match="crop_faces"):
        load("drawings", str(generated), (24, 30), False, True)


class _DarkSquareDetector:
    """Finds the dark square of the image it is shown, in that image's own pixels."""

    def detectMultiScale(self, gray, **options):
        rows, cols = np.nonzero(gray < 128)
        return np.array([[cols.min(), rows.min(), np.ptp(cols) + 1, np.ptp(rows) + 1]])


def test_the_face_found_on_the_small_copy_is_cut_from_the_whole_image(tmp_path):
    # A 178x218 picture with a dark 60x60 "face" off centre: the search sees it at a
    # smaller scale, and the crop (the box plus a quarter on every side) must land on it.
    image = np.full((218, 178), 255, np.uint8)
    image[130:190, 100:160] = 0
    path = tmp_path / "face.png"
    cv2.imwrite(str(path), image)
    out, found = faces._read_cropped(path, (30, 30), False, _DarkSquareDetector())
    assert found is True
    assert out.shape == (30, 30) and out.dtype == np.float32
    # 60 + 2 x 15 = 90 pixels cut, the square in its middle 60: rows and columns 5 to 24.
    assert out[7:23, 7:23].max() < 0.1
    assert out[:3].min() > 0.9 and out[-3:].min() > 0.9
    assert out[:, :3].min() > 0.9 and out[:, -3:].min() > 0.9


def test_crop_box_keeps_the_aspect_ratio_inside_the_image():
    image = np.zeros((218, 178), np.uint8)
    crop = faces._crop_box(image, (60, 80, 60, 60), (64, 64))
    assert crop.shape == (90, 90)
    tall = faces._crop_box(image, (0, 0, 60, 60), (50, 100))
    assert tall.shape == (180, 90)
    huge = faces._crop_box(image, (0, 0, 178, 218), (64, 64))
    assert huge.shape == (218, 178)


def test_crop_faces_without_a_cascade_is_a_clear_error(generated, monkeypatch):
    monkeypatch.setattr(faces, "HAAR_CASCADE", "no_such_cascade.xml")
    with pytest.raises(BenchError, match="crop_faces"):
        load_faces(generated, crop_faces=True)


def _has_haar() -> bool:
    try:
        faces._haar_detector()
    except BenchError:
        return False
    return True


@pytest.mark.skipif(not _has_haar(), reason="this OpenCV ships no Haar cascade (OpenCV 5)")
def test_crop_faces_with_the_haar_cascade(tmp_path):
    folder = generate_faces(tmp_path / "celeba", seed=2, n_images=40)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_faces(folder, size=(48, 48), crop_faces=True)
    assert data.images.shape == (40, 48, 48)
    missed = [str(w.message) for w in caught if "no face" in str(w.message)]
    # The cascade finds most of the drawn faces; the rest are used whole.
    assert not missed or int(re.search(r"no face in (\d+)", missed[0]).group(1)) < 20
