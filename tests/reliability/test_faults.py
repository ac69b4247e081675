"""Faults under a running job: a results file made read-only, a full disk, a Dask worker
killed. Each run ends with at most one line of error, its results file still reads, and no
job is recorded twice."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_testing import JOBS, command, lines, records, start, wait_for_records

from bench.results import ResultsStore


def _mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True)


@pytest.fixture
def filesystem(tmp_path: Path) -> Iterator[Path]:
    """A small file system of its own (tmpfs), so the test can fill it or make it
    read-only under a running job as a real disk would be."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = _mount("-t", "tmpfs", "-o", "size=4m", "none", str(folder))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def _error_line(process: subprocess.Popen) -> str:
    process.wait(timeout=300)
    (line,) = [line for line in process.stderr.read().splitlines() if "ignet-bench:" in line]
    return line


def test_a_results_file_made_read_only_during_a_run(experiment, tmp_path):
    out = tmp_path / "out"
    results = out / "results" / "rel.jsonl"
    process = start(command(experiment, out))
    wait_for_records(results, 2, process)
    # Immutable: read-only even for root, whom file modes do not stop.
    made = subprocess.run(["chattr", "+i", str(results)], capture_output=True, text=True)
    if made.returncode != 0:
        process.kill()
        pytest.skip(f"cannot make a file immutable here: {made.stderr.strip()}")
    try:
        line = _error_line(process)
    finally:
        subprocess.run(["chattr", "-i", str(results)], check=True)
    assert process.returncode == 1
    assert line.startswith(f"ignet-bench: error: {results}: cannot write a record")
    assert "Operation not permitted" in line
    kept = ResultsStore(out / "results")
    assert 2 <= len(kept.records()) < JOBS
    assert kept.problems == []  # nothing cut: each record was written whole or not at all


def test_a_full_disk_during_a_run_then_the_same_command_resumes(experiment, filesystem):
    out = filesystem / "out"
    results = out / "results" / "rel.jsonl"
    process = start(command(experiment, out))
    wait_for_records(results, 2, process)
    # A file system as full as it gets: the next records find no room.
    size = sum(p.stat().st_size for p in filesystem.rglob("*") if p.is_file())
    assert _mount("-o", f"remount,size={size // 1024 + 8}k", str(filesystem)).returncode == 0
    line = _error_line(process)
    assert process.returncode == 1
    assert line.startswith(f"ignet-bench: error: {results}: cannot write a record")
    assert "No space left on device" in line
    store = ResultsStore(out / "results")
    before = {record["job_id"] for record in store.records()}
    assert all(problem.kind == "corrupt" for problem in store.problems)  # a cut last line
    assert _mount("-o", "remount,size=64m", str(filesystem)).returncode == 0
    resumed = start(command(experiment, out))
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    after = records(out)
    assert len(after) == JOBS and before <= set(after)


def test_a_dask_worker_killed_during_a_job(experiment, tmp_path):
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "out"
    results = out / "results" / "rel.jsonl"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        process = start(
            command(experiment, out, "--scheduler", cluster.scheduler_address, "--jobs", "2")
        )
        wait_for_records(results, 1, process)
        victim = next(iter(cluster.workers.values()))
        os.kill(victim.process.pid, signal.SIGKILL)  # the nanny starts a new worker
        assert process.wait(timeout=300) == 0, process.stderr.read()
    assert len(lines(results)) == JOBS  # Dask ran the lost job again; it is recorded once
    assert len(records(out)) == JOBS


def test_a_results_folder_made_read_only_during_a_run(experiment, tmp_path):
    """Records still go into the file already there; the owner file cannot be removed at
    the end, which must not turn a finished run into an error."""
    out = tmp_path / "out"
    folder = out / "results"
    process = start(command(experiment, out))
    wait_for_records(folder / "rel.jsonl", 2, process)
    made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
    if made.returncode != 0:
        process.kill()
        pytest.skip(f"cannot make a folder immutable here: {made.stderr.strip()}")
    try:
        stdout, stderr = process.communicate(timeout=300)
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and "error" not in stderr
    assert stdout.startswith(f"rel: {JOBS} jobs run, 0 already done")
    assert len(records(out)) == JOBS
