"""The face-attribute CNN, its ablations and multi-label training with KerasCNNClassifier."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from sklearn.metrics import accuracy_score, hamming_loss  # noqa: E402

from baseline_keras import BUILDERS, KerasCNNClassifier, drawings_cnn, faces_cnn  # noqa: E402
from baseline_keras.checks import KerasBaselineError  # noqa: E402

# The sizes docs/keras-baseline.md gives for the default network.
FILTERS, KERNEL, DENSE, LABELS = (32, 64, 64, 32), 3, 256, 10
VARIANTS = ("faces_cnn", "faces_cnn_no_conv3", "faces_cnn_no_conv3_fc1")
# (convolutions, dense layers, flattened map of a 64x64 input) of each variant.
STRUCTURE = {
    "faces_cnn": (4, 2, 64 * 64 * 32),
    "faces_cnn_no_conv3": (3, 2, 32 * 32 * 32),
    "faces_cnn_no_conv3_fc1": (3, 1, 32 * 32 * 32),
}
MODEL_NAMES = {
    "faces_cnn": "faces_cnn",
    "faces_cnn_no_conv3": "faces_cnn_no_conv3",
    "faces_cnn_no_conv3_fc1": "faces_cnn_no_conv3_no_fc1",
}
# A small network keeps each fit to a few seconds on two cores; momentum 0.9 lets the batch
# norms' moving averages settle within the few dozen steps of a test fit.
SMALL = {"filters": (8, 16, 16, 8), "dense_units": 32, "batch_norm_momentum": 0.9}


def conv_params(c_in: int, c_out: int) -> int:
    return (KERNEL * KERNEL * c_in + 1) * c_out


def expected_params(name: str, channels: int) -> int:
    """Count from the documented sizes; a batch norm holds 4 numbers per channel."""
    f1, f2, f3, f4 = FILTERS
    total = conv_params(channels, f1) + 4 * f1 + conv_params(f1, f2) + 4 * f2
    if name == "faces_cnn":
        total += conv_params(f2, f3) + 4 * f3 + conv_params(f3, f4) + 4 * f4
    else:
        total += conv_params(f2, f4) + 4 * f4
    flat = STRUCTURE[name][2]
    if name == "faces_cnn_no_conv3_fc1":
        return total + (flat + 1) * LABELS
    return total + (flat + 1) * DENSE + (DENSE + 1) * LABELS


def convolutions(model: keras.Model) -> list:
    return [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.Conv2D | keras.layers.Conv2DTranspose)
    ]


def of_type(model: keras.Model, kind: type) -> list:
    return [layer for layer in model.layers if isinstance(layer, kind)]


def quadrants(n: int, seed: int, size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images with four labels: label j is 1 when quadrant j is bright.

    Each quadrant is a flat level, bright (0.6-0.9) or dark (0.1-0.4), plus noise; a
    quadrant's mean is a linear function of the pixels, so even a network with no
    nonlinearity inside can learn the labels.
    """
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, (n, 4))
    half = size // 2
    images = np.empty((n, size, size), np.float32)
    for j in range(4):
        row, col = divmod(j, 2)
        level = np.where(labels[:, j] == 1, rng.uniform(0.6, 0.9, n), rng.uniform(0.1, 0.4, n))
        images[:, row * half : (row + 1) * half, col * half : (col + 1) * half] = level[
            :, None, None
        ]
    images += rng.normal(0.0, 0.05, images.shape).astype(np.float32)
    return np.clip(images, 0.0, 1.0), labels


