"""Stopping a run: SIGINT and SIGTERM stop it cleanly; kill -9 at any moment loses only
the jobs in flight, and resuming gives the same records as a run never stopped."""

from __future__ import annotations

import random
import signal
import time

import pytest
from reliability_testing import (
    JOBS,
    command,
    lines,
    records,
    run,
    start,
    wait_for_records,
)


@pytest.mark.parametrize(
    ("signum", "status", "jobs"), [(signal.SIGINT, 130, "2"), (signal.SIGTERM, 143, "1")]
)
def test_a_signal_stops_the_run_cleanly_and_it_resumes(experiment, tmp_path, signum, status, jobs):
    out = tmp_path / "out"
    args = [*command(experiment, out), "--jobs", jobs]
    process = start(args)
    wait_for_records(out / "results" / "rel.jsonl", 2, process)
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == status, err
    assert "Traceback" not in err and "warning" not in err
    last = err.strip().splitlines()[-1]
    kept = len(records(out))
    assert last == (
        f"ignet-bench: stopped: rel: stopped by {signal.Signals(signum).name}, jobs in flight "
        f"abandoned; {kept} of {JOBS} jobs done and kept in {out / 'results'}; run the same "
        "command again to resume"
    )
    assert 2 <= kept < JOBS
    assert not (out / "results" / ".lock.owner").exists()

    resumed = run(args)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{JOBS - kept} jobs run, {kept} already done" in resumed.stdout
    assert len(records(out)) == JOBS


def test_kill9_at_random_moments_then_resume_gives_the_uninterrupted_records(experiment, tmp_path):
    whole = tmp_path / "whole"
    assert run(command(experiment, whole)).returncode == 0
    expected = records(whole)
    assert len(expected) == JOBS

    out = tmp_path / "killed"
    results = out / "results" / "rel.jsonl"
    rng = random.Random(17)
    # Kill when the file reaches 0-1, 3-4, 6-7, 9-10 and 12-13 records (0: during start-up
    # or the first job), a random moment later: inside a job or between two, whatever the
    # speed of the machine.
    for target in [3 * i + rng.randint(0, 1) for i in range(5)]:
        process = start(command(experiment, out))
        if target == 0:
            time.sleep(rng.uniform(0.5, 3))
        else:
            deadline = time.monotonic() + 120
            while len(lines(results)) < target and process.poll() is None:
                assert time.monotonic() < deadline
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.05))
        assert process.poll() is None, "the run finished before it was killed"
        process.kill()
        process.wait(timeout=30)
        assert len(records(out)) < JOBS
    finished = run(command(experiment, out))
    assert finished.returncode == 0, finished.stderr
    got = records(out)
    assert got.keys() == expected.keys()
    for job, record in got.items():
        assert record["metrics"] == expected[job]["metrics"], job
        assert record["status"] == expected[job]["status"]
