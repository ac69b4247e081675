"""Layers: Conv, Dense, MaxPool and Softmax.

Every layer works on channels-first maps ``(N, C, H, W)`` and calls back-end ops only.
A layer is configured by its constructor, sized by :meth:`Layer.build` once the input
shape is known, and given weights by :meth:`Layer.init_params` (the paper's eq. (3)).
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from ignet.activations import check_activation
from ignet.backends.base import Array, Backend, ConvGeometry
from ignet.errors import IgNetError
from ignet.init import check_range, he_range, uniform_biases, uniform_weights
from ignet.masks import check_rate, keep_mask, scaled_keep_mask
from ignet.optimizers import Optimizer

Shape = tuple[int, int, int]


def _pair(value: Any, field: str, minimum: int) -> tuple[int, int]:
    """An int or a (vertical, horizontal) pair of ints >= minimum."""
    pair = (value, value) if isinstance(value, int | np.integer) else value
    try:
        v, h = pair
    except (TypeError, ValueError):
        raise IgNetError(f"{field} must be an int or a pair of ints, got {value!r}") from None
    for item in (v, h):
        if isinstance(item, bool) or not isinstance(item, int | np.integer) or item < minimum:
            raise IgNetError(f"{field} must hold ints >= {minimum}, got {value!r}")
    return int(v), int(h)


class Layer:
    """Base class. Subclasses set :attr:`kind` and implement forward / backward.

    After :meth:`build`: ``in_shape`` and ``out_shape`` are (C, H, W) of one sample and
    ``out_user_shape`` is the shape of one sample of the network's output if this layer
    is the last one (a Dense layer gives its ``units`` shape).
    """

    kind = "layer"
    in_shape: Shape
    out_shape: Shape
    out_user_shape: tuple[int, ...]

    def __init__(self) -> None:
        self.params: dict[str, Array] = {}
        self.grads: dict[str, Array] = {}
        self.be: Backend | None = None

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-compatible), so ``type(l)(**cfg)`` rebuilds it."""
        names = inspect.signature(type(self).__init__).parameters
        return {name: _jsonable(getattr(self, name)) for name in names if name != "self"}

    def __repr__(self) -> str:
        names = inspect.signature(type(self).__init__).parameters
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in names if k != "self")
        return f"{type(self).__name__}({args})"

    def build(self, in_shape: Shape, in_user_shape: tuple[int, ...], be: Backend) -> None:
        """Size the layer for one input sample of shape (C, H, W)."""
        self.be = be
        self.in_shape = in_shape
        self.out_shape = in_shape
        self.out_user_shape = in_user_shape

    def init_params(self, rng: np.random.Generator) -> None:
        """Draw the initial parameters (layers without parameters do nothing)."""

    def draw_masks(self, rng: np.random.Generator, batch: int) -> None:
        """Draw this batch's regularisation masks (layers without masks do nothing)."""

    def learnable(self) -> list[tuple[str, Array, Array]]:
        """(name, parameter, gradient for the update) of each parameter that learns."""
        return []

    def update(self, optimizer: Optimizer, prefix: str) -> None:
        """Apply ``optimizer`` to every learnable parameter after a training backward pass;
        ``prefix`` keys the optimizer's state (velocities) of this layer."""
        assert self.be is not None
        for name, p, g in self.learnable():
            optimizer.step(self.be, f"{prefix}.{name}", p, g)

    def forward(self, x: Array, training: bool) -> Array:
        raise NotImplementedError

    def backward(self, dy: Array, need_dx: bool, fused: bool = False) -> Array | None:
        """Store parameter gradients in :attr:`grads` and return dLoss/dx if needed.

        ``fused`` means dy is already the gradient with respect to the layer's
        pre-nonlinearity values (see :meth:`ignet.losses.Loss.fused_grad`).
        """
        raise NotImplementedError

    @property
    def macs_per_sample(self) -> int:
        """Multiply-accumulates of the forward pass for one sample."""
        return 0


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


