"""``reproduce`` holds the results folder's lock until its report is written, and ends
with the verdicts' line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import bench.reporting
from bench.cli import main

pytestmark = pytest.mark.filterwarnings("ignore")


def test_reproduce_keeps_the_lock_through_the_report_and_ends_with_the_verdicts(
    tmp_path, capsys, monkeypatch
):
    build = bench.reporting.build_report
    held: list[bool] = []

    def watched(out: Path, **options: object) -> dict[str, Path]:
        # The owner file is there exactly while the lock is held.
        held.append((Path(out) / "results" / ".lock.owner").is_file())
        return build(out, **options)

    monkeypatch.setattr(bench.reporting, "build_report", watched)
    # The digits: the smoke run with no data to generate.
    args = ["reproduce", "--profile", "smoke", "--experiment", "digits", "--jobs", "1"]
    assert main([*args, "--out", str(tmp_path), "-q"]) == 0
    assert held == [True]
    first, *_ = capsys.readouterr().out.splitlines()
    assert re.fullmatch(
        r"claims: \d+ reproduced, \d+ not reproduced, \d+ inconclusive "
        r"\(the report's first page says why\)",
        first,
    )
    assert not (tmp_path / "results" / ".lock.owner").exists()
