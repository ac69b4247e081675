"""A small experiment on scikit-learn's digits (no data to generate) and ways to run the
command line in a child process, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.results import ResultsStore

# Fifteen jobs of a tenth of a second or more each (IgNet's ten epochs on an idle machine):
# long enough to be stopped part-way.
EXPERIMENT = """
title = "reliability"
dataset = "digits"
protocols = ["stratified-cv"]

[[run]]
engine = "ignet"
network = "ignet1"
paper = {}

[[run]]
engine = "ignet"
network = "fig5"
paper = {}

[[run]]
engine = "linear"
network = "pixels"
paper = {}

[[target]]
name = "digit"

[profile.quick]
epochs = 10
folds = 5
size = [8, 8]
invert = false
linear = { max_iter = 50 }

[profile.paper]
epochs = 10
size = [8, 8]
invert = false
"""
JOBS = 15
# One thread everywhere: the same job gives the same numbers in every run.
ENV = {
    **os.environ,
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONUNBUFFERED": "1",
}
# Native log lines TensorFlow writes when nothing silences it.
NATIVE_LOG = ("I0000", "E0000", "W0000", "absl::InitializeLog")


def command(experiment: Path, out: Path, *extra: str) -> list[str]:
    """``ignet-bench run`` of ``experiment`` into ``out``, one job at a time."""
    return [
        sys.executable, "-m", "bench.cli", "run", str(experiment),
        "--profile", "quick", "--jobs", "1", "--out", str(out), *extra,
    ]  # fmt: skip


def run(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=ENV)


def start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
    )


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def wait_for_records(path: Path, count: int, process: subprocess.Popen, limit: float = 120) -> None:
    """Wait until ``path`` holds ``count`` lines (or the process ends: a loose bound)."""
    deadline = time.monotonic() + limit
    while len(lines(path)) < count and process.poll() is None:
        assert time.monotonic() < deadline, f"no {count} records in {path} after {limit} s"
        time.sleep(0.02)


def records(out: Path) -> dict[str, dict]:
    """Each job's record in ``out/results``, by job id; fails on a duplicate record (a cut
    line left by a kill -9 is allowed: it is reported and its job was redone)."""
    store = ResultsStore(out / "results")
    found = {record["job_id"]: record for record in store.records()}
    assert [p for p in store.problems if p.kind == "duplicate"] == []
    return found
