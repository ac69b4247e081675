"""scikit-learn estimators around a Keras model builder: a classifier and a regressor.

:class:`KerasCNNClassifier` (single-label classes, or multi-label 0/1 indicator rows as
the face-attribute paper's task) and :class:`KerasCNNRegressor` build a fresh network on
every ``fit``, train it with the paper's early stopping (tolerance 7, best weights
restored) and keep per-epoch learning curves and timings for the result records. They
share one training loop, :class:`_KerasEstimator`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import Tags, column_or_1d
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from baseline_keras.checks import (
    KerasBaselineError,
    check_flag,
    check_images,
    check_int,
    check_number,
    check_threshold,
    scikit_learn_checks,
)
from baseline_keras.models import TargetScaling, compile_for_task, drawings_cnn

__all__ = ["KerasCNNClassifier", "KerasCNNRegressor", "set_determinism"]

_MONITORS = {
    "classification": ("loss", "accuracy"),
    "regression": ("loss", "mape", "mae"),
    "multilabel": ("loss", "accuracy", "precision", "recall"),
}

#: Images per predicted batch.
_PREDICT_BATCH = 256

#: Monitored quantities that improve upwards; the others (losses, errors) downwards.
_GREATER_IS_BETTER = ("accuracy", "precision", "recall")


def set_determinism(seed: int, *, deterministic_ops: bool = True) -> None:
    """Seed Python, numpy and the Keras back end; make TensorFlow's ops deterministic.

    Parameters
    ----------
    seed : int
        Passed to ``keras.utils.set_random_seed``.
    deterministic_ops : bool
        On the TensorFlow back end, also call
        ``tf.config.experimental.enable_op_determinism()``. That switch is global to the
        process and stays on; it makes a few ops slower and makes ops with no
        deterministic kernel raise instead of running (none are used here on a CPU).
    """
    keras.utils.set_random_seed(int(seed))
    if deterministic_ops and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


class _EpochTimer(keras.callbacks.Callback):
    """Seconds spent training in each epoch, the validation pass left out."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self._start = 0.0
        self._train_end: float | None = None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._train_end = None
        self._start = time.perf_counter()

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self._train_end is None:
            self._train_end = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        end = self._train_end if self._train_end is not None else time.perf_counter()
        self.seconds.append(end - self._start)


def _as_maps(images: np.ndarray) -> np.ndarray:
    """Channels-last float32 maps: (N, H, W) gets one channel, (N, F) is N images 1 x F."""
    array = images.astype(np.float32, copy=False)
    if array.ndim == 2:
        return array[:, None, :, None]
    return array[..., None] if array.ndim == 3 else array


