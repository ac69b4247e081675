"""scikit-learn estimators around :class:`ignet.Network`.

Two named sets of settings fill every option left unset (see :data:`SETTINGS`):

* ``settings="default"``: what learns without tuning: ReLU hidden layers, learned biases,
  He-uniform initial weights, Nesterov momentum, standardised inputs (and targets, for
  regression), the MSE loss for regression, up to 200 epochs with early stopping.
* ``settings="paper"``: the IgNet paper's section 5 as written: identity activations,
  fixed biases, the eq. (3) ranges as given, plain SGD at learning rate 0.01 in batches
  of 32, raw inputs and targets, MAE for regression, at most 10 epochs.

An option given explicitly always wins over the settings.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from ignet.backends import Backend
from ignet.callbacks import EarlyStopping
from ignet.errors import IgNetError
from ignet.layers import Layer, WeightedLayer
from ignet.network import Network
from ignet.optimizers import Optimizer
from ignet.presets import preset

INITS = ("eq3", "he")
INPUT_SCALINGS = (None, "standard")
TARGET_SCALINGS = (None, "center", "standard", "minmax")
#: The open range of a bipolar sigmoid that ``target_scaling="minmax"`` maps targets into.
MINMAX_RANGE = (-0.8, 0.8)

PAPER_SETTINGS: Mapping[str, Any] = MappingProxyType(
    {
        "activation": "identity",
        "output_activation": None,
        "learn_bias": False,
        "init": "eq3",
        "optimizer": "sgd",
        "learning_rate": 0.01,
        "momentum": 0.9,
        "batch_size": 32,
        "epochs": 10,
        "loss": MappingProxyType(
            {"classification": "ce", "multilabel": "bce", "regression": "mae"}
        ),
        "input_scaling": None,
        "target_scaling": None,
    }
)
"""The IgNet paper's settings (section 5): what ``settings="paper"`` fills in."""

DEFAULT_SETTINGS: Mapping[str, Any] = MappingProxyType(
    {
        "activation": "relu",
        "output_activation": None,
        "learn_bias": True,
        "init": "he",
        "optimizer": "nesterov",
        "learning_rate": 0.01,
        "momentum": 0.9,
        "batch_size": 32,
        "epochs": 200,
        "loss": MappingProxyType(
            {"classification": "ce", "multilabel": "bce", "regression": "mse"}
        ),
        "input_scaling": "standard",
        "target_scaling": "standard",
    }
)
"""Settings that learn without tuning: what ``settings="default"`` fills in."""

SETTINGS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {"default": DEFAULT_SETTINGS, "paper": PAPER_SETTINGS}
)
# Options that shape a preset's layers; a list of layers carries its own.
_LAYER_OPTIONS = ("activation", "output_activation", "learn_bias", "init", "freezeconnect")
# Options whose None is a value of their own (no scaling); "auto" takes the settings'.
_AUTO = "auto"


