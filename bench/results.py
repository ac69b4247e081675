"""Result records: one JSON object per finished fold, appended to JSON Lines files.

Appends are one ``write`` of one whole line to a file opened in append mode, followed by
an ``fsync``: a run killed at any moment leaves every finished record intact and at most
one partial last line. Reading detects such a line (or any line that is not a record),
reports it with file and line number, and leaves it out; the job it belonged to is not
counted as done, so a re-run repeats it.
"""

from __future__ import annotations

import json
import os
import platform
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from bench.errors import BenchError

__all__ = ["JOB_FIELDS", "ResultsStore", "job_id", "machine_info", "versions"]

# The fields that identify a job; two records with the same values are the same job.
JOB_FIELDS = (
    "experiment",
    "profile",
    "dataset",
    "engine",
    "backend",
    "network",
    "variant",
    "protocol",
    "target",
    "fold",
    "seed",
)


def job_id(job: Mapping[str, Any]) -> str:
    """A stable identifier of a job from its :data:`JOB_FIELDS`."""
    missing = [name for name in JOB_FIELDS if name not in job]
    if missing:
        raise BenchError(f"job is missing {', '.join(missing)}")
    return "/".join(str(job[name]) for name in JOB_FIELDS)


@dataclass
class ResultsStore:
    """A folder of ``*.jsonl`` result files.

    Parameters
    ----------
    folder : Path
        Created when the first record is written.
    """

    folder: Path
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise BenchError(f"{self.folder}: results folder is a file")

    def append(self, record: Mapping[str, Any], name: str = "results") -> None:
        """Append one record to ``<folder>/<name>.jsonl`` as one line, durably."""
        record = dict(record)
        record.setdefault("job_id", job_id(record))
        line = json.dumps(record, sort_keys=True, default=_json_default) + "\n"
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{name}.jsonl"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if _ends_without_newline(path):
                # A killed writer left a partial line: keep it apart so it stays detectable.
                line = "\n" + line
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def records(self) -> list[dict[str, Any]]:
        """Every valid record in the folder; bad lines go to :attr:`problems` and a warning."""
        self.problems = []
        out: list[dict[str, Any]] = []
        if not self.folder.is_dir():
            return out
        for path in sorted(self.folder.glob("*.jsonl")):
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    self.problems.append(f"{path.name}:{number}: truncated or corrupt line")
                    continue
                if not isinstance(record, dict) or "job_id" not in record:
                    self.problems.append(f"{path.name}:{number}: not a result record")
                    continue
                out.append(record)
        if self.problems:
            warnings.warn(
                f"{self.folder}: {len(self.problems)} bad line(s) left out: "
                + "; ".join(self.problems),
                stacklevel=2,
            )
        return out

    def done(self) -> set[str]:
        """Identifiers of the jobs that have a valid record."""
        return {record["job_id"] for record in self.records()}

    def frame(self) -> pd.DataFrame:
        """All records as a flat DataFrame (``metrics`` expanded to ``metric.<name>``)."""
        records = self.records()
        if not records:
            return pd.DataFrame(columns=[*JOB_FIELDS, "job_id"])
        return pd.json_normalize(records, sep=".")


def versions(
    packages: Iterable[str] = ("numpy", "scikit-learn", "tensorflow-cpu", "keras"),
) -> dict:
    """Installed versions of the packages that shape the numbers."""
    found = {"python": platform.python_version(), "ignet-bench": _version("ignet-bench")}
    for name in packages:
        version = _version(name)
        if version:
            found[name] = version
    return found


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "node": platform.node(),
        "system": platform.system(),
        "machine": platform.machine(),
        "processor": platform.processor() or _cpu_model(),
        "cpus": os.cpu_count(),
    }


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def _ends_without_newline(path: Path) -> bool:
    size = path.stat().st_size
    if size == 0:
        return False
    with path.open("rb") as handle:
        handle.seek(size - 1)
        return handle.read(1) != b"\n"


def _json_default(value: Any) -> Any:
    # numpy scalars and arrays, Paths
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in a result record")
