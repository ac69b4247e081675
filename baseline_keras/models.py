"""Model builders: the drawings CNN of the IgNet paper's Fig. 2 and the face-attribute CNN.

A builder takes ``input_shape``, ``n_outputs`` and ``task`` (plus its own size keywords)
and returns a ``keras.Model``. ``BUILDERS`` maps names to builders so that experiment
files can pick one by name: ``drawings_cnn`` with its variant ``drawings_cnn_dense3``, and
``faces_cnn`` with its two ablations ``faces_cnn_no_conv3`` and ``faces_cnn_no_conv3_fc1``.

Neither paper gives layer sizes; the sizes chosen here, and why, are in
``docs/keras-baseline.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
from keras import layers

from baseline_keras.checks import (
    KerasBaselineError,
    check_choice,
    check_flag,
    check_int,
    check_number,
    check_positive_ints,
    check_rate,
    check_threshold,
)

__all__ = [
    "BUILDERS",
    "TASKS",
    "TargetScaling",
    "compile_for_task",
    "drawings_cnn",
    "drawings_cnn_dense3",
    "faces_cnn",
    "faces_cnn_no_conv3",
    "faces_cnn_no_conv3_fc1",
]

TASKS = ("classification", "regression", "multilabel")

#: Output activation of each task's last layer.
_OUTPUT_ACTIVATION = {"classification": "softmax", "regression": "linear", "multilabel": "sigmoid"}

#: The face paper's ten CelebA attributes.
FACES_N_LABELS = 10

#: Up-sampling choices of faces_cnn: UpSampling2D interpolations, or a transposed convolution.
UPSAMPLING = ("nearest", "bilinear", "transpose")

#: The paper's largest label combination (all four factors) has 186 classes.
PAPER_N_CLASSES = 186


def _check_task(task: str) -> None:
    check_choice("task", task, TASKS)


def _check_n_outputs(n_outputs: Any, task: str) -> int:
    # A softmax over one class would always say 1.
    return check_int("n_outputs", n_outputs, 2 if task == "classification" else 1, task=task)


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
    model: keras.Model,
    task: str = "classification",
    learning_rate: float = 1e-3,
    threshold: float = 0.5,
) -> keras.Model:
    """Compile a model with the paper's loss for ``task`` and Adam.

    Parameters
    ----------
    model : keras.Model
        Compiled in place.
    task : {"classification", "regression", "multilabel"}
        Classification: categorical cross-entropy on one-hot targets, metric ``accuracy``.
        Regression: mean squared error, metrics ``mape`` (percent) and ``mae``.
        Multilabel: binary cross-entropy on 0/1 rows (sigmoid outputs), metrics
        ``accuracy`` (binary accuracy: the fraction of correct labels over all samples and
        labels), ``precision`` and ``recall`` (over all labels together).
    learning_rate : float
        Adam's step size.
    threshold : float
        Multilabel only: an output above it counts as a predicted 1 in the metrics.

    Returns
    -------
    keras.Model
        ``model`` itself.
    """
    _check_task(task)
    check_number("learning_rate", learning_rate, low_open=True)
    threshold = check_threshold(threshold)
    if task == "classification":
        loss: Any = keras.losses.CategoricalCrossentropy()
        metrics: list[Any] = [keras.metrics.CategoricalAccuracy(name="accuracy")]
    elif task == "multilabel":
        loss = keras.losses.BinaryCrossentropy()
        metrics = [
            keras.metrics.BinaryAccuracy(name="accuracy", threshold=threshold),
            keras.metrics.Precision(thresholds=threshold, name="precision"),
            keras.metrics.Recall(thresholds=threshold, name="recall"),
        ]
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
    dense_units: Sequence[int] = (128,),
    dense_dropout: float = 0.5,
    sigmoid_output: bool = True,
    compile: bool = True,
    learning_rate: float = 1e-3,
    name: str = "drawings_cnn",
) -> keras.Model:
    """The drawings CNN of the IgNet paper's Fig. 2 (the Keras solution, section 4).

    Section 4 read literally: two blocks of [conv -> ReLU, conv -> ReLU, max-pool,
    dropout], then two fully connected layers with sigmoid activation, the second being
    the output, then a softmax for classification; dropout "in max-pool and one of the
    fully connected layers" (after each pool and after the first fully connected layer).

    By task, the output layer (the second fully connected layer) is:

    - classification: ``n_outputs`` sigmoid units, then a softmax layer over them
      (``sigmoid_output=False`` feeds the layer's pre-activations to the softmax instead);
    - regression: linear. A sigmoid's values lie in (0, 1) and the ages in months in
      about 36 to 150, so a sigmoid output cannot reach the targets (see
      ``docs/keras-baseline.md``);
    - multilabel: one sigmoid per label (the paper has no multilabel task; it is there
      so that the drawings network can be compared on multilabel data).

    :func:`drawings_cnn_dense3` is the other reading: two hidden sigmoid layers and a
    separate output layer.

    Parameters
    ----------
    input_shape : sequence of 3 ints
        (height, width, channels); the paper's drawings are 58 x 36 grayscale.
    n_outputs : int, optional
        Classes (classification, at least 2), targets (regression) or labels (multilabel).
        By default 186, the paper's all-four-factors combination, for classification and 1
        for regression; required for multilabel.
    task : {"classification", "regression", "multilabel"}
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
    dense_units : sequence of ints
        Units of the hidden sigmoid fully connected layers before the output layer: one
        layer in the paper's reading.
    dense_dropout : float
        Dropout rate after the first hidden fully connected layer.
    sigmoid_output : bool
        Classification only: the output layer has a sigmoid, as the paper's second fully
        connected layer, and the softmax is a layer of its own on top.
    compile : bool
        Compile with :func:`compile_for_task` (Adam at ``learning_rate``).
    learning_rate : float
        Used when ``compile`` is true.
    name : str
        The model's name.

    Returns
    -------
    keras.Model
        A functional model whose layers are named ``block<b>_conv<c>``,
        ``block<b>_pool``, ``block<b>_dropout``, ``flatten``, ``fc1`` ... (hidden),
        ``fc1_dropout``, ``output`` and, for classification with a sigmoid output,
        ``softmax``; compiled when ``compile`` is true.

    Raises
    ------
    KerasBaselineError
        For a bad argument, naming it; also when ``input_shape`` is too small for the two
        blocks.
    """
    _check_task(task)
    shape = check_positive_ints("input_shape", input_shape, 3)
    if n_outputs is None:
        if task == "multilabel":
            raise KerasBaselineError("n_outputs (the number of labels) is required for multilabel")
        n_outputs = PAPER_N_CLASSES if task == "classification" else 1
    n_outputs = _check_n_outputs(n_outputs, task)
    filters = check_positive_ints("filters", filters, 2)
    kernel_size = check_int("kernel_size", kernel_size, 1)
    pool_size = check_int("pool_size", pool_size, 1)
    dense_units = check_positive_ints("dense_units", dense_units, None)
    padding = tuple(padding)
    if len(padding) != 2 or not all(p in ("same", "valid") for p in padding):
        raise KerasBaselineError(f"padding must be two of 'same' / 'valid', not {padding!r}")
    conv_dropout = check_rate("conv_dropout", conv_dropout)
    dense_dropout = check_rate("dense_dropout", dense_dropout)
    check_flag("sigmoid_output", sigmoid_output)

    height, width = shape[0], shape[1]
    for _ in range(2):
        height = _block_output(height, kernel_size, padding, pool_size)
        width = _block_output(width, kernel_size, padding, pool_size)
    if height < 1 or width < 1:
        raise KerasBaselineError(
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
    for index, units in enumerate(dense_units, start=1):
        x = layers.Dense(units, activation="sigmoid", name=f"fc{index}")(x)
        if index == 1:
            x = layers.Dropout(dense_dropout, name="fc1_dropout")(x)
    if task == "classification" and sigmoid_output:
        x = layers.Dense(n_outputs, activation="sigmoid", name="output")(x)
        outputs = layers.Softmax(name="softmax")(x)
    else:
        outputs = layers.Dense(n_outputs, activation=_OUTPUT_ACTIVATION[task], name="output")(x)
    model = keras.Model(inputs, outputs, name=name)
    if compile:
        compile_for_task(model, task, learning_rate)
    return model


def drawings_cnn_dense3(
    input_shape: Sequence[int] = (58, 36, 1),
    n_outputs: int | None = None,
    task: str = "classification",
    *,
    dense_units: Sequence[int] = (128, 128),
    name: str = "drawings_cnn_dense3",
    **sizes: Any,
) -> keras.Model:
    """:func:`drawings_cnn` with three fully connected layers (the suite's first reading).

    Both sigmoid layers of section 4 are hidden, and a third dense layer is the output:
    softmax over its pre-activations for classification, linear for regression. A softmax
    over sigmoid outputs caps the right class's probability (at e / (e + k - 1) for k
    classes), which the literal reading accepts and this one avoids.

    ``sizes`` are :func:`drawings_cnn`'s other keywords; passing ``sigmoid_output`` is a
    ``TypeError``.
    """
    return drawings_cnn(
        input_shape,
        n_outputs,
        task,
        dense_units=dense_units,
        sigmoid_output=False,
        name=name,
        **sizes,
    )


def faces_cnn(
    input_shape: Sequence[int],
    n_outputs: int = FACES_N_LABELS,
    task: str = "multilabel",
    *,
    filters: Sequence[int] = (32, 64, 64, 32),
    kernel_size: int = 3,
    dense_units: int = 256,
    dropout: float = 0.25,
    turn_dropout: float = 0.5,
    conv3: bool = True,
    fc1: bool = True,
    upsampling: str = "nearest",
    batch_norm_momentum: float = 0.99,
    compile: bool = True,
    learning_rate: float = 1e-3,
    name: str | None = None,
) -> keras.Model:
    """The face-attribute CNN of the CelebA paper (section 2.2), with its ablations.

    The paper: four convolutional layers and two fully connected layers; max pooling in the
    first convolutional layer; down-sampling in the first two layers and up-sampling in the
    last two; every batch normalised; dropout on convolutional layers 2, 3 and 4, larger at
    the layer where the network turns from down- to up-sampling; no nonlinear activation
    inside the network, a sigmoid on the last fully connected layer. It gives no sizes.
    This builder reads it as (``f1..f4 = filters``, ``k = kernel_size``, every
    convolution padded "same"):

    =====  =====================================================================  ========
    layer  operations                                                             map size
    =====  =====================================================================  ========
    conv1  conv ``f1`` k x k stride 1, batch norm, max-pool 2x2                   H/2
    conv2  conv ``f2`` k x k stride 2, batch norm, dropout ``dropout``            H/4
    conv3  up-sample x2, conv ``f3`` k x k, batch norm, dropout ``turn_dropout``  H/2
    conv4  up-sample x2, conv ``f4`` k x k, batch norm, dropout ``dropout``       H
    fc1    flatten, dense ``dense_units``, no activation
    fc2    dense ``n_outputs``, sigmoid (multilabel)
    =====  =====================================================================  ========

    - The down-sampling of conv1 *is* its max pooling (a stride-1 convolution followed by
      a 2x2 pool); conv2, where the paper names no pooling, down-samples by its own
      stride. Each of the four layers thus halves or doubles the map once, and conv4's
      output has the input's height and width when they are multiples of 4 (30 x 22
      gives 32 x 24).
    - The larger dropout belongs to conv3: the paper's discussion names the third
      convolutional layer as "the point where it passes from applying down sampling to
      up sampling". Dropout follows each layer's batch norm, as Keras layers are usually
      stacked, so ``turn_dropout`` acts on conv3's output.
    - No activation anywhere but the output: convolutions and fc1 are linear. Max pooling
      is then the network's only nonlinearity, and fc1 followed by fc2 is one affine map
      factored through ``dense_units`` values.
    - Ablations remove a layer with everything that belongs to it. ``conv3=False`` drops
      conv3's up-sampling, convolution, batch norm and the larger dropout, so conv4 is
      the only up-sampling layer and the flattened map is (H/2) x (W/2) x ``f4``;
      ``fc1=False`` connects the flattened map to fc2 directly.

    Parameters
    ----------
    input_shape : sequence of 3 ints
        (height, width, channels), height and width at least 2. The paper does not give
        its image size; its face crops were grayscale.
    n_outputs : int
        Labels (multilabel; the paper's 10 CelebA attributes), classes (classification,
        at least 2) or targets (regression).
    task : {"multilabel", "classification", "regression"}
        Sets fc2's activation: sigmoid (the paper), softmax or linear.
    filters : sequence of 4 ints
        Filters of conv1 to conv4; conv3's is unused when ``conv3`` is false.
    kernel_size : int
        Square kernels of all four convolutions.
    dense_units : int
        Units of fc1.
    dropout : float
        Dropout rate after conv2 and conv4.
    turn_dropout : float
        Dropout rate after conv3, the turn from down- to up-sampling (the paper: larger
        than the others).
    conv3 : bool
        Keep the third convolutional layer (false: the paper's first ablation).
    fc1 : bool
        Keep the first fully connected layer (false together with ``conv3=False``: the
        paper's second ablation).
    upsampling : {"nearest", "bilinear", "transpose"}
        How conv3 and conv4 up-sample: an ``UpSampling2D`` layer with that interpolation
        before a stride-1 convolution, or (``"transpose"``) a stride-2 transposed
        convolution, which up-samples and convolves in one layer.
    batch_norm_momentum : float
        Momentum of the batch norms' moving averages, which the network uses when
        predicting. Keras's 0.99 needs some hundreds of training steps to settle; a lower
        value suits a short training run.
    compile : bool
        Compile with :func:`compile_for_task` (Adam at ``learning_rate``).
    learning_rate : float
        Used when ``compile`` is true.
    name : str, optional
        The model's name; by default ``faces_cnn`` with ``_no_conv3`` / ``_no_fc1``
        appended for the ablations.

    Returns
    -------
    keras.Model
        A functional model whose layers are named ``conv1`` ... ``conv4`` (convolutions),
        ``conv<i>_bn``, ``conv1_pool``, ``conv<i>_upsample``, ``conv<i>_dropout``,
        ``flatten``, ``fc1`` and ``fc2`` (the output); compiled when ``compile`` is true.

    Raises
    ------
    KerasBaselineError
        For a bad argument, naming it.
    """
    _check_task(task)
    shape = check_positive_ints("input_shape", input_shape, 3)
    if shape[0] < 2 or shape[1] < 2:
        raise KerasBaselineError(
            f"input_shape {shape} is too small: height and width must be at least 2 for the "
            "2x2 max pooling of conv1"
        )
    n_outputs = _check_n_outputs(n_outputs, task)
    filters = check_positive_ints("filters", filters, 4)
    kernel_size = check_int("kernel_size", kernel_size, 1)
    dense_units = check_int("dense_units", dense_units, 1)
    dropout = check_rate("dropout", dropout)
    turn_dropout = check_rate("turn_dropout", turn_dropout)
    momentum = check_rate("batch_norm_momentum", batch_norm_momentum)
    check_flag("conv3", conv3)
    check_flag("fc1", fc1)
    check_choice("upsampling", upsampling, UPSAMPLING)
    if name is None:
        name = "faces_cnn" + ("" if conv3 else "_no_conv3") + ("" if fc1 else "_no_fc1")

    def conv(x: Any, index: int, strides: int = 1) -> Any:
        return layers.Conv2D(
            filters[index - 1], kernel_size, strides=strides, padding="same", name=f"conv{index}"
        )(x)

    def up_conv(x: Any, index: int) -> Any:
        if upsampling == "transpose":
            return layers.Conv2DTranspose(
                filters[index - 1], kernel_size, strides=2, padding="same", name=f"conv{index}"
            )(x)
        x = layers.UpSampling2D(2, interpolation=upsampling, name=f"conv{index}_upsample")(x)
        return conv(x, index)

    def batch_norm(x: Any, index: int) -> Any:
        return layers.BatchNormalization(momentum=momentum, name=f"conv{index}_bn")(x)

    inputs = keras.Input(shape=shape, name="image")
    x = batch_norm(conv(inputs, 1), 1)
    x = layers.MaxPooling2D(2, name="conv1_pool")(x)
    x = batch_norm(conv(x, 2, strides=2), 2)
    x = layers.Dropout(dropout, name="conv2_dropout")(x)
    if conv3:
        x = batch_norm(up_conv(x, 3), 3)
        x = layers.Dropout(turn_dropout, name="conv3_dropout")(x)
    x = batch_norm(up_conv(x, 4), 4)
    x = layers.Dropout(dropout, name="conv4_dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    if fc1:
        x = layers.Dense(dense_units, name="fc1")(x)
    outputs = layers.Dense(n_outputs, activation=_OUTPUT_ACTIVATION[task], name="fc2")(x)
    model = keras.Model(inputs, outputs, name=name)
    if compile:
        compile_for_task(model, task, learning_rate)
    return model


def faces_cnn_no_conv3(
    input_shape: Sequence[int],
    n_outputs: int = FACES_N_LABELS,
    task: str = "multilabel",
    **sizes: Any,
) -> keras.Model:
    """:func:`faces_cnn` without its third convolutional layer (the paper's first ablation).

    ``sizes`` are :func:`faces_cnn`'s other keywords; passing ``conv3`` is a ``TypeError``.
    """
    return faces_cnn(input_shape, n_outputs, task, conv3=False, **sizes)


def faces_cnn_no_conv3_fc1(
    input_shape: Sequence[int],
    n_outputs: int = FACES_N_LABELS,
    task: str = "multilabel",
    **sizes: Any,
) -> keras.Model:
    """:func:`faces_cnn` without conv3 and fc1 (the paper's second ablation).

    ``sizes`` are :func:`faces_cnn`'s other keywords; passing ``conv3`` or ``fc1`` is a
    ``TypeError``.
    """
    return faces_cnn(input_shape, n_outputs, task, conv3=False, fc1=False, **sizes)


#: Builders by name, for experiment files. Each is called as
#: ``builder(input_shape=..., n_outputs=..., task=..., **sizes)``.
BUILDERS: dict[str, Callable[..., keras.Model]] = {
    "drawings_cnn": drawings_cnn,
    "drawings_cnn_dense3": drawings_cnn_dense3,
    "faces_cnn": faces_cnn,
    "faces_cnn_no_conv3": faces_cnn_no_conv3,
    "faces_cnn_no_conv3_fc1": faces_cnn_no_conv3_fc1,
}
