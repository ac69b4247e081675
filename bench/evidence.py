"""Intervals that fit cross-validation, comparisons of two engines, and verdicts with reasons.

- :func:`corrected_t_interval` -- the corrected resampled t-interval of Nadeau and Bengio
  (2003) over the scores of k folds (and r repeats); :func:`naive_t_interval` is the plain
  t-interval it corrects, kept to show how much narrower that one is.
- :func:`bootstrap_interval` -- a percentile bootstrap over pooled test predictions, the
  second view where folds are few.
- :func:`paired_difference` -- the difference of two paired sets of fold scores (the
  protocol effect, or one engine against another) with the corrected interval and the
  probabilities of the Bayesian correlated t-test (Corani and Benavoli, 2015).
- :func:`verdict` -- the one function that grades a claim: "reproduced", "not reproduced"
  or "inconclusive", with a short reason; :func:`speed_verdict` grades a speed ratio.
- :func:`epoch_cap_hit` -- whether a fold's training was cut by the epoch cap while its
  validation score was still improving.

docs/evidence.md states the methods and the verdict rules; the report quotes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from bench.errors import BenchError

__all__ = [
    "METRICS",
    "WORDS",
    "Comparison",
    "Interval",
    "MetricRule",
    "Verdict",
    "bootstrap_interval",
    "corrected_t_interval",
    "epoch_cap_hit",
    "naive_t_interval",
    "paired_difference",
    "speed_ratio",
    "speed_verdict",
    "verdict",
]

#: The three verdicts, and no others.
WORDS = ("reproduced", "not reproduced", "inconclusive")
#: Fewer folds (or timing rounds) than this leave a claim inconclusive.
MIN_FOLDS = 3


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


@dataclass(frozen=True)
class Verdict:
    """A claim's grade: ``word`` is one of :data:`WORDS`; ``reason`` says why in a line."""

    word: str
    reason: str


@dataclass(frozen=True)
class MetricRule:
    """How a metric is judged.

    Parameters
    ----------
    higher_is_better : whether a larger value is the better one.
    tolerance : half-width of the band around the paper's number within which ours counts
        as the same.
    relative : whether ``tolerance`` is a fraction of the paper's number (else absolute,
        in the metric's unit).
    scale, suffix, digits : how a value prints in a reason (fractions print as percent).
    """

    higher_is_better: bool
    tolerance: float
    relative: bool
    scale: float = 1.0
    suffix: str = ""
    digits: int = 1

    def band(self, paper: float, tolerance: float | None = None) -> tuple[float, float]:
        """The values within tolerance of ``paper``: (low, high)."""
        width = self.tolerance if tolerance is None else tolerance
        half = width * abs(paper) if self.relative else width
        return paper - half, paper + half

    def show(self, value: float) -> str:
        """``value`` as a reason prints it."""
        return f"{self.scale * value:.{self.digits}f}{self.suffix}"

    def span(self, low: float, high: float) -> str:
        """``low-high`` as a reason prints it, the unit once: ``11.2-16.0%``."""
        if low == high:
            return self.show(low)
        return f"{self.scale * low:.{self.digits}f}-{self.show(high)}"


_FRACTION = MetricRule(True, 0.02, False, scale=100.0, suffix="%")
_SCORE = MetricRule(True, 0.02, False, digits=3)
#: The default rule of each metric the records carry (``metrics.test.<name>``); per-label
#: multi-label measures (``f1.Smiling``) follow their measure's rule. Accuracy-like
#: fractions allow 2 percentage points; errors (MAPE, MAE) 10% of the paper's value; speed
#: ratios 20% of the paper's ratio, timings on shared machines spreading that much.
METRICS: Mapping[str, MetricRule] = {
    "accuracy": _FRACTION,
    "tp_pooled": _FRACTION,
    "exact_match": _FRACTION,
    "precision": _SCORE,
    "recall": _SCORE,
    "f1": _SCORE,
    "mape": MetricRule(False, 0.10, True, suffix="%", digits=2),
    "mae": MetricRule(False, 0.10, True, digits=2),
    "time_ratio": MetricRule(True, 0.20, True, suffix="x", digits=2),
}


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
    name = "corrected resampled t (Nadeau-Bengio), " + _count(folds, "fold")
    if repeats > 1:
        name += f" x {repeats} repeats"
    return _t_interval(values, _corrected_se(values, n_train, n_test), confidence, name)


