from __future__ import annotations

import os

import numpy as np
import pytest

from bench.errors import BenchError
from bench.experiment import list_experiments, load_experiment
from bench.jobs import expand
from bench.results import ResultsStore
from bench.runner import _trivial, execute, run_experiment

TINY = """
title = "tiny"
dataset = "drawings"
protocols = ["paper-ignet", "leak-free"]

[[run]]
engine = "ignet"
network = "fig5"

[[run]]
engine = "linear"
network = "pixels"

[[target]]
name = "age_category"

[[target]]
name = "age_months"

[profile.quick]
epochs = 2
folds = 1
size = [18, 29]
paper-ignet = { copies = 2, n_folds = 3 }
ignet = { learning_rate = 0.001 }

[profile.paper]
epochs = 10
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return load_experiment(path)


def test_shipped_experiments_load():
    assert "table1" in list_experiments()
    table1 = load_experiment("table1")
    jobs = expand(table1, "paper")
    # (2 readings of Fig. 2 + 2 memorisation baselines + the linear baseline) x 5 targets
    # x 3 protocols x 10 folds
    assert len(jobs) == 750
    assert {job.protocol for job in jobs} == {"paper-keras", "image-split", "leak-free"}
    assert all(job.settings.protocol_base == "paper-keras" for job in jobs)


def test_expand(tiny):
    jobs = expand(tiny, "quick", seed=3)
    assert len(jobs) == 2 * 2 * 2 * 1
    assert {job.engine for job in jobs} == {"ignet", "linear"}
    assert {job.task for job in jobs} == {"classification", "regression"}
    ignet_job = next(job for job in jobs if job.engine == "ignet")
    assert ignet_job.settings.engine_options == {"learning_rate": 0.001}
    assert ignet_job.seed == 3
    assert len(expand(tiny, "quick", engines=["linear"])) == 4
    with pytest.raises(BenchError, match="profile"):
        expand(tiny, "huge")
    with pytest.raises(BenchError, match="no run for engine"):
        expand(tiny, "quick", engines=["keras"])


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("title = 1", "title: Input should be a valid string"),
        (
            TINY.replace('dataset = "drawings"', 'dataset = "mnist"'),
            "dataset: dataset must be one of drawings, faces, digits, not 'mnist'",
        ),
        (
            TINY.replace('"paper-ignet", "leak-free"', '"paper-x"'),
            r"protocols\[1\]: Input should be 'paper-keras', 'paper-ignet', .* .got 'paper-x'.",
        ),
        (TINY.replace('engine = "linear"', 'engine = "torch"'), "engine"),
        (TINY.replace("[profile.paper]", "[profile.other]"), r"profile\.paper"),
        ("title = [", "not valid TOML"),
    ],
)
def test_bad_experiment_files_name_the_problem(tmp_path, text, complaint):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(BenchError, match=complaint):
        load_experiment(path)


def test_unknown_experiment():
    with pytest.raises(BenchError, match="not found"):
        load_experiment("table99")


def test_execute_ignet_and_linear_jobs(tiny, generated_folder):
    for job in expand(tiny, "quick"):
        if job.protocol != "leak-free" or job.target != "age_category":
            continue
        record = execute(job, str(generated_folder))
        assert record["leakage"] == {"same_image": 0.0, "same_child": 0.0}
        accuracy = record["metrics"]["test"]["accuracy"]
        assert 0.0 <= accuracy <= 1.0
        assert record["n_train"] > record["n_test"] > 0
        assert record["train_seconds"] > 0
        # The trivial score is one class's share of the test labels.
        true = np.asarray(record["predictions"]["true"])
        shares = np.bincount(true) / len(true)
        assert np.isclose(shares, record["metrics"]["trivial"]["accuracy"]).any()
        if job.engine == "ignet":
            assert len(record["curve"]["loss"]) == 2
            assert "val_accuracy" in record["curve"]


def test_trivial_predicts_the_training_majority_or_mean():
    classes = _trivial("classification", np.array([2, 0, 2, 1]), 3)
    assert classes.tolist() == [2, 2, 2]
    labels = _trivial("multilabel", np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1]]), 2)
    assert labels.tolist() == [[1, 0, 0], [1, 0, 0]]
    assert _trivial("regression", np.array([10.0, 20.0, 60.0]), 2).tolist() == [30.0, 30.0]


def test_run_resumes_without_duplicates(tiny, generated_folder, tmp_path):
    out = tmp_path / "out"
    first = run_experiment(tiny, "quick", generated_folder, out, engines=["linear"], progress=False)
    assert (first.total, first.skipped, first.ran) == (4, 0, 4)
    again = run_experiment(tiny, "quick", generated_folder, out, engines=["linear"], progress=False)
    assert (again.skipped, again.ran) == (4, 0)
    records = ResultsStore(out / "results").records()
    assert len(records) == len({r["job_id"] for r in records}) == 4
    regression = [r for r in records if r["task"] == "regression"]
    assert all(np.isfinite(r["metrics"]["test"]["mape"]) for r in regression)


def test_cli_run_prints_the_paper_table(tiny, generated_folder, tmp_path, capsys):
    from bench.cli import main

    args = ["run", str(tiny.source), "--engine", "linear", "--out", str(tmp_path / "out")]
    assert main([*args, "--data", str(generated_folder)]) == 0
    text = capsys.readouterr().out
    assert "4 jobs run, 0 already done" in text
    assert "age_category" in text and "mape (%)" in text
    assert main([*args, "--data", str(generated_folder)]) == 0
    assert "0 jobs run, 4 already done" in capsys.readouterr().out


KERAS_TINY = """
title = "tiny keras"
dataset = "drawings"
protocols = ["paper-keras", "leak-free"]