class WeightedLayer(Layer):
    """Shared by Conv and Dense: weights, bias, activation, the three masks.

    Subclasses provide the linear map: ``_linear``, ``_grad_weight`` and ``_grad_input``
    working on the layer's neuron layout (N, F, ...), and ``_kernel`` for eq. (3).
    """

    def __init__(
        self,
        activation: str,
        bias: bool,
        learn_bias: bool,
        w_range: float,
        b_range: float,
        dropout: float,
        dropconnect: float,
        freezeconnect: float,
    ) -> None:
        super().__init__()
        self.activation = check_activation(activation)
        self.bias = bool(bias)
        self.learn_bias = bool(learn_bias)
        self.w_range = check_range(w_range, "w_range")
        self.b_range = check_range(b_range, "b_range")
        self.dropout = check_rate(dropout, "dropout")
        self.dropconnect = check_rate(dropconnect, "dropconnect")
        self.freezeconnect = check_rate(freezeconnect, "freezeconnect")
        self._masks: dict[str, Array] = {}
        self._factors: tuple[Array, Array, bool, bool] | None = None

    w_shape: tuple[int, ...]
    _kernel: tuple[int, int]

    def _neuron_shape(self, n: int) -> tuple[int, ...]:
        return (n, *self.out_shape)

    def init_params(self, rng: np.random.Generator) -> None:
        assert self.be is not None
        dtype = self.be.dtype
        w = uniform_weights(rng, self.w_shape, self.w_range, self._kernel, dtype)
        self.params = {"W": self.be.asarray(w)}
        if self.bias:
            b = uniform_biases(rng, (self.w_shape[0],), self.b_range, dtype)
            self.params["b"] = self.be.asarray(b)
        self.grads = {}

    def he_range(self) -> float:
        """The ``w_range`` that starts this (built) layer from He's uniform bound."""
        return he_range(self._kernel, math.prod(self.w_shape[1:]))

    def draw_masks(self, rng: np.random.Generator, batch: int) -> None:
        assert self.be is not None
        dtype, be = self.be.dtype, self.be
        self._masks = {}
        if self.dropout:
            shape = self._neuron_shape(batch)
            self._masks["dropout"] = be.asarray(scaled_keep_mask(rng, shape, self.dropout, dtype))
        if self.dropconnect:
            mask = scaled_keep_mask(rng, self.w_shape, self.dropconnect, dtype)
            self._masks["dropconnect"] = be.asarray(mask)
        if self.freezeconnect:
            mask = keep_mask(rng, self.w_shape, self.freezeconnect, dtype)
            self._masks["freezeconnect"] = be.asarray(mask)

    def learnable(self) -> list[tuple[str, Array, Array]]:
        assert self.be is not None
        out = []
        if self._factors is None:
            g = self.grads["W"]
            if "freezeconnect" in self._masks:
                g = self.be.mul(g, self._masks["freezeconnect"])
            out.append(("W", self.params["W"], g))
        if self.bias and self.learn_bias:
            out.append(("b", self.params["b"], self.grads["b"]))
        return out

    def update(self, optimizer: Optimizer, prefix: str) -> None:
        assert self.be is not None
        if self._factors is not None:
            w = self.params["W"]
            w2 = self.be.reshape(w, (self.w_shape[0], math.prod(self.w_shape[1:])))
            optimizer.step_product(self.be, f"{prefix}.W", w, w2, self._factors)
        super().update(optimizer, prefix)

    def forward(self, x: Array, training: bool) -> Array:
        be = self.be
        assert be is not None
        masks = self._masks if training else {}
        w = self.params["W"]
        if "dropconnect" in masks:
            w = be.mul(w, masks["dropconnect"])
        z = self._linear(x, w)
        if self.bias:
            be.add_bias(z, self.params["b"])
        a = be.activation(self.activation, z)
        y = be.mul(a, masks["dropout"]) if "dropout" in masks else a
        self._x, self._z, self._a, self._w_used, self._used_masks = x, z, a, w, masks
        self._training = training
        return be.reshape(y, (x.shape[0], *self.out_shape))

    def backward(self, dy: Array, need_dx: bool, fused: bool = False) -> Array | None:
        be = self.be
        assert be is not None
        masks = self._used_masks
        dy = be.reshape(dy, self._neuron_shape(dy.shape[0]))
        if "dropout" in masks:
            dy = be.mul(dy, masks["dropout"])
        if fused or self.activation == "identity":
            dz = dy
        else:
            dz = be.mul(dy, be.activation_grad(self.activation, self._z, self._a))
        self._dz = dz
        # In training without weight masks a dense layer hands its weight gradient to
        # update() as the two factors of its product, so that the optimizer can fold the
        # update into that GEMM; grads then holds no "W".
        foldable = self._training and not {"dropconnect", "freezeconnect"} & masks.keys()
        self._factors = self._weight_factors(dz) if foldable else None
        self.grads = {}
        if self._factors is None:
            dw = self._grad_weight(dz)
            if "dropconnect" in masks:
                dw = be.mul(dw, masks["dropconnect"])
            self.grads["W"] = dw
        # Training never reads the gradient of a fixed bias; gradients() and the
        # diagnostics (masks off) report it.
        if self.bias and (self.learn_bias or not self._training):
            self.grads["b"] = be.reduce_sum(dz, tuple(i for i in range(dz.ndim) if i != 1))
        return self._grad_input(dz, self._w_used) if need_dx else None

    def trace(self) -> dict[str, Array]:
        """Arrays of the last forward and backward pass, for the diagnostics.

        ``input`` (x), ``preactivation`` (z = conv(x, W) + b), ``activation`` (f(z))
        and ``neuron_grad`` (dLoss/dz).
        """
        return {
            "input": self._x,
            "preactivation": self._z,
            "activation": self._a,
            "neuron_grad": self._dz,
        }

    def _linear(self, x: Array, w: Array) -> Array:
        raise NotImplementedError

    def _grad_weight(self, dz: Array) -> Array:
        raise NotImplementedError

    def _weight_factors(self, dz: Array) -> tuple[Array, Array, bool, bool] | None:
        """dLoss/dW as ``(a, b, trans_a, trans_b)`` of one matrix product, or None."""
        return None

    def _grad_input(self, dz: Array, w: Array) -> Array:
        raise NotImplementedError


