"""Every back end's ops against plain numpy references.

Each back end of ``BACKENDS`` runs in float32 (the OpenCL one on PoCL's CPU device in CI,
skipped with its own message where pyopencl or a device is missing); the references are
float64 loops and formulas. The measure is the maximum relative difference
max|a - b| / max(|a|, |b|), which must stay below 1e-4.
"""

from __future__ import annotations

import numpy as np
import pytest
from ignet_testing import conv_errors, naive_maxpool, relative_error

from ignet.backends.base import EPS, UNARY_OPS, ConvGeometry

TOL = 1e-4

ACTIVATIONS = {
    # name: (y from x, dy/dx from x and y)
    "identity": (lambda x: x, lambda x, y: np.ones_like(x)),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), lambda x, y: y * (1 - y)),
    "bipolar_sigmoid": (lambda x: 2 / (1 + np.exp(-x)) - 1, lambda x, y: (1 - y * y) / 2),
    "relu": (lambda x: np.maximum(x, 0), lambda x, y: (x > 0).astype(float)),
    "tanh": (np.tanh, lambda x, y: 1 - y * y),
}

UNARY = {
    "abs": np.abs,
    "sign": np.sign,
    "square": np.square,
    "log": lambda x: np.log(np.maximum(x, EPS)),
    "reciprocal": lambda x: 1 / np.maximum(x, EPS),
    "complement": lambda x: 1 - x,
}


def close(be, device_array, expected) -> None:
    host = be.to_host(device_array)
    assert host.shape == np.shape(expected)
    assert relative_error(host.astype(np.float64), np.asarray(expected)) < TOL


def _geometries(count: int, seed: int = 7):
    """Random convolutions: channels 1-3, strides 1-2, paddings, input paddings."""
    rng = np.random.default_rng(seed)
    batches = (1, 7, 33)
    out = []
    while len(out) < count:
        c, f = int(rng.integers(1, 4)), int(rng.integers(1, 6))
        kernel = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
        stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        padding = (int(rng.integers(0, 3)), int(rng.integers(0, 2)))
        input_padding = (int(rng.integers(0, 2)), int(rng.integers(0, 2)))
        shape = (c, int(rng.integers(2, 12)), int(rng.integers(2, 19)))
        g = ConvGeometry(shape, f, kernel, stride, padding, input_padding)
        if min(g.out_shape[1:]) >= 1:
            out.append((batches[len(out) % 3], g))
    return out


@pytest.mark.parametrize(("n", "geom"), _geometries(12))
def test_conv_ops(backend, n, geom):
    assert max(conv_errors(backend, n, geom)) < TOL


def test_input_padding_inserts_zeros_between_elements(backend):
    x = np.arange(1, 7, dtype=np.float32).reshape(1, 1, 2, 3)
    geom = ConvGeometry((1, 2, 3), 1, (1, 1), input_padding=(1, 2))
    y, _ = backend.conv2d(backend.asarray(x), backend.asarray(np.ones((1, 1, 1, 1))), geom)
    expected = np.zeros((3, 7))
    expected[::2, ::3] = x[0, 0]
    np.testing.assert_array_equal(backend.to_host(y)[0, 0], expected)


MATMUL_SHAPES = [(1, 1, 1), (7, 5, 3), (33, 17, 40), (5, 300, 9), (32, 3456, 186), (40, 3, 33)]


@pytest.mark.parametrize(("m", "k", "n"), MATMUL_SHAPES)
def test_matmul(backend, m, k, n):
    rng = np.random.default_rng(m * k * n)
    for trans_a in (False, True):
        for trans_b in (False, True):
            a = rng.normal(size=(k, m) if trans_a else (m, k)).astype(np.float32)
            b = rng.normal(size=(n, k) if trans_b else (k, n)).astype(np.float32)
            out = backend.matmul(backend.asarray(a), backend.asarray(b), trans_a, trans_b)
            close(backend, out, (a.T if trans_a else a) @ (b.T if trans_b else b))


@pytest.mark.parametrize(("trans_a", "trans_b"), [(False, False), (True, False), (False, True)])
def test_gemm_update(backend, rng, trans_a, trans_b):
    a = rng.normal(size=(5, 7) if trans_a else (7, 5)).astype(np.float32)
    b = rng.normal(size=(11, 5) if trans_b else (5, 11)).astype(np.float32)
    y = rng.normal(size=(7, 11)).astype(np.float32)
    expected = 0.7 * y - 0.3 * (a.T if trans_a else a) @ (b.T if trans_b else b)
    dy = backend.asarray(y)
    backend.gemm_update(dy, backend.asarray(a), backend.asarray(b), -0.3, 0.7, trans_a, trans_b)
    close(backend, dy, expected)


