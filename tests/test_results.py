from __future__ import annotations

import json

import numpy as np
import pytest

from bench.errors import BenchError
from bench.results import JOB_FIELDS, ResultsStore, job_id, machine_info, versions


def _job(fold: int, **extra):
    job = dict.fromkeys(JOB_FIELDS, "x")
    job.update(fold=fold, seed=0, **extra)
    return job


def test_append_and_read_back(tmp_path):
    store = ResultsStore(tmp_path / "results")
    assert store.records() == []
    store.append(_job(0, metrics={"accuracy": np.float32(0.5)}, curve=np.arange(3)))
    store.append(_job(1, metrics={"accuracy": 0.75}))
    records = store.records()
    assert [r["fold"] for r in records] == [0, 1]
    assert records[0]["metrics"]["accuracy"] == 0.5
    assert records[0]["curve"] == [0, 1, 2]
    assert store.done() == {job_id(_job(0)), job_id(_job(1))}
    frame = store.frame()
    assert list(frame["metrics.accuracy"]) == [0.5, 0.75]


def test_truncated_last_line_is_reported_and_the_job_redone(tmp_path):
    store = ResultsStore(tmp_path)
    store.append(_job(0))
    store.append(_job(1))
    path = tmp_path / "results.jsonl"
    text = path.read_text()
    path.write_text(text[: len(text) - 20])  # killed in the middle of the second write
    with pytest.warns(UserWarning, match=r"results.jsonl:2: truncated or corrupt"):
        assert store.done() == {job_id(_job(0))}
    store.append(_job(1))
    with pytest.warns(UserWarning, match="1 bad line"):
        records = store.records()
    assert [r["fold"] for r in records] == [0, 1]
    assert store.problems == ["results.jsonl:2: truncated or corrupt line"]
    # The partial line stays on its own line, the new record intact after it.
    lines = path.read_text().splitlines()
    assert json.loads(lines[2])["fold"] == 1


def test_foreign_lines_are_reported(tmp_path):
    (tmp_path / "other.jsonl").write_text('[1, 2]\n{"a": 1}\n')
    with pytest.warns(UserWarning, match="2 bad line"):
        assert ResultsStore(tmp_path).records() == []


def test_errors(tmp_path):
    with pytest.raises(BenchError, match="missing"):
        job_id({"experiment": "a"})
    (tmp_path / "file").write_text("")
    with pytest.raises(BenchError, match="is a file"):
        ResultsStore(tmp_path / "file")


def test_provenance():
    assert versions()["numpy"] == np.__version__
    assert machine_info()["cpus"] >= 1
