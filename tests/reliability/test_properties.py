"""Property tests: any file name either parses into valid labels or raises BenchError; any
bytes in a results file are either records or reported as corrupt with their line."""

from __future__ import annotations

import json
import string

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bench.data.stirling import (
    AGE_CATEGORIES,
    AUTHORS,
    SUBJECTS,
    DrawingLabels,
    format_filename,
    parse_filename,
)
from bench.errors import BenchError
from bench.results import JOB_FIELDS, ResultsStore, job_id

# Names near the scheme find more than random text: pieces of valid names, digits of
# every script, separators.
_PIECES = st.sampled_from(
    [*AGE_CATEGORIES, *SUBJECTS, *AUTHORS, "-", ".", "jpeg", ".JPG", ".png", "12", "0",
     "\u00b2", "\u0661", "\u0663", "11", "99", " ", "/", "\x00", "İ", "ß"]
)  # fmt: skip
_NAMES = st.one_of(st.text(), st.lists(_PIECES, max_size=12).map("".join))


@given(_NAMES)
@example("p3-²w-6.7f.jpeg")  # a digit Python's isdigit accepts and int() refuses
@example("p3-67w-².7f.jpeg")
@example("p3-\u0663w-6.7f.jpeg")  # an Arabic-Indic digit
@settings(max_examples=400, deadline=None)
def test_any_name_parses_into_valid_labels_or_raises_bench_error(name):
    try:
        labels = parse_filename(name)
    except BenchError as error:
        assert str(error)
        return
    assert labels.age_category in AGE_CATEGORIES
    assert labels.subject in SUBJECTS and labels.author in AUTHORS
    assert labels.child_id >= 0 and labels.age_months >= 0
    assert labels.who_is_drawn in ("female", "male")
    assert parse_filename(format_filename(labels)) == labels


@given(
    st.builds(
        DrawingLabels,
        age_category=st.sampled_from(AGE_CATEGORIES),
        child_id=st.integers(0, 10**6),
        subject=st.sampled_from(sorted(SUBJECTS)),
        age_months=st.integers(0, 12 * 30),
        author=st.sampled_from(sorted(AUTHORS)),
    ),
    st.sampled_from(["jpeg", "JPG", "png"]),
)
def test_every_label_set_round_trips_through_its_file_name(labels, suffix):
    assert parse_filename(format_filename(labels, suffix)) == labels


def _record(fold: int) -> bytes:
    job = {**dict.fromkeys(JOB_FIELDS, "x"), "fold": fold, "seed": 0}
    return json.dumps({**job, "job_id": job_id(job)}).encode()


_LINES = st.one_of(
    st.binary(max_size=40),
    st.builds(_record, st.integers(0, 3)),
    st.builds(lambda r, cut: r[:cut], st.builds(_record, st.integers(0, 3)), st.integers(0, 60)),
    st.sampled_from([b"[]", b"null", b'{"job_id": 1}', b"{}", b"\xff\xfe", b"[" * 5000]),
)


@given(st.lists(_LINES, max_size=8))
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_bytes_are_records_or_reported_with_their_line(tmp_path, lines):
    path = tmp_path / "results.jsonl"
    path.write_bytes(b"\n".join(lines))
    store = ResultsStore(tmp_path)
    kept = store.records()
    numbers = [
        line for line, content in enumerate(path.read_bytes().split(b"\n"), 1) if content.strip()
    ]
    reported = {problem.line for problem in store.problems}
    # Every non-blank line is a kept record or reported, never both, never lost.
    assert len(kept) + len(reported) == len(numbers)
    assert reported <= set(numbers)
    assert len({record["job_id"] for record in kept}) == len(kept)
    for problem in store.problems:
        assert problem.file == "results.jsonl" and problem.kind in ("corrupt", "duplicate")
        if problem.kind == "duplicate":
            assert json.loads(lines_at(path, problem.line))["job_id"] in {r["job_id"] for r in kept}


def lines_at(path, number: int) -> bytes:
    return path.read_bytes().split(b"\n")[number - 1]


def test_printable_noise_is_reported_line_by_line(tmp_path):
    (tmp_path / "a.jsonl").write_text("\n".join([string.printable, "{", "}"]) + "\n")
    store = ResultsStore(tmp_path)
    assert store.records() == []
    # string.printable ends in "\n\r\x0b\x0c": line 2 is blank, not a record to report.
    assert [p.line for p in store.problems] == [1, 3, 4]
