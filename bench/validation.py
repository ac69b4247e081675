"""Checks of a command's inputs, all made before any data is generated or job started.

Each check raises :class:`~bench.errors.BenchError` (exit status 2) for a bad option or
path, and :class:`~bench.errors.DataError` (exit status 1) for a folder that exists but
does not hold what the option needs; every message names the option, or the file and
field of an experiment.

This module imports neither pandas nor scikit-learn: a command checks its inputs before
it loads the libraries its work needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.data.sources import check_target
from bench.data.stirling import is_drawing_name, parse_filename
from bench.engines import get_engine
from bench.errors import BenchError, DataError
from bench.experiment import Experiment
from bench.jobs import engine_options, expand, profile_settings

__all__ = [
    "check_experiment",
    "check_run",
    "input_folder",
    "output_folder",
    "results_folder",
    "scheduler_address",
    "workers",
]

# Seconds a Dask scheduler has to connect and say who it is.
_CONNECT_TIMEOUT = 1.0
# Badly named drawings an error names; `ignet-bench data inspect` lists every one.
_NAMED = 5


def check_run(
    experiments: Sequence[Experiment],
    *,
    profile: str,
    out: Path,
    jobs: int,
    folders: Mapping[str, tuple[str, str | None]],
    scheduler: str | None = None,
    engines: list[str] | None = None,
) -> None:
    """Check everything ``run`` and ``reproduce`` are given.

    Parameters
    ----------
    folders : the option and the folder it gave (None: data to generate) for each
        dataset, e.g. ``{"faces": ("--faces", None)}``.
    """
    workers(jobs)
    for experiment in experiments:
        expand(experiment, profile, engines=engines)
    used = {experiment.dataset for experiment in experiments}
    for dataset, (option, folder) in folders.items():
        if folder is not None and dataset in used:
            input_folder(Path(folder), option, dataset)
    if scheduler is not None:
        scheduler_address(scheduler)
    # It creates the folder, which a run would do anyway, once the options are known good.
    made = [path for path in (out, *out.parents) if not path.exists()]
    output_folder(out, "--out")
    # Last: an engine's options are checked against its library's estimators (scikit-learn
    # for most), which the checks above should not wait for; a bad one leaves no folder.
    try:
        for experiment in experiments:
            check_experiment(experiment, profile)
    except BenchError:
        for path in made:
            with contextlib.suppress(OSError):
                path.rmdir()
        raise


def workers(jobs: int) -> int:
    """Worker processes for ``--jobs``: a count, or as joblib counts, -1 for every core and
    -2 for all but one."""
    cores = os.cpu_count() or 1
    count = jobs if jobs > 0 else cores + 1 + jobs
    if jobs == 0 or count < 1:
        raise BenchError(
            f"--jobs must be a number of workers (1 or more) or -1 for all {cores} cores, "
            f"-2 for all but one ...; not {jobs}"
        )
    return count


def check_experiment(experiment: Experiment, profile: str) -> None:
    """Check what an experiment file names against the dataset and the engines: each
    target, each run's network, and the engine options of the runs and of ``profile``.

    Raises
    ------
    BenchError
        ``FILE: FIELD: what is wrong (allowed: ...)``, e.g.
        ``exp.toml: target[1].name: unknown target 'colour' (allowed: ...)``.
    """
    file = experiment.source.name if experiment.source else experiment.name
    for number, target in enumerate(experiment.targets, 1):
        _in_field(
            f"{file}: target[{number}].name",
            check_target,
            experiment.dataset,
            target.name,
            target.task,
        )
    settings = profile_settings(experiment, profile)
    for number, run in enumerate(experiment.runs, 1):
        engine = get_engine(run.engine)
        tasks = {t.task for t in experiment.targets if run.targets is None or t.name in run.targets}
        for task in sorted(tasks):
            where = f"{file}: run[{number}]"
            _in_field(f"{where}.network", engine.check_run, run.network, {}, task)
            _in_field(
                f"{where}.options",
                engine.check_run,
                run.network,
                engine_options({}, run.options, task),
                task,
            )
            _in_field(
                f"{file}: profile.{profile}.{run.engine}",
                engine.check_run,
                run.network,
                engine_options(settings.table(run.engine), {}, task),
                task,
            )


def _in_field(where: str, check: Callable[..., None], *args: Any) -> None:
    try:
        check(*args)
    except BenchError as error:
        raise type(error)(f"{where}: {error}") from None


def output_folder(folder: Path, option: str) -> None:
    """Create ``folder`` if missing and check that a file can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise BenchError(f"{option} {folder}: not a folder") from None
    except OSError as error:
        raise BenchError(
            f"{option} {folder}: cannot create the folder ({error.strerror})"
        ) from None
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise BenchError(
            f"{option} {folder}: cannot write in the folder ({error.strerror})"
        ) from None


