"""From records to evidence: fold counts, intervals, trivial floors, verdicts, speed claims."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.claims import engine_comparisons, evidence_table, protocol_effects, speed_table
from bench.evidence import WORDS
from bench.experiment import SpeedClaim


def _records(
    scores,
    *,
    protocol="paper-ignet",
    variant="fig5",
    engine="ignet",
    trivial=0.1,
    target="age_category",
    task="classification",
    metric="accuracy",
    seconds=1.0,
):
    rows = []
    seconds = np.broadcast_to(seconds, len(scores))
    for fold, value in enumerate(scores):
        rows.append(
            {
                "job_id": f"{engine}-{variant}-{protocol}-{target}-{fold}",
                "experiment": "x",
                "engine": engine,
                "network": variant,
                "variant": variant,
                "target": target,
                "task": task,
                "protocol": protocol,
                "fold": fold,
                "seed": 0,
                "status": "ok",
                "n_train": 800,
                "n_test": 200,
                f"metrics.test.{metric}": value,
                f"metrics.trivial.{metric}": trivial + 0.001 * fold,
                "train_seconds": seconds[fold] * (1 + 0.01 * fold),
                "samples_per_second": 1000 / seconds[fold],
            }
        )
    return pd.DataFrame(rows)


def test_a_job_written_twice_counts_as_one_fold():
    records = _records([0.5, 0.52, 0.48])
    doubled = pd.concat([records, records.iloc[[0]]], ignore_index=True)
    table = evidence_table(doubled, {"fig5": {"age_category": {"accuracy": 1.0}}})
    assert table.loc[0, "folds"] == 3
    assert table.loc[0, "test_samples"] == 600


def test_each_row_carries_interval_trivial_and_a_verdict_word():
    records = pd.concat(
        [_records([0.97, 0.99, 0.98, 1.0, 0.99]), _records([0.3, 0.32, 0.31], protocol="leak-free")]
    )
    table = evidence_table(records, {"fig5": {"age_category": {"accuracy": 1.0}}})
    paper_row, leak_free = table.iloc[0], table.iloc[1]
    assert paper_row["ci_low"] < paper_row["mean"] < paper_row["ci_high"]
    assert "Nadeau-Bengio" in paper_row["ci_method"]
    assert paper_row["trivial_low"] <= paper_row["trivial"] <= paper_row["trivial_high"]
    assert paper_row["verdict"] == "reproduced"
    assert leak_free["verdict"] == "not reproduced"
    assert "excludes" in leak_free["reason"] or "below" in leak_free["reason"]
    assert set(table["verdict"]) <= set(WORDS)


def test_a_score_at_the_trivial_level_is_inconclusive_and_few_folds_too():
    at_floor = evidence_table(
        _records([0.1, 0.11, 0.1], trivial=0.1), {"fig5": {"age_category": {"accuracy": 1.0}}}
    )
    assert at_floor.loc[0, "verdict"] == "inconclusive"
    assert "trivial" in at_floor.loc[0, "reason"]
    one_fold = evidence_table(_records([0.99]), {"fig5": {"age_category": {"accuracy": 1.0}}})
    assert one_fold.loc[0, "verdict"] == "inconclusive"
    assert "1 fold" in one_fold.loc[0, "reason"]


def test_no_paper_number_no_verdict():
    table = evidence_table(_records([0.5, 0.6, 0.7]), {"fig5": {}})
    assert table.loc[0, "verdict"] == ""


def test_protocol_effect_is_paired_by_fold():
    records = pd.concat(
        [_records([0.6, 0.7, 0.65]), _records([0.3, 0.41, 0.34], protocol="leak-free")]
    )
    effects = protocol_effects(records)
    assert effects.loc[0, "effect"] == pytest.approx(np.mean([0.3, 0.29, 0.31]))
    assert effects.loc[0, "ci_low"] > 0 and effects.loc[0, "p_paper_higher"] > 0.95


def test_engine_comparison_against_the_first_run():
    records = pd.concat(
        [_records([0.6, 0.7, 0.65]), _records([0.5, 0.6, 0.55], variant="pixels", engine="linear")]
    )
    table = engine_comparisons(records, ["fig5", "pixels"])
    assert table.loc[0, "run"] == "pixels" and table.loc[0, "reference"] == "fig5"
    assert table.loc[0, "effect"] == pytest.approx(-0.1)
    assert table.loc[0, "p_run_higher"] < 0.05


_CLAIM = SpeedClaim(claim="30 times as fast", slow="fig2", fast="fig5", paper=30.0)


def test_a_speed_claim_gets_a_verdict():
    keras = _records([0.5, 0.5, 0.5], engine="keras", variant="fig2", seconds=30.0)
    ignet = _records([0.5, 0.5, 0.5], engine="ignet", variant="fig5", seconds=1.0)
    table = speed_table(pd.concat([keras, ignet]), [_CLAIM])
    row = table.iloc[0]
    assert row["ratio"] == pytest.approx(30.0, rel=0.02)
    assert row["verdict"] == "reproduced" and row["folds"] == 3
    slow = speed_table(pd.concat([keras.assign(train_seconds=2.0), ignet]), [_CLAIM])
    assert slow.iloc[0]["verdict"] == "not reproduced"


def test_a_quicker_claim_with_no_tolerance_needs_the_whole_interval_above_one():
    deep = _records([0.5] * 4, variant="fig7 freezeconnect", seconds=[2.0, 2.1, 1.9, 2.0])
    quicker = SpeedClaim(
        claim="shorter", slow="fig7", fast="fig7 freezeconnect", paper=1.0, tolerance=0.0
    )
    cases = {
        "reproduced": [3.0, 3.1, 2.9, 3.0],
        "not reproduced": [1.0, 1.1, 0.9, 1.0],
        "inconclusive": [1.6, 2.4, 1.8, 2.3],
    }
    for word, seconds in cases.items():
        slow = _records([0.5] * 4, variant="fig7", seconds=seconds)
        row = speed_table(pd.concat([slow, deep]), [quicker]).iloc[0]
        assert row["verdict"] == word, (word, row["reason"])
    # Only the claim's targets, only the runs it names.
    other = _records([0.5] * 4, variant="fig5", seconds=9.0)
    assert speed_table(pd.concat([other, deep]), [quicker]).empty
    elsewhere = quicker.model_copy(update={"targets": ["x"]})
    assert speed_table(pd.concat([slow, deep]), [elsewhere]).empty


def test_the_bootstrap_scorers_agree_with_scikit_learn():
    from sklearn.metrics import accuracy_score, mean_absolute_percentage_error

    from bench.claims import _SCORERS

    rng = np.random.default_rng(0)
    ages = rng.uniform(40, 140, 200)
    guesses = ages + rng.normal(0, 10, 200)
    assert _SCORERS["mape"](ages, guesses) == pytest.approx(
        100 * mean_absolute_percentage_error(ages, guesses)
    )
    classes, predicted = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
    assert _SCORERS["accuracy"](classes, predicted) == pytest.approx(
        accuracy_score(classes, predicted)
    )
