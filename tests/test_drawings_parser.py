from __future__ import annotations

import pytest

from bench.data import DrawingLabels, parse_filename
from bench.data.stirling import AUTHORS, DRAWN, format_age, format_filename
from bench.errors import BenchError


def test_paper_examples():
    assert parse_filename("p3-67w-6.7f.jpeg") == DrawingLabels("p3", 67, "w", 6 * 12 + 7, "f")
    assert parse_filename("nu-21s-4.5m.jpeg") == DrawingLabels("nu", 21, "s", 53, "m")


def test_paper_decoding_of_who_is_drawn():
    # Section 2.1: p3-67w-6.7f is "author a girl, who is drawn a female"; nu-21s-4.5m is
    # "author a boy, self-portrait, who is drawn a male".
    girl = parse_filename("p3-67w-6.7f.jpeg")
    assert (AUTHORS[girl.author], girl.who_is_drawn, girl.self_portrait) == (
        "girl",
        "female",
        False,
    )
    boy = parse_filename("nu-21s-4.5m.jpeg")
    assert (AUTHORS[boy.author], boy.who_is_drawn, boy.self_portrait) == ("boy", "male", True)
    assert boy.row() == {
        "age_category": "nu",
        "child_id": 21,
        "subject": "s",
        "age_months": 53,
        "author": "m",
        "who_is_drawn": "male",
        "self_portrait": True,
    }


@pytest.mark.parametrize(
    ("age", "months"),
    [("10.11", 131), ("4.10", 58), ("10.10", 130), ("11.1", 133), ("6.0", 72), ("9.09", 117)],
)
def test_months_are_years_and_months(age, months):
    assert parse_filename(f"p5-3m-{age}f.jpeg").age_months == months


@pytest.mark.parametrize(
    ("subject", "author", "drawn"),
    [
        ("m", "f", "male"),
        ("m", "m", "male"),
        ("w", "f", "female"),
        ("w", "m", "female"),
        ("s", "f", "female"),
        ("s", "m", "male"),
    ],
)
def test_every_subject_and_author(subject, author, drawn):
    labels = parse_filename(f"p2-12{subject}-6.3{author}.jpg")
    assert (labels.subject, labels.author) == (subject, author)
    # Who is drawn has two values; a self-portrait is flagged apart from it.
    assert labels.who_is_drawn == drawn
    assert labels.who_is_drawn in DRAWN
    assert labels.self_portrait == (subject == "s")


@pytest.mark.parametrize("suffix", [".jpeg", ".jpg", ".png", ".JPEG", ".JPG", ".PNG", ".Jpg"])
def test_suffixes_in_any_case(suffix):
    assert parse_filename(f"p1-5w-5.2m{suffix}").child_id == 5


def test_reads_only_the_last_path_component(tmp_path):
    assert parse_filename(tmp_path / "nu-1w-3.11f.png").age_months == 47


@pytest.mark.parametrize(
    ("name", "complaint"),
    [
        ("p3-67w-6.7f.gif", "not an image name"),
        ("p3-67w-6.7f", "not an image name"),
        ("p3-67-6.7f.jpeg", "subject"),
        ("p3-67x-6.7f.jpeg", "subject"),
        ("p3-67w-6.12f.jpeg", "12 months"),
        ("p3-67w-6.75f.jpeg", "75 months"),
        ("p3-67w-6.7.jpeg", "author"),
        ("p3-67w-6.7x.jpeg", "author"),
        ("p8-67w-6.7f.jpeg", "age category"),
        ("xx-67w-6.7f.jpeg", "age category"),
        ("p3-abw-6.7f.jpeg", "child id"),
        ("p3-67w-six.7f.jpeg", "YEARS.MONTHS"),
        ("p3_67w_6.7f.jpeg", "does not match"),
        ("drawing.jpeg", "does not match"),
    ],
)
def test_malformed_names_say_what_is_wrong(name, complaint):
    with pytest.raises(BenchError) as caught:
        parse_filename(name)
    assert name in str(caught.value)
    assert complaint in str(caught.value)


@pytest.mark.parametrize("months", [36, 58, 79, 131, 149])
def test_format_round_trips(months):
    labels = DrawingLabels("p4", 12, "s", months, "f")
    name = format_filename(labels)
    assert parse_filename(name) == labels
    assert name.split("-")[2].startswith(format_age(months))


def test_format_rejects_bad_labels():
    with pytest.raises(BenchError, match="age_category"):
        format_filename(DrawingLabels("p9", 1, "m", 60, "f"))
    with pytest.raises(BenchError, match="author"):
        format_filename(DrawingLabels("p1", 1, "m", 60, "x"))