class Conv(WeightedLayer):
    """Convolution layer.

    Parameters
    ----------
    filters : number of filters (output channels).
    kernel : v x h filter size, an int or a pair.
    stride : step of the filter, an int or a pair.
    padding : zero padding: zeros added around the input map's border.
    input_padding : zeros inserted between neighbouring input elements (before the
        zero padding), as in a fractionally strided convolution: an H x W map becomes
        ((H-1)(p+1)+1) x ((W-1)(p+1)+1).
    activation : see :mod:`ignet.activations`; ``"identity"`` as in the paper.
    bias : whether the layer has one bias per filter.
    learn_bias : whether the biases are updated (the paper's best runs keep them fixed).
    w_range, b_range : the eq. (3) amplitudes W_n and B_n.
    dropout, dropconnect, freezeconnect : rates, see :mod:`ignet.masks`.
    """

    kind = "conv"

    def __init__(
        self,
        filters: int,
        kernel: int | tuple[int, int] = 3,
        *,
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        input_padding: int | tuple[int, int] = 0,
        activation: str = "identity",
        bias: bool = True,
        learn_bias: bool = True,
        w_range: float = 1.0,
        b_range: float = 0.1,
        dropout: float = 0.0,
        dropconnect: float = 0.0,
        freezeconnect: float = 0.0,
    ) -> None:
        super().__init__(
            activation, bias, learn_bias, w_range, b_range, dropout, dropconnect, freezeconnect
        )
        if isinstance(filters, bool) or not isinstance(filters, int | np.integer) or filters < 1:
            raise IgNetError(f"filters must be a positive int, got {filters!r}")
        self.filters = int(filters)
        self.kernel = _pair(kernel, "kernel", 1)
        self.stride = _pair(stride, "stride", 1)
        self.padding = _pair(padding, "padding", 0)
        self.input_padding = _pair(input_padding, "input_padding", 0)

    def build(self, in_shape: Shape, in_user_shape: tuple[int, ...], be: Backend) -> None:
        super().build(in_shape, in_user_shape, be)
        self.geom = ConvGeometry(
            in_shape, self.filters, self.kernel, self.stride, self.padding, self.input_padding
        )
        f, ho, wo = self.geom.out_shape
        if ho < 1 or wo < 1:
            raise IgNetError(
                f"kernel {self.kernel} does not fit the {in_shape[1]}x{in_shape[2]} input map "
                f"(padded to {self.geom.padded[0]}x{self.geom.padded[1]})"
            )
        self.out_shape = self.out_user_shape = (f, ho, wo)
        self.w_shape = (f, in_shape[0], *self.kernel)
        self._kernel = self.kernel

    @property
    def macs_per_sample(self) -> int:
        return self.geom.macs_per_sample

    def _linear(self, x: Array, w: Array) -> Array:
        assert self.be is not None
        z, self._saved = self.be.conv2d(x, w, self.geom)
        return z

    def _grad_weight(self, dz: Array) -> Array:
        assert self.be is not None
        return self.be.conv2d_grad_weight(dz, self._saved, self.geom)

    def _grad_input(self, dz: Array, w: Array) -> Array:
        assert self.be is not None
        return self.be.conv2d_grad_input(dz, w, self.geom)


