"""The OpenCL back end: pyopencl device arrays and hand-written kernels.

Kernels live in ``kernels/*.cl`` next to this module (OpenCL C 1.2). They are built once
per (context, dtype) into one program and cached for the life of the process; the
context, the in-order queue and the memory pool are per device
(:func:`ignet.backends.opencl.devices.device_state`), so that every network on a device
shares them. Tensors are :class:`CLArray` objects (a pooled device buffer with a shape)
that stay on the device: a training batch enqueues its forward pass, backward pass and
update without waiting, and the host reads back only what the network asks for (the
loss and the outputs of each batch).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ignet.backends.base import EPS, UNARY_OPS, Array, Backend, ConvGeometry, check_settings
from ignet.backends.opencl.devices import (
    choose_device,
    cl,
    device_state,
    has_fp64,
    is_pocl,
    type_name,
)
from ignet.errors import IgNetError

KERNEL_DIR = Path(__file__).with_name("kernels")
# common.cl holds the shared defines, so it goes first; the rest in name order.
_KERNEL_FILES = ("common.cl", "gemm.cl", "conv.cl", "pool.cl", "elementwise.cl", "reduce.cl")

# Register-blocking sizes passed to the kernels as -D defines (see gemm.cl).
_VW, _RM, _KM, _KN, _VK = 16, 8, 4, 4, 8
_LOCAL_1D = 128
_LOCAL_VN = (8, 4, 1)
_LOCAL_VK = (8, 2, 1)
_LOCAL_ROWS = (8, 8)
_TRANSPOSE_TILE = 16
# A reduction whose chunks are longer than this is split into two passes.
_CHUNK = 2048
# On GPUs a product with fewer blocks of C than this many per compute unit cuts its sum
# into parts (see gemm.cl), each at least _PART_MIN terms long.
_BLOCKS_PER_UNIT = 64
_PART_MIN = 64

_ACTIVATIONS = ("identity", "sigmoid", "bipolar_sigmoid", "relu", "tanh")


class CLArray:
    """A C-contiguous device array: a pooled OpenCL buffer, a shape and a dtype.

    Deliberately small: the engine only reads ``shape``, ``ndim`` and ``len``, and a back end
    creates a few dozen of these per batch, where :class:`pyopencl.array.Array`'s
    construction cost (tens of microseconds) would show.
    """

    __slots__ = ("data", "dtype", "ndim", "queue", "shape", "size")

    def __init__(self, queue: Any, data: Any, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.queue = queue
        self.data = data
        self.shape = shape
        self.ndim = len(shape)
        self.size = math.prod(shape)
        self.dtype = dtype

    def __repr__(self) -> str:
        return f"CLArray(shape={self.shape}, dtype={self.dtype.name})"

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    def reshape(self, shape: tuple[int, ...]) -> CLArray:
        """A view with another shape of the same size."""
        return CLArray(self.queue, self.data, shape, self.dtype)

    def get(self) -> np.ndarray:
        """Copy to a new numpy array (waits for the work that writes this array)."""
        host = np.empty(self.shape, dtype=self.dtype)
        if self.size:
            cl.enqueue_copy(self.queue, host, self.data, is_blocking=True)
        return host


# Keyed by (context int_ptr, dtype name): the built program's kernels.
_PROGRAMS: dict[tuple[int, str], dict[str, Any]] = {}


def _kernel_source() -> str:
    return "\n".join((KERNEL_DIR / name).read_text() for name in _KERNEL_FILES)


def _build(context: Any, dtype: np.dtype) -> dict[str, Any]:
    """The kernels of the program for (context, dtype), built on first use."""
    key = (context.int_ptr, dtype.name)
    kernels = _PROGRAMS.get(key)
    if kernels is None:
        real = "double" if dtype == np.float64 else "float"
        options = [
            "-cl-std=CL1.2",
            "-cl-kernel-arg-info",
            f"-DREAL={real}",
            f"-DVW={_VW}",
            f"-DRM={_RM}",
            f"-DKM={_KM}",
            f"-DKN={_KN}",
            f"-DVK={_VK}",
            f"-DIGNET_EPS_VALUE={EPS!r}",
        ]
        if dtype == np.float64:
            options.append("-DIGNET_FP64")
        if any(is_pocl(d) for d in context.devices):
            options.append("-DIGNET_VECTOR_CAST")
        try:
            program = cl.Program(context, _kernel_source()).build(options=options)
        except cl.Error as error:
            raise IgNetError(f"building the OpenCL kernels ({real}) failed: {error}") from None
        kernels = {k.function_name: k for k in program.all_kernels()}
        for kernel in kernels.values():
            kernel.set_scalar_arg_dtypes(_arg_dtypes(kernel))
        _PROGRAMS[key] = kernels
    return kernels


_SCALARS = {"int": np.int32, "float": np.float32, "double": np.float64}


def _arg_dtypes(kernel: Any) -> list[Any]:
    """numpy types of a kernel's scalar arguments (None for buffers), so that pyopencl
    packs plain Python numbers without per-call conversions."""
    types = []
    for i in range(kernel.num_args):
        name = kernel.get_arg_info(i, cl.kernel_arg_info.TYPE_NAME).strip()
        types.append(None if name.endswith("*") else _SCALARS[name.replace("const ", "")])
    return types


def _round_up(size: int, local: int) -> int:
    return -(-size // local) * local


class OpenCLBackend(Backend):
    """OpenCL back end (pyopencl; runs on PoCL's CPU device or any GPU).

    Convolutions gather patches per sample into columns (N, C*v*h, Ho*Wo); the forward
    product and both gradients are register-blocked GEMM kernels over them, and the
    dense layer's products are the same kernels (see ``kernels/gemm.cl``).

    Parameters
    ----------
    dtype : "float32" (default) or "float64" (needs a device with cl_khr_fp64).
    threads : kept for the common interface; the OpenCL driver decides how many
        threads a CPU device uses (PoCL: ``POCL_MAX_PTHREAD_COUNT``).
    device : an index into :func:`list_devices` or a part of a device's name; None
        (default) takes ``PYOPENCL_CTX`` when set, else the first GPU, else the first
        CPU device.

    Raises
    ------
    IgNetError
        When pyopencl or an OpenCL device is missing (the message says how to install
        them), or the device cannot do the dtype.
    """

    name = "opencl"

    def __init__(
        self,
        dtype: str | np.dtype = "float32",
        threads: int = 1,
        device: int | str | None = None,
    ) -> None:
        self.dtype, threads = check_settings(dtype, threads)
        self.threads = int(threads)
        self.device = choose_device(device)
        if self.dtype == np.float64 and not has_fp64(self.device):
            raise IgNetError(
                f"dtype float64 needs cl_khr_fp64, which the OpenCL device "
                f"{self.device.name.strip()!r} lacks; use dtype float32"
            )
        state = device_state(self.device)
        self.context, self.queue, self._allocator = state.context, state.queue, state.allocator
        self._k = _build(self.context, self.dtype)
        # While a list: each launch's (kernel name, event), for a queue made with
        # profiling on (ignet.backends.opencl.profile).
        self.events: list[tuple[str, Any]] | None = None
        # A GPU wants many short work-items; a CPU device has a few cores to feed.
        gpu = bool(self.device.type & cl.device_type.GPU)
        self.split_below = _BLOCKS_PER_UNIT * int(self.device.max_compute_units) if gpu else 0

    def __repr__(self) -> str:
        return f"OpenCLBackend(dtype={self.dtype.name!r}, device={self.device_name!r})"

    @property
    def device_name(self) -> str:
        """The device's name as the driver reports it."""
        return str(self.device.name.strip())

    @property
    def device_type(self) -> str:
        """``"GPU"``, ``"CPU"``, ``"accelerator"`` or ``"other"``."""
        return type_name(self.device)

    def scope(self) -> contextlib.AbstractContextManager[None]:
        return self._finish_after()

    @contextlib.contextmanager
    def _finish_after(self) -> Iterator[None]:
        try:
            yield
        finally:
            self.queue.finish()

    # helpers ------------------------------------------------------------------------
    def _empty(self, shape: Sequence[int], dtype: Any = None) -> CLArray:
        dtype = self.dtype if dtype is None else np.dtype(dtype)
        shape = tuple(int(d) for d in shape)
        nbytes = max(math.prod(shape), 1) * dtype.itemsize
        return CLArray(self.queue, self._allocator.allocate(nbytes), shape, dtype)

    def _launch(self, name: str, gsize: Sequence[int], lsize: Sequence[int], *args: Any) -> None:
        """Enqueue a kernel; global sizes are rounded up to the local size (kernels guard)."""
        if min(gsize) <= 0:
            return
        grid = tuple(_round_up(g, loc) for g, loc in zip(gsize, lsize, strict=True))
        values = [a.data if isinstance(a, CLArray) else a for a in args]
        event = self._k[name](self.queue, grid, tuple(lsize), *values)
        if self.events is not None:
            self.events.append((name, event))

    def _map1(self, name: str, n: int, *args: Any) -> None:
        """Enqueue a kernel over n work-items whose first argument is n."""
        self._launch(name, (n,), (max(1, min(_LOCAL_1D, n)),), n, *args)

    # memory -------------------------------------------------------------------------
    def asarray(self, x: np.ndarray) -> CLArray:
        host = np.ascontiguousarray(x, dtype=self.dtype)
        out = self._empty(host.shape)
        if host.size:
            # blocking: the host array may be a temporary
            cl.enqueue_copy(self.queue, out.data, host, is_blocking=True)
        return out

    def to_host(self, x: Array) -> np.ndarray:
        if isinstance(x, np.ndarray):
            return np.array(x, copy=True)
        return x.get()

    def zeros(self, shape: Sequence[int]) -> CLArray:
        out = self._empty(shape)
        self._map1("fill", out.size, 0.0, out)
        return out

    def reshape(self, x: Array, shape: Sequence[int]) -> CLArray:
        shape = tuple(int(s) for s in shape)
        if math.prod(shape) != x.size:
            raise IgNetError(f"cannot reshape an array of shape {x.shape} to {shape}")
        return x.reshape(shape)

    # matrix products ----------------------------------------------------------------
    def _parts(self, blocks: int, length: int) -> int:
        """Into how many parts a product with ``blocks`` work-items cuts its sum of
        ``length`` terms (1 on CPU devices and wherever the blocks are enough)."""
        if blocks >= self.split_below or length < 2 * _PART_MIN:
            return 1
        return min(-(-self.split_below // blocks), length // _PART_MIN)

    def _sum_parts(self, out: CLArray, shape: tuple[int, ...]) -> CLArray:
        """out (parts, *shape) summed over its parts, as an array of ``shape``."""
        if out.shape[0] > 1:
            out = self._reduce_mid(out, 1, out.shape[0], math.prod(shape), False)
        return out.reshape(shape)

    def _gemm_vn(
        self,
        m: int,
        n: int,
        k: int,
        a: Any,
        a_sm: int,
        a_sk: int,
        b: Any,
        ldb: int,
        batch: int = 1,
        strides: tuple[int, int] = (0, 0),
    ) -> CLArray:
        """(batch, m, n): A[t] (m x k, element (i, l) at i*a_sm + l*a_sk) @ b[t] (k x n)."""
        grid = (-(-n // _VW), -(-m // _RM))
        kc = max(1, -(-k // self._parts(math.prod(grid) * batch, k)))
        parts = max(1, -(-k // kc))
        out = self._empty((parts, batch, m, n))
        self._launch(
            "gemm_vn",
            (*grid, batch * parts),
            _LOCAL_VN,
            m, n, k, a, a_sm, a_sk, strides[0], b, ldb, strides[1], out, n, m * n,
            parts, kc, batch * m * n,
        )  # fmt: skip
        return self._sum_parts(out, (batch, m, n))

    def _gemm_vk(
        self,
        m: int,
        n: int,
        k: int,
        a: Any,
        lda: int,
        b: Any,
        ldb: int,
        batch: int = 1,
        strides: tuple[int, int] = (0, 0),
    ) -> CLArray:
        """(m, n): the sum over t of a[t] (m x k) @ b[t]^T, b[t] being (n x k)."""
        grid = (-(-n // _KN), -(-m // _KM))
        parts = self._parts(math.prod(grid), batch * k)
        # Cut the batch first (whole products), then k, in runs of whole vectors.
        bc = max(1, -(-batch // max(1, min(batch, parts))))
        bparts = max(1, -(-batch // bc))
        kparts = max(1, min(parts // bparts, k // _PART_MIN))
        kc = -(-k // kparts)
        kc = max(1, min(k, -(-kc // _VK) * _VK))
        kparts = max(1, -(-k // kc))
        out = self._empty((bparts * kparts, m, n))
        self._launch(
            "gemm_vk",
            (*grid, bparts * kparts),
            _LOCAL_VK,
            m, n, k, batch, a, lda, strides[0], b, ldb, strides[1], out, n,
            kparts, kc, bc, m * n,
        )  # fmt: skip
        return self._sum_parts(out, (m, n))

    def _transpose(self, x: Any, rows: int, cols: int) -> CLArray:
        out = self._empty((cols, rows))
        tile = _TRANSPOSE_TILE
        self._launch("transpose", (cols, rows), (tile, tile), rows, cols, x, out)
        return out

    def matmul(self, a: Array, b: Array, trans_a: bool = False, trans_b: bool = False) -> CLArray:
        if a.ndim != 2 or b.ndim != 2:
            raise IgNetError(f"matmul needs 2-D arrays, got {a.shape} and {b.shape}")
        m, k = (a.shape[1], a.shape[0]) if trans_a else a.shape
        kb, n = (b.shape[1], b.shape[0]) if trans_b else b.shape
        if k != kb:
            raise IgNetError(f"matmul: shapes {a.shape} and {b.shape} do not match")
        if k == 0:
            out = self._empty((m, n))
            self._map1("fill", out.size, 0.0, out)
            return out
        if trans_b and not trans_a:
            return self._gemm_vk(m, n, k, a, k, b, k)
        if trans_b:  # A^T B^T: neither operand is contiguous along k
            b = self._transpose(b, n, k)
        a_sm, a_sk = (1, m) if trans_a else (k, 1)
        return self._gemm_vn(m, n, k, a, a_sm, a_sk, b, n).reshape((m, n))

    # convolution --------------------------------------------------------------------
    def _geometry_args(self, g: ConvGeometry) -> tuple[int, ...]:
        c, h, w = g.in_shape
        _, ho, wo = g.out_shape
        return (c, h, w, *g.kernel, *g.stride, *g.padding, *g.input_padding, ho, wo)

    def conv2d(self, x: Array, w: Array, geom: ConvGeometry) -> tuple[Any, Any]:
        n = x.shape[0]
        f, ho, wo = geom.out_shape
        c, v, h = w.shape[1:]
        ck, p = c * v * h, ho * wo
        cols = self._empty((n, ck, p))
        self._launch(
            "im2col", (ho, n * ck), _LOCAL_ROWS, *self._geometry_args(geom), n * ck, x, cols
        )
        y = self._gemm_vn(f, p, ck, w, ck, 1, cols, p, batch=n, strides=(0, ck * p))
        return y.reshape((n, f, ho, wo)), cols

    def conv2d_grad_input(self, dy: Array, w: Array, geom: ConvGeometry) -> CLArray:
        n, f, ho, wo = dy.shape
        c, v, h = w.shape[1:]
        ck, p = c * v * h, ho * wo
        # dcols[t] (CK x P) = W^T (CK x F) @ dy[t] (F x P)
        dcols = self._gemm_vn(ck, p, f, w, 1, ck, dy, p, batch=n, strides=(0, f * p))
        dx = self._empty((n, *geom.in_shape))
        hi = geom.in_shape[1]
        self._launch(
            "col2im", (hi, n * c), _LOCAL_ROWS, *self._geometry_args(geom), n * c, dcols, dx
        )
        return dx

    def conv2d_grad_weight(self, dy: Array, saved: Any, geom: ConvGeometry) -> CLArray:
        n, f, ho, wo = dy.shape
        c, (v, h) = geom.in_shape[0], geom.kernel
        ck, p = c * v * h, ho * wo
        # dW (F x CK) = sum over t of dy[t] (F x P) @ cols[t]^T (P x CK)
        dw = self._gemm_vk(f, ck, p, dy, p, saved, p, batch=n, strides=(f * p, ck * p))
        return dw.reshape((f, c, v, h))

    # bias ---------------------------------------------------------------------------
    def add_bias(self, y: Array, b: Array) -> None:
        f = y.shape[1]
        inner = math.prod(y.shape[2:])
        self._map1("add_bias", y.size, f, inner, y, b)

    def _reduce_mid(self, x: Any, outer: int, mid: int, inner: int, absval: bool) -> CLArray:
        """Sum over the middle axis of x seen as (outer, mid, inner): (outer, inner)."""
        parts = 1
        if mid > _CHUNK and outer * inner < 4 * _LOCAL_1D:
            parts = min(-(-mid // _CHUNK), 1024)
        chunk = -(-mid // parts)
        out = self._empty((outer, parts, inner))
        self._map1("reduce_mid", out.size, outer, mid, inner, parts, chunk, absval, x, out)
        if parts > 1:
            out = self._reduce_mid(out, outer, parts, inner, False)
        return out.reshape((outer, inner))

    def reduce_sum(self, x: Array, axes: tuple[int, ...] | None = None) -> CLArray:
        shape = list(x.shape)
        ndim = len(shape)
        chosen = sorted({a % ndim for a in (range(ndim) if axes is None else axes)})
        if not chosen:
            return self.scale(x, 1.0)
        # Reduce each run of neighbouring axes in one pass, last run first, so that the
        # earlier axes keep their positions.
        runs: list[list[int]] = []
        for a in chosen:
            if runs and runs[-1][-1] == a - 1:
                runs[-1].append(a)
            else:
                runs.append([a])
        out = x
        for run in reversed(runs):
            lo, hi = run[0], run[-1] + 1
            outer, mid, inner = (math.prod(shape[:lo]), math.prod(shape[lo:hi]),
                                 math.prod(shape[hi:]))  # fmt: skip
            out = self._reduce_mid(out, outer, mid, inner, False)
            shape = shape[:lo] + shape[hi:]
        return out.reshape(tuple(shape))

    # pooling ------------------------------------------------------------------------
    def maxpool(self, x: Array, size: tuple[int, int], stride: tuple[int, int]) -> tuple[Any, Any]:
        n, c, hi, wi = x.shape
        (pv, ph), (sv, sh) = size, stride
        ho, wo = (hi - pv) // sv + 1, (wi - ph) // sh + 1
        y = self._empty((n, c, ho, wo))
        arg = self._empty((n, c, ho, wo), np.int32)
        self._map1("maxpool_fwd", y.size, hi, wi, ho, wo, pv, ph, sv, sh, x, y, arg)
        return y, (arg, x.shape, size, stride)

    def maxpool_grad(self, dy: Array, saved: Any) -> CLArray:
        arg, shape, (pv, ph), (sv, sh) = saved
        ho, wo = arg.shape[2:]
        dx = self._empty(shape)
        args = (shape[2], shape[3], ho, wo, pv, ph, sv, sh)
        self._map1("maxpool_bwd", dx.size, *args, dy, arg, dx)
        return dx

    # elementwise --------------------------------------------------------------------
    def _unary(self, kernel: str, x: Any) -> CLArray:
        y = self._empty(x.shape)
        self._map1(kernel, x.size, x, y)
        return y

    def _binary(self, kernel: str, a: Any, b: Any) -> CLArray:
        if a.shape != b.shape:
            raise IgNetError(f"elementwise op on shapes {a.shape} and {b.shape}")
        y = self._empty(a.shape)
        self._map1(kernel, a.size, a, b, y)
        return y

    def activation(self, name: str, x: Array) -> CLArray:
        if name == "identity":
            return x
        if name not in _ACTIVATIONS:
            raise IgNetError(f"activation: unknown name {name!r}")
        return self._unary(f"act_{name}", x)

    def activation_grad(self, name: str, x: Array, y: Array) -> CLArray:
        if name == "identity":
            out = self._empty(x.shape)
            self._map1("fill", out.size, 1.0, out)
            return out
        if name not in _ACTIVATIONS:
            raise IgNetError(f"activation: unknown name {name!r}")
        return self._unary(f"grad_{name}", x if name == "relu" else y)

    def softmax(self, x: Array) -> CLArray:
        y = self._empty(x.shape)
        rows = x.shape[0]
        self._map1("softmax", rows, x.size // max(rows, 1), x, y)
        return y

    def softmax_grad(self, y: Array, dy: Array) -> CLArray:
        dx = self._empty(y.shape)
        rows = y.shape[0]
        self._map1("softmax_grad", rows, y.size // max(rows, 1), y, dy, dx)
        return dx

    def mul(self, a: Array, b: Array) -> CLArray:
        return self._binary("bin_mul", a, b)

    def sub(self, a: Array, b: Array) -> CLArray:
        return self._binary("bin_sub", a, b)

    def scale(self, x: Array, alpha: float) -> CLArray:
        y = self._empty(x.shape)
        self._map1("scale", x.size, float(alpha), x, y)
        return y

    def unary(self, op: str, x: Array) -> CLArray:
        if op not in UNARY_OPS:
            raise IgNetError(f"unary: unknown op {op!r}; choose from {UNARY_OPS}")
        return self._unary(f"un_{op}", x)

    # update -------------------------------------------------------------------------
    def axpby(self, y: Array, x: Array, a: float, b: float) -> None:
        if y.shape != x.shape:
            raise IgNetError(f"axpby on shapes {y.shape} and {x.shape}")
        self._map1("axpby", y.size, y, x, float(a), float(b))

    # reductions to the host ---------------------------------------------------------
    def mean_abs(self, x: Array) -> float:
        if x.size == 0:
            return math.nan
        parts = max(1, min(-(-x.size // _CHUNK), 1024))
        chunk = -(-x.size // parts)
        out = self._empty((parts,))
        self._map1("reduce_mid", parts, 1, x.size, 1, parts, chunk, True, x, out)
        return float(np.sum(out.get(), dtype=np.float64) / x.size)
