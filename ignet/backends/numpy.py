"""The CPU back end: numpy arrays, im2col + BLAS GEMM, a thread pool over batch shards."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from threadpoolctl import threadpool_limits

from ignet.backends.base import EPS, UNARY_OPS, Array, Backend, ConvGeometry, check_settings
from ignet.errors import IgNetError

# Smaller matrix products are not worth a hand-off to the pool.
_PARALLEL_MACS = 1 << 18
_CHUNK = 1 << 16
T = TypeVar("T")


class NumpyBackend(Backend):
    """numpy back end.

    Convolutions gather input patches into a column matrix laid out (C*v*h, N*Ho*Wo), so
    that the forward product and both gradients are single GEMMs on contiguous arrays.

    Parameters
    ----------
    dtype : "float32" (default) or "float64".
    threads : threads to use (>= 1). ``threads=1`` gives bitwise reproducible results.
    parallel : how ``threads > 1`` are used.

        * ``"blas"`` (default): BLAS runs the matrix products with ``threads`` threads;
          the rest runs in the calling thread.
        * ``"shards"``: a persistent pool of ``threads`` workers runs each convolution op
          over batch shards (patch gathering, GEMM, scattering) and splits large matrix
          products and parameter updates into blocks; BLAS stays single-threaded, since
          OpenBLAS threads spin while they wait and would slow the pool's workers.

        On a 2-core machine ``"blas"`` trained the fig5 network faster, and both slow
        down a lot when another process takes one of the cores.
    """

    name = "numpy"

    def __init__(
        self, dtype: str | np.dtype = "float32", threads: int = 1, parallel: str = "blas"
    ) -> None:
        self.dtype, threads = check_settings(dtype, threads)
        if parallel not in ("blas", "shards"):
            raise IgNetError(f"parallel must be 'blas' or 'shards', got {parallel!r}")
        self.threads = int(threads)
        self.parallel = parallel
        self._workers = self.threads if parallel == "shards" else 1
        self._pool: ThreadPoolExecutor | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_pool"] = None
        return state

    def scope(self) -> contextlib.AbstractContextManager[Any]:
        stack = contextlib.ExitStack()
        blas = self.threads if self.parallel == "blas" else 1
        stack.enter_context(threadpool_limits(limits=blas, user_api="blas"))
        # Overflow is reported as a DivergenceError naming the layer, not as warnings.
        stack.enter_context(np.errstate(over="ignore", invalid="ignore"))
        return stack

    def close(self) -> None:
        """Stop the thread pool; it restarts when needed."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def _shards(self, n: int, work: Callable[[int, int], T]) -> list[T]:
        """``work(start, stop)`` over shards of range(n), results in shard order.

        One shard unless ``parallel="shards"``; the caller's thread takes the last one.
        """
        k = min(self._workers, n)
        if k <= 1:
            return [work(0, n)]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._workers - 1, thread_name_prefix="ignet")
        bounds = [n * i // k for i in range(k + 1)]
        futures = [self._pool.submit(work, bounds[i], bounds[i + 1]) for i in range(k - 1)]
        last = work(bounds[k - 1], bounds[k])
        return [future.result() for future in futures] + [last]

    # memory -------------------------------------------------------------------------
    def asarray(self, x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(x, dtype=self.dtype)

    def to_host(self, x: Array) -> np.ndarray:
        return np.array(x, copy=True)

    def zeros(self, shape: Sequence[int]) -> np.ndarray:
        return np.zeros(tuple(shape), dtype=self.dtype)

    def reshape(self, x: Array, shape: Sequence[int]) -> np.ndarray:
        return x.reshape(tuple(shape))

    # convolution --------------------------------------------------------------------
    def _im2col(self, x: np.ndarray, g: ConvGeometry, out: np.ndarray) -> None:
        """Patches of x (n, C, H, W) into out (C, v, h, n, Ho, Wo)."""
        (pv, ph), (iv, ih) = g.padding, g.input_padding
        if pv or ph or iv or ih:
            hd, wd = g.dilated
            xp = np.zeros((x.shape[0], x.shape[1], *g.padded), dtype=x.dtype)
            xp[:, :, pv : pv + hd : iv + 1, ph : ph + wd : ih + 1] = x
            x = xp
        _, ho, wo = g.out_shape
        (sv, sh) = g.stride
        win = sliding_window_view(x, g.kernel, axis=(2, 3))[:, :, : sv * ho : sv, : sh * wo : sh]
        np.copyto(out, win.transpose(1, 4, 5, 0, 2, 3))

    def _col2im(self, dcols: np.ndarray, g: ConvGeometry, out: np.ndarray) -> None:
        """Scatter-add dcols (C, v, h, n, Ho, Wo) back to out (n, C, H, W)."""
        c, v, h, n, ho, wo = dcols.shape
        (sv, sh), (pv, ph), (iv, ih) = g.stride, g.padding, g.input_padding
        dxp = np.zeros((c, n, *g.padded), dtype=dcols.dtype)
        for i in range(v):
            for j in range(h):
                dxp[:, :, i : i + sv * ho : sv, j : j + sh * wo : sh] += dcols[:, i, j]
        hd, wd = g.dilated
        out[...] = dxp[:, :, pv : pv + hd : iv + 1, ph : ph + wd : ih + 1].transpose(1, 0, 2, 3)

    def conv2d(self, x: Array, w: Array, geom: ConvGeometry) -> tuple[np.ndarray, np.ndarray]:
        n = x.shape[0]
        f, ho, wo = geom.out_shape
        c, v, h = w.shape[1:]
        p = ho * wo
        cols = np.empty((c, v, h, n, ho, wo), dtype=self.dtype)
        cols2 = cols.reshape(c * v * h, n * p)
        w2 = w.reshape(f, -1)
        y = np.empty((n, f, ho, wo), dtype=self.dtype)

        def work(a: int, b: int) -> None:
            self._im2col(x[a:b], geom, cols[:, :, :, a:b])
            part = np.matmul(w2, cols2[:, a * p : b * p])
            y[a:b] = part.reshape(f, b - a, ho, wo).transpose(1, 0, 2, 3)

        self._shards(n, work)
        return y, cols2

    def _dy_rows(self, dy: np.ndarray) -> np.ndarray:
        """dy (n, F, Ho, Wo) as the (F, n*Ho*Wo) matrix that matches the columns' layout."""
        return np.ascontiguousarray(dy.transpose(1, 0, 2, 3)).reshape(dy.shape[1], -1)

    def conv2d_grad_input(self, dy: Array, w: Array, geom: ConvGeometry) -> np.ndarray:
        n, f, ho, wo = dy.shape
        c, v, h = w.shape[1:]
        w2 = w.reshape(f, -1)
        dx = np.empty((n, *geom.in_shape), dtype=self.dtype)

        def work(a: int, b: int) -> None:
            dcols = np.matmul(w2.T, self._dy_rows(dy[a:b])).reshape(c, v, h, b - a, ho, wo)
            self._col2im(dcols, geom, dx[a:b])

        self._shards(n, work)
        return dx

    def conv2d_grad_weight(self, dy: Array, saved: Any, geom: ConvGeometry) -> np.ndarray:
        n, f, ho, wo = dy.shape
        p = ho * wo
        parts = self._shards(
            n,
            lambda a, b: np.matmul(self._dy_rows(dy[a:b]), saved[:, a * p : b * p].T),
        )
        total = parts[0]
        for part in parts[1:]:
            total += part
        return total.reshape(f, geom.in_shape[0], *geom.kernel)

    def matmul(self, a: Array, b: Array, trans_a: bool = False, trans_b: bool = False) -> Array:
        a = a.T if trans_a else a
        b = b.T if trans_b else b
        m, n = a.shape[0], b.shape[1]
        if self._workers == 1 or m * n * a.shape[1] < _PARALLEL_MACS:
            if trans_b and not trans_a and m < n:
                # OpenBLAS runs a short-and-wide x @ W.T about 1.5x faster as (W @ x.T).T.
                return np.ascontiguousarray(np.matmul(b.T, a.T).T)
            return np.matmul(a, b)
        out = np.empty((m, n), dtype=self.dtype)
        if n >= m:
            self._shards(n, lambda i, j: np.matmul(a, b[:, i:j], out=out[:, i:j]))
        else:
            self._shards(m, lambda i, j: np.matmul(a[i:j], b, out=out[i:j]))
        return out

    # bias ---------------------------------------------------------------------------
    def add_bias(self, y: Array, b: Array) -> None:
        y += b.reshape((-1,) + (1,) * (y.ndim - 2))

    def reduce_sum(self, x: Array, axes: tuple[int, ...] | None = None) -> np.ndarray:
        return np.asarray(x.sum(axis=axes), dtype=self.dtype)

    # pooling ------------------------------------------------------------------------
    def maxpool(
        self, x: Array, size: tuple[int, int], stride: tuple[int, int]
    ) -> tuple[np.ndarray, Any]:
        n, c, hi, wi = x.shape
        (pv, ph), (sv, sh) = size, stride
        ho, wo = (hi - pv) // sv + 1, (wi - ph) // sh + 1
        win = sliding_window_view(x, size, axis=(2, 3))[:, :, : sv * ho : sv, : sh * wo : sh]
        flat = win.reshape(n, c, ho, wo, pv * ph)
        arg = flat.argmax(axis=-1)
        y = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
        return y, (arg, x.shape, size, stride)

    def maxpool_grad(self, dy: Array, saved: Any) -> np.ndarray:
        arg, shape, (pv, ph), (sv, sh) = saved
        ho, wo = arg.shape[2:]
        dx = np.zeros(shape, dtype=self.dtype)
        for i in range(pv):
            for j in range(ph):
                hit = arg == i * ph + j
                dx[:, :, i : i + sv * ho : sv, j : j + sh * wo : sh] += np.where(hit, dy, 0)
        return dx

    # elementwise --------------------------------------------------------------------
    def activation(self, name: str, x: Array) -> np.ndarray:
        if name == "identity":
            return x
        if name == "relu":
            return np.maximum(x, 0)
        if name == "tanh":
            return np.tanh(x)
        if name == "sigmoid":
            # 0.5 * (1 + tanh(x / 2)) never overflows, unlike 1 / (1 + exp(-x)).
            y = np.tanh(x * 0.5)
            y += 1
            y *= 0.5
            return y
        if name == "bipolar_sigmoid":
            return np.tanh(x * 0.5)
        raise IgNetError(f"activation: unknown name {name!r}")

    def activation_grad(self, name: str, x: Array, y: Array) -> np.ndarray:
        if name == "identity":
            return np.ones_like(x)
        if name == "relu":
            return (x > 0).astype(self.dtype)
        if name == "tanh":
            return 1 - y * y
        if name == "sigmoid":
            return y * (1 - y)
        if name == "bipolar_sigmoid":
            return 0.5 * (1 - y * y)
        raise IgNetError(f"activation: unknown name {name!r}")

    def softmax(self, x: Array) -> np.ndarray:
        flat = x.reshape(x.shape[0], -1)
        e = np.exp(flat - flat.max(axis=1, keepdims=True))
        e /= e.sum(axis=1, keepdims=True)
        return e.reshape(x.shape)

    def softmax_grad(self, y: Array, dy: Array) -> np.ndarray:
        n = y.shape[0]
        inner = (y * dy).reshape(n, -1).sum(axis=1).reshape((n,) + (1,) * (y.ndim - 1))
        return y * (dy - inner)

    def mul(self, a: Array, b: Array) -> np.ndarray:
        return np.multiply(a, b)

    def sub(self, a: Array, b: Array) -> np.ndarray:
        return np.subtract(a, b)

    def scale(self, x: Array, alpha: float) -> np.ndarray:
        return np.multiply(x, self.dtype.type(alpha))

    def unary(self, op: str, x: Array) -> np.ndarray:
        if op == "abs":
            return np.abs(x)
        if op == "sign":
            return np.sign(x)
        if op == "square":
            return np.square(x)
        if op == "log":
            return np.log(np.maximum(x, EPS))
        if op == "reciprocal":
            return 1 / np.maximum(x, EPS)
        if op == "complement":
            return 1 - x
        raise IgNetError(f"unary: unknown op {op!r}; choose from {UNARY_OPS}")

    # update -------------------------------------------------------------------------
    def axpby(self, y: Array, x: Array, a: float, b: float) -> None:
        if b != 1:
            y *= self.dtype.type(b)
        if not (y.flags.c_contiguous and x.flags.c_contiguous):
            y += self.dtype.type(a) * x
            return
        flat_y, flat_x, alpha = y.reshape(-1), x.reshape(-1), self.dtype.type(a)

        def work(start: int, stop: int) -> None:
            # Cache-sized chunks: a * x never makes a round trip through memory.
            tmp = np.empty(min(_CHUNK, stop - start), dtype=self.dtype)
            for i in range(start, stop, _CHUNK):
                j = min(i + _CHUNK, stop)
                part = tmp[: j - i]
                np.multiply(flat_x[i:j], alpha, out=part)
                flat_y[i:j] += part

        if flat_y.size < 2 * _CHUNK:
            work(0, flat_y.size)
        else:
            self._shards(flat_y.size, work)

    # reductions to the host ---------------------------------------------------------
    def mean_abs(self, x: Array) -> float:
        return float(np.mean(np.abs(x), dtype=np.float64))
