"""The estimators' named settings: defaults that learn, the paper's settings, and the
output-activation and scaling options."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression
from sklearn.model_selection import train_test_split

from ignet import IgNetClassifier, IgNetError, IgNetRegressor
from ignet.estimators import MINMAX_RANGE, PAPER_SETTINGS, SETTINGS
from ignet.layers import WeightedLayer

QUICK = {"epochs": 2, "tolerance": None, "validation_fraction": 0.0, "random_state": 0}


@pytest.fixture(scope="module")
def ages():
    """Targets in the drawings' month range, a linear function of the maps."""
    rng = np.random.default_rng(5)
    X = rng.random((160, 6, 6))
    return X, 60 + 60 * X[:, :2].mean(axis=(1, 2))


def test_default_classifier_learns_the_digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    clf = IgNetClassifier(random_state=0).fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.95
    assert clf.settings_["settings"] == "default"


def test_default_regressor_learns_a_linear_regression():
    X, y = make_regression(n_samples=1000, n_features=20, n_informative=10, noise=10.0,
                           random_state=0)  # fmt: skip
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    reg = IgNetRegressor(random_state=0).fit(X_train, y_train)
    assert reg.score(X_test, y_test) >= 0.9


def test_paper_settings_build_the_papers_network(ages):
    X, y = ages
    reg = IgNetRegressor(settings="paper", **QUICK).fit(X, y)
    net = reg.network_
    weighted = [layer for layer in net.layers if isinstance(layer, WeightedLayer)]
    assert all(layer.activation == "identity" for layer in weighted)
    assert not any(layer.learn_bias for layer in weighted)
    assert all(layer.w_range == 1.0 for layer in weighted)
    assert net.optimizer.name == "sgd" and net.optimizer.learning_rate == 0.01
    assert net.batch_size == 32 and net.loss.name == "mae"
    assert reg.input_offset_ is None and reg.target_offset_ is None
    for key, value in PAPER_SETTINGS.items():
        expected = value["regression"] if key == "loss" else value
        assert reg.settings_[key] == (2 if key == "epochs" else expected)


def test_default_settings_build_a_learning_network(ages):
    X, y = ages
    reg = IgNetRegressor(**QUICK).fit(X, y)
    hidden, output = [la for la in reg.network_.layers if isinstance(la, WeightedLayer)]
    assert hidden.activation == "relu" and output.activation == "identity"
    assert hidden.learn_bias and output.learn_bias
    assert hidden.w_range == pytest.approx(hidden.he_range())
    assert reg.network_.optimizer.name == "nesterov" and reg.network_.loss.name == "mse"


def test_explicit_options_override_the_settings(ages):
    X, y = ages
    reg = IgNetRegressor(
        settings="paper", optimizer="momentum", loss="mse", target_scaling="standard", **QUICK
    ).fit(X, y)
    assert reg.network_.optimizer.name == "momentum" and reg.network_.loss.name == "mse"
    assert reg.settings_["learning_rate"] == 0.01 and reg.settings_["activation"] == "identity"
    clf = IgNetClassifier(activation="tanh", input_scaling=None, **QUICK)
    clf.fit(X, (y > 90).astype(int))
    assert clf.network_.layers[0].activation == "tanh" and clf.input_offset_ is None


@pytest.mark.parametrize("settings", sorted(SETTINGS))
def test_output_activation_sits_on_the_output_layer(ages, settings):
    X, y = ages
    reg = IgNetRegressor(
        settings=settings, output_activation="bipolar_sigmoid", target_scaling="minmax", **QUICK
    ).fit(X, y)
    layers = reg.network_.layers
    assert layers[-1].kind == "dense" and layers[-1].activation == "bipolar_sigmoid"
    assert layers[0].activation == SETTINGS[settings]["activation"]


