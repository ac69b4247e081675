"""Experiments: one TOML file per reproduced table or figure, expanded into jobs.

A file in ``bench/experiments/`` names the dataset, the engines with their networks, the
protocols, the targets with the paper's numbers, and the sizes of each profile. A job is
one experiment x engine x network x protocol x target x fold; the runner executes jobs
and appends one result record per finished job.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from bench.engines import engine_names, get_engine, smoke_options
from bench.errors import BenchError
from bench.protocols import MIRRORS, PROTOCOLS

__all__ = [
    "Experiment",
    "Job",
    "expand",
    "list_experiments",
    "load_experiment",
    "profile_settings",
]

PROFILES = ("smoke", "quick", "paper")
# ``smoke`` is ``quick`` cut down to seconds per job and to each experiment's first target:
# a check that every run and protocol goes end to end, not a measurement. Files declare
# quick and paper; smoke is derived.
_SMOKE = {"epochs": 1, "folds": 1, "size": [18, 29]}
_SMOKE_SIZES = {
    "paper-keras": {"learn_test": 120, "validation": 30, "n_folds": 3},
    "paper-ignet": {"copies": 2, "n_folds": 3},
    **smoke_options(),
    "partition": {"train": 100, "validation": 30, "test": 40},
}
REPORT_ITEMS = ("attributes", "confusion", "diagnostics", "time_ratio", "training_time")
DATASETS = ("drawings", "faces", "digits")
TASKS = ("classification", "regression", "multilabel")
# Protocol options a profile may sweep (``sweep = { strength = [0, 1, 2], copies = [10] }``):
# every run becomes one variant per combination of values, named after its point
# (``fig5 strength 0.5 copies 10``), and the values join the base protocol's options.
SWEEP_OPTIONS = ("strength", "copies", "learn_test")


@dataclass(frozen=True)
class Experiment:
    """A parsed experiment file.

    Attributes
    ----------
    name : str
        The file's stem, e.g. ``table1``.
    title : str
    dataset : str
    runs : list of dict
        Each has ``engine``, ``network``, optional ``color`` (RGB images instead of
        grayscale), ``crop_faces`` (faces cut out by a Haar cascade first), ``name``
        (the row label in tables; the network's name unless given, needed when two runs
        share a network), optional engine
        ``options`` (a table named after a task, e.g. ``regression = {...}``, holds
        options for that task's targets only), ``invert`` (ink intensity instead of the pixels, see
        :attr:`bench.engines.Engine.invert`), ``targets`` (the names of the targets this run trains on;
        all when absent), ``paper`` (target -> the paper's numbers for this run,
        instead of the targets' own), ``protocols`` (the experiment's protocols this run
        runs under; all when absent) and ``sweep = false`` (one variant, whatever the
        profile sweeps: for runs the swept options do not change, such as the oracle).
    protocols : list of str
    targets : list of dict
        Each has ``name`` (a factor combination or ``age_months``), ``task`` and ``paper``
        (the paper's numbers for it, possibly empty).
    profiles : dict
        Profile name -> settings (``epochs``, ``folds``, per-protocol sizes, and
        optionally ``runs``: the runs the profile includes, all when absent; a list of run
        names, or a table of run name -> ``"all"`` or the list of targets it trains on;
        ``sweep``: protocol option -> list of values, see :data:`SWEEP_OPTIONS`; and
        ``protocols``: the experiment's protocols the profile runs, all when absent).
    report : list of str
        Extra report items besides the paper table, curves and timing (see
        :data:`REPORT_ITEMS`).
    speed : list of dict
        The paper's claims about training time, each judged by
        :func:`bench.claims.speed_table`: ``claim`` (the sentence), ``slow`` and ``fast``
        (run names), ``paper`` (the claimed ratio of the slow run's seconds to the fast
        one's; 1 for "as quick"), ``targets`` (all when absent) and ``tolerance``
        (relative to ``paper``; the verdict's default when absent, 0 for "quicker" with
        ``paper = 1``).
    """

    name: str
    title: str
    dataset: str
    runs: list[dict[str, Any]]
    protocols: list[str]
    targets: list[dict[str, Any]]
    profiles: dict[str, dict[str, Any]]
    notes: str = ""
    report: list[str] = field(default_factory=list)
    speed: list[dict[str, Any]] = field(default_factory=list)
    source: Path | None = field(default=None, compare=False)

    def paper(self) -> dict[str, dict[str, dict[str, float]]]:
        """The paper's numbers: run name -> target -> {metric: value}.

        A run's own ``paper`` table, when it has one, replaces the targets' numbers (an
        empty one says the paper has no such run). A profile's sweep makes variants of a
        run (:data:`SWEEP_OPTIONS`); each has its run's numbers.
        """
        points = [
            point
            for settings in self.profiles.values()
            for point in _sweep_points(settings.get("sweep", {}))
        ]
        return {
            _variant(run["name"], point): {
                target["name"]: (
                    run["paper"].get(target["name"], {}) if "paper" in run else target["paper"]
                )
                for target in self.targets
            }
            for run in self.runs
            for point in points
        }


@dataclass(frozen=True)
class Job:
    """One unit of work: one fold of one target under one protocol on one engine."""

    experiment: str
    profile: str
    dataset: str
    engine: str
    backend: str
    network: str
    variant: str
    protocol: str
    target: str
    task: str
    fold: int
    seed: int
    settings: dict[str, Any]

    def key(self) -> dict[str, Any]:
        """The fields that identify the job in result records."""
        return {
            "experiment": self.experiment,
            "profile": self.profile,
            "dataset": self.dataset,
            "engine": self.engine,
            "backend": self.backend,
            "network": self.network,
            "variant": self.variant,
            "protocol": self.protocol,
            "target": self.target,
            "fold": self.fold,
            "seed": self.seed,
        }


def list_experiments() -> list[str]:
    """Names of the experiments shipped in ``bench/experiments``."""
    folder = resources.files("bench") / "experiments"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_experiment(name: str | Path) -> Experiment:
    """Read a shipped experiment by name, or any experiment file by path."""
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
    return _parse(path, data)


def _parse(path: Path, data: dict[str, Any]) -> Experiment:
    def need(key: str, kind: type) -> Any:
        if key not in data:
            raise BenchError(f"{path.name}: missing field {key!r}")
        if not isinstance(data[key], kind):
            raise BenchError(f"{path.name}: field {key!r} must be a {kind.__name__}")
        return data[key]

    dataset = need("dataset", str)
    if dataset not in DATASETS:
        raise BenchError(f"{path.name}: dataset must be one of {DATASETS}, not {dataset!r}")
    runs = need("run", list)
    for run in runs:
        if run.get("engine") not in engine_names() or not isinstance(run.get("network"), str):
            raise BenchError(
                f"{path.name}: every [[run]] needs engine (one of {', '.join(engine_names())}) "
                f"and network, got {run!r}"
            )
        run.setdefault("name", run["network"])
        run.setdefault("options", {})
    names = [run["name"] for run in runs]
    if len(set(names)) != len(names):
        raise BenchError(f"{path.name}: two [[run]]s share a name; give each a distinct name")
    report = data.get("report", [])
    unknown = [item for item in report if item not in REPORT_ITEMS]
    if unknown:
        raise BenchError(f"{path.name}: report items {unknown} are not among {REPORT_ITEMS}")
    protocols = need("protocols", list)
    for protocol in protocols:
        if protocol not in PROTOCOLS:
            raise BenchError(f"{path.name}: protocol {protocol!r} is not one of {PROTOCOLS}")
    targets = need("target", list)
    for target in targets:
        if not isinstance(target.get("name"), str):
            raise BenchError(f"{path.name}: every [[target]] needs a name")
        if dataset == "faces":
            task = "multilabel"  # every face target is a set of attributes
        else:
            task = "regression" if target["name"] == "age_months" else "classification"
        target.setdefault("task", task)
        if target["task"] not in TASKS:
            raise BenchError(
                f"{path.name}: target {target['name']}: task must be one of "
                f"{', '.join(TASKS)}, not {target['task']!r}"
            )
        target.setdefault("paper", {})
        _check_per_attribute(path, target)
    target_names = [target["name"] for target in targets]
    if len(set(target_names)) != len(target_names):
        raise BenchError(f"{path.name}: two [[target]]s share a name")
    for run in runs:
        _check_names(path, f"run {run['name']}: targets", run.get("targets"), target_names)
        _check_names(path, f"run {run['name']}: protocols", run.get("protocols"), protocols)
        if not isinstance(run.get("sweep", True), bool):
            raise BenchError(f"{path.name}: run {run['name']}: sweep must be true or false")
    profiles = need("profile", dict)
    for profile in ("quick", "paper"):
        if profile not in profiles:
            raise BenchError(f"{path.name}: missing [profile.{profile}]")
    for profile, settings in profiles.items():
        included = settings.get("runs")
        if isinstance(included, dict):
            _check_names(path, f"profile.{profile}.runs", list(included), names)
            for run, chosen in included.items():
                if chosen != "all":
                    field_name = f"profile.{profile}.runs.{run}"
                    _check_names(path, field_name, chosen, target_names)
        else:
            _check_names(path, f"profile.{profile}.runs", included, names)
        _check_sweep(path, f"profile.{profile}.sweep", settings.get("sweep", {}))
        _check_names(path, f"profile.{profile}.protocols", settings.get("protocols"), protocols)
    speed = data.get("speed", [])
    for number, claim in enumerate(speed, 1):
        _check_speed(path, f"speed {number}", claim, names, target_names)
    return Experiment(
        name=path.stem,
        title=need("title", str),
        dataset=dataset,
        runs=runs,
        protocols=protocols,
        targets=targets,
        profiles=profiles,
        notes=data.get("notes", ""),
        report=list(report),
        speed=list(speed),
        source=path,
    )


def _check_names(path: Path, field_name: str, given: Any, allowed: list[str]) -> None:
    """A list of names that must all be among ``allowed`` (absent means all)."""
    if given is None:
        return
    if not isinstance(given, list) or not given:
        raise BenchError(f"{path.name}: {field_name} must be a non-empty list of names")
    unknown = [name for name in given if name not in allowed]
    if unknown:
        raise BenchError(
            f"{path.name}: {field_name}: {', '.join(map(repr, unknown))} not among "
            f"{', '.join(allowed)}"
        )


def _check_sweep(path: Path, field_name: str, sweep: Any) -> None:
    """A profile's ``sweep``: protocol options of :data:`SWEEP_OPTIONS` -> lists of numbers."""
    if not isinstance(sweep, dict):
        raise BenchError(f"{path.name}: {field_name} must be a table of option -> values")
    for option, values in sweep.items():
        if option not in SWEEP_OPTIONS:
            raise BenchError(
                f"{path.name}: {field_name}: {option!r} is not one of {', '.join(SWEEP_OPTIONS)}"
            )
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        ):
            raise BenchError(f"{path.name}: {field_name}.{option} must be a list of numbers")


def _sweep_points(sweep: dict[str, list[float]]) -> list[dict[str, float]]:
    """Every combination of a sweep's values (one empty point when nothing is swept)."""
    points: list[dict[str, float]] = [{}]
    for option, values in sweep.items():
        points = [{**point, option: value} for point in points for value in values]
    return points


def _variant(run: str, point: dict[str, float]) -> str:
    """A run's name at one point of a sweep: ``fig5 strength 0.5 copies 10``."""
    return " ".join([run, *(f"{option} {value:g}" for option, value in point.items())])


def _check_speed(path: Path, where: str, claim: Any, runs: list[str], targets: list[str]) -> None:
    """A ``[[speed]]`` claim: two runs, the claimed ratio and optionally targets."""
    if not isinstance(claim, dict) or not isinstance(claim.get("claim"), str):
        raise BenchError(f"{path.name}: {where} needs claim, the paper's sentence")
    for side in ("slow", "fast"):
        _check_names(path, f"{where}: {side}", [claim.get(side)], runs)
    for number in ("paper", "tolerance"):
        value = claim.get(number, 0.0 if number == "tolerance" else None)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise BenchError(f"{path.name}: {where}: {number} must be a number of 0 or more")
    if claim["paper"] <= 0:
        raise BenchError(f"{path.name}: {where}: paper must be a ratio above 0")
    _check_names(path, f"{where}: targets", claim.get("targets"), targets)


def _check_per_attribute(path: Path, target: dict[str, Any]) -> None:
    """The face paper's Table 3 rows: [TP, positives, precision, recall, F] per attribute
    and an ``AVG`` row of [TP share as printed, precision, recall, F]."""
    rows = target.get("per_attribute", {})
    if not isinstance(rows, dict):
        raise BenchError(f"{path.name}: per_attribute of {target['name']} must be a table")
    for name, row in rows.items():
        numbers = row[1:] if name == "AVG" else row
        size = 4 if name == "AVG" else 5
        if not (
            isinstance(row, list)
            and len(row) == size
            and all(isinstance(v, int | float) for v in numbers)
        ):
            shape = (
                "[TP share, precision, recall, F]"
                if name == "AVG"
                else ("[TP, positives, precision, recall, F]")
            )
            raise BenchError(f"{path.name}: per_attribute.{name} must be {shape}")


def expand(
    experiment: Experiment,
    profile: str,
    seed: int = 0,
    engines: list[str] | None = None,
    backend: str | None = None,
) -> list[Job]:
    """Every job of an experiment under a profile, in a stable order.

    Parameters
    ----------
    engines : only runs of these engines (all when None).
    backend : the IgNet back end (``numpy`` unless a run's options say otherwise).
    """
    settings = profile_settings(experiment, profile)
    included = settings.get("runs")
    runs = [
        r
        for r in experiment.runs
        if (engines is None or r["engine"] in engines)
        and (included is None or r["name"] in included)
    ]
    protocols = settings.get("protocols", experiment.protocols)
    if not runs:
        raise BenchError(
            f"experiment {experiment.name} has no run for engine(s) {', '.join(engines or [])}"
        )
    jobs = []
    for run in runs:
        for point in _sweep_points(settings.get("sweep", {}) if run.get("sweep", True) else {}):
            jobs += _run_jobs(experiment, profile, settings, run, point, protocols, seed, backend)
    return jobs


def _run_jobs(
    experiment: Experiment,
    profile: str,
    settings: dict[str, Any],
    run: dict[str, Any],
    point: dict[str, float],
    protocols: list[str],
    seed: int,
    backend: str | None,
) -> list[Job]:
    """The jobs of one run at one sweep point: protocol x target x fold."""
    included = settings.get("runs")
    jobs = []
    engine = run["engine"]
    run_backend = _backend(engine, run["options"].get("backend", backend))
    variant = _variant(run["name"], point)
    for protocol in [p for p in protocols if p in run.get("protocols", protocols)]:
        base = _base_protocol(engine, protocol, experiment.protocols)
        targets = [t for t in experiment.targets if _trains_on(run, t["name"], included)]
        for target in targets[: 1 if profile == "smoke" else None]:
            for fold in range(_folds(settings, base)):
                jobs.append(
                    Job(
                        experiment=experiment.name,
                        profile=profile,
                        dataset=experiment.dataset,
                        engine=engine,
                        backend=run_backend,
                        network=run["network"],
                        variant=variant,
                        protocol=protocol,
                        target=target["name"],
                        task=target["task"],
                        fold=fold,
                        seed=seed,
                        settings=_job_settings(settings, run, base, target["task"], point),
                    )
                )
    return jobs


def profile_settings(experiment: Experiment, profile: str) -> dict[str, Any]:
    """The settings of one profile of ``experiment`` (``smoke`` derived from ``quick``)."""
    if profile == "smoke":
        quick = experiment.profiles["quick"]
        settings = {**quick, **_SMOKE}
        if experiment.dataset == "digits":  # 8 x 8 already: nothing to shrink
            settings["size"] = quick.get("size", _SMOKE["size"])
        for base, sizes in _SMOKE_SIZES.items():
            settings[base] = {**quick.get(base, {}), **sizes}
        # One point of a sweep, at the smoke sizes: every run still goes end to end.
        settings["sweep"] = {
            option: values[:1]
            for option, values in quick.get("sweep", {}).items()
            if option not in ("copies", "learn_test")
        }
        return settings
    if profile not in experiment.profiles:
        raise BenchError(f"profile must be one of {', '.join(PROFILES)}, not {profile!r}")
    return experiment.profiles[profile]


def _options(profile: dict[str, Any], run: dict[str, Any], task: str) -> dict[str, Any]:
    """A job's engine options: the profile's for the engine, then the run's; a table named
    after a task (``regression = { target_scaling = "minmax" }``) applies to that task only."""
    merged: dict[str, Any] = {}
    for options in (profile, run):
        merged.update({k: v for k, v in options.items() if k not in TASKS})
        merged.update(options.get(task, {}))
    return merged


def _trains_on(run: dict[str, Any], target: str, included: Any) -> bool:
    """Whether ``run`` trains on ``target`` under a profile's ``runs`` selection."""
    if target not in run.get("targets", [target]):
        return False
    chosen = included.get(run["name"], "all") if isinstance(included, dict) else "all"
    return chosen == "all" or target in chosen


def _backend(engine: str, backend: str | None) -> str:
    return get_engine(engine).backend(backend)


def _base_protocol(engine: str, protocol: str, protocols: list[str]) -> str:
    """The paper protocol a job's splits follow; leak-free and image-split mirror the
    experiment's own."""
    if protocol not in MIRRORS:
        return protocol
    papers = [p for p in protocols if p not in MIRRORS]
    return papers[0] if papers else get_engine(engine).protocol


def _folds(settings: dict[str, Any], base: str) -> int:
    default = {"paper-keras": 10, "paper-ignet": 5, "partition": 1, "stratified-cv": 5}[base]
    n_folds = settings.get(base, {}).get("n_folds", default)
    return min(n_folds, settings.get("folds", n_folds))


def _job_settings(
    settings: dict[str, Any], run: dict[str, Any], base: str, task: str, point: dict[str, float]
) -> dict[str, Any]:
    engine = run["engine"]
    return {
        "protocol_base": base,
        "protocol_options": {**settings.get(base, {}), **point},
        "epochs": settings.get("epochs", 10),
        "size": list(settings.get("size", (36, 58))),
        "invert": bool(run.get("invert", settings.get("invert", get_engine(engine).invert))),
        "color": bool(run.get("color", False)),
        "crop_faces": bool(run.get("crop_faces", False)),
        "engine_options": _options(settings.get(engine, {}), run["options"], task),
    }
