"""Result records to tables that put the paper's numbers beside ours."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = [
    "MAIN_METRIC",
    "f_measure",
    "format_interval",
    "format_number",
    "format_ratio",
    "metric_digits",
    "metric_scale",
    "paper_table",
    "reason_after_interval",
    "with_current_averages",
    "with_variant",
]

# The measure each task is reported in, and whether it is a fraction shown as percent.
MAIN_METRIC = {
    "classification": ("accuracy", True),
    "regression": ("mape", False),
    "multilabel": ("f1", False),
}
HIGHER_IS_BETTER = ("accuracy", "f1", "precision", "recall")
# The interval a verdict's reason opens with ("95% CI 12.3-14.5% overlaps ...").
_REASON_CI = re.compile(r"^\d+% CI \S+ ")


def paper_table(evidence: pd.DataFrame) -> pd.DataFrame:
    """One row per engine, run and target: the paper's number, then ours per protocol.

    Parameters
    ----------
    evidence : the numeric evidence of an experiment (``bench.claims.evidence_table``): one
        row per engine, run, target and protocol with ``mean``, ``ci_low``, ``ci_high``,
        ``folds``, ``diverged``, ``trivial``, ``trivial_low``, ``trivial_high``,
        ``verdict``.

    Returns
    -------
    DataFrame with columns engine, network (the run's name), target, metric, paper,
    ``trivial`` (mean and 95% interval over the folds of every protocol's first), then per
    protocol ``mean [low, high] (k folds)``, the leak (the share of test samples whose
    original image is in training) and the verdict (one of reproduced, not reproduced,
    inconclusive; ``-`` where the paper gives no number).
    """
    if evidence.empty:
        return pd.DataFrame(columns=["engine", "network", "target", "metric", "paper"])
    rows = []
    keys = ["engine", "run", "target", "task", "metric"]
    for (engine, run, target, _task, metric), group in evidence.groupby(keys, sort=False):
        scale, unit = metric_scale(str(metric))
        digits = metric_digits(str(metric))
        first = group.iloc[0]
        row: dict[str, object] = {
            "engine": engine,
            "network": run,
            "target": target,
            "metric": f"{metric} ({unit})" if unit else metric,
            "paper": format_number(first["paper"], scale, digits),
            "trivial": format_interval(
                first["trivial"], first["trivial_low"], first["trivial_high"], scale, digits
            ),
        }
        for _, line in group.iterrows():
            protocol = str(line["protocol"])
            value = format_interval(line["mean"], line["ci_low"], line["ci_high"], scale, digits)
            folds = f"{int(line['folds'])} fold" + ("" if line["folds"] == 1 else "s")
            if line["diverged"]:
                folds += f", {int(line['diverged'])} diverged"
            row[protocol] = f"{value} ({folds})"
            if pd.notna(line.get("leak_same_image")):
                row[f"leak: {protocol}"] = f"{100 * line['leak_same_image']:.0f}%"
            row[f"verdict: {protocol}"] = line["verdict"] or "-"
        rows.append(row)
    return pd.DataFrame(rows)


def reason_after_interval(reason: object) -> str:
    """A verdict's reason less the interval it opens with, for a table that prints the
    interval beside it: "overlaps the trivial predictor's 13.3-14.0%"."""
    return _REASON_CI.sub("", str(reason or ""))


def metric_scale(metric: str) -> tuple[float, str]:
    """How a metric prints: accuracy-like fractions as percent, MAPE already in percent."""
    if metric in ("accuracy", "tp_pooled", "exact_match"):
        return 100.0, "%"
    return 1.0, "%" if metric == "mape" else ""


def format_ratio(ratio: float, low: float, high: float) -> str:
    """A speed ratio with its interval: ``12.30x [8.10, 17.00]`` (two decimals, as the
    verdicts' reasons: a ratio near 1 must not read as exactly 1)."""
    return f"{ratio:.2f}x [{low:.2f}, {high:.2f}]"


def format_number(value: object, scale: float, digits: int) -> str:
    if value is None or not np.isfinite(float(value)):  # type: ignore[arg-type]
        return "-"
    return f"{scale * float(value):.{digits}f}"  # type: ignore[arg-type]


def format_interval(mean: object, low: object, high: object, scale: float, digits: int) -> str:
    """``mean [low, high]``, or the mean alone where no interval could be computed."""
    shown = format_number(mean, scale, digits)
    if shown == "-":
        return shown
    bounds = format_number(low, scale, digits), format_number(high, scale, digits)
    return shown if "-" in bounds else f"{shown} [{bounds[0]}, {bounds[1]}]"


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


def metric_digits(metric: str) -> int:
    """Decimals a metric prints with."""
    # Scores kept as fractions (the face paper's F of 0.668) need a third decimal.
    return 3 if metric in ("f1", "precision", "recall") else 2
