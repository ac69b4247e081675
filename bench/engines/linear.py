"""The linear baseline: logistic or ridge regression on the raw pixels.

IgNet with identity activations is itself a linear map of the pixels, so this baseline
says what the convolution adds. It sees the same input as IgNet, under the same protocol.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from bench.engines.base import Build, Engine, EngineAdapter, Resample, Validation, keywords_of

__all__ = ["ENGINE", "FlatAdapter"]


class FlatAdapter(EngineAdapter):
    """A scikit-learn model fitted in one go on flat inputs (pixels or latents); its
    history holds one training and one validation score (accuracy or R²)."""

    #: Whether the history keeps the training score (a model that memorises the training
    #: data scores 1 there: no news).
    scores_training = True

    def _inputs(self, X: np.ndarray) -> np.ndarray:
        return X.reshape(len(X), -1)

    def _fit(
        self, X: np.ndarray, y: np.ndarray, validation: Validation, resample: Resample
    ) -> None:
        from sklearn.exceptions import ConvergenceWarning

        # A capped solver is a setting of the profile (quick stops it early), not news for
        # the console: the record says whether it converged.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.estimator.fit(self._inputs(X), y)
        sides = [("", X, y)] if self.scores_training else []
        sides.append(("val_", *validation))
        self._scores = {
            side: float(self.estimator.score(self._inputs(inputs), labels))
            for side, inputs, labels in sides
        }

    def _history(self) -> dict[str, list[float]]:
        key = "accuracy" if self.task == "classification" else "r2"
        return {f"{side}{key}": [score] for side, score in self._scores.items()}

    def details(self) -> dict[str, Any]:
        max_iter = getattr(self.estimator, "max_iter", None)
        n_iter = getattr(self.estimator, "n_iter_", None)
        if max_iter is None or n_iter is None:  # solved in closed form (ridge)
            return {}
        return {"converged": bool(np.all(n_iter < max_iter))}


def _build(job: Build) -> EngineAdapter:
    from sklearn.linear_model import LogisticRegression, Ridge

    options = dict(job.options)
    if job.task == "classification":
        model = LogisticRegression(max_iter=options.pop("max_iter", 300), **options)
    else:
        model = Ridge(**options)
    return FlatAdapter(model, job.task)


def _keywords(network: str, task: str) -> frozenset[str]:
    from sklearn.linear_model import LogisticRegression, Ridge

    return keywords_of(LogisticRegression if task == "classification" else Ridge)


ENGINE = Engine(
    name="linear",
    title="linear",
    role="baseline",
    build=_build,
    networks=lambda: ("pixels",),
    keywords=_keywords,
    # Compared with IgNet on the same input, under the same protocol.
    protocol="paper-ignet",
    invert=False,
    # A handful of solver steps: the smoke profile checks that it runs, not that it fits.
    smoke={"max_iter": 5},
)
