"""Backpropagation against central finite differences (float64), on every back end."""

from __future__ import annotations

import numpy as np
import pytest
from ignet_testing import backend_or_skip, numeric_gradients, relative_error

from ignet import Conv, Dense, MaxPool, Network, Softmax

TOL = 1e-5


def check(backend_name, layers, loss, X, y):
    be = backend_or_skip(backend_name, "float64")
    net = Network(layers, loss=loss, backend=be, random_state=3)
    net.build(X.shape[1:])
    loss_value, analytic = net.gradients(X, y)
    assert np.isfinite(loss_value)
    numeric = numeric_gradients(net, X, y)
    names = [name for name, _ in net.parameters()]
    for name, a, (picked, b) in zip(names, analytic, numeric, strict=True):
        assert np.abs(b).max() > 0, f"{name}: the check is vacuous"
        assert relative_error(a.ravel()[picked], b) < TOL, name


def one_hot(rng, n, k):
    return np.eye(k)[rng.integers(0, k, n)]


@pytest.mark.parametrize("activation", ["identity", "sigmoid", "bipolar_sigmoid", "relu", "tanh"])
def test_conv_options_and_activations(backend_name, rng, activation):
    """Stride 2, zero padding, input padding, several channels and each activation."""
    X = rng.normal(size=(3, 2, 5, 6))
    layers = [
        Conv(
            3,
            (3, 2),
            stride=2,
            padding=1,
            input_padding=1,
            activation=activation,
            w_range=4.0,
            b_range=0.5,
        ),
        Conv(2, 2, stride=(1, 2), padding=(0, 1), activation=activation, w_range=4.0, b_range=0.5),
        Dense(4, activation=activation, w_range=4.0, b_range=0.5),
    ]
    check(backend_name, layers, "mse", X, rng.normal(size=(3, 4)))


def test_matrix_output_without_bias_and_maxpool(backend_name, rng):
    X = rng.normal(size=(4, 1, 7, 6))
    layers = [
        Conv(2, 3, padding=1, bias=False, activation="tanh", w_range=3.0),
        MaxPool(2, stride=(2, 1)),
        Dense((2, 3), bias=False, w_range=3.0),
    ]
    check(backend_name, layers, "mse", X, rng.normal(size=(4, 2, 3)))


def test_mae(backend_name, rng):
    X = rng.normal(size=(4, 1, 5, 5))
    layers = [Conv(2, 3, stride=2, input_padding=(1, 0)), Dense(3, bias=False)]
    check(backend_name, layers, "mae", X, rng.normal(size=(4, 3)) + 5)


def test_softmax_cross_entropy_fused(backend_name, rng):
    X = rng.normal(size=(5, 2, 6, 4))
    layers = [
        Conv(3, 3, padding=1, activation="relu", w_range=3.0),
        Dense(4, w_range=3.0),
        Softmax(),
    ]
    check(backend_name, layers, "ce", X, one_hot(rng, 5, 4))


def test_softmax_alone_with_mse(backend_name, rng):
    X = rng.normal(size=(4, 1, 4, 4))
    layers = [Dense((2, 2), w_range=3.0), Softmax()]
    check(backend_name, layers, "mse", X, rng.random((4, 2, 2)))


def test_cross_entropy_unfused(backend_name, rng):
    X = rng.normal(size=(4, 1, 4, 5))
    layers = [Conv(2, 2, stride=2), Dense(3, activation="sigmoid", w_range=3.0)]
    check(backend_name, layers, "ce", X, one_hot(rng, 4, 3))


def test_binary_cross_entropy_fused_multilabel(backend_name, rng):
    X = rng.normal(size=(5, 3, 4, 4))
    layers = [
        Conv(2, 3, padding=1, activation="bipolar_sigmoid"),
        Dense(3, activation="sigmoid", w_range=3.0),
    ]
    check(backend_name, layers, "bce", X, (rng.random((5, 3)) > 0.5).astype(float))


def test_binary_cross_entropy_unfused(backend_name, rng):
    X = rng.normal(size=(4, 1, 4, 4))
    layers = [Dense(3, w_range=3.0), Softmax()]
    check(backend_name, layers, "bce", X, (rng.random((4, 3)) > 0.5).astype(float))


def test_gradients_change_nothing(backend_name, rng):
    X = rng.normal(size=(4, 1, 6, 6))
    y = rng.normal(size=(4, 2))
    layers = [Conv(2, 3, dropout=0.5, dropconnect=0.5), Dense(2)]
    net = Network(layers, backend=backend_name, random_state=0)
    net.build(X.shape[1:])
    before = net.parameters()
    first = net.gradients(X, y)
    second = net.gradients(X, y)
    assert first[0] == second[0]
    for a, b in zip(first[1], second[1], strict=True):
        np.testing.assert_array_equal(a, b)
    for (_, a), (_, b) in zip(before, net.parameters(), strict=True):
        np.testing.assert_array_equal(a, b)