# -- the network ----------------------------------------------------------------------


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("name", VARIANTS)
def test_variants_structure_and_parameter_counts(name, channels):
    model = BUILDERS[name](
        input_shape=(64, 64, channels), n_outputs=10, task="multilabel", compile=False
    )
    n_conv, n_dense, flat = STRUCTURE[name]
    assert model.output_shape == (None, 10)
    assert model.name == MODEL_NAMES[name]
    assert model.get_layer("fc2").activation is keras.activations.sigmoid
    assert len(convolutions(model)) == n_conv
    assert len(of_type(model, keras.layers.Dense)) == n_dense
    # Each batch normalised: one batch norm per convolution.
    assert len(of_type(model, keras.layers.BatchNormalization)) == n_conv
    # No nonlinear layer inside: every convolution and fc1 is linear.
    inner = convolutions(model) + of_type(model, keras.layers.Dense)[:-1]
    assert all(layer.activation is keras.activations.linear for layer in inner)
    assert model.get_layer("flatten").output.shape[1:] == (flat,)
    assert model.count_params() == expected_params(name, channels)


def test_parameter_counts_of_a_64x64_grayscale_input():
    counts = [expected_params(name, 1) for name in VARIANTS]
    # The numbers docs/keras-baseline.md gives; fc1 holds almost all of them.
    assert counts == [33_632_234, 8_429_226, 365_482]
    assert counts[0] > counts[1] > counts[2]


def test_down_then_up_sampling_map_sizes():
    model = faces_cnn((64, 64, 1), compile=False)
    sizes = {name: model.get_layer(name).output.shape[1:] for name in ("conv1", "conv1_pool")}
    assert sizes == {"conv1": (64, 64, 32), "conv1_pool": (32, 32, 32)}
    assert model.get_layer("conv2").strides == (2, 2)
    assert model.get_layer("conv2").output.shape[1:] == (16, 16, 64)
    assert model.get_layer("conv3").output.shape[1:] == (32, 32, 64)
    assert model.get_layer("conv4").output.shape[1:] == (64, 64, 32)
    kinds = [type(layer).__name__ for layer in model.layers[1:]]
    conv = ["Conv2D", "BatchNormalization"]
    up = ["UpSampling2D", *conv, "Dropout"]
    assert kinds == [*conv, "MaxPooling2D", *conv, "Dropout", *up, *up, "Flatten", "Dense", "Dense"]
    assert len(of_type(model, keras.layers.MaxPooling2D)) == 1


def test_dropout_is_largest_at_the_turn():
    model = faces_cnn((16, 16, 1), dropout=0.2, turn_dropout=0.4, compile=False)
    rates = {layer.name: layer.rate for layer in of_type(model, keras.layers.Dropout)}
    assert rates == {"conv2_dropout": 0.2, "conv3_dropout": 0.4, "conv4_dropout": 0.2}
    default = faces_cnn((16, 16, 1), compile=False)
    defaults = {layer.name: layer.rate for layer in of_type(default, keras.layers.Dropout)}
    assert defaults["conv3_dropout"] > defaults["conv2_dropout"] == defaults["conv4_dropout"]
    # The turn's dropout goes with conv3 in the ablation.
    ablated = BUILDERS["faces_cnn_no_conv3"](input_shape=(16, 16, 1), compile=False)
    rates = {layer.name: layer.rate for layer in of_type(ablated, keras.layers.Dropout)}
    assert rates == {"conv2_dropout": 0.25, "conv4_dropout": 0.25}


def test_transposed_convolutions_up_sample_in_one_layer():
    model = faces_cnn((64, 64, 3), upsampling="transpose", compile=False)
    assert isinstance(model.get_layer("conv3"), keras.layers.Conv2DTranspose)
    assert isinstance(model.get_layer("conv4"), keras.layers.Conv2DTranspose)
    assert not of_type(model, keras.layers.UpSampling2D)
    assert model.get_layer("conv4").output.shape[1:] == (64, 64, 32)
    assert model.count_params() == expected_params("faces_cnn", 3)


