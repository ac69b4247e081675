"""KerasCNNClassifier and KerasCNNRegressor: learning, determinism, early stopping, history,
timings, argument checks and scikit-learn compatibility."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from sklearn.base import clone  # noqa: E402

from baseline_keras import KerasCNNClassifier, KerasCNNRegressor  # noqa: E402
from baseline_keras.checks import KerasBaselineError  # noqa: E402

# A small version of the Fig. 2 network keeps each fit to a few seconds on two cores.
SMALL = {"filters": (8, 16), "dense_units": (64,)}
FOUR = np.zeros((4, 58, 36), np.float32)
TWO = np.zeros((2, 58, 36), np.float32)


def small_cnn(kind=KerasCNNClassifier, **params):
    defaults = {"build_kwargs": SMALL, "epochs": 6, "batch_size": 16, "learning_rate": 3e-3}
    return kind(**{**defaults, **params})


@pytest.fixture(scope="module")
def fitted(train_shapes, val_shapes) -> KerasCNNClassifier:
    X, y, _ = train_shapes
    X_val, y_val, _ = val_shapes
    return small_cnn().fit(X, y, validation_data=(X_val, y_val))


def test_learns_two_shapes_well_above_chance(fitted, val_shapes):
    X_val, y_val, _ = val_shapes
    assert fitted.score(X_val, y_val) >= 0.9
    assert set(fitted.predict(X_val)) <= {0, 1}
    np.testing.assert_array_equal(fitted.classes_, [0, 1])


def test_history_and_timings(fitted, val_shapes):
    history = fitted.history_
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == fitted.n_epochs_ for values in history.values())
    assert all(isinstance(v, float) for values in history.values() for v in values)
    # val_accuracy is monitored by default and the best epoch's weights are kept.
    assert fitted.best_epoch_ == int(np.argmax(history["val_accuracy"]))
    X_val, y_val, _ = val_shapes
    assert fitted.score(X_val, y_val) == pytest.approx(max(history["val_accuracy"]))
    assert len(fitted.epoch_seconds_) == fitted.n_epochs_
    assert fitted.train_seconds_ >= sum(fitted.epoch_seconds_) > 0
    assert fitted.samples_per_second_ == pytest.approx(
        320 * fitted.n_epochs_ / sum(fitted.epoch_seconds_)
    )


def test_probabilities(fitted, val_shapes):
    proba = fitted.predict_proba(val_shapes[0][:10])
    assert proba.shape == (10, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(fitted.predict(val_shapes[0][:10]), proba.argmax(axis=1))


def test_same_seed_same_numbers_other_seed_others(train_shapes, val_shapes):
    X, y, _ = train_shapes
    X_val = val_shapes[0]
    first = small_cnn(epochs=2, seed=3).fit(X, y)
    again = small_cnn(epochs=2, seed=3).fit(X, y)
    other = small_cnn(epochs=2, seed=4).fit(X, y)
    for a, b in zip(first.model_.get_weights(), again.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(first.predict_proba(X_val), again.predict_proba(X_val))
    assert first.history_ == again.history_
    assert not np.array_equal(first.predict_proba(X_val), other.predict_proba(X_val))


def test_early_stopping_stops_and_restores_the_best_weights(train_shapes, val_shapes):
    X, y, _ = train_shapes
    X_val, y_val, _ = val_shapes
    # Validation labels flipped: the better the network learns, the worse val_loss gets.
    est = small_cnn(epochs=15, patience=2, monitor="val_loss").fit(
        X, y, validation_data=(X_val, 1 - y_val)
    )
    val_loss = est.history_["val_loss"]
    assert est.n_epochs_ < 15
    assert est.best_epoch_ == int(np.argmin(val_loss))
    assert est.n_epochs_ == est.best_epoch_ + est.patience + 1
    assert val_loss[-1] > min(val_loss)
    proba = est.predict_proba(X_val)
    cross_entropy = -np.mean(np.log(np.clip(proba[np.arange(len(y_val)), 1 - y_val], 1e-7, 1)))
    assert cross_entropy == pytest.approx(min(val_loss), rel=1e-4)


def test_without_early_stopping_every_epoch_runs_and_the_last_weights_stay(
    train_shapes, val_shapes
):
    X, y, _ = train_shapes
    X_val, y_val, _ = val_shapes
    # The same flipped validation labels would stop the run above after a few epochs.
    est = small_cnn(epochs=6, patience=1, early_stopping=False, monitor="val_loss").fit(
        X, y, validation_data=(X_val, 1 - y_val)
    )
    assert est.n_epochs_ == 6 and est.best_epoch_ == 5
    proba = est.predict_proba(X_val)
    cross_entropy = -np.mean(np.log(np.clip(proba[np.arange(len(y_val)), 1 - y_val], 1e-7, 1)))
    assert cross_entropy == pytest.approx(est.history_["val_loss"][-1], rel=1e-4)


def test_without_validation_data_monitors_the_training_side(train_shapes):
    X, y, _ = train_shapes
    est = small_cnn(epochs=2).fit(X[:64], y[:64])
    assert set(est.history_) == {"loss", "accuracy"}
    assert est.best_epoch_ == int(np.argmax(est.history_["accuracy"]))


def test_regression_in_target_units(train_shapes, val_shapes):
    from sklearn.metrics import mean_absolute_percentage_error, r2_score

    X, _, sizes = train_shapes
    X_val, _, val_sizes = val_shapes
    est = small_cnn(KerasCNNRegressor, epochs=8).fit(X, sizes, validation_data=(X_val, val_sizes))
    assert set(est.history_) == {"loss", "mape", "mae", "val_loss", "val_mape", "val_mae"}
    predicted = est.predict(X_val)
    assert predicted.shape == (len(X_val),) and predicted.dtype == np.float64
    # The paper's MAPE, in percent, is the number Keras reports as val_mape.
    best = est.history_["val_mape"][est.best_epoch_]
    mape = 100 * mean_absolute_percentage_error(val_sizes, predicted)
    assert mape == pytest.approx(best, rel=1e-3)
    guess_mean = 100 * np.mean(np.abs(sizes.mean() - val_sizes) / val_sizes)
    assert mape < 0.6 * guess_mean
    # score is scikit-learn's R², as for any regressor.
    assert est.score(X_val, val_sizes) == pytest.approx(r2_score(val_sizes, predicted))
    assert est.model_.get_layer("target_scaling").offset == pytest.approx([sizes.mean()])
    assert not hasattr(est, "predict_proba")


def test_regression_on_several_targets_scales_each(train_shapes):
    X, _, sizes = train_shapes
    targets = np.stack([sizes, 100 + 10 * sizes], axis=1)
    est = small_cnn(KerasCNNRegressor, epochs=1).fit(X[:64], targets[:64])
    assert est.predict(X[:5]).shape == (5, 2)
    scaling = est.model_.get_layer("target_scaling")
    np.testing.assert_allclose(scaling.offset, targets[:64].mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(scaling.scale, targets[:64].std(axis=0), rtol=1e-5)
    # A column target is answered as a column, as scikit-learn's regressors do.
    column = small_cnn(KerasCNNRegressor, epochs=1).fit(X[:32], sizes[:32, None])
    assert column.predict(X[:3]).shape == (3, 1)


def test_labels_of_any_kind_and_fixed_class_count(train_shapes):
    X, y, _ = train_shapes
    names = np.array(["square", "cross"])[y[:48]]
    est = small_cnn(epochs=1).fit(X[:48], names)
    np.testing.assert_array_equal(est.classes_, ["cross", "square"])
    assert set(est.predict(X[:8])) <= {"cross", "square"}
    est = small_cnn(epochs=1, n_classes=5).fit(X[:48], y[:48])
    assert est.predict_proba(X[:4]).shape == (4, 5)


def test_the_full_fig2_network_trains_on_186_classes(train_shapes):
    X, _, _ = train_shapes
    y = np.arange(64) % 186
    est = KerasCNNClassifier(epochs=1, n_classes=186)
    est.fit(X[:64], y, validation_data=(X[:32], y[:32]))
    assert est.model_.count_params() == 834_586  # docs/keras-baseline.md
    assert est.predict_proba(X[:2]).shape == (2, 186)
    assert est.samples_per_second_ > 0


def test_clone_and_params():
    est = KerasCNNClassifier(epochs=3, build_kwargs=SMALL, seed=5)
    params = clone(est).get_params()
    assert params["epochs"] == 3 and params["seed"] == 5 and params["patience"] == 7
    assert KerasCNNClassifier().get_params()["monitor"] is None
    # Each estimator has the parameters of its kind only.
    assert {"n_classes", "threshold"} <= set(params) and "standardize_target" not in params
    regressor = KerasCNNRegressor().get_params()
    assert regressor["standardize_target"] is True
    assert not {"n_classes", "threshold", "task"} & set(regressor)


@pytest.mark.parametrize("kind", [KerasCNNClassifier, KerasCNNRegressor])
def test_not_fitted(kind):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        kind().predict(np.zeros((1, 58, 36), np.float32))


@pytest.mark.parametrize(
    ("kind", "params", "name"),
    [
        (KerasCNNClassifier, {"epochs": 0}, "epochs"),
        (KerasCNNClassifier, {"batch_size": 2.5}, "batch_size"),
        (KerasCNNClassifier, {"patience": -1}, "patience"),
        (KerasCNNClassifier, {"early_stopping": "no"}, "early_stopping"),
        (KerasCNNClassifier, {"seed": -1}, "seed"),
        (KerasCNNClassifier, {"learning_rate": 0}, "learning_rate"),
        (KerasCNNClassifier, {"monitor": "val_mape"}, "monitor"),
        (KerasCNNClassifier, {"n_classes": 1}, "n_classes"),
        (KerasCNNClassifier, {"threshold": 1.0}, "threshold"),
        (KerasCNNClassifier, {"build": "drawings_cnn"}, "build"),
        (KerasCNNClassifier, {"build_kwargs": [("filters", (8, 16))]}, "build_kwargs"),
        (KerasCNNClassifier, {"build_kwargs": {"filters": (8, 0)}}, "filters"),
        (KerasCNNRegressor, {"monitor": "val_accuracy"}, "monitor"),
        (KerasCNNRegressor, {"standardize_target": 1}, "standardize_target"),
        (KerasCNNRegressor, {"epochs": True}, "epochs"),
    ],
)
def test_bad_parameters_raise_in_fit_naming_them(kind, params, name):
    est = kind(**params)  # stored as given, checked in fit
    with pytest.raises(KerasBaselineError, match=name):
        est.fit(FOUR, np.array([0, 1, 0, 1]))


@pytest.mark.parametrize(
    ("X", "y", "validation_data", "name"),
    [
        (np.zeros(4, np.float32), [0, 1, 0, 1], None, "X"),
        (np.zeros((4, 58, 36, 1, 1), np.float32), [0, 1, 0, 1], None, "X"),
        (np.full((4, 58, 36), np.nan, np.float32), [0, 1, 0, 1], None, "X"),
        (FOUR, [0, 1, 0], None, "y"),
        (FOUR, [0, 0, 0, 0], None, "y"),
        (FOUR, [0.5, 1.5, 0.25, 1.0], None, "Unknown label type"),
        (FOUR, None, None, "y"),
        (FOUR, [[0, 1, 2], [0, 1, 2], [1, 0, 2], [1, 0, 2]], None, "y"),
        (FOUR, [0, 1, 0, 1], (TWO[:, :, :35], [0, 1]), "validation_data"),
        (FOUR, [0, 1, 0, 1], (TWO, [0, 2]), "validation_data"),
        (FOUR, [0, 1, 0, 1], (TWO, [[0, 1], [1, 0]]), "validation_data"),
        (FOUR, [0, 1, 0, 1], (TWO,), "validation_data"),
    ],
)
def test_bad_data_raise_naming_the_argument(X, y, validation_data, name):
    y = None if y is None else np.asarray(y)
    with pytest.raises(KerasBaselineError, match=name):
        KerasCNNClassifier().fit(X, y, validation_data=validation_data)


@pytest.mark.parametrize(
    ("y", "name"),
    [
        (np.array(["a", "b", "a", "b"]), "y"),
        (np.array([1.0, np.inf, 2.0, 3.0]), "y"),
        (np.zeros((4, 2, 2)), "y"),
    ],
)
def test_bad_regression_targets_raise_naming_y(y, name):
    with pytest.raises(KerasBaselineError, match=name):
        KerasCNNRegressor().fit(FOUR, y)


def test_predict_checks_the_images_it_gets(fitted):
    with pytest.raises(KerasBaselineError, match="X has 57 features"):
        fitted.predict(np.zeros((2, 57, 36), np.float32))
    with pytest.raises(KerasBaselineError, match="X images have shape"):
        fitted.predict(np.zeros((2, 58, 35), np.float32))


def test_class_indices_outside_n_classes():
    with pytest.raises(KerasBaselineError, match="y holds labels not among the 2 classes"):
        KerasCNNClassifier(n_classes=2).fit(FOUR, np.array([0, 1, 2, 1]))


def test_a_column_of_labels_is_a_vector_with_a_warning(train_shapes):
    from sklearn.exceptions import DataConversionWarning

    X, y, _ = train_shapes
    with pytest.warns(DataConversionWarning):
        est = small_cnn(epochs=1).fit(X[:32], y[:32, None])
    assert not est.multilabel_ and est.predict(X[:3]).shape == (3,)


def test_scikit_learn_sees_a_classifier_and_a_regressor():
    from sklearn.base import is_classifier, is_regressor
    from sklearn.model_selection import KFold, StratifiedKFold, check_cv

    y = np.array([0, 1] * 10)
    assert is_classifier(KerasCNNClassifier()) and not is_regressor(KerasCNNClassifier())
    assert is_regressor(KerasCNNRegressor()) and not is_classifier(KerasCNNRegressor())
    # What cross_val_score does with cv=2: stratified folds for a classifier.
    assert isinstance(
        check_cv(2, y, classifier=is_classifier(KerasCNNClassifier())), StratifiedKFold
    )
    regression = check_cv(2, y.astype(float), classifier=is_classifier(KerasCNNRegressor()))
    assert isinstance(regression, KFold)


def test_cross_val_score_stratifies_the_classifiers_folds(train_shapes):
    from sklearn.model_selection import cross_val_score

    X, y, _ = train_shapes
    # Twenty of each class in a row: unstratified halves would hold one class each, and fit
    # would refuse them.
    rows = np.concatenate([np.flatnonzero(y == 0)[:20], np.flatnonzero(y == 1)[:20]])
    scores = cross_val_score(small_cnn(epochs=1), X[rows], y[rows], cv=2)
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))


def dense_only(input_shape, n_outputs, task):
    """The smallest network a builder can return: one dense layer on the flattened input."""
    activation = {"classification": "softmax", "multilabel": "sigmoid"}.get(task, "linear")
    inputs = keras.Input(shape=input_shape)
    outputs = keras.layers.Dense(n_outputs, activation=activation)(keras.layers.Flatten()(inputs))
    return keras.Model(inputs, outputs)


@pytest.fixture
def eager_keras():
    """Run Keras's train and predict steps eagerly: a fresh tiny network on a few samples
    trains faster than its graph traces (the check suite fits about a hundred)."""
    if keras.backend.backend() != "tensorflow":
        yield
        return
    import tensorflow as tf

    tf.config.run_functions_eagerly(True)
    yield
    tf.config.run_functions_eagerly(False)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
# tf.data's own functions stay graphs; TensorFlow says so on every fit.
@pytest.mark.filterwarnings("ignore:Even though the:UserWarning")
@pytest.mark.parametrize("kind", [KerasCNNClassifier, KerasCNNRegressor])
def test_sklearn_estimator_checks(kind, eager_keras):
    """Every one of scikit-learn's checks passes, the fit-quality ``check_*_train`` ones
    included, with a one-layer network trained for one epoch at a large step."""
    from sklearn.utils.estimator_checks import check_estimator

    results = check_estimator(kind(build=dense_only, epochs=1, learning_rate=0.1), on_fail=None)
    failed = {r["check_name"] for r in results if r["status"] == "failed"}
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert len(results) > 40
    assert failed == set()
    # Array API input needs SCIPY_ARRAY_API; the classifier has no decision_function.
    assert skipped <= {
        "check_array_api_input",
        "check_classifiers_multilabel_output_format_decision_function",
    }
