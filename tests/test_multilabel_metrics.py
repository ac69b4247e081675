"""Per-attribute measures of the face paper, against scikit-learn and by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import precision_recall_fscore_support

from bench.claims import evidence_table
from bench.experiment import load_experiment
from bench.metrics import label_averages, multilabel_metrics, score
from reports.tables import with_current_averages

NAMES = ["Eyeglasses", "Bangs", "Young"]
Y_TRUE = np.array([[1, 0, 1], [1, 1, 0], [0, 1, 1], [0, 0, 1], [1, 0, 0]])
Y_PRED = np.array([[1, 0, 1], [0, 1, 1], [0, 0, 1], [1, 0, 1], [1, 0, 0]])


def test_per_label_measures_match_scikit_learn():
    metrics = multilabel_metrics(Y_TRUE, Y_PRED, NAMES)
    precision, recall, f1, support = precision_recall_fscore_support(
        Y_TRUE, Y_PRED, average=None, zero_division=0
    )
    for i, name in enumerate(NAMES):
        assert metrics[f"precision.{name}"] == pytest.approx(precision[i])
        assert metrics[f"recall.{name}"] == pytest.approx(recall[i])
        assert metrics[f"f1.{name}"] == pytest.approx(f1[i])
        assert metrics[f"positives.{name}"] == support[i]
    assert metrics["f1_macro"] == pytest.approx(np.mean(f1))
    # The headline F is the F-measure of the mean precision and the mean recall.
    p, r = np.mean(precision), np.mean(recall)
    assert metrics["precision"] == pytest.approx(p) and metrics["recall"] == pytest.approx(r)
    assert metrics["f1"] == pytest.approx(2 * p * r / (p + r))


def test_known_values_by_hand():
    metrics = multilabel_metrics(Y_TRUE, Y_PRED, NAMES)
    # Eyeglasses: true 1,1,0,0,1; predicted 1,0,0,1,1 -> TP 2, FP 1, FN 1.
    assert metrics["tp.Eyeglasses"] == 2
    assert metrics["precision.Eyeglasses"] == pytest.approx(2 / 3)
    assert metrics["recall.Eyeglasses"] == pytest.approx(2 / 3)
    # Bangs: true 0,1,1,0,0; predicted 0,1,0,0,0 -> precision 1, recall 1/2.
    assert metrics["f1.Bangs"] == pytest.approx(2 * 1 * 0.5 / 1.5)
    # Young: true 1,0,1,1,0; predicted 1,1,1,1,0 -> TP 3, FP 1, FN 0.
    # Averages: precision (2/3 + 1 + 3/4) / 3, recall (2/3 + 1/2 + 1) / 3.
    precision, recall = (2 / 3 + 1 + 3 / 4) / 3, (2 / 3 + 1 / 2 + 1) / 3
    assert metrics["f1"] == pytest.approx(2 * precision * recall / (precision + recall))
    # All labels pooled: 8 positives, 6 found.
    assert metrics["tp_pooled"] == pytest.approx(6 / 8)
    assert metrics["exact_match"] == pytest.approx(2 / 5)


def test_a_label_never_predicted_scores_zero_not_nan():
    y_pred = Y_PRED.copy()
    y_pred[:, 1] = 0
    metrics = score("multilabel", Y_TRUE, y_pred, NAMES)
    assert metrics["precision.Bangs"] == 0.0 and metrics["f1.Bangs"] == 0.0


def _table3() -> dict[str, list]:
    (target,) = load_experiment("faces_table3").targets
    return dict(target.per_attribute)


def test_the_papers_table_3_rows_give_its_avg_row():
    rows = _table3()
    printed_tp, *printed = rows.pop("AVG")
    assert len(rows) == 10
    tp, positives, precision, recall, f1 = np.array(list(rows.values()), dtype=float).T
    averages = label_averages(tp, positives, precision, recall, f1)
    # The AVG row as printed, to its three decimals: 0.878, 0.539, 0.668 and 53.9%.
    ours = [averages["precision"], averages["recall"], averages["f1"]]
    assert ours == pytest.approx(printed, abs=5e-4)
    assert 100 * averages["recall"] == pytest.approx(float(printed_tp.rstrip("%")), abs=0.05)
    # Its "Accuracy (TP)" average is the mean of TP / positives, which the recalls round.
    assert 100 * np.mean(tp / positives) == pytest.approx(53.9, abs=0.05)
    # The other two averages give something else on the same rows.
    assert averages["f1_macro"] == pytest.approx(0.594, abs=5e-4)
    assert averages["tp_pooled"] == pytest.approx(0.738, abs=5e-4)


def test_multilabel_metrics_average_their_own_per_label_measures():
    metrics = multilabel_metrics(Y_TRUE, Y_PRED, NAMES)
    columns = [
        [metrics[f"{measure}.{name}"] for name in NAMES]
        for measure in ("tp", "positives", "precision", "recall", "f1")
    ]
    for key, value in label_averages(*columns).items():
        assert metrics[key] == pytest.approx(value)


def test_averages_with_nothing_found_are_zero_not_nan():
    averages = label_averages([0, 0], [3, 0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0])
    assert averages == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "f1_macro": 0.0,
        "tp_pooled": 0.0,
    }


# A record written with today's keys: its f1 stays as written.
NEW_KEYS = {
    "metrics.test.tp_rate": None,
    "metrics.test.f1": 0.7,
    "metrics.test.f1_macro": 0.65,
    "metrics.test.tp_pooled": 0.9,
}


def test_records_of_the_old_keys_are_judged_on_the_papers_f():
    # Written before the averages followed Table 3: f1 was the mean of the labels' F and
    # tp_rate the pooled TP share.
    old = {
        "experiment": "faces_table3",
        "engine": "keras",
        "network": "faces_cnn",
        "variant": "faces_cnn",
        "target": "attributes",
        "task": "multilabel",
        "protocol": "partition",
        "fold": 0,
        "seed": 0,
        "job_id": "old",
        "status": "ok",
        "n_train": 100,
        "n_test": 50,
        "metrics.test.precision": 0.85,
        "metrics.test.recall": 0.75,
        "metrics.test.f1": 0.77,
        "metrics.test.tp_rate": 0.8,
    }
    records = pd.DataFrame([old, {**old, "job_id": "new", "seed": 1} | NEW_KEYS])
    current = with_current_averages(records)
    assert "metrics.test.tp_rate" not in current
    assert list(current["metrics.test.f1"]) == pytest.approx([2 * 0.85 * 0.75 / 1.6, 0.7])
    assert list(current["metrics.test.f1_macro"]) == pytest.approx([0.77, 0.65])
    assert list(current["metrics.test.tp_pooled"]) == pytest.approx([0.8, 0.9])
    evidence = evidence_table(records.iloc[:1], {"faces_cnn": {"attributes": {"f1": 0.668}}})
    assert evidence["mean"].iloc[0] == pytest.approx(2 * 0.85 * 0.75 / 1.6)


def test_regression_measures_in_the_papers_units():
    measures = score("regression", np.array([100.0, 50.0]), np.array([[110.0], [40.0]]))
    assert measures["mape"] == pytest.approx(15.0)  # percent: (10% + 20%) / 2
    assert measures["mae"] == pytest.approx(10.0)  # months
