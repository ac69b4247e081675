"""The Fig. 4 table and the weight-range calibration.

The table's values and the calibration to a band are checked on every back end.
"""

from __future__ import annotations

import numpy as np
import pytest

from ignet import Conv, Dense, IgNetError, Network, Softmax, format_table


def two_layer(w2=1.0, **kwargs):
    return Network(
        [Conv(4, 3, learn_bias=False), Dense(3, w_range=w2, learn_bias=False)],
        loss="mse",
        random_state=0,
        **kwargs,
    )


def test_diagnose_matches_gradients(backend_name, rng):
    X, y = rng.random((32, 1, 10, 8)), rng.random((32, 3))
    net = two_layer(backend=backend_name)
    net.build(X.shape[1:])
    table = net.diagnose(X, y)
    loss, grads = net.gradients(X, y)
    assert list(table.index) == [0, 1]
    assert table.attrs["loss"] == pytest.approx(loss)
    assert table.attrs["samples"] == 32
    np.testing.assert_allclose(
        table["weight_derivative"], [np.abs(grads[0]).mean(), np.abs(grads[2]).mean()], rtol=1e-5
    )
    weights = [p for name, p in net.parameters() if name.endswith("W")]
    np.testing.assert_allclose(table["weights"], [np.abs(w).mean() for w in weights], rtol=1e-5)
    assert table.loc[0, "input"] == pytest.approx(np.abs(X).mean(), rel=1e-5)
    assert (table["activation_derivative"] == 1).all()
    text = format_table(table)
    assert "***dL/dW MAV" in text and "*In MAV" in text and "loss" in text


def test_second_layer_range_drives_first_layer_derivatives(rng):
    """The paper's Fig. 4 observation: W_2 x 10 gives MAV(dL/dW_1) about x 10."""
    X, y = rng.random((32, 1, 10, 8)), rng.random((32, 3)) + 1
    small, large = two_layer(0.1), two_layer(1.0)
    for net in (small, large):
        net.build(X.shape[1:])
    ratio = large.diagnose(X, y)["weight_derivative"] / small.diagnose(X, y)["weight_derivative"]
    assert 7 < ratio[0] < 13


def test_activation_derivative_of_saturated_layer(rng):
    X = rng.random((16, 1, 6, 6))
    net = Network([Dense(5, activation="tanh", w_range=2000.0), Dense(2)], random_state=0)
    net.build(X.shape[1:])
    table = net.diagnose(X, rng.random((16, 2)))
    assert table.loc[0, "activation_derivative"] < 0.2


@pytest.mark.parametrize("depth", [2, 4])
def test_calibrate_reaches_the_band(backend_name, rng, depth):
    X = rng.random((32, 1, 12, 10))
    y = np.eye(4)[rng.integers(0, 4, 32)]
    layers = [Conv(4, 3, padding=1, w_range=0.05, learn_bias=False) for _ in range(depth - 1)]
    net = Network([*layers, Dense(4, w_range=0.05), Softmax()], loss="ce", random_state=0,
                  backend=backend_name)  # fmt: skip
    net.build(X.shape[1:])
    before = net.diagnose(X, y)["weight_derivative"]
    assert (before < 0.01).any()
    report = net.calibrate(X, y, target=(0.01, 0.1))
    after = net.diagnose(X, y)["weight_derivative"]
    assert ((after >= 0.01) & (after <= 0.1)).all()
    np.testing.assert_allclose(report["mav_after"], after, rtol=1e-5)
    np.testing.assert_allclose(report["mav_before"], before, rtol=1e-5)
    assert (report["w_range_after"] != report["w_range_before"]).any()
    assert list(report["w_range_after"]) == [net.layers[i].w_range for i in report.index]
    assert report.attrs["rounds"] >= 1


def test_calibrate_reports_an_unreachable_band(rng):
    # A single linear layer's dL/dW = input x (out - y) barely moves with its own range.
    X, y = rng.random((16, 1, 4, 4)), rng.random((16, 2)) + 50
    net = Network([Dense(2, w_range=0.01)], random_state=0, input_shape=(4, 4))
    with pytest.raises(IgNetError, match="layer 0"):
        net.calibrate(X, y, target=(1e-4, 1e-3), max_rounds=3)
    with pytest.raises(IgNetError, match="target"):
        net.calibrate(X, y, target=(0.1, 0.01))


def test_calibrate_can_scale_biases_with_weights(rng):
    X, y = rng.random((32, 1, 10, 8)), rng.random((32, 3))
    net = two_layer(0.01)
    net.build(X.shape[1:])
    report = net.calibrate(X, y, scale_biases=True)
    np.testing.assert_allclose(
        report["b_range_after"] / report["b_range_before"],
        report["w_range_after"] / report["w_range_before"],
    )
    assert (report["w_range_after"] != report["w_range_before"]).any()
