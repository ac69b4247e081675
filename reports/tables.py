"""Result records to tables that put the paper's numbers beside ours."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = ["MAIN_METRIC", "f_measure", "paper_table", "with_current_averages", "with_variant"]

# The measure each task is reported in, and whether it is a fraction shown as percent.
MAIN_METRIC = {
    "classification": ("accuracy", True),
    "regression": ("mape", False),
    "multilabel": ("f1", False),
}
HIGHER_IS_BETTER = ("accuracy", "f1", "precision", "recall")


def paper_table(
    records: pd.DataFrame,
    paper: Mapping[str, Mapping[str, float]],
    split: str = "test",
    paper_runs: Mapping[str, Mapping[str, Mapping[str, float]]] | None = None,
) -> pd.DataFrame:
    """One row per engine, run and target: the paper's number, then ours per protocol.

    Parameters
    ----------
    records : flat result records (``bench.results.ResultsStore.frame``).
    paper : target -> {metric: value} as the paper reports it (accuracy as a fraction).
    split : ``test`` or ``validation``: which side's metrics to report.
    paper_runs : run name (the records' ``variant``) -> target -> {metric: value}: the
        paper's numbers for a run, in place of ``paper`` for that run's rows.

    Returns
    -------
    DataFrame with columns engine, network (the run's name), target, metric, paper,
    ``trivial`` (the score of predicting the training labels' most frequent class, or
    their mean, averaged over protocols and folds; where the records carry it), one
    ``mean ± std (folds)`` column per protocol, and the leak per protocol (the share of test
    samples whose original image is in training).
    """
    if records.empty:
        return pd.DataFrame(columns=["engine", "network", "target", "metric", "paper"])
    records = with_current_averages(with_variant(records))
    rows = []
    keys = ["engine", "variant", "target", "task"]
    for (engine, variant, target, task), group in records.groupby(keys, sort=False):
        metric, percent = MAIN_METRIC[str(task)]
        column = f"metrics.{split}.{metric}"
        numbers = (paper_runs or {}).get(str(variant), paper)
        paper_value = numbers.get(str(target), {}).get(metric)
        row: dict[str, object] = {
            "engine": engine,
            "network": variant,
            "target": target,
            "metric": f"{metric} (%)" if percent or metric == "mape" else metric,
            "paper": _percent(paper_value, percent, _digits(metric)),
        }
        trivial = _values(group, f"metrics.trivial.{metric}")
        if np.isfinite(trivial).any():
            scale = 100.0 if percent else 1.0
            row["trivial"] = f"{scale * np.nanmean(trivial):.{_digits(metric)}f}"
        verdicts = {}
        for protocol, runs in group.groupby("protocol", sort=False):
            values = _values(runs, column) * (100.0 if percent else 1.0)
            diverged = int((runs["status"] == "diverged").sum()) if "status" in runs else 0
            row[str(protocol)] = _mean_std(values[np.isfinite(values)], diverged, _digits(metric))
            if "leakage.same_image" in runs:
                row[f"leak: {protocol}"] = f"{100 * runs['leakage.same_image'].mean():.0f}%"
            mean = float(np.nanmean(values)) if np.isfinite(values).any() else None
            verdicts[str(protocol)] = _holds(metric, paper_value, mean, percent)
        for protocol, verdict in verdicts.items():
            row[f"holds: {protocol}"] = verdict
        rows.append(row)
    return pd.DataFrame(rows)


def _values(runs: pd.DataFrame, column: str) -> np.ndarray:
    if column not in runs:
        return np.full(len(runs), np.nan)
    return pd.to_numeric(runs[column], errors="coerce").to_numpy(dtype=float)


def _holds(metric: str, paper: float | None, ours: float | None, percent: bool) -> str:
    """Whether our mean matches the paper's claim: "yes", "no", or "-" (nothing to test).

    A score claim holds when ours is at most 5 points below it; an error claim (MAPE) when
    ours is at most 1.5 times it plus half a point: lenient, since folds, seeds and the
    data differ, yet far from the orders-of-magnitude gaps that decide these papers.
    """
    if paper is None or ours is None:
        return "-"
    if metric in HIGHER_IS_BETTER:
        claim = 100 * paper if percent else paper
        margin = 5.0 if percent else 0.05
        return "yes" if ours >= claim - margin else "no"
    return "yes" if ours <= 1.5 * paper + 0.5 else "no"


def with_variant(records: pd.DataFrame) -> pd.DataFrame:
    """``records`` with a ``variant`` column (the run's name), the network where missing."""
    if "variant" not in records:
        return records.assign(variant=records["network"])
    return records.assign(variant=records["variant"].fillna(records["network"]))


def with_current_averages(records: pd.DataFrame) -> pd.DataFrame:
    """``records`` with the multi-label averages under today's keys, however old.

    Records written before the averages followed the face paper's Table 3 hold ``f1`` as
    the mean of the labels' F and ``tp_rate`` as all true positives over all positives.
    Those become ``f1_macro`` and ``tp_pooled``, and ``f1`` is recomputed as the paper's
    F-measure of the mean precision and the mean recall, which they also hold.
    """
    old_columns = [c for c in records.columns if str(c).endswith(".tp_rate")]
    if not old_columns:
        return records
    records = records.copy()
    for column in old_columns:
        prefix = str(column).removesuffix("tp_rate")
        old = records[column].notna()
        if f"{prefix}f1_macro" in records:
            old &= records[f"{prefix}f1_macro"].isna()
        f1 = f_measure(records[f"{prefix}precision"], records[f"{prefix}recall"])
        records.loc[old, f"{prefix}f1_macro"] = records.loc[old, f"{prefix}f1"]
        records.loc[old, f"{prefix}tp_pooled"] = records.loc[old, column]
        records.loc[old, f"{prefix}f1"] = f1[old.to_numpy()]
    return records.drop(columns=old_columns)


def f_measure(precision: ArrayLike, recall: ArrayLike) -> np.ndarray:
    """The F-measure (harmonic mean) of precision and recall, elementwise; 0 where both
    are 0."""
    precision, recall = np.asarray(precision, dtype=float), np.asarray(recall, dtype=float)
    both = precision + recall
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(both > 0, 2 * precision * recall / both, 0.0)


def _digits(metric: str) -> int:
    # Scores kept as fractions (the face paper's F of 0.668) need a third decimal.
    return 3 if metric in ("f1", "precision", "recall") else 2


def _percent(value: float | None, percent: bool, digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.{digits}f}" if percent else f"{value:.{digits}f}"


def _mean_std(values: np.ndarray, diverged: int = 0, digits: int = 2) -> str:
    note = f", {diverged} diverged" if diverged else ""
    if len(values) == 0:
        return f"- ({diverged} diverged)" if diverged else "-"
    if len(values) == 1:
        return f"{values[0]:.{digits}f} (1 fold{note})"
    return (
        f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f} ({len(values)} folds{note})"
    )
