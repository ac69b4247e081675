"""BLAS's ``gemm`` with ``beta``, called without holding the GIL.

numpy has no matrix product that adds to its output (BLAS's ``beta``); scipy's
``blas.sgemm`` has, but holds the GIL for the whole product, so the shards of a fused
weight update ran one after the other on two threads (0.96x of one thread, against 2.03x
for ``np.matmul``'s shards, which release it). A foreign call through :mod:`ctypes`
releases the GIL, so :func:`gemm` calls the CBLAS ``gemm`` of the OpenBLAS that numpy
(or scipy) has loaded, found through threadpoolctl; the BLAS thread limit the back end
sets through threadpoolctl applies to it, being the same library. Where no such library
or symbol is found, :func:`gemm` is None and the back end keeps scipy's.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
from threadpoolctl import threadpool_info

__all__ = ["gemm"]

# CBLAS's enums (cblas.h).
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
# numpy's OpenBLAS has 64-bit integers and symbols suffixed 64_, scipy's 32-bit ones.
_SYMBOLS = {
    np.float32: (("scipy_cblas_sgemm64_", ctypes.c_int64), ("scipy_cblas_sgemm", ctypes.c_int)),
    np.float64: (("scipy_cblas_dgemm64_", ctypes.c_int64), ("scipy_cblas_dgemm", ctypes.c_int)),
}
Gemm = Callable[[float, np.ndarray, np.ndarray, float, np.ndarray], None]


def _operand(m: np.ndarray) -> tuple[np.ndarray, int, int]:
    """``(m', trans, ld)``: a row-major matrix ``m'`` that is ``m`` (``trans`` 111) or
    its transpose (112), with leading dimension ``ld``; a copy only when m's rows and
    columns are both strided."""
    size = m.itemsize
    if m.strides[1] == size and m.strides[0] % size == 0 and m.strides[0] >= m.shape[1] * size:
        return m, _NO_TRANS, max(1, m.strides[0] // size)
    if m.strides[0] == size and m.strides[1] % size == 0 and m.strides[1] >= m.shape[0] * size:
        return m, _TRANS, max(1, m.strides[1] // size)
    m = np.ascontiguousarray(m)
    return m, _NO_TRANS, max(1, m.shape[1])


def _bind(function: Any, integer: type, scalar: type) -> Gemm:
    pointer = ctypes.c_void_p
    function.restype = None
    function.argtypes = [ctypes.c_int] * 3 + [integer] * 3 + [scalar, pointer, integer]
    function.argtypes += [pointer, integer, scalar, pointer, integer]

    def gemm(alpha: float, a: np.ndarray, b: np.ndarray, beta: float, c: np.ndarray) -> None:
        """In place: ``c <- alpha * a @ b + beta * c``, c a row-major view with unit
        column stride."""
        (m, k), n = a.shape, b.shape[1]
        if c.shape != (m, n) or b.shape[0] != k:
            raise ValueError(f"gemm shapes {a.shape} @ {b.shape} -> {c.shape}")
        if c.strides[1] != c.itemsize:
            raise ValueError("gemm writes into rows of unit column stride")
        if not (m and n):
            return
        (a, trans_a, lda), (b, trans_b, ldb) = _operand(a), _operand(b)
        ldc = max(1, c.strides[0] // c.itemsize)
        function(
            _ROW_MAJOR, trans_a, trans_b, m, n, k,
            alpha, a.ctypes.data, lda, b.ctypes.data, ldb, beta, c.ctypes.data, ldc,
        )  # fmt: skip

    return gemm


@cache
def gemm(dtype: np.dtype) -> Gemm | None:
    """CBLAS ``gemm`` for float32 or float64 of a loaded OpenBLAS, or None."""
    kind = np.dtype(dtype).type
    if kind not in _SYMBOLS:
        return None
    scalar = ctypes.c_float if kind is np.float32 else ctypes.c_double
    for library in threadpool_info():
        if library.get("internal_api") != "openblas":
            continue
        try:
            handle = ctypes.CDLL(library["filepath"])
        except OSError:
            continue
        for name, integer in _SYMBOLS[kind]:
            function = getattr(handle, name, None)
            if function is not None:
                return _bind(function, integer, scalar)
    return None
