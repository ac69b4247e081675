"""The digits check: scikit-learn's real images, plain stratified CV, every engine."""

from __future__ import annotations

import numpy as np

from bench.data import load_digits
from bench.experiment import load_experiment
from bench.jobs import expand, profile_settings
from bench.protocols import get_protocol, leakage
from bench.runner import execute


def test_digits_load_as_images_in_unit_range_with_labels():
    data = load_digits()
    assert data.images.shape == (1797, 8, 8) and data.images.dtype == np.float32
    assert data.images.min() == 0.0 and data.images.max() == 1.0
    assert sorted(data.labels["digit"].unique()) == list(range(10))
    assert data.labels["group"].is_unique


def test_stratified_cv_tests_every_image_once_and_never_trains_on_it():
    data = load_digits()
    y = data.labels["digit"].to_numpy()
    plan = get_protocol("stratified-cv", n_folds=5, seed=3).plan(y, data.groups)
    tested = np.concatenate([fold.test for fold in plan])
    assert np.array_equal(np.sort(tested), np.arange(len(y)))
    for fold in plan:
        assert not set(fold.train) & set(fold.test)
        assert not set(fold.validation) & (set(fold.train) | set(fold.test))
        assert leakage(plan, fold, data.groups)["same_image"] == 0.0
        # Stratified: every class keeps about its share of the test side.
        shares = np.bincount(y[fold.test], minlength=10) / len(fold.test)
        assert np.abs(shares - np.bincount(y, minlength=10) / len(y)).max() < 0.02


def test_a_digits_job_beats_the_trivial_predictor():
    experiment = load_experiment("digits")
    job = next(j for j in expand(experiment, "smoke") if j.engine == "linear")
    record = execute(job, "sklearn")
    assert record["status"] == "ok"
    assert record["metrics"]["test"]["accuracy"] > 0.8 > record["metrics"]["trivial"]["accuracy"]
    assert record["n_test"] == 360 and record["settings"]["invert"] is False


def test_the_smoke_profile_keeps_the_digits_at_their_native_size():
    # The smoke profile shrinks the drawings; the digits come at 8 x 8 only.
    def size(name: str) -> tuple[int, ...]:
        return tuple(dict(profile_settings(load_experiment(name), "smoke"))["size"])

    assert size("digits") == (8, 8)
    assert size("table1") == (18, 29)
