"""The op set every IgNet back end implements.

Layers, losses, optimizers and diagnostics touch tensors only through these ops, so a new
back end (OpenCL next) implements this class and nothing else. Tensors are opaque "device
arrays" of the back end's ``dtype``; only :meth:`Backend.to_host` returns numpy arrays.

Layout conventions
------------------
* Maps are channels-first: ``(N, C, H, W)``. Dense layers work on 2-D ``(N, K)`` views.
* Conv weights are ``(F, C, v, h)``: F filters, C input channels, a v x h kernel.
* ``saved`` values returned by forward ops are opaque and only passed back to the matching
  backward op of the same back end.

The ops
-------
========================  ===============================================================
memory                    ``asarray``, ``to_host``, ``zeros``, ``reshape``
convolution               ``conv2d``, ``conv2d_grad_input``, ``conv2d_grad_weight``
dense                     ``matmul`` (with transpose flags), ``gemm_update``
bias                      ``add_bias`` (in place), ``reduce_sum``
pooling                   ``maxpool``, ``maxpool_grad``
elementwise               ``activation``, ``activation_grad``, ``softmax``,
                          ``softmax_grad``, ``mul``, ``sub``, ``scale``, ``unary``
update                    ``axpby`` (in place)
reductions to the host    ``mean_abs``
========================  ===============================================================

The unary ops (:data:`UNARY_OPS`) are what the losses need: ``abs``, ``sign``, ``square``,
``log`` and ``reciprocal`` (both clipped below at :data:`EPS` so that they stay finite), and
``complement`` (``1 - x``).
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ignet.errors import IgNetError

Array = Any
"""A back end's device array (a numpy array for the numpy back end)."""

UNARY_OPS = ("abs", "sign", "square", "log", "reciprocal", "complement")
EPS = 1e-7


@dataclass(frozen=True)
class ConvGeometry:
    """Shapes of one convolution.

    Input padding inserts ``input_padding`` zeros between neighbouring input elements
    (a fractionally strided, "transposed", convolution); zero padding then adds
    ``padding`` zeros around the border; the ``kernel`` slides over that map by ``stride``.

    Parameters
    ----------
    in_shape : (C, H, W) of one input sample.
    filters : number of filters F.
    kernel, stride, padding, input_padding : (vertical, horizontal) pairs.
    """

    in_shape: tuple[int, int, int]
    filters: int
    kernel: tuple[int, int]
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    input_padding: tuple[int, int] = (0, 0)

    @property
    def dilated(self) -> tuple[int, int]:
        """Height and width after input padding."""
        _, h, w = self.in_shape
        iv, ih = self.input_padding
        return (h - 1) * (iv + 1) + 1, (w - 1) * (ih + 1) + 1

    @property
    def padded(self) -> tuple[int, int]:
        """Height and width after input padding and zero padding."""
        hd, wd = self.dilated
        return hd + 2 * self.padding[0], wd + 2 * self.padding[1]

    @property
    def out_shape(self) -> tuple[int, int, int]:
        """(F, Ho, Wo) of one output sample; Ho or Wo < 1 means the kernel does not fit."""
        hp, wp = self.padded
        (v, h), (sv, sh) = self.kernel, self.stride
        return self.filters, (hp - v) // sv + 1, (wp - h) // sh + 1

    @property
    def macs_per_sample(self) -> int:
        """Multiply-accumulates of the forward pass for one sample."""
        f, ho, wo = self.out_shape
        return f * ho * wo * self.in_shape[0] * self.kernel[0] * self.kernel[1]


def check_settings(dtype: str | np.dtype, threads: int) -> tuple[np.dtype, int]:
    """Validate the settings every back end takes: a float dtype and a thread count."""
    checked = np.dtype(dtype)
    if checked not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise IgNetError(f"dtype must be float32 or float64, got {dtype!r}")
    if isinstance(threads, bool) or not isinstance(threads, int | np.integer) or threads < 1:
        raise IgNetError(f"threads must be a positive integer, got {threads!r}")
    return checked, int(threads)