[[run]]
engine = "keras"
network = "fig2"

[[target]]
name = "age_category"

[profile.quick]
epochs = 1
folds = 1
size = [18, 29]
paper-keras = { learn_test = 700, validation = 100, n_folds = 3 }
keras = { build_kwargs = { dense_units = [16, 16], filters = [4, 8] } }

[profile.paper]
epochs = 10
"""


def test_keras_jobs_are_deterministic_and_leak_free_splits_hold(tmp_path, generated_folder):
    pytest.importorskip("keras")
    path = tmp_path / "keras.toml"
    path.write_text(KERAS_TINY)
    jobs = expand(load_experiment(path), "quick")
    assert [job.protocol for job in jobs] == ["paper-keras", "leak-free"]
    paper, leak_free = (execute(job, str(generated_folder)) for job in jobs)
    again = execute(jobs[0], str(generated_folder))
    assert paper["metrics"] == again["metrics"]
    assert paper["curve"] == again["curve"]
    assert paper["n_train"] + paper["n_test"] == 700 and paper["n_validation"] == 100
    # About two copies of every original: most test images have a twin in training.
    assert paper["leakage"]["same_image"] > 0.5
    assert leak_free["leakage"] == {"same_image": 0.0, "same_child": 0.0}


def test_unknown_engine_options_are_user_errors():
    from bench.engines import make_engine

    with pytest.raises(BenchError, match=r"ignet options: .*speed"):
        make_engine("ignet", "fig5", "classification", 3, "numpy", 1, 0, {"speed": 2})
    with pytest.raises(BenchError, match="engine must be one of"):
        make_engine("torch", "x", "classification", 3, "numpy", 1, 0)


def _tiny_with_folds(tmp_path, folds: int):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY.replace("folds = 1", f"folds = {folds}"))
    return path


def test_a_killed_run_resumes_to_the_same_jobs(tmp_path, generated_folder):
    import signal
    import subprocess
    import sys
    import time

    path = _tiny_with_folds(tmp_path, 3)
    command = [sys.executable, "-m", "bench.cli", "run", str(path), "--engine", "linear"]
    data = ["--data", str(generated_folder)]
    whole = tmp_path / "whole"
    subprocess.run([*command, "--out", str(whole), *data], check=True, capture_output=True)
    expected = {r["job_id"] for r in ResultsStore(whole / "results").records()}
    assert len(expected) == 12

    killed = tmp_path / "killed"
    results = killed / "results" / "tiny.jsonl"
    process = subprocess.Popen(
        [*command, "--out", str(killed), *data],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if results.exists() and results.read_text().count("\n") >= 2:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    interrupted = {r["job_id"] for r in ResultsStore(killed / "results").records()}
    assert 2 <= len(interrupted) < 12  # killed part-way

    subprocess.run([*command, "--out", str(killed), *data], check=True, capture_output=True)
    records = ResultsStore(killed / "results").records()
    ids = [r["job_id"] for r in records]
    assert len(ids) == len(set(ids))
    assert set(ids) == expected


def test_jobs_run_on_a_dask_cluster(tmp_path, generated_folder):
    distributed = pytest.importorskip("distributed")
    experiment = load_experiment(_tiny_with_folds(tmp_path, 1))
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        summary = run_experiment(
            experiment,
            "quick",
            generated_folder,
            tmp_path / "out",
            engines=["linear"],
            scheduler=cluster.scheduler_address,
            jobs=2,
            progress=False,
        )
    assert summary.ran == 4
    records = ResultsStore(tmp_path / "out" / "results").records()
    assert len({r["job_id"] for r in records}) == 4


def test_unreachable_scheduler_is_a_user_error(tiny, generated_folder, tmp_path):
    pytest.importorskip("distributed")
    with pytest.raises(BenchError, match="cannot reach the Dask scheduler"):
        run_experiment(
            tiny,
            "quick",
            generated_folder,
            tmp_path,
            engines=["linear"],
            scheduler="tcp://127.0.0.1:9",
            progress=False,
        )


def test_linear_engine_records_convergence_instead_of_warning():
    import warnings

    from bench.engines import make_engine

    rng = np.random.default_rng(0)
    X, y = rng.random((60, 6, 5)), rng.integers(0, 3, 60)
    capped = make_engine("linear", "pixels", "classification", 3, "numpy", 1, 0, {"max_iter": 2})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        capped.fit(X, y, (X, y))
    assert capped.details() == {"converged": False}
    free = make_engine("linear", "pixels", "classification", 3, "numpy", 1, 0)
    assert free.fit(X, y, (X, y)).details() == {"converged": True}
    for options in ({}, {"max_iter": 30}):  # a closed-form solve has no iterations
        ridge = make_engine("linear", "pixels", "regression", 1, "numpy", 1, 0, options)
        assert ridge.fit(X, y.astype(float), (X, y.astype(float))).details() == {}


def test_jobs_follow_joblibs_convention_and_a_bad_count_names_the_option():
    import os

    from bench.runner import workers

    cores = os.cpu_count() or 1
    assert workers(3) == 3 and workers(-1) == cores
    if cores > 1:
        assert workers(-2) == cores - 1
    for bad in (0, -cores - 1):
        with pytest.raises(BenchError, match="--jobs"):
            workers(bad)


def test_workers_start_with_loky_trackers_stop_warnings_filtered(monkeypatch):
    import subprocess
    import sys

    from bench.runner import _parallel

    monkeypatch.setenv("PYTHONWARNINGS", "default")
    with _parallel(2, None):
        pass
    filters = os.environ["PYTHONWARNINGS"]
    assert filters.split(",") == ["default", "ignore:resource_tracker:UserWarning"]
    with _parallel(2, None):  # added once
        assert os.environ["PYTHONWARNINGS"] == filters
    # What the tracker prints when a stopped run's workers leave semaphores behind.
    code = (
        "import warnings; warnings.warn('resource_tracker: /loky-1: FileNotFoundError'); "
        "warnings.warn('another warning')"
    )
    err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stderr
    assert "resource_tracker" not in err and "another warning" in err
