"""The memorisation baseline: 1-nearest-neighbour on pixels and on HOG features."""

from __future__ import annotations

import numpy as np
import pytest

from bench.engines import make_engine
from bench.engines.nearest import hog_features
from bench.errors import BenchError
from bench.protocols import get_protocol


@pytest.fixture
def collection():
    """60 children with three random images each; labels per child, unrelated to the images."""
    rng = np.random.default_rng(7)
    groups = np.repeat(np.arange(60), 3)
    y = rng.integers(0, 3, size=60)[groups]
    images = rng.random((len(groups), 24, 16), dtype=np.float32)
    return images, y, groups


def _accuracy(network, protocol, images, y, groups):
    """Test accuracy and the training majority's share, pooled over the folds."""
    plan = protocol.plan(y, groups)
    hits = trivial = total = 0
    for fold in plan.folds:
        model = make_engine("nearest", network, "classification", 3, "sklearn", 1, 0)
        X = {side: plan.materialize(images, getattr(fold, side)) for side in ("train", "test")}
        validation = (plan.materialize(images, fold.validation), y[plan.source[fold.validation]])
        y_train, y_test = y[plan.source[fold.train]], y[plan.source[fold.test]]
        model.fit(X["train"], y_train, validation)
        hits += int((model.predict(X["test"]) == y_test).sum())
        trivial += int((y_test == np.bincount(y_train).argmax()).sum())
        total += len(y_test)
    return hits / total, trivial / total


@pytest.mark.parametrize("network", ["pixels", "hog"])
def test_exact_copies_are_found_under_the_paper_protocol_only(collection, network):
    images, y, groups = collection
    # Ten samples per drawing, as the paper: every test sample has a copy in training.
    options = {"copies": 10, "strength": 0.0}
    paper, _ = _accuracy(network, get_protocol("paper-ignet", **options), images, y, groups)
    assert paper == 1.0
    leak_free, trivial = _accuracy(
        network, get_protocol("leak-free", base="paper-ignet", **options), images, y, groups
    )
    # The labels say nothing about the images: without copies memorising is guessing.
    assert leak_free < trivial + 0.15


@pytest.mark.filterwarnings("ignore:The number of unique classes")  # one class per drawing
def test_pixels_miss_augmented_copies_that_hog_still_finds():
    """A drawing shifted and stretched is far in pixels but near once cut to its box."""
    rng = np.random.default_rng(3)
    images = np.ones((40, 58, 36), dtype=np.float32)
    for image in images:
        for _ in range(4):
            x, y = rng.integers(6, 30), rng.integers(6, 52)
            image[y - 5 : y + 5, x - 1 : x + 1] = 0.0
            image[y - 1 : y + 1, x - 4 : x + 4] = 0.0
    moved = np.ones_like(images)
    moved[:, 2:, 3:] = images[:, :-2, :-3]  # every drawing shifted by (3, 2) pixels
    labels = np.arange(len(images))
    for network, found in (("pixels", False), ("hog", True)):
        model = make_engine("nearest", network, "classification", 40, "sklearn", 1, 0)
        model.fit(images, labels, (images[:2], labels[:2]))
        share = (model.predict(moved) == labels).mean()
        assert (share > 0.9) == found, (network, share)


def test_hog_features_are_fixed_length_for_colour_and_grey():
    grey = np.random.default_rng(0).random((3, 58, 36), dtype=np.float32)
    colour = np.repeat(grey[..., None], 3, axis=-1)
    np.testing.assert_allclose(hog_features(grey), hog_features(colour), atol=1e-5)
    assert hog_features(grey).shape == (3, 756)


def test_regression_and_bad_networks():
    model = make_engine("nearest", "pixels", "regression", 1, "sklearn", 1, 0)
    X = np.random.default_rng(0).random((10, 8, 8), dtype=np.float32)
    ages = np.linspace(50.0, 140.0, 10)
    model.fit(X, ages, (X[:3], ages[:3]))
    np.testing.assert_array_equal(model.predict(X), ages)
    assert model.history_ == {"val_r2": [1.0]}
    with pytest.raises(BenchError, match="nearest network"):
        make_engine("nearest", "fig5", "classification", 3, "sklearn", 1, 0)


def test_jobs_record_both_leaks_and_the_applied_ranges(tmp_path, generated_folder):
    """Through the runner: the nearest engine under the three protocols, at half strength."""
    import textwrap

    from bench.experiment import load_experiment
    from bench.jobs import expand
    from bench.runner import execute

    path = tmp_path / "leaks.toml"
    path.write_text(
        textwrap.dedent(
            """
            title = "leaks"
            dataset = "drawings"
            protocols = ["paper-ignet", "image-split", "leak-free"]
            [[run]]
            engine = "nearest"
            network = "hog"
            [[target]]
            name = "age_category"
            [profile.quick]
            folds = 1
            size = [18, 29]
            paper-ignet = { copies = 3 }
            sweep = { strength = [0.5] }
            [profile.paper]
            """
        )
    )
    records = {
        job.protocol: execute(job, str(generated_folder))
        for job in expand(load_experiment(path), "quick")
    }
    assert records["paper-ignet"]["leakage"]["same_image"] > 0.9
    assert records["image-split"]["leakage"]["same_image"] == 0.0
    assert records["image-split"]["leakage"]["same_child"] > 0.5
    assert records["leak-free"]["leakage"] == {"same_image": 0.0, "same_child": 0.0}
    for record in records.values():
        assert record["status"] == "ok" and record["variant"] == "hog strength 0.5"
        assert record["augmentation"]["rotation"] == 5.0  # half the paper's 10 degrees
