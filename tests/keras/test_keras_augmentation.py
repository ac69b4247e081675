"""Enlarging an image set with Keras's ImageDataGenerator, one seed per sample."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from keras.src.legacy.preprocessing.image import ImageDataGenerator  # noqa: E402

from baseline_keras import enlarge, image_data_generator  # noqa: E402
from baseline_keras.checks import KerasBaselineError  # noqa: E402


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.random((6, 58, 36), dtype=np.float32)


SEEDS = np.array([11, 12, 13, 2**32 - 1, 0, 99_999])


def test_the_generator_is_keras_image_data_generator_with_the_ranges():
    generator = image_data_generator(rotation=12.0, shift=0.2, zoom=0.1)
    assert isinstance(generator, ImageDataGenerator)
    assert generator.rotation_range == 12.0
    assert generator.width_shift_range == generator.height_shift_range == 0.2
    assert list(generator.zoom_range) == pytest.approx([0.9, 1.1])
    assert generator.horizontal_flip and generator.vertical_flip
    assert generator.fill_mode == "nearest"


def test_it_is_the_class_tensorflow_keras_names():
    tf_image = pytest.importorskip("tensorflow.keras.preprocessing.image")
    assert tf_image.ImageDataGenerator is ImageDataGenerator


def test_each_image_is_random_transform_with_its_seed(images):
    out = enlarge(images, SEEDS, rotation=15.0, shift=0.1, zoom=0.1)
    direct = ImageDataGenerator(
        rotation_range=15.0,
        width_shift_range=0.1,
        height_shift_range=0.1,
        zoom_range=0.1,
        horizontal_flip=True,
        vertical_flip=True,
    )
    for image, seed, result in zip(images, SEEDS, out, strict=True):
        expected = direct.random_transform(image[..., None], seed=int(seed))[..., 0]
        np.testing.assert_array_equal(result, np.clip(expected, 0.0, 1.0))


def test_enlarge_calls_random_transform_once_per_image(images, monkeypatch):
    seen = []
    original = ImageDataGenerator.random_transform

    def spy(self, x, seed=None):
        seen.append(seed)
        return original(self, x, seed=seed)

    monkeypatch.setattr(ImageDataGenerator, "random_transform", spy)
    enlarge(images, SEEDS)
    assert seen == SEEDS.tolist()


def test_one_output_per_image_with_shape_and_range(images):
    out = enlarge(images[[0, 0, 1]], np.array([1, 2, 1]))
    assert out.shape == (3, 58, 36)
    assert out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    # Two copies of one image with other seeds differ.
    assert not np.array_equal(out[0], out[1])


def test_a_sample_depends_on_its_seed_only(images):
    whole = enlarge(images, SEEDS)
    np.testing.assert_array_equal(whole, enlarge(images, SEEDS))
    # The same rows whatever subset or order they are asked for in.
    np.testing.assert_array_equal(enlarge(images[[4, 1]], SEEDS[[4, 1]]), whole[[4, 1]])
    other = enlarge(images, (SEEDS + 1) % 2**32)
    assert all(not np.array_equal(a, b) for a, b in zip(whole, other, strict=True))


def test_the_callers_global_random_state_is_kept(images):
    np.random.seed(5)  # noqa: NPY002
    expected = np.random.random(3)  # noqa: NPY002
    np.random.seed(5)  # noqa: NPY002
    enlarge(images, SEEDS)
    np.testing.assert_array_equal(np.random.random(3), expected)  # noqa: NPY002


def test_colour_images_get_one_transformation_on_every_channel(images):
    colour = np.stack([images, images, images], axis=-1)
    out = enlarge(colour, SEEDS)
    assert out.shape == colour.shape
    np.testing.assert_array_equal(out[..., 0], out[..., 2])
    np.testing.assert_array_equal(out[..., 0], enlarge(images, SEEDS))


def test_no_transformation_is_the_identity(images):
    out = enlarge(images, SEEDS, rotation=0, shift=0, horizontal_flip=False, vertical_flip=False)
    np.testing.assert_allclose(out, images, atol=1e-6)


def test_flip_alone_mirrors_left_right(images):
    copies = np.repeat(images[:1], 40, axis=0)
    out = enlarge(copies, np.arange(40), rotation=0, shift=0, vertical_flip=False)
    mirrored = [np.allclose(o, images[0][:, ::-1], atol=1e-6) for o in out]
    kept = [np.allclose(o, images[0], atol=1e-6) for o in out]
    assert all(m or k for m, k in zip(mirrored, kept, strict=True))
    assert 5 < sum(mirrored) < 35


def test_nearest_fill_keeps_white_paper_white():
    paper = np.ones((8, 58, 36), np.float32)
    out = enlarge(paper, np.arange(8), rotation=30.0, shift=0.2, zoom=0.2)
    np.testing.assert_allclose(out, 1.0, atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"rotation": -1.0}, "rotation"),
        ({"rotation": 190.0}, "rotation"),
        ({"shift": 1.0}, "shift"),
        ({"zoom": "0.1"}, "zoom"),
        ({"horizontal_flip": "yes"}, "horizontal_flip"),
        ({"fill_mode": "mirror"}, "fill_mode"),
    ],
)
def test_bad_ranges_name_the_parameter(kwargs, name):
    with pytest.raises(KerasBaselineError, match=name):
        image_data_generator(**kwargs)


@pytest.mark.parametrize(
    ("images", "seeds", "kwargs", "name"),
    [
        (np.zeros((4, 5), np.float32), [0], {}, "images"),
        (np.zeros((2, 8, 8), np.uint8), [0, 1], {}, "images"),
        (np.full((2, 8, 8), np.nan, np.float32), [0, 1], {}, "images"),
        (np.zeros((0, 8, 8), np.float32), [], {}, "images"),
        (np.zeros((2, 8, 8), np.float32), [0], {}, "seeds"),
        (np.zeros((2, 8, 8), np.float32), [0.5, 1.0], {}, "seeds"),
        (np.zeros((2, 8, 8), np.float32), [0, 2**32], {}, "seeds"),
        (np.zeros((2, 8, 8), np.float32), [-1, 0], {}, "seeds"),
        (np.zeros((2, 8, 8), np.float32), [0, 1], {"rotation": -5}, "rotation"),
    ],
)
def test_bad_enlarge_arguments_name_the_parameter(images, seeds, kwargs, name):
    with pytest.raises(KerasBaselineError, match=name):
        enlarge(images, np.asarray(seeds), **kwargs)
