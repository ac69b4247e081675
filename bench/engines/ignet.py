"""The IgNet engine: the paper's from-scratch CNN, on its numpy or OpenCL back end.

IgNet trains on the pixels in [0, 1] (section 5.4.2), under the IgNet paper's protocol,
with fresh on-the-fly augmentations each epoch. Its layer presets are also the networks
every timing contender rebuilds (:func:`preset_layers`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from bench.engines.base import (
    Build,
    Diverged,
    Engine,
    EngineAdapter,
    Resample,
    Timing,
    Trainer,
    Validation,
    keywords_of,
    protocol_split,
)
from bench.errors import BenchError

__all__ = ["ENGINE", "preset_layers", "presets"]


class _IgNetAdapter(EngineAdapter):
    def __init__(self, estimator: Any, task: str, n_outputs: int) -> None:
        super().__init__(estimator, task)
        self.n_outputs = n_outputs

    def _inputs(self, X: np.ndarray) -> np.ndarray:
        # IgNet is channels-first; colour images arrive channels-last.
        return np.ascontiguousarray(np.moveaxis(X, -1, 1)) if X.ndim == 4 else X

    def _fit(
        self, X: np.ndarray, y: np.ndarray, validation: Validation, resample: Resample
    ) -> None:
        from ignet.errors import DivergenceError

        redraw = None if resample is None else (lambda epoch: self._inputs(resample(epoch)))
        # Class indices 0..n-1 as in the Keras adapter: a fold may lack classes that its
        # validation or test side has.
        classes = {"classes": np.arange(self.n_outputs)} if self.task == "classification" else {}
        try:
            self.estimator.fit(
                self._inputs(X),
                y,
                validation_data=(self._inputs(validation[0]), validation[1]),
                resample=redraw,
                **classes,
            )
        except DivergenceError as error:
            raise Diverged(str(error)) from error

    def details(self) -> dict[str, Any]:
        # The Fig. 4 table at the start of learning, one dict per weighted layer, and every
        # setting the estimator ran with (the paper's unless the experiment said otherwise).
        table = self.estimator.initial_diagnosis_.reset_index()
        return {
            "diagnosis": table.to_dict(orient="records"),
            "ignet_settings": self.estimator.settings_,
        }


def _estimator(network: str, task: str, options: Mapping[str, Any], **fixed: Any) -> Any:
    from ignet import IgNetClassifier, IgNetRegressor

    kind = IgNetRegressor if task == "regression" else IgNetClassifier
    # The paper's settings unless the experiment names others; explicit options from the
    # experiment override single settings.
    return kind(layers=network, **fixed, **{"settings": "paper", **options})


def _build(job: Build) -> EngineAdapter:
    fixed = {"epochs": job.epochs, "backend": job.backend, "random_state": job.seed}
    model = _estimator(job.network, job.task, job.options, **fixed)
    return _IgNetAdapter(model, job.task, job.n_outputs)


def _check_options(network: str, options: Mapping[str, Any], task: str) -> None:
    from ignet.errors import IgNetError

    try:
        _estimator(network, task, options)._check_params(task)
    except IgNetError as error:
        raise BenchError(str(error)) from None


# Set from the run's network, the profile's epochs, the back end and the seed, not options.
_SET_BY_THE_JOB = frozenset({"layers", "epochs", "backend", "random_state"})


def _keywords(network: str, task: str) -> frozenset[str]:
    from ignet import IgNetClassifier, IgNetRegressor

    return (
        keywords_of(IgNetRegressor if task == "regression" else IgNetClassifier) - _SET_BY_THE_JOB
    )


def presets() -> tuple[str, ...]:
    """IgNet's layer presets (``fig5`` ... ``fig7``)."""
    from ignet.presets import PRESETS

    return tuple(PRESETS)


def preset_layers(network: str, input_shape: Sequence[int], n_classes: int) -> list[Any]:
    """The layers of an IgNet preset for samples of ``input_shape`` (C, H, W).

    Raises
    ------
    BenchError
        For a shape that is not three positive ints, or a name that is not a preset.
    """
    from ignet import preset
    from ignet.errors import IgNetError

    shape = tuple(input_shape)
    if len(shape) != 3 or not all(isinstance(s, int) and s >= 1 for s in shape):
        raise BenchError(f"input_shape must be 3 positive ints (C, H, W), got {input_shape!r}")
    try:
        return preset(network, shape, n_classes)
    except IgNetError as error:
        raise BenchError(f"network: {error}") from None


