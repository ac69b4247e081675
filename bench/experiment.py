"""Experiments: one TOML file per reproduced table or figure, expanded into jobs.

A file in ``bench/experiments/`` names the dataset, the engines with their networks, the
protocols, the targets with the paper's numbers, and the sizes of each profile. A job is
one experiment x engine x network x protocol x target x fold; the runner executes jobs
and appends one result record per finished job.

The file's parts are pydantic models (:class:`Run`, :class:`Target`, :class:`Profile`,
:class:`SpeedClaim`, :class:`Experiment`): a field of the wrong type, an unknown field or
a name that refers to nothing is reported with the file, the field and what it allows.
docs/experiments.md describes every field.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from bench.engines import engine_names
from bench.errors import BenchError
from bench.profiles import DECLARED, REQUIRED
from bench.protocols import PROTOCOLS
from bench.schema import Task

__all__ = [
    "Experiment",
    "Profile",
    "Run",
    "SpeedClaim",
    "Target",
    "list_experiments",
    "load_experiment",
    "sweep_points",
    "variant_name",
]

REPORT_ITEMS = ("attributes", "confusion", "diagnostics", "time_ratio", "training_time")
# Protocol options a profile may sweep (``sweep = { strength = [0, 1, 2], copies = [10] }``):
# every run becomes one variant per combination of values, named after its point
# (``fig5 strength 0.5 copies 10``), and the values join the base protocol's options.
SweepOption = Literal["strength", "copies", "learn_test"]
_DEFAULT_EPOCHS = 10
_DEFAULT_SIZE = (36, 58)  # the IgNet paper's 36 x 58 pixels

TASKS = get_args(Task)
Names = list[str]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Part):
    """A ``[[target]]``: what the nets predict, with the paper's numbers for it.

    Attributes
    ----------
    name : a factor combination (``who_is_drawn+age_category``), ``age_months``, a face
        experiment's attribute set or a digits target.
    task : classification, regression or multilabel; from the dataset and the name when
        the file does not say (faces: multilabel; ``age_months``: regression).
    paper : the paper's numbers: metric -> value.
    per_attribute : the face paper's Table 3 rows: attribute -> [TP, positives, precision,
        recall, F], and ``AVG`` -> [TP share as printed, precision, recall, F].
    """

    name: str
    task: Task
    paper: dict[str, float] = Field(default_factory=dict)
    per_attribute: dict[str, list[float | str]] = Field(default_factory=dict)

    @field_validator("per_attribute")
    @classmethod
    def _table3_rows(cls, rows: dict[str, list[float | str]]) -> dict[str, list[float | str]]:
        for name, row in rows.items():
            average = name == "AVG"
            numbers = row[1:] if average else row
            if len(row) != (4 if average else 5) or not all(
                isinstance(v, int | float) for v in numbers
            ):
                shape = (
                    "[TP share, precision, recall, F]"
                    if average
                    else "[TP, positives, precision, recall, F]"
                )
                raise ValueError(f"per_attribute.{name} must be {shape}")
        return rows


class Run(_Part):
    """A ``[[run]]``: one engine with one network, the row of the experiment's tables.

    Attributes
    ----------
    engine : a registered engine (:func:`bench.engines.engine_names`).
    network : the engine's network (a Keras builder, an IgNet preset, ``pixels`` ...).
    name : the row label; the network's name unless given (needed when two runs share
        a network).
    options : engine keyword arguments; a table named after a task
        (``regression = {...}``) holds options for that task's targets only.
    invert : ink intensity instead of the pixels (the engine's default when absent,
        :attr:`bench.engines.Engine.invert`).
    color : RGB images instead of grayscale.
    crop_faces : faces cut out by a Haar cascade first.
    targets : the targets this run trains on (all when absent).
    paper : target -> the paper's numbers for this run, instead of the targets' own (an
        empty table says the paper has no such run).
    protocols : the experiment's protocols this run runs under (all when absent).
    sweep : false for one variant whatever the profile sweeps (runs the swept options do
        not change, such as the oracle).
    """

    engine: str
    network: str
    name: str
    options: dict[str, Any] = Field(default_factory=dict)
    invert: StrictBool | None = None
    color: StrictBool = False
    crop_faces: StrictBool = False
    targets: Names | None = Field(None, min_length=1)
    paper: dict[str, dict[str, float]] | None = None
    protocols: Names | None = Field(None, min_length=1)
    sweep: StrictBool = True

    @field_validator("engine")
    @classmethod
    def _registered(cls, engine: str) -> str:
        if engine not in engine_names():
            raise ValueError(f"engine must be one of {', '.join(engine_names())}, not {engine!r}")
        return engine

    @model_validator(mode="before")
    @classmethod
    def _named(cls, data: Any) -> Any:
        if isinstance(data, dict) and "name" not in data and isinstance(data.get("network"), str):
            data = {**data, "name": data["network"]}
        return data


class Profile(BaseModel):
    """A ``[profile.NAME]``: the sizes of one profile.

    Besides the fields below, a profile may hold one table per protocol (its sizes and
    options, e.g. ``paper-ignet = { copies = 4, n_folds = 5 }``) and one per engine (its
    options in every run, e.g. ``linear = { max_iter = 300 }``).

    Attributes
    ----------
    epochs : the training cap (10 when absent).
    folds : at most this many folds of each protocol.
    size : image width and height (36 x 58 when absent).
    invert : ink intensity for every run that does not say.
    runs : the runs the profile includes (all when absent): a list of run names, or a
        table of run name -> ``"all"`` or the targets it trains on.
    sweep : protocol option -> values (:data:`SweepOption`).
    protocols : the experiment's protocols the profile runs (all when absent).
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    epochs: int = Field(_DEFAULT_EPOCHS, ge=1)
    folds: int | None = Field(None, ge=1)
    size: tuple[int, int] = _DEFAULT_SIZE
    invert: StrictBool | None = None
    runs: Names | dict[str, Literal["all"] | Names] | None = None
    # int | float keeps a count a count (copies = [10] slices arrays) and a strength a float.
    sweep: dict[SweepOption, list[int | float]] = Field(default_factory=dict)
    protocols: Names | None = None

    @model_validator(mode="after")
    def _tables(self) -> Profile:
        allowed = (*PROTOCOLS, *engine_names())
        for key, value in (self.model_extra or {}).items():
            if key not in allowed:
                raise ValueError(
                    f"unknown field {key!r}; a profile takes {', '.join(Profile.model_fields)}, "
                    f"and tables named after a protocol or an engine ({', '.join(allowed)})"
                )
            if not isinstance(value, dict):
                raise ValueError(f"{key} must be a table of options")
        if isinstance(self.runs, list) and not self.runs:
            raise ValueError("runs must be a non-empty list of names")
        return self

    def table(self, name: str) -> dict[str, Any]:
        """The options of a protocol or an engine (empty when the profile has none)."""
        return dict((self.model_extra or {}).get(name, {}))


