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
    rng = random.Random(17)
    kills = 0
    while kills < 5:
        process = start(command(experiment, out))
        before = len(lines(out / "results" / "rel.jsonl"))
        # Random moments after the first new record: inside a job or between two.
        wait_for_records(out / "results" / "rel.jsonl", before + 1, process)
        time.sleep(rng.uniform(0, 0.3))
        if process.poll() is not None:
            break  # it finished first: nothing left to kill
        process.kill()
        process.wait(timeout=30)
        kills += 1
    assert kills == 5, "the run finished before it was killed five times"
    finished = run(command(experiment, out))
    assert finished.returncode == 0, finished.stderr
    got = records(out)
    assert got.keys() == expected.keys()
    for job, record in got.items():
        assert record["metrics"] == expected[job]["metrics"], job
        assert record["status"] == expected[job]["status"]
