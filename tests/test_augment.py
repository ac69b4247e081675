from __future__ import annotations

import numpy as np
import pytest

from bench.augment import IGNET_PAPER_AUGMENTATION, KERAS_PAPER_AUGMENTATION, TOOLS, Augmentation
from bench.errors import BenchError


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return rng.random((6, 58, 36), dtype=np.float32)


SEEDS = np.arange(6) * 7919 + 3


@pytest.mark.parametrize("config", [KERAS_PAPER_AUGMENTATION, IGNET_PAPER_AUGMENTATION])
def test_shape_dtype_and_range(images, config):
    out = config(images, SEEDS)
    assert out.shape == images.shape
    assert out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    colour = np.repeat(images[..., None], 3, axis=-1)
    out_colour = config(colour, SEEDS)
    assert out_colour.shape == colour.shape
    # Grey in, grey out: the same transformation on every channel.
    assert np.allclose(out_colour[..., 0], out_colour[..., 2])


def test_deterministic_per_seed_and_independent_of_batching(images):
    config = IGNET_PAPER_AUGMENTATION
    whole = config(images, SEEDS)
    assert np.array_equal(whole, config(images, SEEDS))
    one_by_one = np.concatenate([config(images[i : i + 1], SEEDS[i : i + 1]) for i in range(6)])
    assert np.array_equal(whole, one_by_one)
    assert not np.allclose(whole, config(images, SEEDS + 1))
    assert not np.allclose(whole[0], whole[1])


def test_no_transformation_is_the_identity(images):
    assert np.allclose(Augmentation()(images, SEEDS), images, atol=1e-6)


def test_flip_mirrors(images):
    # Each output is either the image itself or its exact mirror.
    flipped = Augmentation(flip_horizontal=True)(np.repeat(images[:1], 40, 0), np.arange(40))
    mirrored = [np.allclose(f, images[0][:, ::-1], atol=1e-6) for f in flipped]
    same = [np.allclose(f, images[0], atol=1e-6) for f in flipped]
    assert all(m or s for m, s in zip(mirrored, same, strict=True))
    assert 5 < sum(mirrored) < 35


def test_rotation_keeps_a_centred_blob_centred():
    image = np.zeros((1, 41, 41), np.float32)
    image[0, 15:26, 15:26] = 1.0
    out = Augmentation(rotation=45)(np.repeat(image, 8, 0), np.arange(8))
    ys, xs = np.mgrid[0:41, 0:41]
    for o in out:
        assert abs((o * ys).sum() / o.sum() - 20) < 0.5
        assert abs((o * xs).sum() / o.sum() - 20) < 0.5
        assert abs(o.sum() - image.sum()) / image.sum() < 0.2


def test_shift_and_stretch_move_content():
    image = np.zeros((1, 40, 40), np.float32)
    image[0, 18:22, 18:22] = 1.0
    shifted = Augmentation(shift=0.25)(np.repeat(image, 20, 0), np.arange(20))
    centres = [np.argwhere(s > 0.5).mean(axis=0) for s in shifted]
    offsets = np.abs(np.array(centres) - 19.5)
    assert offsets.max() <= 10.5 and offsets.max() > 3
    stretched = Augmentation(stretch=0.5)(np.repeat(image, 20, 0), np.arange(20))
    areas = (stretched > 0.5).sum(axis=(1, 2))
    assert areas.min() < 16 < areas.max()


@pytest.mark.parametrize("portion", [0.05, 0.3, 0.8])
def test_noising_touches_the_chosen_portion_at_the_chosen_level(portion):
    grey = np.full((50, 30, 30), 0.5, np.float32)
    out = Augmentation(noise_portion=portion, noise_level=0.2)(grey, np.arange(50))
    changed = np.abs(out - 0.5) > 0
    assert abs(changed.mean() - portion) < 0.02
    assert np.abs(out - 0.5).max() <= 0.2 + 1e-6
    assert abs(np.abs(out - 0.5)[changed].mean() - 0.1) < 0.01  # uniform on [-0.2, 0.2]


@pytest.mark.parametrize(
    "options",
    [
        {"rotation": -1},
        {"stretch": 1.5},
        {"shift": 2},
        {"noise_portion": 1.1},
        {"tool": "albumentations"},
        {"tool": "image_data_generator", "noise_portion": 0.1},
    ],
)
def test_bad_settings_name_the_field(options):
    with pytest.raises(BenchError, match=list(options)[-1]):
        Augmentation(**options)


def test_bad_shapes(images):
    with pytest.raises(BenchError, match="seeds"):
        KERAS_PAPER_AUGMENTATION(images, SEEDS[:3])


def test_the_keras_protocols_augmentation_is_image_data_generator(images):
    """Section 4.2's tool: each sample is ``ImageDataGenerator.random_transform`` with the
    low 32 bits of its seed, at the paper augmentation's ranges (stretch as zoom)."""
    pytest.importorskip("keras")
    from baseline_keras import enlarge

    assert KERAS_PAPER_AUGMENTATION.tool == "image_data_generator"
    assert IGNET_PAPER_AUGMENTATION.tool == "opencv"
    seeds = SEEDS + 2**40  # plan seeds are 62-bit
    out = KERAS_PAPER_AUGMENTATION(images, seeds)
    direct = enlarge(images, seeds % 2**32, rotation=10.0, shift=0.1, zoom=0.0)
    np.testing.assert_array_equal(out, direct)
    plain = {"rotation": 0, "shift": 0, "horizontal_flip": False, "vertical_flip": False}
    stretched = Augmentation(stretch=0.2, tool="image_data_generator")(images, SEEDS)
    np.testing.assert_array_equal(stretched, enlarge(images, SEEDS, zoom=0.2, **plain))


@pytest.mark.parametrize("tool", TOOLS)
def test_both_tools_depend_on_each_samples_seed_only(images, tool):
    if tool == "image_data_generator":
        pytest.importorskip("keras")
    augmentation = Augmentation(rotation=10.0, shift=0.1, flip_horizontal=True, tool=tool)
    whole = augmentation(images, SEEDS)
    np.testing.assert_array_equal(augmentation(images[3:], SEEDS[3:]), whole[3:])
    assert not np.array_equal(whole, augmentation(images, SEEDS + 1))


def test_strength_scales_every_range_together(images):
    paper = IGNET_PAPER_AUGMENTATION
    double = paper.scaled(2.0)
    assert (double.rotation, double.stretch, double.shift, double.noise_level) == (
        2 * paper.rotation,
        2 * paper.stretch,
        2 * paper.shift,
        2 * paper.noise_level,
    )
    assert double.flip_horizontal and double.noise_portion == paper.noise_portion
    seeds = np.arange(len(images))
    # Strength 0 drops the flips and noise too: exact copies.
    np.testing.assert_array_equal(paper.scaled(0.0)(images, seeds), images)
    assert not np.allclose(paper.scaled(0.5)(images, seeds), images)
    with pytest.raises(BenchError, match="strength"):
        paper.scaled(-0.5)
    with pytest.raises(BenchError, match="rotation"):
        paper.scaled(20.0)  # 200 degrees is out of bounds
