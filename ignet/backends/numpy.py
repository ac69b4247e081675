"""The CPU back end: numpy arrays, convolutions as BLAS GEMMs over shifted copies of the maps.

Layout
------
Maps keep the op contract's ``(N, C, H, W)`` shape, but the arrays this back end returns
from its convolutions and products are strided views whose *memory* is ``(C, H, W, N)``:
the batch is the innermost axis. Then every patch is a run of contiguous samples, the
convolution's GEMMs write their output in the layout the next layer reads, a dense layer
reads a convolution's output as a transposed matrix without a copy, and no op transposes
a whole map back and forth between layers. Inputs in the usual C order go batch-innermost
in the first convolution's patch copy.

Convolutions
------------
The maps are copied once per kernel column, shifted, into a buffer in which the patches
of each output row form one contiguous matrix (:meth:`NumpyBackend._rows`); a stack of
one GEMM per output row (numpy loops over it in C) then convolves, and the same matrices
give the weight gradient. The copy is a third of an im2col's for 3x3 filters; on fig7's
layers it took half of the time before.

Threads
-------
With ``threads > 1`` and ``parallel="shards"`` (the default) every large op is cut into
shards, two per thread, which the calling thread and persistent worker threads (each
with single-threaded BLAS) claim one at a time, each its own run of shards first (the
same part of a layer's weights in every op, kept in that core's cache), then any left.
The workers wait on a queue (a futex), never spin, and the caller waits only for shards
a worker has already claimed: when another process holds a worker's core, the caller
runs the shards itself and the op takes about as long as on one thread, instead of the
many times longer of a BLAS thread team spinning while it waits for a preempted member.
Each op also times itself both ways (:class:`_Chooser`) and runs in one thread while
that is faster, so that ``threads > 1`` is not slower than one thread.

A weight update (:meth:`NumpyBackend.gemm_update`) is not cut: it runs whole on a worker
while the caller goes on with the layers below and the next batch's first layers, and
every op first waits for the updates in flight that touch one of its arrays
(:func:`_fenced`), as does leaving :meth:`NumpyBackend.scope`. The arrays are then read
through ops (``to_host``), as every back end's are. Its chooser weighs what the update
costs the caller that way (handing it over, then waiting for it) against running it.
"""

from __future__ import annotations

import contextlib
import functools
import queue
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from functools import cache, partial
from typing import Any, TypeVar

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view
from scipy.linalg import blas
from threadpoolctl import ThreadpoolController

from ignet.backends import cblas
from ignet.backends.base import EPS, UNARY_OPS, Array, Backend, ConvGeometry, check_settings
from ignet.errors import IgNetError

# Below this many multiply-accumulates a hand-off to a worker costs more than it saves.
_PARALLEL_MACS = 1 << 18
# Shards per thread: with more than one, a thread whose core is taken by another process
# leaves its share to the others, at the price of smaller GEMMs.
_PIECES = 2
_CHUNK = 1 << 16
PARALLEL = ("shards", "blas")
T = TypeVar("T")


@cache
def _blas_controller() -> ThreadpoolController:
    """One controller of the loaded BLAS libraries (numpy's and scipy's, both imported
    here): building one takes about a millisecond, limiting through it microseconds."""
    return ThreadpoolController()


def _fortran(m: np.ndarray) -> tuple[np.ndarray, bool]:
    """``(f, transposed)`` with ``f`` column-major and ``op(f) == m``, copying only when
    m is contiguous in neither order."""
    if m.flags.f_contiguous:
        return m, False
    if m.flags.c_contiguous:
        return m.T, True
    return np.asfortranarray(m), False


def _serve(jobs: queue.SimpleQueue, seat: int) -> None:
    """A worker thread's loop: help with each job, from ``seat``, until the sentinel
    ``None`` arrives."""
    while True:
        job = jobs.get()
        if job is None:
            return
        job.help(seat)


