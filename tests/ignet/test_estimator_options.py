"""Estimator options: weight-amplitude factors, preset activation and freezeconnect,
the one-layer preset, a fixed class list, and the diagnosis at the start of learning."""

from __future__ import annotations

import numpy as np
import pytest

from ignet import Conv, Dense, IgNetClassifier, IgNetRegressor, Softmax
from ignet.errors import IgNetError
from ignet.layers import WeightedLayer

FAST = {
    "settings": "paper",
    "epochs": 1,
    "tolerance": None,
    "validation_fraction": 0.0,
    "random_state": 3,
}


@pytest.fixture
def ages():
    """64 random 12x12 maps with targets far above any initial output (60-120 months)."""
    rng = np.random.default_rng(7)
    return rng.random((64, 12, 12)), rng.uniform(60, 120, size=64)


@pytest.fixture
def labels():
    rng = np.random.default_rng(8)
    return rng.random((60, 12, 12)), np.tile(np.arange(3), 20)


def _weighted(estimator):
    return [la for la in estimator.network_.layers if isinstance(la, WeightedLayer)]


def test_w_scale_multiplies_the_second_layers_range_and_first_layer_derivatives(ages):
    X, y = ages
    plain = IgNetRegressor("fig5", w_scale=None, **FAST).fit(X, y)
    scaled = IgNetRegressor("fig5", w_scale=(1, 10), **FAST).fit(X, y)
    before, after = _weighted(plain), _weighted(scaled)
    assert len(before) == len(after) == 2
    assert after[0].w_range == pytest.approx(before[0].w_range)
    assert after[1].w_range == pytest.approx(10 * before[1].w_range)
    d_plain = plain.initial_diagnosis_["weight_derivative"].to_numpy()
    d_scaled = scaled.initial_diagnosis_["weight_derivative"].to_numpy()
    # Eq. (1a): the first layer's dLoss/dW grows with the second layer's weights.
    assert d_scaled[0] / d_plain[0] == pytest.approx(10, rel=1e-3)
    w_plain = plain.initial_diagnosis_["weights"].to_numpy()
    w_scaled = scaled.initial_diagnosis_["weights"].to_numpy()
    assert w_scaled[1] / w_plain[1] == pytest.approx(10, rel=1e-4)
    assert w_scaled[0] == pytest.approx(w_plain[0])


def test_w_scale_does_not_pile_up_over_refits(ages):
    X, y = ages
    estimator = IgNetRegressor("fig5", w_scale=[2.0], **FAST)
    first = _weighted(estimator.fit(X, y))[0].w_range
    second = _weighted(estimator.fit(X, y))[0].w_range
    assert first == pytest.approx(second)
    reference = _weighted(IgNetRegressor("fig5", **FAST).fit(X, y))[0].w_range
    assert first == pytest.approx(2 * reference)


def test_w_scale_leaves_given_layers_unchanged(ages):
    X, y = ages
    layers = [Conv(4, 3, padding=1, learn_bias=False), Dense(1, learn_bias=False)]
    estimator = IgNetRegressor(layers, w_scale=(3, 5), **FAST).fit(X, y)
    assert [la.w_range for la in layers] == [1.0, 1.0]
    assert [la.w_range for la in _weighted(estimator)] == pytest.approx([3.0, 5.0])


@pytest.mark.parametrize(
    "w_scale",
    [(1, 10, 1), (1, 0), (1, -10), (float("nan"),), (1, float("inf")), ("10",)],
)
def test_bad_w_scale_is_refused(ages, w_scale):
    X, y = ages
    with pytest.raises(IgNetError, match="w_scale"):
        IgNetRegressor("fig5", w_scale=w_scale, **FAST).fit(X, y)


def test_w_scale_accepts_a_numpy_array_of_factors(ages):
    X, y = ages
    estimator = IgNetRegressor("fig5", w_scale=np.array([1, 10]), **FAST).fit(X, y)
    reference = IgNetRegressor("fig5", **FAST).fit(X, y)
    assert _weighted(estimator)[1].w_range == pytest.approx(10 * _weighted(reference)[1].w_range)


def test_activation_sets_the_hidden_convolutions(ages):
    X, y = ages
    estimator = IgNetRegressor("ignet4", activation="bipolar_sigmoid", **FAST).fit(X, y)
    layers = estimator.network_.layers
    convs = [la for la in layers if isinstance(la, Conv)]
    assert len(convs) == 3
    assert all(la.activation == "bipolar_sigmoid" for la in convs)
    assert layers[-1].activation == "identity"  # the regression output stays linear
    assert estimator.initial_diagnosis_["activation_derivative"].iloc[0] < 1.0


