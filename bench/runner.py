"""Run an experiment's jobs locally (joblib) or on a Dask cluster, appending results.

Each finished job is appended to ``<out>/results/<experiment>.jsonl`` by the parent process
at once, so a run killed at any moment loses only the jobs in flight; a re-run skips every
job that already has a record. A run holds its results folder's lock throughout (one
writer per folder), and SIGINT or SIGTERM stop it cleanly, keeping every finished job.
"""

from __future__ import annotations

import contextlib
import os
import resource
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed, parallel_config
from sklearn.dummy import DummyClassifier, DummyRegressor
from tqdm.auto import tqdm

from bench import console
from bench.data import load
from bench.data.targets import encode
from bench.engines import Diverged, Unavailable, get_engine, make_engine
from bench.errors import BenchError, RunInterrupted
from bench.experiment import Experiment
from bench.interrupts import Stopped, stop_on_signals
from bench.jobs import expand
from bench.locking import results_lock
from bench.metrics import score
from bench.protocols import Plan, get_protocol, leakage
from bench.results import ResultsStore, machine_info, versions
from bench.schema import Job
from bench.validation import workers

__all__ = ["RunSummary", "execute", "fold_seed", "run_experiment"]

# joblib's warning when a stopped run's generator is closed with jobs in flight.
_CANCELLED = r".* still being processed by the workers have been cancelled"
# loky's when it replaces a worker whose memory grew (TensorFlow's caches) between two
# jobs: no job is lost, the next one runs in the new worker.
_REPLACED = r"A worker stopped while some jobs were given to the executor"
_EXAMPLES = 12  # test images whose predicted attributes a multi-label record keeps
# loky's resource tracker, a process of its own writing to this one's stderr, warns about
# the semaphores of workers killed with their jobs when a run is stopped; the stop line
# already says that jobs in flight were abandoned. A filter its interpreter reads at start.
_TRACKER_WARNINGS = "ignore:resource_tracker:UserWarning"


@dataclass(frozen=True)
class RunSummary:
    """What a run did: jobs in the experiment, already done before, and run now."""

    total: int
    skipped: int
    ran: int
    seconds: float
    results: Path


def run_experiment(
    experiment: Experiment,
    profile: str,
    data: str | Path,
    out: str | Path,
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    engines: list[str] | None = None,
    backend: str | None = None,
    seed: int = 0,
    progress: bool = True,
) -> RunSummary:
    """Run every job of ``experiment`` that has no record in ``out/results`` yet.

    Parameters
    ----------
    data : folder of the experiment's dataset.
    out : output folder; results go to ``out/results/<experiment>.jsonl``.
    jobs : parallel local workers (joblib processes); 1 runs in this process, -1 uses
        every core (joblib's convention).
    scheduler : address of a Dask scheduler (``tcp://host:8786``) to run the jobs on
        instead; ``jobs`` then limits how many are in flight.
    engines, backend, seed : see :func:`bench.jobs.expand`.

    Raises
    ------
    bench.locking.FolderBusyError
        At once, when another run holds ``out/results``.
    bench.errors.RunInterrupted
        On SIGINT or SIGTERM, after the jobs in flight were abandoned; its message says
        how many jobs are kept and how to resume.
    """
    start = time.perf_counter()
    all_jobs = expand(experiment, profile, seed=seed, engines=engines, backend=backend)
    store = ResultsStore(Path(out) / "results")
    with results_lock(store.folder):
        done = store.done()
        todo = [job for job in all_jobs if job.id not in done]
        data = str(data)
        try:
            with stop_on_signals(), _parallel(jobs, scheduler):
                finished = Parallel(return_as="generator_unordered")(
                    delayed(_run_job)(job, data) for job in todo
                )
                # Closing the generator early (a signal) makes joblib stop its workers:
                # jobs in flight are abandoned, not waited for, as the stop line says
                # instead of joblib's warning.
                with warnings.catch_warnings(), contextlib.closing(finished):
                    warnings.filterwarnings("ignore", _CANCELLED, UserWarning)
                    warnings.filterwarnings("ignore", _REPLACED, UserWarning)
                    bar = tqdm(
                        finished,
                        total=len(todo),
                        desc=f"{experiment.name} ({profile})",
                        unit="job",
                        disable=not progress or not todo,
                    )
                    for record, found in bar:
                        store.append(record, name=experiment.name)
                        _tell(experiment.name, record, found)
        except Stopped as stop:
            # Read back rather than counted: a signal can land between a record's write
            # and the count.
            kept = len({job.id for job in all_jobs} & store.done())
            raise RunInterrupted(
                stop.signum,
                f"{experiment.name}: stopped by {stop.name}, jobs in flight abandoned; {kept} of "
                f"{len(all_jobs)} jobs done and kept in {store.folder}; run the same command "
                "again to resume",
            ) from None
    return RunSummary(
        total=len(all_jobs),
        skipped=len(all_jobs) - len(todo),
        ran=len(todo),
        seconds=time.perf_counter() - start,
        results=store.folder / f"{experiment.name}.jsonl",
    )


