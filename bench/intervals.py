"""Intervals that fit cross-validation, and comparisons of two engines' fold scores.

- :func:`corrected_t_interval` -- the corrected resampled t-interval of Nadeau and Bengio
  (2003) over the scores of k folds (and r repeats); :func:`naive_t_interval` is the plain
  t-interval it corrects, kept to show how much narrower that one is.
- :func:`bootstrap_interval` -- a percentile bootstrap over pooled test predictions, the
  second view where folds are few.
- :func:`paired_difference` -- the difference of two paired sets of fold scores (the
  protocol effect, or one engine against another) with the corrected interval and the
  probabilities of the Bayesian correlated t-test (Corani and Benavoli, 2015).
- :func:`speed_ratio` -- how many times faster one engine is, with a bootstrap interval
  over timing rounds.

docs/evidence.md states the methods; :mod:`bench.evidence` grades claims with them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from bench.errors import BenchError

__all__ = [
    "Comparison",
    "Interval",
    "bootstrap_interval",
    "corrected_t_interval",
    "naive_t_interval",
    "paired_difference",
    "plural",
    "speed_ratio",
]


@dataclass(frozen=True)
class Interval:
    """A point estimate with its confidence interval and the method that made it.

    Parameters
    ----------
    estimate : the mean of the fold scores (t-intervals), the metric on all pooled
        predictions (bootstrap) or the ratio of median times (speed).
    low, high : the interval's bounds; NaN when it cannot be computed (see ``method``).
    confidence : the interval's nominal coverage, e.g. 0.95.
    n : how many values it rests on, counted in ``unit``.
    unit : ``"folds"`` (fold scores, repeats included), ``"predictions"`` (pooled test
        predictions) or ``"rounds"`` (timing rounds).
    method : the method's name, to print beside the interval.
    """

    estimate: float
    low: float
    high: float
    confidence: float
    n: int
    unit: str
    method: str


@dataclass(frozen=True)
class Comparison:
    """Two paired sets of fold scores compared: ``a - b``.

    Parameters
    ----------
    difference : the mean of ``a - b`` with its corrected resampled t-interval.
    p_a_better : posterior probability that ``a - b`` exceeds ``rope``.
    p_equivalent : posterior probability that ``|a - b| <= rope`` (0 when ``rope`` is 0).
    p_b_better : posterior probability that ``a - b`` is below ``-rope``.
    rope : half-width of the region of practical equivalence, in the scores' unit.
    method : the test's name.
    """

    difference: Interval
    p_a_better: float
    p_equivalent: float
    p_b_better: float
    rope: float
    method: str


def corrected_t_interval(
    scores: Sequence[float] | np.ndarray,
    n_train: float,
    n_test: float,
    confidence: float = 0.95,
    repeats: int = 1,
) -> Interval:
    """The corrected resampled t-interval of Nadeau and Bengio (2003) over fold scores.

    The folds of one cross-validation share most of their training data, so their scores
    are correlated and the plain variance of their mean is too small. The correction
    multiplies the scores' sample variance by ``1/(k r) + n_test/n_train`` instead of
    ``1/(k r)``; the interval uses Student's t with ``k r - 1`` degrees of freedom.

    Parameters
    ----------
    scores : one score per fold: a 1-D array of ``k * repeats`` scores, or a 2-D array of
        ``repeats`` rows by ``k`` folds.
    n_train, n_test : training and test samples per fold (a mean where folds differ).
    confidence : the interval's coverage, in (0, 1).
    repeats : how many times the cross-validation was repeated with other seeds (for a
        1-D ``scores``; a 2-D one gives it by its rows).

    Returns
    -------
    Interval
        With NaN bounds and a method saying so when there are fewer than 2 scores.
    """
    values, repeats = _fold_scores(scores, repeats)
    folds = len(values) // repeats
    name = "corrected resampled t (Nadeau-Bengio), " + plural(folds, "fold")
    if repeats > 1:
        name += f" x {repeats} repeats"
    return _t_interval(values, _corrected_se(values, n_train, n_test), confidence, name)


def naive_t_interval(scores: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Interval:
    """The plain t-interval over fold scores, which treats them as independent.

    Too narrow for cross-validation (see :func:`corrected_t_interval`); it is here to be
    shown beside the corrected one.
    """
    values, _ = _fold_scores(scores, 1)
    name = "naive t, " + plural(len(values), "fold")
    se = math.sqrt(values.var(ddof=1) / len(values)) if len(values) > 1 else math.nan
    return _t_interval(values, se, confidence, name)


def bootstrap_interval(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    metric: Callable[[np.ndarray, np.ndarray], float],
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Interval:
    """A percentile bootstrap interval of ``metric`` over pooled test predictions.

    Rows of ``y_true`` and ``y_pred`` (the test predictions of every fold, pooled) are drawn
    with replacement ``n_boot`` times; the interval holds the middle ``confidence`` of the
    resampled metric. It ignores that the predictions come from models trained on
    overlapping data, so it complements the fold-based interval rather than replacing it.

    Parameters
    ----------
    y_true, y_pred : labels and predictions, one row per test sample.
    metric : ``metric(y_true, y_pred) -> float``, e.g. ``sklearn.metrics.accuracy_score``.
    n_boot : number of resamples.
    seed : seed of the resampling; the same seed gives the same interval.
    confidence : the interval's coverage, in (0, 1).
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(y_true) != len(y_pred) or len(y_true) == 0:
        raise BenchError(
            f"y_true and y_pred must hold the same number of rows, at least one, "
            f"not {len(y_true)} and {len(y_pred)}"
        )
    _check_confidence(confidence)
    if n_boot < 1:
        raise BenchError(f"n_boot must be at least 1, not {n_boot}")
    rng = np.random.default_rng(seed)
    n = len(y_true)
    resampled = np.empty(n_boot)
    for b in range(n_boot):
        rows = rng.integers(0, n, n)
        resampled[b] = metric(y_true[rows], y_pred[rows])
    low, high = _percentiles(resampled, confidence)
    name = f"percentile bootstrap over {n:,} pooled predictions, {n_boot:,} resamples, seed {seed}"
    return Interval(float(metric(y_true, y_pred)), low, high, confidence, n, "predictions", name)