def test_other_heads_odd_sizes_and_probabilities():
    soft = faces_cnn((30, 22, 1), 3, "classification", **SMALL)
    assert soft.get_layer("fc2").activation is keras.activations.softmax
    assert isinstance(soft.loss, keras.losses.CategoricalCrossentropy)
    linear = faces_cnn((30, 22, 1), 1, "regression", compile=False, **SMALL)
    assert linear.get_layer("fc2").activation is keras.activations.linear
    # 30x22 -> pool 15x11 -> stride 2 8x6 -> up 16x12 -> up 32x24.
    assert linear.get_layer("conv4").output.shape[1:] == (32, 24, 8)
    model = faces_cnn((32, 32, 1), 4, **SMALL)
    assert isinstance(model.loss, keras.losses.BinaryCrossentropy)
    x = np.random.default_rng(0).random((5, 32, 32, 1), dtype=np.float32)
    p = keras.ops.convert_to_numpy(model(x, training=False))
    assert p.shape == (5, 4) and np.all((p > 0) & (p < 1))


def test_drawings_cnn_takes_multilabel_too():
    model = drawings_cnn(n_outputs=4, task="multilabel", filters=(4, 8), dense_units=(8, 8))
    assert model.output_shape == (None, 4)
    assert model.get_layer("output").activation is keras.activations.sigmoid
    assert isinstance(model.loss, keras.losses.BinaryCrossentropy)
    with pytest.raises(KerasBaselineError, match="n_outputs"):
        drawings_cnn(task="multilabel")