def test_minmax_scaling_lets_a_bipolar_sigmoid_reach_the_month_range(ages):
    X, y = ages
    options = {"settings": "paper", "output_activation": "bipolar_sigmoid", "optimizer":
               "momentum", "epochs": 30, "tolerance": None, "random_state": 0}  # fmt: skip
    raw = IgNetRegressor(target_scaling=None, **options).fit(X, y)
    # Unscaled, the outputs stay inside the sigmoid's (-1, 1), far below 60 months.
    assert np.abs(raw.predict(X)).max() <= 1
    scaled = IgNetRegressor(target_scaling="minmax", **options).fit(X, y)
    low, high = MINMAX_RANGE
    spread = (y.max() - y.min()) / (high - low)
    np.testing.assert_allclose(scaled.target_scale_, [spread])
    np.testing.assert_allclose(scaled.target_offset_, [y.min() - low * spread])
    assert scaled.score(X, y) > 0.5


@pytest.mark.parametrize(
    ("scaling", "a", "b"), [("standard", 1000.0, 5.0), ("minmax", 3.0, -40.0), ("center", 1.0, 7.5)]
)
def test_target_scaling_makes_predictions_follow_an_affine_change_of_targets(ages, scaling, a, b):
    X, y = ages
    # MAE: raw targets in the thousands would make MSE's steps blow up.
    options = {"target_scaling": scaling, "loss": "mae", **QUICK, "dtype": "float64"}
    first = IgNetRegressor(**options).fit(X, y).predict(X)
    second = IgNetRegressor(**options).fit(X, a * y + b).predict(X)
    np.testing.assert_allclose(second, a * first + b, rtol=1e-9)
    raw = IgNetRegressor(**{**options, "target_scaling": None}).fit(X, 1000.0 * y + 5.0)
    assert not np.allclose(raw.predict(X), 1000.0 * first + 5.0, rtol=1e-3)


def test_input_scaling_makes_predictions_ignore_an_affine_change_of_inputs(ages):
    X, y = ages
    options = {**QUICK, "dtype": "float64"}
    first = IgNetRegressor(**options).fit(X, y).predict(X)
    moved = IgNetRegressor(**options).fit(4 * X - 2, y).predict(4 * X - 2)
    np.testing.assert_allclose(moved, first, rtol=1e-8)
    constant = X.copy()
    constant[:, 0, 0] = 3.0  # a constant pixel is centred, not divided by zero
    assert np.isfinite(IgNetRegressor(**options).fit(constant, y).predict(constant)).all()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"settings": "fast"}, "settings"),
        ({"init": "xavier"}, "init"),
        ({"input_scaling": "minmax"}, "input_scaling"),
        ({"target_scaling": "log"}, "target_scaling"),
        ({"output_activation": "swish"}, "output_activation"),
        ({"batch_size": 0}, "batch_size"),
        ({"epochs": -1}, "epochs"),
    ],
)
def test_bad_settings_name_the_option(ages, options, field):
    X, y = ages
    with pytest.raises(IgNetError, match=field):
        IgNetRegressor(**{**QUICK, **options}).fit(X, y)


def test_options_that_do_not_apply_are_refused(ages):
    X, y = ages
    labels = (y > 90).astype(int)
    with pytest.raises(IgNetError, match="target_scaling"):
        IgNetClassifier(target_scaling="standard", **QUICK).fit(X, labels)
    with pytest.raises(IgNetError, match="output_activation"):
        IgNetClassifier(output_activation="identity", **QUICK).fit(X, np.eye(2)[labels])
    from ignet import Dense

    with pytest.raises(IgNetError, match="learn_bias"):
        IgNetRegressor([Dense(1)], learn_bias=True, **QUICK).fit(X, y)


def test_bench_ignet_engine_runs_the_papers_settings_unless_told_otherwise():
    from bench.engines import make_engine

    paper = make_engine("ignet", "fig5", "regression", 1, "numpy", 3, 0).estimator
    assert paper.settings == "paper" and paper.epochs == 3
    chosen = make_engine(
        "ignet", "fig5", "regression", 1, "numpy", 3, 0, {"output_activation": "tanh"}
    ).estimator
    assert chosen.settings == "paper" and chosen.output_activation == "tanh"
    default = make_engine("ignet", "fig5", "regression", 1, "numpy", 3, 0, {"settings": "default"})
    assert default.estimator.settings == "default"