def _run_job(job: Job, data: str) -> tuple[dict[str, Any], list[str]]:
    """A worker's entry: :func:`execute` with the console settings of the parent, and the
    warnings it raised handed back for the parent to print once each."""
    console.silence_native_logs()
    # A worker draws no bar beside another process's: a thread lock will do. tqdm's default
    # is a multiprocessing one, even for a disabled bar, and a worker stopped by Ctrl-C
    # leaves it behind (the resource tracker's "leaked semaphore" warning at exit).
    tqdm.set_lock(threading.RLock())
    with console.recorded_warnings() as found:
        record = execute(job, data)
    return record, found


def _tell(experiment: str, record: dict[str, Any], found: list[str]) -> None:
    for message in found:
        console.warn(message)
    if record.get("converged") is False:
        console.warn(
            f"{experiment}: the {record['engine']} baseline stopped at its iteration cap before "
            "converging (the profile's max_iter); its records say converged: false"
        )


@contextlib.contextmanager
def _parallel(jobs: int, scheduler: str | None) -> Iterator[None]:
    jobs = workers(jobs)
    if scheduler is None:
        filters = os.environ.get("PYTHONWARNINGS", "")
        if _TRACKER_WARNINGS not in filters.split(","):
            os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [filters, _TRACKER_WARNINGS]))
        with parallel_config(backend="loky", n_jobs=jobs):
            yield
        return
    try:
        from distributed import Client
    except ImportError:
        raise BenchError("--scheduler needs Dask: pip install 'ignet-bench[dask]'") from None
    try:
        client = Client(scheduler, timeout=10)
    except Exception as error:  # whatever Dask raises, the run cannot start: one line
        reason = str(error) or type(error).__name__
        raise BenchError(
            f"--scheduler {scheduler}: cannot reach the Dask scheduler ({reason})"
        ) from None
    with client, parallel_config(backend="dask", n_jobs=jobs):
        yield


