"""The papers' measures: accuracy, MAPE and MAE, and per-label precision / recall / F1."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, precision_recall_fscore_support

__all__ = ["classification_metrics", "multilabel_metrics", "regression_metrics", "score"]


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy, as a fraction."""
    return {"accuracy": float(accuracy_score(y_true, y_pred))}


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """MAPE in percent (the papers' unit) and MAE in the target's unit."""
    y_true = np.asarray(y_true, dtype=np.float64).reshape(-1)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    error = np.abs(y_pred - y_true)
    return {
        "mape": float(100.0 * np.mean(error / np.abs(y_true))),
        "mae": float(error.mean()),
    }


def multilabel_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, names: Sequence[str]
) -> dict[str, float]:
    """Per-label true positives, positives, precision, recall and F1, and their averages.

    Keys are ``<measure>.<label>`` plus ``precision``, ``recall``, ``f1`` (macro averages,
    as the face paper's AVG row), ``tp_rate`` (true positives over positives, all labels
    together: the paper's "53.9%") and ``exact_match``.
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
    out["precision"] = float(np.mean(precision))
    out["recall"] = float(np.mean(recall))
    out["f1"] = float(np.mean(f1))
    out["tp_rate"] = float(tp.sum() / max(1, support.sum()))
    out["exact_match"] = float((y_true == y_pred).all(axis=1).mean())
    return out


def score(task: str, y_true: np.ndarray, y_pred: np.ndarray, names: Sequence[str] = ()) -> dict:
    """The measures of a task: ``classification``, ``regression`` or ``multilabel``."""
    if task == "classification":
        return classification_metrics(y_true, y_pred)
    if task == "regression":
        return regression_metrics(y_true, y_pred)
    if task == "multilabel":
        return multilabel_metrics(y_true, y_pred, names)
    raise ValueError(f"task must be classification, regression or multilabel, not {task!r}")
