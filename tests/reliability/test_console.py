"""What a user sees: no native TensorFlow log line unless asked for, and with --quiet only
the final summary."""

from __future__ import annotations

import pytest
from reliability_testing import NATIVE_LOG, command, run

# The digits experiment's Keras run alone: TensorFlow imported in a worker process.
KERAS_DIGITS = """
title = "keras on digits"
dataset = "digits"
protocols = ["stratified-cv"]

[[run]]
engine = "keras"
network = "fig2"
options = { build_kwargs = { padding = ["same", "same"] } }
paper = {}

[[target]]
name = "digit"

[profile.quick]
epochs = 1
size = [8, 8]
invert = false

[profile.paper]
epochs = 1
size = [8, 8]
invert = false
"""


@pytest.fixture
def keras_experiment(tmp_path):
    pytest.importorskip("keras")
    path = tmp_path / "keras_digits.toml"
    path.write_text(KERAS_DIGITS)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])  # in this process, and in a worker process
def test_no_native_log_line_reaches_the_console(keras_experiment, tmp_path, jobs):
    done = run([*command(keras_experiment, tmp_path / "out", "--profile", "smoke"), "--jobs", jobs])
    assert done.returncode == 0, done.stderr
    console = done.stdout + done.stderr
    assert [marker for marker in NATIVE_LOG if marker in console] == []
    assert "keras_digits: 1 jobs run" in done.stdout


@pytest.mark.slow
def test_verbose_lets_native_logging_through(keras_experiment, tmp_path):
    done = run([*command(keras_experiment, tmp_path / "out", "--profile", "smoke"), "--verbose"])
    assert done.returncode == 0, done.stderr
    assert any(marker in done.stderr for marker in NATIVE_LOG)


def test_quiet_prints_the_summary_only(experiment, tmp_path):
    done = run([*command(experiment, tmp_path / "out"), "--quiet"])
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress bar, no warning
    assert done.stdout.splitlines()[0].startswith("rel: 15 jobs run, 0 already done")


@pytest.mark.parametrize(
    ("verbosity", "shown"), [("quiet", False), ("normal", False), ("verbose", True)]
)
def test_tensorflows_python_warnings_only_when_verbose(verbosity, shown, monkeypatch):
    import logging
    import sys

    from bench import console

    logger = logging.getLogger("tensorflow")
    monkeypatch.setattr(logger, "level", logger.level)  # restored after the test
    logger.setLevel(logging.NOTSET)  # as a fresh process has it (and clears the cache)
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))  # the quiet finder added
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    console.configure(verbosity)
    # tf.function reports a retracing as a warning on this logger.
    assert logger.isEnabledFor(logging.WARNING) is shown
    assert logger.isEnabledFor(logging.ERROR)
