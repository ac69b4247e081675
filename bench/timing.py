"""Timing harness: throughput, GFLOP/s, fraction of peak, time-to-accuracy, thread scaling.

Every number here is a training measurement on numpy arrays, taken in one process so that
engines and back ends meet the same machine state:

- :func:`peak_gflops` -- this machine's float32 matrix-multiply peak through numpy's BLAS,
  the yardstick for "fraction of peak".
- :func:`throughput` -- training samples/s of one engine / back end / network on random
  data of the drawings' size, and the GFLOP/s those samples represent, from FLOPs counted
  layer by layer (:meth:`ignet.Network.flops_per_sample` for IgNet,
  :func:`keras_flops_per_sample` for Keras: the same rule, so the two are comparable).
- :func:`time_to_accuracy` -- wall seconds until a target validation accuracy on sklearn's
  digits (real 8x8 images).
- :func:`thread_scaling` -- IgNet numpy with 1 thread against all cores.

:func:`run_timing` runs them all, appends one record per measurement to
``OUT/results/timing.jsonl`` and returns the rows that ``ignet-bench timing`` prints.
An engine that cannot run here (Keras not installed, no OpenCL device) gives a record
with ``status="skipped"`` and the reason instead of an error.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.errors import BenchError
from ignet.backends import BACKENDS

__all__ = [
    "ENGINES",
    "FULL",
    "QUICK",
    "TimingReport",
    "TimingSettings",
    "format_report",
    "keras_equivalent",
    "keras_flops_per_sample",
    "peak_gflops",
    "run_timing",
    "thread_scaling",
    "throughput",
    "time_to_accuracy",
]

ENGINES = ("ignet", "keras")
#: The drawings' size (channels, height, width) and the paper's largest class count.
DRAWINGS_SHAPE = (1, 58, 36)
DRAWINGS_CLASSES = 186
# The digits learn within a few epochs at this rate with both engines; the engines'
# default 0.01 needs several times more epochs on identity-activation IgNet layers.
DIGITS_LEARNING_RATE = 0.05


@dataclass(frozen=True)
class TimingSettings:
    """Sizes of one timing run.

    Parameters
    ----------
    networks : IgNet presets timed for throughput; Keras times the same layers.
    peak_size : side of the square matrices of the peak probe.
    peak_repeats : matrix products of the peak probe (the best one counts).
    batches : training batches per throughput round.
    rounds : throughput rounds (best and median are reported).
    batch : samples per batch.
    target_accuracy : validation accuracy that time-to-accuracy waits for.
    max_epochs : epoch cap of time-to-accuracy.
    """

    networks: tuple[str, ...] = ("fig5",)
    peak_size: int = 1024
    peak_repeats: int = 5
    batches: int = 20
    rounds: int = 3
    batch: int = 32
    target_accuracy: float = 0.9
    max_epochs: int = 20


#: ``ignet-bench timing --quick``: well under a minute on two cores.
QUICK = TimingSettings()
#: ``ignet-bench timing``: more rounds, and the deeper presets too.
FULL = TimingSettings(
    networks=("fig5", "ignet4", "fig7"), peak_size=2048, batches=30, rounds=5, max_epochs=50
)


# peak -------------------------------------------------------------------------------------
def peak_gflops(size: int = 1024, repeats: int = 5) -> float:
    """This machine's measured float32 matrix-multiply rate through numpy, in GFLOP/s.

    Parameters
    ----------
    size : side of the two square matrices multiplied.
    repeats : timed products; the fastest counts (the others absorb noise from
        other jobs on a shared machine).

    Returns
    -------
    float
        ``2 * size**3 / seconds / 1e9`` of the fastest product, with numpy's default
        BLAS threads (all cores unless limited by the environment).
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise BenchError(f"size must be a positive int, got {size!r}")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise BenchError(f"repeats must be a positive int, got {repeats!r}")
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    out = np.empty((size, size), dtype=np.float32)
    np.matmul(a, b, out=out)  # the first call pays for thread start-up and page faults
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    return 2.0 * size**3 / max(best, 1e-12) / 1e9


