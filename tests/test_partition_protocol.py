"""The data set's own train / validation / test partition as a protocol (CelebA's)."""

from __future__ import annotations

import numpy as np
import pytest

from bench.errors import BenchError
from bench.experiment import load_experiment
from bench.jobs import expand
from bench.protocols import ORIGINAL, PROTOCOLS, Partition, get_protocol, leakage


@pytest.fixture
def sides():
    """Twenty images, the sides interleaved as in a partition file."""
    return np.array(
        ["train", "test", "train", "validation", "train", "test", "validation", "train"]
        + ["test", "train", "train", "validation", "test", "train", "train", "test"]
        + ["validation", "train", "test", "train"]
    )


def _rows(sides, side):
    return np.flatnonzero(sides == side)


def test_partition_is_a_known_protocol():
    assert "partition" in PROTOCOLS
    protocol = get_protocol("partition", train=3, validation=2, test=4)
    assert isinstance(protocol, Partition)
    assert protocol.n_folds == 1


def test_plan_takes_the_first_images_of_each_side_in_file_order(sides):
    plan = get_protocol("partition", train=3, validation=2, test=4).plan(sides, np.arange(20))
    assert len(plan.folds) == 1
    (fold,) = plan.folds
    assert fold.index == 0
    assert np.array_equal(fold.train, _rows(sides, "train")[:3])
    assert np.array_equal(fold.validation, _rows(sides, "validation")[:2])
    assert np.array_equal(fold.test, _rows(sides, "test")[:4])
    assert np.array_equal(fold.train, [0, 2, 4])
    assert np.array_equal(fold.validation, [3, 6])
    assert np.array_equal(fold.test, [1, 5, 8, 12])
    assert plan.settings == {"train": 3, "validation": 2, "test": 4}


def test_plan_without_limits_takes_every_image(sides):
    plan = Partition().plan(sides, np.arange(20))
    (fold,) = plan.folds
    assert np.array_equal(fold.train, _rows(sides, "train"))
    assert np.array_equal(fold.validation, _rows(sides, "validation"))
    assert np.array_equal(fold.test, _rows(sides, "test"))
    assert len(fold.train) + len(fold.validation) + len(fold.test) == len(sides)
    assert plan.settings == {}


def test_a_limit_above_the_side_size_takes_the_whole_side(sides):
    (fold,) = Partition(train=1000, validation=1, test=2).plan(sides, np.arange(20)).folds
    assert np.array_equal(fold.train, _rows(sides, "train"))
    assert len(fold.validation) == 1 and len(fold.test) == 2


def test_sides_are_disjoint_and_keep_their_label(sides):
    plan = Partition(train=5).plan(sides, np.arange(20))
    (fold,) = plan.folds
    assert not set(fold.train) & set(fold.test)
    assert not set(fold.train) & set(fold.validation)
    assert not set(fold.test) & set(fold.validation)
    for side, rows in (("train", fold.train), ("validation", fold.validation), ("test", fold.test)):
        assert (sides[plan.source[rows]] == side).all()


def test_nothing_is_augmented_and_nothing_leaks(sides):
    groups = np.arange(len(sides))
    plan = Partition(train=4, validation=2, test=3).plan(sides, groups)
    assert len(plan) == len(sides)
    assert np.array_equal(plan.source, np.arange(len(sides)))
    assert (plan.seed == ORIGINAL).all()
    assert not plan.on_the_fly
    (fold,) = plan.folds
    assert leakage(plan, fold, groups)["same_image"] == 0.0
    images = np.random.default_rng(0).random((len(sides), 3, 4)).astype(np.float32)
    assert np.array_equal(plan.materialize(images, fold.test), images[fold.test])


def test_a_side_without_images_is_named(sides):
    no_validation = np.where(sides == "validation", "train", sides)
    with pytest.raises(BenchError, match="validation"):
        Partition().plan(no_validation, np.arange(20))
    no_test = np.where(sides == "test", "validation", sides)
    with pytest.raises(BenchError, match="test"):
        Partition(train=2).plan(no_test, np.arange(20))


@pytest.mark.parametrize("side", ["train", "validation", "test"])
@pytest.mark.parametrize("limit", [0, -3])
def test_a_limit_below_one_is_refused(sides, side, limit):
    protocol = get_protocol("partition", **{side: limit})
    with pytest.raises(BenchError, match=side):
        protocol.plan(sides, np.arange(20))


def test_sides_given_as_a_column_are_read_flat(sides):
    (fold,) = Partition(test=2).plan(sides.reshape(-1, 1), np.arange(20)).folds
    assert np.array_equal(fold.test, [1, 5])


# The face paper's experiment ---------------------------------------------------------


def test_the_paper_profile_trains_with_the_face_papers_budget():
    # 60,000 training images, batches of 100, 100 epochs, no early stopping (for IgNet a
    # tolerance as long as the training never runs out).
    jobs = expand(load_experiment("faces_table3"), "paper")
    assert jobs
    for job in jobs:
        settings, options = job.settings, job.settings.engine_options
        assert settings.epochs == 100
        assert settings.protocol_options["train"] == 60_000
        assert "test" not in settings.protocol_options  # CelebA's whole test side
        assert options["batch_size"] == 100
        if job.engine == "keras":
            assert options["early_stopping"] is False
        else:
            assert options["tolerance"] >= settings.epochs


@pytest.mark.parametrize("profile", ["quick", "paper"])
def test_one_run_puts_the_haar_face_crop_in_front_of_the_papers_net(profile):
    jobs = [j for j in expand(load_experiment("faces_table3"), profile) if j.fold == 0]
    cropped = {job.variant for job in jobs if job.settings.crop_faces}
    # The quick profile leaves the face-crop run, one of our additions, to the paper one.
    assert cropped == ({"faces_cnn haar"} if profile == "paper" else set())
    if profile == "quick":
        return
    (haar,) = [job for job in jobs if job.variant == "faces_cnn haar"]
    (plain,) = [job for job in jobs if job.variant == "faces_cnn"]
    # Beside the plain run: the same network and settings but for the crop.
    assert haar.network == plain.network
    assert haar.settings.model_copy(update={"crop_faces": False}) == plain.settings


def test_repeats_of_the_partition_share_the_split_and_train_from_their_own_seeds():
    from bench.runner import fold_seed

    sides = np.array(["train"] * 6 + ["validation"] * 2 + ["test"] * 3)
    plan = get_protocol("partition", n_folds=3).plan(sides, np.arange(len(sides)))
    assert [fold.index for fold in plan] == [0, 1, 2]
    for fold in plan:
        assert np.array_equal(fold.train, plan.folds[0].train)
        assert np.array_equal(fold.test, plan.folds[0].test)
    seeds = {fold_seed(0, fold.index) for fold in plan}
    assert len(seeds) == 3 and fold_seed(0, 1) == fold_seed(0, 1) != fold_seed(1, 1)
    with pytest.raises(BenchError, match="n_folds"):
        get_protocol("partition", n_folds=0).plan(sides, np.arange(len(sides)))
