"""The oracle engine: a model of the generator's latent parameters, run like any engine."""

from __future__ import annotations

import shutil
import textwrap

import numpy as np
import pytest

from bench.data.synthetic.drawings import LATENTS_FILE
from bench.engines import make_engine
from bench.errors import BenchError
from bench.experiment import load_experiment
from bench.jobs import expand
from bench.runner import execute

EXPERIMENT = """
title = "oracle"
dataset = "drawings"
protocols = ["paper-ignet", "leak-free"]

[[run]]
engine = "oracle"
network = "boosting"
protocols = ["leak-free"]
sweep = false

[[target]]
name = "age_category"

[[target]]
name = "age_months"

[profile.quick]
folds = 1
size = [18, 29]
paper-ignet = { copies = 2 }
sweep = { strength = [0.0, 1.0] }

[profile.paper]
"""


def test_oracle_jobs_fit_the_latents_leak_free(tmp_path, generated_folder):
    path = tmp_path / "oracle.toml"
    path.write_text(textwrap.dedent(EXPERIMENT))
    jobs = expand(load_experiment(path), "quick")
    # One variant whatever the sweep, under its own protocol only.
    assert [(j.variant, j.protocol, j.target) for j in jobs] == [
        ("boosting", "leak-free", "age_category"),
        ("boosting", "leak-free", "age_months"),
    ]
    category, age = (execute(job, str(generated_folder)) for job in jobs)
    assert category["status"] == "ok" and category["leakage"]["same_child"] == 0.0
    # The stage score carries the age: far above the majority class, far below 100%.
    accuracy = category["metrics"]["test"]["accuracy"]
    assert category["metrics"]["trivial"]["accuracy"] + 0.15 < accuracy < 0.95
    assert age["metrics"]["test"]["mape"] < age["metrics"]["trivial"]["mape"]


def test_without_latents_the_oracle_is_unavailable(tmp_path, generated_folder):
    real = shutil.copytree(generated_folder, tmp_path / "real")
    (real / LATENTS_FILE).unlink()  # as a real collection: images only
    path = tmp_path / "oracle.toml"
    path.write_text(textwrap.dedent(EXPERIMENT))
    job = expand(load_experiment(path), "quick")[0]
    record = execute(job, str(real))  # a result to report, not a failed run
    assert record["status"] == "unavailable" and record["metrics"] is None
    assert "no latent parameters" in record["reason"]


def test_oracle_networks():
    X = np.random.default_rng(0).random((40, 5), dtype=np.float32)
    y = (X[:, 0] > 0.5).astype(int)
    model = make_engine("oracle", "logistic", "classification", 2, "sklearn", 1, 0)
    model.fit(X, y, (X[:5], y[:5]))
    assert (model.predict(X) == y).mean() > 0.9
    with pytest.raises(BenchError, match="oracle network"):
        make_engine("oracle", "fig5", "classification", 2, "sklearn", 1, 0)
