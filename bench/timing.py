"""Timing harness: throughput side by side, fraction of peak, thread scaling, and the
paper's protocol time ratio.

Every engine runs in its own worker process (``python -m bench.timing --worker``), so that
one library's threads never slow another's, and the harness interleaves their rounds:
round r of every contender runs before round r + 1 of any, in a rotating order, so that a
change of load on a shared machine hits all of them alike. The contenders:

- ``peak``: this machine's float32 GEMM rate through numpy's BLAS on all cores
  (:func:`peak_gflops`), the yardstick of "% of peak";
- ``ignet/numpy`` on every core, and on one thread (thread scaling), ``ignet/opencl``;
- ``torch``: the same layers in PyTorch (CPU build), where it is installed;
- ``keras/<back end>``: the same layers in Keras 3 on each installed back end
  (TensorFlow, JAX, PyTorch), and the paper's Fig. 2 CNN.

A round trains ``batches`` batches of random data of the drawings' size through the
engine's own training loop. Each contender gets the median samples/s of its rounds with
the min and max beside it; IgNet's ratio against each other contender is the median of
the per-round ratios (rounds are interleaved, so round r of both met the same load).
FLOPs are counted layer by layer with one rule for every engine
(:meth:`ignet.Network.flops_per_sample`, :func:`keras_flops_per_sample`).

The full run also times the paper's protocol (:func:`protocol_curves`): IgNet's Fig. 5
net and the Fig. 2 Keras CNN on the same drawings, each to the paper's stopping rule and
each to a validation accuracy both reach.

:func:`run_timing` appends one record per measurement to ``OUT/results/timing.jsonl`` and
returns what ``ignet-bench timing`` prints (:func:`format_report`). A contender that cannot
run here (a library not installed, no OpenCL device) gives a ``skipped`` record with the
reason instead of an error.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Any

import numpy as np

from bench.errors import BenchError
from ignet.backends import BACKENDS

__all__ = [
    "ENGINES",
    "FULL",
    "KERAS_BACKENDS",
    "QUICK",
    "Contender",
    "TimingReport",
    "TimingSettings",
    "format_report",
    "keras_equivalent",
    "keras_flops_per_sample",
    "peak_gflops",
    "protocol_curves",
    "protocol_ratios",
    "run_timing",
    "stopping_rule",
]

ENGINES = ("ignet", "torch", "keras")
KERAS_BACKENDS = ("tensorflow", "jax", "torch")
#: The drawings' size (channels, height, width) and the paper's largest class count.
DRAWINGS_SHAPE = (1, 58, 36)
DRAWINGS_CLASSES = 186
#: The paper's stopping rule: at most 10 passes, tolerance 7 epochs without improvement.
PAPER_EPOCHS, PAPER_TOLERANCE = 10, 7
# The Fig. 2 CNN is a Keras network only; the presets run in every engine.
_KERAS_ONLY = ("fig2",)
_ENGINE_NAMES = {"keras": "Keras", "torch": "PyTorch"}
_INSTALL = {
    "torch": "pip install 'ignet-bench[timing]' (PyTorch, CPU build)",
    "jax": "pip install 'ignet-bench[timing]' (JAX)",
    "tensorflow": "pip install 'ignet-bench[keras]'",
}


@dataclass(frozen=True)
class TimingSettings:
    """Sizes of one timing run.

    Parameters
    ----------
    networks : timed networks: IgNet presets (every engine trains the same layers) and
        ``fig2``, the paper's Keras CNN (Keras only).
    batches : (network, most batches per round) pairs; a network not named takes
        ``default_batches``.
    default_batches : most batches per round of the networks ``batches`` leaves out.
    rounds : interleaved rounds per contender and network.
    batch : samples per batch.
    peak_size, peak_repeats : square matrix side and products per round of the peak probe.
    round_seconds : the duration a round aims at: each contender trains as many batches
        (at least 5, at most the network's ``batches``) as took it that long in a probe, so
        a slow engine does not hold a round for minutes.
    pause : seconds between two rounds, for the last contender's threads to go idle.
    protocol_epochs : epoch cap of the protocol timing (0 leaves it out).
    protocol_target : the drawings' class target of the protocol timing.
    """

    networks: tuple[str, ...] = ("fig5",)
    batches: tuple[tuple[str, int], ...] = ()
    default_batches: int = 20
    rounds: int = 3
    batch: int = 32
    peak_size: int = 1024
    peak_repeats: int = 3
    round_seconds: float = 0.3
    pause: float = 0.2
    protocol_epochs: int = 0
    protocol_target: str = "age_category"

    def batches_of(self, network: str) -> int:
        """Batches per round of ``network``."""
        return dict(self.batches).get(network, self.default_batches)


#: ``ignet-bench timing --quick``: the Fig. 5 net only, three short rounds.
QUICK = TimingSettings()
#: ``ignet-bench timing``: the Fig. 5 and Fig. 7 nets and the Fig. 2 CNN, five rounds of
#: 3,200 samples (Fig. 5), and the protocol timing.
FULL = TimingSettings(
    networks=("fig5", "fig7", "fig2"),
    batches=(("fig5", 100), ("fig7", 25), ("fig2", 10)),
    rounds=5,
    peak_size=2048,
    peak_repeats=2,
    round_seconds=1.0,
    pause=0.3,
    protocol_epochs=20,
)


@dataclass(frozen=True)
class Contender:
    """One engine configuration, measured in a worker process of its own.

    Parameters
    ----------
    engine : ``"peak"``, ``"ignet"``, ``"torch"`` or ``"keras"``.
    backend : IgNet's back end, Keras's back end, or ``"-"``.
    threads : threads the engine may use; None leaves the library's default (every core).
    """

    engine: str
    backend: str = "-"
    threads: int | None = None

    @property
    def label(self) -> str:
        """``engine/backend``, with ``xN`` for an explicit thread count."""
        name = self.engine if self.backend == "-" else f"{self.engine}/{self.backend}"
        return name if self.threads is None else f"{name} x{self.threads}"

    def fields(self, network: str) -> dict[str, Any]:
        """The fields that name this contender on ``network`` in a row or record."""
        return {"engine": self.engine, "backend": self.backend, "network": network,
                "threads": self.threads, "label": self.label}  # fmt: skip

    def runs(self, network: str) -> bool:
        """Whether this contender trains ``network`` (the peak probe runs with every one)."""
        return network not in _KERAS_ONLY or self.engine in ("keras", "peak")


# peak -------------------------------------------------------------------------------------
def peak_gflops(size: int = 1024, repeats: int = 5) -> float:
    """This machine's float32 matrix-multiply rate through numpy, in GFLOP/s.

    Parameters
    ----------
    size : side of the two square matrices multiplied.
    repeats : timed products; the fastest counts.

    Returns
    -------
    float
        ``2 * size**3 / seconds / 1e9`` of the fastest product, with numpy's default
        BLAS threads (all cores unless limited by the environment).
    """
    _check_count("size", size)
    _check_count("repeats", repeats)
    product = partial(_matmul_round(size, 1), 1)
    product()  # the first call pays for thread start-up and page faults
    best = min(_timed(product) for _ in range(repeats))
    return 2.0 * size**3 / max(best, 1e-12) / 1e9


def _matmul_round(size: int, repeats: int) -> Callable[[int], None]:
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    out = np.empty((size, size), dtype=np.float32)

    def run(_: int = 1) -> None:
        for _ in range(repeats):
            np.matmul(a, b, out=out)

    return run


def _timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


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
    learning_rate : of plain SGD, as IgNet's paper settings.
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


def torch_equivalent(network: str, input_shape: Sequence[int], n_classes: int) -> Any:
    """A PyTorch module with the layers of an IgNet preset; it ends in logits (the softmax
    is in the cross-entropy loss). Freezeconnect is left out, as in :func:`keras_equivalent`.
    """
    import torch

    from ignet import Conv, Dense

    shape = _chw(input_shape)
    modules: list[Any] = []
    channels = shape[0]
    for layer in _preset(network, shape, n_classes):
        if isinstance(layer, Conv):
            modules.append(
                torch.nn.Conv2d(channels, layer.filters, layer.kernel, layer.stride, layer.padding)
            )
            channels = layer.filters
        elif isinstance(layer, Dense):
            modules += [torch.nn.Flatten(), torch.nn.LazyLinear(n_classes)]
    model = torch.nn.Sequential(*modules)
    model(torch.zeros((1, *shape)))  # sizes the lazy dense layer
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


def _check_count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BenchError(f"{name} must be a positive int, got {value!r}")
    return value


def _cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


def _missing(contender: Contender) -> str | None:
    """Why a contender cannot run here (a library is not installed), or None."""
    needs = {
        "torch": ["torch"],
        "keras": ["keras", contender.backend],
    }.get(contender.engine, [])
    for module in needs:
        if importlib.util.find_spec(module) is None:
            hint = _INSTALL.get(module, "pip install 'ignet-bench[keras]'")
            return f"{module} is not installed; {hint}"
    return None


# what a worker process runs ---------------------------------------------------------------
def _random_data(
    n: int, input_shape: tuple[int, int, int], n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.random((n, *input_shape), dtype=np.float32)
    y = np.eye(n_classes, dtype=np.float32)[rng.integers(0, n_classes, n)]
    return X, y


def _ignet_backend(contender: Contender) -> Any:
    from ignet.backends import get_backend

    if contender.backend not in BACKENDS:
        raise BenchError(f"backend: unknown name {contender.backend!r}; choose from {BACKENDS}")
    options = {} if contender.threads is None else {"threads": contender.threads}
    return get_backend(contender.backend, **options)


def _trainer(
    contender: Contender, network: str, samples: int, batch: int
) -> tuple[Callable[[int], Any], int]:
    """A round of training on the first n of ``samples`` random drawings-sized samples
    (``train(n)``, in batches), and the FLOPs per sample it counts; the model is built
    and warmed up on one batch."""
    shape, classes = DRAWINGS_SHAPE, DRAWINGS_CLASSES
    X, y = _random_data(samples, shape, classes)
    if contender.engine == "ignet":
        from ignet import Network
        from ignet.estimators import PAPER_SETTINGS

        net = Network(
            _preset(network, shape, classes),
            loss="ce",
            optimizer=PAPER_SETTINGS["optimizer"],
            learning_rate=PAPER_SETTINGS["learning_rate"],
            batch_size=batch,
            backend=_ignet_backend(contender),
            random_state=0,
        )
        net.fit(X[:batch], y[:batch], epochs=1)
        return (lambda n: net.fit(X[:n], y[:n], epochs=1)), net.flops_per_sample()
    if contender.engine == "torch":
        import torch

        from ignet import Network

        if contender.threads is not None:
            torch.set_num_threads(contender.threads)
        torch.manual_seed(0)
        model = torch_equivalent(network, shape, classes)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        loss = torch.nn.CrossEntropyLoss()
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y.argmax(axis=1))

        def epoch(stop: int) -> None:
            order = torch.randperm(stop)
            for start in range(0, stop, batch):
                rows = order[start : start + batch]
                optimizer.zero_grad()
                loss(model(Xt[rows]), yt[rows]).backward()
                optimizer.step()

        epoch(batch)
        flops = Network(_preset(network, shape, classes), input_shape=shape).flops_per_sample()
        return epoch, flops
    import keras

    keras.utils.set_random_seed(0)
    if network in _KERAS_ONLY:
        from baseline_keras import drawings_cnn

        model = drawings_cnn((shape[1], shape[2], shape[0]), classes, "classification")
    else:
        model = keras_equivalent(network, shape, classes)
    Xk = np.ascontiguousarray(X.transpose(0, 2, 3, 1))
    model.fit(Xk[:batch], y[:batch], batch_size=batch, epochs=1, verbose=0)

    def fit(n: int) -> None:
        model.fit(Xk[:n], y[:n], batch_size=batch, epochs=1, verbose=0)

    return fit, keras_flops_per_sample(model)


def _worker_main() -> None:
    """A worker process: the spec on the first stdin line, then one command per line.

    Replies are JSON lines on the original stdout; everything libraries print goes to
    stderr, so that it cannot corrupt the replies.
    """
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    spec = json.loads(sys.stdin.readline())
    contender = Contender(**spec["contender"])
    trainers: dict[str, tuple[Callable[[int], Any], int]] = {}
    sizes: dict[str, int] = {}
    try:
        if contender.engine == "peak":
            if contender.threads is not None:
                from threadpoolctl import threadpool_limits

                threadpool_limits(limits=contender.threads, user_api="blas")
            size, repeats = spec["peak_size"], spec["peak_repeats"]
            run = _matmul_round(size, repeats)
            run(1)
            trainers = {network: (run, 2 * size**3 * repeats) for network in spec["networks"]}
            sizes = dict.fromkeys(spec["networks"], 1)
        else:
            for network in filter(contender.runs, spec["networks"]):
                batch, most = spec["batch"], spec["batches"][network]
                trainers[network] = _trainer(contender, network, batch * most, batch)
                sizes[network] = batch * _round_batches(
                    trainers[network][0], batch, most, spec["round_seconds"]
                )
    except Exception as error:  # an engine that cannot run here is a result, not a crash
        channel.write(json.dumps({"status": "skipped", "reason": _reason(error)}) + "\n")
        return
    flops = {network: flops for network, (_, flops) in trainers.items()}
    channel.write(json.dumps({"status": "ready", "flops": flops, "samples": sizes}) + "\n")
    for line in sys.stdin:
        command = json.loads(line)
        if command["cmd"] == "round":
            network = command["network"]
            seconds = _timed(partial(trainers[network][0], sizes[network]))
            channel.write(json.dumps({"seconds": seconds}) + "\n")
        elif command["cmd"] == "protocol":
            curve = protocol_curves(contender, command["data"], command["epochs"], command["seed"])
            channel.write(json.dumps(curve) + "\n")
        else:
            return


def _round_batches(train: Callable[[int], Any], batch: int, most: int, seconds: float) -> int:
    """Batches per round: about ``seconds`` of training, at least min(5, ``most``) and at
    most ``most``.

    A round of a fixed size would take a slow engine minutes; one of a fixed duration
    keeps the run short and every round long enough to time.
    """
    probe = min(5, most)
    took = _timed(lambda: train(probe * batch)) / probe
    return max(probe, min(most, math.ceil(seconds / max(took, 1e-9))))


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


# the paper's protocol ---------------------------------------------------------------------
def protocol_curves(contender: Contender, data: str, epochs: int, seed: int = 0) -> dict[str, Any]:
    """Train the paper's network of an engine on a stored split and time every epoch.

    IgNet trains its Fig. 5 preset with the paper's settings (:data:`PAPER_SETTINGS`),
    its weight ranges first calibrated into MAV(dLoss/dW) 0.01-0.1 on 256 training
    samples (what the paper did by hand with its Fig. 4 restarts; on the clock), Keras the
    Fig. 2 CNN (:func:`baseline_keras.drawings_cnn`, Adam as the suite trains it), both in
    batches of 32 for ``epochs`` epochs with a validation pass after each.

    Parameters
    ----------
    contender : ``ignet`` (numpy or opencl) or ``keras`` on one of its back ends.
    data : an ``.npz`` with ``X_train``, ``y_train``, ``X_val``, ``y_val`` (images
        (N, H, W) in [0, 1], class indices).
    epochs : epochs to train (no early stopping: :func:`stopping_rule` reads the curve).
    seed : seed of the initial weights and the shuffling.

    Returns
    -------
    dict
        ``seconds`` (wall time since the start at the end of each epoch, validation
        included), ``val_accuracy`` and ``val_loss`` per epoch; IgNet's also says
        whether the calibration reached its band (``calibrated``).
    """
    with np.load(data) as stored:
        X_train, y_train, X_val, y_val = (
            stored[k] for k in ("X_train", "y_train", "X_val", "y_val")
        )
    classes = int(max(y_train.max(), y_val.max())) + 1
    onehot, onehot_val = np.eye(classes, dtype=np.float32)[y_train], np.eye(classes)[y_val]
    stamps: list[float] = []
    if contender.engine == "ignet":
        from ignet import Callback, IgNetError, Network
        from ignet.estimators import PAPER_SETTINGS

        shape = (1, *X_train.shape[1:])
        net = Network(
            _preset("fig5", shape, classes),
            loss=PAPER_SETTINGS["loss"]["classification"],
            optimizer=PAPER_SETTINGS["optimizer"],
            learning_rate=PAPER_SETTINGS["learning_rate"],
            batch_size=PAPER_SETTINGS["batch_size"],
            backend=_ignet_backend(contender),
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
    import keras

    from baseline_keras import drawings_cnn

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


def stopping_rule(
    val_loss: Sequence[float], epochs: int = PAPER_EPOCHS, tolerance: int = PAPER_TOLERANCE
) -> int:
    """Epochs the paper's stopping rule trains: at most ``epochs``, ending after
    ``tolerance`` epochs in a row without a lower validation loss."""
    best, wait = math.inf, 0
    for epoch, loss in enumerate(val_loss[:epochs], start=1):
        if loss < best:
            best, wait = loss, 0
        else:
            wait += 1
            if wait >= tolerance:
                return epoch
    return min(epochs, len(val_loss))


def _first_reaching(curve: dict[str, Any], target: float) -> int:
    """The first epoch (from 1) whose validation accuracy reaches ``target``, which the
    curve's best does."""
    return next(
        epoch
        for epoch, accuracy in enumerate(curve["val_accuracy"], start=1)
        if accuracy >= target - 1e-9
    )


def _protocol_data(out: Path, target: str, seed: int) -> tuple[str, dict[str, Any]]:
    """The drawings (synthetic ones written to OUT/data/drawings when none are there),
    split 75 / 25 stratified by ``target``, stored for the workers."""
    from sklearn.model_selection import train_test_split

    from bench.data import generate_drawings, load_drawings
    from bench.data.targets import encode_target

    folder = out / "data" / "drawings"
    if not folder.is_dir() or not any(folder.iterdir()):
        generate_drawings(folder, seed=seed)
    dataset = load_drawings(folder, size=(DRAWINGS_SHAPE[2], DRAWINGS_SHAPE[1]))
    y, classes = encode_target(dataset.labels, target)
    X_train, X_val, y_train, y_val = train_test_split(
        dataset.images, y, test_size=0.25, random_state=seed, stratify=y
    )
    path = Path(tempfile.mkdtemp(prefix="ignet-timing-")) / "protocol.npz"
    np.savez(path, X_train=X_train, y_train=y_train, X_val=X_val, y_val=y_val)
    info = {
        "majority_accuracy": float(np.bincount(y_val).max() / len(y_val)),
        "data": str(folder),
        "n_train": len(X_train),
        "n_val": len(X_val),
        "n_classes": len(classes),
    }
    return str(path), info


# the harness ------------------------------------------------------------------------------
class _Worker:
    """The parent's end of a worker process."""

    def __init__(self, contender: Contender, spec: dict[str, Any]) -> None:
        self.contender = contender
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        if contender.engine == "keras":
            env["KERAS_BACKEND"] = contender.backend
        root = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        self._log: IO[str] = tempfile.TemporaryFile("w+")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.timing", "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=env,
        )
        self._send({"contender": contender.__dict__, **spec})

    def _send(self, message: dict[str, Any]) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(message) + "\n")
        self._process.stdin.flush()

    def ask(self, message: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a command (None: just read) and return the reply."""
        if message is not None:
            self._send(message)
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self._log.seek(0)
            tail = " | ".join(self._log.read().strip().splitlines()[-5:])
            raise BenchError(f"timing worker {self.contender.label} stopped: {tail}")
        return dict(json.loads(line))

    def close(self) -> None:
        if self._process.poll() is None:
            try:
                self._send({"cmd": "exit"})
                self._process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()
        self._log.close()


@dataclass
class TimingReport:
    """What :func:`run_timing` measured.

    ``peak`` is the peak probe's row; ``throughput`` one row per contender and network;
    ``ratios`` IgNet numpy's per-round ratios against each other contender;
    ``thread_scaling`` IgNet numpy on every core against one thread; ``protocol`` the
    protocol timing's rows (empty when it was left out).
    """

    peak: dict[str, Any]
    throughput: list[dict[str, Any]]
    ratios: list[dict[str, Any]]
    thread_scaling: list[dict[str, Any]]
    protocol: list[dict[str, Any]]
    load: dict[str, Any]
    results: Path
    settings: TimingSettings = field(default_factory=TimingSettings)


def _spread(values: Sequence[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def _contenders(engines: Sequence[str], backends: Sequence[str]) -> list[Contender]:
    cores = _cores()
    # The peak is the faster of numpy's GEMM on every core and on one: on a loaded
    # machine BLAS threads that spin can make the first far slower.
    chosen = [Contender("peak"), *([Contender("peak", "-", 1)] if cores > 1 else [])]
    if "ignet" in engines:
        for backend in backends:
            chosen.append(Contender("ignet", backend, cores if backend == "numpy" else None))
        if "numpy" in backends and cores > 1:
            chosen.append(Contender("ignet", "numpy", 1))
    if "torch" in engines:
        # PyTorch on every core and on one thread: the faster is its number.
        chosen.append(Contender("torch", "-", cores))
        if cores > 1:
            chosen.append(Contender("torch", "-", 1))
    if "keras" in engines:
        chosen += [Contender("keras", backend) for backend in KERAS_BACKENDS]
    return chosen


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
    """Measure every contender side by side and append one record per measurement to
    ``OUT/results/timing.jsonl``.

    Parameters
    ----------
    out : output folder (results go to ``out/results``; the protocol timing writes or
        reuses synthetic drawings in ``out/data/drawings``).
    quick : :data:`QUICK` sizes instead of :data:`FULL`.
    engines : of :data:`ENGINES`; Keras runs on every back end of :data:`KERAS_BACKENDS`
        that is installed.
    backends : IgNet back ends of :data:`BACKENDS`.
    seed : seed of the protocol timing's data split and models; recorded.
    settings : explicit sizes, overriding ``quick``.
    progress : show a progress bar over the rounds.
    """
    from tqdm.auto import tqdm

    for name in engines:
        if name not in ENGINES:
            raise BenchError(f"engines: unknown name {name!r}; choose from {ENGINES}")
    for name in backends:
        if name not in BACKENDS:
            raise BenchError(f"backends: unknown name {name!r}; choose from {BACKENDS}")
    chosen = settings or (QUICK if quick else FULL)
    _check_count("rounds", chosen.rounds)
    _check_count("batch", chosen.batch)
    for network in chosen.networks:
        _check_count(f"batches of {network}", chosen.batches_of(network))
        if network not in _KERAS_ONLY:
            _preset(network, DRAWINGS_SHAPE, DRAWINGS_CLASSES)
    profile = "quick" if quick else "full"
    if settings is not None and settings != (QUICK if quick else FULL):
        profile = "custom"
    spec = {
        "networks": list(chosen.networks),
        "batches": {n: chosen.batches_of(n) for n in chosen.networks},
        "batch": chosen.batch,
        "peak_size": chosen.peak_size,
        "peak_repeats": chosen.peak_repeats,
        "round_seconds": chosen.round_seconds,
    }
    skipped: dict[Contender, str] = {}
    workers: dict[Contender, _Worker] = {}
    load = {"cores": _cores(), "before": os.getloadavg()}
    try:
        for contender in _contenders(engines, backends):
            reason = _missing(contender)
            if reason:
                skipped[contender] = reason
            else:
                workers[contender] = _Worker(contender, spec)
        flops: dict[Contender, dict[str, int]] = {}
        samples: dict[Contender, dict[str, int]] = {}
        for contender, worker in list(workers.items()):
            reply = worker.ask()
            if reply["status"] == "ready":
                flops[contender], samples[contender] = reply["flops"], reply["samples"]
            else:
                skipped[contender] = reply["reason"]
                workers.pop(contender).close()
        seconds: dict[tuple[Contender, str], list[float]] = {}
        loads: dict[tuple[Contender, str], list[float]] = {}
        steps = [(n, r) for n in chosen.networks for r in range(chosen.rounds)]
        with tqdm(total=len(steps), desc=f"timing ({profile})", disable=not progress) as bar:
            for network, round_ in steps:
                bar.set_postfix_str(f"{network} round {round_ + 1}")
                playing = [c for c in workers if c.runs(network)]
                # A rotating order: no contender always runs first, or right after another.
                shift = round_ % max(1, len(playing))
                for contender in playing[shift:] + playing[:shift]:
                    loads.setdefault((contender, network), []).append(os.getloadavg()[0])
                    reply = workers[contender].ask({"cmd": "round", "network": network})
                    seconds.setdefault((contender, network), []).append(reply["seconds"])
                    time.sleep(chosen.pause)
                bar.update()
        protocol: list[dict[str, Any]] = []
        if chosen.protocol_epochs:
            protocol = _time_protocol(Path(out), workers, seconds, chosen, seed)
    finally:
        for worker in workers.values():
            worker.close()
    load["after"] = os.getloadavg()
    report = _summarise(
        seconds, loads, flops, samples, skipped, chosen, load, Path(out) / "results"
    )
    report.protocol = protocol
    _store(report, profile, seed)
    return report


def _time_protocol(
    out: Path,
    workers: dict[Contender, _Worker],
    seconds: dict[tuple[Contender, str], list[float]],
    settings: TimingSettings,
    seed: int,
) -> list[dict[str, Any]]:
    """The protocol timing for IgNet numpy (every core) against the Fig. 2 CNN on Keras's
    TensorFlow back end (the paper's) and on its fastest back end."""
    cores = _cores()
    ours = Contender("ignet", "numpy", cores)
    keras = [c for c in workers if c.engine == "keras"]
    if ours not in workers or not keras:
        return []

    def rate(contender: Contender) -> float:
        rounds = seconds.get((contender, "fig2")) or seconds.get((contender, "fig5")) or [math.inf]
        return -statistics.median(rounds)

    theirs = sorted(
        {c for c in keras if c.backend == "tensorflow"} | {max(keras, key=rate)},
        key=lambda c: c.backend,
    )
    data, info = _protocol_data(out, settings.protocol_target, seed)
    command = {"cmd": "protocol", "data": data, "epochs": settings.protocol_epochs, "seed": seed}
    curves = {c: workers[c].ask(command) for c in [ours, *theirs]}
    extra = {"epoch_cap": settings.protocol_epochs, "protocol_target": settings.protocol_target,
             **info}  # fmt: skip
    return [
        {"against": c.label, **extra, **protocol_ratios(curves[ours], curves[c])} for c in theirs
    ]


def protocol_ratios(ignet: dict[str, Any], keras: dict[str, Any]) -> dict[str, Any]:
    """How much longer Keras takes than IgNet, from two :func:`protocol_curves`.

    ``stop_ratio``: to the paper's stopping rule (:func:`stopping_rule` on each curve's
    validation loss). ``target_ratio``: to the first epoch whose validation accuracy
    reaches ``target_accuracy``, the lower of the two curves' best (so both reach it).
    Each curve comes back with its ``stop_epoch``, ``stop_seconds``, ``target_epoch`` and
    ``target_seconds``.
    """
    target = min(max(ignet["val_accuracy"]), max(keras["val_accuracy"]))
    row: dict[str, Any] = {"target_accuracy": target}
    for name, curve in (("ignet", ignet), ("keras", keras)):
        stop = stopping_rule(curve["val_loss"])
        reach = _first_reaching(curve, target)
        row[name] = {
            **curve,
            "stop_epoch": stop,
            "stop_seconds": curve["seconds"][stop - 1],
            "target_epoch": reach,
            "target_seconds": curve["seconds"][reach - 1],
        }
    row["stop_ratio"] = row["keras"]["stop_seconds"] / row["ignet"]["stop_seconds"]
    row["target_ratio"] = row["keras"]["target_seconds"] / row["ignet"]["target_seconds"]
    return row


def _summarise(
    seconds: dict[tuple[Contender, str], list[float]],
    loads: dict[tuple[Contender, str], list[float]],
    flops: dict[Contender, dict[str, int]],
    samples: dict[Contender, dict[str, int]],
    skipped: dict[Contender, str],
    settings: TimingSettings,
    load: dict[str, Any],
    results: Path,
) -> TimingReport:
    rates = {
        (contender, network): [samples[contender][network] / max(s, 1e-12) for s in values]
        for (contender, network), values in seconds.items()
    }
    peak_rates: dict[Contender, list[float]] = {}
    for (contender, network), values in rates.items():
        if contender.engine == "peak":
            peak_rates.setdefault(contender, []).extend(
                r * flops[contender][network] / 1e9 for r in values
            )
    peak: dict[str, Any] = {
        "engine": "peak",
        "backend": "-",
        "network": "-",
        "size": settings.peak_size,
        "status": "ok",
        "gflops": None,
    }
    if peak_rates:
        best = max(peak_rates, key=lambda c: statistics.median(peak_rates[c]))
        peak.update(
            threads=best.threads,
            gflops=_spread(peak_rates[best]),
            by_threads={c.label: _spread(v) for c, v in peak_rates.items()},
            load=_spread([x for (c, _), v in loads.items() if c == best for x in v]),
        )
    elif any(c.engine == "peak" for c in skipped):
        peak.update(
            status="skipped", reason=next(r for c, r in skipped.items() if c.engine == "peak")
        )
    peak_median = peak["gflops"]["median"] if peak["gflops"] else None
    throughput = []
    for (contender, network), values in rates.items():
        if contender.engine == "peak":
            continue
        per_sample = flops[contender][network]
        gflops = _spread([r * per_sample / 1e9 for r in values])
        throughput.append(
            {
                **contender.fields(network),
                "status": "ok",
                "samples_per_s": _spread(values),
                "rounds_samples_per_s": values,
                "seconds": seconds[contender, network],
                "samples_per_round": samples[contender][network],
                "flops_per_sample": per_sample,
                "gflops": gflops,
                "fraction_of_peak": gflops["median"] / peak_median if peak_median else None,
                "load": _spread(loads[contender, network]),
            }
        )
    for contender, reason in skipped.items():
        for network in settings.networks:
            if contender.runs(network) and contender.engine != "peak":
                throughput.append({**contender.fields(network), "status": "skipped",
                                   "reason": reason})  # fmt: skip
    ratios, scaling = _ratios(rates, settings)
    return TimingReport(peak, throughput, ratios, scaling, [], load, results, settings)


def _ratios(
    rates: dict[tuple[Contender, str], list[float]], settings: TimingSettings
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    cores = _cores()
    ours = Contender("ignet", "numpy", cores)
    ratios, scaling = [], []
    for network in settings.networks:
        mine = rates.get((ours, network))
        if not mine:
            continue
        others = {c: v for (c, n), v in rates.items() if n == network and c.engine != "peak"}
        fastest = {
            engine: max(group, key=lambda c: statistics.median(others[c]))
            for engine in ("keras", "torch")
            if (group := [c for c in others if c.engine == engine])
        }
        for contender, theirs in others.items():
            if contender == ours:
                continue
            per_round = [a / b for a, b in zip(mine, theirs, strict=True)]
            row = {
                "network": network,
                "against": contender.label,
                "ratio": _spread(per_round),
                "ratios": per_round,
                "fastest_of_engine": fastest.get(contender.engine) == contender,
                "paper_keras": contender.engine == "keras" and contender.backend == "tensorflow",
            }
            if contender == Contender("ignet", "numpy", 1):
                scaling.append({"network": network, "threads": cores, **row})
            else:
                ratios.append(row)
    return ratios, scaling


def _store(report: TimingReport, profile: str, seed: int) -> None:
    from bench.results import ResultsStore, job_id, machine_info, versions

    store = ResultsStore(report.results)
    packages = ("numpy", "scikit-learn", "tensorflow-cpu", "keras", "torch", "jax")
    common = {
        "experiment": "timing",
        "profile": profile,
        "protocol": "-",
        "target": "-",
        "fold": 0,
        "seed": seed,
        "peak_gflops": report.peak.get("gflops"),
        "machine_load": report.load,
        "settings": {k: getattr(report.settings, k) for k in report.settings.__dataclass_fields__},
        "versions": versions(packages),
        "machine": machine_info(),
    }
    rows: list[tuple[str, str, dict[str, Any]]] = [("peak", "synthetic", report.peak)]
    rows += [("throughput", "synthetic", r) for r in report.throughput]
    ours = {"engine": "ignet", "backend": "numpy"}
    rows += [("ratio", "synthetic", {**ours, **r}) for r in report.ratios]
    rows += [("thread_scaling", "synthetic", {**ours, **r}) for r in report.thread_scaling]
    rows += [
        ("protocol", "drawings", {**ours, "network": "fig5", **r, "target": r["protocol_target"]})
        for r in report.protocol
    ]
    for measure, dataset, row in rows:
        record = {**common, "dataset": dataset, "measure": measure, **row}
        record.setdefault("variant", record.get("label", record.get("network")))
        if "against" in row:
            record["variant"] = f"vs {row['against']}"
        # The job fields alone do not tell the measures apart.
        record["job_id"] = f"{job_id(record)}/{measure}"
        store.append(record, name="timing")


# printing ---------------------------------------------------------------------------------
def _number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _range(spread: dict[str, float], digits: int = 0, unit: str = "") -> str:
    low, high = _number(spread["min"], digits), _number(spread["max"], digits)
    return f"{low}{unit}-{high}{unit}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    rows = [list(row) + [""] * (len(header) - len(row)) for row in rows]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )


def format_report(report: TimingReport) -> str:
    """The tables ``ignet-bench timing`` prints: peak, throughput, ratios, threads and the
    protocol timing, each measurement with the load average it met."""
    load = report.load
    parts = [
        f"machine: {load['cores']} cores; load average (1, 5, 15 min) before "
        f"{', '.join(f'{v:.2f}' for v in load['before'])}, after "
        f"{', '.join(f'{v:.2f}' for v in load.get('after', load['before']))}"
    ]
    peak = report.peak
    if peak["status"] != "ok":
        parts.append(f"peak: skipped: {peak['reason']}")
    elif peak["gflops"]:
        settings = ", ".join(
            f"{label}: {spread['median']:.1f}" for label, spread in peak["by_threads"].items()
        )
        parts.append(
            f"peak (numpy float32 GEMM {peak['size']}^3): {peak['gflops']['median']:.1f} "
            f"GFLOP/s, median of rounds ({_range(peak['gflops'], 1)}), load "
            f"{_range(peak['load'], 1)}; the faster of {settings}"
        )
    rows = []
    for r in report.throughput:
        threads = "-" if r["threads"] is None else str(r["threads"])
        engine = r["engine"] if r["backend"] == "-" else f"{r['engine']}/{r['backend']}"
        if r["status"] != "ok":
            rows.append([r["network"], engine, threads, "skipped: " + r["reason"]])
            continue
        fraction = r["fraction_of_peak"]
        rows.append(
            [
                r["network"],
                engine,
                threads,
                _number(r["samples_per_s"]["median"]),
                _range(r["samples_per_s"]),
                _number(r["gflops"]["median"], 1),
                "-" if fraction is None else f"{100 * fraction:.1f}%",
                _range(r["load"], 1),
            ]
        )
    rounds = report.settings.rounds
    parts.append(f"\nthroughput: median of {rounds} interleaved rounds, [min-max], load average")
    header = ["network", "engine", "threads", "samples/s", "range", "GFLOP/s", "% peak", "load"]
    parts.append(_table(header, rows))
    if report.ratios:
        parts.append("\nIgNet numpy (every core) over each: median of per-round ratios [min-max]")
        ratio_rows = []
        for r in report.ratios:
            engine = r["against"].split("/")[0].split(" ")[0]
            notes = [
                n
                for n, on in (
                    (f"fastest {_ENGINE_NAMES.get(engine, engine)}", r["fastest_of_engine"]),
                    ("the paper's Keras", r["paper_keras"]),
                )
                if on
            ]
            ratio_rows.append(
                [
                    r["network"],
                    r["against"],
                    f"{r['ratio']['median']:.2f}x",
                    _range(r["ratio"], 2, "x"),
                    ", ".join(notes),
                ]
            )
        parts.append(_table(["network", "against", "ratio", "range", ""], ratio_rows))
    for r in report.thread_scaling:
        parts.append(
            f"\nthreads (ignet numpy {r['network']}): {r['threads']} threads over 1 thread "
            f"{r['ratio']['median']:.2f}x ({_range(r['ratio'], 2, 'x')})"
        )
    for r in report.protocol:
        ours, theirs = r["ignet"], r["keras"]
        parts.append(
            f"\nprotocol ({r['protocol_target']}, {r['n_train']} training and {r['n_val']} "
            f"validation drawings): IgNet fig5 (paper settings) against the Fig. 2 CNN on "
            f"{r['against']}"
        )
        target = f"{r['target_accuracy']:.3f}"
        parts.append(
            _table(
                ["", "epochs", "IgNet s", "Keras s", "Keras / IgNet"],
                [
                    [
                        f"stopping rule ({PAPER_EPOCHS} passes, tolerance {PAPER_TOLERANCE})",
                        f"{ours['stop_epoch']} / {theirs['stop_epoch']}",
                        _number(ours["stop_seconds"], 2),
                        _number(theirs["stop_seconds"], 2),
                        f"{r['stop_ratio']:.1f}x",
                    ],
                    [
                        f"to validation accuracy {target} (both reach it)",
                        f"{ours['target_epoch']} / {theirs['target_epoch']}",
                        _number(ours["target_seconds"], 2),
                        _number(theirs["target_seconds"], 2),
                        f"{r['target_ratio']:.1f}x",
                    ],
                    [
                        f"best validation accuracy in {r['epoch_cap']} epochs (IgNet / Keras)",
                        f"{max(ours['val_accuracy']):.3f} / {max(theirs['val_accuracy']):.3f}",
                        f"majority class {r['majority_accuracy']:.3f}",
                    ],
                ],
            )
        )
    if report.settings.protocol_epochs == 0:
        parts.append("\nprotocol timing: left out (it runs without --quick)")
    parts.append(f"\nrecords appended to {report.results / 'timing.jsonl'}")
    return "\n".join(parts)


if __name__ == "__main__" and sys.argv[1:] == ["--worker"]:
    _worker_main()
