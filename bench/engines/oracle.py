"""The oracle: a model of the synthetic drawings' latent parameters, not of their pixels.

What each sample's original was drawn from stands in for its image, so its leak-free score
is about the best any model of the images can do on the data: the ceiling a claim is read
against. A copy has its original's latents, so augmentation does not reach them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bench.engines.base import Build, Engine, EngineAdapter, Unavailable, keywords_of
from bench.engines.linear import FlatAdapter
from bench.errors import BenchError

__all__ = ["ENGINE"]


def _build(job: Build) -> EngineAdapter:
    """``logistic`` (logistic or ridge regression on standardised latents) or ``boosting``
    (histogram gradient boosting)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    network, options = job.network, job.options
    regression = job.task == "regression"
    if job.task == "multilabel":
        raise BenchError("the oracle engine has latents for the drawings only, not for faces")
    if network == "logistic":
        model = Ridge(**options) if regression else LogisticRegression(max_iter=1000, **options)
    elif network == "boosting":
        kind = HistGradientBoostingRegressor if regression else HistGradientBoostingClassifier
        model = kind(random_state=job.seed, **options)
    else:
        raise BenchError(f"oracle network must be logistic or boosting, not {network!r}")
    # A pipeline hides the iteration cap: the record's "converged" is the pixel models' news.
    return FlatAdapter(make_pipeline(StandardScaler(), model), job.task)


def _keywords(network: str, task: str) -> frozenset[str]:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge

    regression = task == "regression"
    if network == "boosting":
        kind = HistGradientBoostingRegressor if regression else HistGradientBoostingClassifier
        return keywords_of(kind) - {"random_state"}  # the job's seed
    return keywords_of(Ridge) if regression else keywords_of(LogisticRegression) - {"max_iter"}


def _latents(data: str, files: Sequence[str]) -> np.ndarray:
    from bench.data.drawings import MissingLatents, read_latents

    try:
        return read_latents(data, list(files)).to_numpy(np.float32)
    except MissingLatents as error:
        # A real collection has no latents: its ceiling is unknown, not a failed run.
        raise Unavailable(str(error)) from error


ENGINE = Engine(
    name="oracle",
    title="oracle",
    role="ceiling",
    build=_build,
    networks=lambda: ("logistic", "boosting"),
    keywords=_keywords,
    protocol="paper-ignet",
    invert=False,
    features=_latents,
)
