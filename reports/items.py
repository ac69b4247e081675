"""The tables and figures that only some experiments ask for (their ``report`` list).

Each item takes the experiment's flat result records (finished jobs only) and returns
captioned tables and figures: ``confusion`` (confusion matrices of classification jobs),
``diagnostics`` (the Fig. 4 layer table at the start of learning), ``training_time``
(seconds and epochs per run) and ``time_ratio`` (the claims about training time: one
run's seconds over another's on the same samples, e.g. the Keras CNN's over IgNet's).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import confusion_matrix as count_confusions

from reports.figures import confusion_matrix, diagnostic_table
from reports.leak import roles
from reports.paper_checks import table3_averages
from reports.tables import (
    HIGHER_IS_BETTER,
    MAIN_METRIC,
    format_ratio,
    reason_after_interval,
    with_current_averages,
)

__all__ = ["AVERAGE_LABELS", "ITEMS", "Item", "ItemTable", "build_item"]

# How the faces table names each average of the ten attributes (the record's key ->
# row label); the first is the paper's AVG row, the headline.
AVERAGE_LABELS = {
    "f1": "AVG (paper: mean P, mean R, F of the two)",
    "f1_macro": "mean of the F (f1_macro)",
    "tp_pooled": "pooled TP / positives (tp_pooled)",
}

# Confusion matrices over more classes than this are unreadable at page size (and their
# numbers no longer fit the cells).
_MAX_CONFUSION_CLASSES = 12
# "Converged" epoch: the first whose validation error is within this share of the best.
_NEAR_BEST = 0.10
_DIAGNOSIS_COLUMNS = {
    "input": "input",
    "weights": "weights",
    "activation_derivative": "activation derivative",
    "neuron_derivative": "neuron derivative",
    "weight_derivative": "weight derivative",
}


@dataclass
class ItemTable:
    """A captioned table: ``frame`` as the page shows it, ``numbers`` (if given) the same
    rows as numbers with units in the column names, for its CSV file ``<stem>.csv``."""

    stem: str
    caption: str
    frame: pd.DataFrame
    numbers: pd.DataFrame | None = None


@dataclass
class Item:
    """What one report item adds to a section."""

    tables: list[ItemTable] = field(default_factory=list)
    # (stem, caption, the function that draws the figure with its arguments)
    figures: list[tuple[str, str, partial[Figure]]] = field(default_factory=list)


def build_item(name: str, rows: pd.DataFrame, experiment: Mapping[str, Any]) -> Item:
    """Build report item ``name`` from an experiment's finished records.

    Parameters
    ----------
    name : one of :data:`ITEMS`.
    rows : flat records with a ``variant`` column, diverged jobs left out.
    experiment : as :func:`reports.report.write_report` takes it: ``name`` (for figure
        file stems), ``paper`` (target -> {metric: value}), ``speed`` (for ``time_ratio``:
        :func:`bench.claims.speed_table`) and
        ``paper_attributes`` (attribute -> [TP, positives, precision, recall, F], the
        face paper's Table 3, for ``attributes``; its ``AVG`` row is [TP share as
        printed, precision, recall, F]).
    """
    if rows.empty:
        return Item()
    return ITEMS[name](with_current_averages(rows), experiment)


def _confusion(rows: pd.DataFrame, experiment: Mapping[str, Any]) -> Item:
    item = Item()
    if "predictions.true" not in rows:
        return item
    rows = rows[rows["task"] == "classification"].dropna(subset=["predictions.true"])
    # The target with the fewest classes reads best: one matrix per run and protocol.
    for (variant, target), group in rows.groupby(["variant", "target"], sort=False):
        classes = group["predictions.classes"].iloc[0]
        if len(classes) > _MAX_CONFUSION_CLASSES:
            continue
        for protocol, runs in group.groupby("protocol", sort=False):
            true = np.concatenate([np.asarray(t) for t in runs["predictions.true"]])
            predicted = np.concatenate([np.asarray(p) for p in runs["predictions.predicted"]])
            matrix = count_confusions(true, predicted, labels=np.arange(len(classes)))
            title = f"{variant}, {target}, {protocol} (test, {len(runs)} folds)"
            stem = _stem(experiment["name"], "confusion", variant, target, protocol)
            caption = (
                f"Confusion matrix: {title}; each cell the percentage of the true class (row) "
                "predicted as the column"
            )
            drawing = partial(confusion_matrix, matrix, list(classes), title=title)
            item.figures.append((stem, caption, drawing))
    return item


def _diagnostics(rows: pd.DataFrame, experiment: Mapping[str, Any]) -> Item:
    item = Item()
    if "diagnosis" not in rows:
        return item
    stages: dict[str, pd.DataFrame] = {}
    for variant, group in rows.dropna(subset=["diagnosis"]).groupby("variant", sort=False):
        first = group.sort_values(["protocol", "target", "fold"]).iloc[0]
        table = pd.DataFrame(first["diagnosis"])
        keep = ["layer", "kind", "w_range", *[c for c in _DIAGNOSIS_COLUMNS if c in table]]
        stages[str(variant)] = table[keep].rename(columns=_DIAGNOSIS_COLUMNS)
    if not stages:
        return item
    for stage, table in stages.items():
        item.tables.append(
            ItemTable(
                _stem("diagnostics", stage),
                f"Mean absolute values at the start of learning: {stage}",
                table,
            )
        )
    numbers = {
        stage: table.drop(columns=["kind", "w_range"]).assign(
            layer=[f"{k} {i}" for i, k in zip(table["layer"], table["kind"], strict=True)]
        )
        for stage, table in stages.items()
    }
    item.figures.append(
        (
            f"{experiment['name']}_diagnostics",
            "Mean absolute values per layer at the start of learning (as the paper's Fig. 4)",
            partial(diagnostic_table, numbers),
        )
    )
    return item


def _training_time(rows: pd.DataFrame, experiment: Mapping[str, Any]) -> Item:
    table = []
    for (variant, target, protocol), runs in rows.groupby(
        ["variant", "target", "protocol"], sort=False
    ):
        metric, _ = MAIN_METRIC[str(runs["task"].iloc[0])]
        # Only networks train in epochs: a baseline's one-point curve (a nearest neighbour,
        # a logistic regression) says nothing of early stopping.
        column = runs.get(f"curve.val_{metric}", pd.Series(None, index=runs.index, dtype=object))
        has_curve = column.map(lambda c: isinstance(c, list)) & (roles(runs) == "network")
        trained, curves = runs[has_curve], list(column[has_curve])
        epochs = [len(c) for c in curves]
        near = [_near_best_epoch(c, higher_is_better=metric in HIGHER_IS_BETTER) for c in curves]
        # Early stopping ended a fold when it ran fewer epochs than its cap.
        caps = trained.get("settings.epochs", pd.Series(np.nan, index=trained.index))
        stopped = sum(n < cap for n, cap in zip(epochs, caps, strict=True))
        table.append(
            {
                "network": variant,
                "target": target,
                "protocol": protocol,
                "train time (s)": round(_mean(runs, "train_seconds"), 2),
                "epochs run": round(float(np.mean(epochs)), 1) if epochs else np.nan,
                "epoch cap": float(caps.max()) if epochs else np.nan,
                "stopped early (folds)": stopped if epochs else np.nan,
                "epoch near best": round(float(np.nanmean(near)), 1) if near else np.nan,
                "samples per second": _whole(_mean(runs, "samples_per_second")),
                "folds": len(runs),
            }
        )
    caption = (
        "Training time per run (means over folds); early stopping ended a fold when it ran "
        "fewer epochs than the cap"
    )
    return Item(tables=[ItemTable("training_time", caption, pd.DataFrame(table))])


def _mean(rows: pd.DataFrame, column: str) -> float:
    """The mean of a column over folds; NaN where no record has it (a job that did not
    train, such as an oracle without latents)."""
    return float(rows[column].mean()) if column in rows else np.nan


def _whole(value: float) -> float:
    """A rate rounded to a whole number, as an int so that the CSV says 100, not 100.0;
    NaN stays NaN."""
    return round(value) if np.isfinite(value) else value


def _near_best_epoch(curve: object, higher_is_better: bool) -> float:
    """The first epoch (from 1) whose validation value is within 10% of the best."""
    values = np.asarray(curve, dtype=float)
    if values.size == 0 or np.isnan(values).all():
        return float("nan")
    if higher_is_better:
        best = np.nanmax(values)
        close = values >= best - _NEAR_BEST * abs(best)
    else:
        best = np.nanmin(values)
        close = values <= best + _NEAR_BEST * abs(best)
    return float(np.argmax(close) + 1)


def _time_ratio(rows: pd.DataFrame, experiment: Mapping[str, Any]) -> Item:
    """The claims about training time: one run's seconds over another's, same samples."""
    speed = experiment.get("speed")
    if speed is None or speed.empty:
        return Item()
    table = pd.DataFrame(
        {
            "claim": speed["claim"],
            "target": speed["target"],
            "protocol": speed["protocol"],
            "runs, slow / fast": speed["slow"] + " / " + speed["fast"],
            "train s, median": [
                f"{_seconds(slow)} / {_seconds(fast)}"
                for slow, fast in zip(speed["slow_seconds"], speed["fast_seconds"], strict=True)
            ],
            "time ratio [95% CI] (folds)": [
                f"{format_ratio(r, lo, hi)} ({folds})"
                for r, lo, hi, folds in zip(
                    speed["ratio"], speed["ci_low"], speed["ci_high"], speed["folds"], strict=True
                )
            ],
            "throughput ratio": speed["throughput_ratio"].map(lambda v: f"{v:.2f}x"),
            "paper": speed["paper"].map(lambda v: f"{v:.2f}x"),
            "verdict: reason": [
                f"{verdict}: {reason_after_interval(reason)}"
                for verdict, reason in zip(speed["verdict"], speed["reason"], strict=True)
            ],
        }
    )
    numbers = pd.DataFrame(
        {
            "claim": speed["claim"],
            "target": speed["target"],
            "protocol": speed["protocol"],
            "slow_run": speed["slow"],
            "slow_train_seconds_median": speed["slow_seconds"],
            "fast_run": speed["fast"],
            "fast_train_seconds_median": speed["fast_seconds"],
            "time_ratio_slow_over_fast": speed["ratio"],
            "time_ratio_ci_low": speed["ci_low"],
            "time_ratio_ci_high": speed["ci_high"],
            "folds": speed["folds"],
            "throughput_ratio_fast_over_slow": speed["throughput_ratio"],
            "paper_time_ratio": speed["paper"],
            "verdict": speed["verdict"],
            "reason": speed["reason"],
            "interval": speed["ci_method"],
        }
    )
    caption = (
        "Training time of one run over another's on the same samples, paired by fold: the "
        "median ratio with a bootstrap interval over folds (the time counts early stopping; "
        "the throughput ratio, fast over slow, is per sample processed)"
    )
    return Item(tables=[ItemTable("time_ratio_by_claim", caption, table, numbers)])


def _seconds(value: float) -> str:
    """Seconds to three significant digits: short runs never print as 0.0."""
    return f"{value:.3g}"


def _attributes(rows: pd.DataFrame, experiment: Mapping[str, Any]) -> Item:
    paper = experiment.get("paper_attributes") or {}
    rows = rows[rows["task"] == "multilabel"]
    prefix = "metrics.test.f1."
    names = [str(c)[len(prefix) :] for c in rows.columns if str(c).startswith(prefix)]
    if rows.empty or not names:
        return Item()
    first = rows.iloc[0]
    # The paper's order (its Fig. 2 vectors follow it), not the records' column order.
    order = list(first.get("predictions.names") or paper or names)
    names = sorted(names, key=lambda n: order.index(n) if n in order else len(order))
    table = []
    for name in names:
        claimed = paper.get(name)
        row: dict[str, object] = {
            "attribute": name,
            "paper TP / positives": (
                "-" if claimed is None else f"{claimed[0]:.0f}/{claimed[1]:.0f}"
            ),
            "paper precision": "-" if claimed is None else f"{claimed[2]:.3f}",
            "paper recall": "-" if claimed is None else f"{claimed[3]:.3f}",
            "paper F": "-" if claimed is None else f"{claimed[4]:.3f}",
            "ours TP / positives": (
                f"{first[f'metrics.test.tp.{name}']:.0f}/"
                f"{first[f'metrics.test.positives.{name}']:.0f}"
            ),
        }
        for measure, label in (("precision", "precision"), ("recall", "recall"), ("f1", "F")):
            row[f"ours {label}"] = f"{first[f'metrics.test.{measure}.{name}']:.3f}"
        table.append(row)
    table += _averages(first, paper)
    f1 = {
        str(variant): {n: runs[f"metrics.test.f1.{n}"].mean() for n in names}
        for variant, runs in rows.groupby("variant", sort=False)
    }
    columns = {variant: [scores[n] for n in names] for variant, scores in f1.items()}
    caption = "F-measure per attribute and run (test side)"
    if all(f"metrics.trivial.f1.{n}" in rows for n in names):
        majority = {n: rows[f"metrics.trivial.f1.{n}"].mean() for n in names}
        columns["majority class"] = [majority[n] for n in names]
        below = {
            variant: [n for n in names if scores[n] <= majority[n]]
            for variant, scores in f1.items()
        }
        caption += (
            "; majority class: predicting each attribute's most frequent training value. "
            "Not above it: "
            + "; ".join(f"{variant}: {', '.join(n) or 'none'}" for variant, n in below.items())
        )
    per_run = pd.DataFrame(columns, index=names).rename_axis("attribute").reset_index()
    shown = pd.DataFrame(table).fillna("-")
    return Item(
        tables=[
            ItemTable(
                "attributes_beside_table3",
                f"Per attribute, test side: {first['variant']} (its fold {first['fold']}) beside "
                "the paper's Table 3. "
                "AVG as the paper defines it: the mean precision, the mean recall, the "
                "F-measure of those two means, and as TP / positives the mean recall; "
                "below it, the other averages where they differ",
                shown,
                _attribute_numbers(shown),
            ),
            ItemTable(
                "f_per_attribute_and_run",
                caption,
                per_run.assign(**{c: per_run[c].map(_score) for c in columns}),
                per_run,
            ),
        ]
    )


def _attribute_numbers(table: pd.DataFrame) -> pd.DataFrame:
    """The per-attribute table as numbers: TP / positives as two counts, the AVG rows' share
    in percent in a column of its own, scores as fractions."""
    out = pd.DataFrame({"attribute": table["attribute"]})
    for side in ("paper", "ours"):
        pair = table[f"{side} TP / positives"].astype(str)
        counts = pair.str.extract(r"^(\d+)/(\d+)$").astype(float)
        out[f"{side}_tp"], out[f"{side}_positives"] = counts[0], counts[1]
        share = pair.str.extract(r"^([\d.]+)%$", expand=False)
        out[f"{side}_tp_share_percent"] = pd.to_numeric(share, errors="coerce")
        for label in ("precision", "recall", "F"):
            out[f"{side}_{label.lower()}"] = pd.to_numeric(
                table[f"{side} {label}"], errors="coerce"
            )
    return out


def _averages(first: pd.Series, paper: Mapping[str, Any]) -> list[dict[str, object]]:
    """The AVG row as the face paper computes it, then the other averages where they differ.

    The paper's side of the other averages comes from its own rows (the mean of its ten
    F, 0.594, and its pooled TP / positives, 73.8%) where it has rows.
    """
    rows = {name: row for name, row in paper.items() if name != "AVG"}
    theirs = table3_averages(rows) if rows else {}
    average: dict[str, object] = {"attribute": AVERAGE_LABELS["f1"]}
    if "AVG" in paper:
        tp_share, *scores = paper["AVG"]
        average["paper TP / positives"] = tp_share
        for label, value in zip(("precision", "recall", "F"), scores, strict=True):
            average[f"paper {label}"] = f"{value:.3f}"
    average["ours TP / positives"] = _percent(first.get("metrics.test.recall"))
    for measure, label in (("precision", "precision"), ("recall", "recall"), ("f1", "F")):
        average[f"ours {label}"] = _score(first.get(f"metrics.test.{measure}"))
    macro: dict[str, object] = {
        "attribute": AVERAGE_LABELS["f1_macro"],
        "paper F": _score(theirs.get("f1_macro")),
        "ours F": _score(first.get("metrics.test.f1_macro")),
    }
    pooled: dict[str, object] = {
        "attribute": AVERAGE_LABELS["tp_pooled"],
        "paper TP / positives": _percent(theirs.get("tp_pooled")),
        "ours TP / positives": _percent(first.get("metrics.test.tp_pooled")),
    }
    others = [(macro, "F"), (pooled, "TP / positives")]
    return [average, *(row for row, column in others if _differs(row, average, column))]


def _differs(other: Mapping[str, object], average: Mapping[str, object], column: str) -> bool:
    """Whether another average shows a number, paper's or ours, unlike the AVG row's."""
    return any(
        other[key] != "-" and other[key] != average.get(key, "-")
        for key in (f"paper {column}", f"ours {column}")
    )


def _score(value: Any) -> str:
    return "-" if value is None or pd.isna(value) else f"{float(value):.3f}"


def _percent(value: Any) -> str:
    return "-" if value is None or pd.isna(value) else f"{100 * float(value):.1f}%"


def _stem(*parts: object) -> str:
    text = "_".join(str(p) for p in parts)
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text)


ITEMS: dict[str, Callable[[pd.DataFrame, Mapping[str, Any]], Item]] = {
    "attributes": _attributes,
    "confusion": _confusion,
    "diagnostics": _diagnostics,
    "time_ratio": _time_ratio,
    "training_time": _training_time,
}