def _devices() -> str:
    """Every OpenCL platform and device, and the one ``backend='opencl'`` picks."""
    from ignet.backends import opencl
    from ignet.errors import IgNetError

    try:
        found = opencl.list_devices()
        chosen = opencl.chosen_device() if found else None
    except IgNetError as error:
        raise BenchError(str(error)) from None
    if chosen is None:
        raise BenchError(f"no OpenCL device found; {opencl.INSTALL_HINT}")
    header = ("index", "platform", "device", "type", "compute units", "global memory", "fp64")
    rows = [
        (str(d.index), d.platform, d.name, d.type, str(d.compute_units),
         f"{d.global_memory / 2**30:.1f} GiB", "yes" if d.fp64 else "no")
        for d in found
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.append(f"backend='opencl' uses device {chosen.index}: {chosen.name} ({chosen.platform})")
    driver = opencl.unlisted_gpu_driver()
    if driver is not None:
        lines.append(
            f"no GPU is listed, but {driver} is here; OpenCL finds a driver through an ICD "
            f"file naming it: mkdir -p DIR && echo {driver} > DIR/gpu.icd && "
            "export OCL_ICD_VENDORS=DIR"
        )
    return "\n".join(lines)


# timing ----------------------------------------------------------------------------------
def _backends() -> tuple[str, ...]:
    from ignet.backends import BACKENDS

    return tuple(BACKENDS)


def _timing_backend(backend: str, threads: int | None) -> Any:
    from ignet.backends import get_backend

    if backend not in _backends():
        raise BenchError(f"backend: unknown name {backend!r}; choose from {_backends()}")
    return get_backend(backend, **({} if threads is None else {"threads": threads}))


def _contenders(backends: Sequence[str] | None, cores: int) -> list[tuple[str, int | None]]:
    backends = _backends() if backends is None else backends
    for name in backends:
        if name not in _backends():
            raise BenchError(f"backends: unknown name {name!r}; choose from {_backends()}")
    # numpy on every core, and on one thread for thread scaling; a device back end as it is.
    chosen: list[tuple[str, int | None]] = [
        (backend, cores if backend == "numpy" else None) for backend in backends
    ]
    if "numpy" in backends and cores > 1:
        chosen.append(("numpy", 1))
    return chosen


def _timing_device(backend: str) -> dict[str, str] | None:
    """The OpenCL device ``backend='opencl'`` trains on; None for numpy."""
    if backend != "opencl":
        return None
    from ignet.backends import opencl

    chosen = opencl.chosen_device()
    return {"name": chosen.name, "type": chosen.type, "platform": chosen.platform}


def _trainer(
    backend: str, threads: int | None, network: str, X: np.ndarray, y: np.ndarray, batch: int
) -> Trainer:
    from ignet import Network
    from ignet.estimators import PAPER_SETTINGS

    net = Network(
        preset_layers(network, X.shape[1:], y.shape[1]),
        loss="ce",
        optimizer=PAPER_SETTINGS["optimizer"],
        learning_rate=PAPER_SETTINGS["learning_rate"],
        batch_size=batch,
        backend=_timing_backend(backend, threads),
        random_state=0,
    )
    net.fit(X[:batch], y[:batch], epochs=1)
    return (lambda n: net.fit(X[:n], y[:n], epochs=1)), net.flops_per_sample()


def _protocol_curve(
    backend: str, threads: int | None, data: str, epochs: int, seed: int
) -> dict[str, Any]:
    """The Fig. 5 preset with the paper's settings, its weight ranges first calibrated
    into MAV(dLoss/dW) 0.01-0.1 on 256 training samples (what the paper did by hand with
    its Fig. 4 restarts; on the clock); says whether calibration reached its band."""
    from ignet import Callback, IgNetError, Network
    from ignet.estimators import PAPER_SETTINGS

    X_train, onehot, X_val, onehot_val = protocol_split(data)
    classes = onehot.shape[1]
    stamps: list[float] = []
    shape = (1, *X_train.shape[1:])
    net = Network(
        preset_layers("fig5", shape, classes),
        loss=PAPER_SETTINGS["loss"]["classification"],
        optimizer=PAPER_SETTINGS["optimizer"],
        learning_rate=PAPER_SETTINGS["learning_rate"],
        batch_size=PAPER_SETTINGS["batch_size"],
        backend=_timing_backend(backend, threads),
        random_state=seed,
        input_shape=shape,
    )

    class Stamp(Callback):
        def on_epoch_end(self, net: Any, epoch: int, logs: dict[str, float]) -> None:
            stamps.append(time.perf_counter() - started)

    started = time.perf_counter()
    try:
        net.calibrate(X_train[:256], onehot[:256], (0.01, 0.1))
        calibrated = True
    except IgNetError:  # ranges left where calibration got them; the curve tells
        calibrated = False
    history = net.fit(
        X_train, onehot, epochs, validation_data=(X_val, onehot_val), callbacks=[Stamp()]
    )
    return {
        "seconds": stamps,
        "val_accuracy": history["val_accuracy"],
        "val_loss": history["val_loss"],
        "calibrated": calibrated,
    }


ENGINE = Engine(
    name="ignet",
    title="IgNet",
    role="network",
    build=_build,
    networks=presets,
    keywords=_keywords,
    check_options=_check_options,
    protocol="paper-ignet",
    # Section 5.4.2: the pixels "normalized to be between 0 and 1". IgNet's biases do not
    # learn, so the white paper is what lets it fit an intercept.
    invert=False,
    backend=lambda requested: requested or "numpy",
    # Rotation, stretch in both directions, shift, flip and noising (Fig. 3). The paper
    # gives no ranges; these keep a drawing recognisable.
    augmentation={
        "rotation": 10.0,
        "stretch": 0.1,
        "shift": 0.05,
        "flip_horizontal": True,
        "noise_portion": 0.1,
        "noise_level": 0.3,
    },
    redraws=True,
    devices=_devices,
    timing=Timing(
        networks=presets,
        contenders=_contenders,
        trainer=_trainer,
        device=_timing_device,
        protocol_curve=_protocol_curve,
        protocol_network="fig5",
        protocol_label="fig5 (paper settings)",
        reference=True,
        reference_backend="numpy",
    ),
    # Section 5.2: ten passes per fold with tolerance 7, five folds.
    paper={"passes": 10, "tolerance": 7, "folds": 5},
)