class _Job:
    """The pieces of one op, claimed one at a time by the threads as they come free.

    Each thread has a seat (the caller 0, worker i seat i + 1) and the pieces are dealt to the
    seats in runs, the same way for every op of a shape: a thread claims its own pieces
    first, so that it works on the same part of a layer's weights in its forward product,
    input gradient and update, batch after batch, and finds it in its own core's cache;
    then it takes the others' unclaimed pieces. The caller waits only for pieces a
    worker has already claimed: a worker that has not started yet (another process
    holds its core) finds the job over when it wakes, and the op then costs what it
    costs on one thread.
    """

    def __init__(self, calls: Sequence[Callable[[], Any]], seats: int) -> None:
        self.calls = calls
        self.results: list[Any] = [None] * len(calls)
        self.error: BaseException | None = None
        self._owner = [i * seats // len(calls) for i in range(len(calls))]
        self._free = [True] * len(calls)
        self._helpers = 0
        self._over = False
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)

    def _claim(self, seat: int) -> int | None:
        with self._lock:
            free = [i for i, f in enumerate(self._free) if f]
            if not free:
                return None
            own = [i for i in free if self._owner[i] == seat]
            index = own[0] if own else free[-1]
            self._free[index] = False
            return index

    def _drain(self, seat: int) -> None:
        """Run unclaimed pieces until none is left; a failure is kept for the caller."""
        while (index := self._claim(seat)) is not None:
            try:
                self.results[index] = self.calls[index]()
            except BaseException as error:  # handed to the caller, which raises it
                self.error = self.error or error

    def help(self, seat: int) -> None:
        """A worker's part: pieces, unless the caller has already finished the job."""
        with self._lock:
            if self._over:
                return
            self._helpers += 1
        self._drain(seat)
        with self._lock:
            self._helpers -= 1
            if self._helpers == 0:
                self._idle.notify_all()

    def finish(self) -> list[Any]:
        """The caller's part: pieces, then the results once no worker is still busy."""
        self._drain(0)
        with self._lock:
            self._over = True
            while self._helpers:
                self._idle.wait()
        if self.error is not None:
            raise self.error
        return self.results


