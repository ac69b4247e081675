from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import bench
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


@pytest.mark.parametrize(
    ("option", "complaint"),
    [
        (["--seed", "x"], "argument --seed: invalid int value: 'x'"),
        (["--count", "0"], "argument --count: must be at least 1, got 0"),
    ],
)
def test_bad_command_line_is_a_usage_error_in_one_line(tmp_path, option, complaint):
    result = _run("data", "generate", "--out", str(tmp_path / "x"), *option)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"ignet-bench data generate: error: {complaint} (see ignet-bench data generate --help)"
    ]
    assert not (tmp_path / "x").exists()


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


def test_help_shows_defaults_and_version():
    result = _run("run", "--help")
    assert "output folder (default: results)" in result.stdout
    assert "(default: 0)" in " ".join(result.stdout.split())  # --seed
    assert _run("--version").stdout.strip() == f"ignet-bench {bench.__version__}"


# What a command loads when it runs, not before: the libraries --help must not wait for.
_HEAVY = ("sklearn", "pandas", "scipy", "matplotlib", "tensorflow", "keras", "torch", "jax")


def test_help_loads_no_heavy_library_and_returns_at_once():
    probe = (
        "import sys, time; start = time.perf_counter(); from bench.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(time.perf_counter() - start)\n"
        f"print(sorted(m for m in {_HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    seconds, loaded = result.stdout.strip().splitlines()[-2:]
    assert loaded == "[]"
    # Under 0.5 s on an idle machine (the import of numpy and of the engine names); the
    # bound catches a heavy import coming back, not a busy machine.
    assert float(seconds) < 5


def _experiment_with_bad_field(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('title = "bad"\ndataset = "pictures"\n')
    return str(path)


# Each bad input, the exit status and words of its one line; {tmp} is a fresh folder.
BAD_INPUTS = [
    (["reproduce", "--faces", "/nonexistent"], 2, "--faces /nonexistent: folder does not exist"),
    (["reproduce", "--data", "/nonexistent"], 2, "--data /nonexistent: folder does not exist"),
    (["reproduce", "--out", "/proc/forbidden"], 2, "--out /proc/forbidden: cannot create"),
    (["run", "digits", "--out", "/proc/x/y"], 2, "--out /proc/x/y: cannot create"),
    (["reproduce", "--jobs", "0"], 2, "--jobs must be"),
    (["run", "digits", "--jobs", "-99"], 2, "--jobs must be"),
    (["run", "nosuch"], 2, "experiment 'nosuch' not found"),
    (["run", "digits", "--engine", "nearest"], 2, "has no run for engine(s) nearest"),
    (["run", "digits", "--scheduler", "tcp://127.0.0.1:1"], 2, "no scheduler reachable"),
    (["run", "digits", "--scheduler", "nohost"], 2, "not a tcp://HOST:PORT address"),
    (["run", "table1", "--data", "{tmp}/empty"], 1, "holds no .jpeg, .jpg or .png drawings"),
    (["run", "faces_table3", "--data", "{tmp}/empty"], 1, "not a CelebA-style faces folder"),
    (["run", "table1", "--data", "{tmp}/file.txt"], 2, "not a folder"),
    (["run", "table1", "--out", "{tmp}/file.txt"], 2, "file.txt: not a folder"),
    (["results", "check", "/nonexistent"], 2, "folder does not exist"),
    (["results", "check", "{tmp}/empty"], 1, "holds no results"),
    (["report", "--out", "{tmp}/empty"], 1, "--out {tmp}/empty: holds no results"),
    (
        ["report", "--out", "{tmp}/run", "--report", "/proc/forbidden"],
        2,
        "--report /proc/forbidden",
    ),
    (["report", "--out", "{tmp}/run", "--data", "/nonexistent"], 2, "--data /nonexistent: folder"),
    (["diagnose", "--data", "/nonexistent"], 2, "--data /nonexistent: folder does not exist"),
    (["timing", "--out", "/proc/forbidden"], 2, "--out /proc/forbidden: cannot create"),
    (["data", "generate", "--out", "/proc/forbidden"], 2, "--out /proc/forbidden: cannot create"),
    (["run", "table1", "--data", "{tmp}/misnamed"], 1, "1 of 2 drawings are not named"),
]


@pytest.mark.parametrize(("args", "status", "words"), BAD_INPUTS)
def test_bad_inputs_fail_at_once_in_one_line_before_any_work(tmp_path, capsys, args, status, words):
    import time

    (tmp_path / "empty").mkdir()
    (tmp_path / "file.txt").write_text("x")
    # A run's folder with one record, and drawings of which one is badly named.
    (tmp_path / "run" / "results").mkdir(parents=True)
    (tmp_path / "run" / "results" / "x.jsonl").write_text("{}\n")
    (tmp_path / "misnamed").mkdir()
    for name in ("p3-67w-6.7f.jpeg", "scan-0001.jpeg"):
        (tmp_path / "misnamed" / name).write_bytes(b"")
    args = [a.format(tmp=tmp_path) for a in args]
    words = words.format(tmp=tmp_path)
    if args[0] in ("run", "reproduce") and "--out" not in args:
        args += ["--out", str(tmp_path / "out")]
    if args[0] in ("run", "reproduce", "report"):
        args += ["--profile", "smoke"]
    began = time.monotonic()
    assert main(args) == status
    assert time.monotonic() - began < 2  # checked first: nothing was generated or run
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1, error
    assert error.startswith("ignet-bench: error: ") and words in error
    assert not (tmp_path / "out").exists()


def test_a_bad_experiment_field_names_the_file_and_field(tmp_path, capsys):
    assert main(["run", _experiment_with_bad_field(tmp_path), "--out", str(tmp_path / "o")]) == 2
    error = capsys.readouterr().err
    assert "bad.toml" in error and "dataset" in error and len(error.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ("{ learning_rate = -1 }", "run[1].options: learning_rate must be > 0, got -1"),
        ('{ optimizer = "adam" }', "run[1].options: optimizer: unknown name 'adam'"),
        ("{ validation_fraction = 1.5 }", "run[1].options: validation_fraction must be in"),
    ],
)
def test_a_bad_option_value_fails_before_work_and_leaves_no_folder(
    tmp_path, capsys, options, words
):
    import time

    shipped = (Path(bench.__file__).parent / "experiments" / "digits.toml").read_text()
    head, _, rest = shipped.partition("[[run]]")
    # The digits experiment with one IgNet run given a bad option value.
    rest = rest.replace('network = "ignet1"\n', f'network = "ignet1"\noptions = {options}\n', 1)
    path = tmp_path / "bad.toml"
    path.write_text(head + "[[run]]" + rest)
    out = tmp_path / "new" / "out"
    began = time.monotonic()
    assert main(["run", str(path), "--out", str(out), "--profile", "smoke"]) == 2
    assert time.monotonic() - began < 5
    error = capsys.readouterr().err
    assert error.startswith("ignet-bench: error: bad.toml: ") and words in error
    assert len(error.strip().splitlines()) == 1
    assert not (tmp_path / "new").exists()


def test_debug_shows_the_traceback(monkeypatch):
    result = _run("--debug", "run", "nosuch")
    assert result.returncode == 2 and "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("ignet-bench: error: ")
    monkeypatch.setenv("IGNET_BENCH_DEBUG", "1")
    assert "Traceback" in _run("run", "nosuch").stderr


def test_results_check_lists_and_repairs(tmp_path, capsys):
    from bench.results import JOB_FIELDS, ResultsStore

    store = ResultsStore(tmp_path / "results")
    for fold in (0, 1, 1):
        store.append({**dict.fromkeys(JOB_FIELDS, "x"), "fold": fold, "seed": 0}, name="exp")
    with (store.folder / "exp.jsonl").open("a") as handle:
        handle.write("{not json\n")
    assert main(["results", "check", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    job = "/".join(["x"] * 9 + ["1", "0"])
    assert (
        out[0] == f"{store.folder / 'exp.jsonl'}:3: second record of job {job} (first: exp.jsonl:2)"
    )
    assert out[1] == f"{store.folder / 'exp.jsonl'}:4: truncated or corrupt line"
    assert out[2].endswith(
        "2 records; 1 corrupt line (exp.jsonl: 1) and 1 duplicate record (exp.jsonl: 1)"
    )
    assert main(["results", "check", str(store.folder), "--repair"]) == 0
    assert "exp.jsonl.bak" in capsys.readouterr().out
    assert main(["results", "check", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip().endswith("2 records; no problems")


def test_a_failing_write_is_one_line_and_keeps_the_file_readable(tmp_path, capsys, monkeypatch):
    import errno

    from bench.results import ResultsStore

    def disk_full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("os.write", disk_full)
    args = ["run", "digits", "--profile", "smoke", "--jobs", "1", "--engine", "linear", "-q"]
    assert main([*args, "--out", str(tmp_path)]) == 1
    monkeypatch.undo()
    error = capsys.readouterr().err.strip().splitlines()
    assert error == [
        f"ignet-bench: error: {tmp_path / 'results' / 'digits.jsonl'}: cannot write a record "
        "(No space left on device); the records before it are kept"
    ]
    assert not (tmp_path / "results" / ".lock.owner").exists()
    assert ResultsStore(tmp_path / "results").check() == 0
