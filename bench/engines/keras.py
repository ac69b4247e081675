"""The Keras engine: the IgNet paper's Fig. 2 CNN and the face paper's attribute CNN.

It trains on ink intensity under the Keras paper's protocol, whose set is enlarged once by
Keras's ``ImageDataGenerator`` (:func:`baseline_keras.enlarge`, the ``image_data_generator``
augmentation tool this engine brings). For timing it rebuilds IgNet's presets layer for
layer (:func:`keras_equivalent`) on each installed Keras back end, and counts their FLOPs
as IgNet does (:func:`keras_flops_per_sample`).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench.engines.base import (
    Build,
    Engine,
    EngineAdapter,
    Resample,
    Timing,
    Trainer,
    Validation,
    not_installed,
    protocol_split,
)
from bench.engines.ignet import preset_layers, presets
from bench.errors import BenchError

__all__ = ["BACKENDS", "ENGINE", "NETWORKS", "keras_equivalent", "keras_flops_per_sample"]

#: Keras 3 back ends timed where installed.
BACKENDS = ("tensorflow", "jax", "torch")
# The paper's Fig. 2 CNN under its suite name; the face builders under their own.
_ALIASES = {"fig2": "drawings_cnn", "fig2_dense3": "drawings_cnn_dense3"}
#: Every network a run may name: the aliases and the names of ``baseline_keras.BUILDERS``,
#: written out because importing those loads TensorFlow, which checking a run does not
#: need (a test keeps the two lists equal).
NETWORKS = (
    *_ALIASES,
    "drawings_cnn",
    "drawings_cnn_dense3",
    "faces_cnn",
    "faces_cnn_no_conv3",
    "faces_cnn_no_conv3_fc1",
)


def _builders() -> dict[str, str]:
    from baseline_keras import BUILDERS

    return {**_ALIASES, **{name: name for name in BUILDERS}}


def _build(job: Build) -> EngineAdapter:
    from baseline_keras import BUILDERS, KerasCNNClassifier, KerasCNNRegressor

    builders = _builders()
    if job.network not in builders:
        raise BenchError(f"keras network must be one of {', '.join(builders)}, not {job.network!r}")
    common: dict[str, Any] = {
        "build": BUILDERS[builders[job.network]],
        "epochs": job.epochs,
        "seed": job.seed,
    }
    if job.task == "regression":
        model = KerasCNNRegressor(**common, **job.options)
    else:
        # Multi-label targets are 0/1 rows, which the classifier tells from class indices.
        n_classes = job.n_outputs if job.task == "classification" else None
        model = KerasCNNClassifier(**common, n_classes=n_classes, **job.options)
    return _KerasAdapter(model, job.task)


class _KerasAdapter(EngineAdapter):
    def _fit(
        self, X: np.ndarray, y: np.ndarray, validation: Validation, resample: Resample
    ) -> None:
        from baseline_keras.checks import KerasBaselineError

        # The options' values are checked as the model is built, not before the run
        # (loading Keras takes seconds): a bad one is still the user's error, in one line.
        try:
            super()._fit(X, y, validation, resample)
        except KerasBaselineError as error:
            raise BenchError(f"keras options: {error}") from None


def _enlarge(images: np.ndarray, seeds: np.ndarray, augmentation: Any) -> np.ndarray:
    """Keras's ImageDataGenerator, one ``random_transform`` per image and seed."""
    from baseline_keras import enlarge

    # ImageDataGenerator seeds numpy's legacy generator, which takes 32 bits; the low 32
    # bits of the plans' 62-bit seeds are as uniform as the seeds themselves.
    low_bits = seeds.astype(np.uint64) % np.uint64(2**32)
    return enlarge(
        images,
        low_bits.astype(np.int64),
        rotation=float(augmentation.rotation),
        shift=float(augmentation.shift),
        zoom=float(augmentation.stretch),
        horizontal_flip=augmentation.flip_horizontal,
        vertical_flip=augmentation.flip_vertical,
    )


# timing ----------------------------------------------------------------------------------
def keras_flops_per_sample(model: Any, training: bool = True) -> int:
    """Floating-point operations per sample of a Keras model, counted as IgNet counts them.

    Conv2D and Dense layers count 2 FLOPs per multiply-accumulate; other layers (pooling,
    activations, dropout, softmax) count nothing, as in :meth:`ignet.Network.flops_per_sample`.
    Training adds the weight gradients (as many MACs as the forward pass) and the input
    gradients of every weighted layer but the first (the input needs no gradient).

    Parameters
    ----------
    model : a built ``keras.Model`` whose layers have known input and output shapes.
    training : count the backward pass too.
    """
    import keras

    macs: list[int] = []
    for layer in _leaf_layers(model):
        if isinstance(layer, keras.layers.Conv2D):
            # kernel is (kh, kw, in_channels / groups, filters): one MAC per entry per output
            # position.
            _, height, width, _ = layer.output.shape
            macs.append(int(height) * int(width) * math.prod(layer.kernel.shape))
        elif isinstance(layer, keras.layers.Dense):
            # Dense applies to the last axis; leading axes repeat it.
            repeats = math.prod(int(d) for d in layer.output.shape[1:-1])
            macs.append(repeats * math.prod(layer.kernel.shape))
    if not training:
        return 2 * sum(macs)
    return 2 * (sum(macs) * 2 + sum(macs[1:]))


def _leaf_layers(model: Any) -> list[Any]:
    found: list[Any] = []
    for layer in model.layers:
        inner = getattr(layer, "layers", None)
        found.extend(_leaf_layers(layer) if inner else [layer])
    return found