class _IgNetEstimator(BaseEstimator):
    """Parameters shared by :class:`IgNetClassifier` and :class:`IgNetRegressor`.

    Parameters
    ----------
    layers : a preset name (see :mod:`ignet.presets`) or a list of layers, last layer
        included (it is copied at fit, never changed).
    settings : ``"default"`` or ``"paper"``: the named set (:data:`SETTINGS`) that fills
        every option below left at None (``"auto"`` for the scalings).
    activation : activation of a preset's hidden layers (paper: identity; default: relu).
    output_activation : activation of a preset's output dense layer; None takes the task's
        (``sigmoid`` for multi-label, else ``identity``). Section 5.5.2 of the paper puts a
        bipolar sigmoid on the Fig. 5 net's second layer, its output:
        ``output_activation="bipolar_sigmoid"`` (with ``target_scaling="minmax"`` for a
        regression, so that the targets lie inside the sigmoid's range).
    learn_bias : whether a preset's biases learn (paper: fixed; default: learned).
    init : ``"eq3"`` (the paper's eq. (3) with the layers' ``w_range``) or ``"he"``
        (eq. (3) with each ``w_range`` set so that the bound is He's sqrt(6 / fan_in)).
    freezeconnect : a preset's freezeconnect rate (see :func:`ignet.presets.preset`).
        ``activation``, ``output_activation``, ``learn_bias``, ``init`` and
        ``freezeconnect`` shape a preset; with a list of layers they must stay None.
    w_scale : None, or factors for the weight amplitude W_n of each weighted layer in order
        (missing ones stay 1), applied after ``init``: the paper's Fig. 4 restart with the
        second layer's amplitude times 10 is ``w_scale=(1, 10)``.
    loss : loss name; None takes the settings' for the task: ``ce`` (classes), ``bce``
        (multi-label), and ``mae`` (paper) or ``mse`` (default) for regression.
    optimizer : ``"sgd"``, ``"momentum"`` or ``"nesterov"``.
    learning_rate, momentum, batch_size : optimizer settings.
    epochs : maximum passes over the training data.
    tolerance : early-stopping tolerance in epochs (the paper's 7); None disables it.
    monitor : history key for early stopping; None means ``val_loss`` when
        ``validation_fraction > 0``, else ``loss``.
    validation_fraction : share of the training data held out (stratified for classes)
        as validation data for the history and early stopping; 0 uses all for training.
    calibrate : None, or a (low, high) band: before training, rescale the weight ranges
        until MAV(dLoss/dW) of every layer lies in it (see :func:`ignet.diagnostics.calibrate`),
        measured on the first ``8 * batch_size`` training samples.
    input_scaling : None (inputs as given; paper) or ``"standard"`` (each input feature,
        i.e. each pixel of a map, centred and divided by its standard deviation over the
        samples given to fit; constant features are only centred); ``"auto"`` takes the
        settings'.
    target_scaling : regression only: None (raw targets; paper), ``"center"`` (minus their
        mean), ``"standard"`` (also divided by their standard deviation) or ``"minmax"``
        (mapped linearly onto :data:`MINMAX_RANGE`, inside a bipolar sigmoid's range),
        per output, from the targets given to fit, and undone by predict; ``"auto"``
        takes the settings'. The history's loss and metric are in the scaled units.
    input_shape : (H, W) or (C, H, W) to reshape 2-D X (N, features) into maps; with
        None, 2-D X is a 1 x features map. 3-D X is (N, H, W), 4-D X is (N, C, H, W).
    backend, threads, dtype : a back-end name and its settings, or a ready back end.
    random_state : seed (int, None or a RandomState) of every random choice.
    verbose : print one line per epoch.

    Attributes
    ----------
    network_ : the trained :class:`ignet.Network`.
    history_ : its per-epoch history.
    settings_ : every option as used (the settings' values with the explicit ones on top),
        JSON-ready, with ``settings`` naming the set.
    calibration_ : the calibration table, when ``calibrate`` is set.
    initial_diagnosis_ : the Fig. 4 table (:func:`ignet.diagnostics.diagnose`) at the
        beginning of learning, after calibration, on the first ``8 * batch_size`` samples.
    n_features_in_ : ``X.shape[1]`` at fit (scikit-learn's convention), checked at predict.
    """

    def __init__(
        self,
        layers: str | Sequence[Layer] = "fig5",
        *,
        settings: str = "default",
        activation: str | None = None,
        output_activation: str | None = None,
        learn_bias: bool | None = None,
        init: str | None = None,
        freezeconnect: float | None = None,
        w_scale: Sequence[float] | None = None,
        loss: str | None = None,
        optimizer: str | None = None,
        learning_rate: float | None = None,
        momentum: float | None = None,
        batch_size: int | None = None,
        epochs: int | None = None,
        tolerance: int | None = 7,
        monitor: str | None = None,
        validation_fraction: float = 0.1,
        calibrate: tuple[float, float] | None = None,
        input_scaling: str | None = _AUTO,
        target_scaling: str | None = _AUTO,
        input_shape: tuple[int, ...] | None = None,
        backend: str | Backend = "numpy",
        threads: int = 1,
        dtype: str = "float32",
        random_state: int | np.random.RandomState | None = None,
        verbose: bool = False,
    ) -> None:
        self.layers = layers
        self.settings = settings
        self.activation = activation
        self.output_activation = output_activation
        self.learn_bias = learn_bias
        self.init = init
        self.freezeconnect = freezeconnect
        self.w_scale = w_scale
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.batch_size = batch_size
        self.epochs = epochs
        self.tolerance = tolerance
        self.monitor = monitor
        self.validation_fraction = validation_fraction
        self.calibrate = calibrate
        self.input_scaling = input_scaling
        self.target_scaling = target_scaling
        self.input_shape = input_shape
        self.backend = backend
        self.threads = threads
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    # settings -----------------------------------------------------------------------
    def _resolve(self, task: str) -> dict[str, Any]:
        """Every settings-backed option as it will be used, checked."""
        if not isinstance(self.settings, str) or self.settings not in SETTINGS:
            raise IgNetError(
                f"settings: unknown name {self.settings!r}; choose from {', '.join(SETTINGS)}"
            )
        base = SETTINGS[self.settings]
        used: dict[str, Any] = {"settings": self.settings}
        for name, value in base.items():
            own = getattr(self, name)
            unset = own == _AUTO if name in ("input_scaling", "target_scaling") else own is None
            used[name] = value if unset else own
        if isinstance(used["loss"], Mapping):
            used["loss"] = used["loss"][task]
        used["freezeconnect"] = self.freezeconnect
        if not isinstance(self.layers, str):
            given = [name for name in _LAYER_OPTIONS if getattr(self, name) is not None]
            if given:
                raise IgNetError(
                    f"{', '.join(given)}: these shape a preset; a list of layers carries its own"
                )
            for name in ("activation", "output_activation", "learn_bias", "init"):
                used[name] = None
        elif used["init"] not in INITS:
            raise IgNetError(f"init: unknown name {used['init']!r}; choose from {INITS}")
        if used["input_scaling"] not in INPUT_SCALINGS:
            raise IgNetError(
                f"input_scaling must be one of {INPUT_SCALINGS} or 'auto', "
                f"got {used['input_scaling']!r}"
            )
        if used["target_scaling"] not in TARGET_SCALINGS:
            raise IgNetError(
                f"target_scaling must be one of {TARGET_SCALINGS} or 'auto', "
                f"got {used['target_scaling']!r}"
            )
        if task != "regression":
            if self.target_scaling not in (_AUTO, None):
                raise IgNetError(
                    f"target_scaling applies to regression only, got {self.target_scaling!r}"
                )
            used["target_scaling"] = None
        batch = used["batch_size"]
        if isinstance(batch, bool) or not isinstance(batch, numbers.Integral) or batch < 1:
            raise IgNetError(f"batch_size must be a positive int, got {batch!r}")
        epochs = used["epochs"]
        if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 0:
            raise IgNetError(f"epochs must be an int >= 0, got {epochs!r}")
        used["batch_size"], used["epochs"] = int(batch), int(epochs)
        return used

    def _check_params(self, task: str) -> dict[str, Any]:
        """The options as :meth:`_resolve` gives them, and every check that needs no data
        (the optimizer's, the validation fraction), so that a caller can check a
        configuration before any work."""
        used = self._resolve(task)
        Optimizer(used["optimizer"], used["learning_rate"], used["momentum"])
        if not 0 <= self.validation_fraction < 1:
            raise IgNetError(
                f"validation_fraction must be in [0, 1), got {self.validation_fraction!r}"
            )
        return used

    def _maps(self, X: Any, reset: bool = False) -> np.ndarray:
        X = check_array(X, allow_nd=True, dtype=(np.float32, np.float64))
        if reset:
            self.n_features_in_ = X.shape[1]
        elif X.shape[1] != self.n_features_in_:
            raise IgNetError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )
        if self.input_shape is not None:
            shape = tuple(self.input_shape)
            if math.prod(shape) != math.prod(X.shape[1:]) or len(shape) not in (2, 3):
                raise IgNetError(
                    f"input_shape {self.input_shape!r} does not match samples of shape "
                    f"{X.shape[1:]}"
                )
            X = X.reshape(len(X), *shape)
        elif X.ndim == 2:
            X = X.reshape(len(X), 1, 1, X.shape[1])
        if X.ndim not in (3, 4):
            raise IgNetError(f"X must have 2, 3 or 4 dimensions, got shape {X.shape}")
        return X

    def _scale_inputs(self, maps: np.ndarray) -> np.ndarray:
        """Maps with the fitted input scaling applied (a no-op without one)."""
        if self.input_offset_ is None:
            return maps
        return (maps - self.input_offset_) / self.input_scale_

    def _fit_scalings(self, maps: np.ndarray, targets: np.ndarray, used: dict[str, Any]) -> None:
        """Input and target statistics of the data given to fit (None: no scaling)."""
        self.input_offset_: np.ndarray | None = None
        self.input_scale_: np.ndarray | None = None
        if used["input_scaling"] == "standard":
            self.input_offset_ = maps.mean(axis=0)
            self.input_scale_ = _spread(maps.std(axis=0))
        offset: np.ndarray | None = None
        scale: np.ndarray | None = None
        kind = used["target_scaling"]
        if kind == "center":
            offset, scale = targets.mean(axis=0), np.ones(targets.shape[1:])
        elif kind == "standard":
            offset, scale = targets.mean(axis=0), _spread(targets.std(axis=0))
        elif kind == "minmax":
            low, high = MINMAX_RANGE
            tmin, tmax = targets.min(axis=0), targets.max(axis=0)
            scale = _spread(tmax - tmin) / (high - low)
            offset = tmin - low * scale
        self.target_offset_, self.target_scale_ = offset, scale

    def _scale_targets(self, targets: np.ndarray) -> np.ndarray:
        if self.target_offset_ is None:
            return targets
        return (targets - self.target_offset_) / self.target_scale_

    def _fit(
        self,
        X: Any,
        targets: np.ndarray,
        task: str,
        stratify: Any,
        validation_data: tuple[Any, np.ndarray] | None = None,
        resample: Callable[[int], Any] | None = None,
    ) -> None:
        used = self._check_params(task)
        maps = self._maps(X, reset=True)
        if len(targets) != len(maps):
            raise IgNetError(f"y has {len(targets)} samples, X has {len(maps)}")
        self._fit_scalings(maps, targets, used)
        maps, targets = self._scale_inputs(maps), self._scale_targets(targets)
        rs = self.random_state
        seed = rs if isinstance(rs, int) else int(check_random_state(rs).randint(2**31 - 1))
        n_outputs: int | tuple[int, int] = (
            targets.shape[1] if targets.ndim == 2 else (targets.shape[1], targets.shape[2])
        )
        if isinstance(self.layers, str):
            layers = preset(
                self.layers,
                maps.shape[1:],
                n_outputs,
                task,
                activation=used["activation"],
                freezeconnect=used["freezeconnect"],
                output_activation=used["output_activation"],
                learn_bias=bool(used["learn_bias"]),
            )
        else:
            layers = copy.deepcopy(list(self.layers))
        factors = _range_factors(layers, self.w_scale)
        net = Network(
            layers,
            loss=used["loss"],
            optimizer=used["optimizer"],
            learning_rate=used["learning_rate"],
            momentum=used["momentum"],
            batch_size=used["batch_size"],
            backend=self.backend,
            threads=self.threads,
            dtype=self.dtype,
            random_state=seed,
        )
        validation = None
        if validation_data is not None:
            validation = (
                self._scale_inputs(self._maps(validation_data[0])),
                self._scale_targets(validation_data[1]),
            )
        elif self.validation_fraction > 0 and resample is not None:
            raise IgNetError(
                "resample needs validation_data or validation_fraction=0: a split of X "
                "would not match the resampled X"
            )
        elif self.validation_fraction > 0:
            if stratify is not None:
                counts = np.unique(stratify, return_counts=True)[1]
                n_val = math.ceil(self.validation_fraction * len(maps))
                if counts.min() < 2 or min(n_val, len(maps) - n_val) < len(counts):
                    stratify = None
            maps, X_val, targets, y_val = train_test_split(
                maps,
                targets,
                test_size=self.validation_fraction,
                random_state=seed,
                stratify=stratify,
            )
            validation = (X_val, y_val)
        net.build(maps.shape[1:])
        weighted = [layer for layer in net.layers if isinstance(layer, WeightedLayer)]
        for layer, factor in zip(weighted, factors, strict=True):
            layer.w_range = (layer.he_range() if used["init"] == "he" else layer.w_range) * factor
        net.initialize()
        n = 8 * used["batch_size"]
        if self.calibrate is not None:
            low, high = self.calibrate
            self.calibration_ = net.calibrate(maps[:n], targets[:n], (low, high))
        self.initial_diagnosis_ = net.diagnose(maps[:n], targets[:n])
        callbacks = []
        if self.tolerance is not None:
            monitor = self.monitor or ("val_loss" if validation is not None else "loss")
            callbacks.append(EarlyStopping(monitor, self.tolerance))
        net.fit(
            maps,
            targets,
            used["epochs"],
            validation_data=validation,
            callbacks=callbacks,
            verbose=self.verbose,
            resample=(
                None
                if resample is None
                else lambda epoch: self._scale_inputs(self._maps(resample(epoch)))
            ),
        )
        self.network_ = net
        self.history_ = net.history_
        self.settings_ = {key: _jsonable(value) for key, value in used.items()}

    def _outputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "network_")
        return self.network_.predict(self._scale_inputs(self._maps(X)))

    def diagnose(self, X: Any, y: Any) -> Any:
        """The Fig. 4 table of the trained network on (X, y); see :mod:`ignet.diagnostics`."""
        check_is_fitted(self, "network_")
        return self.network_.diagnose(
            self._scale_inputs(self._maps(X)), self._scale_targets(self._encode(y))
        )

    def _encode(self, y: Any) -> np.ndarray:
        return np.asarray(y, dtype=np.float64)

    def _check_y(self, y: Any) -> np.ndarray:
        if y is None:
            raise IgNetError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        return check_array(y, ensure_2d=False, allow_nd=True, dtype=None)


