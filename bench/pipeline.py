"""The suite's two jobs from start to end: one experiment (``run``) and every experiment
with the report (``reproduce``).

Each checks all of its inputs before any work (:mod:`bench.validation`), holds the results
folder's lock throughout (:mod:`bench.locking`), finds or generates the data
(:mod:`bench.data`), runs the jobs (:mod:`bench.runner`) and hands back what the command
line prints. The libraries of the work (pandas, scikit-learn, the report's) are imported
once the inputs are checked, so a bad input is told at once.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench import console
from bench.experiment import list_experiments, load_experiment
from bench.jobs import declaring
from bench.locking import results_lock
from bench.validation import check_run

if TYPE_CHECKING:
    import pandas as pd

    from bench.runner import RunSummary

__all__ = ["Reproduction", "RunOutcome", "reproduce", "run_one", "verdict_counts"]


@dataclass(frozen=True)
class RunOutcome:
    """One experiment's run: what ran, and its tables as ``run`` prints them.

    Attributes
    ----------
    summary : jobs in the experiment, already done, run now; seconds; the results file.
    table : the paper's numbers beside ours per protocol, with verdicts
        (:func:`bench.claims.evidence_table`).
    speed : the experiment's speed claims judged (:func:`bench.claims.speed_table`).
    """

    summary: RunSummary
    table: pd.DataFrame
    speed: pd.DataFrame


@dataclass(frozen=True)
class Reproduction:
    """Every experiment run and the report written.

    Attributes
    ----------
    summaries : each experiment's :class:`~bench.runner.RunSummary`, by name.
    written : the report's files, keyed by their path in the report folder.
    verdicts : how many claims got each verdict (:func:`verdict_counts`).
    seconds : wall time of the whole job.
    """

    summaries: dict[str, RunSummary]
    written: dict[str, Path]
    verdicts: dict[str, int]
    seconds: float


def run_one(
    name: str,
    *,
    profile: str,
    out: str | Path,
    data: str | Path | None = None,
    jobs: int = -1,
    scheduler: str | None = None,
    engines: Sequence[str] | None = None,
    backend: str | None = None,
    seed: int = 0,
) -> RunOutcome:
    """Run one experiment's missing jobs and judge its claims on every record it has.

    Parameters
    ----------
    name : a shipped experiment's name or a path to an experiment file.
    data : the dataset's folder; None generates the synthetic stand-in in ``out/data``.
    jobs, scheduler, backend, seed : see :func:`bench.runner.run_experiment`.
    engines : only these engines' runs.
    """
    out = Path(out)
    experiment = load_experiment(name)
    chosen = list(engines) if engines else None
    check_run(
        [experiment],
        profile=profile,
        out=out,
        jobs=jobs,
        folders={experiment.dataset: ("--data", None if data is None else str(data))},
        scheduler=scheduler,
        engines=chosen,
    )
    # The work's libraries, once the inputs are known good (the module docstring says why).
    from bench.claims import evidence_table, speed_table
    from bench.data import default_folder
    from bench.results import ResultsStore
    from bench.runner import run_experiment

    with results_lock(out / "results"):
        folder = Path(data) if data else default_folder(out, seed, experiment.dataset)
        summary = run_experiment(
            experiment,
            profile,
            folder,
            out,
            jobs=jobs,
            scheduler=scheduler,
            engines=chosen,
            backend=backend,
            seed=seed,
            progress=console.progress(),
        )
    records = ResultsStore(out / "results").frame()
    records = records[(records["experiment"] == experiment.name) & (records["profile"] == profile)]
    return RunOutcome(
        summary=summary,
        table=evidence_table(records, experiment.paper()),
        speed=speed_table(records, experiment.speed),
    )


def reproduce(
    *,
    profile: str,
    out: str | Path,
    experiments: Sequence[str] | None = None,
    data: str | Path | None = None,
    faces: str | Path | None = None,
    jobs: int = -1,
    scheduler: str | None = None,
    backend: str | None = None,
    seed: int = 0,
) -> Reproduction:
    """Run every experiment (or the named ones) and write the report.

    Parameters
    ----------
    data, faces : the drawings and faces folders; None generates the synthetic stand-ins
        in ``out/data`` when an experiment needs them.
    """
    start = time.perf_counter()
    out = Path(out)
    chosen = [load_experiment(name) for name in experiments or list_experiments()]
    if not experiments:
        # Named experiments must declare the profile (check_run says so); from the whole
        # list, those that do not are left out, and the run says which.
        runs = declaring(chosen, profile)
        kept = {e.name for e in runs}
        left_out = [e.name for e in chosen if e.name not in kept]
        chosen = runs
        if left_out:
            console.say(
                f"profile {profile}: {', '.join(e.name for e in chosen)}; left out (no "
                f"[profile.{profile}] in their files): {', '.join(left_out)}"
            )
    given = {
        "drawings": ("--data", None if data is None else str(data)),
        "faces": ("--faces", None if faces is None else str(faces)),
    }
    check_run(chosen, profile=profile, out=out, jobs=jobs, folders=given, scheduler=scheduler)
    # The work's libraries, once the inputs are known good (the module docstring says why).
    import pandas as pd

    from bench.data import data_folders
    from bench.reporting import build_report  # matplotlib and the report's templates
    from bench.runner import run_experiment

    summaries: dict[str, RunSummary] = {}
    # Held until the report is written: another run adding records meanwhile would make
    # a report of a state that never was.
    with results_lock(out / "results"):
        folders, labels = data_folders(
            [experiment.dataset for experiment in chosen],
            out,
            seed,
            {dataset: folder for dataset, (_, folder) in given.items()},
        )
        for experiment in chosen:
            summary = run_experiment(
                experiment,
                profile,
                folders[experiment.dataset],
                out,
                jobs=jobs,
                scheduler=scheduler,
                backend=backend,
                seed=seed,
                progress=console.progress(),
            )
            summaries[experiment.name] = summary
            console.say(
                f"{experiment.name}: {summary.ran} jobs run, {summary.skipped} already done, "
                f"{summary.seconds:.0f} s"
            )
        written = build_report(
            out,
            profile=profile,
            data=folders.get("drawings"),
            seed=seed,
            data_label="; ".join(labels),
        )
    try:
        claims = pd.read_csv(written["tables/claims.csv"])
    except pd.errors.EmptyDataError:  # no paper numbers among the experiments (the digits)
        claims = pd.DataFrame({"verdict": []})
    return Reproduction(
        summaries=summaries,
        written=written,
        verdicts=verdict_counts(claims),
        seconds=time.perf_counter() - start,
    )


def verdict_counts(claims: pd.DataFrame) -> dict[str, int]:
    """How many claim rows got each verdict, in the order of :data:`bench.evidence.WORDS`."""
    from bench.evidence import WORDS

    counts = claims["verdict"].value_counts()
    return {word: int(counts.get(word, 0)) for word in WORDS}