class Dense(WeightedLayer):
    """Fully connected layer: a convolution whose filter covers the whole input map.

    Parameters
    ----------
    units : number of output neurons, or a (rows, cols) pair for a matrix of neurons.
        Inside the network a vector of k neurons is a (k, 1, 1) map and a matrix a
        (1, rows, cols) map, so another layer can follow either.
    activation, bias, learn_bias, w_range, b_range, dropout, dropconnect, freezeconnect :
        as for :class:`Conv`. For eq. (3) the filter's v x h is the input map's H x W.
    """

    kind = "dense"

    def __init__(
        self,
        units: int | tuple[int, int],
        *,
        activation: str = "identity",
        bias: bool = True,
        learn_bias: bool = True,
        w_range: float = 1.0,
        b_range: float = 0.1,
        dropout: float = 0.0,
        dropconnect: float = 0.0,
        freezeconnect: float = 0.0,
    ) -> None:
        super().__init__(
            activation, bias, learn_bias, w_range, b_range, dropout, dropconnect, freezeconnect
        )
        if isinstance(units, int | np.integer) and not isinstance(units, bool):
            if units < 1:
                raise IgNetError(f"units must be >= 1, got {units!r}")
            self.units: int | tuple[int, int] = int(units)
        else:
            self.units = _pair(units, "units", 1)

    def build(self, in_shape: Shape, in_user_shape: tuple[int, ...], be: Backend) -> None:
        super().build(in_shape, in_user_shape, be)
        if isinstance(self.units, int):
            self.out_shape, self.out_user_shape = (self.units, 1, 1), (self.units,)
        else:
            self.out_shape, self.out_user_shape = (1, *self.units), self.units
        self.n_neurons = math.prod(self.out_user_shape)
        self.w_shape = (self.n_neurons, *in_shape)
        self._kernel = (in_shape[1], in_shape[2])
        self._fan_in = math.prod(in_shape)

    @property
    def macs_per_sample(self) -> int:
        return self.n_neurons * self._fan_in

    def _neuron_shape(self, n: int) -> tuple[int, ...]:
        return (n, self.n_neurons)

    def _linear(self, x: Array, w: Array) -> Array:
        be = self.be
        assert be is not None
        x2 = be.reshape(x, (x.shape[0], self._fan_in))
        return be.matmul(x2, be.reshape(w, (self.n_neurons, self._fan_in)), trans_b=True)

    def _grad_weight(self, dz: Array) -> Array:
        assert self.be is not None
        return self.be.reshape(self.be.matmul(*self._weight_factors(dz)), self.w_shape)

    def _weight_factors(self, dz: Array) -> tuple[Array, Array, bool, bool]:
        assert self.be is not None
        return dz, self.be.reshape(self._x, (dz.shape[0], self._fan_in)), True, False

    def _grad_input(self, dz: Array, w: Array) -> Array:
        be = self.be
        assert be is not None
        dx = be.matmul(dz, be.reshape(w, (self.n_neurons, self._fan_in)))
        return be.reshape(dx, (dz.shape[0], *self.in_shape))


class MaxPool(Layer):
    """Max pooling over size windows moved by stride (default: stride = size)."""

    kind = "maxpool"

    def __init__(
        self, size: int | tuple[int, int] = 2, stride: int | tuple[int, int] | None = None
    ) -> None:
        super().__init__()
        self.size = _pair(size, "size", 1)
        self.stride = self.size if stride is None else _pair(stride, "stride", 1)

    def build(self, in_shape: Shape, in_user_shape: tuple[int, ...], be: Backend) -> None:
        super().build(in_shape, in_user_shape, be)
        c, h, w = in_shape
        (pv, ph), (sv, sh) = self.size, self.stride
        if pv > h or ph > w:
            raise IgNetError(f"size {self.size} does not fit the {h}x{w} input map")
        self.out_shape = self.out_user_shape = (c, (h - pv) // sv + 1, (w - ph) // sh + 1)

    def forward(self, x: Array, training: bool) -> Array:
        assert self.be is not None
        y, self._saved = self.be.maxpool(x, self.size, self.stride)
        return y

    def backward(self, dy: Array, need_dx: bool, fused: bool = False) -> Array | None:
        assert self.be is not None
        return self.be.maxpool_grad(dy, self._saved) if need_dx else None


class Softmax(Layer):
    """Softmax over all neurons of a sample; usually last, before a cross-entropy loss."""

    kind = "softmax"

    def forward(self, x: Array, training: bool) -> Array:
        assert self.be is not None
        self._y = self.be.softmax(x)
        return self._y

    def backward(self, dy: Array, need_dx: bool, fused: bool = False) -> Array | None:
        assert self.be is not None
        if fused:
            return dy
        return self.be.softmax_grad(self._y, dy) if need_dx else None


LAYERS: dict[str, type[Layer]] = {cls.__name__: cls for cls in (Conv, Dense, MaxPool, Softmax)}
