"""Engine adapters: Keras, IgNet, a linear and a memorisation baseline behind one interface.

The runner hands every engine numpy arrays (images ``(N, H, W)`` or ``(N, H, W, C)`` in
[0, 1]) and gets back predictions, a per-epoch history and timings, so it treats the
engines alike. Only this module knows how each engine is built.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.errors import BenchError

__all__ = ["ENGINES", "NEAREST_NETWORKS", "EngineAdapter", "hog_features", "make_engine"]

ENGINES = ("keras", "ignet", "linear", "nearest", "oracle")
# The nearest-neighbour baseline's representations: the raw pixels, or a histogram of
# gradient orientations of the drawing cut to its bounding box (see :func:`hog_features`).
NEAREST_NETWORKS = ("pixels", "hog")
_HOG_WINDOW = (32, 64)  # (width, height): HOG's cells tile it, near the drawings' aspect


class EngineAdapter:
    """A trained-or-not model of one engine for one task.

    The base class fits any estimator that takes ``validation_data`` and keeps a Keras-style
    ``history_`` (the Keras baseline); IgNet and the linear baseline override ``_fit``.

    Attributes (after :meth:`fit`)
    ------------------------------
    history_ : dict of per-epoch lists (``loss``, ``accuracy`` or ``mape``, ``val_*``).
    train_seconds_ : wall time of the fit.
    samples_per_second_ : training samples processed per second.
    """

    def __init__(self, estimator: Any, task: str) -> None:
        self.estimator = estimator
        self.task = task

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        validation: tuple[np.ndarray, np.ndarray],
        resample: Callable[[int], np.ndarray] | None = None,
    ) -> EngineAdapter:
        """Train on ``X, y``; ``resample(epoch)`` gives fresh training images per epoch."""
        start = time.perf_counter()
        self._fit(X, y, validation, resample)
        self.train_seconds_ = time.perf_counter() - start
        self.history_ = {k: [float(v) for v in vs] for k, vs in self._history().items()}
        epochs = max(1, len(self.history_.get("loss", [])))
        self.samples_per_second_ = len(X) * epochs / max(self.train_seconds_, 1e-9)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class indices, 0/1 label rows or regression values."""
        return np.asarray(self.estimator.predict(self._inputs(X)))

    def details(self) -> dict[str, Any]:
        """Engine-specific facts for the result record (JSON-ready)."""
        return {}

    # engine specifics ------------------------------------------------------------
    def _inputs(self, X: np.ndarray) -> np.ndarray:
        return X

    def _fit(self, X, y, validation, resample) -> None:
        self.estimator.fit(
            self._inputs(X), y, validation_data=(self._inputs(validation[0]), validation[1])
        )

    def _history(self) -> dict[str, list[float]]:
        return dict(self.estimator.history_)


class _IgNetAdapter(EngineAdapter):
    def __init__(self, estimator: Any, task: str, n_outputs: int) -> None:
        super().__init__(estimator, task)
        self.n_outputs = n_outputs

    def _inputs(self, X: np.ndarray) -> np.ndarray:
        # IgNet is channels-first; colour images arrive channels-last.
        return np.ascontiguousarray(np.moveaxis(X, -1, 1)) if X.ndim == 4 else X

    def _fit(self, X, y, validation, resample) -> None:
        redraw = None if resample is None else (lambda epoch: self._inputs(resample(epoch)))
        # Class indices 0..n-1 as in the Keras adapter: a fold may lack classes that its
        # validation or test side has.
        classes = {"classes": np.arange(self.n_outputs)} if self.task == "classification" else {}
        self.estimator.fit(
            self._inputs(X),
            y,
            validation_data=(self._inputs(validation[0]), validation[1]),
            resample=redraw,
            **classes,
        )

    def details(self) -> dict[str, Any]:
        # The Fig. 4 table at the start of learning, one dict per weighted layer, and every
        # setting the estimator ran with (the paper's unless the experiment said otherwise).
        table = self.estimator.initial_diagnosis_.reset_index()
        return {
            "diagnosis": table.to_dict(orient="records"),
            "ignet_settings": self.estimator.settings_,
        }


