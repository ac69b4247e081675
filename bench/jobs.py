"""Jobs: an experiment under a profile, expanded into one job per run x sweep point x
protocol x target x fold, each with the settings it runs with (:class:`bench.schema.Job`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench.engines import get_engine, smoke_options
from bench.errors import BenchError
from bench.experiment import (
    TASKS,
    Experiment,
    Profile,
    Run,
    list_experiments,
    load_experiment,
    sweep_points,
    variant_name,
)
from bench.profiles import OPTIONAL, PROFILES
from bench.protocols import MIRRORS, get_protocol
from bench.schema import Job, JobSettings

__all__ = ["declaring", "engine_options", "expand", "profile_settings"]

# ``smoke`` is ``quick`` cut down to seconds per job and to each experiment's first target:
# a check that every run and protocol goes end to end, not a measurement. Files declare
# quick and paper; smoke is derived.
_SMOKE: dict[str, Any] = {"epochs": 1, "folds": 1, "size": (18, 29)}
_SMOKE_SIZES = {
    "paper-keras": {"learn_test": 120, "validation": 30, "n_folds": 3},
    "paper-ignet": {"copies": 2, "n_folds": 3},
    **smoke_options(),
    "partition": {"train": 100, "validation": 30, "test": 40},
}


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
    included = settings.runs
    runs = [
        r
        for r in experiment.runs
        if (engines is None or r.engine in engines) and (included is None or r.name in included)
    ]
    if not runs:
        raise BenchError(
            f"experiment {experiment.name} has no run for engine(s) {', '.join(engines or [])}"
        )
    jobs = []
    for run in runs:
        for point in sweep_points(settings.sweep if run.sweep else {}):
            jobs += _run_jobs(experiment, profile, settings, run, point, seed, backend)
    return jobs


def _run_jobs(
    experiment: Experiment,
    profile: str,
    settings: Profile,
    run: Run,
    point: dict[str, float],
    seed: int,
    backend: str | None,
) -> list[Job]:
    """The jobs of one run at one sweep point: protocol x target x fold."""
    engine = get_engine(run.engine)
    protocols = settings.protocols or list(experiment.protocols)
    targets = [t for t in experiment.targets if _trains_on(run, t.name, settings.runs)]
    jobs = []
    for protocol in [p for p in protocols if p in (run.protocols or protocols)]:
        base = _base_protocol(protocol, list(experiment.protocols), engine.protocol)
        options = {**settings.table(base), **point}
        n_folds = get_protocol(base, **options).n_folds
        for target in targets[: 1 if profile == "smoke" else None]:
            job_settings = JobSettings(
                protocol_base=base,
                protocol_options=options,
                epochs=settings.epochs,
                size=settings.size,
                invert=_first(run.invert, settings.invert, engine.invert),
                color=run.color,
                crop_faces=run.crop_faces,
                engine_options=engine_options(settings.table(run.engine), run.options, target.task),
            )
            jobs += [
                Job(
                    experiment=experiment.name,
                    profile=profile,
                    dataset=experiment.dataset,
                    engine=run.engine,
                    backend=engine.backend(run.options.get("backend", backend)),
                    network=run.network,
                    variant=variant_name(run.name, point),
                    protocol=protocol,
                    target=target.name,
                    task=target.task,
                    fold=fold,
                    seed=seed,
                    settings=job_settings,
                )
                for fold in range(min(n_folds, settings.folds or n_folds))
            ]
    return jobs


def profile_settings(experiment: Experiment, profile: str) -> Profile:
    """The settings of one profile of ``experiment`` (``smoke`` derived from ``quick``)."""
    if profile == "smoke":
        quick = experiment.profiles["quick"]
        # Deferred: the data layer loads pandas and OpenCV, which parsing an experiment
        # does not need.
        from bench.data import native_size

        native = native_size(experiment.dataset)
        tables = {base: {**quick.table(base), **sizes} for base, sizes in _SMOKE_SIZES.items()}
        return Profile.model_validate(
            {
                **quick.model_dump(exclude_none=True),
                **_SMOKE,
                # The data comes at one size: nothing to shrink.
                **({"size": native} if native is not None else {}),
                **tables,
                # One point of a sweep, at the smoke sizes: every run still goes end to end.
                "sweep": {
                    option: values[:1]
                    for option, values in quick.sweep.items()
                    if option not in ("copies", "learn_test")
                },
            }
        )
    if profile not in PROFILES:
        raise BenchError(f"profile must be one of {', '.join(PROFILES)}, not {profile!r}")
    if profile not in experiment.profiles:
        shipped = declaring([load_experiment(name) for name in list_experiments()], profile)
        raise BenchError(
            f"experiment {experiment.name} declares no {profile} profile (it declares "
            f"{', '.join(experiment.profiles)}); the experiments that do: "
            f"{', '.join(e.name for e in shipped) or 'none'}"
        )
    return experiment.profiles[profile]


def declaring(experiments: Sequence[Experiment], profile: str) -> list[Experiment]:
    """The experiments that run under ``profile``: every one, but for a profile a file may
    leave out (:data:`bench.profiles.OPTIONAL`) those that declare it."""
    return [e for e in experiments if profile not in OPTIONAL or profile in e.profiles]


def engine_options(profile: dict[str, Any], run: dict[str, Any], task: str) -> dict[str, Any]:
    """A job's engine options: the profile's for the engine, then the run's; a table named
    after a task (``regression = { target_scaling = "minmax" }``) applies to that task only."""
    merged: dict[str, Any] = {}
    for options in (profile, run):
        merged.update({k: v for k, v in options.items() if k not in TASKS})
        merged.update(options.get(task, {}))
    return merged


def _trains_on(run: Run, target: str, included: Any) -> bool:
    """Whether ``run`` trains on ``target`` under a profile's ``runs`` selection."""
    if run.targets is not None and target not in run.targets:
        return False
    chosen = included.get(run.name, "all") if isinstance(included, dict) else "all"
    return chosen == "all" or target in chosen


def _base_protocol(protocol: str, protocols: list[str], engine_protocol: str) -> str:
    """The paper protocol a job's splits follow; leak-free and image-split mirror the
    experiment's own, or the engine's when the experiment runs none."""
    if protocol not in MIRRORS:
        return protocol
    papers = [p for p in protocols if p not in MIRRORS]
    return papers[0] if papers else engine_protocol


def _first(*values: bool | None) -> bool:
    """The first value that is set: a run's, then the profile's, then the engine's."""
    return next(bool(v) for v in values if v is not None)
