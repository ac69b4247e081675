from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.results import ResultsStore
from bench.schema import (
    JOB_FIELDS,
    SCHEMA_VERSION,
    Job,
    JobSettings,
    Record,
    RecordError,
    job_id,
    parse_record,
)

OLD = Path(__file__).parent / "data" / "results-schema1"


def _lines(folder: Path) -> list[dict]:
    return [json.loads(line) for path in sorted(folder.glob("*.jsonl")) for line in path.open()]


def test_results_written_before_the_schema_still_load(tmp_path):
    # Records of ignet_classification, ignet_depth and digits (smoke) as the suite wrote
    # them before records carried a schema version: IgNet, linear and both tasks.
    shutil.copytree(OLD, tmp_path / "results")
    store = ResultsStore(tmp_path / "results")
    records = store.records()
    raw = _lines(OLD)
    assert store.problems == []
    assert len(records) == len(raw) == 7
    assert {r["task"] for r in records} == {"classification", "regression"}
    for old, new in zip(raw, records, strict=True):
        assert "schema" not in old
        assert new == {**old, "schema": 1}  # nothing else added, dropped or converted
    frame = store.frame()
    assert frame["metrics.test.accuracy"].notna().sum() == 5


def test_a_new_record_is_written_with_the_current_schema(tmp_path):
    store = ResultsStore(tmp_path)
    (old,) = [r for r in _lines(OLD) if r["task"] == "regression" and r["engine"] == "ignet"]
    store.append({k: v for k, v in old.items() if k != "job_id"}, name="again")
    (written,) = _lines(tmp_path)
    assert written["schema"] == SCHEMA_VERSION
    assert written["job_id"] == old["job_id"]
    assert {k: v for k, v in written.items() if k != "schema"} == old


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"status": "fine"}, "field status: Input should be 'ok', 'diverged' or 'unavailable'"),
        ({"fold": "first"}, "field fold: Input should be a valid integer"),
        ({"fold": -1}, "field fold: Input should be greater than or equal to 0"),
        ({"colour": True}, "field colour: Extra inputs are not permitted"),
        ({"settings": {"epochs": 0}}, "field settings.protocol_base: Field required"),
        ({"metrics": None}, "a record with status ok has metrics"),
        ({"job_id": "other"}, "does not match the job fields"),
        ({"schema": SCHEMA_VERSION + 1}, "field schema: Input should be less than or equal"),
    ],
)
def test_a_bad_record_names_its_field(change, words):
    (record, *_) = _lines(OLD)
    with pytest.raises(RecordError, match=None) as error:
        parse_record({**record, **change})
    assert words in str(error.value)


def test_a_bad_line_is_left_out_with_its_file_line_and_field(tmp_path):
    (record, *_) = _lines(OLD)
    (tmp_path / "exp.jsonl").write_text(
        json.dumps(record) + "\n" + json.dumps({**record, "n_test": "many", "fold": 9}) + "\n"
    )
    store = ResultsStore(tmp_path)
    assert len(store.records()) == 1
    (problem,) = store.problems
    assert (problem.file, problem.line, problem.kind) == ("exp.jsonl", 2, "corrupt")
    assert "field n_test" in problem.detail


def test_a_record_that_breaks_the_schema_is_not_written(tmp_path):
    store = ResultsStore(tmp_path)
    (record, *_) = _lines(OLD)
    with pytest.raises(RecordError, match="field status"):
        store.append({**record, "status": "maybe"})
    assert not (tmp_path / "results.jsonl").exists()


def test_job_fields_and_id_come_from_the_job_model():
    settings = JobSettings(protocol_base="paper-ignet", epochs=2, size=(36, 58))
    job = Job(
        experiment="e", profile="quick", dataset="drawings", engine="ignet", backend="numpy",
        network="fig5", variant="fig5", protocol="leak-free", target="age", fold=1, seed=0,
        task="classification", settings=settings,
    )  # fmt: skip
    assert tuple(job.key().model_dump()) == JOB_FIELDS
    assert job.id == job_id(job.key()) == "e/quick/drawings/ignet/numpy/fig5/fig5/leak-free/age/1/0"
    with pytest.raises(ValueError, match="epochs"):
        JobSettings(protocol_base="paper-ignet", epochs=0, size=(36, 58))


def test_the_documented_fields_are_the_schemas():
    text = (Path(__file__).parents[1] / "docs" / "schema.md").read_text()
    record, settings = text.split("### `settings`")
    documented = set()
    for row in record.splitlines():
        if row.startswith("| `"):
            documented |= {name.strip("` ") for name in row.split("|")[1].split(",")}
    assert documented == {field.alias or name for name, field in Record.model_fields.items()}
    rows = [row.split("|")[1].strip("` ") for row in settings.splitlines() if row.startswith("| `")]
    assert set(rows) == set(JobSettings.model_fields)
