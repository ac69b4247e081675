"""A scikit-learn flavoured training wrapper around a Keras model builder.

:class:`KerasCNN` builds a fresh network on every ``fit``, trains it with the paper's early
stopping (tolerance 7, best weights restored) and keeps per-epoch learning curves and
timings for the result records. It handles single-label classification, regression and
multi-label classification (the face-attribute paper's task).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import ClassifierTags, RegressorTags, Tags
from sklearn.utils.metaestimators import available_if

from baseline_keras.checks import (
    KerasBaselineError,
    check_choice,
    check_flag,
    check_int,
    check_number,
)
from baseline_keras.models import (
    TASKS,
    TargetScaling,
    _check_threshold,
    compile_for_task,
    drawings_cnn,
)

__all__ = ["KerasCNN", "set_determinism"]

_MONITORS = {
    "classification": ("loss", "accuracy"),
    "regression": ("loss", "mape", "mae"),
    "multilabel": ("loss", "accuracy", "precision", "recall"),
}

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


def _as_images(X: Any, name: str) -> np.ndarray:
    array = np.asarray(X)
    if array.ndim not in (3, 4) or array.shape[0] == 0:
        raise KerasBaselineError(
            f"{name} must have shape (N, H, W) or (N, H, W, C) with N >= 1, not {array.shape}"
        )
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise KerasBaselineError(
            f"{name} must hold real numbers (float32 in [0, 1]), not {array.dtype}"
        )
    array = array.astype(np.float32, copy=False)
    return array[..., None] if array.ndim == 3 else array


class KerasCNN(BaseEstimator):
    """Train a Keras network built by ``build`` on images, scikit-learn style.

    Parameters
    ----------
    build : callable
        Called as ``build(input_shape=(H, W, C), n_outputs=k, task=task, **build_kwargs)``;
        returns a ``keras.Model`` whose output is a softmax over ``k`` classes
        (classification), ``k`` linear values (regression) or ``k`` sigmoids (multilabel).
        It is (re)compiled here with :func:`~baseline_keras.compile_for_task`. The default
        is the IgNet paper's Fig. 2 network, :func:`baseline_keras.drawings_cnn`; the face
        paper's network is :func:`baseline_keras.faces_cnn` (or
        ``BUILDERS["faces_cnn_no_conv3"]`` and ``BUILDERS["faces_cnn_no_conv3_fc1"]``).
    task : {"classification", "regression", "multilabel"}
        Multilabel: ``y`` is an (N, k) matrix of 0/1 (or bool), one column per label, any
        number of ones per row; the loss is binary cross-entropy.
    build_kwargs : dict, optional
        Extra keywords for ``build`` (layer sizes).
    n_classes : int, optional
        Classification only. When given, ``y`` must hold class indices in
        ``[0, n_classes)`` and the network has ``n_classes`` outputs even if a fold lacks
        some classes. When None, the classes are the sorted distinct values of ``y``
        (any labels).
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
        classification, ``"val_loss"`` for regression and multilabel. Any of ``loss``,
        ``accuracy`` (classification, multilabel), ``mape``, ``mae`` (regression),
        ``precision``, ``recall`` (multilabel), with or without ``val_``. Without
        validation data a ``val_`` monitor falls back to its training counterpart.
    learning_rate : float
        Adam's step size.
    standardize_target : bool
        Regression only: the network learns ``(y - mean) / std`` of the training targets
        through a fixed :class:`~baseline_keras.TargetScaling` output layer, so loss,
        metrics and predictions stay in the target's units. Without it a sigmoid network
        must grow a bias of about 100 (months) at Adam's step size, which takes epochs.
        Each target column is scaled on its own.
    threshold : float
        Multilabel only: a label is predicted present when its sigmoid output is above
        ``threshold`` (strictly, as in Keras's metrics); the ``accuracy``, ``precision``
        and ``recall`` of ``history_`` use the same threshold. In (0, 1).
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
    classes_ : ndarray
        Classification: the label of each output.
    n_labels_ : int
        Multilabel: the number of labels (columns of ``y``).
    history_ : dict of str to list of float
        Per-epoch ``loss`` and ``accuracy`` (classification), ``mape`` (percent) and
        ``mae`` (regression), or ``accuracy`` (per label), ``precision`` and ``recall``
        (multilabel), and the same with ``val_`` for validation data.
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
    """

    def __init__(
        self,
        build: Callable[..., keras.Model] = drawings_cnn,
        task: str = "classification",
        build_kwargs: dict[str, Any] | None = None,
        n_classes: int | None = None,
        epochs: int = 10,
        batch_size: int = 32,
        patience: int = 7,
        early_stopping: bool = True,
        monitor: str | None = None,
        learning_rate: float = 1e-3,
        standardize_target: bool = True,
        threshold: float = 0.5,
        seed: int = 0,
        deterministic: bool = True,
        verbose: int = 0,
    ) -> None:
        self.build = build
        self.task = task
        self.build_kwargs = build_kwargs
        self.n_classes = n_classes
        self.epochs = epochs
        self.batch_size = batch_size
        self.patience = patience
        self.early_stopping = early_stopping
        self.monitor = monitor
        self.learning_rate = learning_rate
        self.standardize_target = standardize_target
        self.threshold = threshold
        self.seed = seed
        self.deterministic = deterministic
        self.verbose = verbose

    def __sklearn_tags__(self) -> Tags:
        """Classifier or regressor by ``task``, so that scikit-learn's model selection
        treats it as one: ``cross_val_score`` then stratifies the folds of a classifier."""
        tags = super().__sklearn_tags__()
        if self.task == "regression":
            tags.estimator_type = "regressor"
            tags.regressor_tags = RegressorTags()
        else:
            tags.estimator_type = "classifier"
            tags.classifier_tags = ClassifierTags(multi_label=self.task == "multilabel")
        tags.target_tags.multi_output = self.task != "classification"
        return tags

    # -- validation -----------------------------------------------------------------

    def _check_params(self) -> str:
        check_choice("task", self.task, TASKS)
        if not callable(self.build):
            raise KerasBaselineError(f"build must be callable, not {self.build!r}")
        if self.build_kwargs is not None and not isinstance(self.build_kwargs, dict):
            raise KerasBaselineError(
                f"build_kwargs must be a dict or None, not {self.build_kwargs!r}"
            )
        if self.n_classes is not None:
            if self.task != "classification":
                raise KerasBaselineError(f"n_classes is for classification, not {self.task}")
            check_int("n_classes", self.n_classes, 2)
        for name, least in (("epochs", 1), ("batch_size", 1), ("patience", 0), ("seed", 0)):
            check_int(name, getattr(self, name), least)
        check_flag("early_stopping", self.early_stopping)
        check_number("learning_rate", self.learning_rate, low_open=True)
        _check_threshold(self.threshold)
        monitor = self.monitor
        if monitor is None:
            monitor = "val_accuracy" if self.task == "classification" else "val_loss"
        allowed = _MONITORS[self.task]
        if not isinstance(monitor, str) or monitor.removeprefix("val_") not in allowed:
            choices = [*allowed, *(f"val_{m}" for m in allowed)]
            raise KerasBaselineError(
                f"monitor must be one of {choices} for {self.task}, not {monitor!r}"
            )
        return monitor

    def _encode_y(self, y: Any, n: int, name: str, *, fitting: bool) -> np.ndarray:
        target = np.asarray(y)
        if self.task == "regression":
            if target.ndim not in (1, 2) or len(target) != n:
                raise KerasBaselineError(
                    f"{name} must have shape ({n},) or ({n}, k) for regression, not {target.shape}"
                )
            if not np.issubdtype(target.dtype, np.number):
                raise KerasBaselineError(
                    f"{name} must hold numbers for regression, not {target.dtype}"
                )
            target = target.astype(np.float32)
            if not np.all(np.isfinite(target)):
                raise KerasBaselineError(f"{name} must be finite")
            return target[:, None] if target.ndim == 1 else target
        if self.task == "multilabel":
            return self._encode_labels(target, n, name, fitting=fitting)
        if target.ndim != 1 or len(target) != n:
            raise KerasBaselineError(
                f"{name} must have shape ({n},) for classification, not {target.shape}"
            )
        if fitting:
            if self.n_classes is None:
                self.classes_ = np.unique(target)
                if len(self.classes_) < 2:
                    raise KerasBaselineError(f"{name} must hold at least two classes")
            else:
                self.classes_ = np.arange(self.n_classes)
        indices = np.searchsorted(self.classes_, target)
        indices = np.clip(indices, 0, len(self.classes_) - 1)
        unknown = self.classes_[indices] != target
        if np.any(unknown):
            raise KerasBaselineError(
                f"{name} holds labels not among the {len(self.classes_)} classes: "
                f"{np.unique(target[unknown])[:5]!r}"
            )
        return np.eye(len(self.classes_), dtype=np.float32)[indices]

    def _encode_labels(self, target: np.ndarray, n: int, name: str, *, fitting: bool) -> np.ndarray:
        if target.ndim != 2 or len(target) != n or target.shape[1] == 0:
            raise KerasBaselineError(
                f"{name} must have shape ({n}, k), one 0/1 column per label, for multilabel, "
                f"not {target.shape}"
            )
        if target.dtype != bool:
            if not np.issubdtype(target.dtype, np.number) or np.issubdtype(
                target.dtype, np.complexfloating
            ):
                raise KerasBaselineError(f"{name} must hold 0/1 for multilabel, not {target.dtype}")
            bad = (target != 0) & (target != 1)
            if np.any(bad):
                raise KerasBaselineError(
                    f"{name} must hold only 0 and 1 for multilabel, found "
                    f"{np.unique(target[bad])[:5]!r}"
                )
        if fitting:
            self.n_labels_ = target.shape[1]
        elif target.shape[1] != self.n_labels_:
            raise KerasBaselineError(
                f"{name} has {target.shape[1]} labels, the network predicts {self.n_labels_}"
            )
        return target.astype(np.float32)

    # -- fit / predict --------------------------------------------------------------

    def fit(self, X: Any, y: Any, validation_data: tuple[Any, Any] | None = None) -> KerasCNN:
        """Build a fresh network and train it.

        Parameters
        ----------
        X : array, shape (N, H, W) or (N, H, W, C)
            Images, float32 in [0, 1].
        y : array, shape (N,) or, for regression, (N, k); (N, k) for multilabel
            Class labels (one-hot encoded here), float targets, or 0/1 label rows.
        validation_data : (X_val, y_val), optional
            Watched by early stopping after every epoch (the paper's validation set).

        Returns
        -------
        KerasCNN
            ``self``.
        """
        monitor = self._check_params()
        images = _as_images(X, "X")
        targets = self._encode_y(y, len(images), "y", fitting=True)
        validation = None
        if validation_data is not None:
            if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
                raise KerasBaselineError("validation_data must be a pair (X_val, y_val)")
            val_images = _as_images(validation_data[0], "validation_data[0]")
            if val_images.shape[1:] != images.shape[1:]:
                raise KerasBaselineError(
                    f"validation_data[0] images have shape {val_images.shape[1:]}, "
                    f"X has {images.shape[1:]}"
                )
            val_targets = self._encode_y(
                validation_data[1], len(val_images), "validation_data[1]", fitting=False
            )
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
            task=self.task,
            **(self.build_kwargs or {}),
        )
        if not isinstance(model, keras.Model):
            raise KerasBaselineError(f"build must return a keras.Model, not {type(model).__name__}")
        if self.task == "regression" and self.standardize_target:
            mean = targets.mean(axis=0)
            # A constant target column has nothing to scale.
            std = np.where(targets.std(axis=0) > 0, targets.std(axis=0), 1.0)
            scaling = TargetScaling(mean.tolist(), std.tolist(), name="target_scaling")
            outputs = scaling(model.outputs[0])
            model = keras.Model(model.inputs, outputs, name=model.name)
        compile_for_task(model, self.task, self.learning_rate, self.threshold)

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

    def _check_fitted(self, X: Any) -> np.ndarray:
        if not hasattr(self, "model_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this KerasCNN is not fitted yet: call fit first")
        images = _as_images(X, "X")
        if images.shape[1:] != self.input_shape_:
            raise KerasBaselineError(
                f"X images have shape {images.shape[1:]}, the network takes {self.input_shape_}"
            )
        return images

    def _raw_predict(self, X: Any) -> np.ndarray:
        images = self._check_fitted(X)
        return np.asarray(self.model_.predict(images, batch_size=256, verbose=0))

    def _is_classifier(self) -> bool:
        return self.task in ("classification", "multilabel")

    @available_if(_is_classifier)
    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities, shape (N, n_classes) or (N, n_labels).

        Classification: a softmax row per image, columns in the order of ``classes_``.
        Multilabel: each label's own sigmoid output; rows do not sum to 1.
        """
        return self._raw_predict(X)

    def predict(self, X: Any) -> np.ndarray:
        """Class labels (classification), targets (regression) or 0/1 label rows.

        Shapes: (N,) for classification; (N,) or (N, k) for regression; an (N, k) int
        matrix for multilabel, 1 where ``predict_proba`` is above ``threshold``.
        """
        output = self._raw_predict(X)
        if self.task == "classification":
            return np.asarray(self.classes_[np.argmax(output, axis=1)])
        if self.task == "multilabel":
            return (output > self.threshold).astype(np.int64)
        return output[:, 0] if output.shape[1] == 1 else output

    def score(self, X: Any, y: Any) -> float:
        """Accuracy (classification, multilabel) or minus the MAPE in percent (regression).

        Greater is better in all cases, as scikit-learn's model selection expects; the
        regression score is ``-12.95`` for the paper's MAPE of 12.95%. For multilabel the
        accuracy is per label: the fraction of correct entries of the (N, k) 0/1 matrix
        (one minus the Hamming loss), the number Keras reports as ``accuracy``; not the
        exact-match ratio of whole rows, which is much lower with 10 labels.
        """
        predicted = self.predict(X)
        if self.task == "multilabel":
            target = self._encode_labels(np.asarray(y), len(predicted), "y", fitting=False)
            return float(np.mean(predicted == target))
        target = np.asarray(y)
        if len(target) != len(predicted):
            raise KerasBaselineError(f"y must have {len(predicted)} entries, not {len(target)}")
        if self.task == "classification":
            return float(np.mean(predicted == target))
        target = target.astype(np.float64).reshape(predicted.shape)
        # Keras's MAPE guards the denominator the same way.
        denominator = np.maximum(np.abs(target), keras.config.epsilon())
        return -100.0 * float(np.mean(np.abs(predicted - target) / denominator))
