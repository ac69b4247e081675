"""Intervals, comparisons and verdicts of bench.evidence, on constructed scores."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.errors import BenchError
from bench.evidence import (
    WORDS,
    Interval,
    bootstrap_interval,
    corrected_t_interval,
    epoch_cap_hit,
    naive_t_interval,
    paired_difference,
    speed_ratio,
    speed_verdict,
    verdict,
)

# Five folds of 500 samples: 400 train, 100 test each.
SCORES = [0.80, 0.82, 0.78, 0.85, 0.75]
# Student's t, 97.5% quantile, from a printed table: 4 and 9 degrees of freedom.
T_4 = 2.776445105
T_9 = 2.262157163


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(y_true == y_pred))


def folds(*scores: float) -> Interval:
    """The corrected interval of fold scores, 5-fold sizes."""
    return corrected_t_interval(scores, n_train=400, n_test=100)


def test_corrected_interval_matches_hand_computation_and_is_wider_than_naive() -> None:
    # Mean 0.80; squared deviations 0, .0004, .0004, .0025, .0025 sum to .0058, over 4.
    variance = 0.0058 / 4
    corrected = corrected_t_interval(SCORES, n_train=400, n_test=100)
    half = T_4 * math.sqrt(variance * (1 / 5 + 100 / 400))
    assert corrected.estimate == pytest.approx(0.80)
    assert corrected.low == pytest.approx(0.80 - half, abs=1e-9)
    assert corrected.high == pytest.approx(0.80 + half, abs=1e-9)
    assert half == pytest.approx(0.070922, abs=1e-6)
    assert (corrected.n, corrected.unit, corrected.confidence) == (5, "folds", 0.95)
    assert corrected.method == "corrected resampled t (Nadeau-Bengio), 5 folds"

    naive = naive_t_interval(SCORES)
    assert naive.high - naive.estimate == pytest.approx(T_4 * math.sqrt(variance / 5))
    # The correction multiplies the variance by (1/5 + 1/4) / (1/5): the width by 1.5.
    assert (corrected.high - corrected.low) / (naive.high - naive.low) == pytest.approx(1.5)
    assert naive.method == "naive t, 5 folds"


def test_corrected_interval_over_repeats_uses_every_score() -> None:
    second = [0.81, 0.79, 0.83, 0.77, 0.80]
    grid = corrected_t_interval(np.array([SCORES, second]), n_train=400, n_test=100)
    flat = corrected_t_interval(SCORES + second, n_train=400, n_test=100, repeats=2)
    assert grid == flat
    values = np.array(SCORES + second)
    half = T_9 * math.sqrt(values.var(ddof=1) * (1 / 10 + 100 / 400))
    assert grid.high - grid.estimate == pytest.approx(half)
    assert grid.n == 10
    assert grid.method.endswith("5 folds x 2 repeats")


def test_one_score_gives_an_interval_that_says_it_cannot_be_computed() -> None:
    single = corrected_t_interval([0.7], n_train=400, n_test=100)
    assert single.estimate == 0.7
    assert math.isnan(single.low) and math.isnan(single.high)
    assert "needs 2 folds" in single.method


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: corrected_t_interval([0.8, math.nan], 400, 100), "scores"),
        (lambda: corrected_t_interval([0.8, 0.9], 0, 100), "n_train"),
        (lambda: corrected_t_interval([0.8, 0.9, 0.7], 400, 100, repeats=2), "repeats"),
        (lambda: corrected_t_interval([0.8, 0.9], 400, 100, confidence=95), "confidence"),
        (lambda: paired_difference([0.8, 0.9], [0.7, 0.8, 0.9], 400, 100), "paired"),
        (lambda: paired_difference([0.8, 0.9], [0.7, 0.8], 400, 100, rope=-1), "rope"),
    ],
)
def test_bad_arguments_raise_a_bench_error_naming_them(call, field: str) -> None:
    with pytest.raises(BenchError, match=field):
        call()


def test_bootstrap_is_deterministic_per_seed() -> None:
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 4, 300)
    y_pred = np.where(rng.random(300) < 0.7, y_true, rng.integers(0, 4, 300))
    first = bootstrap_interval(y_true, y_pred, accuracy, n_boot=500, seed=11)
    again = bootstrap_interval(y_true, y_pred, accuracy, n_boot=500, seed=11)
    other = bootstrap_interval(y_true, y_pred, accuracy, n_boot=500, seed=12)
    assert first == again
    assert (first.low, first.high) != (other.low, other.high)
    assert first.estimate == accuracy(y_true, y_pred)
    assert first.low < first.estimate < first.high
    # Binomial standard error of ~0.027: a 95% interval about 0.1 wide.
    assert 0.07 < first.high - first.low < 0.14
    assert (first.n, first.unit) == (300, "predictions")
    assert "bootstrap" in first.method and "seed 11" in first.method


@pytest.mark.parametrize(
    ("a", "b", "rope", "repeats"),
    [
        ([0.80, 0.82, 0.79, 0.85, 0.81], [0.83, 0.84, 0.80, 0.86, 0.85], 0.01, 1),
        ([0.80, 0.82, 0.79, 0.85, 0.81], [0.83, 0.84, 0.80, 0.86, 0.85], 0.0, 1),
        ([0.9, 0.7, 0.8, 0.6, 0.75, 0.85, 0.95, 0.65, 0.7, 0.8], [0.6] * 10, 0.05, 2),
        ([0.50, 0.52, 0.54], [0.40, 0.42, 0.44], 0.05, 1),  # no spread: a point posterior
    ],
)
def test_bayesian_correlated_t_test_agrees_with_baycomp(
    a: list[float], b: list[float], rope: float, repeats: int
) -> None:
    from baycomp import CorrelatedTTest

    # baycomp's correction assumes k-fold sizes: n_test / n_train = 1 / (k - 1).
    k = len(a) // repeats
    ours = paired_difference(a, b, n_train=100 * (k - 1), n_test=100, rope=rope, repeats=repeats)
    # baycomp's difference is y - x: ours is a - b, so x = b and y = a.
    theirs = CorrelatedTTest.probs(np.array(b), np.array(a), rope=rope, runs=repeats)
    if rope == 0:
        p_b, p_a = theirs
        p_equivalent = 0.0
    else:
        p_b, p_equivalent, p_a = theirs
    assert ours.p_a_better == pytest.approx(p_a, abs=1e-12)
    assert ours.p_b_better == pytest.approx(p_b, abs=1e-12)
    assert ours.p_equivalent == pytest.approx(p_equivalent, abs=1e-12)
    assert ours.difference.estimate == pytest.approx(np.mean(np.subtract(a, b)))


def test_protocol_effect_is_paper_minus_leak_free() -> None:
    paper = [0.95, 0.97, 0.96, 0.94, 0.98]
    leak_free = [0.40, 0.45, 0.38, 0.42, 0.44]
    effect = paired_difference(paper, leak_free, n_train=400, n_test=100, rope=0.01)
    assert effect.difference.estimate == pytest.approx(0.542)
    assert effect.difference.low > 0.4
    assert effect.p_a_better > 0.999
    assert effect.p_a_better + effect.p_equivalent + effect.p_b_better == pytest.approx(1.0)
    assert "rope 0.01" in effect.method


def test_each_verdict_word_on_constructed_scores() -> None:
    trivial = folds(0.10, 0.12, 0.13, 0.09, 0.11)
    good = folds(0.84, 0.86, 0.85, 0.87, 0.85)
    poor = folds(0.12, 0.14, 0.13, 0.15, 0.16)
    reproduced = verdict("accuracy", 0.8558, good, trivial=trivial)
    not_reproduced = verdict("accuracy", 0.8558, poor, trivial=folds(0.02, 0.03, 0.02, 0.04, 0.03))
    inconclusive = verdict("accuracy", 0.8558, folds(0.84, 0.86), trivial=trivial)
    assert (reproduced.word, not_reproduced.word, inconclusive.word) == tuple(WORDS)
    assert reproduced.reason.startswith("95% CI 83.") and "reaches" in reproduced.reason
    assert "lies below" in not_reproduced.reason
    assert inconclusive.reason == "2 folds; at least 3 needed"


def test_reason_quotes_the_interval_and_the_band() -> None:
    ours = Interval(0.136, 0.112, 0.160, 0.95, 5, "folds", "test")
    result = verdict("accuracy", 0.50, ours)
    assert result.word == "not reproduced"
    assert result.reason == "95% CI 11.2-16.0% lies below 48.0-52.0% (paper 50.0%)"


def test_a_score_below_the_trivial_one_is_inconclusive() -> None:
    # The Keras CNN's leak-free age category, 7.1% against the trivial 12.9%.
    keras = folds(0.06, 0.08, 0.07, 0.075, 0.07)
    trivial = folds(0.12, 0.13, 0.135, 0.125, 0.135)
    result = verdict("accuracy", 0.8854, keras, trivial=trivial)
    assert result.word == "inconclusive"
    assert "lies below the trivial predictor's" in result.reason
    # Above the trivial mean, yet inside its interval (13.5-16.3% against 11.7-14.1%).
    near = verdict("accuracy", 0.8854, folds(0.14, 0.15, 0.145, 0.16, 0.15), trivial=trivial)
    assert near.word == "inconclusive"
    assert near.reason == "95% CI 13.5-16.3% overlaps the trivial predictor's 11.7-14.1%"
    # Without the trivial predictor the same scores are simply far from the paper.
    assert verdict("accuracy", 0.8854, keras).word == "not reproduced"


def test_a_run_cut_by_the_epoch_cap_while_improving_is_inconclusive() -> None:
    good = folds(0.84, 0.86, 0.85, 0.87, 0.85)
    cut = verdict("accuracy", 0.8558, good, capped_folds=3)
    assert cut.word == "inconclusive"
    assert cut.reason == "the epoch cap cut training while it still improved in 3 of 5 folds"
    # A minority of capped folds leaves the verdict to the interval.
    assert verdict("accuracy", 0.8558, good, capped_folds=2).word == "reproduced"
    with pytest.raises(BenchError, match="capped_folds"):
        verdict("accuracy", 0.8558, good, capped_folds=6)


def test_an_interval_wider_than_the_band_on_both_sides_is_inconclusive() -> None:
    result = verdict("accuracy", 0.80, folds(0.5, 0.9, 0.7, 0.99))
    assert result.word == "inconclusive"
    assert "wider than 78.0-82.0% (paper 80.0%) on both sides" in result.reason


def test_mape_lower_is_better() -> None:
    worse = verdict("mape", 12.95, folds(20.0, 22.0, 21.0, 25.0))
    assert worse.word == "not reproduced"
    # 10% of 12.95 either side: 11.655 to 14.245.
    assert "lies above 11.65-14.24% (paper 12.95%)" in worse.reason
    better = verdict("mape", 12.95, folds(3.0, 3.5, 2.8, 3.2))
    assert better.word == "reproduced" and "better than" in better.reason
    assert verdict("mape", 12.95, folds(14.0, 14.5, 15.0, 14.2)).word == "reproduced"
    # The trivial predictor's MAPE is the larger one; ours above it is no result.
    below_trivial = verdict("mape", 12.95, folds(40, 42, 41), trivial=folds(30, 31, 32))
    assert below_trivial.word == "inconclusive" and "lies above the trivial" in below_trivial.reason


def test_tolerance_is_overridable() -> None:
    near = folds(0.80, 0.81, 0.82, 0.81, 0.80)
    assert verdict("accuracy", 0.8558, near).word == "not reproduced"
    assert verdict("accuracy", 0.8558, near, tolerance=0.05).word == "reproduced"


def test_verdict_rules_need_a_known_metric_and_a_fold_count() -> None:
    assert verdict("f1.Smiling", 0.7, folds(0.70, 0.705, 0.695)).word == "reproduced"
    with pytest.raises(BenchError, match="'speed'"):
        verdict("speed", 10.0, folds(9, 10, 11))
    pooled = Interval(0.8, 0.78, 0.82, 0.95, 900, "predictions", "bootstrap")
    with pytest.raises(BenchError, match="folds="):
        verdict("accuracy", 0.8, pooled)
    assert verdict("accuracy", 0.8, pooled, folds=1).word == "inconclusive"
    assert verdict("accuracy", 0.8, pooled, folds=5).word == "reproduced"


def test_a_speed_claim_gets_a_verdict() -> None:
    ignet = [1.0, 1.1, 0.9, 1.2, 1.0]
    keras = [30.0, 31.0, 29.0, 35.0, 33.0]
    ratio = speed_ratio(ours_seconds=ignet, theirs_seconds=keras, seed=5)
    assert ratio.estimate == pytest.approx(31.0)
    assert ratio.low < 31.0 < ratio.high
    assert ratio == speed_ratio(ours_seconds=ignet, theirs_seconds=keras, seed=5)
    assert (ratio.n, ratio.unit) == (5, "rounds")
    assert speed_verdict(30.0, ours_seconds=ignet, theirs_seconds=keras).word == "reproduced"
    slow = speed_verdict(10.0, [2.0, 2.5, 3.0, 2.2])
    assert slow.word == "not reproduced" and slow.reason.endswith("(paper 10.00x)")
    assert speed_verdict(30.0, [40.0, 45.0]).word == "inconclusive"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"ours_seconds": [0.0, 1.0, 1.0], "theirs_seconds": [3.0, 3.0, 3.0]}, "ours_seconds"),
        ({"ours_seconds": [1.0, 1.0, 1.0]}, "theirs_seconds"),
        ({"ratios": [3.0, 3.0], "ours_seconds": [1.0], "theirs_seconds": [3.0]}, "either"),
    ],
)
def test_speed_ratio_rejects_bad_timings(kwargs: dict, field: str) -> None:
    with pytest.raises(BenchError, match=field):
        speed_ratio(**kwargs)


def test_epoch_cap_hit_means_stopped_at_the_cap_while_improving() -> None:
    falling = {"loss": [2.0, 1.5, 1.2, 1.0], "val_loss": [2.1, 1.7, 1.5, 1.4]}
    assert epoch_cap_hit(falling, epochs=4)
    # Early stopping ended it before the cap.
    assert not epoch_cap_hit(falling, epochs=10)
    # Best validation loss at epoch 2: it levelled off before the cap.
    flat = {"val_loss": [2.0, 1.0, 1.1, 1.2, 1.05]}
    assert not epoch_cap_hit(flat, epochs=5)
    # A gain smaller than min_delta is not an improvement.
    assert not epoch_cap_hit(falling, epochs=4, min_delta=0.5)
    rising = {"val_accuracy": [0.2, 0.3, 0.5, 0.6]}
    assert epoch_cap_hit(rising, epochs=4, monitor="val_accuracy", higher_is_better=True)
    assert not epoch_cap_hit(rising, epochs=4, monitor="val_accuracy", higher_is_better=False)
    # Too short to have levelled off; and diverged at the end is not improving.
    assert epoch_cap_hit({"val_loss": [1.0, 0.9]}, epochs=2)
    assert not epoch_cap_hit({"val_loss": [1.0, 0.9, math.nan, math.nan]}, epochs=4)
    with pytest.raises(BenchError, match="val_mape"):
        epoch_cap_hit(falling, epochs=4, monitor="val_mape")