def naive_t_interval(scores: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Interval:
    """The plain t-interval over fold scores, which treats them as independent.

    Too narrow for cross-validation (see :func:`corrected_t_interval`); it is here to be
    shown beside the corrected one.
    """
    values, _ = _fold_scores(scores, 1)
    name = "naive t, " + _count(len(values), "fold")
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


def verdict(
    metric: str,
    paper: float,
    ours: Interval,
    *,
    trivial: Interval | None = None,
    folds: int | None = None,
    capped_folds: int = 0,
    tolerance: float | None = None,
) -> Verdict:
    """Grade our result against the paper's number: the one place the rules live.

    The first rule that applies decides:

    1. **inconclusive** when fewer than 3 folds (or timing rounds) stand behind ``ours``;
    2. **inconclusive** when the epoch cap cut training while the validation score was
       still improving (:func:`epoch_cap_hit`) in more than half of the folds;
    3. **inconclusive** when ours is not distinguishable from the trivial predictor: our
       interval overlaps its interval or lies on its worse side;
    4. **inconclusive** when our interval is wider than the tolerance band around the
       paper's number on both sides;
    5. **reproduced** when our interval reaches the band: some value in it is within
       tolerance of the paper's number or better than it (a claim says "this good");
    6. **not reproduced** otherwise: the whole interval is worse than the paper's number
       by more than the tolerance (for MAPE: above the paper's value plus tolerance).

    Parameters
    ----------
    metric : the measure's name (:data:`METRICS`; ``f1.<label>`` follows ``f1``); it sets
        the direction (accuracy, F and speed ratios higher is better; MAPE, MAE lower) and
        the default tolerance.
    paper : the paper's number, in the unit of ``ours`` (accuracy as a fraction, MAPE in
        percent, speed as a ratio).
    ours : our interval.
    trivial : the trivial predictor's interval on the same folds, if it has a score.
    folds : folds behind ``ours``; by default ``ours.n``, which must then count folds or
        rounds (an interval over predictions needs it given).
    capped_folds : how many of those folds :func:`epoch_cap_hit` flags.
    tolerance : overrides the metric's default tolerance (relative for MAPE, MAE and speed
        ratios, absolute for the others).

    Returns
    -------
    Verdict
        ``word`` in :data:`WORDS` and a one-line ``reason`` that quotes the interval.
    """
    rule = _rule(metric)
    if not math.isfinite(paper):
        raise BenchError(f"the paper's number for {metric!r} must be a finite number, not {paper}")
    if tolerance is not None and not tolerance >= 0:
        raise BenchError(f"tolerance must be 0 or more, not {tolerance}")
    if folds is None:
        if ours.unit == "predictions":
            raise BenchError("verdict needs folds= for an interval over pooled predictions")
        folds = ours.n
    if not 0 <= capped_folds <= folds:
        raise BenchError(f"capped_folds must lie in 0..{folds} (the folds), not {capped_folds}")
    ci = f"{round(100 * ours.confidence)}% CI {rule.span(ours.low, ours.high)}"
    if folds < MIN_FOLDS:
        unit = "round" if ours.unit == "rounds" else "fold"
        return Verdict("inconclusive", f"{_count(folds, unit)}; at least {MIN_FOLDS} needed")
    if 2 * capped_folds > folds:
        return Verdict(
            "inconclusive",
            f"the epoch cap cut training while it still improved in {capped_folds} of {folds} "
            "folds",
        )
    if not (math.isfinite(ours.low) and math.isfinite(ours.high)):
        return Verdict("inconclusive", f"{ci}: no interval ({ours.method})")
    # Oriented so that larger is better whatever the metric: MAPE and MAE change sign.
    sign = 1.0 if rule.higher_is_better else -1.0
    worst, best = sorted((sign * ours.low, sign * ours.high))
    if trivial is not None:
        bounds = (trivial.low, trivial.high)
        if not all(map(math.isfinite, bounds)):
            bounds = (trivial.estimate, trivial.estimate)
        trivial_worst, trivial_best = sorted(sign * b for b in bounds)
        if worst <= trivial_best:
            relation = "overlaps"
            if best < trivial_worst:
                relation = "lies below" if rule.higher_is_better else "lies above"
            span = rule.span(*bounds)
            return Verdict("inconclusive", f"{ci} {relation} the trivial predictor's {span}")
    low, high = rule.band(paper, tolerance)
    band = f"{rule.span(low, high)} (paper {rule.show(paper)})"
    band_worst, band_best = sorted((sign * low, sign * high))
    if worst < band_worst and best > band_best:
        return Verdict("inconclusive", f"{ci} is wider than {band} on both sides")
    if worst > band_best:
        return Verdict("reproduced", f"{ci} is better than {band}")
    if best >= band_worst:
        return Verdict("reproduced", f"{ci} reaches {band}")
    side = "below" if rule.higher_is_better else "above"
    return Verdict("not reproduced", f"{ci} lies {side} {band}")


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


def speed_verdict(
    paper_ratio: float,
    ratios: Sequence[float] | np.ndarray | None = None,
    *,
    ours_seconds: Sequence[float] | np.ndarray | None = None,
    theirs_seconds: Sequence[float] | np.ndarray | None = None,
    tolerance: float | None = None,
    n_boot: int = 2000,
    seed: int = 0,
) -> Verdict:
    """Grade a speed claim ("10 times faster") by :func:`verdict` on :func:`speed_ratio`.

    The timings are as for :func:`speed_ratio`; ``tolerance`` is relative to
    ``paper_ratio`` (default 0.2). Fewer than 3 rounds leave the claim inconclusive.
    """
    ratio = speed_ratio(
        ratios, ours_seconds=ours_seconds, theirs_seconds=theirs_seconds, n_boot=n_boot, seed=seed
    )
    return verdict("time_ratio", paper_ratio, ratio, tolerance=tolerance)


def epoch_cap_hit(
    curve: Mapping[str, Sequence[float]],
    epochs: int,
    monitor: str = "val_loss",
    higher_is_better: bool = False,
    window: int = 2,
    min_delta: float = 0.0,
) -> bool:
    """Whether training ran into the epoch cap while ``monitor`` was still improving.

    True when the curve holds ``epochs`` epochs or more (early stopping did not end it)
    and the best value of its last ``window`` epochs beats the best of the epochs before
    them by more than ``min_delta``. A curve no longer than ``window`` counts as still
    improving: it never had the chance to level off. NaN values (a diverging epoch) are
    skipped; a curve whose last ``window`` epochs are all NaN is not improving.

    Parameters
    ----------
    curve : per-epoch history, e.g. ``{"loss": [...], "val_loss": [...]}``.
    epochs : the profile's epoch cap.
    monitor : the history key to watch.
    higher_is_better : True for accuracy-like keys, False for losses.
    window : how many final epochs count as "the last few".
    min_delta : the smallest gain that counts as an improvement, in ``monitor``'s unit.
    """
    if monitor not in curve:
        raise BenchError(f"the learning curve has no {monitor!r}; it has {sorted(curve)}")
    if window < 1:
        raise BenchError(f"window must be at least 1, not {window}")
    values = np.asarray(curve[monitor], dtype=float)
    if len(values) < epochs:
        return False
    oriented = values if higher_is_better else -values
    last, before = oriented[-window:], oriented[:-window]
    if not np.isfinite(last).any():
        return False
    if not np.isfinite(before).any():
        return True
    return bool(np.nanmax(last) - np.nanmax(before) > min_delta)


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


def _rule(metric: str) -> MetricRule:
    rule = METRICS.get(metric.split(".")[0])
    if rule is None:
        raise BenchError(f"no verdict rule for metric {metric!r}; known: {sorted(METRICS)}")
    return rule


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"