class _LinearAdapter(EngineAdapter):
    """A scikit-learn model fitted in one go on flat inputs.

    The linear baseline is logistic or ridge regression on the raw pixels: IgNet with
    identity activations is itself a linear map of the pixels, so it says what the
    convolution adds. The oracle is a model on the generator's latent parameters.
    """

    def _inputs(self, X: np.ndarray) -> np.ndarray:
        return X.reshape(len(X), -1)

    def _fit(self, X, y, validation, resample) -> None:
        from sklearn.exceptions import ConvergenceWarning

        # A capped solver is a setting of the profile (quick stops it early), not news for
        # the console: the record says whether it converged.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.estimator.fit(self._inputs(X), y)
        self._train_score = float(self.estimator.score(self._inputs(X), y))
        self._val_score = float(self.estimator.score(self._inputs(validation[0]), validation[1]))

    def _history(self) -> dict[str, list[float]]:
        key = "accuracy" if self.task == "classification" else "r2"
        return {key: [self._train_score], f"val_{key}": [self._val_score]}

    def details(self) -> dict[str, Any]:
        max_iter = getattr(self.estimator, "max_iter", None)
        n_iter = getattr(self.estimator, "n_iter_", None)
        if max_iter is None or n_iter is None:  # solved in closed form (ridge)
            return {}
        return {"converged": bool(np.all(n_iter < max_iter))}


class _NearestAdapter(EngineAdapter):
    """1-nearest-neighbour on a fixed representation: a model that only memorises.

    Its prediction for a test image is the label of the closest training sample, so it
    scores what a leak hands over for free: under a protocol that puts copies of test
    drawings in training it finds them if they are near in its representation.
    """

    def __init__(self, estimator: Any, task: str, network: str) -> None:
        super().__init__(estimator, task)
        self.network = network

    def _inputs(self, X: np.ndarray) -> np.ndarray:
        if self.network == "hog":
            return hog_features(X)
        return X.reshape(len(X), -1)

    def _fit(self, X, y, validation, resample) -> None:
        self.estimator.fit(self._inputs(X), y)
        # Training data is memorised by construction; the validation score is the news.
        self._val_score = float(self.estimator.score(self._inputs(validation[0]), validation[1]))

    def _history(self) -> dict[str, list[float]]:
        key = "accuracy" if self.task == "classification" else "r2"
        return {f"val_{key}": [self._val_score]}


