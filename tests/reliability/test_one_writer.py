"""One writer per results folder: a second run exits at once naming the first, a lock
left by a killed run is taken over, and two runs started together write no duplicate."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from reliability_testing import ENV, JOBS, command, records, run, start

from bench.locking import FolderBusyError, results_lock


def test_a_second_run_on_a_busy_folder_exits_at_once_naming_the_first(experiment, tmp_path):
    out = tmp_path / "out"
    with results_lock(out / "results"):
        began = time.monotonic()
        second = run(command(experiment, out))
        took = time.monotonic() - began
    assert second.returncode == 2
    (line,) = second.stderr.strip().splitlines()
    assert line.startswith(f"ignet-bench: error: {out / 'results'} is in use by another run, ")
    assert f"process {os.getpid()} " in line
    assert took < 60  # a loose bound: it does not wait for the lock
    assert not list((out / "results").glob("*.jsonl"))


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path):
    folder = tmp_path / "results"
    hold = (
        "import time\nfrom bench.locking import results_lock\n"
        f"with results_lock({str(folder)!r}):\n"
        "    print('held', flush=True)\n    time.sleep(600)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", hold], stdout=subprocess.PIPE, text=True, env=ENV
    )
    assert holder.stdout.readline().strip() == "held"
    try:
        with results_lock(folder):
            raise AssertionError("the lock of a live run was taken")
    except FolderBusyError as error:
        assert f"process {holder.pid} " in str(error)
    holder.kill()
    holder.wait(timeout=30)
    assert (folder / ".lock.owner").exists()  # left behind by the kill
    with results_lock(folder):
        assert (folder / ".lock.owner").read_text().split()[0] == str(os.getpid())
    assert not (folder / ".lock.owner").exists()


def test_two_runs_started_together_write_each_job_once(experiment, tmp_path):
    out = tmp_path / "out"
    first, second = start(command(experiment, out)), start(command(experiment, out))
    outcomes = sorted(process.wait(timeout=300) for process in (first, second))
    errors = first.stderr.read() + second.stderr.read()
    assert outcomes == [0, 2], errors
    assert "is in use by another run, process" in errors
    assert len(records(out)) == JOBS