def test_default_activation_is_identity(ages):
    X, y = ages
    estimator = IgNetRegressor("fig5", **FAST).fit(X, y)
    assert all(la.activation == "identity" for la in _weighted(estimator))


def test_unknown_activation_is_refused(ages):
    X, y = ages
    with pytest.raises(IgNetError, match="activation"):
        IgNetRegressor("fig5", activation="swish", **FAST).fit(X, y)


@pytest.mark.parametrize("option", [{"activation": "sigmoid"}, {"freezeconnect": 0.5}])
def test_preset_options_with_a_list_of_layers_are_refused(ages, option):
    X, y = ages
    layers = [Dense(1, learn_bias=False)]
    with pytest.raises(IgNetError, match="preset"):
        IgNetRegressor(layers, **option, **FAST).fit(X, y)


def test_freezeconnect_zero_removes_it_from_fig7(ages):
    X, y = ages
    estimator = IgNetRegressor("fig7", freezeconnect=0.0, **FAST).fit(X, y)
    layers = _weighted(estimator)
    assert len(layers) == 7
    assert all(la.freezeconnect == 0.0 for la in layers)


def test_freezeconnect_none_keeps_fig7s_own_on_hidden_convolutions(ages):
    X, y = ages
    estimator = IgNetRegressor("fig7", **FAST).fit(X, y)
    rates = [la.freezeconnect for la in _weighted(estimator)]
    assert rates == [0.0, 0.25, 0.25, 0.25, 0.25, 0.0, 0.0]


def test_freezeconnect_rate_is_applied_to_other_presets(ages):
    X, y = ages
    estimator = IgNetRegressor("ignet4", freezeconnect=0.5, **FAST).fit(X, y)
    assert [la.freezeconnect for la in _weighted(estimator)] == [0.0, 0.5, 0.0, 0.0]


def test_ignet1_is_a_single_dense_layer(ages, labels):
    X, y = ages
    regressor = IgNetRegressor("ignet1", **FAST).fit(X, y)
    assert [type(la) for la in regressor.network_.layers] == [Dense]
    assert len(regressor.initial_diagnosis_) == 1
    assert regressor.predict(X).shape == (64,)
    X, y = labels
    classifier = IgNetClassifier("ignet1", **FAST).fit(X, y)
    assert [type(la) for la in classifier.network_.layers] == [Dense, Softmax]
    assert classifier.predict_proba(X).shape == (60, 3)


def test_classes_cover_labels_missing_from_training(labels):
    X, y = labels
    rng = np.random.default_rng(9)
    X_val = rng.random((10, 12, 12))
    y_val = np.array([0, 1, 2, 3, 4, 4, 3, 2, 1, 0])
    classifier = IgNetClassifier("fig5", **FAST).fit(
        X, y, validation_data=(X_val, y_val), classes=np.arange(5)
    )
    assert list(classifier.classes_) == [0, 1, 2, 3, 4]
    proba = classifier.predict_proba(X_val)
    assert proba.shape == (10, 5)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(classifier.predict(X_val)) <= set(range(5))
    assert "val_loss" in classifier.history_


def test_without_classes_validation_labels_unseen_in_training_fail(labels):
    X, y = labels
    X_val = np.random.default_rng(9).random((2, 12, 12))
    with pytest.raises(ValueError):
        IgNetClassifier("fig5", **FAST).fit(X, y, validation_data=(X_val, np.array([0, 4])))


def test_labels_outside_classes_are_refused(labels):
    X, y = labels
    y = y.copy()
    y[0] = 7
    with pytest.raises(IgNetError, match="classes"):
        IgNetClassifier("fig5", **FAST).fit(X, y, classes=np.arange(5))


def test_initial_diagnosis_has_a_row_per_weighted_layer(ages, labels):
    X, y = ages
    regressor = IgNetRegressor("ignet3", **FAST).fit(X, y)
    table = regressor.initial_diagnosis_
    assert len(table) == 3
    assert list(table["kind"]) == ["conv", "conv", "dense"]
    assert np.isfinite(table["weight_derivative"]).all()
    assert (table["weight_derivative"] > 0).all()
    X, y = labels
    classifier = IgNetClassifier("fig5", **FAST).fit(X, y)
    assert len(classifier.initial_diagnosis_) == 2  # the Softmax has no weights
