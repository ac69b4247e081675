"""Model builders: the drawings CNN of the IgNet paper's Fig. 2.

A builder takes ``input_shape``, ``n_outputs`` and ``task`` (plus its own size keywords)
and returns a ``keras.Model``. ``BUILDERS`` maps names to builders so that experiment
files can pick one by name; the face-attribute CNN of the second paper joins it as a
separate builder.

The figure itself is missing from the paper's text; the sizes chosen here, and why, are in
``docs/keras-baseline.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
from keras import layers

__all__ = ["BUILDERS", "TASKS", "TargetScaling", "compile_for_task", "drawings_cnn"]

TASKS = ("classification", "regression")

#: The paper's largest label combination (all four factors) has 186 classes.
PAPER_N_CLASSES = 186


def _check_task(task: str) -> None:
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, not {task!r}")


def _check_positive_ints(name: str, values: Sequence[Any], length: int) -> tuple[int, ...]:
    values = tuple(values)
    if len(values) != length or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in values
    ):
        raise ValueError(f"{name} must be {length} positive integers, not {values!r}")
    return values


def _check_rate(name: str, value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be a number in [0, 1), not {value!r}")
    return float(value)


def _block_output(size: int, kernel: int, padding: Sequence[str], pool: int) -> int:
    for pad in padding:
        if pad == "valid":
            size -= kernel - 1
    # A map smaller than a pooling window would make Keras fail later with a shape error.
    return size // pool if size >= pool else 0


def _float_or_list(value: float | Sequence[float]) -> float | list[float]:
    if isinstance(value, int | float):
        return float(value)
    return [float(v) for v in value]


@keras.saving.register_keras_serializable(package="baseline_keras")
class TargetScaling(layers.Layer):
    """A fixed affine map ``y = scale * x + offset`` on a regression output.

    The layer lets a network learn a standardised target while its outputs, loss and
    metrics stay in the target's own units (months of age for the drawings). It has no
    trainable weights: the last dense layer could absorb it, so the model class is
    unchanged; only the optimiser's starting point is better conditioned.

    Parameters
    ----------
    offset : float or sequence of float
        Added after scaling (the training targets' mean); one value per output, or one
        for all.
    scale : float or sequence of float
        Multiplies the input (the training targets' standard deviation).
    """

    def __init__(
        self,
        offset: float | Sequence[float] = 0.0,
        scale: float | Sequence[float] = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # Plain floats or lists keep get_config JSON-serialisable.
        self.offset = _float_or_list(offset)
        self.scale = _float_or_list(scale)

    def call(self, inputs: Any) -> Any:
        scale = keras.ops.convert_to_tensor(self.scale, dtype=inputs.dtype)
        offset = keras.ops.convert_to_tensor(self.offset, dtype=inputs.dtype)
        return keras.ops.add(keras.ops.multiply(inputs, scale), offset)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "offset": self.offset, "scale": self.scale}


def compile_for_task(
    model: keras.Model, task: str = "classification", learning_rate: float = 1e-3
) -> keras.Model:
    """Compile a model with the paper's loss for ``task`` and Adam.

    Parameters
    ----------
    model : keras.Model
        Compiled in place.
    task : {"classification", "regression"}
        Classification: categorical cross-entropy on one-hot targets, metric ``accuracy``.
        Regression: mean squared error, metrics ``mape`` (percent) and ``mae``.
    learning_rate : float
        Adam's step size.

    Returns
    -------
    keras.Model
        ``model`` itself.
    """
    _check_task(task)
    if (
        not isinstance(learning_rate, int | float)
        or isinstance(learning_rate, bool)
        or not learning_rate > 0
    ):
        raise ValueError(f"learning_rate must be a positive number, not {learning_rate!r}")
    if task == "classification":
        loss: Any = keras.losses.CategoricalCrossentropy()
        metrics: list[Any] = [keras.metrics.CategoricalAccuracy(name="accuracy")]
    else:
        loss = keras.losses.MeanSquaredError()
        metrics = [
            keras.metrics.MeanAbsolutePercentageError(name="mape"),
            keras.metrics.MeanAbsoluteError(name="mae"),
        ]
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=float(learning_rate)),
        loss=loss,
        metrics=metrics,
    )
    return model


def drawings_cnn(
    input_shape: Sequence[int] = (58, 36, 1),
    n_outputs: int | None = None,
    task: str = "classification",
    *,
    filters: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    padding: Sequence[str] = ("same", "valid"),
    pool_size: int = 2,
    conv_dropout: float = 0.25,
    dense_units: Sequence[int] = (128, 128),
    dense_dropout: float = 0.5,
    compile: bool = True,
    learning_rate: float = 1e-3,
    name: str = "drawings_cnn",
) -> keras.Model:
    """The drawings CNN of the IgNet paper's Fig. 2 (the Keras solution, section 4).

    Two blocks of [conv -> ReLU, conv -> ReLU, max-pool, dropout], then two fully connected
    layers with sigmoid activation (dropout after the first), then the output: softmax
    over ``n_outputs`` classes for classification, linear for regression.

    Parameters
    ----------
    input_shape : sequence of 3 ints
        (height, width, channels); the paper's drawings are 58 x 36 grayscale.
    n_outputs : int, optional
        Classes (classification, at least 2) or targets (regression). By default 186, the
        paper's all-four-factors combination, for classification and 1 for regression.
    task : {"classification", "regression"}
    filters : sequence of 2 ints
        Filters of both convolutions of block 1 and of block 2.
    kernel_size : int
        Square convolution kernels.
    padding : sequence of 2 of {"same", "valid"}
        Padding of the first and of the second convolution of each block.
    pool_size : int
        Square max-pool window and stride.
    conv_dropout : float
        Dropout rate after each max-pool.
    dense_units : sequence of 2 ints
        Units of the two sigmoid fully connected layers.
    dense_dropout : float
        Dropout rate after the first fully connected layer.
    compile : bool
        Compile with :func:`compile_for_task` (Adam at ``learning_rate``).
    learning_rate : float
        Used when ``compile`` is true.
    name : str
        The model's name.

    Returns
    -------
    keras.Model
        A functional model; compiled when ``compile`` is true.

    Raises
    ------
    ValueError
        For a bad argument, naming it; also when ``input_shape`` is too small for the two
        blocks.
    """
    _check_task(task)
    shape = _check_positive_ints("input_shape", input_shape, 3)
    if n_outputs is None:
        n_outputs = PAPER_N_CLASSES if task == "classification" else 1
    least = 2 if task == "classification" else 1
    if not isinstance(n_outputs, int) or isinstance(n_outputs, bool) or n_outputs < least:
        raise ValueError(f"n_outputs must be an integer >= {least} for {task}, not {n_outputs!r}")
    filters = _check_positive_ints("filters", filters, 2)
    (kernel_size,) = _check_positive_ints("kernel_size", (kernel_size,), 1)
    (pool_size,) = _check_positive_ints("pool_size", (pool_size,), 1)
    dense_units = _check_positive_ints("dense_units", dense_units, 2)
    padding = tuple(padding)
    if len(padding) != 2 or not all(p in ("same", "valid") for p in padding):
        raise ValueError(f"padding must be two of 'same' / 'valid', not {padding!r}")
    conv_dropout = _check_rate("conv_dropout", conv_dropout)
    dense_dropout = _check_rate("dense_dropout", dense_dropout)

    height, width = shape[0], shape[1]
    for _ in range(2):
        height = _block_output(height, kernel_size, padding, pool_size)
        width = _block_output(width, kernel_size, padding, pool_size)
    if height < 1 or width < 1:
        raise ValueError(
            f"input_shape {shape} is too small for two blocks of {kernel_size}x{kernel_size} "
            f"convolutions and {pool_size}x{pool_size} pooling"
        )

    inputs = keras.Input(shape=shape, name="image")
    x = inputs
    for block, n_filters in enumerate(filters, start=1):
        for conv, pad in enumerate(padding, start=1):
            x = layers.Conv2D(
                n_filters,
                kernel_size,
                padding=pad,
                activation="relu",
                name=f"block{block}_conv{conv}",
            )(x)
        x = layers.MaxPooling2D(pool_size, name=f"block{block}_pool")(x)
        x = layers.Dropout(conv_dropout, name=f"block{block}_dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense_units[0], activation="sigmoid", name="fc1")(x)
    x = layers.Dropout(dense_dropout, name="fc1_dropout")(x)
    x = layers.Dense(dense_units[1], activation="sigmoid", name="fc2")(x)
    activation = "softmax" if task == "classification" else "linear"
    outputs = layers.Dense(n_outputs, activation=activation, name="output")(x)
    model = keras.Model(inputs, outputs, name=name)
    if compile:
        compile_for_task(model, task, learning_rate)
    return model


#: Builders by name, for experiment files. Each is called as
#: ``builder(input_shape=..., n_outputs=..., task=..., **sizes)``.
BUILDERS: dict[str, Callable[..., keras.Model]] = {"drawings_cnn": drawings_cnn}