def input_folder(folder: Path, option: str, dataset: str) -> None:
    """Check that ``folder`` exists, can be read and holds a ``dataset`` (drawings: image
    files with Stirling names; faces: a CelebA layout)."""
    if not folder.exists():
        raise BenchError(f"{option} {folder}: folder does not exist")
    if not folder.is_dir():
        raise BenchError(f"{option} {folder}: not a folder")
    try:
        names = os.listdir(folder)
    except OSError as error:
        raise BenchError(f"{option} {folder}: cannot read the folder ({error.strerror})") from None
    if dataset == "faces":
        from bench.data.celeba import ATTRIBUTE_FILE, IMAGE_FOLDER

        missing = [
            name
            for name, present in (
                (ATTRIBUTE_FILE, (folder / ATTRIBUTE_FILE).is_file()),
                (f"{IMAGE_FOLDER}/", (folder / IMAGE_FOLDER).is_dir()),
            )
            if not present
        ]
        if missing:
            raise DataError(
                f"{option} {folder}: not a CelebA-style faces folder (no {', no '.join(missing)})"
            )
    elif dataset == "drawings":
        _drawing_names(folder, option, names)


def _drawing_names(folder: Path, option: str, names: list[str]) -> None:
    """DataError unless ``names`` hold drawings and every one has a Stirling name: the
    loader refuses a folder with a bad name, and names are cheap to read before any work."""
    # The files the drawings loader reads.
    images = [n for n in names if is_drawing_name(n)]
    if not images:
        raise DataError(f"{option} {folder}: holds no .jpeg, .jpg or .png drawings")
    bad = []
    for name in sorted(images):
        try:
            parse_filename(name)
        except BenchError:
            bad.append(name)
    if bad:
        more = f" and {len(bad) - _NAMED} more" if len(bad) > _NAMED else ""
        raise DataError(
            f"{option} {folder}: {len(bad)} of {len(images)} drawings are not named "
            f"CATEGORY-CHILDSUBJECT-YEARS.MONTHSAUTHOR ({', '.join(bad[:_NAMED])}{more}); "
            f"`ignet-bench data inspect {folder}` lists every bad file and why"
        )


def scheduler_address(address: str) -> None:
    """Check that a Dask scheduler answers at ``address`` (``tcp://host:port``): it
    accepts a connection and says it is a scheduler, all within a second."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if parts.scheme != "tcp" or not host or port is None:
        raise BenchError(f"--scheduler {address}: not a tcp://HOST:PORT address")
    if importlib.util.find_spec("distributed") is None:
        raise BenchError("--scheduler needs Dask: pip install 'ignet-bench[dask]'")
    deadline = time.monotonic() + _CONNECT_TIMEOUT
    # A plain connection first: Dask would retry a refused one until its timeout, and
    # say less. A Dask server speaks first (its side of the comm handshake), so a server
    # silent for the limit is no scheduler, told without loading Dask (a second more).
    try:
        with socket.create_connection((host, port), timeout=_CONNECT_TIMEOUT) as probe:
            try:
                spoke = bool(probe.recv(1))
            except TimeoutError:
                spoke = False
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise BenchError(f"--scheduler {address}: no scheduler reachable ({reason})") from None
    if not spoke:
        raise BenchError(
            f"--scheduler {address}: not a Dask scheduler (it said nothing within "
            f"{_CONNECT_TIMEOUT:g} s)"
        )
    left = max(deadline - time.monotonic(), 0.1)
    answer: dict[str, Any] = {}

    def ask() -> None:
        try:
            answer["identity"] = asyncio.run(
                asyncio.wait_for(_identity(f"tcp://{host}:{port}", left), left)
            )
        except BaseException as error:  # whatever the other end does, the option is at fault
            answer["error"] = error

    # In a thread of its own, so that nothing the other end does (or does not do) can
    # hold the command much past the limit.
    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    thread.join(left + 0.5)
    identity, failure = answer.get("identity"), answer.get("error")
    if isinstance(identity, dict) and identity.get("type") == "Scheduler":
        return
    if identity is not None:
        reason = "it answered, but not as a scheduler"
    elif failure is None or isinstance(failure, TimeoutError):
        reason = f"no Dask handshake within {_CONNECT_TIMEOUT:g} s"
    else:
        reason = str(failure) or type(failure).__name__
    raise BenchError(f"--scheduler {address}: not a Dask scheduler ({reason})")


async def _identity(address: str, timeout: float) -> Any:
    from distributed.comm import connect

    comm = await connect(address, timeout=timeout)
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        await comm.close()


def results_folder(folder: Path, command: str) -> Path:
    """The results folder ``folder`` names: itself when it holds ``*.jsonl`` files, else its
    ``results`` subfolder (a run's ``--out``)."""
    if not folder.is_dir():
        what = "folder does not exist" if not folder.exists() else "not a folder"
        raise BenchError(f"{command} {folder}: {what}")
    for candidate in (folder, folder / "results"):
        if candidate.is_dir() and any(candidate.glob("*.jsonl")):
            return candidate
    raise DataError(f"{command} {folder}: holds no results (*.jsonl) files, nor does results/")
