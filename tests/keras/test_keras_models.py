"""The Fig. 2 drawings CNN: layer sizes, output heads, parameter counts, bad arguments."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from baseline_keras import (  # noqa: E402
    BUILDERS,
    TargetScaling,
    compile_for_task,
    drawings_cnn,
    drawings_cnn_dense3,
)
from baseline_keras.checks import KerasBaselineError  # noqa: E402

# The sizes docs/keras-baseline.md gives for the default network and its variant.
FILTERS, KERNEL, POOL = (32, 64), 3, 2
PAPER, DENSE3 = (128,), (128, 128)


def conv_params(c_in: int, c_out: int, k: int = KERNEL) -> int:
    return (k * k * c_in + 1) * c_out


def dense_params(n_in: int, n_out: int) -> int:
    return (n_in + 1) * n_out


def expected_params(n_outputs: int, hidden: tuple[int, ...] = PAPER) -> int:
    """Count from the documented sizes: padding "same" then "valid" in each block."""
    total, c_in, height, width = 0, 1, 58, 36
    for f in FILTERS:
        total += conv_params(c_in, f) + conv_params(f, f)
        height, width = (height - (KERNEL - 1)) // POOL, (width - (KERNEL - 1)) // POOL
        c_in = f
    widths = [height * width * c_in, *hidden, n_outputs]
    return total + sum(dense_params(a, b) for a, b in itertools.pairwise(widths))


def dense_layers(model: keras.Model) -> list[keras.layers.Dense]:
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def test_flatten_size_of_the_default_input():
    model = drawings_cnn(n_outputs=4, compile=False)
    # 58x36 -> same 58x36 -> valid 56x34 -> pool 28x17 -> valid 26x15 -> pool 13x7.
    assert model.get_layer("flatten").output.shape[1:] == (13 * 7 * 64,)
    assert model.get_layer("block1_pool").output.shape[1:] == (28, 17, 32)


@pytest.mark.parametrize("n_outputs", [2, 186])
def test_literal_head_two_sigmoid_layers_then_softmax(n_outputs):
    model = drawings_cnn(n_outputs=n_outputs)
    assert model.output_shape == (None, n_outputs)
    assert model.count_params() == expected_params(n_outputs)
    fc1, output = dense_layers(model)
    assert (fc1.name, output.name) == ("fc1", "output")
    assert fc1.activation is keras.activations.sigmoid
    assert output.activation is keras.activations.sigmoid
    assert isinstance(model.layers[-1], keras.layers.Softmax)
    assert isinstance(model.loss, keras.losses.CategoricalCrossentropy)
    x = np.random.default_rng(0).random((3, 58, 36, 1), dtype=np.float32)
    p = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    # A softmax over values in (0, 1) cannot give any class more than e / (e + k - 1).
    assert p.max() < math.e / (math.e + n_outputs - 1)


def test_default_is_the_papers_186_classes():
    assert drawings_cnn().output_shape == (None, 186)
    assert drawings_cnn().count_params() == expected_params(186) == 834_586


def test_regression_output_is_linear():
    model = drawings_cnn(task="regression")
    assert model.output_shape == (None, 1)
    assert model.count_params() == expected_params(1) == 810_721
    assert [layer.name for layer in dense_layers(model)] == ["fc1", "output"]
    assert model.get_layer("output").activation is keras.activations.linear
    assert isinstance(model.loss, keras.losses.MeanSquaredError)


def test_layer_order_matches_section_4():
    kinds = [type(layer).__name__ for layer in drawings_cnn(n_outputs=3).layers[1:]]
    block = ["Conv2D", "Conv2D", "MaxPooling2D", "Dropout"]
    assert kinds == block * 2 + ["Flatten", "Dense", "Dropout", "Dense", "Softmax"]


@pytest.mark.parametrize(("task", "n_outputs"), [("classification", 186), ("regression", 1)])
def test_dense3_variant_has_a_third_dense_layer(task, n_outputs):
    model = drawings_cnn_dense3(n_outputs=n_outputs, task=task)
    assert [layer.name for layer in dense_layers(model)] == ["fc1", "fc2", "output"]
    assert model.get_layer("fc2").activation is keras.activations.sigmoid
    activation = keras.activations.softmax if task == "classification" else keras.activations.linear
    assert model.get_layer("output").activation is activation
    assert model.count_params() == expected_params(n_outputs, DENSE3)
    assert drawings_cnn_dense3().count_params() == 851_098
    kinds = [type(layer).__name__ for layer in model.layers[-5:]]
    assert kinds == ["Flatten", "Dense", "Dropout", "Dense", "Dense"]


def test_sigmoid_output_only_shapes_classification():
    plain = drawings_cnn(n_outputs=5, sigmoid_output=False, compile=False)
    assert plain.get_layer("output").activation is keras.activations.softmax
    assert not any(isinstance(layer, keras.layers.Softmax) for layer in plain.layers)
    labels = drawings_cnn(n_outputs=5, task="multilabel", compile=False)
    assert labels.get_layer("output").activation is keras.activations.sigmoid


def test_colour_input_and_other_sizes():
    model = drawings_cnn((64, 48, 3), 5, filters=(4, 8), dense_units=(16, 8), compile=False)
    assert model.output_shape == (None, 5)
    assert model.get_layer("block1_conv1").count_params() == conv_params(3, 4)
    assert [layer.units for layer in dense_layers(model)] == [16, 8, 5]
    assert not model.compiled


def test_builders_registry():
    assert BUILDERS["drawings_cnn"] is drawings_cnn
    assert BUILDERS["drawings_cnn_dense3"] is drawings_cnn_dense3


@pytest.mark.parametrize(("network", "n_dense"), [("fig2", 2), ("fig2_dense3", 3)])
def test_the_suites_network_names(network, n_dense):
    from bench.engines import make_engine

    adapter = make_engine("keras", network, "classification", 8, "numpy", 1, 0)
    model = adapter.estimator.build(input_shape=(58, 36, 1), n_outputs=8, task="classification")
    assert len(dense_layers(model)) == n_dense


def test_target_scaling_maps_and_serialises():
    layer = TargetScaling(offset=100.0, scale=20.0)
    out = keras.ops.convert_to_numpy(layer(np.array([[0.0], [1.0]], np.float32)))
    np.testing.assert_allclose(out, [[100.0], [120.0]])
    assert TargetScaling.from_config(layer.get_config()).scale == 20.0
    assert layer.count_params() == 0
    per_column = TargetScaling(offset=[1.0, 2.0], scale=[10.0, 0.5])
    out = keras.ops.convert_to_numpy(per_column(np.ones((3, 2), np.float32)))
    np.testing.assert_allclose(out, [[11.0, 2.5]] * 3)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"task": "ranking"}, "task"),
        ({"n_outputs": 1}, "n_outputs"),
        ({"n_outputs": 0, "task": "regression"}, "n_outputs"),
        ({"input_shape": (58, 36)}, "input_shape"),
        ({"input_shape": (8, 8, 1)}, "input_shape"),
        ({"filters": (32,)}, "filters"),
        ({"kernel_size": 0}, "kernel_size"),
        ({"pool_size": 1.5}, "pool_size"),
        ({"dense_units": (128, -1)}, "dense_units"),
        ({"filters": (8, True)}, "filters"),
        ({"dense_units": ()}, "dense_units"),
        ({"dense_units": 128}, "dense_units"),
        ({"sigmoid_output": "yes"}, "sigmoid_output"),
        ({"padding": ("same", "full")}, "padding"),
        ({"conv_dropout": 1.0}, "conv_dropout"),
        ({"dense_dropout": -0.1}, "dense_dropout"),
        ({"learning_rate": 0.0}, "learning_rate"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(KerasBaselineError, match=name):
        drawings_cnn(**kwargs)


def test_compile_for_task_rejects_unknown_task():
    with pytest.raises(KerasBaselineError, match="task"):
        compile_for_task(drawings_cnn(n_outputs=2, compile=False), "clustering")


def test_a_bad_option_value_is_the_suites_error_in_one_line():
    # Keras options are checked as the model is built, inside the job: a bad value must
    # still reach the command line as the suite's error, not as a traceback.
    from bench.engines import make_engine
    from bench.errors import BenchError

    options = {"build_kwargs": {"padding": ["bad", "same"]}}
    adapter = make_engine("keras", "fig2", "classification", 3, "numpy", 1, 0, options)
    X = np.random.default_rng(0).random((6, 58, 36, 1)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2])
    with pytest.raises(BenchError, match="keras options: padding must be two of"):
        adapter.fit(X, y, (X, y))