def test_builders_registry():
    assert BUILDERS["faces_cnn"] is faces_cnn
    model = BUILDERS["faces_cnn_no_conv3_fc1"](input_shape=(32, 32, 1), n_outputs=3, **SMALL)
    assert model.output_shape == (None, 3)
    assert [layer.name for layer in of_type(model, keras.layers.Dense)] == ["fc2"]
    # An ablation cannot be switched back on by a keyword.
    with pytest.raises(TypeError, match="conv3"):
        BUILDERS["faces_cnn_no_conv3"](input_shape=(32, 32, 1), conv3=True)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"task": "ranking"}, "task"),
        ({"n_outputs": 0}, "n_outputs"),
        ({"n_outputs": 1, "task": "classification"}, "n_outputs"),
        ({"input_shape": (32, 32)}, "input_shape"),
        ({"input_shape": (1, 32, 1)}, "input_shape"),
        ({"filters": (8, 16, 8)}, "filters"),
        ({"kernel_size": 0}, "kernel_size"),
        ({"dense_units": 0}, "dense_units"),
        ({"dropout": 1.0}, "dropout"),
        ({"turn_dropout": -0.1}, "turn_dropout"),
        ({"conv3": 0}, "conv3"),
        ({"fc1": "no"}, "fc1"),
        ({"upsampling": "bicubic"}, "upsampling"),
        ({"batch_norm_momentum": 1.0}, "batch_norm_momentum"),
        ({"learning_rate": 0.0}, "learning_rate"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(KerasBaselineError, match=name):
        faces_cnn(**{"input_shape": (32, 32, 1), **kwargs})


# -- multi-label training ---------------------------------------------------------------


def small_faces(**params) -> KerasCNNClassifier:
    defaults = {
        "build": faces_cnn,
        "build_kwargs": SMALL,
        "epochs": 6,
        "batch_size": 16,
        "learning_rate": 3e-3,
    }
    return KerasCNNClassifier(**{**defaults, **params})


@pytest.fixture(scope="module")
def quadrant_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return (*quadrants(64, seed=0), *quadrants(64, seed=1))


@pytest.fixture(scope="module")
def fitted(quadrant_data) -> KerasCNNClassifier:
    X, y, X_val, y_val = quadrant_data
    return small_faces().fit(X, y, validation_data=(X_val, y_val))


def test_learns_the_quadrant_labels(fitted, quadrant_data):
    X, y, X_val, y_val = quadrant_data
    predicted = fitted.predict(X)
    assert predicted.shape == (64, 4)
    assert predicted.dtype.kind == "i" and set(np.unique(predicted)) <= {0, 1}
    assert fitted.multilabel_ and fitted.n_labels_ == 4
    np.testing.assert_array_equal(fitted.classes_, [0, 1, 2, 3])
    # Chance is 0.5 per label.
    assert 1 - hamming_loss(y, predicted) >= 0.8
    assert 1 - hamming_loss(y_val, fitted.predict(X_val)) >= 0.8


def test_history_and_monitor(fitted, quadrant_data):
    history = fitted.history_
    names = ("loss", "accuracy", "precision", "recall")
    assert set(history) == {*names, *(f"val_{name}" for name in names)}
    assert all(len(values) == fitted.n_epochs_ for values in history.values())
    # val_loss is watched by default and the best epoch's weights are kept.
    assert fitted.best_epoch_ == int(np.argmin(history["val_loss"]))
    # Keras's accuracy is per label: one minus the Hamming loss. score, as for any
    # scikit-learn multi-label classifier, is the stricter exact match of whole rows.
    X_val, y_val = quadrant_data[2:]
    predicted = fitted.predict(X_val)
    best = history["val_accuracy"][fitted.best_epoch_]
    assert 1 - hamming_loss(y_val, predicted) == pytest.approx(best, abs=1e-6)
    assert fitted.score(X_val, y_val) == accuracy_score(y_val, predicted)
    assert fitted.score(X_val, y_val) <= best


def test_probabilities_and_threshold(fitted, quadrant_data):
    X = quadrant_data[0][:16]
    proba = fitted.predict_proba(X)
    assert proba.shape == (16, 4) and np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_array_equal(fitted.predict(X), (proba > 0.5).astype(int))
    # The threshold is read when predicting: no refit needed.
    fitted.set_params(threshold=0.9)
    try:
        strict = fitted.predict(X)
    finally:
        fitted.set_params(threshold=0.5)
    np.testing.assert_array_equal(strict, (proba > 0.9).astype(int))


def test_ablation_trains_with_a_greater_is_better_monitor(quadrant_data):
    X, y = quadrant_data[:2]
    est = small_faces(build=BUILDERS["faces_cnn_no_conv3_fc1"], epochs=2, monitor="val_recall")
    est.fit(X, y.astype(bool))
    assert set(est.history_) == {"loss", "accuracy", "precision", "recall"}
    # Without validation data the training recall is watched, and greater is better.
    assert est.best_epoch_ == int(np.argmax(est.history_["recall"]))
    assert est.predict(X[:3]).shape == (3, 4)


SIXTEEN = np.zeros((16, 32, 32), np.float32)
LABELS16 = np.tile([[0, 1, 1, 0]], (16, 1))


@pytest.mark.parametrize(
    ("y", "validation_data", "name"),
    [
        (np.where(LABELS16 == 1, 2, 0), None, "y"),
        (LABELS16 - 0.5, None, "y"),
        (LABELS16[:, 0], None, "y"),
        (LABELS16[:8], None, "y"),
        (LABELS16[:, :0], None, "y"),
        (LABELS16.astype(str), None, "y"),
        (LABELS16, (SIXTEEN[:4], LABELS16[:4, :3]), "validation_data"),
        (LABELS16, (SIXTEEN[:4], 2 * LABELS16[:4]), "validation_data"),
    ],
)
def test_bad_label_matrices_raise(y, validation_data, name):
    with pytest.raises(KerasBaselineError, match=name):
        small_faces().fit(SIXTEEN, y, validation_data=validation_data)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"threshold": 0.0}, "threshold"),
        ({"threshold": 1.5}, "threshold"),
        ({"monitor": "val_mape"}, "monitor"),
        ({"n_classes": 4}, "n_classes"),
    ],
)
def test_bad_parameters_raise_in_fit(params, name):
    with pytest.raises(KerasBaselineError, match=name):
        small_faces(**params).fit(SIXTEEN, LABELS16)


def test_single_label_monitors_are_checked_against_single_labels():
    # val_recall is a multi-label metric: single labels have loss and accuracy only.
    with pytest.raises(KerasBaselineError, match="monitor"):
        small_faces(monitor="val_recall").fit(SIXTEEN, LABELS16[:, 1] ^ np.arange(16) % 2)
