from __future__ import annotations

import subprocess
import sys

import pytest

from bench.cli import main


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bench.cli", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "command", [[], ["data"], ["data", "generate"], ["data", "inspect"], ["diagnose"]]
)
def test_every_command_has_help(command):
    result = _run(*command, "--help")
    assert result.returncode == 0
    assert "usage: ignet-bench" in result.stdout
    assert len(result.stdout.splitlines()) > 3


def test_generate_then_inspect(tmp_path, capsys):
    out = tmp_path / "drawings"
    assert main(["data", "generate", "--out", str(out), "--count", "40", "--seed", "4"]) == 0
    assert len(list(out.glob("*.jpeg"))) == 40
    (out / "p1-999w-5.5x.jpeg").write_bytes(b"bad")
    figure = tmp_path / "grid.png"
    assert main(["data", "inspect", str(out), "--figure", str(figure)]) == 0
    text = capsys.readouterr().out
    assert "40 drawings by" in text
    assert "classes per target:" in text
    assert "age+who_drew+who_is_drawn+age_category" in text
    assert "p1-999w-5.5x.jpeg: bad name" in text
    assert figure.stat().st_size > 10_000


def test_generate_refuses_a_folder_with_images(tmp_path):
    out = tmp_path / "drawings"
    assert main(["data", "generate", "--out", str(out), "--count", "5"]) == 0
    result = _run("data", "generate", "--out", str(out), "--count", "5")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["data", "inspect", "/no/such/folder"], "/no/such/folder: folder does not exist"),
        (["data", "generate", "--out", "{tmp}/x", "--count", "0"], "n_drawings"),
    ],
)
def test_user_errors_print_one_line(tmp_path, args, words):
    result = _run(*[a.format(tmp=tmp_path) for a in args])
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ignet-bench: error: ")
    assert words in lines[0]


def test_bad_command_line_is_a_usage_error():
    result = _run("data", "generate", "--seed", "x")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_diagnose_prints_the_fig4_table_before_and_after_training(generated_folder, capsys):
    args = ["diagnose", "--data", str(generated_folder), "--size", "18", "29"]
    assert main([*args, "--epochs", "1", "--w-scale", "1", "10"]) == 0
    text = capsys.readouterr().out
    assert "fig5 on age_months: 338 drawings of 18x29" in text
    assert text.count("***dL/dW MAV") == 2  # at the start and after the epoch
    assert "after 1 epochs:" in text
    assert text.count("layers with dLoss/dW MAV outside 0.01-0.1:") == 2


def test_diagnose_calibrates_into_the_band(generated_folder, capsys):
    args = ["diagnose", "--data", str(generated_folder), "--size", "18", "29"]
    assert main([*args, "--calibrate", "0.01", "0.1"]) == 0
    text = capsys.readouterr().out
    assert "calibration into 0.01-0.1" in text
    assert "layers with dLoss/dW MAV outside 0.01-0.1: none" in text


@pytest.mark.parametrize(
    ("option", "complaint"),
    [(["--target", "colour"], "colour"), (["--epochs", "-1"], "--epochs")],
)
def test_diagnose_bad_options_fail_in_one_line(generated_folder, capsys, option, complaint):
    assert main(["diagnose", "--data", str(generated_folder), *option]) == 2
    error = capsys.readouterr().err
    assert error.startswith("ignet-bench: error:") and complaint in error
    assert len(error.strip().splitlines()) == 1


def test_a_bad_jobs_count_fails_before_any_data_is_made(tmp_path, capsys):
    from bench.cli import main

    assert main(["reproduce", "--profile", "smoke", "--jobs", "0", "--out", str(tmp_path)]) != 0
    assert "--jobs" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()