def execute(job: Job, data: str) -> dict[str, Any]:
    """Run one job and return its result record."""
    dataset = load(
        job.dataset,
        data,
        job.settings.size,
        job.settings.color,
        job.settings.crop_faces,
    )
    target = encode(dataset, job.target, job.task)
    y, strata, classes, names = target.y, target.strata, target.classes, target.names
    n_outputs = target.n_outputs
    protocol = get_protocol(
        job.protocol,
        base=job.settings.protocol_base,
        seed=job.seed,
        **job.settings.protocol_options,
    )
    plan = protocol.plan(strata, dataset.groups)
    fold = plan.folds[job.fold]
    images = 1.0 - dataset.images if job.settings.invert else dataset.images
    X_train = plan.materialize(images, fold.train)
    X_test = plan.materialize(images, fold.test)
    X_val = plan.materialize(images, fold.validation)
    y_train, y_test, y_val = (
        y[plan.source[rows]] for rows in (fold.train, fold.test, fold.validation)
    )
    engine = get_engine(job.engine)
    resample = _resampler(plan, images, fold.train) if engine.redraws else None

    model = make_engine(
        job.engine,
        job.network,
        job.task,
        n_outputs,
        backend=job.backend,
        epochs=job.settings.epochs,
        seed=fold_seed(job.seed, job.fold),
        options=job.settings.engine_options,
    )
    record: dict[str, Any] = {
        **job.key().model_dump(),
        "job_id": job.id,
        "task": job.task,
        "n_classes": n_outputs if job.task == "classification" else None,
        "n_train": len(fold.train),
        "n_test": len(fold.test),
        "n_validation": len(fold.validation),
        "leakage": leakage(plan, fold, dataset.groups),
        # The ranges actually applied, after the protocol's strength scaled them.
        "augmentation": plan.augmentation.to_dict(),
    }
    try:
        if engine.features is not None:
            # The engine's own inputs per sample instead of the pixels; a copy has its
            # original's row.
            features = engine.features(data, dataset.labels["file"].tolist())
            X_train, X_test, X_val = (
                features[plan.source[rows]] for rows in (fold.train, fold.test, fold.validation)
            )
        model.fit(X_train, y_train, (X_val, y_val), resample=resample)
    except Diverged as error:
        # A net that blows up is a result to report (the paper's deep identity nets can),
        # not a reason to stop the other jobs.
        record.update(status="diverged", reason=str(error), metrics=None)
    except Unavailable as error:
        # Inputs the data does not have (no latents in a real collection): the result is
        # unknown, not a failed run.
        record.update(status="unavailable", reason=str(error), metrics=None)
    else:
        predicted = model.predict(X_test)
        record.update(
            status="ok",
            metrics={
                "test": score(job.task, y_test, predicted, names),
                "validation": score(job.task, y_val, model.predict(X_val), names),
                # What a model that ignores the image scores: the yardstick a result must
                # clear before it says anything about the network.
                "trivial": score(job.task, y_test, _trivial(job.task, y_train, len(y_test)), names),
            },
            curve=model.history_,
            train_seconds=model.train_seconds_,
            samples_per_second=model.samples_per_second_,
            # Test labels and predictions feed the confusion matrices (classes), the
            # bootstrap intervals (classes, ages) and the predicted-attributes figure (faces).
            predictions=(
                {
                    "classes": ["+".join(map(str, c)) for c in classes],
                    "true": y_test.tolist(),
                    "predicted": predicted.tolist(),
                }
                if job.task == "classification"
                # A few test images' attribute vectors, for the example figure.
                else {
                    "names": names,
                    "rows": plan.source[fold.test[:_EXAMPLES]].tolist(),
                    "true": y_test[:_EXAMPLES].tolist(),
                    "predicted": predicted[:_EXAMPLES].tolist(),
                }
                if job.task == "multilabel"
                # Every test age, for the bootstrap over pooled predictions.
                else {"true": y_test.tolist(), "predicted": np.ravel(predicted).tolist()}
            ),
            **model.details(),
        )
    return {
        **record,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "settings": job.settings.model_dump(mode="json"),
        "data": str(dataset.source),
        "versions": versions(),
        "machine": machine_info(),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def fold_seed(seed: int, fold: int) -> int:
    """The engine's seed for one fold: its own stream of the run's seed, so repeats of a
    fixed split (the partition protocol) train differently and every fold is reproducible."""
    return int(np.random.SeedSequence([seed, fold]).generate_state(1)[0] % 2**31)


def _trivial(task: str, y_train: np.ndarray, n: int) -> np.ndarray:
    """``n`` predictions of the training labels' most frequent class (per label for
    multi-label targets) or, for regression, their mean."""
    dummy = DummyRegressor() if task == "regression" else DummyClassifier(strategy="most_frequent")
    return dummy.fit(np.zeros((len(y_train), 1)), y_train).predict(np.zeros((n, 1)))


def _resampler(
    plan: Plan, images: np.ndarray, rows: np.ndarray
) -> Callable[[int], np.ndarray] | None:
    if not plan.on_the_fly:
        return None
    return lambda epoch: plan.materialize(images, rows, epoch=epoch)