def paired_difference(
    a_scores: Sequence[float] | np.ndarray,
    b_scores: Sequence[float] | np.ndarray,
    n_train: float,
    n_test: float,
    rope: float = 0.0,
    confidence: float = 0.95,
    repeats: int = 1,
) -> Comparison:
    """``a - b`` over paired folds, its corrected interval and who is better.

    Pass the scores in the same fold and seed order, e.g. ``a`` the paper protocol and
    ``b`` the leak-free one (the protocol effect), or ``a`` IgNet and ``b`` Keras.

    The probabilities come from the Bayesian correlated t-test of Corani and Benavoli
    (2015): with a flat prior, the posterior of the mean difference is Student's t with
    ``k r - 1`` degrees of freedom, centred on the observed mean, its scale the corrected
    standard error of :func:`corrected_t_interval` (the test's correlation
    ``rho = n_test / (n_train + n_test)``). It is the ``CorrelatedTTest`` of the
    ``baycomp`` package, with ``x = b`` and ``y = a``.

    Parameters
    ----------
    a_scores, b_scores : fold scores, paired: same shape, same fold order.
    n_train, n_test : training and test samples per fold.
    rope : half-width of the region of practical equivalence in the scores' unit (0.01 =
        one accuracy point): differences within it count as equal.
    confidence : the interval's coverage.
    repeats : repeats of the cross-validation (see :func:`corrected_t_interval`).
    """
    a, repeats_a = _fold_scores(a_scores, repeats, "a_scores")
    b, repeats_b = _fold_scores(b_scores, repeats, "b_scores")
    if np.shape(a_scores) != np.shape(b_scores) or repeats_a != repeats_b:
        raise BenchError(
            f"a_scores and b_scores must be paired fold by fold, not of shapes "
            f"{np.shape(a_scores)} and {np.shape(b_scores)}"
        )
    if not rope >= 0:
        raise BenchError(f"rope must be 0 or more, not {rope}")
    difference = corrected_t_interval(a - b, n_train, n_test, confidence, repeats_a)
    scale = _corrected_se(a - b, n_train, n_test)
    mean = difference.estimate
    if math.isnan(scale):
        p_a = p_b = p_rope = math.nan
    elif scale == 0:
        # Every fold differs by the same amount: the posterior is a point.
        p_a, p_b = float(mean > rope), float(mean < -rope)
        if rope == 0 and mean == 0:
            p_a = p_b = 0.5
        p_rope = 1.0 - p_a - p_b
    else:
        posterior = stats.t(len(a) - 1, loc=mean, scale=scale)
        p_a, p_b = float(posterior.sf(rope)), float(posterior.cdf(-rope))
        # With rope 0 the two tails sum to 1 up to rounding.
        p_rope = max(0.0, 1.0 - p_a - p_b)
    method = f"Bayesian correlated t-test (Corani-Benavoli), rope {rope:g}"
    return Comparison(difference, p_a, p_rope, p_b, rope, method)


