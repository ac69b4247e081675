"""The leak curve's points, figure and sentences from flat result records."""

from __future__ import annotations

import pandas as pd
import pytest

from reports.leak import leak_figure, leak_points, oracle_ceiling, reach_sentences


def _records() -> pd.DataFrame:
    rows = []
    for strength, score in ((0.0, 1.0), (1.0, 0.6), (2.0, 0.3)):
        for fold, wobble in enumerate((-0.02, 0.02)):
            for protocol, value in (("paper-ignet", score), ("leak-free", 0.2)):
                rows.append(
                    {
                        "variant": f"1nn pixels strength {strength:g} copies 10",
                        "engine": "nearest",
                        "protocol": protocol,
                        "target": "age_category",
                        "task": "classification",
                        "fold": fold,
                        "status": "ok",
                        "metrics.test.accuracy": min(1.0, value + wobble),
                        "metrics.trivial.accuracy": 0.14,
                        "settings.protocol_options.strength": strength,
                        "settings.protocol_options.copies": 10,
                    }
                )
    for fold, value in enumerate((0.5, 0.56)):
        rows.append(
            {
                "variant": "oracle boosting",
                "engine": "oracle",
                "protocol": "leak-free",
                "target": "age_category",
                "task": "classification",
                "fold": fold,
                "status": "ok",
                "metrics.test.accuracy": value,
                "metrics.trivial.accuracy": 0.14,
            }
        )
    return pd.DataFrame(rows)


def test_points_pool_the_folds_of_each_sweep_point():
    points = leak_points(_records())
    assert len(points) == 3 * 2 + 1
    assert set(points["run"]) == {"1nn pixels", "oracle boosting"}
    paper = points[points["protocol"] == "paper-ignet"].set_index("strength")
    assert paper.loc[1.0, "mean"] == pytest.approx(0.6)
    assert (paper.loc[1.0, "low"], paper.loc[1.0, "high"]) == pytest.approx((0.58, 0.62))
    assert paper.loc[0.0, "folds"] == 2 and paper.loc[0.0, "trivial"] == pytest.approx(0.14)


def test_sentences_say_where_the_claim_is_reached():
    points = leak_points(_records())
    reached = reach_sentences(points, {"age_category": 0.5})
    assert reached == [
        "1nn pixels reaches the paper's accuracy 50% on age_category under paper-ignet up to "
        "strength 1 at x10 (60%)."
    ]
    (missed,) = reach_sentences(points, {"age_category": 0.999}, protocol="leak-free")
    assert "does not reach" in missed and "best is 20%" in missed


def test_figure_has_a_line_per_run_and_protocol_and_the_claim():
    figure = leak_figure(leak_points(_records()), "age_category", claim=1.0, ceiling=(0.4, 0.5))
    (ax,) = figure.axes
    labels = [line.get_label() for line in ax.get_lines()]
    assert "1nn pixels, paper-ignet" in labels and "1nn pixels, leak-free" in labels
    assert "paper's claim" in labels
    claim = ax.get_lines()[labels.index("paper's claim")]
    assert claim.get_ydata()[0] == pytest.approx(100.0)


def test_the_ceiling_is_the_oracles_leak_free_range():
    points = leak_points(_records())
    assert oracle_ceiling(points, "age_category") == pytest.approx((0.5, 0.56))
    assert oracle_ceiling(points, "age_months") is None
    (ax,) = leak_figure(points, "age_category", ceiling=(0.5, 0.56)).axes
    assert not any("oracle" in line.get_label() for line in ax.get_lines())
