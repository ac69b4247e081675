"""Bad inputs found before any work: experiment fields, a --scheduler that is no Dask
scheduler, badly named or undecodable drawings, a generated folder left part-way; and the
libraries a command has not loaded when it says so."""

from __future__ import annotations

import http.server
import json
import re
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from reliability_testing import ENV

from bench.cli import main
from bench.data import sources
from bench.data.provenance import MARKER
from bench.errors import BenchError, DataError
from bench.runner import _parallel

# A drawings experiment: a check that missed its bad field would generate 338 drawings.
DRAWINGS = """
title = "checks"
dataset = "drawings"
protocols = ["paper-ignet"]

[[run]]
engine = "linear"
network = "{network}"
options = {{ {option} = 1 }}

[[target]]
name = "age_category"

[[target]]
name = "{target}"

[profile.quick]
epochs = 1
linear = {{ {profile_option} = 1 }}

[profile.paper]
epochs = 1
"""
# Options both of the linear engine's estimators take (logistic and ridge regression).
GOOD = {"network": "pixels", "option": "tol", "target": "age_months", "profile_option": "max_iter"}


def _fails_in_one_line(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    began = time.monotonic()
    status = main(args)
    seconds = time.monotonic() - began
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1, error
    assert error.startswith("ignet-bench: error: ")
    assert seconds < 2
    return status, error.strip().removeprefix("ignet-bench: error: ")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "target",
            "colour",
            "target[2].name: unknown target 'colour' (allowed: age+who_drew+who_is_drawn+",
        ),
        (
            "network",
            "nosuchnet",
            "run[1].network: unknown network 'nosuchnet' for the linear engine (allowed: pixels)",
        ),
        ("option", "colour", "run[1].options: unknown option 'colour' for the linear engine"),
        ("profile_option", "colour", "profile.quick.linear: unknown option 'colour'"),
    ],
)
def test_a_bad_experiment_field_fails_before_any_data_is_made(
    tmp_path, capsys, field, value, message
):
    path = tmp_path / "checks.toml"
    path.write_text(DRAWINGS.format(**{**GOOD, field: value}))
    out = tmp_path / "out"
    status, error = _fails_in_one_line(["run", str(path), "--jobs", "1", "--out", str(out)], capsys)
    assert status == 2
    assert error.startswith(f"checks.toml: {message}")
    assert not (out / "data").exists() and not (out / "results").exists()


def test_the_keras_networks_a_run_may_name_are_those_it_builds():
    pytest.importorskip("baseline_keras")
    from bench.engines.keras import NETWORKS, _builders

    assert set(NETWORKS) == set(_builders())


class _Silent(socketserver.BaseRequestHandler):
    """Accepts a connection and says nothing."""

    def handle(self) -> None:
        self.server.stop.wait(10)  # type: ignore[attr-defined]


class _Http(http.server.BaseHTTPRequestHandler):
    """Answers every request with an HTTP error, and logs nothing."""

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(params=["silent", "http"])
def not_a_scheduler(request) -> Iterator[str]:
    """A TCP server on 127.0.0.1 that is not a Dask scheduler: one that never answers, and
    an HTTP server."""
    pytest.importorskip("distributed")
    kind = (
        socketserver.ThreadingTCPServer
        if request.param == "silent"
        else http.server.ThreadingHTTPServer
    )
    handler = _Silent if request.param == "silent" else _Http
    server = kind(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.stop = threading.Event()  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.server_address[1]}"
    server.stop.set()  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


def test_a_scheduler_address_that_is_no_dask_scheduler_fails_at_once(
    tmp_path, capsys, not_a_scheduler
):
    out = tmp_path / "out"
    began = time.monotonic()
    status = main(["run", "digits", "--scheduler", not_a_scheduler, "--out", str(out)])
    # The handshake's limit (1 s) and a margin: a loose bound, to catch a hang.
    assert time.monotonic() - began < 5
    error = capsys.readouterr().err
    assert status == 2 and len(error.strip().splitlines()) == 1, error
    assert error.startswith(f"ignet-bench: error: --scheduler {not_a_scheduler}: not a Dask")
    assert not out.exists()


def test_any_failure_to_reach_dask_when_the_run_starts_is_one_error(monkeypatch):
    distributed = pytest.importorskip("distributed")

    def refuse(address: str, timeout: float) -> None:
        raise ValueError("the scheduler went away")

    monkeypatch.setattr(distributed, "Client", refuse)
    with (
        pytest.raises(BenchError, match=r"--scheduler tcp://h:1: .*the scheduler went away"),
        _parallel(1, "tcp://h:1"),
    ):
        pass


def test_an_undecodable_drawing_is_a_data_error_naming_the_file(tmp_path):
    folder = tmp_path / "drawings"
    folder.mkdir()
    _, image = cv2.imencode(".jpg", np.full((58, 36), 255, np.uint8))
    (folder / "p3-67w-6.7f.jpeg").write_bytes(image.tobytes())
    (folder / "p3-68w-6.7f.jpeg").write_bytes(b"not a jpeg")
    with pytest.raises(DataError) as caught:
        sources.load("drawings", str(folder), (18, 29), False)
    message = str(caught.value)
    assert "p3-68w-6.7f.jpeg" in message and f"ignet-bench data inspect {folder}" in message


