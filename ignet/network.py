"""The Network: a list of layers, its forward and backward passes, training and storage."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ignet.backends import Backend, get_backend
from ignet.backends.base import Array
from ignet.callbacks import Callback
from ignet.errors import DivergenceError, IgNetError
from ignet.layers import LAYERS, Layer
from ignet.losses import get_loss
from ignet.optimizers import Optimizer

if TYPE_CHECKING:
    import pandas as pd

METRICS = ("auto", "accuracy", "mape")
_EVAL_BATCH = 256


class Network:
    """A feed-forward network over channels-first maps.

    Parameters
    ----------
    layers : the layers, first to last (the network owns and builds them).
    loss : ``"mse"``, ``"mae"``, ``"ce"`` (after a Softmax) or ``"bce"`` (sigmoid outputs).
    optimizer : ``"sgd"``, ``"momentum"`` or ``"nesterov"``.
    learning_rate, momentum : optimizer settings.
    batch_size : mini-batch size (the paper's 32).
    metric : ``"accuracy"``, ``"mape"`` or ``"auto"`` (accuracy for ce and bce -- per
        label for bce --, MAPE in percent for mse and mae).
    backend : a back-end name or object; ``threads`` and ``dtype`` configure a named one.
    random_state : seed of every random choice (initial weights, shuffling, masks).
    input_shape : (C, H, W) or (H, W) of one sample; otherwise taken from the first fit.

    Notes
    -----
    X is ``(N, H, W)`` (one channel) or ``(N, C, H, W)``. y has shape ``(N, *out)`` where
    ``out`` is the last layer's output shape: ``(k,)`` for ``Dense(k)``, ``(r, c)`` for
    ``Dense((r, c))``; a 1-D y is accepted for a single output.
    """

    def __init__(
        self,
        layers: Sequence[Layer],
        *,
        loss: str = "mse",
        optimizer: str = "sgd",
        learning_rate: float = 0.01,
        momentum: float = 0.9,
        batch_size: int = 32,
        metric: str = "auto",
        backend: str | Backend = "numpy",
        threads: int = 1,
        dtype: str = "float32",
        random_state: int | None = None,
        input_shape: Sequence[int] | None = None,
    ) -> None:
        self.layers = list(layers)
        if not self.layers or not all(isinstance(layer, Layer) for layer in self.layers):
            raise IgNetError("layers must be a non-empty list of ignet layers")
        self.loss = get_loss(loss)
        self.optimizer = Optimizer(optimizer, learning_rate, momentum)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise IgNetError(f"batch_size must be a positive int, got {batch_size!r}")
        self.batch_size = batch_size
        if metric not in METRICS:
            raise IgNetError(f"metric: unknown name {metric!r}; choose from {METRICS}")
        self.metric = metric
        if metric == "auto":
            self.metric = "accuracy" if self.loss.name in ("ce", "bce") else "mape"
        # A ready back end brings its own dtype and threads.
        self.be = (
            get_backend(backend)
            if isinstance(backend, Backend)
            else get_backend(backend, dtype=dtype, threads=threads)
        )
        if random_state is None:
            random_state = int(np.random.SeedSequence().generate_state(1)[0])
        self.random_state = int(random_state)
        self.history_: dict[str, list[float]] = {}
        self.stop_training = False
        self.built = False
        if input_shape is not None:
            self.build(input_shape)

    # building -----------------------------------------------------------------------
    def build(self, input_shape: Sequence[int]) -> Network:
        """Size every layer for samples of ``input_shape`` and draw initial weights."""
        shape = tuple(int(s) for s in input_shape)
        if len(shape) == 2:
            shape = (1, *shape)
        if len(shape) != 3 or min(shape) < 1:
            raise IgNetError(f"input_shape must be (C, H, W) or (H, W), got {input_shape!r}")
        self.input_shape: tuple[int, int, int] = (shape[0], shape[1], shape[2])
        in_shape = self.input_shape
        user: tuple[int, ...] = shape
        for i, layer in enumerate(self.layers):
            try:
                layer.build(in_shape, user, self.be)
            except IgNetError as err:
                raise IgNetError(f"layer {i} ({layer.kind}): {err}") from None
            in_shape, user = layer.out_shape, layer.out_user_shape
        self.output_shape = user
        last = self.layers[-1]
        self._fused = self.loss.fuses_with(last) and not getattr(last, "dropout", 0)
        self.built = True
        self.initialize()
        return self

    def _seed(self, *key: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence(self.random_state, spawn_key=key))

    def initialize(self) -> None:
        """(Re)draw the initial parameters from the seed (each layer from its own stream)."""
        self._require_built()
        for i, layer in enumerate(self.layers):
            layer.init_params(self._seed(0, i))
        self.optimizer.reset()
        self._shuffle_rng = self._seed(1)
        self._mask_rng = self._seed(2)

    def _require_built(self) -> None:
        if not self.built:
            raise IgNetError("the network is not built yet: call build(input_shape) or fit")

    def summary(self) -> str:
        """One line per layer: its configuration and output shape."""
        self._require_built()
        lines = [f"input {self.input_shape}"]
        for i, layer in enumerate(self.layers):
            lines.append(f"{i}: {layer!r} -> {layer.out_shape}")
        return "\n".join(lines)

    def flops_per_sample(self, training: bool = True) -> int:
        """Floating-point operations per sample (2 per multiply-accumulate).

        Training counts the forward pass, the weight gradients and the input gradients
        of every layer but the first.
        """
        self._require_built()
        macs = [layer.macs_per_sample for layer in self.layers]
        if not training:
            return 2 * sum(macs)
        return 2 * (sum(macs) * 2 + sum(macs[1:]))

    # arrays -------------------------------------------------------------------------
    def _maps(self, X: Any, field: str = "X") -> np.ndarray:
        X = np.asarray(X)
        if X.ndim == 3:
            X = X[:, None]
        if X.ndim != 4:
            raise IgNetError(f"{field} must have shape (N, H, W) or (N, C, H, W), got {X.shape}")
        if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
            raise IgNetError(f"{field} must hold real numbers, got dtype {X.dtype}")
        if self.built and X.shape[1:] != self.input_shape:
            raise IgNetError(
                f"{field}: samples have shape {X.shape[1:]}, the network expects "
                f"{self.input_shape} (C, H, W)"
            )
        X = np.ascontiguousarray(X, dtype=self.be.dtype)
        if not np.isfinite(X).all():
            raise IgNetError(f"{field} contains NaN or infinite values")
        return X

    def _targets(self, y: Any, n: int, field: str = "y") -> np.ndarray:
        y = np.asarray(y, dtype=self.be.dtype)
        if y.shape[:1] != (n,):
            raise IgNetError(f"{field} has {len(y) if y.ndim else 0} samples, X has {n}")
        if y.shape[1:] != self.output_shape:
            if math.prod(y.shape[1:]) != math.prod(self.output_shape):
                raise IgNetError(
                    f"{field}: samples have shape {y.shape[1:]}, the network outputs "
                    f"{self.output_shape}"
                )
        if not np.isfinite(y).all():
            raise IgNetError(f"{field} contains NaN or infinite values")
        return np.ascontiguousarray(y.reshape(n, *self.layers[-1].out_shape))

    # passes -------------------------------------------------------------------------
    def _forward(self, x: Array, training: bool) -> Array:
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def _loss(self, out: Array, y: Array) -> tuple[float, Array]:
        if self._fused:
            return self.loss.value(self.be, out, y), self.loss.fused_grad(self.be, out, y)
        return self.loss.value_and_grad(self.be, out, y)

    def _backward(self, grad: Array, update: bool = False) -> None:
        """Backpropagate ``grad``; with ``update``, each layer updates its parameters right
        after its backward pass (its input gradient already uses the weights before), so
        that on two threads the update runs beside the layers below it."""
        last = len(self.layers) - 1
        for i in range(last, -1, -1):
            grad = self.layers[i].backward(grad, need_dx=i > 0, fused=self._fused and i == last)
            if update:
                self.layers[i].update(self.optimizer, str(i))

    def _locate_nonfinite(self, x: Array) -> str:
        """Name the first layer whose weights or output hold a NaN or inf."""
        for i, layer in enumerate(self.layers):
            for name, p in layer.params.items():
                if not math.isfinite(self.be.mean_abs(p)):
                    return f"parameter {name} of layer {i} ({layer.kind})"
        for i, layer in enumerate(self.layers):
            x = layer.forward(x, training=False)
            size = self.be.mean_abs(x)
            if not math.isfinite(size):
                return f"output of layer {i} ({layer.kind})"
        return (
            f"{self.loss.name} loss of the output of layer {i} ({layer.kind}), "
            f"whose mean |value| is {size:.3g}"
        )

    # training -----------------------------------------------------------------------
    def fit(
        self,
        X: Any,
        y: Any,
        epochs: int = 10,
        *,
        validation_data: tuple[Any, Any] | None = None,
        test_data: tuple[Any, Any] | None = None,
        callbacks: Sequence[Callback] = (),
        shuffle: bool = True,
        verbose: bool = False,
        resample: Callable[[int], Any] | None = None,
    ) -> dict[str, list[float]]:
        """Train by mini-batch gradient descent.

        Parameters
        ----------
        X, y : training samples and targets.
        epochs : passes over the training data.
        validation_data, test_data : optional (X, y) pairs evaluated after each epoch.
        callbacks : e.g. :class:`ignet.callbacks.EarlyStopping`.
        shuffle : reshuffle the training samples every epoch.
        resample : called with the epoch number (from 1) before every epoch but the first,
            returns that epoch's training X, of X's shape: fresh augmentations of the same
            samples, as the paper's on-the-fly augmentation; y stays as it is.
        verbose : print one line per epoch.

        Returns
        -------
        history : dict of per-epoch lists: ``loss`` and the metric (``accuracy`` or
            ``mape``) on the training batches (running means, as seen while learning),
            the same prefixed ``test_`` and ``val_`` for those sets, and ``seconds``.

        Raises
        ------
        DivergenceError
            When a loss becomes NaN or infinite; names the epoch and the layer.
        """
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
            raise IgNetError(f"epochs must be an int >= 0, got {epochs!r}")
        Xh = self._maps(X)
        if not self.built:
            self.build(Xh.shape[1:])
        yh = self._targets(y, len(Xh))
        extra = {}
        for prefix, data in (("test_", test_data), ("val_", validation_data)):
            if data is not None:
                field = "test_data" if prefix == "test_" else "validation_data"
                Xe = self._maps(data[0], field)
                extra[prefix] = (Xe, self._targets(data[1], len(Xe), field))
        self.stop_training = False
        self.history_ = {}
        for cb in callbacks:
            cb.on_train_begin(self)
        with self.be.scope():
            for epoch in range(epochs):
                start = time.perf_counter()
                if resample is not None and epoch > 0:
                    Xh = self._maps(resample(epoch), "resample")
                    if len(Xh) != len(yh):
                        raise IgNetError(
                            f"resample returned {len(Xh)} samples for {len(yh)} targets"
                        )
                logs = self._train_epoch(Xh, yh, epoch, shuffle)
                for prefix, (Xe, ye) in extra.items():
                    for key, value in self._evaluate(Xe, ye, epoch).items():
                        logs[prefix + key] = value
                logs["seconds"] = time.perf_counter() - start
                for key, value in logs.items():
                    self.history_.setdefault(key, []).append(value)
                if verbose:
                    print(f"epoch {epoch + 1}/{epochs}: " + _format_logs(logs))
                for cb in callbacks:
                    cb.on_epoch_end(self, epoch, logs)
                if self.stop_training:
                    break
        for cb in callbacks:
            cb.on_train_end(self)
        return self.history_

    def _train_epoch(self, X: np.ndarray, y: np.ndarray, epoch: int, shuffle: bool) -> dict:
        be, n, bs = self.be, len(X), self.batch_size
        order = self._shuffle_rng.permutation(n) if shuffle else np.arange(n)
        # Class accuracy compares arg-maxes: those of y once per epoch, not per batch.
        classes = self._classes(y)
        total_loss = total_metric = 0.0
        for b, start in enumerate(range(0, n, bs)):
            idx = order[start : start + bs]
            out, loss = self._step(
                be.asarray(X[idx]), be.asarray(y[idx]), f"epoch {epoch + 1} (batch {b + 1})"
            )
            total_loss += loss * len(idx)
            if classes is None:
                total_metric += self._metric(be.to_host(out), y[idx]) * len(idx)
            else:
                predicted = be.to_host(out).reshape(len(idx), -1).argmax(1)
                total_metric += int(np.count_nonzero(predicted == classes[idx]))
        return {"loss": total_loss / n, self.metric: total_metric / n}

    def _step(self, xb: Array, yb: Array, where: str) -> tuple[Array, float]:
        """One update on a batch of device arrays: its output and loss."""
        for layer in self.layers:
            layer.draw_masks(self._mask_rng, xb.shape[0])
        out = self._forward(xb, training=True)
        loss, grad = self._loss(out, yb)
        if not math.isfinite(loss):
            raise DivergenceError(
                f"training diverged in {where}: the loss is {loss}; first non-finite "
                f"values: {self._locate_nonfinite(xb)}"
            )
        self._backward(grad, update=True)
        return out, loss

    def train_on_batch(self, X: Any, y: Any) -> float:
        """One training step (forward, backward, update) on one batch; returns its loss.

        What :meth:`fit` does for each batch, with the same masks and optimizer state,
        but no shuffling, history or callbacks: for custom loops and benchmarks.

        Raises
        ------
        DivergenceError
            When the loss is NaN or infinite.
        """
        Xh = self._maps(X)
        if not self.built:
            self.build(Xh.shape[1:])
        yh = self._targets(y, len(Xh))
        with self.be.scope():
            return self._step(self.be.asarray(Xh), self.be.asarray(yh), "train_on_batch")[1]

    def _classes(self, y: np.ndarray) -> np.ndarray | None:
        """Class indices of one-hot y when the metric is class accuracy, else None."""
        if self.metric != "accuracy" or self.loss.name == "bce":
            return None
        return y.reshape(len(y), -1).argmax(1)

    def _metric(self, out: np.ndarray, y: np.ndarray) -> float:
        n = len(out)
        if self.metric == "mape":
            denom = np.maximum(np.abs(y), np.finfo(np.float32).eps)
            return float(100 * np.mean(np.abs(out - y) / denom))
        if self.loss.name == "bce":
            return float(np.mean((out > 0.5) == (y > 0.5)))
        return float(np.mean(out.reshape(n, -1).argmax(1) == y.reshape(n, -1).argmax(1)))

    def _evaluate(self, X: np.ndarray, y: np.ndarray, epoch: int | None = None) -> dict:
        total_loss = total_metric = 0.0
        for start in range(0, len(X), _EVAL_BATCH):
            xb = self.be.asarray(X[start : start + _EVAL_BATCH])
            yb = self.be.asarray(y[start : start + _EVAL_BATCH])
            out = self._forward(xb, training=False)
            loss = self.loss.value(self.be, out, yb)
            if not math.isfinite(loss):
                when = "" if epoch is None else f" after epoch {epoch + 1}"
                raise DivergenceError(
                    f"the loss is {loss}{when}; first non-finite values: "
                    f"{self._locate_nonfinite(xb)}"
                )
            total_loss += loss * len(xb)
            total_metric += self._metric(self.be.to_host(out), y[start : start + len(xb)]) * len(xb)
        return {"loss": total_loss / len(X), self.metric: total_metric / len(X)}

    def evaluate(self, X: Any, y: Any) -> dict[str, float]:
        """Loss and metric on (X, y), with dropout and the other masks off."""
        self._require_built()
        Xh = self._maps(X)
        yh = self._targets(y, len(Xh))
        with self.be.scope():
            return self._evaluate(Xh, yh)

    def predict(self, X: Any) -> np.ndarray:
        """Network outputs, shape ``(N, *output_shape)``; masks are off at inference.

        Raises
        ------
        DivergenceError
            When an output is NaN or infinite (never returned silently).
        """
        self._require_built()
        Xh = self._maps(X)
        outs = []
        with self.be.scope():
            for start in range(0, len(Xh), _EVAL_BATCH):
                xb = self.be.asarray(Xh[start : start + _EVAL_BATCH])
                out = self.be.to_host(self._forward(xb, training=False))
                if not np.isfinite(out).all():
                    raise DivergenceError(
                        "prediction is not finite; first non-finite values: "
                        + self._locate_nonfinite(xb)
                    )
                outs.append(out)
        out = np.concatenate(outs) if outs else np.empty((0, *self.layers[-1].out_shape))
        return out.reshape(len(Xh), *self.output_shape)

    # parameters and gradients -------------------------------------------------------
    def parameters(self) -> list[tuple[str, np.ndarray]]:
        """Copies of every parameter as ``("<layer>.<kind>.<W|b>", array)``, in order."""
        self._require_built()
        return [
            (f"{i}.{layer.kind}.{name}", self.be.to_host(p))
            for i, layer in enumerate(self.layers)
            for name, p in layer.params.items()
        ]

    def set_parameters(self, values: Sequence[np.ndarray]) -> None:
        """Replace every parameter, in :meth:`parameters` order."""
        slots = [(layer, name) for layer in self.layers for name in layer.params]
        if len(values) != len(slots):
            raise IgNetError(f"parameters: expected {len(slots)} arrays, got {len(values)}")
        for (layer, name), value in zip(slots, values, strict=True):
            if np.shape(value) != layer.params[name].shape:
                raise IgNetError(
                    f"parameters: {layer.kind}.{name} needs shape {layer.params[name].shape}, "
                    f"got {np.shape(value)}"
                )
            layer.params[name] = self.be.asarray(np.array(value, copy=True))
        self.optimizer.reset()

    def gradients(self, X: Any, y: Any) -> tuple[float, list[np.ndarray]]:
        """The loss and dLoss/dp of every parameter p (also fixed biases), masks off.

        Parameters and training state are left unchanged.
        """
        self._require_built()
        Xh = self._maps(X)
        yh = self._targets(y, len(Xh))
        with self.be.scope():
            out = self._forward(self.be.asarray(Xh), training=False)
            loss, grad = self._loss(out, self.be.asarray(yh))
            self._backward(grad)
        return loss, [
            self.be.to_host(layer.grads[name]) for layer in self.layers for name in layer.params
        ]

    # diagnostics --------------------------------------------------------------------
    def diagnose(self, X: Any, y: Any) -> pd.DataFrame:
        """The paper's Fig. 4 table; see :func:`ignet.diagnostics.diagnose`."""
        from ignet.diagnostics import diagnose

        return diagnose(self, X, y)

    def calibrate(
        self, X: Any, y: Any, target: tuple[float, float] = (0.01, 0.1), **options: Any
    ) -> pd.DataFrame:
        """Rescale weight ranges; see :func:`ignet.diagnostics.calibrate`."""
        from ignet.diagnostics import calibrate

        return calibrate(self, X, y, target, **options)

    # storage ------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Everything but the parameters, JSON-compatible."""
        return {
            "layers": [
                {"class": type(la).__name__, "config": la.get_config()} for la in self.layers
            ],
            "loss": self.loss.name,
            "optimizer": self.optimizer.name,
            "learning_rate": self.optimizer.learning_rate,
            "momentum": self.optimizer.momentum,
            "batch_size": self.batch_size,
            "metric": self.metric,
            "backend": self.be.name,
            "threads": self.be.threads,
            "dtype": self.be.dtype.name,
            "random_state": self.random_state,
            "input_shape": list(self.input_shape) if self.built else None,
        }

    def save(self, path: str | Path) -> None:
        """Write the configuration, parameters and history to one ``.npz`` file."""
        self._require_built()
        arrays: dict[str, Any] = {f"param:{name}": value for name, value in self.parameters()}
        arrays["config"] = np.array(json.dumps(self.get_config()))
        arrays["history"] = np.array(json.dumps(self.history_))
        np.savez(path, **arrays)

    @classmethod
    def load(cls, path: str | Path, **overrides: Any) -> Network:
        """Rebuild a network written by :meth:`save`.

        ``overrides`` replace saved settings, e.g. ``threads=2``.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                config = json.loads(str(data["config"]))
                history = json.loads(str(data["history"]))
                names = [k for k in data.files if k.startswith("param:")]
                values = [data[k] for k in names]
        except (OSError, KeyError, ValueError) as err:
            raise IgNetError(f"path: {path} is not a saved IgNet network ({err})") from None
        config.update(overrides)
        layers = [LAYERS[spec["class"]](**spec["config"]) for spec in config.pop("layers")]
        net = cls(layers, **config)
        net.set_parameters(values)
        net.history_ = history
        return net


def _format_logs(logs: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:.4g}" for k, v in logs.items())