class SpeedClaim(_Part):
    """A ``[[speed]]``: one of the paper's claims about training time, judged by
    :func:`bench.claims.speed_table`.

    Attributes
    ----------
    claim : the paper's sentence.
    slow, fast : run names.
    paper : the claimed ratio of the slow run's seconds to the fast one's (1: "as quick").
    targets : all when absent.
    tolerance : relative to ``paper``; the verdict's default when absent, 0 for "quicker"
        with ``paper = 1``.
    """

    claim: str
    slow: str
    fast: str
    paper: float = Field(gt=0)
    targets: Names | None = None
    tolerance: float | None = Field(None, ge=0)


class Experiment(_Part):
    """A parsed experiment file.

    Attributes
    ----------
    name : the file's stem, e.g. ``table1``.
    title, notes : what the experiment reproduces, for the report.
    dataset : a dataset of :data:`bench.data.sources.SOURCES` (drawings, faces, digits).
    runs, targets, profiles, speed : the file's ``[[run]]``, ``[[target]]``,
        ``[profile.*]`` and ``[[speed]]`` parts.
    protocols : the protocols every run runs under (unless it names its own).
    report : extra report items (:data:`REPORT_ITEMS`).
    source : the file.
    """

    name: str
    title: str
    dataset: str
    runs: list[Run] = Field(alias="run", min_length=1)
    protocols: list[Literal[PROTOCOLS]] = Field(min_length=1)  # type: ignore[valid-type]
    targets: list[Target] = Field(alias="target", min_length=1)
    profiles: dict[str, Profile] = Field(alias="profile")
    notes: str = ""
    report: list[Literal[REPORT_ITEMS]] = Field(default_factory=list)  # type: ignore[valid-type]
    speed: list[SpeedClaim] = Field(default_factory=list)
    source: Path | None = Field(None, exclude=True)

    @field_validator("dataset")
    @classmethod
    def _known_dataset(cls, dataset: str) -> str:
        # Deferred: the data layer loads pandas and OpenCV, which --help does not need.
        from bench.data.sources import SOURCES

        if dataset not in SOURCES:
            raise ValueError(f"dataset must be one of {', '.join(SOURCES)}, not {dataset!r}")
        return dataset

    @model_validator(mode="before")
    @classmethod
    def _default_tasks(cls, data: Any) -> Any:
        # A target's task follows from the dataset and its name unless the file says.
        if isinstance(data, dict) and isinstance(data.get("target"), list):
            data = {**data, "target": [_with_task(t, data.get("dataset")) for t in data["target"]]}
        return data

    @model_validator(mode="after")
    def _references(self) -> Experiment:
        runs, targets = [r.name for r in self.runs], [t.name for t in self.targets]
        for kind, names in (("[[run]]s", runs), ("[[target]]s", targets)):
            if len(set(names)) != len(names):
                raise ValueError(f"two {kind} share a name; give each a distinct name")
        for run in self.runs:
            _among(f"run {run.name}: targets", run.targets, targets)
            _among(f"run {run.name}: protocols", run.protocols, list(self.protocols))
        for needed in REQUIRED:
            if needed not in self.profiles:
                raise ValueError(f"missing [profile.{needed}]")
        for name in self.profiles:
            if name not in DECLARED:
                raise ValueError(
                    f"[profile.{name}]: a file declares the profiles {', '.join(DECLARED)}"
                    " (smoke is derived from quick)"
                )
        for name, profile in self.profiles.items():
            where = f"profile.{name}"
            chosen = profile.runs
            _among(f"{where}.runs", list(chosen) if chosen is not None else None, runs)
            for run_name, picked in chosen.items() if isinstance(chosen, dict) else ():
                _among(f"{where}.runs.{run_name}", None if picked == "all" else picked, targets)
            _among(f"{where}.protocols", profile.protocols, list(self.protocols))
        for number, claim in enumerate(self.speed, 1):
            _among(f"speed {number}: slow", [claim.slow], runs)
            _among(f"speed {number}: fast", [claim.fast], runs)
            _among(f"speed {number}: targets", claim.targets, targets)
        return self

    def paper(self) -> dict[str, dict[str, dict[str, float]]]:
        """The paper's numbers: run name -> target -> {metric: value}.

        A run's own ``paper`` table, when it has one, replaces the targets' numbers (an
        empty one says the paper has no such run). A profile's sweep makes variants of a
        run (:data:`SweepOption`); each has its run's numbers.
        """
        points = [p for profile in self.profiles.values() for p in sweep_points(profile.sweep)]
        return {
            variant_name(run.name, point): {
                target.name: (
                    run.paper.get(target.name, {}) if run.paper is not None else target.paper
                )
                for target in self.targets
            }
            for run in self.runs
            for point in points
        }