class _KerasEstimator(BaseEstimator):
    """The parameters and the training loop of :class:`KerasCNNClassifier` and
    :class:`KerasCNNRegressor`.

    Parameters
    ----------
    build : callable
        Called as ``build(input_shape=(H, W, C), n_outputs=k, task=task, **build_kwargs)``
        with ``task`` one of ``"classification"``, ``"multilabel"`` (classifier) or
        ``"regression"`` (regressor); returns a ``keras.Model`` whose output is a softmax
        over ``k`` classes, ``k`` sigmoids or ``k`` linear values. It is (re)compiled here
        with :func:`~baseline_keras.compile_for_task`. The default is the IgNet paper's
        Fig. 2 network, :func:`baseline_keras.drawings_cnn`; the face paper's network is
        :func:`baseline_keras.faces_cnn` (or ``BUILDERS["faces_cnn_no_conv3"]`` and
        ``BUILDERS["faces_cnn_no_conv3_fc1"]``).
    build_kwargs : dict, optional
        Extra keywords for ``build`` (layer sizes).
    epochs : int
        Most passes over the training data (the paper: 10 per fold).
    batch_size : int
        Samples per gradient step.
    patience : int
        Early stopping tolerance: training ends after this many epochs in a row without
        improvement of ``monitor``; the best epoch's weights are restored in any case
        (the paper: 7).
    early_stopping : bool
        False trains every epoch and keeps the last epoch's weights, as the face paper did
        (100 epochs); ``patience`` is then unused.
    monitor : str, optional
        The quantity early stopping watches: ``"val_accuracy"`` by default for
        single-label classification, ``"val_loss"`` for multi-label classification and
        regression. Any of ``loss``, ``accuracy`` (classification), ``precision``,
        ``recall`` (multi-label), ``mape``, ``mae`` (regression), with or without
        ``val_``. Without validation data a ``val_`` monitor falls back to its training
        counterpart.
    learning_rate : float
        Adam's step size.
    seed : int
        Seeds weights, dropout and shuffling (:func:`set_determinism`).
    deterministic : bool
        Also switch on TensorFlow's op determinism (global to the process).
    verbose : int
        Passed to ``keras.Model.fit``.

    Attributes
    ----------
    model_ : keras.Model
        The trained network, with the best epoch's weights.
    history_ : dict of str to list of float
        Per-epoch ``loss`` and the task's metrics (``accuracy``; ``accuracy`` per label,
        ``precision`` and ``recall``; ``mape`` in percent and ``mae``), and the same with
        ``val_`` for validation data.
    best_epoch_ : int
        The epoch (from 0) whose weights were kept.
    n_epochs_ : int
        Epochs run.
    epoch_seconds_ : list of float
        Training seconds per epoch, validation left out; the first includes graph tracing.
    train_seconds_ : float
        Wall-clock seconds of the whole ``fit`` call to Keras, validation included.
    samples_per_second_ : float
        Training samples processed per second of ``epoch_seconds_``.
    input_shape_ : tuple of int
        (H, W, C) of the network's input.
    n_features_in_ : int
        ``X.shape[1]`` at fit (scikit-learn's convention: the images' height, or the
        number of features of 2-D ``X``), checked before predicting.
    feature_names_in_ : ndarray of str
        The column names of a 2-D ``X`` given as a data frame with string column names.
    """

    def __init__(
        self,
        build: Callable[..., keras.Model] = drawings_cnn,
        build_kwargs: dict[str, Any] | None = None,
        epochs: int = 10,
        batch_size: int = 32,
        patience: int = 7,
        early_stopping: bool = True,
        monitor: str | None = None,
        learning_rate: float = 1e-3,
        seed: int = 0,
        deterministic: bool = True,
        verbose: int = 0,
    ) -> None:
        self.build = build
        self.build_kwargs = build_kwargs
        self.epochs = epochs
        self.batch_size = batch_size
        self.patience = patience
        self.early_stopping = early_stopping
        self.monitor = monitor
        self.learning_rate = learning_rate
        self.seed = seed
        self.deterministic = deterministic
        self.verbose = verbose

    # -- what each estimator adds -----------------------------------------------------

    def _check_own_params(self) -> None:
        """Check the parameters of the subclass."""

    def _encode_fit(self, y: Any, n: int) -> tuple[np.ndarray, str]:
        """Network targets for the training labels ``y``, and the task they make."""
        raise NotImplementedError

    def _encode(self, y: Any, n: int, name: str) -> np.ndarray:
        """Network targets for labels given after the training ones (validation data)."""
        raise NotImplementedError

    def _head(self, model: keras.Model, targets: np.ndarray) -> keras.Model:
        """The built network with whatever the estimator puts on its output."""
        return model

    def _compile(self, model: keras.Model, task: str) -> None:
        compile_for_task(model, task, self.learning_rate)

    # -- validation -------------------------------------------------------------------

    def _check_params(self) -> None:
        if not callable(self.build):
            raise KerasBaselineError(f"build must be callable, not {self.build!r}")
        if self.build_kwargs is not None and not isinstance(self.build_kwargs, dict):
            raise KerasBaselineError(
                f"build_kwargs must be a dict or None, not {self.build_kwargs!r}"
            )
        for name, least in (("epochs", 1), ("batch_size", 1), ("patience", 0), ("seed", 0)):
            check_int(name, getattr(self, name), least)
        check_flag("early_stopping", self.early_stopping)
        check_number("learning_rate", self.learning_rate, low_open=True)
        self._check_own_params()

    def _monitor(self, task: str) -> str:
        monitor = self.monitor
        if monitor is None:
            monitor = "val_accuracy" if task == "classification" else "val_loss"
        allowed = _MONITORS[task]
        if not isinstance(monitor, str) or monitor.removeprefix("val_") not in allowed:
            choices = [*allowed, *(f"val_{m}" for m in allowed)]
            raise KerasBaselineError(
                f"monitor must be one of {choices} for {task}, not {monitor!r}"
            )
        return monitor

    def _images(self, X: Any, *, reset: bool) -> np.ndarray:
        """``X`` as network input; at fit, remember its features, else check them."""
        images = _as_maps(check_images("X", X, (2, 3, 4)))
        with scikit_learn_checks("X"):
            # On X as given: the column names of a data frame are gone from the array.
            validate_data(self, X, reset=reset, skip_check_array=True)
        if not reset and images.shape[1:] != self.input_shape_:
            raise KerasBaselineError(
                f"X images have shape {images.shape[1:]}, the network takes {self.input_shape_}"
            )
        return images

    def _labels(self, y: Any, n: int, name: str, dtype: str | None = None) -> np.ndarray:
        """``y`` as a finite array of ``n`` samples, before encoding.

        ``dtype`` is ``check_array``'s: None keeps any labels, ``"numeric"`` converts
        objects to numbers and refuses strings.
        """
        if y is None:
            raise KerasBaselineError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        with scikit_learn_checks(name):
            target = check_array(y, ensure_2d=False, dtype=dtype, input_name=name)
        if target.ndim not in (1, 2) or len(target) != n:
            raise KerasBaselineError(
                f"{name} must have shape ({n},) or ({n}, k), not {target.shape}"
            )
        return target

    # -- fit --------------------------------------------------------------------------

    def fit(self, X: Any, y: Any, validation_data: tuple[Any, Any] | None = None) -> Any:
        """Build a fresh network and train it.

        Parameters
        ----------
        X : array, shape (N, H, W), (N, H, W, C) or (N, F)
            Images, float32 in [0, 1]; 2-D rows of F features are 1 x F images.
        y : array
            The classifier's labels (N,) or 0/1 label rows (N, k), the regressor's
            targets (N,) or (N, k).
        validation_data : (X_val, y_val), optional
            Watched by early stopping after every epoch (the paper's validation set).

        Returns
        -------
        self
            The fitted estimator.
        """
        self._check_params()
        images = self._images(X, reset=True)
        targets, task = self._encode_fit(y, len(images))
        monitor = self._monitor(task)
        validation = None
        if validation_data is not None:
            if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
                raise KerasBaselineError("validation_data must be a pair (X_val, y_val)")
            val_images = _as_maps(check_images("validation_data[0]", validation_data[0], (2, 3, 4)))
            if val_images.shape[1:] != images.shape[1:]:
                raise KerasBaselineError(
                    f"validation_data[0] images have shape {val_images.shape[1:]}, "
                    f"X has {images.shape[1:]}"
                )
            val_targets = self._encode(validation_data[1], len(val_images), "validation_data[1]")
            if val_targets.shape[1:] != targets.shape[1:]:
                raise KerasBaselineError(
                    "validation_data[1] has a different number of targets than y"
                )
            validation = (val_images, val_targets)
        elif monitor.startswith("val_"):
            monitor = monitor.removeprefix("val_")

        set_determinism(self.seed, deterministic_ops=self.deterministic)
        model = self.build(
            input_shape=images.shape[1:],
            n_outputs=targets.shape[1],
            task=task,
            **(self.build_kwargs or {}),
        )
        if not isinstance(model, keras.Model):
            raise KerasBaselineError(f"build must return a keras.Model, not {type(model).__name__}")
        model = self._head(model, targets)
        self._compile(model, task)

        stopper = keras.callbacks.EarlyStopping(
            monitor=monitor,
            patience=self.patience,
            mode="max" if monitor.removeprefix("val_") in _GREATER_IS_BETTER else "min",
            restore_best_weights=True,
        )
        timer = _EpochTimer()
        callbacks = [stopper, timer] if self.early_stopping else [timer]
        start = time.perf_counter()
        history = model.fit(
            images,
            targets,
            batch_size=self.batch_size,
            epochs=self.epochs,
            validation_data=validation,
            shuffle=True,
            callbacks=callbacks,
            verbose=self.verbose,
        )
        self.train_seconds_ = time.perf_counter() - start
        self.model_ = model
        self.history_ = {key: [float(v) for v in values] for key, values in history.history.items()}
        self.n_epochs_ = len(self.history_["loss"])
        # Without early stopping the weights are the last epoch's.
        self.best_epoch_ = int(stopper.best_epoch) if self.early_stopping else self.n_epochs_ - 1
        self.epoch_seconds_ = list(timer.seconds)
        trained = sum(self.epoch_seconds_)
        self.samples_per_second_ = len(images) * self.n_epochs_ / trained if trained else 0.0
        self.input_shape_ = tuple(images.shape[1:])
        return self

    def _outputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        images = self._images(X, reset=False)
        # The batches Model.predict(batch_size=256) would make, without the tf.data pipeline
        # it builds on every call (a tenth of a second, more than a small batch costs).
        batches = range(0, len(images), _PREDICT_BATCH)
        return np.concatenate(
            [
                np.asarray(self.model_.predict_on_batch(images[i : i + _PREDICT_BATCH]))
                for i in batches
            ]
        )

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        # 3-D and 4-D image stacks as well as scikit-learn's 2-D rows of features.
        tags.input_tags.three_d_array = True
        return tags


