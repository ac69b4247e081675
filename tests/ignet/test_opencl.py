"""The opencl back end against the numpy back end (on PoCL's CPU device in CI).

Every op is compared over random shapes, then whole-network gradients, a few epochs of
training and fig5 on the digits. The measure is the maximum relative difference
max|a - b| / max|b|, which must stay below 1e-4. Without pyopencl or an OpenCL device
these tests skip with the back end's own message (which says how to install one).
"""

from __future__ import annotations

import numpy as np
import pytest

import ignet.backends.opencl as ocl
from ignet import Conv, Dense, MaxPool, Network, Softmax, preset
from ignet.backends import BACKENDS, get_backend
from ignet.backends.base import UNARY_OPS, ConvGeometry
from ignet.backends.numpy import NumpyBackend
from ignet.backends.opencl import backend as ocl_backend
from ignet.backends.opencl import devices as ocl_devices
from ignet.errors import IgNetError

TOL = 1e-4
ACTIVATIONS = ("identity", "sigmoid", "bipolar_sigmoid", "relu", "tanh")


def _opencl(dtype: str = "float32"):
    try:
        return get_backend("opencl", dtype=dtype)
    except IgNetError as error:
        pytest.skip(str(error))


@pytest.fixture(scope="module")
def be():
    return _opencl()


@pytest.fixture(scope="module")
def be64():
    return _opencl("float64")


@pytest.fixture(scope="module")
def ref():
    return NumpyBackend()