class Backend(ABC):
    """The op contract. Subclasses set :attr:`name`, :attr:`dtype` and :attr:`threads`.

    Binary elementwise ops take operands of the same shape.
    """

    name: str
    dtype: np.dtype
    threads: int

    def scope(self) -> contextlib.AbstractContextManager[None]:
        """Context entered around a whole fit / predict (thread limits, device queues)."""
        return contextlib.nullcontext()

    # memory -------------------------------------------------------------------------
    @abstractmethod
    def asarray(self, x: np.ndarray) -> Array:
        """Copy a host array to the device, in :attr:`dtype`."""

    @abstractmethod
    def to_host(self, x: Array) -> np.ndarray:
        """Copy a device array to a numpy array."""

    @abstractmethod
    def zeros(self, shape: Sequence[int]) -> Array:
        """A new zero-filled device array."""

    @abstractmethod
    def reshape(self, x: Array, shape: Sequence[int]) -> Array:
        """A view of contiguous ``x`` with a new shape of the same size."""

    # convolution --------------------------------------------------------------------
    @abstractmethod
    def conv2d(self, x: Array, w: Array, geom: ConvGeometry) -> tuple[Array, Any]:
        """Cross-correlate ``x`` (N, C, H, W) with ``w`` (F, C, v, h).

        Returns ``(y, saved)``: y is (N, F, Ho, Wo); saved goes to ``conv2d_grad_weight``.
        """

    @abstractmethod
    def conv2d_grad_input(self, dy: Array, w: Array, geom: ConvGeometry) -> Array:
        """dLoss/dx (N, C, H, W) from dLoss/dy (N, F, Ho, Wo)."""

    @abstractmethod
    def conv2d_grad_weight(self, dy: Array, saved: Any, geom: ConvGeometry) -> Array:
        """dLoss/dw (F, C, v, h) from dLoss/dy and the forward pass's ``saved``."""

    @abstractmethod
    def matmul(self, a: Array, b: Array, trans_a: bool = False, trans_b: bool = False) -> Array:
        """2-D matrix product op(a) @ op(b), op transposing when its flag is set."""

    def gemm_update(
        self,
        y: Array,
        a: Array,
        b: Array,
        alpha: float,
        beta: float,
        trans_a: bool = False,
        trans_b: bool = False,
    ) -> None:
        """In place: ``y <- alpha * op(a) @ op(b) + beta * y`` for a 2-D view ``y``.

        An update folded into the product that makes the gradient (BLAS's ``beta``):
        no gradient array is written and read back. This default does it in two ops.
        """
        self.axpby(y, self.matmul(a, b, trans_a, trans_b), alpha, beta)

    # bias ---------------------------------------------------------------------------
    @abstractmethod
    def add_bias(self, y: Array, b: Array) -> None:
        """In place: ``y[:, f, ...] += b[f]`` for y of shape (N, F, ...)."""

    @abstractmethod
    def reduce_sum(self, x: Array, axes: tuple[int, ...] | None = None) -> Array:
        """Sum over ``axes`` (all axes when None, giving a 0-d array)."""

    # pooling ------------------------------------------------------------------------
    @abstractmethod
    def maxpool(
        self, x: Array, size: tuple[int, int], stride: tuple[int, int]
    ) -> tuple[Array, Any]:
        """Max over size windows moved by stride (windows that do not fit are dropped).

        Returns ``(y, saved)``; saved goes to ``maxpool_grad``.
        """

    @abstractmethod
    def maxpool_grad(self, dy: Array, saved: Any) -> Array:
        """dLoss/dx of a max pooling: each window's gradient goes to its maximum."""

    # elementwise --------------------------------------------------------------------
    @abstractmethod
    def activation(self, name: str, x: Array) -> Array:
        """Apply an activation (see :mod:`ignet.activations`) elementwise."""

    @abstractmethod
    def activation_grad(self, name: str, x: Array, y: Array) -> Array:
        """The activation's derivative at ``x``, given its output ``y``."""

    @abstractmethod
    def softmax(self, x: Array) -> Array:
        """Softmax of each sample over all its non-batch axes."""

    @abstractmethod
    def softmax_grad(self, y: Array, dy: Array) -> Array:
        """dLoss/dx of a softmax with output y, from dLoss/dy."""

    @abstractmethod
    def mul(self, a: Array, b: Array) -> Array:
        """Elementwise product (masks, activation derivatives, targets)."""

    @abstractmethod
    def sub(self, a: Array, b: Array) -> Array:
        """Elementwise difference ``a - b``."""

    @abstractmethod
    def scale(self, x: Array, alpha: float) -> Array:
        """``alpha * x``."""

    @abstractmethod
    def unary(self, op: str, x: Array) -> Array:
        """One of :data:`UNARY_OPS`, elementwise."""

    # update -------------------------------------------------------------------------
    @abstractmethod
    def axpby(self, y: Array, x: Array, a: float, b: float) -> None:
        """In place: ``y <- a * x + b * y`` (the optimizers' update)."""

    # reductions to the host ---------------------------------------------------------
    @abstractmethod
    def mean_abs(self, x: Array) -> float:
        """Mean absolute value as a Python float (NaN or inf when x holds one)."""
