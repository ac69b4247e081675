"""Loss functions, written with back-end ops only.

========= =========================================== ==================================
name      value (mean over the batch)                 fused with
========= =========================================== ==================================
``mse``   mean of (out - y)^2 over all neurons        --
``mae``   mean of |out - y| over all neurons          --
``ce``    -sum(y log p) per sample (softmax outputs)  a final Softmax layer: d/dx = p - y
``bce``   -[y log s + (1-y) log(1-s)] per neuron      a final sigmoid layer: d/dz = s - y
========= =========================================== ==================================

A fused gradient skips the last layer's own derivative (softmax, or the sigmoid's), which
is exact and numerically safer than multiplying a 1/p by a p (1 - p).
"""

from __future__ import annotations

import math
from typing import Any

from ignet.backends.base import Array, Backend
from ignet.errors import IgNetError

LOSSES = ("mse", "mae", "ce", "bce")


class Loss:
    """A loss: value and gradient with respect to the network's output."""

    name: str

    def value_and_grad(self, be: Backend, out: Array, y: Array) -> tuple[float, Array]:
        """The mean loss over the batch and dLoss/d(out)."""
        raise NotImplementedError

    def value(self, be: Backend, out: Array, y: Array) -> float:
        """The mean loss over the batch."""
        return self.value_and_grad(be, out, y)[0]

    def fuses_with(self, layer: Any) -> bool:
        """Whether :meth:`fused_grad` applies to a network ending in ``layer``."""
        return False

    def fused_grad(self, be: Backend, out: Array, y: Array) -> Array:
        """dLoss/d(input of the last layer's nonlinearity), when :meth:`fuses_with`."""
        raise NotImplementedError


def _total(be: Backend, x: Array) -> float:
    return float(be.to_host(be.reduce_sum(x)))


def _size(x: Array) -> int:
    return math.prod(x.shape)


class MSE(Loss):
    name = "mse"

    def value_and_grad(self, be: Backend, out: Array, y: Array) -> tuple[float, Array]:
        d = be.sub(out, y)
        n = _size(d)
        return _total(be, be.unary("square", d)) / n, be.scale(d, 2 / n)


class MAE(Loss):
    name = "mae"

    def value_and_grad(self, be: Backend, out: Array, y: Array) -> tuple[float, Array]:
        d = be.sub(out, y)
        return be.mean_abs(d), be.scale(be.unary("sign", d), 1 / _size(d))


class CrossEntropy(Loss):
    """Categorical cross-entropy of probabilities (softmax outputs) against one-hot y."""

    name = "ce"

    def value(self, be: Backend, out: Array, y: Array) -> float:
        return -_total(be, be.mul(y, be.unary("log", out))) / out.shape[0]

    def value_and_grad(self, be: Backend, out: Array, y: Array) -> tuple[float, Array]:
        grad = be.scale(be.mul(y, be.unary("reciprocal", out)), -1 / out.shape[0])
        return self.value(be, out, y), grad

    def fuses_with(self, layer: Any) -> bool:
        return getattr(layer, "kind", None) == "softmax"

    def fused_grad(self, be: Backend, out: Array, y: Array) -> Array:
        return be.scale(be.sub(out, y), 1 / out.shape[0])


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy of sigmoid outputs against 0/1 targets (multi-label)."""

    name = "bce"

    def value(self, be: Backend, out: Array, y: Array) -> float:
        pos = be.mul(y, be.unary("log", out))
        neg = be.mul(be.unary("complement", y), be.unary("log", be.unary("complement", out)))
        return -(_total(be, pos) + _total(be, neg)) / _size(out)

    def value_and_grad(self, be: Backend, out: Array, y: Array) -> tuple[float, Array]:
        # d/ds = (s - y) / (s (1 - s)) per neuron
        spread = be.mul(out, be.unary("complement", out))
        grad = be.mul(be.sub(out, y), be.unary("reciprocal", spread))
        return self.value(be, out, y), be.scale(grad, 1 / _size(out))

    def fuses_with(self, layer: Any) -> bool:
        return getattr(layer, "activation", None) == "sigmoid"

    def fused_grad(self, be: Backend, out: Array, y: Array) -> Array:
        return be.scale(be.sub(out, y), 1 / _size(out))


_LOSSES: dict[str, type[Loss]] = {
    "mse": MSE,
    "mae": MAE,
    "ce": CrossEntropy,
    "bce": BinaryCrossEntropy,
}


def get_loss(name: str | Loss) -> Loss:
    """A loss by name (see :data:`LOSSES`), or the given Loss object."""
    if isinstance(name, Loss):
        return name
    if name not in _LOSSES:
        raise IgNetError(f"loss: unknown name {name!r}; choose from {LOSSES}")
    return _LOSSES[name]()