class KerasCNNClassifier(ClassifierMixin, _KerasEstimator):
    """A Keras network trained on images as a scikit-learn classifier.

    Single-label: ``y`` holds one label per image, the network ends in a softmax over the
    classes, the loss is categorical cross-entropy. Multi-label (the face paper's task):
    ``y`` is an (N, k) 0/1 indicator matrix with k >= 2, any number of ones per row, as
    scikit-learn's multi-label classifiers take it; the network ends in k sigmoids, the
    loss is binary cross-entropy. ``cross_val_score`` and ``check_cv`` stratify its folds
    as for any scikit-learn classifier.

    Parameters
    ----------
    build, build_kwargs, epochs, batch_size, patience, early_stopping, monitor, \
learning_rate, seed, deterministic, verbose
        As described in :class:`_KerasEstimator` (the default ``build`` is the Fig. 2
        network, :func:`baseline_keras.drawings_cnn`).
    n_classes : int, optional
        Single-label only. When given, ``y`` must hold class indices in
        ``[0, n_classes)`` and the network has ``n_classes`` outputs even if a fold lacks
        some classes. When None, the classes are the sorted distinct values of ``y``
        (any labels).
    threshold : float
        Multi-label only: a label is predicted present when its sigmoid output is above
        ``threshold`` (strictly, as in Keras's metrics); the ``accuracy``, ``precision``
        and ``recall`` of ``history_`` use the same threshold. In (0, 1).

    Attributes
    ----------
    classes_ : ndarray
        Single-label: the label of each output. Multi-label: the label columns' indices.
    multilabel_ : bool
        Whether ``y`` was a 0/1 indicator matrix.
    n_labels_ : int
        Multi-label: the number of labels (columns of ``y``).
    model_, history_, best_epoch_, n_epochs_, epoch_seconds_, train_seconds_, \
samples_per_second_, input_shape_, n_features_in_, feature_names_in_
        As described in :class:`_KerasEstimator`; ``history_`` holds ``loss`` and
        ``accuracy`` (single-label) or ``loss``, ``accuracy`` (per label), ``precision``
        and ``recall`` (multi-label).
    """

    def __init__(
        self,
        build: Callable[..., keras.Model] = drawings_cnn,
        build_kwargs: dict[str, Any] | None = None,
        n_classes: int | None = None,
        epochs: int = 10,
        batch_size: int = 32,
        patience: int = 7,
        early_stopping: bool = True,
        monitor: str | None = None,
        learning_rate: float = 1e-3,
        threshold: float = 0.5,
        seed: int = 0,
        deterministic: bool = True,
        verbose: int = 0,
    ) -> None:
        super().__init__(
            build=build,
            build_kwargs=build_kwargs,
            epochs=epochs,
            batch_size=batch_size,
            patience=patience,
            early_stopping=early_stopping,
            monitor=monitor,
            learning_rate=learning_rate,
            seed=seed,
            deterministic=deterministic,
            verbose=verbose,
        )
        self.n_classes = n_classes
        self.threshold = threshold

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def _check_own_params(self) -> None:
        if self.n_classes is not None:
            check_int("n_classes", self.n_classes, 2)
        check_threshold(self.threshold)

    def _compile(self, model: keras.Model, task: str) -> None:
        compile_for_task(model, task, self.learning_rate, self.threshold)

    def _encode_fit(self, y: Any, n: int) -> tuple[np.ndarray, str]:
        target = self._labels(y, n, "y")
        self.multilabel_ = target.ndim == 2 and type_of_target(target) == "multilabel-indicator"
        if self.multilabel_:
            if self.n_classes is not None:
                raise KerasBaselineError(
                    "n_classes is for single-label classes, not for a 0/1 label matrix y"
                )
            self.n_labels_ = target.shape[1]
            self.classes_ = np.arange(self.n_labels_)
            return self._indicator(target, "y"), "multilabel"
        labels = self._single_labels(target, "y")
        if self.n_classes is None:
            with scikit_learn_checks("y"):
                check_classification_targets(labels)
            self.classes_ = np.unique(labels)
            if len(self.classes_) < 2:
                raise KerasBaselineError(
                    "y must hold at least two classes; a network cannot learn from 1 class"
                )
        else:
            # Class indices: the one-hot encoding refuses any other value.
            self.classes_ = np.arange(self.n_classes)
        return self._one_hot(labels, "y"), "classification"

    def _encode(self, y: Any, n: int, name: str) -> np.ndarray:
        target = self._labels(y, n, name)
        if self.multilabel_:
            return self._indicator(target, name)
        return self._one_hot(self._single_labels(target, name), name)

    def _indicator(self, target: np.ndarray, name: str) -> np.ndarray:
        """0/1 label rows, one column per label of the training ``y``."""
        # type_of_target calls any two integers a label matrix; the loss needs 0 and 1.
        if target.ndim != 2 or not set(np.unique(target).tolist()) <= {0, 1}:
            raise KerasBaselineError(
                f"{name} must be a 0/1 matrix of shape ({len(target)}, {self.n_labels_}), "
                f"not of shape {target.shape} with values {np.unique(target)[:5]!r}"
            )
        if target.shape[1] != self.n_labels_:
            raise KerasBaselineError(
                f"{name} has {target.shape[1]} labels, the network predicts {self.n_labels_}"
            )
        return target.astype(np.float32)

    @staticmethod
    def _single_labels(target: np.ndarray, name: str) -> np.ndarray:
        """One label per sample: a column vector is raveled, as scikit-learn does."""
        if target.ndim == 2 and target.shape[1] != 1:
            raise KerasBaselineError(
                f"{name} must be labels of shape ({len(target)},) or a 0/1 indicator matrix "
                f"with two or more columns, not of shape {target.shape} "
                f"({type_of_target(target)})"
            )
        with scikit_learn_checks(name):
            return column_or_1d(target, warn=True)

    def _one_hot(self, labels: np.ndarray, name: str) -> np.ndarray:
        indices = np.clip(np.searchsorted(self.classes_, labels), 0, len(self.classes_) - 1)
        unknown = self.classes_[indices] != labels
        if np.any(unknown):
            raise KerasBaselineError(
                f"{name} holds labels not among the {len(self.classes_)} classes: "
                f"{np.unique(labels[unknown])[:5]!r}"
            )
        return np.eye(len(self.classes_), dtype=np.float32)[indices]

    def fit(
        self, X: Any, y: Any, validation_data: tuple[Any, Any] | None = None
    ) -> KerasCNNClassifier:
        """Build a fresh network and train it on labels or 0/1 label rows.

        Parameters
        ----------
        X : array, shape (N, H, W), (N, H, W, C) or (N, F)
            Images, float32 in [0, 1]; 2-D rows of F features are 1 x F images.
        y : array, shape (N,) or (N, k)
            Class labels (one-hot encoded here), or a 0/1 indicator matrix with k >= 2
            columns (multi-label). An (N, 1) column is a 1-D ``y`` (with scikit-learn's
            ``DataConversionWarning``).
        validation_data : (X_val, y_val), optional
            Watched by early stopping after every epoch (the paper's validation set);
            ``y_val`` like ``y``, its labels among the training classes.

        Returns
        -------
        KerasCNNClassifier
            ``self``.
        """
        return super().fit(X, y, validation_data)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities, shape (N, n_classes) or (N, n_labels).

        Single-label: a softmax row per image, columns in the order of ``classes_``.
        Multi-label: each label's own sigmoid output; rows do not sum to 1.
        """
        return self._outputs(X)

    def predict(self, X: Any) -> np.ndarray:
        """Class labels, shape (N,); or (multi-label) an (N, k) int matrix, 1 where
        ``predict_proba`` is above ``threshold``."""
        output = self._outputs(X)
        if self.multilabel_:
            return (output > self.threshold).astype(np.int64)
        return np.asarray(self.classes_[np.argmax(output, axis=1)])


class KerasCNNRegressor(RegressorMixin, _KerasEstimator):
    """A Keras network trained on images as a scikit-learn regressor.

    The network ends in linear outputs, one per target; the loss is the mean squared
    error, and ``history_`` keeps ``mape`` (percent, the paper's measure) and ``mae``.
    ``score`` is scikit-learn's R²; the MAPE of predictions is
    ``100 * sklearn.metrics.mean_absolute_percentage_error(y, est.predict(X))``.

    Parameters
    ----------
    build, build_kwargs, epochs, batch_size, patience, early_stopping, monitor, \
learning_rate, seed, deterministic, verbose
        As described in :class:`_KerasEstimator` (the default ``build`` is the Fig. 2
        network, :func:`baseline_keras.drawings_cnn`).
    standardize_target : bool
        The network learns ``(y - mean) / std`` of the training targets through a fixed
        :class:`~baseline_keras.TargetScaling` output layer, so loss, metrics and
        predictions stay in the target's units. Without it a sigmoid network must grow a
        bias of about 100 (months) at Adam's step size, which takes epochs. Each target
        column is scaled on its own.

    Attributes
    ----------
    model_, history_, best_epoch_, n_epochs_, epoch_seconds_, train_seconds_, \
samples_per_second_, input_shape_, n_features_in_, feature_names_in_
        As described in :class:`_KerasEstimator`; ``history_`` holds ``loss``, ``mape``
        (percent) and ``mae``.
    """

    def __init__(
        self,
        build: Callable[..., keras.Model] = drawings_cnn,
        build_kwargs: dict[str, Any] | None = None,
        epochs: int = 10,
        batch_size: int = 32,
        patience: int = 7,
        early_stopping: bool = True,
        monitor: str | None = None,
        learning_rate: float = 1e-3,
        standardize_target: bool = True,
        seed: int = 0,
        deterministic: bool = True,
        verbose: int = 0,
    ) -> None:
        super().__init__(
            build=build,
            build_kwargs=build_kwargs,
            epochs=epochs,
            batch_size=batch_size,
            patience=patience,
            early_stopping=early_stopping,
            monitor=monitor,
            learning_rate=learning_rate,
            seed=seed,
            deterministic=deterministic,
            verbose=verbose,
        )
        self.standardize_target = standardize_target

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _check_own_params(self) -> None:
        check_flag("standardize_target", self.standardize_target)

    def _encode_fit(self, y: Any, n: int) -> tuple[np.ndarray, str]:
        target = self._labels(y, n, "y", dtype="numeric")
        # predict answers in the shape of y: (N,) or (N, k).
        self._y_ndim = target.ndim
        return self._as_columns(target), "regression"

    def _encode(self, y: Any, n: int, name: str) -> np.ndarray:
        return self._as_columns(self._labels(y, n, name, dtype="numeric"))

    @staticmethod
    def _as_columns(target: np.ndarray) -> np.ndarray:
        target = target.astype(np.float32)
        return target[:, None] if target.ndim == 1 else target

    def _head(self, model: keras.Model, targets: np.ndarray) -> keras.Model:
        if not self.standardize_target:
            return model
        mean = targets.mean(axis=0)
        # A constant target column has nothing to scale.
        std = np.where(targets.std(axis=0) > 0, targets.std(axis=0), 1.0)
        scaling = TargetScaling(mean.tolist(), std.tolist(), name="target_scaling")
        return keras.Model(model.input, scaling(model.output), name=model.name)

    def fit(
        self, X: Any, y: Any, validation_data: tuple[Any, Any] | None = None
    ) -> KerasCNNRegressor:
        """Build a fresh network and train it on numeric targets.

        Parameters
        ----------
        X : array, shape (N, H, W), (N, H, W, C) or (N, F)
            Images, float32 in [0, 1]; 2-D rows of F features are 1 x F images.
        y : array, shape (N,) or (N, k)
            Finite targets, one column per network output.
        validation_data : (X_val, y_val), optional
            Watched by early stopping after every epoch (the paper's validation set).

        Returns
        -------
        KerasCNNRegressor
            ``self``.
        """
        return super().fit(X, y, validation_data)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets (float64), shaped like the training ``y``: (N,) or (N, k)."""
        output = self._outputs(X).astype(np.float64)
        return output[:, 0] if self._y_ndim == 1 else output