def hog_features(images: np.ndarray) -> np.ndarray:
    """Histograms of oriented gradients of each drawing cut to its bounding box.

    Cutting to the box of the ink (pixels that differ from the paper by at least half the
    strongest stroke's contrast) and resizing it to one window undoes shifts and stretches;
    the gradient histograms over 8-pixel cells, normalised per block, then tolerate small
    rotations and pixel noise. Neither undoes a flip.

    Parameters
    ----------
    images : ndarray, shape (N, H, W) or (N, H, W, C), values in [0, 1]
        Paper white or ink bright alike: the paper is taken as each image's median.

    Returns
    -------
    ndarray of float32, shape (N, F)
    """
    import cv2

    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 4:
        images = images.mean(axis=-1)
    descriptor = cv2.HOGDescriptor(_HOG_WINDOW, (16, 16), (8, 8), (8, 8), 9)
    rows = []
    for image in images:
        contrast = np.abs(image - np.median(image))
        # Relative to the darkest stroke: faint pencil drawings have little absolute contrast.
        ys, xs = np.nonzero(contrast > 0.5 * contrast.max())
        if contrast.max() > 0.02:
            image = image[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        window = cv2.resize(image, _HOG_WINDOW, interpolation=cv2.INTER_AREA)
        pixels = (np.clip(window, 0, 1) * 255).astype(np.uint8)
        rows.append(np.ravel(descriptor.compute(pixels)))
    return np.asarray(rows, dtype=np.float32)


def _oracle(network: str, task: str, seed: int, options: dict[str, Any]) -> Any:
    """A model of the drawings' latent parameters: ``logistic`` (logistic or ridge
    regression on standardised latents) or ``boosting`` (histogram gradient boosting)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    regression = task == "regression"
    if task == "multilabel":
        raise BenchError("the oracle engine has latents for the drawings only, not for faces")
    if network == "logistic":
        model = Ridge(**options) if regression else LogisticRegression(max_iter=1000, **options)
    elif network == "boosting":
        kind = HistGradientBoostingRegressor if regression else HistGradientBoostingClassifier
        model = kind(random_state=seed, **options)
    else:
        raise BenchError(f"oracle network must be logistic or boosting, not {network!r}")
    # A pipeline hides the iteration cap: the record's "converged" is the pixel models' news.
    return make_pipeline(StandardScaler(), model)


def make_engine(
    engine: str,
    network: str,
    task: str,
    n_outputs: int,
    backend: str,
    epochs: int,
    seed: int,
    options: dict[str, Any] | None = None,
) -> EngineAdapter:
    """Build an untrained engine.

    Parameters
    ----------
    engine : ``keras``, ``ignet``, ``linear``, ``nearest`` or ``oracle``.
    network : Keras builder (``fig2``), IgNet preset (``fig5`` ... ``fig7``), ``pixels``
        (linear, nearest), ``hog`` (nearest), ``logistic`` or ``boosting`` (oracle: its
        inputs are the generator's latent parameters, not images).
    task : ``classification`` (y class indices), ``regression`` (y floats) or
        ``multilabel`` (y 0/1 rows).
    n_outputs : classes, labels or 1.
    backend : IgNet back end (``numpy``, ``opencl``); ignored by the others.
    options : engine keyword arguments from the experiment's profile.
    """
    options = dict(options or {})
    try:
        if engine == "keras":
            from baseline_keras import BUILDERS, KerasCNN

            builders = {
                "fig2": "drawings_cnn",
                "fig2_dense3": "drawings_cnn_dense3",
                **{name: name for name in BUILDERS},
            }
            if network not in builders:
                raise BenchError(
                    f"keras network must be one of {', '.join(builders)}, not {network!r}"
                )
            model = KerasCNN(
                build=BUILDERS[builders[network]],
                task=task,
                n_classes=n_outputs if task == "classification" else None,
                epochs=epochs,
                seed=seed,
                **options,
            )
            return EngineAdapter(model, task)
        if engine == "ignet":
            from ignet import IgNetClassifier, IgNetRegressor

            kind = IgNetRegressor if task == "regression" else IgNetClassifier
            # The paper's settings unless the experiment names others; explicit options
            # from the experiment override single settings.
            model = kind(
                layers=network,
                epochs=epochs,
                backend=backend,
                random_state=seed,
                **{"settings": "paper", **options},
            )
            return _IgNetAdapter(model, task, n_outputs)
        if engine == "linear":
            from sklearn.linear_model import LogisticRegression, Ridge

            if task == "classification":
                model = LogisticRegression(max_iter=options.pop("max_iter", 300), **options)
            else:
                model = Ridge(**options)
            return _LinearAdapter(model, task)
        if engine == "oracle":
            return _LinearAdapter(_oracle(network, task, seed, options), task)
        if engine == "nearest":
            from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

            if network not in NEAREST_NETWORKS:
                raise BenchError(
                    f"nearest network must be one of {', '.join(NEAREST_NETWORKS)}, not {network!r}"
                )
            kind = KNeighborsRegressor if task == "regression" else KNeighborsClassifier
            return _NearestAdapter(kind(**{"n_neighbors": 1, **options}), task, network)
    except TypeError as error:  # an option the engine does not take
        raise BenchError(f"{engine} options: {error}") from None
    raise BenchError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
