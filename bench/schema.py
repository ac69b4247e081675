"""The result record and the job it records: the one place that names their fields.

A job is one fold of one target under one protocol on one engine; its record is one JSON
object on one line of ``<out>/results/<experiment>.jsonl``. The models here are pydantic
models: a record is validated when it is written and when it is read, so a field with a
wrong type or value is reported with its file, line and field, and never reaches a table.

Versions
--------
1. Records written before the schema was named: no ``schema`` field. They have every
   field of version 2 and load unchanged; :func:`parse_record` marks them ``schema: 1``
   in memory and leaves the files as they are.
2. The ``schema`` field. docs/schema.md lists every field.

The timing harness writes records of its own kind (:class:`TimingRecord`): the job fields
plus a ``measure`` and that measure's numbers.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bench.errors import BenchError

__all__ = [
    "JOB_FIELDS",
    "SCHEMA_VERSION",
    "Job",
    "JobKey",
    "JobSettings",
    "Record",
    "RecordError",
    "TimingRecord",
    "describe_validation",
    "job_id",
    "parse_record",
]

SCHEMA_VERSION = 2
Task = Literal["classification", "regression", "multilabel"]
Status = Literal["ok", "diverged", "unavailable"]


class RecordError(BenchError):
    """A result record that does not follow the schema; the message names the field."""


class JobKey(BaseModel):
    """The fields that identify a job: two records with the same values are the same job."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    experiment: str
    profile: str
    dataset: str
    engine: str
    backend: str
    network: str
    variant: str
    protocol: str
    target: str
    fold: int = Field(ge=0)
    seed: int


JOB_FIELDS: tuple[str, ...] = tuple(JobKey.model_fields)


def job_id(job: JobKey | dict[str, Any]) -> str:
    """A stable identifier of a job: its :data:`JOB_FIELDS` joined by ``/``."""
    values = job.model_dump() if isinstance(job, JobKey) else job
    missing = [name for name in JOB_FIELDS if name not in values]
    if missing:
        raise RecordError(f"job is missing {', '.join(missing)}")
    return "/".join(str(values[name]) for name in JOB_FIELDS)


class JobSettings(BaseModel):
    """What a job runs with, resolved from the experiment's profile and run.

    Attributes
    ----------
    protocol_base : the paper protocol whose splits the job follows (leak-free and
        image-split mirror it).
    protocol_options : the protocol's sizes and options (``copies``, ``strength``, ...).
    epochs : the training cap.
    size : image width and height in pixels.
    invert : ink intensity (1 - pixel) instead of the pixels.
    color : RGB images instead of grayscale.
    crop_faces : faces cut out by a Haar cascade first.
    engine_options : keyword arguments for the engine.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    protocol_base: str
    protocol_options: dict[str, Any] = Field(default_factory=dict)
    epochs: int = Field(ge=1)
    size: tuple[int, int]
    invert: bool = False
    color: bool = False
    crop_faces: bool = False
    engine_options: dict[str, Any] = Field(default_factory=dict)


class Job(JobKey):
    """One unit of work: a :class:`JobKey` with the task and the settings it runs with."""

    task: Task
    settings: JobSettings

    def key(self) -> JobKey:
        """The fields that identify the job in result records."""
        return JobKey(**{name: getattr(self, name) for name in JOB_FIELDS})

    @property
    def id(self) -> str:
        return job_id(self.key())


class Record(JobKey):
    """The result of one job, as one line of a results file.

    Every field but the job's is optional so that partial records (a job that diverged
    has no metrics) and the fields of one engine only (``diagnosis`` and
    ``ignet_settings`` of IgNet, ``converged`` of the linear baseline) share one model.

    Attributes
    ----------
    job_id : :func:`job_id` of the job fields.
    schema : the version of this schema the record was written with.
    task : classification, regression or multilabel.
    status : ``ok``; ``diverged`` (the net's loss blew up: a result, with a ``reason``);
        ``unavailable`` (the engine's inputs are missing, e.g. latents of real drawings).
    metrics : ``test``, ``validation`` and ``trivial`` (the majority class or the mean),
        each a table of measure -> value (:func:`bench.metrics.score`); present when ok.
    curve : per-epoch lists (``loss``, ``accuracy`` or ``mape``, ``val_*``).
    predictions : test labels and predictions (all for classes and ages, a few
        attribute rows for faces).
    leakage : shares of test samples with a copy, or a drawing of the same child, in
        training (:func:`bench.protocols.leakage`).
    augmentation : the ranges the protocol's augmentation applied.
    settings : the job's :class:`JobSettings`.
    data : the dataset folder; versions, machine : what the numbers were measured with.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    job_id: str
    schema_version: int = Field(SCHEMA_VERSION, alias="schema", ge=1, le=SCHEMA_VERSION)
    task: Task | None = None
    status: Status | None = None
    reason: str | None = None
    n_classes: int | None = None
    n_train: int | None = Field(None, ge=0)
    n_test: int | None = Field(None, ge=0)
    n_validation: int | None = Field(None, ge=0)
    leakage: dict[str, float] | None = None
    augmentation: dict[str, Any] | None = None
    metrics: dict[str, dict[str, Any]] | None = None
    curve: dict[str, list[float | None]] | None = None
    train_seconds: float | None = Field(None, ge=0)
    samples_per_second: float | None = Field(None, ge=0)
    predictions: dict[str, Any] | None = None
    diagnosis: list[dict[str, Any]] | None = None
    ignet_settings: dict[str, Any] | None = None
    converged: bool | None = None
    peak_rss_mb: float | None = None
    settings: JobSettings | None = None
    data: str | None = None
    versions: dict[str, str | None] | None = None
    machine: dict[str, Any] | None = None
    finished: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Record:
        if self.job_id != job_id(self.model_dump(include=set(JOB_FIELDS))):
            raise ValueError(f"job_id {self.job_id!r} does not match the job fields")
        if self.status == "ok" and self.metrics is None:
            raise ValueError("a record with status ok has metrics")
        return self


class TimingRecord(JobKey):
    """A measure of ``ignet-bench timing``: the job fields (``experiment`` is ``timing``),
    ``measure`` and that measure's numbers, which differ by measure."""

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)

    job_id: str
    schema_version: int = Field(SCHEMA_VERSION, alias="schema", ge=1, le=SCHEMA_VERSION)
    measure: Literal["peak", "throughput", "ratio", "thread_scaling", "protocol"]


def parse_record(raw: dict[str, Any]) -> dict[str, Any]:
    """A record read from a file, validated: the same fields, ``schema`` added.

    Raises
    ------
    RecordError
        Naming the first field that does not follow the schema and what it allows.
    """
    if "schema" not in raw:  # written before the schema was named: version 1
        raw = {**raw, "schema": 1}
    model = TimingRecord if "measure" in raw else Record
    try:
        record = model.model_validate(raw)
    except ValidationError as error:
        raise RecordError(describe_validation(error)) from None
    return record.model_dump(mode="json", by_alias=True, exclude_unset=True)


def describe_validation(error: ValidationError) -> str:
    """One line: the first bad field of a validation error, its problem and value."""
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "record"
    found = "" if first["type"] == "missing" else f" (got {first['input']!r:.60})"
    more = error.error_count() - 1
    also = f"; and {more} more field{'s' if more > 1 else ''}" if more else ""
    return f"field {where}: {first['msg']}{found}{also}"
