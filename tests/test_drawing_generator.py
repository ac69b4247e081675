"""Tests of the synthetic children's-drawings generator."""

from __future__ import annotations

import itertools
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
import pytest

from bench.data.stirling import AGE_CATEGORIES, SUBJECTS, format_age, parse_filename
from bench.data.synthetic import drawings as generator
from bench.data.synthetic.drawings import AGE_CATEGORY_MONTHS, generate_drawings, plan_collection
from bench.errors import BenchError

SMALL = (120, 160)


@pytest.fixture(scope="module")
def small_collection(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("small") / "drawings"
    return generate_drawings(folder, seed=5, n_drawings=60, image_size=SMALL)


def test_age_table_is_ordered_and_overlapping() -> None:
    assert tuple(AGE_CATEGORY_MONTHS) == AGE_CATEGORIES
    ranges = list(AGE_CATEGORY_MONTHS.values())
    for (lo, hi), (next_lo, next_hi) in itertools.pairwise(ranges):
        assert lo < hi
        assert lo < next_lo and hi < next_hi
        # Neighbouring school years overlap, but by no more than a year.
        assert next_lo <= hi < next_lo + 12


def test_format_age_uses_months_not_decimals() -> None:
    assert format_age(131) == "10.11"
    assert format_age(79) == "6.7"
    assert format_age(48) == "4.0"


def test_names_follow_the_scheme_and_the_table(small_collection: list[Path]) -> None:
    assert len(small_collection) == 60
    for path in small_collection:
        assert path.exists()
        assert path.suffix == ".jpeg"
        labels = parse_filename(path.name)
        category, _, subject, age, author = labels
        assert category in AGE_CATEGORIES
        assert subject in SUBJECTS
        assert author in ("f", "m")
        lo, hi = AGE_CATEGORY_MONTHS[category]
        assert lo <= age <= hi, path.name
        if labels.self_portrait:
            assert labels.who_is_drawn == {"f": "female", "m": "male"}[author], path.name


def test_a_self_portrait_is_drawn_as_a_person_of_the_authors_sex(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every figure past the scribble stage gets a face drawn as female or male; record
    # which, per drawing, and compare with the drawing's decoded name.
    drawn: dict[tuple[int, str], set[bool]] = defaultdict(set)
    current: list[tuple[int, str]] = []
    render, face = generator._render, generator._face

    def spy_render(child, style, subject, *args):
        current[:] = [(child.child_id, subject)]
        return render(child, style, subject, *args)

    def spy_face(pen, cx, cy, r, s, female, style):
        drawn[current[0]].add(female)
        return face(pen, cx, cy, r, s, female, style)

    monkeypatch.setattr(generator, "_render", spy_render)
    monkeypatch.setattr(generator, "_face", spy_face)
    paths = generate_drawings(tmp_path / "d", seed=2, n_drawings=60, image_size=SMALL)
    seen = set()
    for path in paths:
        labels = parse_filename(path.name)
        faces = drawn.get((labels.child_id, labels.subject), set())
        assert faces <= {labels.who_is_drawn == "female"}, path.name
        if faces:
            seen.add((labels.self_portrait, labels.author))
    # Faces were drawn in self-portraits of girls and of boys, and in other drawings.
    assert {(True, "f"), (True, "m")} < seen


def test_children_are_consistent(small_collection: list[Path]) -> None:
    by_child: dict[int, list[tuple[str, int, str, int, str]]] = defaultdict(list)
    for path in small_collection:
        labels = parse_filename(path.name)
        by_child[labels[1]].append(labels)
    for child, drawings in by_child.items():
        assert len(drawings) <= 3, child
        subjects = [d[2] for d in drawings]
        assert len(set(subjects)) == len(subjects), child
        # Same child: same category, age and author in every drawing.
        assert len({(d[0], d[3], d[4]) for d in drawings}) == 1, child


def test_images_have_the_requested_size(small_collection: list[Path]) -> None:
    width, height = SMALL
    for path in small_collection:
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        assert image is not None
        assert image.shape[:2] == (height, width)
        # Mostly light paper with darker strokes on it.
        assert np.median(image) > 200
        assert image.min() < np.median(image) - 40


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    first = generate_drawings(tmp_path / "a", seed=11, n_drawings=9, image_size=SMALL)
    second = generate_drawings(tmp_path / "b", seed=11, n_drawings=9, image_size=SMALL)
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()


def test_different_seeds_differ(tmp_path: Path) -> None:
    first = generate_drawings(tmp_path / "a", seed=1, n_drawings=9, image_size=SMALL)
    second = generate_drawings(tmp_path / "b", seed=2, n_drawings=9, image_size=SMALL)
    assert [p.name for p in first] != [p.name for p in second]
    assert {p.read_bytes() for p in first}.isdisjoint({p.read_bytes() for p in second})


@pytest.mark.parametrize("n_drawings", [1, 2, 338, 1000])
def test_plan_has_exactly_n_drawings(n_drawings: int) -> None:
    children = plan_collection(seed=3, n_drawings=n_drawings)
    assert sum(len(c.subjects) for c in children) == n_drawings
    ids = [c.child_id for c in children]
    assert len(set(ids)) == len(ids)
    for child in children:
        assert 1 <= len(child.subjects) <= 3
        assert len(set(child.subjects)) == len(child.subjects)
        lo, hi = AGE_CATEGORY_MONTHS[child.category]
        assert lo <= child.age_months <= hi


def test_full_size_plan_is_varied() -> None:
    children = plan_collection(seed=0, n_drawings=338)
    assert {c.category for c in children} == set(AGE_CATEGORIES)
    assert {c.sex for c in children} == {"f", "m"}
    # Most children draw all three pictures, some fewer.
    counts = [len(c.subjects) for c in children]
    assert counts.count(3) > len(counts) / 2
    assert min(counts) < 3


def test_older_children_put_more_on_the_page(tmp_path: Path) -> None:
    paths = generate_drawings(tmp_path / "d", seed=0, n_drawings=120, image_size=SMALL)
    ink: dict[str, list[float]] = defaultdict(list)
    for path in paths:
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE).astype(np.float64)
        ink[parse_filename(path.name)[0]].append(float(np.mean(image < np.median(image) - 40)))
    young = np.mean(ink["nu"] + ink["p1"])
    old = np.mean(ink["p6"] + ink["p7"])
    assert old > young


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"n_drawings": 0}, "n_drawings"),
        ({"n_drawings": -3}, "n_drawings"),
        ({"n_drawings": 2.5}, "n_drawings"),
        ({"image_size": (0, 100)}, "image_size"),
        ({"image_size": (100,)}, "image_size"),
        ({"image_size": "600x800"}, "image_size"),
        ({"image_size": (100.0, 200.0)}, "image_size"),
        ({"seed": -1}, "seed"),
        ({"jpeg_quality": 0}, "jpeg_quality"),
    ],
)
def test_bad_arguments_are_named(tmp_path: Path, kwargs: dict, word: str) -> None:
    with pytest.raises(BenchError, match=word):
        generate_drawings(tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_refuses_a_folder_with_images(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "old.png").write_bytes(b"not really a png")
    with pytest.raises(BenchError, match="overwrite"):
        generate_drawings(folder, n_drawings=2, image_size=SMALL)
    assert (folder / "old.png").exists()


def test_overwrite_removes_only_images(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "old.jpg").write_bytes(b"x")
    (folder / "notes.txt").write_text("keep me")
    paths = generate_drawings(folder, n_drawings=3, image_size=SMALL, overwrite=True)
    assert not (folder / "old.jpg").exists()
    assert (folder / "notes.txt").read_text() == "keep me"
    assert sorted(folder.glob("*.jpeg")) == sorted(paths)


def test_folder_with_other_files_is_accepted(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "README").write_text("hello")
    assert len(generate_drawings(folder, n_drawings=2, image_size=SMALL)) == 2


def test_progress_bar_does_not_change_output(tmp_path: Path) -> None:
    quiet = generate_drawings(tmp_path / "a", seed=4, n_drawings=3, image_size=SMALL)
    loud = generate_drawings(tmp_path / "b", seed=4, n_drawings=3, image_size=SMALL, progress=True)
    assert [p.read_bytes() for p in quiet] == [p.read_bytes() for p in loud]


def test_latents_are_written_and_read_back(small_collection: list[Path]) -> None:
    from bench.data.drawings import load_drawings, read_latents

    folder = small_collection[0].parent
    assert (folder / generator.LATENTS_FILE).is_file()
    data = load_drawings(folder, size=(36, 58))
    assert generator.LATENTS_FILE not in set(data.labels["file"])  # the loader ignores it
    latents = read_latents(folder, data.labels["file"].tolist())
    assert len(latents) == len(data.labels) == 60
    assert latents.notna().all().all() and "stage" in latents and "age_months" not in latents
    # The stage follows the age (plus the child's skill), and a child's style is shared.
    months = data.labels["age_months"].to_numpy()
    assert np.corrcoef(latents["stage"], months)[0, 1] > 0.5
    by_child = latents.assign(group=data.labels["group"]).groupby("group")["pressure"].nunique()
    assert (by_child == 1).all()
    assert latents["female_drawn"].tolist() == (data.labels["who_is_drawn"] == "female").tolist()
    # Reading a subset keeps the order asked for.
    names = data.labels["file"].tolist()[::-1][:5]
    np.testing.assert_array_equal(
        read_latents(folder, names)["stage"], latents["stage"].to_numpy()[::-1][:5]
    )


def test_a_folder_without_latents_says_so(tmp_path: Path) -> None:
    from bench.data.drawings import read_latents

    with pytest.raises(BenchError, match="no latent parameters"):
        read_latents(tmp_path, ["nu-1s-4.5m.jpeg"])
