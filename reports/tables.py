"""Result records to tables that put the paper's numbers beside ours."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["MAIN_METRIC", "paper_table"]

# The measure each task is reported in, and whether it is a fraction shown as percent.
MAIN_METRIC = {"classification": ("accuracy", True), "regression": ("mape", False)}


def paper_table(
    records: pd.DataFrame,
    paper: Mapping[str, Mapping[str, float]],
    split: str = "test",
) -> pd.DataFrame:
    """One row per engine, network and target: the paper's number, then ours per protocol.

    Parameters
    ----------
    records : flat result records (``bench.results.ResultsStore.frame``).
    paper : target -> {metric: value} as the paper reports it (accuracy as a fraction).
    split : ``test`` or ``validation``: which side's metrics to report.

    Returns
    -------
    DataFrame with columns engine, network, target, metric, paper, one
    ``mean ± std (folds)`` column per protocol, and the leak per protocol (the share of test
    samples whose original image is in training).
    """
    if records.empty:
        return pd.DataFrame(columns=["engine", "network", "target", "metric", "paper"])
    rows = []
    keys = ["engine", "network", "target", "task"]
    for (engine, network, target, task), group in records.groupby(keys, sort=False):
        metric, percent = MAIN_METRIC[str(task)]
        column = f"metrics.{split}.{metric}"
        paper_value = paper.get(str(target), {}).get(metric)
        row: dict[str, object] = {
            "engine": engine,
            "network": network,
            "target": target,
            "metric": f"{metric} (%)",
            "paper": _percent(paper_value, percent),
        }
        for protocol, runs in group.groupby("protocol", sort=False):
            values = runs[column].to_numpy(dtype=float) * (100.0 if percent else 1.0)
            row[str(protocol)] = _mean_std(values)
            if "leakage.same_image" in runs:
                row[f"{protocol} leak"] = f"{100 * runs['leakage.same_image'].mean():.0f}%"
        rows.append(row)
    return pd.DataFrame(rows)


def _percent(value: float | None, percent: bool) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.2f}" if percent else f"{value:.2f}"


def _mean_std(values: np.ndarray) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f} (1 fold)"
    return f"{values.mean():.2f} ± {values.std(ddof=1):.2f} ({len(values)} folds)"
