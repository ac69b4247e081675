from __future__ import annotations

import numpy as np
import pytest

from bench.augment import KERAS_PAPER_AUGMENTATION
from bench.errors import BenchError
from bench.experiment import load_experiment
from bench.jobs import expand
from bench.protocols import (
    ORIGINAL,
    ImageSplit,
    LeakFree,
    PaperIgnet,
    PaperKeras,
    get_protocol,
    leakage,
)


@pytest.fixture
def originals():
    """338 originals by 130 children with up to three drawings each, 8 age categories."""
    rng = np.random.default_rng(1)
    groups = np.repeat(np.arange(130), 3)[:338]
    category = rng.integers(0, 8, size=130)[groups]
    return category, groups


def _partition(fold, size):
    both = np.concatenate([fold.train, fold.test])
    return len(both) == len(np.unique(both)) == size


def test_paper_keras_sizes_and_folds(originals):
    y, groups = originals
    plan = PaperKeras(seed=3).plan(y, groups)
    assert len(plan) == 17_500 + 3_500
    assert len(plan.folds) == 10
    validation = plan.folds[0].validation
    assert len(validation) == 3_500
    tests = np.concatenate([f.test for f in plan.folds])
    assert np.array_equal(np.sort(tests), np.arange(17_500))  # each sample tested once
    for fold in plan.folds:
        assert _partition(fold, 17_500)
        assert np.array_equal(fold.validation, validation)
        assert not np.isin(fold.validation, fold.train).any()
        # Stratified: every category in test in about its overall proportion.
        share = np.bincount(y[plan.source[fold.test]], minlength=8) / len(fold.test)
        overall = np.bincount(y[plan.source[:17_500]], minlength=8) / 17_500
        assert np.abs(share - overall).max() < 0.005
    assert (plan.seed != ORIGINAL).all()  # every sample is an augmented copy
    counts = np.bincount(plan.source, minlength=338)
    assert counts.max() - counts.min() <= 1


def test_paper_ignet_tenfold_and_five_folds(originals):
    y, groups = originals
    plan = PaperIgnet(seed=3).plan(y, groups)
    assert len(plan) == 3_380
    assert np.array_equal(np.bincount(plan.source), np.full(338, 10))
    assert (plan.seed == ORIGINAL).sum() == 338  # one unchanged original per ten
    assert len(plan.folds) == 5
    assert plan.on_the_fly
    pool = 3_380 - len(plan.folds[0].validation)
    assert abs(len(plan.folds[0].validation) - 3_380 / 6) < 1
    for fold in plan.folds:
        assert _partition(fold, pool)


@pytest.mark.parametrize("base", [PaperKeras(learn_test=3_000, validation=600), PaperIgnet()])
def test_leak_free_never_shares_a_child(originals, base):
    y, groups = originals
    plan = LeakFree(base).plan(y, groups)
    assert len(plan.folds) == base.n_folds
    tested = set()
    for fold in plan.folds:
        train = set(groups[plan.source[fold.train]])
        test = set(groups[plan.source[fold.test]])
        validation = set(groups[plan.source[fold.validation]])
        assert not train & test and not train & validation and not test & validation
        assert leakage(plan, fold, groups) == {"same_image": 0.0, "same_child": 0.0}
        # Only the training side is augmented.
        assert (plan.seed[fold.test] == ORIGINAL).all()
        assert (plan.seed[fold.validation] == ORIGINAL).all()
        assert (plan.seed[fold.train] != ORIGINAL).any()
        tested |= test
    assert tested | validation == set(groups)  # every child is tested or validates


@pytest.mark.parametrize("base", [PaperKeras(learn_test=3_000, validation=600), PaperIgnet()])
def test_image_split_keeps_copies_out_but_children_in(originals, base):
    y, groups = originals
    plan = ImageSplit(base).plan(y, groups)
    assert plan.protocol == "image-split" and len(plan.folds) == base.n_folds
    tested = set()
    for fold in plan.folds:
        train = set(plan.source[fold.train])
        test = set(plan.source[fold.test])
        validation = set(plan.source[fold.validation])
        # No copy of a test or validation drawing is in training ...
        assert not train & test and not train & validation and not test & validation
        share = leakage(plan, fold, groups)
        assert share["same_image"] == 0.0
        # ... but other drawings of most test children are: 2 or 3 drawings per child here.
        assert share["same_child"] > 0.5
        assert (plan.seed[fold.test] == ORIGINAL).all()
        assert (plan.seed[fold.validation] == ORIGINAL).all()
        tested |= test
    assert tested | validation == set(range(len(y)))  # every drawing is tested or validates
    # Same sizes as the leak-free mirror: the two differ in what is kept together only.
    leak_free = LeakFree(base).plan(y, groups)
    assert len(plan) == len(leak_free) and plan.settings == leak_free.settings


def test_strength_scales_the_ranges_and_zero_makes_copies(originals):
    y, groups = originals
    images = np.random.default_rng(0).random((338, 20, 12), dtype=np.float32)
    for name in ("paper-ignet", "leak-free", "image-split"):
        protocol = get_protocol(name, base="paper-ignet", copies=3, strength=0.0)
        plan = protocol.plan(y, groups)
        assert plan.settings["strength"] == 0.0
        rows = plan.folds[0].train
        assert np.array_equal(plan.materialize(images, rows), images[plan.source[rows]])
    double = get_protocol("image-split", base="paper-keras", strength=2.0)
    assert double.augmentation.rotation == 2 * KERAS_PAPER_AUGMENTATION.rotation
    with pytest.raises(BenchError, match="strength"):
        PaperIgnet(strength=-1.0)


