"""Verdicts with reasons, on the intervals of :mod:`bench.intervals` (which this module
also exports, so that one import gives a claim's whole evidence).

- :func:`verdict` -- the one function that grades a claim: "reproduced", "not reproduced"
  or "inconclusive", with a short reason; :func:`speed_verdict` grades a speed ratio.
- :func:`epoch_cap_hit` -- whether a fold's training was cut by the epoch cap while its
  validation score was still improving.

docs/evidence.md states the methods and the verdict rules; the report quotes it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bench.errors import BenchError
from bench.intervals import (
    Comparison,
    Interval,
    bootstrap_interval,
    corrected_t_interval,
    naive_t_interval,
    paired_difference,
    plural,
    speed_ratio,
)

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
        return Verdict("inconclusive", f"{plural(folds, unit)}; at least {MIN_FOLDS} needed")
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


def _rule(metric: str) -> MetricRule:
    rule = METRICS.get(metric.split(".")[0])
    if rule is None:
        raise BenchError(f"no verdict rule for metric {metric!r}; known: {sorted(METRICS)}")
    return rule