# FLOP counting for Keras -----------------------------------------------------------------
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
    learning_rate : of plain SGD, as IgNet's default optimizer.
    """
    import keras

    from ignet import Conv, Dense, Softmax

    channels, height, width = _chw(input_shape)
    stack: list[Any] = [keras.Input((height, width, channels))]
    for layer in _preset(network, (channels, height, width), n_classes):
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


def _preset(network: str, input_shape: tuple[int, int, int], n_classes: int) -> list[Any]:
    from ignet import preset
    from ignet.errors import IgNetError

    try:
        return preset(network, input_shape, n_classes)
    except IgNetError as error:
        raise BenchError(f"network: {error}") from None


def _chw(input_shape: Sequence[int]) -> tuple[int, int, int]:
    shape = tuple(input_shape)
    if len(shape) != 3 or not all(isinstance(s, int) and s >= 1 for s in shape):
        raise BenchError(f"input_shape must be 3 positive ints (C, H, W), got {input_shape!r}")
    return shape[0], shape[1], shape[2]


# throughput ------------------------------------------------------------------------------
def _cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


def _skipped(reason: str, **fields: Any) -> dict[str, Any]:
    return {**fields, "status": "skipped", "reason": reason}


def _keras_missing() -> str | None:
    try:
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
    except ImportError as error:
        return f"Keras is not installed ({error}); pip install 'ignet-bench[keras]'"
    return None


def _opencl_backend() -> tuple[Any, str | None]:
    from ignet.backends import get_backend
    from ignet.errors import IgNetError

    try:
        return get_backend("opencl"), None
    except IgNetError as error:
        return None, str(error)


def _random_data(
    n: int, input_shape: tuple[int, int, int], n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.random((n, *input_shape), dtype=np.float32)
    y = np.eye(n_classes, dtype=np.float32)[rng.integers(0, n_classes, n)]
    return X, y


def _check_count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BenchError(f"{name} must be a positive int, got {value!r}")
    return value


def throughput(
    engine: str,
    network: str = "fig5",
    backend: str = "numpy",
    input_shape: Sequence[int] = DRAWINGS_SHAPE,
    n_classes: int = DRAWINGS_CLASSES,
    batch: int = 32,
    batches: int = 20,
    rounds: int = 3,
    threads: int | None = None,
    peak: float | None = None,
) -> dict[str, Any]:
    """Training throughput of one engine / back end / network on random data.

    Each round is one epoch of ``batches`` batches through the engine's own ``fit``, after a
    one-batch warm-up that builds the model (and compiles kernels or graphs).

    Parameters
    ----------
    engine : ``"ignet"`` or ``"keras"``.
    network : an IgNet preset; Keras builds the same layers (:func:`keras_equivalent`).
    backend : IgNet's ``"numpy"`` or ``"opencl"``; Keras always runs on TensorFlow
        (``"tensorflow"`` is accepted for it).
    input_shape, n_classes : the data, by default the drawings' size and 186 classes.
    batch, batches, rounds : batch size, batches per round, timed rounds.
    threads : IgNet numpy threads (default: every core this process may use). Keras
        uses TensorFlow's own thread pools, which cannot be resized once TensorFlow runs.
    peak : GFLOP/s of :func:`peak_gflops`, for ``fraction_of_peak``.

    Returns
    -------
    dict
        ``status="ok"`` with ``samples_per_s`` (fastest round), ``median_samples_per_s``,
        ``flops_per_sample``, ``gflops`` (from the fastest round), ``fraction_of_peak``
        (None without ``peak``), ``seconds`` (every round), ``threads``; or
        ``status="skipped"`` with ``reason`` when the engine or back end is unavailable.
    """
    if engine not in ENGINES:
        raise BenchError(f"engine: unknown name {engine!r}; choose from {ENGINES}")
    shape = _chw(input_shape)
    _check_count("n_classes", n_classes)
    _check_count("batch", batch)
    _check_count("batches", batches)
    _check_count("rounds", rounds)
    if threads is not None:
        _check_count("threads", threads)
    fields: dict[str, Any] = {"engine": engine, "backend": backend, "network": network}
    if engine == "keras":
        if backend not in ("tensorflow", "numpy"):
            raise BenchError(f"backend: Keras runs on TensorFlow only, got {backend!r}")
        fields["backend"] = "tensorflow"
        missing = _keras_missing()
        if missing:
            return _skipped(missing, **fields)
    elif backend not in BACKENDS:
        raise BenchError(f"backend: unknown name {backend!r}; choose from {BACKENDS}")

    n = batch * batches
    X, y = _random_data(n, shape, n_classes)
    if engine == "ignet":
        used_threads: int | None = threads or _cores()
        be: Any = backend
        if backend == "opencl":
            be, reason = _opencl_backend()
            if reason:
                return _skipped(reason, **fields)
            used_threads = None
        from ignet import Network

        net = Network(
            _preset(network, shape, n_classes),
            loss="ce",
            batch_size=batch,
            backend=be,
            threads=used_threads or 1,
            random_state=0,
        )
        net.fit(X[:batch], y[:batch], epochs=1)
        flops = net.flops_per_sample()

        def train() -> None:
            net.fit(X, y, epochs=1)

    else:
        import keras

        keras.utils.set_random_seed(0)
        model = keras_equivalent(network, shape, n_classes)
        Xk = np.ascontiguousarray(X.transpose(0, 2, 3, 1))
        model.fit(Xk[:batch], y[:batch], batch_size=batch, epochs=1, verbose=0)
        flops = keras_flops_per_sample(model)
        used_threads = None

        def train() -> None:
            model.fit(Xk, y, batch_size=batch, epochs=1, verbose=0)

    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        train()
        seconds.append(time.perf_counter() - start)
    best = n / max(min(seconds), 1e-12)
    gflops = best * flops / 1e9
    return {
        **fields,
        "status": "ok",
        "samples_per_s": best,
        "median_samples_per_s": n / max(statistics.median(seconds), 1e-12),
        "flops_per_sample": flops,
        "gflops": gflops,
        "fraction_of_peak": gflops / peak if peak else None,
        "seconds": seconds,
        "samples_per_round": n,
        "threads": used_threads,
    }


# time to accuracy ------------------------------------------------------------------------
def _digits(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = (digits.images / 16.0).astype(np.float32)[:, None]  # (N, 1, 8, 8) in [0, 1]
    y = np.eye(10, dtype=np.float32)[digits.target]
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=digits.target
    )
    return X_train, y_train, X_val, y_val


def time_to_accuracy(
    engine: str,
    backend: str = "numpy",
    network: str = "fig5",
    target: float = 0.9,
    max_epochs: int = 20,
    batch: int = 32,
    threads: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Wall seconds of training until the validation accuracy on sklearn's digits reaches
    ``target``.

    The 1,797 8x8 digits are split 75 / 25 (stratified, by ``seed``); both engines train
    the same layers (IgNet's preset, Keras's :func:`keras_equivalent`) by plain SGD at
    learning rate 0.05 and validate after every epoch. The clock covers the training and
    the per-epoch validation (both are part of getting there), not building the model.

    Returns
    -------
    dict
        ``seconds`` until the first epoch whose ``val_accuracy >= target`` (None if it
        never came within ``max_epochs``), ``epochs`` of it, ``best_val_accuracy`` and
        ``status``; or ``status="skipped"`` with ``reason``.
    """
    if engine not in ENGINES:
        raise BenchError(f"engine: unknown name {engine!r}; choose from {ENGINES}")
    if not 0.0 < target <= 1.0:
        raise BenchError(f"target_accuracy must be in (0, 1], got {target!r}")
    _check_count("max_epochs", max_epochs)
    fields: dict[str, Any] = {
        "engine": engine,
        "backend": "tensorflow" if engine == "keras" else backend,
        "network": network,
        "target_accuracy": target,
    }
    X_train, y_train, X_val, y_val = _digits(seed)
    shape = (1, 8, 8)
    reached: dict[str, Any] = {"seconds": None, "epochs": None}
    accuracies: list[float] = []

    def epoch_end(epoch: int, val_accuracy: float, started: float) -> bool:
        accuracies.append(val_accuracy)
        if val_accuracy >= target:
            reached["seconds"] = time.perf_counter() - started
            reached["epochs"] = epoch + 1
            return True
        return False

    if engine == "ignet":
        from ignet import Callback, Network

        be: Any = backend
        if backend == "opencl":
            be, reason = _opencl_backend()
            if reason:
                return _skipped(reason, **fields)
        elif backend != "numpy":
            raise BenchError(f"backend: unknown name {backend!r}; choose from {BACKENDS}")
        net = Network(
            _preset(network, shape, 10),
            loss="ce",
            learning_rate=DIGITS_LEARNING_RATE,
            batch_size=batch,
            backend=be,
            threads=threads or _cores(),
            random_state=seed,
            input_shape=shape,
        )

        class Stop(Callback):
            def on_epoch_end(self, net: Any, epoch: int, logs: dict[str, float]) -> None:
                if epoch_end(epoch, logs["val_accuracy"], started):
                    net.stop_training = True

        started = time.perf_counter()
        net.fit(X_train, y_train, epochs=max_epochs, validation_data=(X_val, y_val),
                callbacks=[Stop()])  # fmt: skip
    else:
        missing = _keras_missing()
        if missing:
            return _skipped(missing, **fields)
        import keras

        keras.utils.set_random_seed(seed)
        model = keras_equivalent(network, shape, 10, learning_rate=DIGITS_LEARNING_RATE)
        Xk_train = np.ascontiguousarray(X_train.transpose(0, 2, 3, 1))
        Xk_val = np.ascontiguousarray(X_val.transpose(0, 2, 3, 1))

        class KerasStop(keras.callbacks.Callback):
            def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
                if epoch_end(epoch, float((logs or {})["val_accuracy"]), started):
                    self.model.stop_training = True

        # Keras traces its training and evaluation graphs on first use; trace them before
        # the clock runs (IgNet's model is built before it too), then undo the step taken.
        initial = model.get_weights()
        model.fit(Xk_train[:batch], y_train[:batch], batch_size=batch, epochs=1, verbose=0,
                  validation_data=(Xk_val[:batch], y_val[:batch]))  # fmt: skip
        model.set_weights(initial)
        started = time.perf_counter()
        model.fit(Xk_train, y_train, batch_size=batch, epochs=max_epochs, verbose=0,
                  validation_data=(Xk_val, y_val), callbacks=[KerasStop()])  # fmt: skip
    return {
        **fields,
        "status": "ok",
        **reached,
        "best_val_accuracy": max(accuracies) if accuracies else None,
        "max_epochs": max_epochs,
    }