def test_paper_protocols_leak(originals):
    y, groups = originals
    for protocol in (PaperKeras(learn_test=3_000, validation=600), PaperIgnet()):
        plan = protocol.plan(y, groups)
        share = leakage(plan, plan.folds[0], groups)
        assert share["same_image"] > 0.9
        assert share["same_child"] >= share["same_image"]


def test_plans_are_deterministic_per_seed(originals):
    y, groups = originals
    a = get_protocol("leak-free", base="paper-ignet", seed=5).plan(y, groups)
    b = get_protocol("leak-free", base="paper-ignet", seed=5).plan(y, groups)
    c = get_protocol("leak-free", base="paper-ignet", seed=6).plan(y, groups)
    assert np.array_equal(a.seed, b.seed)
    assert all(np.array_equal(f.test, g.test) for f, g in zip(a.folds, b.folds, strict=True))
    assert not all(np.array_equal(f.test, g.test) for f, g in zip(a.folds, c.folds, strict=True))


def test_materialize(originals):
    y, groups = originals
    images = np.random.default_rng(0).random((338, 20, 12), dtype=np.float32)
    plan = PaperIgnet().plan(y, groups)
    fold = plan.folds[0]
    originals_rows = np.flatnonzero(plan.seed == ORIGINAL)[:5]
    assert np.array_equal(
        plan.materialize(images, originals_rows), images[plan.source[originals_rows]]
    )
    rows = fold.train[:50]
    first = plan.materialize(images, rows)
    assert np.array_equal(first, plan.materialize(images, rows))
    later = plan.materialize(images, rows, epoch=1)
    augmented = plan.seed[rows] != ORIGINAL
    assert not np.allclose(first[augmented], later[augmented])  # redrawn on the fly
    assert np.array_equal(first[~augmented], later[~augmented])


def test_errors_name_the_problem(originals):
    y, groups = originals
    with pytest.raises(BenchError, match="protocol must be one of"):
        get_protocol("paper-torch")
    with pytest.raises(BenchError, match="base"):
        get_protocol("leak-free", base="leak-free")
    with pytest.raises(BenchError, match="n_folds"):
        PaperIgnet(n_folds=1).plan(y, groups)
    with pytest.raises(BenchError, match="too few"):
        PaperIgnet().plan(y[:9], groups[:9])
    with pytest.raises(BenchError, match="groups"):
        PaperIgnet().plan(y, groups[:-1])


def _keras_plan(originals, seed: int = 4, **options):
    y, groups = originals
    return PaperKeras(learn_test=300, validation=60, n_folds=3, seed=seed, **options).plan(
        y, groups
    )


def test_paper_keras_enlarges_with_image_data_generator(originals):
    """Section 4.2's tool: a sample is its original through ``random_transform`` with the
    sample's seed (the low 32 bits, all that numpy's legacy seeding takes)."""
    pytest.importorskip("keras")
    from keras.src.legacy.preprocessing.image import ImageDataGenerator

    images = np.random.default_rng(0).random((338, 20, 12), dtype=np.float32)
    plan = _keras_plan(originals)
    assert plan.augmentation.tool == plan.settings["tool"] == "image_data_generator"
    generator = ImageDataGenerator(
        rotation_range=10.0,
        width_shift_range=0.1,
        height_shift_range=0.1,
        horizontal_flip=True,
        vertical_flip=True,
    )
    rows = plan.folds[1].test[:5]
    for row, image in zip(rows, plan.materialize(images, rows), strict=True):
        original = images[plan.source[row]][..., None]
        expected = generator.random_transform(original, seed=int(plan.seed[row] % 2**32))
        np.testing.assert_array_equal(image, np.clip(expected[..., 0], 0.0, 1.0))


def test_paper_keras_set_is_made_once_per_seed_then_split(originals):
    pytest.importorskip("keras")
    images = np.random.default_rng(0).random((338, 20, 12), dtype=np.float32)
    plan = _keras_plan(originals)
    whole = plan.materialize(images, np.arange(len(plan)))
    # Every fold's train, test and validation images are rows of that one set: the same
    # sample index gives the same image in every fold.
    for fold in plan.folds:
        for rows in (fold.train, fold.test, fold.validation):
            np.testing.assert_array_equal(plan.materialize(images, rows), whole[rows])
    # A job for another fold plans afresh and gets the same set; another seed another set.
    again = _keras_plan(originals).materialize(images, np.arange(len(plan)))
    np.testing.assert_array_equal(again, whole)
    other = _keras_plan(originals, seed=5).materialize(images, np.arange(len(plan)))
    assert not np.array_equal(other, whole)


def test_paper_keras_tool_is_an_option_leak_free_keeps(originals):
    y, groups = originals
    opencv = _keras_plan(originals, tool="opencv")
    assert opencv.augmentation.tool == opencv.settings["tool"] == "opencv"
    assert opencv.augmentation.rotation == KERAS_PAPER_AUGMENTATION.rotation
    leak_free = get_protocol("leak-free", base="paper-keras", learn_test=600, tool="opencv")
    assert leak_free.plan(y, groups).augmentation.tool == "opencv"
    assert get_protocol("leak-free", base="paper-keras").augmentation.tool == (
        "image_data_generator"
    )
    with pytest.raises(BenchError, match="tool"):
        PaperKeras(tool="layers")


@pytest.mark.parametrize("experiment", ["table1", "time_ratio"])
def test_keras_experiments_record_the_tool(experiment):
    for profile in ("smoke", "quick", "paper"):
        for job in expand(load_experiment(experiment), profile):
            if job.settings.protocol_base == "paper-keras":
                assert job.settings.protocol_options["tool"] == "image_data_generator"