def _spread(values: np.ndarray) -> np.ndarray:
    """Scales to divide by: a zero spread (a constant feature or target) divides by 1."""
    return np.where(values > 0, values, 1.0)


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _range_factors(layers: Sequence[Layer], w_scale: Sequence[float] | None) -> list[float]:
    """One ``w_scale`` factor per weighted layer (1 where none is given)."""
    weighted = [layer for layer in layers if isinstance(layer, WeightedLayer)]
    factors = [] if w_scale is None else list(w_scale)
    if len(factors) > len(weighted) or not all(
        isinstance(f, numbers.Real) and not isinstance(f, bool) and np.isfinite(f) and f > 0
        for f in factors
    ):
        raise IgNetError(
            f"w_scale must be at most {len(weighted)} positive numbers (one per weighted "
            f"layer), got {w_scale!r}"
        )
    return [float(f) for f in factors] + [1.0] * (len(weighted) - len(factors))


class IgNetClassifier(ClassifierMixin, _IgNetEstimator):
    """IgNet classifier (scikit-learn API); multi-label when y is a 2-D 0/1 array.

    See :class:`_IgNetEstimator` for the parameters. ``classes_`` holds the class labels
    (the label columns' indices in the multi-label case).
    """

    def fit(
        self,
        X: Any,
        y: Any,
        validation_data: tuple[Any, Any] | None = None,
        resample: Callable[[int], Any] | None = None,
        classes: Any = None,
    ) -> IgNetClassifier:
        """Train on X and class labels y (1-D) or a 0/1 label matrix (2-D).

        Parameters
        ----------
        validation_data : (X_val, y_val) to monitor instead of a ``validation_fraction``
            split of X.
        resample : called with the epoch number before every epoch but the first, returns
            that epoch's training X (fresh augmentations of the same samples).
        classes : every class label, when y may lack some (as in scikit-learn's
            ``partial_fit``): the network gets one output per class, and validation data
            may hold classes the training data lacks.
        """
        y = self._check_y(y)
        if y.ndim == 2 and type_of_target(y) == "multilabel-indicator":
            self.multilabel_ = True
            self.classes_ = np.arange(y.shape[1])
            val = (
                None
                if validation_data is None
                else (validation_data[0], np.asarray(validation_data[1], dtype=np.float64))
            )
            self._fit(X, y.astype(np.float64), "multilabel", None, val, resample)
            return self
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim != 1:
            raise IgNetError(f"y must be 1-D labels or a 2-D 0/1 matrix, got shape {y.shape}")
        check_classification_targets(y)
        self.multilabel_ = False
        self._encoder = LabelEncoder().fit(y if classes is None else np.asarray(classes))
        if classes is not None and not np.isin(y, self._encoder.classes_).all():
            raise IgNetError("y holds labels that are not in classes")
        self.classes_ = self._encoder.classes_
        codes = self._encoder.transform(y)
        val = None
        if validation_data is not None:
            val = (validation_data[0], self._encode(validation_data[1]))
        self._fit(X, np.eye(len(self.classes_))[codes], "classification", codes, val, resample)
        return self

    def _encode(self, y: Any) -> np.ndarray:
        if self.multilabel_:
            return np.asarray(y, dtype=np.float64)
        return np.eye(len(self.classes_))[self._encoder.transform(np.ravel(y))]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (softmax), or per-label probabilities (multi-label)."""
        out = self._outputs(X).astype(np.float64)
        return out.reshape(len(out), -1)

    def predict(self, X: Any) -> np.ndarray:
        """Class labels, or a 0/1 label matrix (multi-label)."""
        proba = self.predict_proba(X)
        if self.multilabel_:
            return (proba > 0.5).astype(int)
        return self.classes_[proba.argmax(axis=1)]


class IgNetRegressor(RegressorMixin, _IgNetEstimator):
    """IgNet regressor (scikit-learn API); y 1-D, or 2-D for several outputs.

    See :class:`_IgNetEstimator` for the parameters; the loss is the settings' (``mse``
    by default, ``mae`` in the paper's settings), on targets scaled by ``target_scaling``.
    """

    def fit(
        self,
        X: Any,
        y: Any,
        validation_data: tuple[Any, Any] | None = None,
        resample: Callable[[int], Any] | None = None,
    ) -> IgNetRegressor:
        """Train on X and numeric targets y; see :meth:`IgNetClassifier.fit` for the rest."""
        y = self._check_y(y).astype(np.float64)
        if y.ndim > 3:
            raise IgNetError(f"y must be 1-D, 2-D or 3-D (a matrix per sample), got {y.shape}")
        self._y_ndim = y.ndim
        targets = y[:, None] if y.ndim == 1 else y
        val = None
        if validation_data is not None:
            y_val = np.asarray(validation_data[1], dtype=np.float64)
            val = (validation_data[0], y_val[:, None] if y_val.ndim == 1 else y_val)
        self._fit(X, targets, "regression", None, val, resample)
        return self

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets, shaped like the training y (target scaling undone)."""
        out = self._outputs(X).astype(np.float64)
        if self.target_offset_ is not None and self.target_scale_ is not None:
            out = out * self.target_scale_ + self.target_offset_
        return out.reshape(len(out)) if self._y_ndim == 1 else out