# thread scaling --------------------------------------------------------------------------
def thread_scaling(
    network: str = "fig5",
    threads: int | None = None,
    input_shape: Sequence[int] = DRAWINGS_SHAPE,
    n_classes: int = DRAWINGS_CLASSES,
    batch: int = 32,
    batches: int = 20,
    rounds: int = 3,
) -> dict[str, Any]:
    """IgNet numpy throughput with 1 thread and with ``threads`` (default: every core).

    Returns
    -------
    dict
        ``samples_per_s_1``, ``samples_per_s_n`` (fastest rounds), ``threads`` (N) and
        ``speedup`` = N-thread / 1-thread samples/s.
    """
    n_threads = threads or _cores()
    sizes: dict[str, Any] = {
        "network": network,
        "input_shape": input_shape,
        "n_classes": n_classes,
        "batch": batch,
        "batches": batches,
        "rounds": rounds,
    }
    one = throughput("ignet", backend="numpy", threads=1, **sizes)
    many = throughput("ignet", backend="numpy", threads=n_threads, **sizes)
    return {
        "engine": "ignet",
        "backend": "numpy",
        "network": network,
        "status": "ok",
        "threads": n_threads,
        "samples_per_s_1": one["samples_per_s"],
        "samples_per_s_n": many["samples_per_s"],
        "speedup": many["samples_per_s"] / one["samples_per_s"],
    }