class _Workers:
    """Threads that run the pieces of one op beside the calling thread."""

    def __init__(self, count: int) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = [
            threading.Thread(
                target=_serve, args=(self._jobs, i + 1), name=f"ignet-{i}", daemon=True
            )
            for i in range(count)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, calls: Sequence[Callable[[], Any]]) -> _Job:
        """Hand ``calls`` to the free workers; the caller takes its part at ``finish()``."""
        job = _Job(calls, len(self._threads) + 1)
        for _ in self._threads:
            self._jobs.put(job)
        return job

    def run(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Results of ``calls`` in order, run by the caller and the free workers."""
        return self.submit(calls).finish()

    def close(self) -> None:
        """Let every worker thread end."""
        for _ in self._threads:
            self._jobs.put(None)


class _Chooser:
    """Per op, whether shards beat one thread, learned from the op's own timings.

    Each op (a key) alternates between shards and one thread on its first :attr:`WARM`
    calls, then runs in shards only while their moving average is below :attr:`MARGIN`
    times one thread's, and now and then the other way (an exploring call), so that a
    change of load (another process taking a core, or leaving it) is noticed. When
    another process holds a core, shards cannot run side by side and lose: the op then
    runs on one thread, and the back end is not slower than with ``threads=1``. The
    margin leans towards one thread because the two mistakes differ: one thread where
    shards would win loses at most the second thread, shards on a busy machine can take
    many times the op's time (a shard waits for a thread kept off its core).

    The first exploring call comes :attr:`EXPLORE` calls in. Each one that finds the
    other way slower again doubles the wait before the next, up to :attr:`PATIENCE`
    calls; one that finds it faster switches ways and restarts at :attr:`EXPLORE`
    (explored every 16 calls, shards cost two threads a third of their speed under a
    load of 8).
    """

    WARM = 6
    EXPLORE = 16
    PATIENCE = 256
    MARGIN = 0.8
    WEIGHT = 0.3

    def __init__(self) -> None:
        self._seconds: dict[Any, list[float | None]] = {}
        self._calls: dict[Any, int] = {}
        # Per op: the call that explores next and the wait that led to it; whether the
        # call between choose() and record() explores.
        self._next: dict[Any, tuple[int, int]] = {}
        self._exploring: dict[Any, bool] = {}

    def choose(self, key: Any) -> bool:
        """True: run this op in shards (shards first: the first call starts the threads)."""
        calls = self._calls.get(key, 0)
        if calls < self.WARM:
            return calls % 2 == 0
        due, _ = self._next.get(key, (self.EXPLORE - 1, self.EXPLORE))
        self._exploring[key] = calls == due
        return self._prefers_shards(key) != self._exploring[key]

    def _prefers_shards(self, key: Any) -> bool:
        single, shards = self._seconds[key]
        assert single is not None and shards is not None  # both timed while warming up
        return shards < self.MARGIN * single

    def record(self, key: Any, shards: bool, seconds: float) -> None:
        """Add one timing of the op ``key``, run in shards or not."""
        calls = self._calls.get(key, 0)
        self._calls[key] = calls + 1
        if calls == 0:
            return  # the first call pays for starting threads and touching new memory
        averages = self._seconds.setdefault(key, [None, None])
        exploring = self._exploring.pop(key, False)
        # An exploring call replaces its way's average: one fresh timing tells whether
        # that way has become the faster, and the way in use moves its average at every
        # call, so a lucky timing is undone within a few calls.
        old = averages[shards]
        averages[shards] = (
            seconds if old is None or exploring else old + self.WEIGHT * (seconds - old)
        )
        if exploring:
            _, wait = self._next.get(key, (0, self.EXPLORE))
            switched = self._prefers_shards(key) == shards
            wait = self.EXPLORE if switched else min(2 * wait, self.PATIENCE)
            self._next[key] = (calls + wait, wait)


def _fenced(op: Callable[..., T]) -> Callable[..., T]:
    """An op that first waits for the updates in flight that touch memory one of its
    arrays shares (:meth:`NumpyBackend.gemm_update` on two threads)."""

    @functools.wraps(op)
    def fenced(self: NumpyBackend, *args: Any, **kwargs: Any) -> T:
        if self._pending:
            self._settle(*args, *kwargs.values())
        return op(self, *args, **kwargs)

    return fenced


class NumpyBackend(Backend):
    """numpy back end.

    Parameters
    ----------
    dtype : "float32" (default) or "float64".
    threads : threads to use (>= 1). ``threads=1`` gives bitwise reproducible results.
    parallel : how ``threads > 1`` are used.

        * ``"shards"`` (default): each large op (a convolution with its patch copy, a
          matrix product, the update) is cut into two shards per thread, claimed by the
          caller and ``threads - 1`` persistent worker threads as they come free; BLAS
          stays single-threaded.
        * ``"blas"``: BLAS runs the matrix products with ``threads`` threads; everything
          else runs in the calling thread.

        See ``docs/ignet.md`` for measurements of both on two cores.
    """

    name = "numpy"

    def __init__(
        self, dtype: str | np.dtype = "float32", threads: int = 1, parallel: str = "shards"
    ) -> None:
        self.dtype, threads = check_settings(dtype, threads)
        if parallel not in PARALLEL:
            raise IgNetError(f"parallel must be one of {PARALLEL}, got {parallel!r}")
        self.threads = int(threads)
        self.parallel = parallel
        self._shard_count = self.threads if parallel == "shards" else 1
        self._workers: _Workers | None = None
        self._chooser = _Chooser()
        # Weight updates running on a worker: the arrays each writes or reads, its job, and
        # its _Chooser key with the seconds the caller spent handing it over.
        self._pending: list[tuple[tuple[np.ndarray, ...], _Job, Any, float]] = []

    def __getstate__(self) -> dict[str, Any]:
        self._settle()
        state = self.__dict__.copy()
        state["_workers"] = None
        # Timings belong to this process and machine state.
        state["_chooser"] = _Chooser()
        return state

    def scope(self) -> contextlib.AbstractContextManager[Any]:
        stack = contextlib.ExitStack()
        blas = self.threads if self.parallel == "blas" else 1
        stack.enter_context(_blas_controller().limit(limits=blas, user_api="blas"))
        # Overflow is reported as a DivergenceError naming the layer, not as warnings.
        stack.enter_context(np.errstate(over="ignore", invalid="ignore"))
        # Leaving it, every array is as the ops left it: no update is still running.
        stack.callback(self._settle)
        return stack

    def close(self) -> None:
        """Stop the worker threads; they restart when needed."""
        self._settle()
        if self._workers is not None:
            self._workers.close()
            self._workers = None

    def _pool(self) -> _Workers:
        """The worker threads, started on first use."""
        if self._workers is None:
            self._workers = _Workers(self._shard_count - 1)
            # Threads end with the back end that started them.
            weakref.finalize(self, self._workers.close)
        return self._workers

    def _settle(self, *arrays: Any) -> None:
        """Wait for the updates in flight that touch memory one of ``arrays`` shares, or
        for all of them when none is given; an update's error is raised here."""
        waiting, self._pending = self._pending, []
        for index, entry in enumerate(waiting):
            touched, job, key, handed = entry
            if arrays and not any(
                isinstance(a, np.ndarray) and np.may_share_memory(a, t)
                for a in arrays
                for t in touched
            ):
                self._pending.append(entry)
                continue
            start = time.perf_counter()
            try:
                job.finish()
            except BaseException:
                # The updates not yet waited for stay in flight, to be waited for later.
                self._pending += waiting[index + 1 :]
                raise
            # What the update cost the caller: the hand-over and the wait for it.
            self._chooser.record(key, True, handed + time.perf_counter() - start)

    def _split(self, n: int, work: Callable[[int, int], T], macs: int) -> list[T]:
        """``work(start, stop)`` over shards of range(n), results in shard order.

        One shard when the back end has one thread or the op is small (``macs``), or when
        :class:`_Chooser` has found one shard faster for this op; else :data:`_PIECES`
        shards per thread, which the threads claim as they come free (:class:`_Job`).
        """
        if min(self._shard_count, n) <= 1 or macs < _PARALLEL_MACS:
            return [work(0, n)]
        # The same code on the same amount of work is the same op of the same layer.
        key = (getattr(work, "__code__", None), macs)
        shards = self._chooser.choose(key)
        start = time.perf_counter()
        if not shards:
            result = [work(0, n)]
        else:
            # The bounds depend on n and the thread count only, not on which thread
            # claims which shard: a reduction over shards sums in the same order each time.
            k = min(self._shard_count * _PIECES, n)
            bounds = [n * i // k for i in range(k + 1)]
            calls = [partial(work, bounds[i], bounds[i + 1]) for i in range(k)]
            result = self._pool().run(calls)
        self._chooser.record(key, shards, time.perf_counter() - start)
        return result

    # memory -------------------------------------------------------------------------
    def asarray(self, x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(x, dtype=self.dtype)

    @_fenced
    def to_host(self, x: Array) -> np.ndarray:
        return np.array(x, copy=True)

    def zeros(self, shape: Sequence[int]) -> np.ndarray:
        return np.zeros(tuple(shape), dtype=self.dtype)

    def reshape(self, x: Array, shape: Sequence[int]) -> np.ndarray:
        # A batch-innermost map reshapes to a batch-innermost matrix without a copy.
        return x.reshape(tuple(shape))

    # convolution --------------------------------------------------------------------
    @staticmethod
    def _batch_last(x: np.ndarray) -> np.ndarray:
        """(N, C, H, W) as a contiguous (C, H, W, N) array; a view when it is one."""
        m = x.transpose(1, 2, 3, 0)
        return m if m.flags.c_contiguous else np.ascontiguousarray(m)

    @staticmethod
    def _padded(
        xm: np.ndarray, padding: tuple[int, int], spread: tuple[int, int], size: tuple[int, int]
    ) -> np.ndarray:
        """(C, H, W, N) with ``spread`` zeros between elements and ``padding`` around,
        giving maps of ``size``; xm itself when there is nothing to add."""
        (pv, ph), (iv, ih) = padding, spread
        if not (pv or ph or iv or ih):
            return xm
        c, h, w, n = xm.shape
        xp = np.zeros((c, *size, n), dtype=xm.dtype)
        xp[
            :, pv : pv + (h - 1) * (iv + 1) + 1 : iv + 1, ph : ph + (w - 1) * (ih + 1) + 1 : ih + 1
        ] = xm
        return xp

    def _rows(
        self,
        xp: np.ndarray,
        kernel: tuple[int, int],
        stride: tuple[int, int],
        out_hw: tuple[int, int],
    ) -> np.ndarray:
        """The patches of padded (C, Hp, Wp, N) maps as one (K, Wo*N) matrix per output
        row, K = v*h*C in (kernel row, kernel column, channel) order: (Ho, K, Wo*N).

        The maps are copied once per kernel column into ``shifted`` (Hp, h, C, Wo, N),
        the copy for kernel column b holding the columns b, b + sh, ... of every map row.
        Then the patches of output row i, kernel rows a = 0 .. v-1, are input rows
        i*sv + a: a run of v*h*C contiguous rows of Wo*N floats in ``shifted``. Every
        row's matrix is a view, and the copy is h/(v*sv) of an im2col's (a third for
        3x3 filters, stride 1): that copy took half of a 3x3 convolution's time.
        """
        c, _, _, n = xp.shape
        (v, h), (sv, sh), (ho, wo) = kernel, stride, out_hw
        used = (ho - 1) * sv + v
        shifted = np.empty((used, h, c, wo, n), dtype=self.dtype)
        # Built directly: sliding_window_view costs ~50 us a call.
        sc, sy, sx, sn = xp.strides
        view = as_strided(xp, shifted.shape, (sy, sx, sc, sh * sx, sn), writeable=False)
        self._split(used, lambda i, j: np.copyto(shifted[i:j], view[i:j]), macs=shifted.size)
        row = wo * n
        step = shifted.itemsize
        return as_strided(
            shifted, (ho, v * h * c, row), (sv * h * c * row * step, row * step, step)
        )

    def _correlate(
        self,
        xp: np.ndarray,
        w: np.ndarray,
        stride: tuple[int, int],
        out_hw: tuple[int, int],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Valid cross-correlation of padded (C, Hp, Wp, N) maps with (F, C, v, h)
        filters: (F, Ho, Wo, N) maps, and the patches of :meth:`_rows`."""
        f, _, v, h = w.shape
        ho, wo = out_hw
        rows = self._rows(xp, (v, h), stride, out_hw)
        # Filters in the patches' (kernel row, kernel column, channel) order.
        w2 = np.ascontiguousarray(w.transpose(0, 2, 3, 1)).reshape(f, -1)
        y = np.empty((f, ho, wo, xp.shape[3]), dtype=self.dtype)
        out = y.reshape(f, ho, -1).transpose(1, 0, 2)

        def work(a: int, b: int) -> None:
            # One GEMM per output row (numpy loops over the stack in C): F x K by K x Wo*N.
            np.matmul(w2, rows[a:b], out=out[a:b])

        self._split(ho, work, macs=f * rows[0].size * ho)
        return y, rows

    @_fenced
    def conv2d(self, x: Array, w: Array, geom: ConvGeometry) -> tuple[np.ndarray, np.ndarray]:
        _, ho, wo = geom.out_shape
        # A C-ordered input goes batch-innermost in the patch copy itself, with no copy
        # of its own when there is no padding to add.
        xp = self._padded(x.transpose(1, 2, 3, 0), geom.padding, geom.input_padding, geom.padded)
        y, rows = self._correlate(xp, w, geom.stride, (ho, wo))
        return y.transpose(3, 0, 1, 2), rows

    @_fenced
    def conv2d_grad_weight(self, dy: Array, saved: Any, geom: ConvGeometry) -> np.ndarray:
        f, ho = dy.shape[1:3]
        # dy of output row i as a (Wo*N, F) matrix: a transposed view of its (F, Wo*N) rows.
        dyt = self._batch_last(dy).reshape(f, ho, -1).transpose(1, 2, 0)

        def work(a: int, b: int) -> np.ndarray:
            # A reduction over the output rows: each shard sums its own. Formed
            # transposed, patches times dy^T (K x F): OpenBLAS runs that 1.3 to 2 times
            # faster than dy times patches^T, whose output has few rows.
            return np.matmul(saved[a:b], dyt[a:b]).sum(axis=0)

        parts = self._split(ho, work, macs=f * saved[0].size * ho)
        total = parts[0]
        for part in parts[1:]:
            total += part
        c, (v, h) = geom.in_shape[0], geom.kernel
        return np.ascontiguousarray(total.T.reshape(f, v, h, c).transpose(0, 3, 1, 2))

    @_fenced
    def conv2d_grad_input(self, dy: Array, w: Array, geom: ConvGeometry) -> np.ndarray:
        n, f, ho, wo = dy.shape
        c, v, h = w.shape[1:]
        (pv, ph), (sv, sh) = geom.padding, geom.stride
        dym = self._batch_last(dy)
        _, hi, wi = geom.in_shape
        if (sv, sh) == (1, 1) and geom.input_padding == (0, 0) and pv < v and ph < h:
            # With stride 1 the input gradient is itself a convolution: dy, padded by
            # kernel - 1 - padding, with the filters flipped and the channels swapped.
            # Gathering its patches is much faster than scatter-adding the columns.
            flipped = w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]
            qv, qh = v - 1 - pv, h - 1 - ph
            dyp = self._padded(dym, (qv, qh), (0, 0), (ho + 2 * qv, wo + 2 * qh))
            dx, _ = self._correlate(dyp, flipped, (1, 1), (hi, wi))
            return dx.transpose(3, 0, 1, 2)
        dy2 = dym.reshape(f, -1)
        w2 = w.reshape(f, c * v * h)
        dxp = np.zeros((c, *geom.padded, n), dtype=self.dtype)

        def work(a: int, b: int) -> None:
            # Shards own disjoint channels, so their scatter-adds never overlap.
            dcols = np.matmul(w2[:, a * v * h : b * v * h].T, dy2)
            dcols = dcols.reshape(b - a, v, h, ho, wo, n)
            for i in range(v):
                for j in range(h):
                    dxp[a:b, i : i + sv * (ho - 1) + 1 : sv, j : j + sh * (wo - 1) + 1 : sh] += (
                        dcols[:, i, j]
                    )

        self._split(c, work, macs=f * c * v * h * ho * wo * n)
        hd, wd = geom.dilated
        (iv, ih) = geom.input_padding
        dx = dxp[:, pv : pv + hd : iv + 1, ph : ph + wd : ih + 1]
        return np.ascontiguousarray(dx).transpose(3, 0, 1, 2)

    @_fenced
    def matmul(self, a: Array, b: Array, trans_a: bool = False, trans_b: bool = False) -> Array:
        a = a.T if trans_a else a
        b = b.T if trans_b else b
        m, n = a.shape[0], b.shape[1]
        # A dense layer's (batch x neurons) products come out batch-innermost (as the
        # transpose of a C-ordered product), like the maps of the convolutions.
        transposed = not trans_a and m < n
        if transposed:
            a, b, m, n = b.T, a.T, n, m
        k = a.shape[1]
        macs = m * n * k
        # Every shard packs its slice of one operand and the whole of the other, so the
        # cut goes where that other operand is smallest; a cut of the inner dimension
        # shares nothing but writes and sums a partial product per shard. (A dense
        # layer's forward product, 186 x 3456 by 3456 x 32, ran 10-40% slower cut in
        # rows, 2-4% slower cut inside.)
        shared = min(b.size, a.size, 2 * m * n)
        if shared == 2 * m * n:
            parts = self._split(k, lambda i, j: np.matmul(a[:, i:j], b[i:j]), macs=macs)
            out = parts[0]
            for part in parts[1:]:
                out += part
        else:
            out = np.empty((m, n), dtype=self.dtype)
            if shared == b.size:
                self._split(m, lambda i, j: np.matmul(a[i:j], b, out=out[i:j]), macs=macs)
            else:
                self._split(n, lambda i, j: np.matmul(a, b[:, i:j], out=out[:, i:j]), macs=macs)
        return out.T if transposed else out

    @_fenced
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
        if not y.flags.c_contiguous:
            super().gemm_update(y, a, b, alpha, beta, trans_a, trans_b)
            return
        a = a.T if trans_a else a
        b = b.T if trans_b else b
        # numpy has no GEMM with beta. CBLAS's, called without the GIL, lets the update run
        # on a worker beside the caller; scipy's (holding the GIL) is the fallback.
        gemm = cblas.gemm(self.dtype)

        def update() -> None:
            if gemm is not None:
                gemm(alpha, a, b, beta, y)
                return
            # In scipy's column-major terms: y^T = alpha * b^T @ a^T + beta * y^T.
            c = y.T
            scipy_gemm = blas.sgemm if self.dtype == np.float32 else blas.dgemm
            (f, trans_f), (g, trans_g) = _fortran(b.T), _fortran(a.T)
            result = scipy_gemm(alpha, f, g, beta, c, trans_f, trans_g, overwrite_c=1)
            if not np.shares_memory(result, c):
                c[...] = result

        m, n = y.shape
        macs = m * n * a.shape[1]
        if self._shard_count == 1 or macs < _PARALLEL_MACS:
            update()
            return
        # A weight update is the last op of a step to touch its weights: on two threads it
        # runs whole on a worker beside the rest of the step (the layers below, the next
        # batch's first layers), and an op that reads or writes the weights first waits
        # for it (_fenced). Whole, it sums as on one thread. The chooser weighs what that
        # costs the caller (handing it over, then waiting) against running it itself:
        # when another process holds the worker's core, the wait grows and it does.
        key = (update.__code__, macs)
        start = time.perf_counter()
        if self._chooser.choose(key):
            job = self._pool().submit([update])
            self._pending.append(((y, a, b), job, key, time.perf_counter() - start))
        else:
            update()
            self._chooser.record(key, False, time.perf_counter() - start)

    # bias ---------------------------------------------------------------------------
    @_fenced
    def add_bias(self, y: Array, b: Array) -> None:
        y += b.reshape((-1,) + (1,) * (y.ndim - 2))

    @_fenced
    def reduce_sum(self, x: Array, axes: tuple[int, ...] | None = None) -> np.ndarray:
        return np.asarray(x.sum(axis=axes), dtype=self.dtype)

    # pooling ------------------------------------------------------------------------
    @_fenced
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

    @_fenced
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
    @_fenced
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

    @_fenced
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

    @_fenced
    def softmax(self, x: Array) -> np.ndarray:
        flat = x.reshape(x.shape[0], -1)
        e = np.exp(flat - flat.max(axis=1, keepdims=True))
        e /= e.sum(axis=1, keepdims=True)
        return e.reshape(x.shape)

    @_fenced
    def softmax_grad(self, y: Array, dy: Array) -> np.ndarray:
        n = y.shape[0]
        inner = (y * dy).reshape(n, -1).sum(axis=1).reshape((n,) + (1,) * (y.ndim - 1))
        return y * (dy - inner)

    @_fenced
    def mul(self, a: Array, b: Array) -> np.ndarray:
        return np.multiply(a, b)

    @_fenced
    def sub(self, a: Array, b: Array) -> np.ndarray:
        return np.subtract(a, b)

    @_fenced
    def scale(self, x: Array, alpha: float) -> np.ndarray:
        return np.multiply(x, self.dtype.type(alpha))

    @_fenced
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
    @_fenced
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

        self._split(flat_y.size, work, macs=flat_y.size)

    # reductions to the host ---------------------------------------------------------
    @_fenced
    def mean_abs(self, x: Array) -> float:
        return float(np.mean(np.abs(x), dtype=np.float64))
