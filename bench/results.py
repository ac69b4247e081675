"""Result records: one JSON object per finished fold, appended to JSON Lines files.

Appends are one ``write`` of one whole line to a file opened in append mode, followed by
an ``fsync``: a run killed at any moment leaves every finished record intact and at most
one partial last line. Reading detects such a line (or any line that is not a record),
reports it with file and line number, and leaves it out; the job it belonged to is not
counted as done, so a re-run repeats it. Reading also keeps one record per job id, so a
duplicate (whatever wrote it) can never count as a second fold; :meth:`ResultsStore.repair`
removes both kinds of line for good.
"""

from __future__ import annotations

import json
import os
import platform
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from bench import console
from bench.errors import BenchError, DataError
from bench.schema import JOB_FIELDS, SCHEMA_VERSION, RecordError, job_id, parse_record

__all__ = [
    "JOB_FIELDS",
    "Problem",
    "ResultsStore",
    "describe_problems",
    "job_id",
    "machine_info",
    "versions",
]


@dataclass(frozen=True)
class Problem:
    """A line of a results file left out on reading: corrupt, or a second record of a job.

    Attributes
    ----------
    file : the results file's name (in the store's folder).
    line : the line's number, from 1.
    kind : ``corrupt`` (not a JSON result record, e.g. cut short by a kill) or
        ``duplicate`` (a record of a job already recorded on an earlier line).
    detail : what was wrong, for a person.
    """

    file: str
    line: int
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.detail}"


@dataclass
class ResultsStore:
    """A folder of ``*.jsonl`` result files.

    Reading keeps one record per job (the first) and leaves corrupt lines out; both kinds
    of left-out lines are listed in :attr:`problems` after each read, so that a table or a
    report can say what it did not count.

    Parameters
    ----------
    folder : Path
        Created when the first record is written.
    """

    folder: Path
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise BenchError(f"{self.folder}: results folder is a file")

    def append(self, record: Mapping[str, Any], name: str = "results") -> None:
        """Append one record to ``<folder>/<name>.jsonl`` as one line, durably.

        Raises
        ------
        bench.schema.RecordError
            Before anything is written, when the record does not follow the schema.
        """
        plain = json.loads(json.dumps(dict(record), default=_json_default))
        plain.setdefault("job_id", job_id(plain))
        plain.setdefault("schema", SCHEMA_VERSION)
        line = json.dumps(parse_record(plain), sort_keys=True) + "\n"
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{name}.jsonl"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                if _ends_without_newline(path):
                    # A killed writer left a partial line: keep it apart so it stays
                    # detectable.
                    line = "\n" + line
                _write_all(fd, line.encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as error:
            # A full disk or a folder made read-only: at worst a partial last line, which
            # a read reports and leaves out.
            raise DataError(
                f"{path}: cannot write a record ({error.strerror}); the records before it are kept"
            ) from None

    def records(self) -> list[dict[str, Any]]:
        """Every job's first valid record; the lines left out go to :attr:`problems` and
        to one warning line on the console."""
        out = self._read()
        if self.problems:
            console.warn(
                f"{self.folder}: {describe_problems(self.problems)} left out "
                f"(`ignet-bench results check {self.folder}` lists them, --repair removes them)"
            )
        return out

    def check(self) -> int:
        """Read every file without a warning; returns the number of valid records and
        leaves the lines a read leaves out in :attr:`problems`."""
        return len(self._read())

    def _read(self) -> list[dict[str, Any]]:
        self.problems = []
        out: list[dict[str, Any]] = []
        seen: dict[str, str] = {}
        for path in self.files():
            for number, record, detail in _read_lines(path):
                if record is None:
                    self.problems.append(Problem(path.name, number, "corrupt", detail))
                elif record["job_id"] in seen:
                    detail = (
                        f"second record of job {record['job_id']} (first: {seen[record['job_id']]})"
                    )
                    self.problems.append(Problem(path.name, number, "duplicate", detail))
                else:
                    seen[record["job_id"]] = f"{path.name}:{number}"
                    out.append(record)
        return out

    def files(self) -> list[Path]:
        """The folder's results files, by name."""
        return sorted(self.folder.glob("*.jsonl")) if self.folder.is_dir() else []

    def done(self) -> set[str]:
        """Identifiers of the jobs that have a valid record."""
        return {record["job_id"] for record in self.records()}

    def frame(self) -> pd.DataFrame:
        """All records as a flat DataFrame (``metrics`` expanded to ``metric.<name>``)."""
        records = self.records()
        if not records:
            return pd.DataFrame(columns=[*JOB_FIELDS, "job_id"])
        return pd.json_normalize(records, sep=".")

    def repair(self) -> dict[Path, Path]:
        """Rewrite every file with :attr:`problems` without its corrupt and duplicate lines.

        Each rewritten file's old content is kept beside it as ``<name>.jsonl.bak`` (an
        older backup is replaced). Call it with the folder's lock held.

        Returns
        -------
        The backup of each rewritten file, keyed by the file.
        """
        self._read()
        bad: dict[str, set[int]] = {}
        for problem in self.problems:
            bad.setdefault(problem.file, set()).add(problem.line)
        backups: dict[Path, Path] = {}
        for name, lines in bad.items():
            path = self.folder / name
            content = path.read_bytes().split(b"\n")
            kept = [line for number, line in enumerate(content, 1) if number not in lines]
            text = b"\n".join(line for line in kept if line.strip())
            backup = path.with_name(path.name + ".bak")
            fresh = path.with_name(path.name + ".repaired")
            fresh.write_bytes(text + b"\n" if text else b"")
            os.replace(path, backup)
            os.replace(fresh, path)
            backups[path] = backup
        return backups


def describe_problems(problems: Iterable[Problem]) -> str:
    """``"2 corrupt lines (a.jsonl: 1, b.jsonl: 1) and 1 duplicate record (a.jsonl: 1)"``:
    how many lines of each kind a read left out, per file."""
    parts = []
    for kind, noun in (("corrupt", "corrupt line"), ("duplicate", "duplicate record")):
        files = Counter(p.file for p in problems if p.kind == kind)
        if files:
            count = sum(files.values())
            where = ", ".join(f"{name}: {n}" for name, n in sorted(files.items()))
            parts.append(f"{count} {noun}{'s' if count > 1 else ''} ({where})")
    return " and ".join(parts) if parts else "no problems"


def _read_lines(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """``(line number, record or None, what is wrong)`` for each non-blank line."""
    # Split on newlines only: a stray \r or form feed inside a corrupt line must not shift
    # the numbers of the lines after it.
    for number, raw in enumerate(path.read_bytes().split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode())
        except (UnicodeDecodeError, ValueError, RecursionError):
            yield number, None, "truncated or corrupt line"
            continue
        if not isinstance(record, dict) or not isinstance(record.get("job_id"), str):
            yield number, None, "not a result record"
            continue
        try:
            yield number, parse_record(record), ""
        except RecordError as error:
            yield number, None, f"not a record of the schema: {error}"


def versions(packages: Iterable[str] | None = None) -> dict:
    """Installed versions of the packages that shape the numbers: numpy, scikit-learn and
    ``packages`` (by default those the experiments' engines declare)."""
    from bench.engines import packages as engine_packages

    found = {"python": platform.python_version(), "ignet-bench": _version("ignet-bench")}
    chosen = engine_packages() if packages is None else packages
    for name in ("numpy", "scikit-learn", *chosen):
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


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte: a nearly full disk takes part of a line and returns the count
    without an error; the rest then either goes through or raises ``OSError``."""
    while data:
        data = data[os.write(fd, data) :]


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
