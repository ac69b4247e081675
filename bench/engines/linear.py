"""The linear baseline: logistic or ridge regression on the raw pixels.

IgNet with identity activations is itself a linear map of the pixels, so this baseline
says what the convolution adds. It sees the same input as IgNet, under the same protocol.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.engines.base import Engine, EngineAdapter

__all__ = ["ENGINE", "FlatAdapter"]


class FlatAdapter(EngineAdapter):
    """A scikit-learn model fitted in one go on flat inputs (pixels or latents)."""

    def _inputs(self, X: np.ndarray) -> np.ndarray:
        return X.reshape(len(X), -1)

    def _fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        validation: tuple[np.ndarray, np.ndarray],
        resample: Callable[[int], np.ndarray] | None,
    ) -> None:
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


def _build(
    network: str,
    task: str,
    n_outputs: int,
    backend: str,
    epochs: int,
    seed: int,
    options: dict[str, Any],
) -> EngineAdapter:
    from sklearn.linear_model import LogisticRegression, Ridge

    if task == "classification":
        model = LogisticRegression(max_iter=options.pop("max_iter", 300), **options)
    else:
        model = Ridge(**options)
    return FlatAdapter(model, task)


ENGINE = Engine(
    name="linear",
    title="linear",
    role="baseline",
    build=_build,
    networks=lambda: ("pixels",),
    # Compared with IgNet on the same input, under the same protocol.
    protocol="paper-ignet",
    invert=False,
    # A handful of solver steps: the smoke profile checks that it runs, not that it fits.
    smoke={"max_iter": 5},
)