@pytest.mark.parametrize(
    ("shape", "size", "stride"),
    [
        ((7, 3, 9, 8), (2, 2), (2, 2)),
        ((1, 1, 7, 6), (3, 2), (2, 1)),
        ((33, 2, 5, 5), (2, 3), (1, 2)),
    ],
)
def test_maxpool(backend, shape, size, stride):
    rng = np.random.default_rng(0)
    # small integers make ties, which go to the first maximum of each window
    x = rng.integers(-3, 4, size=shape).astype(np.float32)
    y_ref, grad_ref = naive_maxpool(x, size, stride)
    y, saved = backend.maxpool(backend.asarray(x), size, stride)
    close(backend, y, y_ref)
    dy = rng.normal(size=y_ref.shape).astype(np.float32)
    close(backend, backend.maxpool_grad(backend.asarray(dy), saved), grad_ref(dy))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations(backend, name):
    x = np.random.default_rng(1).normal(scale=3, size=(7, 3, 5, 4)).astype(np.float32)
    function, derivative = ACTIVATIONS[name]
    y_ref = function(x.astype(np.float64))
    y = backend.activation(name, backend.asarray(x))
    close(backend, y, y_ref)
    close(backend, backend.activation_grad(name, backend.asarray(x), y), derivative(x, y_ref))


@pytest.mark.parametrize("op", UNARY_OPS)
def test_unary(backend, op):
    x = np.random.default_rng(2).normal(size=(33, 17)).astype(np.float32)
    x[0, :3] = [0.0, 1e-9, -1e-9]
    close(backend, backend.unary(op, backend.asarray(x)), UNARY[op](x.astype(np.float64)))


def test_elementwise_softmax_and_update(backend):
    rng = np.random.default_rng(3)
    a, b = (rng.normal(size=(33, 2, 3, 5)).astype(np.float32) for _ in range(2))
    da, db = backend.asarray(a), backend.asarray(b)
    close(backend, backend.mul(da, db), a * b)
    close(backend, backend.sub(da, db), a - b)
    close(backend, backend.scale(da, -0.37), -0.37 * a)
    z = (a * 20).reshape(33, -1).astype(np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    y_ref = (e / e.sum(axis=1, keepdims=True)).reshape(a.shape)
    y = backend.softmax(backend.asarray(a * 20))
    close(backend, y, y_ref)
    inner = (y_ref * b).sum(axis=(1, 2, 3), keepdims=True)
    close(backend, backend.softmax_grad(y, db), y_ref * (b - inner))
    expected = 0.9 * a - 0.1 * b  # before axpby, which may update a itself in place
    backend.axpby(da, db, -0.1, 0.9)
    close(backend, da, expected)


@pytest.mark.parametrize("shape", [(7, 5), (33, 4, 3, 2), (1, 186, 1, 1)])
def test_bias_and_sums(backend, shape):
    rng = np.random.default_rng(4)
    y = rng.normal(size=shape).astype(np.float32)
    b = rng.normal(size=shape[1]).astype(np.float32)
    biased = y + b.reshape((-1,) + (1,) * (len(shape) - 2))
    dy = backend.asarray(y)
    backend.add_bias(dy, backend.asarray(b))
    close(backend, dy, biased)
    axes_list = [None, (0,), tuple(i for i in range(len(shape)) if i != 1), (len(shape) - 1,)]
    for axes in axes_list:
        close(backend, backend.reduce_sum(dy, axes), biased.sum(axis=axes, dtype=np.float64))
    assert backend.to_host(backend.reduce_sum(dy)).shape == ()
    mean_abs = np.abs(biased).mean(dtype=np.float64)
    assert abs(backend.mean_abs(dy) - mean_abs) < TOL * mean_abs


def test_memory_ops_and_long_sums(backend):
    x = np.random.default_rng(5).normal(size=(3, 100_003)).astype(np.float32)
    dx = backend.asarray(x)
    np.testing.assert_array_equal(backend.to_host(dx), x)
    assert backend.reshape(dx, (100_003, 3)).shape == (100_003, 3)
    np.testing.assert_array_equal(backend.to_host(backend.zeros((4, 2))), np.zeros((4, 2)))
    close(backend, backend.reduce_sum(dx), x.sum(dtype=np.float64))
    close(backend, backend.reduce_sum(dx, (1,)), x.sum(axis=1, dtype=np.float64))
    mean_abs = np.abs(x).mean(dtype=np.float64)
    assert abs(backend.mean_abs(dx) - mean_abs) < TOL * mean_abs


def test_non_finite_values_show(backend):
    x = np.ones((5, 40), dtype=np.float32)
    x[3, 7] = np.nan
    dx = backend.asarray(x)
    assert np.isnan(backend.mean_abs(dx))
    assert np.isnan(backend.to_host(backend.unary("log", dx))[3, 7])
    assert np.isnan(backend.to_host(backend.activation("relu", dx))[3, 7])
    x[3, 7] = np.inf
    assert backend.mean_abs(backend.asarray(x)) == np.inf
