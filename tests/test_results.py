from __future__ import annotations

import json

import numpy as np
import pytest

from bench.errors import BenchError
from bench.results import (
    JOB_FIELDS,
    ResultsStore,
    describe_problems,
    job_id,
    machine_info,
    versions,
)


def _job(fold: int, **extra):
    job = dict.fromkeys(JOB_FIELDS, "x")
    job.update(fold=fold, seed=0, **extra)
    return job


def test_append_and_read_back(tmp_path):
    store = ResultsStore(tmp_path / "results")
    assert store.records() == []
    store.append(
        _job(0, metrics={"test": {"accuracy": np.float32(0.5)}}, curve={"loss": np.arange(3)})
    )
    store.append(_job(1, metrics={"test": {"accuracy": 0.75}}))
    records = store.records()
    assert [r["fold"] for r in records] == [0, 1]
    assert records[0]["metrics"]["test"]["accuracy"] == 0.5
    assert records[0]["curve"] == {"loss": [0, 1, 2]}
    assert store.done() == {job_id(_job(0)), job_id(_job(1))}
    frame = store.frame()
    assert list(frame["metrics.test.accuracy"]) == [0.5, 0.75]


def test_truncated_last_line_is_reported_and_the_job_redone(tmp_path, capsys):
    store = ResultsStore(tmp_path)
    store.append(_job(0))
    store.append(_job(1))
    path = tmp_path / "results.jsonl"
    text = path.read_text()
    path.write_text(text[: len(text) - 20])  # killed in the middle of the second write
    assert store.done() == {job_id(_job(0))}
    store.append(_job(1))
    records = store.records()
    assert [r["fold"] for r in records] == [0, 1]
    assert [str(p) for p in store.problems] == ["results.jsonl:2: truncated or corrupt line"]
    # The partial line stays on its own line, the new record intact after it.
    lines = path.read_text().splitlines()
    assert json.loads(lines[2])["fold"] == 1
    # One line of the suite's own, once, naming the file; no Python warning.
    warned = capsys.readouterr().err.splitlines()
    assert len(warned) == 1
    assert warned[0].startswith("ignet-bench: warning: ")
    assert "1 corrupt line (results.jsonl: 1)" in warned[0]


def test_foreign_lines_are_reported(tmp_path):
    (tmp_path / "other.jsonl").write_text('[1, 2]\n{"a": 1}\n{"job_id": 3}\n')
    store = ResultsStore(tmp_path)
    assert store.records() == []
    assert [(p.line, p.kind) for p in store.problems] == [
        (1, "corrupt"),
        (2, "corrupt"),
        (3, "corrupt"),
    ]


def test_duplicates_count_once_and_are_reported(tmp_path):
    store = ResultsStore(tmp_path)
    for fold in (0, 1, 0, 0):  # two concurrent writers, or a job re-run by hand
        store.append(_job(fold, metrics={"test": {"accuracy": fold}}))
    assert [r["fold"] for r in store.records()] == [0, 1]
    assert len(store.frame()) == 2
    assert [(p.file, p.line, p.kind) for p in store.problems] == [
        ("results.jsonl", 3, "duplicate"),
        ("results.jsonl", 4, "duplicate"),
    ]
    assert "first: results.jsonl:1" in store.problems[0].detail
    assert describe_problems(store.problems) == "2 duplicate records (results.jsonl: 2)"


def test_line_numbers_count_newlines_only(tmp_path):
    store = ResultsStore(tmp_path)
    store.append(_job(0))
    path = tmp_path / "results.jsonl"
    with path.open("ab") as handle:
        handle.write(b"\x00\r\x0c\xff garbage\xe2\x80\xa8\n")
    store.append(_job(1))
    assert store.check() == 2
    assert [(p.line, p.kind) for p in store.problems] == [(2, "corrupt")]


def test_repair_keeps_a_backup_and_leaves_clean_files(tmp_path):
    store = ResultsStore(tmp_path)
    for fold in (0, 1, 1):
        store.append(_job(fold), name="a")
    with (tmp_path / "a.jsonl").open("a") as handle:
        handle.write('{"job_id": "x/y", "cut sho')
    store.append(_job(2), name="b")
    before = (tmp_path / "a.jsonl").read_bytes()
    assert store.check() == 3 and len(store.problems) == 2
    backups = store.repair()
    assert backups == {tmp_path / "a.jsonl": tmp_path / "a.jsonl.bak"}
    assert (tmp_path / "a.jsonl.bak").read_bytes() == before
    assert store.check() == 3 and store.problems == []
    assert [
        json.loads(line)["fold"] for line in (tmp_path / "a.jsonl").read_text().splitlines()
    ] == [0, 1]
    assert store.repair() == {}


def test_errors(tmp_path):
    with pytest.raises(BenchError, match="missing"):
        job_id({"experiment": "a"})
    (tmp_path / "file").write_text("")
    with pytest.raises(BenchError, match="is a file"):
        ResultsStore(tmp_path / "file")


def test_provenance():
    assert versions()["numpy"] == np.__version__
    assert machine_info()["cpus"] >= 1