# one run ---------------------------------------------------------------------------------
@dataclass
class TimingReport:
    """What :func:`run_timing` measured: the peak and one dict per measurement."""

    peak_gflops: float
    throughput: list[dict[str, Any]]
    time_to_accuracy: list[dict[str, Any]]
    thread_scaling: list[dict[str, Any]]
    results: Path


def run_timing(
    out: str | Path,
    *,
    quick: bool = False,
    engines: Sequence[str] = ENGINES,
    backends: Sequence[str] = BACKENDS,
    seed: int = 0,
    settings: TimingSettings | None = None,
    progress: bool = True,
) -> TimingReport:
    """Measure everything once and append one record per measurement to
    ``OUT/results/timing.jsonl``.

    Parameters
    ----------
    out : output folder (results go to ``out/results``).
    quick : :data:`QUICK` sizes instead of :data:`FULL`.
    engines : of :data:`ENGINES`.
    backends : IgNet back ends of :data:`BACKENDS` (Keras always runs on TensorFlow).
    seed : seed of the time-to-accuracy split and models; recorded.
    settings : explicit sizes, overriding ``quick``.
    progress : show a progress bar over the steps.
    """
    from tqdm.auto import tqdm

    from bench.results import ResultsStore, job_id, machine_info, versions

    for name in engines:
        if name not in ENGINES:
            raise BenchError(f"engines: unknown name {name!r}; choose from {ENGINES}")
    for name in backends:
        if name not in BACKENDS:
            raise BenchError(f"backends: unknown name {name!r}; choose from {BACKENDS}")
    chosen = settings or (QUICK if quick else FULL)
    profile = "quick" if quick else "full"
    if settings is not None and settings != (QUICK if quick else FULL):
        profile = "custom"
    sizes: dict[str, Any] = {
        "batch": chosen.batch,
        "batches": chosen.batches,
        "rounds": chosen.rounds,
    }
    pairs = [("ignet", b) for b in backends if "ignet" in engines]
    if "keras" in engines:
        pairs.append(("keras", "tensorflow"))

    report = TimingReport(0.0, [], [], [], Path(out) / "results")
    steps: list[tuple[str, Callable[[], None]]] = []

    def peak_step() -> None:
        report.peak_gflops = peak_gflops(chosen.peak_size, chosen.peak_repeats)

    steps.append(("peak", peak_step))
    for network in chosen.networks:
        for engine, backend in pairs:

            def step(engine: str = engine, backend: str = backend, network: str = network) -> None:
                report.throughput.append(
                    throughput(engine, network, backend, peak=report.peak_gflops, **sizes)
                )

            steps.append((f"throughput {engine}/{backend}/{network}", step))
    for engine, backend in pairs:

        def tta_step(engine: str = engine, backend: str = backend) -> None:
            report.time_to_accuracy.append(
                time_to_accuracy(engine, backend, target=chosen.target_accuracy,
                                 max_epochs=chosen.max_epochs, batch=chosen.batch, seed=seed)
            )  # fmt: skip

        steps.append((f"time to accuracy {engine}/{backend}", tta_step))
    if "ignet" in engines and "numpy" in backends:

        def scaling_step() -> None:
            report.thread_scaling.append(thread_scaling(chosen.networks[0], **sizes))

        steps.append(("thread scaling", scaling_step))

    with tqdm(total=len(steps), desc=f"timing ({profile})", disable=not progress) as bar:
        for label, run in steps:
            bar.set_postfix_str(label)
            run()
            bar.update()

    store = ResultsStore(report.results)
    common = {
        "experiment": "timing",
        "profile": profile,
        "protocol": "-",
        "target": "-",
        "fold": 0,
        "seed": seed,
        "peak_gflops": report.peak_gflops,
        "settings": {k: getattr(chosen, k) for k in chosen.__dataclass_fields__},
        "versions": versions(),
        "machine": machine_info(),
    }
    measured = [
        ("throughput", "synthetic", report.throughput),
        ("time_to_accuracy", "digits", report.time_to_accuracy),
        ("thread_scaling", "synthetic", report.thread_scaling),
    ]
    for measure, dataset, rows in measured:
        for row in rows:
            record = {**common, "dataset": dataset, "measure": measure, **row}
            record.setdefault("variant", record.get("network"))
            # The job fields alone do not tell the measures apart.
            record["job_id"] = f"{job_id(record)}/{measure}"
            store.append(record, name="timing")
    return report


