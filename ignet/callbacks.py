"""Training callbacks: hooks called by :meth:`ignet.Network.fit` after each epoch."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ignet.errors import IgNetError

if TYPE_CHECKING:
    from ignet.network import Network


class Callback:
    """Base class; override the hooks you need."""

    def on_train_begin(self, net: Network) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, net: Network, epoch: int, logs: dict[str, float]) -> None:
        """Called after each epoch with its history entries; set ``net.stop_training``."""

    def on_train_end(self, net: Network) -> None:
        """Called once after the last epoch."""


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``tolerance`` epochs in a row.

    Parameters
    ----------
    monitor : a history key such as ``"val_loss"``, ``"test_accuracy"`` or ``"loss"``.
    tolerance : epochs without improvement before stopping (the paper's 7).
    mode : ``"min"``, ``"max"`` or ``"auto"`` (max for accuracies, min otherwise).
    min_delta : smallest change that counts as an improvement.
    restore_best_weights : put back the weights of the best epoch when training ends.

    Attributes
    ----------
    best_ : best monitored value; best_epoch_ : its epoch (0-based);
    stopped_epoch_ : epoch at which training was stopped, or None.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        tolerance: int = 7,
        mode: str = "auto",
        min_delta: float = 0.0,
        restore_best_weights: bool = True,
    ) -> None:
        if isinstance(tolerance, bool) or not isinstance(tolerance, int) or tolerance < 1:
            raise IgNetError(f"tolerance must be a positive int, got {tolerance!r}")
        if mode not in ("auto", "min", "max"):
            raise IgNetError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor = monitor
        self.tolerance = tolerance
        self.mode = mode
        self.min_delta = float(min_delta)
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self, net: Network) -> None:
        maximize = self.mode == "max" or (self.mode == "auto" and "accuracy" in self.monitor)
        self._sign = -1.0 if maximize else 1.0
        self.best_ = math.inf * self._sign
        self.best_epoch_: int | None = None
        self.stopped_epoch_: int | None = None
        self._wait = 0
        self._best_weights: list[np.ndarray] | None = None

    def on_epoch_end(self, net: Network, epoch: int, logs: dict[str, float]) -> None:
        if self.monitor not in logs:
            raise IgNetError(
                f"monitor: {self.monitor!r} is not in the history; available: {sorted(logs)}"
            )
        value = logs[self.monitor]
        if self._sign * (self.best_ - value) > self.min_delta:
            self.best_, self.best_epoch_, self._wait = value, epoch, 0
            if self.restore_best_weights:
                self._best_weights = [w for _, w in net.parameters()]
            return
        self._wait += 1
        if self._wait >= self.tolerance:
            self.stopped_epoch_ = epoch
            net.stop_training = True

    def on_train_end(self, net: Network) -> None:
        if self.restore_best_weights and self._best_weights is not None:
            net.set_parameters(self._best_weights)