def test_a_generated_folder_without_its_marker_is_not_used(tmp_path, capsys):
    """What a generation stopped part-way by an older version leaves: images, no marker."""
    partial = tmp_path / "out" / "data" / "drawings"
    partial.mkdir(parents=True)
    (partial / "p3-67w-6.7f.jpeg").write_bytes(b"")
    args = ["run", "table1", "--profile", "smoke", "--jobs", "1", "--out", str(tmp_path / "out")]
    assert main(args) == 1
    error = capsys.readouterr().err.strip()
    assert error == (
        f"ignet-bench: error: {partial}: holds files but no {MARKER}, so it is not a whole "
        "generated drawings folder (or one made before the marker was written); delete it "
        "to generate it again, or give it with --data to use it as it is"
    )
    assert not (tmp_path / "out" / "results" / "table1.jsonl").exists()


def test_a_generation_stopped_part_way_leaves_no_folder_and_the_next_one_finishes(
    tmp_path, monkeypatch
):
    def stopped(folder: Path, seed: int, progress: bool) -> None:
        folder.mkdir(parents=True)
        (folder / "p3-67w-6.7f.jpeg").write_bytes(b"")
        raise KeyboardInterrupt  # Ctrl-C before the marker is written

    def whole(folder: Path, seed: int, progress: bool) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "p3-67w-6.7f.jpeg").write_bytes(b"")
        (folder / MARKER).write_text("")

    folder = tmp_path / "data" / "drawings"
    drawings = sources.SOURCES["drawings"]
    monkeypatch.setitem(sources.SOURCES, "drawings", replace(drawings, generate=stopped))
    with pytest.raises(KeyboardInterrupt):
        sources.default_folder(tmp_path)
    assert not folder.exists()
    monkeypatch.setitem(sources.SOURCES, "drawings", replace(drawings, generate=whole))
    assert sources.default_folder(tmp_path) == folder
    assert sorted(p.name for p in folder.iterdir()) == [MARKER, "p3-67w-6.7f.jpeg"]
    assert [p.name for p in folder.parent.iterdir()] == ["drawings"]


# Libraries a command loads for its work, never to check its inputs.
_HEAVY = ("pandas", "sklearn", "tensorflow")


def test_bad_inputs_are_told_before_any_heavy_library_is_loaded(tmp_path):
    """Each bad input in a fresh process, as a user meets it: the status, one line, and
    none of pandas, scikit-learn and TensorFlow loaded when the error was raised."""
    (tmp_path / "misnamed").mkdir()
    (tmp_path / "misnamed" / "scan-0001.jpeg").write_bytes(b"")
    (tmp_path / "run" / "results").mkdir(parents=True)
    (tmp_path / "run" / "results" / "x.jsonl").write_text("{}\n")
    out = str(tmp_path / "out")
    cases = [
        (["run", "table1", "--jobs", "0", "--out", out], 2, "--jobs"),
        (["run", "nosuch", "--out", out], 2, "experiment 'nosuch' not found"),
        (["run", "table1", "--out", "/proc/forbidden"], 2, "--out /proc/forbidden"),
        (["reproduce", "--data", "/nonexistent", "--out", out], 2, "--data /nonexistent"),
        (["run", "table1", "--data", str(tmp_path / "misnamed"), "--out", out], 1, "--data"),
        (["run", "digits", "--scheduler", "tcp://127.0.0.1:1", "--out", out], 2, "--scheduler"),
        (["timing", "--out", "/proc/forbidden"], 2, "--out /proc/forbidden"),
        (["data", "generate", "--out", "/proc/forbidden"], 2, "--out /proc/forbidden"),
        (["report", "--out", str(tmp_path / "run"), "--report", "/proc/forbidden"], 2, "--report"),
        (["report", "--out", str(tmp_path / "run"), "--data", "/nonexistent"], 2, "--data"),
        (["report", "--out", str(tmp_path / "misnamed")], 1, "--out"),
        (["diagnose", "--data", "/nonexistent"], 2, "--data /nonexistent"),
        (["results", "check", str(tmp_path / "misnamed")], 1, "results check"),
    ]
    probe = (
        "import json, sys\n"
        "from bench.cli import main\n"
        "status = main(json.loads(sys.argv[1]))\n"
        f"print(json.dumps([status, [m for m in {_HEAVY!r} if m in sys.modules]]))\n"
    )
    for args, status, words in cases:
        began = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-c", probe, json.dumps(args)],
            capture_output=True,
            text=True,
            timeout=60,
            env=ENV,
        )
        # Under a second on an idle machine; the bound catches a hang, not a busy machine.
        assert time.monotonic() - began < 10, args
        assert json.loads(result.stdout) == [status, []], (args, result.stdout)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (args, result.stderr)
        assert re.match(rf"ignet-bench: error: .*{re.escape(words)}", lines[0]), lines[0]
    assert not Path(out).exists()
