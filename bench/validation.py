"""Checks of a command's inputs, all made before any data is generated or job started.

Each check raises :class:`~bench.errors.BenchError` (exit status 2) for a bad option or
path, and :class:`~bench.errors.DataError` (exit status 1) for a folder that exists but
does not hold what the option needs; every message names the option.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from bench.data.stirling import IMAGE_SUFFIXES
from bench.errors import BenchError, DataError
from bench.experiment import Experiment
from bench.jobs import expand

__all__ = ["check_run", "input_folder", "output_folder", "results_folder", "scheduler_address"]

# Seconds to wait for a Dask scheduler to accept a connection.
_CONNECT_TIMEOUT = 2.0


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
    """Check everything ``run`` and ``reproduce`` are given, in the order a user reads them.

    Parameters
    ----------
    folders : the option and the folder it gave (None: data to generate) for each
        dataset, e.g. ``{"faces": ("--faces", None)}``.
    """
    from bench.runner import workers

    workers(jobs)
    for experiment in experiments:
        expand(experiment, profile, engines=engines)
    used = {experiment.dataset for experiment in experiments}
    for dataset, (option, folder) in folders.items():
        if folder is not None and dataset in used:
            input_folder(Path(folder), option, dataset)
    if scheduler is not None:
        scheduler_address(scheduler)
    # Last: it creates the folder, which a run would do anyway, but only once all else is
    # known to be right.
    output_folder(out, "--out")


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
    files; faces: a CelebA layout)."""
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
    elif dataset == "drawings" and not any(name.lower().endswith(IMAGE_SUFFIXES) for name in names):
        raise DataError(f"{option} {folder}: holds no .jpeg, .jpg or .png drawings")


def scheduler_address(address: str) -> None:
    """Check that a Dask scheduler listens at ``address`` (``tcp://host:port``)."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if parts.scheme != "tcp" or not host or port is None:
        raise BenchError(f"--scheduler {address}: not a tcp://HOST:PORT address")
    try:
        socket.create_connection((host, port), timeout=_CONNECT_TIMEOUT).close()
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise BenchError(f"--scheduler {address}: no scheduler reachable ({reason})") from None


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
