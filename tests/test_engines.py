"""The engine registry: an engine added through it runs a job and a timing like any other.

The toy engine is nearest-centroid on the pixels: one module-level ``ENGINE`` declaration,
registered for a test and unregistered after, as docs/engines.md describes.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from sklearn.neighbors import NearestCentroid

from bench import timing
from bench.engines import (
    Build,
    Engine,
    EngineAdapter,
    Timing,
    engine_names,
    get_engine,
    make_engine,
    register,
    registered,
    unregister,
)
from bench.errors import BenchError
from bench.experiment import load_experiment
from bench.jobs import expand
from bench.runner import execute


class _Centroid(EngineAdapter):
    def _inputs(self, X: np.ndarray) -> np.ndarray:
        return X.reshape(len(X), -1)

    def _fit(self, X, y, validation, resample) -> None:
        self.estimator.fit(self._inputs(X), y)
        self._val = float(self.estimator.score(self._inputs(validation[0]), validation[1]))

    def _history(self) -> dict[str, list[float]]:
        return {"val_accuracy": [self._val]}


def _build(job: Build) -> EngineAdapter:
    if job.task != "classification":
        raise BenchError(f"centroid classifies; it has no {job.task} model")
    return _Centroid(NearestCentroid(**job.options), job.task)


def _trainer(backend, threads, network, X, y, batch) -> tuple[Any, int]:
    flat, labels = X.reshape(len(X), -1), y.argmax(axis=1)
    model = NearestCentroid()

    def train(n: int) -> None:
        model.fit(flat[:n], labels[:n])

    train(batch)
    # One addition per pixel and sample, into its class's sum.
    return train, flat.shape[1]


ENGINE = Engine(
    name="centroid",
    title="nearest centroid",
    role="baseline",
    build=_build,
    networks=lambda: ("pixels",),
    timing=Timing(
        networks=lambda: ("pixels",),
        contenders=lambda backends, cores: [("-", None)],
        trainer=_trainer,
    ),
)

EXPERIMENT = """
title = "centroid"
dataset = "drawings"
protocols = ["paper-ignet", "leak-free"]

[[run]]
engine = "centroid"
network = "pixels"

[[target]]
name = "age_category"

[profile.quick]
epochs = 1
folds = 1
size = [18, 29]
paper-ignet = { copies = 2, n_folds = 3 }

[profile.paper]
epochs = 1
"""


@pytest.fixture
def centroid():
    register(ENGINE)
    yield ENGINE
    unregister(ENGINE.name)


def test_a_registered_engine_is_listed_until_unregistered(centroid):
    assert engine_names()[-1] == "centroid" and "centroid" in engine_names(timing=True)
    assert get_engine("centroid") is centroid and registered()[-1] is centroid
    with pytest.raises(BenchError, match="registered already"):
        register(centroid)
    unregister("centroid")
    assert "centroid" not in engine_names()
    with pytest.raises(BenchError, match=r"engine must be one of ignet, keras, .*'centroid'"):
        get_engine("centroid")
    register(centroid)  # for the fixture to take away


def test_a_role_outside_the_roles_is_refused():
    with pytest.raises(BenchError, match="role must be one of network, baseline, ceiling"):
        register(Engine(name="odd", title="odd", role="judge", build=_build))
    assert "odd" not in engine_names()


def test_a_timing_only_engine_builds_no_model():
    with pytest.raises(BenchError, match=r"engine must be one of .*not 'torch'"):
        make_engine("torch", "fig5", "classification", 3, "-", 1, 0)


def test_the_registry_says_what_each_engine_sees():
    # The Keras paper's CNN reads ink; IgNet the pixels in [0, 1] (section 5.4.2).
    assert get_engine("keras").invert and not get_engine("ignet").invert
    assert get_engine("keras").protocol == "paper-keras"
    assert {get_engine(n).protocol for n in ("ignet", "linear", "nearest")} == {"paper-ignet"}
    assert get_engine("ignet").redraws and not get_engine("keras").redraws
    assert get_engine("oracle").role == "ceiling" and get_engine("oracle").features is not None


def test_an_added_engine_runs_a_job(centroid, generated_folder, tmp_path):
    path = tmp_path / "centroid.toml"
    path.write_text(EXPERIMENT)
    jobs = expand(load_experiment(path), "quick")
    assert [(j.engine, j.backend, j.protocol) for j in jobs] == [
        ("centroid", "sklearn", "paper-ignet"),
        ("centroid", "sklearn", "leak-free"),
    ]
    record = execute(jobs[1], str(generated_folder))
    assert record["status"] == "ok" and record["engine"] == "centroid"
    # The declared defaults: the pixels as they are, under IgNet's paper protocol.
    assert record["settings"]["invert"] is False
    assert record["settings"]["protocol_base"] == "paper-ignet"
    predictions = record["predictions"]
    assert len(predictions["predicted"]) == record["n_test"] > 0
    hits = np.mean(np.equal(predictions["true"], predictions["predicted"]))
    assert record["metrics"]["test"]["accuracy"] == pytest.approx(hits)
    assert list(record["curve"]) == ["val_accuracy"]


def test_an_added_engine_is_timed(centroid, tmp_path):
    settings = timing.TimingSettings(
        networks=("pixels",), default_batches=2, rounds=2, batch=8, peak_size=64, pause=0.0
    )
    report = timing.run_timing(tmp_path, engines=("centroid",), settings=settings, progress=False)
    (row,) = report.throughput
    assert row["status"] == "ok", row.get("reason")
    assert row["engine"] == "centroid" and row["network"] == "pixels"
    assert row["flops_per_sample"] == 58 * 36
    assert row["samples_per_round"] == settings.batch * settings.default_batches
    assert len(row["rounds_samples_per_s"]) == settings.rounds
    # No reference engine was timed: nothing to take a ratio against.
    assert report.ratios == [] and report.thread_scaling == []
    records = [json.loads(line) for line in (tmp_path / "results" / "timing.jsonl").open()]
    assert [r["measure"] for r in records] == ["peak", "throughput"]
    assert "nearest centroid" not in timing.format_report(report)  # rows name the engine
    assert "centroid" in timing.format_report(report)


def test_devices_are_listed_by_the_engine_that_has_them(capsys):
    from bench.cli import main

    listing = [e.name for e in registered() if e.devices is not None]
    assert listing == ["ignet"]
    try:
        table = get_engine("ignet").devices()
    except BenchError as error:  # no OpenCL runtime or device here
        assert "OpenCL" in str(error) or "opencl" in str(error)
        return
    assert table.splitlines()[0].split()[:3] == ["index", "platform", "device"]
    assert table.splitlines()[-1].startswith("backend='opencl' uses device ")
    assert main(["devices"]) == 0
    assert capsys.readouterr().out.strip() == table


def test_declarations_reach_the_records_the_console_and_the_smoke_profile(centroid):
    from bench import engines
    from bench.results import versions

    # Run records keep the versions of the libraries experiments run; timing records also
    # those of the timed back ends and of PyTorch, which only timing uses.
    assert engines.packages() == ("tensorflow-cpu", "keras")
    assert set(engines.packages(timing=True)) == {"tensorflow-cpu", "keras", "jax", "torch"}
    assert set(versions()) <= {"python", "ignet-bench", "numpy", "scikit-learn",
                               "tensorflow-cpu", "keras"}  # fmt: skip
    assert engines.noisy_modules() == {"tensorflow"}
    assert engines.smoke_options() == {"linear": {"max_iter": 5}}