def speed_ratio(
    ratios: Sequence[float] | np.ndarray | None = None,
    *,
    ours_seconds: Sequence[float] | np.ndarray | None = None,
    theirs_seconds: Sequence[float] | np.ndarray | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Interval:
    """How many times faster we are, with the timing's spread as its interval.

    Give either ``ratios`` or both ``ours_seconds`` and ``theirs_seconds``.

    Parameters
    ----------
    ratios : their seconds over ours, paired by fold or round.
    ours_seconds, theirs_seconds : the two engines' times of unpaired rounds.
    n_boot, seed, confidence : the bootstrap's resamples, seed and coverage.

    Returns
    -------
    Interval
        The median of the ratios, or the ratio of the median times, with a percentile
        bootstrap interval over rounds (each engine's rounds resampled on their own);
        ``n`` is the fewest rounds either side has.
    """
    _check_confidence(confidence)
    if n_boot < 1:
        raise BenchError(f"n_boot must be at least 1, not {n_boot}")
    rng = np.random.default_rng(seed)
    if ratios is not None and ours_seconds is None and theirs_seconds is None:
        paired = _positive(ratios, "ratios")
        estimate = float(np.median(paired))
        resampled = np.array([np.median(rng.choice(paired, len(paired))) for _ in range(n_boot)])
        n = len(paired)
        what = f"median ratio, percentile bootstrap over {n}"
    elif ratios is None and ours_seconds is not None and theirs_seconds is not None:
        ours = _positive(ours_seconds, "ours_seconds")
        theirs = _positive(theirs_seconds, "theirs_seconds")
        estimate = float(np.median(theirs) / np.median(ours))
        resampled = np.array(
            [
                np.median(rng.choice(theirs, len(theirs))) / np.median(rng.choice(ours, len(ours)))
                for _ in range(n_boot)
            ]
        )
        n = min(len(ours), len(theirs))
        what = f"ratio of median times, percentile bootstrap over {len(theirs)} and {len(ours)}"
    else:
        raise BenchError("give either ratios or both ours_seconds and theirs_seconds")
    low, high = _percentiles(resampled, confidence)
    method = f"{what} rounds, {n_boot:,} resamples, seed {seed}"
    return Interval(estimate, low, high, confidence, n, "rounds", method)


def _fold_scores(
    scores: Sequence[float] | np.ndarray, repeats: int, name: str = "scores"
) -> tuple[np.ndarray, int]:
    """Scores as one finite 1-D array, and the number of repeats they hold."""
    values = np.asarray(scores, dtype=float)
    if values.ndim == 2:
        repeats = values.shape[0]
    elif values.ndim != 1:
        raise BenchError(f"{name} must be 1-D or 2-D (repeats x folds), not {values.ndim}-D")
    values = values.reshape(-1)
    if not np.isfinite(values).all():
        raise BenchError(f"{name} must be finite numbers, not {values.tolist()}")
    if repeats < 1 or len(values) % repeats:
        raise BenchError(f"the {len(values)} {name} do not split into {repeats} repeats")
    return values, repeats


def _corrected_se(values: np.ndarray, n_train: float, n_test: float) -> float:
    """Nadeau and Bengio's standard error of the mean of ``values``; NaN below 2 values."""
    if not (n_train > 0 and n_test > 0):
        raise BenchError(f"n_train and n_test must be positive, not {n_train} and {n_test}")
    if len(values) < 2:
        return math.nan
    return math.sqrt(values.var(ddof=1) * (1.0 / len(values) + n_test / n_train))


def _t_interval(values: np.ndarray, se: float, confidence: float, name: str) -> Interval:
    """Student's t interval around the mean of ``values`` with standard error ``se``."""
    _check_confidence(confidence)
    n = len(values)
    estimate = float(values.mean()) if n else math.nan
    if n < 2:
        return Interval(
            estimate, math.nan, math.nan, confidence, n, "folds", f"{name}: needs 2 folds or more"
        )
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * se
    return Interval(estimate, estimate - half, estimate + half, confidence, n, "folds", name)


def _percentiles(values: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def _positive(values: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float).reshape(-1)
    if len(array) == 0 or not (np.isfinite(array) & (array > 0)).all():
        raise BenchError(f"{name} must be positive numbers, not {array.tolist()}")
    return array


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise BenchError(f"confidence must lie in (0, 1), not {confidence}")


def plural(n: int, unit: str) -> str:
    """``1 fold``, ``3 folds``."""
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"
