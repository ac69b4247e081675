"""Enlarging an image set with seeded Keras preprocessing layers."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from baseline_keras import augmentation_pipeline, enlarge  # noqa: E402


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.random((6, 58, 36), dtype=np.float32)


def test_one_output_per_source_with_shape_and_range(images):
    sources = np.array([0, 0, 1, 5, 5, 5, 2])
    out = enlarge(images, sources, seed=0, batch_size=3)
    assert out.shape == (len(sources), 58, 36)
    assert out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    # Copies of one source differ: each is transformed on its own.
    assert not np.array_equal(out[0], out[1])


def test_colour_images_keep_their_channels(images):
    colour = np.stack([images, 1 - images, images / 2], axis=-1)
    out = enlarge(colour, np.arange(6), seed=1)
    assert out.shape == colour.shape
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_same_seed_same_images_other_seed_others(images):
    sources = np.arange(6).repeat(3)
    first = enlarge(images, sources, seed=7, batch_size=4)
    again = enlarge(images, sources, seed=7, batch_size=4)
    other = enlarge(images, sources, seed=8, batch_size=4)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_no_transformation_is_the_identity(images):
    out = enlarge(images, np.array([3, 1]), rotation=0.0, translation=0.0, flip=None)
    np.testing.assert_array_equal(out, images[[3, 1]])


def test_flip_alone_mirrors_left_right(images):
    sources = np.arange(6).repeat(8)
    out = enlarge(images, sources, rotation=0, translation=0, flip="horizontal")
    kept = [np.array_equal(image, images[s]) for s, image in zip(sources, out, strict=True)]
    mirrored = [
        np.array_equal(image, images[s][:, ::-1]) for s, image in zip(sources, out, strict=True)
    ]
    assert all(k or m for k, m in zip(kept, mirrored, strict=True))
    assert any(kept) and any(mirrored)


def test_nearest_fill_keeps_white_paper_white():
    paper = np.ones((4, 58, 36), np.float32)
    out = enlarge(paper, np.arange(4).repeat(4), seed=3, rotation=30.0, translation=0.2, zoom=0.2)
    np.testing.assert_allclose(out, 1.0, atol=1e-6)


def test_pipeline_layers_follow_the_ranges():
    names = [layer.name for layer in augmentation_pipeline(zoom=0.1).layers]
    assert names == ["rotation", "translation", "flip", "zoom"]
    names = [layer.name for layer in augmentation_pipeline(rotation=0, flip=None).layers]
    assert names == ["translation"]
    rotation = augmentation_pipeline(rotation=18.0).get_layer("rotation")
    # Keras takes a fraction of a full turn: 18 degrees is 0.05.
    assert rotation.factor == pytest.approx((-0.05, 0.05))


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"rotation": -1.0}, "rotation"),
        ({"rotation": 190.0}, "rotation"),
        ({"translation": 1.0}, "translation"),
        ({"zoom": "0.1"}, "zoom"),
        ({"flip": "diagonal"}, "flip"),
        ({"fill_mode": "mirror"}, "fill_mode"),
        ({"interpolation": "bicubic"}, "interpolation"),
        ({"seed": -3}, "seed"),
    ],
)
def test_bad_ranges_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        augmentation_pipeline(**kwargs)


@pytest.mark.parametrize(
    ("args", "kwargs", "name"),
    [
        ((np.zeros((4, 5), np.float32), [0]), {}, "images"),
        ((np.zeros((2, 8, 8), np.uint8), [0]), {}, "images"),
        ((np.zeros((2, 8, 8), np.float32), [0, 2]), {}, "sources"),
        ((np.zeros((2, 8, 8), np.float32), [[0]]), {}, "sources"),
        ((np.zeros((2, 8, 8), np.float32), [0.5]), {}, "sources"),
        ((np.zeros((2, 8, 8), np.float32), [0]), {"batch_size": 0}, "batch_size"),
        ((np.zeros((2, 8, 8), np.float32), [0]), {"rotation": -5}, "rotation"),
    ],
)
def test_bad_enlarge_arguments_name_the_parameter(args, kwargs, name):
    with pytest.raises(ValueError, match=name):
        enlarge(*args, **kwargs)
