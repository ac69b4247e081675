"""Per-attribute measures of the face paper, against scikit-learn and by hand."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import precision_recall_fscore_support

from bench.metrics import multilabel_metrics, score

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
    assert metrics["f1"] == pytest.approx(np.mean(f1))


def test_known_values_by_hand():
    metrics = multilabel_metrics(Y_TRUE, Y_PRED, NAMES)
    # Eyeglasses: true 1,1,0,0,1; predicted 1,0,0,1,1 -> TP 2, FP 1, FN 1.
    assert metrics["tp.Eyeglasses"] == 2
    assert metrics["precision.Eyeglasses"] == pytest.approx(2 / 3)
    assert metrics["recall.Eyeglasses"] == pytest.approx(2 / 3)
    # Bangs: true 0,1,1,0,0; predicted 0,1,0,0,0 -> precision 1, recall 1/2.
    assert metrics["f1.Bangs"] == pytest.approx(2 * 1 * 0.5 / 1.5)
    # All labels together: 8 positives, 6 found (the paper's "53.9%" row).
    assert metrics["tp_rate"] == pytest.approx(6 / 8)
    assert metrics["exact_match"] == pytest.approx(2 / 5)


def test_a_label_never_predicted_scores_zero_not_nan():
    y_pred = Y_PRED.copy()
    y_pred[:, 1] = 0
    metrics = score("multilabel", Y_TRUE, y_pred, NAMES)
    assert metrics["precision.Bangs"] == 0.0 and metrics["f1.Bangs"] == 0.0