def rel(a, b) -> float:
    """max|a - b| / max|b| (b is the numpy back end's result)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30)) if b.size else 0.0


def close(be, device_array, expected) -> None:
    assert rel(be.to_host(device_array), expected) < TOL


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


# ops --------------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "geom"), _geometries(12))
def test_conv_ops(be, ref, n, geom):
    rng = np.random.default_rng(n)
    x = rng.normal(size=(n, *geom.in_shape)).astype(np.float32)
    w = rng.normal(size=(geom.filters, geom.in_shape[0], *geom.kernel)).astype(np.float32)
    dy = rng.normal(size=(n, *geom.out_shape)).astype(np.float32)
    y_ref, saved_ref = ref.conv2d(x, w, geom)
    y, saved = be.conv2d(be.asarray(x), be.asarray(w), geom)
    close(be, y, y_ref)
    close(be, be.conv2d_grad_input(be.asarray(dy), be.asarray(w), geom),
          ref.conv2d_grad_input(dy, w, geom))  # fmt: skip
    close(be, be.conv2d_grad_weight(be.asarray(dy), saved, geom),
          ref.conv2d_grad_weight(dy, saved_ref, geom))  # fmt: skip


MATMUL_SHAPES = [(1, 1, 1), (7, 5, 3), (33, 17, 40), (5, 300, 9), (32, 3456, 186), (40, 3, 33)]


@pytest.mark.parametrize(("m", "k", "n"), MATMUL_SHAPES)
@pytest.mark.parametrize("by_transpose", [False, True])
def test_matmul(be, ref, m, k, n, by_transpose, monkeypatch):
    monkeypatch.setattr(be, "nt_by_transpose", by_transpose)
    rng = np.random.default_rng(m * k * n)
    for trans_a in (False, True):
        for trans_b in (False, True):
            a = rng.normal(size=(k, m) if trans_a else (m, k)).astype(np.float32)
            b = rng.normal(size=(n, k) if trans_b else (k, n)).astype(np.float32)
            out = be.matmul(be.asarray(a), be.asarray(b), trans_a, trans_b)
            close(be, out, ref.matmul(a, b, trans_a, trans_b))


@pytest.mark.parametrize(
    ("shape", "size", "stride"),
    [
        ((7, 3, 9, 8), (2, 2), (2, 2)),
        ((1, 1, 7, 6), (3, 2), (2, 1)),
        ((33, 2, 5, 5), (2, 3), (1, 2)),
    ],
)
def test_maxpool(be, ref, shape, size, stride):
    rng = np.random.default_rng(0)
    # small integers make ties, which both back ends must break the same way
    x = rng.integers(-3, 4, size=shape).astype(np.float32)
    y_ref, saved_ref = ref.maxpool(x, size, stride)
    y, saved = be.maxpool(be.asarray(x), size, stride)
    close(be, y, y_ref)
    dy = rng.normal(size=y_ref.shape).astype(np.float32)
    close(be, be.maxpool_grad(be.asarray(dy), saved), ref.maxpool_grad(dy, saved_ref))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations(be, ref, name):
    x = np.random.default_rng(1).normal(scale=3, size=(7, 3, 5, 4)).astype(np.float32)
    y_ref = ref.activation(name, x)
    y = be.activation(name, be.asarray(x))
    close(be, y, y_ref)
    close(be, be.activation_grad(name, be.asarray(x), y), ref.activation_grad(name, x, y_ref))


@pytest.mark.parametrize("op", UNARY_OPS)
def test_unary(be, ref, op):
    x = np.random.default_rng(2).normal(size=(33, 17)).astype(np.float32)
    x[0, :3] = [0.0, 1e-9, -1e-9]
    close(be, be.unary(op, be.asarray(x)), ref.unary(op, x))


def test_elementwise_softmax_and_update(be, ref):
    rng = np.random.default_rng(3)
    a, b = (rng.normal(size=(33, 2, 3, 5)).astype(np.float32) for _ in range(2))
    da, db = be.asarray(a), be.asarray(b)
    close(be, be.mul(da, db), ref.mul(a, b))
    close(be, be.sub(da, db), ref.sub(a, b))
    close(be, be.scale(da, -0.37), ref.scale(a, -0.37))
    y_ref = ref.softmax(a * 20)
    y = be.softmax(be.asarray(a * 20))
    close(be, y, y_ref)
    close(be, be.softmax_grad(y, db), ref.softmax_grad(y_ref, b))
    ref.axpby(a, b, -0.1, 0.9)
    be.axpby(da, db, -0.1, 0.9)
    close(be, da, a)


@pytest.mark.parametrize("shape", [(7, 5), (33, 4, 3, 2), (1, 186, 1, 1)])
def test_bias_and_sums(be, ref, shape):
    rng = np.random.default_rng(4)
    y = rng.normal(size=shape).astype(np.float32)
    b = rng.normal(size=shape[1]).astype(np.float32)
    dy = be.asarray(y)
    be.add_bias(dy, be.asarray(b))
    ref.add_bias(y, b)
    close(be, dy, y)
    axes_list = [None, (0,), tuple(i for i in range(len(shape)) if i != 1), (len(shape) - 1,)]
    for axes in axes_list:
        close(be, be.reduce_sum(dy, axes), ref.reduce_sum(y, axes))
    assert be.reduce_sum(dy).shape == ()
    assert abs(be.mean_abs(dy) - ref.mean_abs(y)) < TOL * ref.mean_abs(y)


def test_memory_ops_and_long_sums(be, ref):
    x = np.random.default_rng(5).normal(size=(3, 100_003)).astype(np.float32)
    dx = be.asarray(x)
    np.testing.assert_array_equal(be.to_host(dx), x)
    assert be.reshape(dx, (100_003, 3)).shape == (100_003, 3)
    np.testing.assert_array_equal(be.to_host(be.zeros((4, 2))), np.zeros((4, 2)))
    close(be, be.reduce_sum(dx), ref.reduce_sum(x))
    close(be, be.reduce_sum(dx, (1,)), ref.reduce_sum(x, (1,)))
    assert abs(be.mean_abs(dx) - ref.mean_abs(x)) < TOL * ref.mean_abs(x)


def test_non_finite_values_show(be):
    x = np.ones((5, 40), dtype=np.float32)
    x[3, 7] = np.nan
    dx = be.asarray(x)
    assert np.isnan(be.mean_abs(dx))
    assert np.isnan(be.to_host(be.unary("log", dx))[3, 7])
    assert np.isnan(be.to_host(be.activation("relu", dx))[3, 7])
    x[3, 7] = np.inf
    assert be.mean_abs(be.asarray(x)) == np.inf


# networks ---------------------------------------------------------------------------
def _mixed_layers():
    return [
        Conv(3, (3, 2), stride=2, padding=1, input_padding=1, activation="relu", w_range=3.0),
        MaxPool(2, stride=(2, 1)),
        Conv(2, 2, stride=(1, 2), padding=(0, 1), activation="tanh", w_range=3.0),
        Dense((2, 3), activation="sigmoid", w_range=3.0),
        Dense(4, w_range=3.0),
        Softmax(),
    ]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_network_gradients_match_numpy(dtype, rng):
    _opencl(dtype)
    X = rng.normal(size=(7, 2, 9, 8))
    y = np.eye(4)[rng.integers(0, 4, 7)]
    grads = {}
    for backend in BACKENDS:
        net = Network(_mixed_layers(), loss="ce", backend=backend, dtype=dtype, random_state=3)
        net.build(X.shape[1:])
        grads[backend] = net.gradients(X, y)
    assert abs(grads["opencl"][0] - grads["numpy"][0]) < TOL * abs(grads["numpy"][0])
    for a, b in zip(grads["opencl"][1], grads["numpy"][1], strict=True):
        assert rel(a, b) < TOL


@pytest.mark.parametrize("loss", ["mse", "mae", "bce"])
def test_losses_and_regularisation_train_like_numpy(loss, rng):
    """A few epochs with momentum, dropout and freezeconnect end in the same weights."""
    _opencl()
    X = rng.normal(size=(33, 1, 6, 5))
    y = rng.random((33, 3)) if loss != "bce" else (rng.random((33, 3)) > 0.5).astype(float)
    params = {}
    for backend in BACKENDS:
        layers = [
            Conv(4, 3, padding=1, activation="tanh", dropout=0.2, freezeconnect=0.3),
            Dense(3, activation="sigmoid" if loss == "bce" else "identity", dropconnect=0.2),
        ]
        net = Network(layers, loss=loss, optimizer="nesterov", batch_size=8, random_state=5,
                      learning_rate=0.05, backend=backend)  # fmt: skip
        net.fit(X, y, epochs=3)
        params[backend] = net.parameters()
    for (name, a), (_, b) in zip(params["opencl"], params["numpy"], strict=True):
        assert rel(a, b) < TOL, name


def test_fig5_digits_accuracy_matches_numpy():
    _opencl()
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = (digits.images / 16).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[digits.target]
    order = np.random.default_rng(0).permutation(len(X))
    train, test = order[:1400], order[1400:]
    accuracy = {}
    for backend in BACKENDS:
        net = Network(preset("fig5", (8, 8), 10), loss="ce", learning_rate=0.05,
                      backend=backend, random_state=0)  # fmt: skip
        net.fit(X[train], y[train], epochs=4)
        accuracy[backend] = net.evaluate(X[test], y[test])["accuracy"]
    assert accuracy["numpy"] > 0.8
    assert abs(accuracy["opencl"] - accuracy["numpy"]) <= 0.01


# device choice and errors -----------------------------------------------------------
def test_device_choice(be, monkeypatch):
    devices = ocl.list_devices()
    assert devices and devices[0].index == 0
    assert ocl.choose_device(0).name.strip() == devices[0].name
    assert ocl.choose_device("0").name.strip() == devices[0].name
    part = devices[0].name[-6:].lower()
    assert ocl.choose_device(part).name.strip() == devices[0].name
    monkeypatch.setenv("PYOPENCL_CTX", "0")
    assert ocl.choose_device().platform.name.strip() == devices[0].platform
    with pytest.raises(IgNetError, match="no OpenCL device named like"):
        ocl.choose_device("no such device anywhere")
    with pytest.raises(IgNetError, match="out of range"):
        ocl.choose_device(len(devices))
    assert get_backend("opencl", device=0).device_name == devices[0].name


def test_missing_pyopencl_says_how_to_install(monkeypatch):
    monkeypatch.setattr(ocl_devices, "cl", None)
    with pytest.raises(IgNetError, match=r"pip install 'ignet-bench\[opencl\]'"):
        get_backend("opencl")
    with pytest.raises(IgNetError, match="pyopencl"):
        Network([Dense(2)], backend="opencl")


def test_missing_device_says_how_to_install(monkeypatch):
    if ocl_devices.cl is None:
        pytest.skip(ocl.INSTALL_HINT)
    monkeypatch.setattr(ocl_devices, "_all_devices", lambda: [])
    with pytest.raises(IgNetError, match=r"no OpenCL device found.*ignet-bench\[opencl\]"):
        get_backend("opencl")


def test_float64_needs_fp64(be, monkeypatch):
    monkeypatch.setattr(ocl_backend, "has_fp64", lambda device: False)
    with pytest.raises(IgNetError, match="float64 needs cl_khr_fp64"):
        get_backend("opencl", dtype="float64")
    with pytest.raises(IgNetError, match="dtype must be float32 or float64"):
        get_backend("opencl", dtype="float16")


# the ignet-bench devices command ------------------------------------------------------
def test_devices_command_lists_devices(be, capsys):
    from bench.cli import main

    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("index")
    assert be.device_name in out
    chosen = ocl.chosen_device()
    assert f"backend='opencl' uses device {chosen.index}: {be.device_name}" in out


def test_devices_command_without_pyopencl(monkeypatch, capsys):
    from bench.cli import main

    monkeypatch.setattr(ocl_devices, "cl", None)
    assert main(["devices"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "pip install 'ignet-bench[opencl]'" in err
