"""scikit-learn compatibility, presets, and the digits acceptance check."""

from __future__ import annotations

import pickle
import time

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.utils.estimator_checks import check_estimator

from ignet import (
    PRESETS,
    Conv,
    Dense,
    IgNetClassifier,
    IgNetError,
    IgNetRegressor,
    Network,
    Softmax,
    preset,
)


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return data.images / 16.0, data.target


def test_digits_fig5_accuracy_and_time(digits):
    X, y = digits
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    start = time.perf_counter()
    clf = IgNetClassifier(
        "fig5", epochs=60, optimizer="momentum", calibrate=(0.01, 0.1), random_state=0
    ).fit(X_train, y_train)
    accuracy = clf.score(X_test, y_test)
    elapsed = time.perf_counter() - start
    assert accuracy >= 0.95
    assert elapsed < 30
    assert clf.calibration_.shape[0] == 2
    assert set(clf.classes_) == set(range(10))


def test_clone_params_and_cross_val_score(digits):
    X, y = digits
    clf = IgNetClassifier(
        "fig5", epochs=10, learning_rate=0.05, tolerance=None, input_shape=(8, 8), random_state=0
    )
    params = clf.get_params()
    assert params["layers"] == "fig5" and params["epochs"] == 10
    copy = clone(clf)
    assert copy.get_params() == params
    copy.set_params(epochs=4, learning_rate=0.1)
    assert copy.epochs == 4 and clf.epochs == 10
    scores = cross_val_score(clf, X.reshape(len(X), 64)[:300], y[:300], cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.5


def test_layer_list_is_copied_not_built(digits):
    X, y = digits
    layers = [Conv(4, 3, padding=1), Dense(10), Softmax()]
    clf = IgNetClassifier(layers, epochs=1, random_state=0).fit(X[:64], y[:64])
    assert clf.layers is layers and not layers[0].params
    assert clone(clf).layers[0] is not layers[0]
    assert clf.network_.layers[0].params


def test_classifier_outputs_and_labels(digits):
    X, y = digits
    names = np.array(["zero", "one", "two"])[y[y < 3]]
    clf = IgNetClassifier("fig5", epochs=5, learning_rate=0.05, random_state=0)
    clf.fit(X[y < 3], names)
    proba = clf.predict_proba(X[:5])
    assert proba.shape == (5, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert set(clf.predict(X[y < 3])) <= set(names)
    assert clf.score(X[y < 3], names) > 0.8
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X[:5]), proba)


def test_multilabel(digits):
    X, y = digits
    labels = np.stack([y % 2, (y >= 5)], axis=1).astype(int)
    clf = IgNetClassifier("fig5", epochs=8, learning_rate=0.5, random_state=0).fit(X, labels)
    assert clf.multilabel_ and clf.network_.loss.name == "bce"
    pred = clf.predict(X)
    assert pred.shape == labels.shape and set(np.unique(pred)) <= {0, 1}
    assert (pred == labels).mean() > 0.75
    assert clf.predict_proba(X[:3]).shape == (3, 2)


def test_regressor(rng):
    X = rng.random((200, 6, 6))
    y = X[:, :3].mean(axis=(1, 2)) * 2 + 1
    reg = IgNetRegressor(
        "fig5", loss="mae", optimizer="momentum", epochs=30, learning_rate=0.02, random_state=0
    )
    reg.fit(X, y)
    assert reg.predict(X).shape == (200,)
    assert reg.score(X, y) > 0.5
    assert "mape" in reg.history_ and "val_mape" in reg.history_
    two = IgNetRegressor("fig5", epochs=2, random_state=0).fit(X, np.stack([y, -y], axis=1))
    assert two.predict(X[:4]).shape == (4, 2)
    matrix = IgNetRegressor("fig5", epochs=1, random_state=0).fit(X, rng.random((200, 2, 3)))
    assert matrix.predict(X[:4]).shape == (4, 2, 3)
    assert matrix.network_.layers[-1].units == (2, 3)