def keras_equivalent(
    network: str,
    input_shape: Sequence[int],
    n_classes: int,
    learning_rate: float = 0.01,
) -> Any:
    """A compiled Keras model with the layers of an IgNet preset (channels-last).

    Convolutions keep their filters, kernel, stride and zero padding; the dense layer and
    the softmax follow. Freezeconnect (``fig7``) has no Keras counterpart and is left out:
    it changes which weights learn, not the work per sample.

    Parameters
    ----------
    network : an IgNet preset name (:data:`ignet.presets.PRESETS`).
    input_shape : (C, H, W) of one sample, as IgNet takes it.
    n_classes : outputs of the softmax.
    learning_rate : of plain SGD, as IgNet's paper settings.
    """
    import keras

    from ignet import Conv, Dense, Softmax

    layers = preset_layers(network, input_shape, n_classes)
    channels, height, width = input_shape
    stack: list[Any] = [keras.Input((height, width, channels))]
    for layer in layers:
        if isinstance(layer, Conv):
            if any(layer.padding):
                stack.append(keras.layers.ZeroPadding2D(layer.padding))
            stack.append(keras.layers.Conv2D(layer.filters, layer.kernel, strides=layer.stride))
        elif isinstance(layer, Dense):
            stack += [keras.layers.Flatten(), keras.layers.Dense(n_classes)]
        elif isinstance(layer, Softmax):
            stack.append(keras.layers.Softmax())
    model = keras.Sequential(stack, name=f"{network}_keras")
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _trainer(
    backend: str, threads: int | None, network: str, X: np.ndarray, y: np.ndarray, batch: int
) -> Trainer:
    import keras

    keras.utils.set_random_seed(0)
    channels, height, width = X.shape[1:]
    if network in _ALIASES:
        from baseline_keras import BUILDERS

        model = BUILDERS[_ALIASES[network]]((height, width, channels), y.shape[1], "classification")
    else:
        model = keras_equivalent(network, X.shape[1:], y.shape[1])
    Xk = np.ascontiguousarray(X.transpose(0, 2, 3, 1))
    model.fit(Xk[:batch], y[:batch], batch_size=batch, epochs=1, verbose=0)

    def fit(n: int) -> None:
        model.fit(Xk[:n], y[:n], batch_size=batch, epochs=1, verbose=0)

    return fit, keras_flops_per_sample(model)


def _protocol_curve(
    backend: str, threads: int | None, data: str, epochs: int, seed: int
) -> dict[str, Any]:
    """The Fig. 2 CNN (:func:`baseline_keras.drawings_cnn`, Adam as the suite trains it)."""
    import keras

    from baseline_keras import drawings_cnn

    X_train, onehot, X_val, onehot_val = protocol_split(data)
    classes = onehot.shape[1]
    stamps: list[float] = []

    class KerasStamp(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            stamps.append(time.perf_counter() - started)

    keras.utils.set_random_seed(seed)
    model = drawings_cnn((*X_train.shape[1:], 1), classes, "classification")
    images, images_val = X_train[..., None], X_val[..., None]
    # Keras traces its graphs on first use: trace them before the clock runs (IgNet's
    # model is built before it too), then put the initial weights back.
    initial = model.get_weights()
    model.fit(
        images[:32],
        onehot[:32],
        batch_size=32,
        epochs=1,
        verbose=0,
        validation_data=(images_val[:32], onehot_val[:32]),
    )
    model.set_weights(initial)
    started = time.perf_counter()
    history = model.fit(
        images,
        onehot,
        batch_size=32,
        epochs=epochs,
        verbose=0,
        validation_data=(images_val, onehot_val),
        callbacks=[KerasStamp()],
    )
    return {
        "seconds": stamps,
        "val_accuracy": [float(v) for v in history.history["val_accuracy"]],
        "val_loss": [float(v) for v in history.history["val_loss"]],
    }


ENGINE = Engine(
    name="keras",
    title="Keras",
    role="network",
    build=_build,
    networks=lambda: NETWORKS,
    protocol="paper-keras",
    # The Keras section is silent on the input; docs/protocols.md has the measured choice.
    invert=True,
    backend=lambda requested: os.environ.get("KERAS_BACKEND", "tensorflow"),
    # The Keras paper enlarged its set "by stochastic rotations-shifts-flips of images
    # horizontally and vertically" with ImageDataGenerator; the ranges are not given, so
    # these are the common ImageDataGenerator settings of the time, and no zoom, which it
    # does not name.
    augmentation={
        "rotation": 10.0,
        "shift": 0.1,
        "flip_horizontal": True,
        "flip_vertical": True,
        "tool": "image_data_generator",
    },
    augmenters={"image_data_generator": _enlarge},
    timing=Timing(
        networks=lambda: (*presets(), "fig2"),
        contenders=lambda backends, cores: [(backend, None) for backend in BACKENDS],
        trainer=_trainer,
        missing=lambda backend: not_installed(["keras", backend]),
        # Each worker runs one Keras back end, chosen before keras is imported, on the
        # CPU: the timing compares engines on this machine's cores, and a GPU build of
        # TensorFlow, JAX or PyTorch would otherwise take a GPU without saying so.
        environment=lambda backend: {
            "KERAS_BACKEND": backend,
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "CUDA_VISIBLE_DEVICES": "",
            "JAX_PLATFORMS": "cpu",
        },
        protocol_curve=_protocol_curve,
        protocol_network="fig2",
        protocol_label="the Fig. 2 CNN",
        paper_backend="tensorflow",
        packages=("jax",),
    ),
    packages=("tensorflow-cpu", "keras"),
    noisy=("tensorflow",),
    # Section 4.4: ten passes per fold with tolerance 7, ten folds.
    paper={"passes": 10, "tolerance": 7, "folds": 10},
)
