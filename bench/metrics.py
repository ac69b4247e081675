"""The papers' measures: accuracy, MAPE and MAE, and per-label precision / recall / F1."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import (
    accuracy_score,
    mean_absolute_error,
    mean_absolute_percentage_error,
    precision_recall_fscore_support,
)

__all__ = [
    "classification_metrics",
    "label_averages",
    "multilabel_metrics",
    "regression_metrics",
    "score",
]


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy, as a fraction."""
    return {"accuracy": float(accuracy_score(y_true, y_pred))}


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """MAPE in percent (the papers' unit) and MAE in the target's unit."""
    y_true = np.asarray(y_true, dtype=np.float64).reshape(-1)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    return {
        "mape": 100.0 * float(mean_absolute_percentage_error(y_true, y_pred)),
        "mae": float(mean_absolute_error(y_true, y_pred)),
    }


def multilabel_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, names: Sequence[str]
) -> dict[str, float]:
    """Per-label true positives, positives, precision, recall and F1, and their averages.

    Parameters
    ----------
    y_true, y_pred : (N, k) arrays of 0/1 (or bool), one column per label.
    names : the k label names, in column order.

    Returns
    -------
    dict
        ``<measure>.<label>`` for ``tp``, ``positives``, ``precision``, ``recall`` and
        ``f1``; the averages of :func:`label_averages` (``precision``, ``recall``, ``f1``
        as the face paper's AVG row, ``f1_macro`` and ``tp_pooled``); and
        ``exact_match``, the share of rows with every label right.
    """
    y_true = np.asarray(y_true).astype(bool)
    y_pred = np.asarray(y_pred).astype(bool)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, average=None, zero_division=0
    )
    tp = (y_true & y_pred).sum(axis=0)
    out: dict[str, float] = {}
    for i, name in enumerate(names):
        out[f"tp.{name}"] = float(tp[i])
        out[f"positives.{name}"] = float(support[i])
        out[f"precision.{name}"] = float(precision[i])
        out[f"recall.{name}"] = float(recall[i])
        out[f"f1.{name}"] = float(f1[i])
    out.update(label_averages(tp, support, precision, recall, f1))
    out["exact_match"] = float((y_true == y_pred).all(axis=1).mean())
    return out


def label_averages(
    tp: ArrayLike,
    positives: ArrayLike,
    precision: ArrayLike,
    recall: ArrayLike,
    f1: ArrayLike,
) -> dict[str, float]:
    """Average per-label measures as the face paper's Table 3 does, and two other ways.

    Parameters
    ----------
    tp, positives, precision, recall, f1 : one value per label.

    Returns
    -------
    dict
        ``precision`` and ``recall``: the means over the labels; ``f1``: the F-measure of
        those two means (the paper's AVG row: 0.878, 0.539, 0.668). The paper's "Accuracy
        (TP)" average, 53.9%, is the mean of TP / positives, which is ``recall``.
        ``f1_macro``: the mean of the labels' F (0.594 on the paper's own rows);
        ``tp_pooled``: all true positives over all positives (73.8% on them).
    """
    tp, positives, precision, recall, f1 = (
        np.asarray(values, dtype=np.float64) for values in (tp, positives, precision, recall, f1)
    )
    mean_precision, mean_recall = float(precision.mean()), float(recall.mean())
    both = mean_precision + mean_recall
    return {
        "precision": mean_precision,
        "recall": mean_recall,
        "f1": 2 * mean_precision * mean_recall / both if both > 0 else 0.0,
        "f1_macro": float(f1.mean()),
        "tp_pooled": float(tp.sum() / max(1.0, positives.sum())),
    }


def score(task: str, y_true: np.ndarray, y_pred: np.ndarray, names: Sequence[str] = ()) -> dict:
    """The measures of a task: ``classification``, ``regression`` or ``multilabel``."""
    if task == "classification":
        return classification_metrics(y_true, y_pred)
    if task == "regression":
        return regression_metrics(y_true, y_pred)
    if task == "multilabel":
        return multilabel_metrics(y_true, y_pred, names)
    raise ValueError(f"task must be classification, regression or multilabel, not {task!r}")