def test_same_random_state_same_model(digits):
    X, y = digits
    a = IgNetClassifier("fig5", epochs=2, random_state=3).fit(X[:200], y[:200])
    b = IgNetClassifier("fig5", epochs=2, random_state=3).fit(X[:200], y[:200])
    np.testing.assert_array_equal(a.predict_proba(X[:20]), b.predict_proba(X[:20]))


def test_estimator_errors(digits):
    X, y = digits
    with pytest.raises(IgNetError, match="preset"):
        IgNetClassifier("fig99").fit(X[:40], y[:40])
    with pytest.raises(IgNetError, match="input_shape"):
        IgNetClassifier(input_shape=(7, 7)).fit(X[:40].reshape(40, 64), y[:40])
    with pytest.raises(IgNetError, match="y"):
        IgNetClassifier().fit(X[:40], y[:30])
    with pytest.raises(IgNetError, match="validation_fraction"):
        IgNetClassifier(validation_fraction=1.5).fit(X[:40], y[:40])


@pytest.mark.parametrize("name", PRESETS)
@pytest.mark.parametrize("shape", [(1, 58, 36), (8, 8), (3, 20, 17)])
def test_presets_build_for_any_size(rng, name, shape):
    layers = preset(name, shape, 5, "classification")
    depth = sum(layer.kind in ("conv", "dense") for layer in layers)
    assert depth == ({"fig5": 2, "fig7": 7}.get(name) or int(name[-1]))
    net = Network(layers, loss="ce", input_shape=shape, random_state=0)
    assert net.output_shape == (5,)
    assert net.predict(rng.random((2, *shape))).shape == (2, 5)


def test_preset_tasks_and_matrix_output():
    assert preset("fig5", (58, 36), 3, "multilabel")[-1].activation == "sigmoid"
    regression = preset("fig7", (58, 36), (2, 3), "regression")
    assert regression[-1].kind == "dense" and regression[-1].units == (2, 3)
    assert any(layer.freezeconnect for layer in regression if layer.kind == "conv")
    with pytest.raises(IgNetError, match="task"):
        preset("fig5", (8, 8), 2, "ranking")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
@pytest.mark.parametrize("estimator", [IgNetClassifier, IgNetRegressor])
def test_sklearn_estimator_checks(estimator):
    """Every one of scikit-learn's checks passes, the fit-quality ``check_*_train`` ones
    included: the default settings learn within the 3 epochs used here."""
    results = check_estimator(estimator(epochs=3, random_state=0), on_fail=None)
    failed = {r["check_name"] for r in results if r["status"] == "failed"}
    assert len(results) > 40
    assert failed == set()


def test_explicit_validation_data_and_resample(digits):
    X, y = digits
    X_train, X_val, y_train, y_val = X[:300], X[300:400], y[:300], y[300:400]
    seen = []

    def resample(epoch):
        seen.append(epoch)
        return X_train[:, ::-1]  # a different view of the same samples

    plain = IgNetClassifier("fig5", epochs=4, tolerance=None, random_state=0)
    plain.fit(X_train, y_train, validation_data=(X_val, y_val))
    assert len(plain.history_["val_loss"]) == 4
    assert np.isclose(plain.history_["val_accuracy"][-1], plain.score(X_val, y_val))

    redrawn = clone(plain).fit(X_train, y_train, validation_data=(X_val, y_val), resample=resample)
    assert seen == [1, 2, 3]
    assert not np.allclose(plain.predict_proba(X_val), redrawn.predict_proba(X_val))
    with pytest.raises(IgNetError, match="resample needs validation_data"):
        clone(plain).fit(X_train, y_train, resample=resample)

    regressor = IgNetRegressor("fig5", epochs=2, tolerance=None, random_state=0)
    regressor.fit(X_train, y_train.astype(float), validation_data=(X_val, y_val.astype(float)))
    assert len(regressor.history_["val_mape"]) == 2