def _with_task(target: Any, dataset: Any) -> Any:
    if not isinstance(target, dict) or "task" in target:
        return target
    if dataset == "faces":
        task = "multilabel"  # every face target is a set of attributes
    else:
        task = "regression" if target.get("name") == "age_months" else "classification"
    return {**target, "task": task}


def _among(where: str, given: list[str] | None, allowed: list[str]) -> None:
    """Names that must all be among ``allowed`` (None: absent, meaning all)."""
    unknown = [name for name in given or [] if name not in allowed]
    if unknown:
        raise ValueError(f"{where}: {', '.join(map(repr, unknown))} not among {', '.join(allowed)}")


def list_experiments() -> list[str]:
    """Names of the experiments shipped in ``bench/experiments``."""
    folder = resources.files("bench") / "experiments"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_experiment(name: str | Path) -> Experiment:
    """Read a shipped experiment by name, or any experiment file by path.

    Raises
    ------
    BenchError
        Naming the file, the field and what it allows.
    """
    path = Path(name)
    if path.suffix != ".toml":
        shipped = resources.files("bench") / "experiments" / f"{name}.toml"
        if not shipped.is_file():
            raise BenchError(
                f"experiment {name!r} not found (shipped: {', '.join(list_experiments())})"
            )
        path = Path(str(shipped))
    try:
        data = tomllib.loads(path.read_text())
    except OSError as error:
        raise BenchError(f"{path}: cannot read experiment file ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise BenchError(f"{path}: not valid TOML ({error})") from None
    try:
        return Experiment.model_validate({**data, "name": path.stem, "source": path})
    except ValidationError as error:
        raise BenchError(f"{path.name}: {_describe(error)}") from None


def _describe(error: ValidationError) -> str:
    """The first problem of a file: the field (``run[2].engine``), what is wrong, what was
    found."""
    first = error.errors(include_url=False)[0]
    # ("run", 1, "engine") -> run[2].engine; a dict key's own error ends in "[key]".
    parts = [p for p in first["loc"] if p != "[key]"]
    where = "".join(f"[{p + 1}]" if isinstance(p, int) else f".{p}" for p in parts)
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        return f"missing field {where.lstrip('.')}"
    if first["type"] == "extra_forbidden":
        return f"unknown field {where.lstrip('.')}"
    found = "" if first["type"] == "value_error" else f" (got {first['input']!r:.60})"
    return f"{where.lstrip('.')}: {message}{found}" if where else f"{message}{found}"


def sweep_points(sweep: Mapping[Any, list[int | float]]) -> list[dict[str, float]]:
    """Every combination of a sweep's values (one empty point when nothing is swept)."""
    points: list[dict[str, float]] = [{}]
    for option, values in sweep.items():
        points = [{**point, option: value} for point in points for value in values]
    return points


def variant_name(run: str, point: dict[str, float]) -> str:
    """A run's name at one point of a sweep: ``fig5 strength 0.5 copies 10``."""
    return " ".join([run, *(f"{option} {value:g}" for option, value in point.items())])