def _number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )


def format_report(report: TimingReport) -> str:
    """The tables ``ignet-bench timing`` prints: throughput, time-to-accuracy, threads."""
    keras_rate = {
        r["network"]: r["samples_per_s"]
        for r in report.throughput
        if r["engine"] == "keras" and r["status"] == "ok"
    }
    rows = []
    for r in report.throughput:
        if r["status"] != "ok":
            rows.append([r["engine"], r["backend"], r["network"], "skipped: " + r["reason"]])
            continue
        theirs = keras_rate.get(r["network"]) if r["engine"] == "ignet" else None
        fraction = r["fraction_of_peak"]
        rows.append(
            [
                r["engine"],
                r["backend"],
                r["network"],
                _number(r["samples_per_s"]),
                _number(r["median_samples_per_s"]),
                _number(r["gflops"], 1),
                "-" if fraction is None else f"{100 * fraction:.1f}%",
                "-" if theirs is None else f"{r['samples_per_s'] / theirs:.2f}x",
            ]
        )
    header = ["engine", "backend", "network", "samples/s", "median", "GFLOP/s", "% peak",
              "vs keras"]  # fmt: skip
    # A skipped row has fewer cells; pad it so the columns line up.
    rows = [row + [""] * (len(header) - len(row)) for row in rows]
    parts = [
        f"peak (numpy float32 matmul): {report.peak_gflops:.1f} GFLOP/s",
        _table(header, rows),
    ]
    if report.time_to_accuracy:
        tta_rows = []
        for r in report.time_to_accuracy:
            if r["status"] != "ok":
                tta_rows.append([r["engine"], r["backend"], "skipped: " + r["reason"], "", ""])
                continue
            reached = r["seconds"] is not None
            tta_rows.append(
                [
                    r["engine"],
                    r["backend"],
                    _number(r["seconds"], 2) if reached else f"not in {r['max_epochs']} epochs",
                    _number(r["epochs"]),
                    _number(r["best_val_accuracy"], 3),
                ]
            )
        target = report.time_to_accuracy[0]["target_accuracy"]
        parts.append(f"\ntime to {target:.0%} validation accuracy on digits (fig5):")
        parts.append(_table(["engine", "backend", "seconds", "epochs", "best val acc"], tta_rows))
    for r in report.thread_scaling:
        parts.append(
            f"\nthreads (ignet numpy {r['network']}): 1 thread {_number(r['samples_per_s_1'])} "
            f"samples/s, {r['threads']} threads {_number(r['samples_per_s_n'])} samples/s, "
            f"speed-up {r['speedup']:.2f}x"
        )
    parts.append(f"\nrecords appended to {report.results / 'timing.jsonl'}")
    return "\n".join(parts)
