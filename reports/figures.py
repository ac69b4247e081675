"""Matplotlib figures from flat result records: learning curves, metrics and throughput."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reports.tables import MAIN_METRIC

__all__ = ["learning_curves", "metric_bars", "save_figure", "timing_bars"]

# Figures are built without pyplot: nothing is registered with a GUI backend, so a report
# renders on a headless machine and figures are freed once the caller drops them.

# Sized to sit in an HTML column or a landscape A4 page without rescaling the text.
FIGSIZE = (9.0, 4.2)
_METRIC_LABELS = {"accuracy": "accuracy (%)", "mape": "MAPE (%)", "mae": "MAE (months)"}


def learning_curves(
    records: pd.DataFrame,
    target: str,
    protocol: str | None = None,
) -> Figure:
    """Loss and main metric per epoch, training vs validation, mean over folds with a band.

    Like the paper's Figs. 6 and 8: the left axes hold the loss, the right axes the
    accuracy (classification) or MAPE (regression). Each engine, backend and protocol
    gets one colour; training is drawn solid and validation dashed. The band spans one
    standard deviation over folds. Folds that stopped early are shorter: each epoch is
    averaged over the folds that reached it.

    Parameters
    ----------
    records : flat result records, with ``curve.*`` columns holding one list per row.
    target : the target (label combination or ``age_months``) to draw.
    protocol : draw only this protocol; ``None`` draws every protocol present.

    Returns
    -------
    Figure with two axes (loss, metric). An axes with no curve to draw says so.
    """
    rows = _select(records, target=target, protocol=protocol)
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    loss_ax, metric_ax = fig.subplots(1, 2)
    metric = _main_metric(rows)
    heading = f"Learning curves: {target}"
    if protocol is not None:
        heading += f" ({protocol})"
    fig.suptitle(heading)
    loss_ax.set_title("loss")
    metric_ax.set_title(_METRIC_LABELS.get(metric, metric))
    scale = 100.0 if MAIN_METRIC.get(_task(rows), ("", False))[1] else 1.0
    keys = [k for k in ("engine", "backend", "protocol") if k in rows]
    groups = list(rows.groupby(keys, sort=False)) if keys and not rows.empty else []
    colours = matplotlib.colormaps["tab10"]
    for index, (key, runs) in enumerate(groups):
        label = " / ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
        colour = colours(index % 10)
        for ax, name, factor in ((loss_ax, "loss", 1.0), (metric_ax, metric, scale)):
            for prefix, style, side in (("", "-", "train"), ("val_", "--", "validation")):
                _draw_mean_band(
                    ax, runs, f"curve.{prefix}{name}", factor, colour, style, f"{label} {side}"
                )
    for ax in (loss_ax, metric_ax):
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
        if ax.lines:
            # Epochs are whole passes: fractional ticks would only mislead.
            ax.xaxis.get_major_locator().set_params(integer=True)
        else:
            _say_empty(ax)
    loss_ax.set_ylabel("loss")
    metric_ax.set_ylabel(_METRIC_LABELS.get(metric, metric))
    if loss_ax.lines or metric_ax.lines:
        # Both axes draw the same series; one legend below keeps it off the curves.
        source = loss_ax if loss_ax.lines else metric_ax
        fig.legend(*source.get_legend_handles_labels(), loc="outside lower center", ncols=2)
    return fig


def metric_bars(
    records: pd.DataFrame,
    paper: Mapping[str, Mapping[str, float]] | None = None,
    split: str = "test",
) -> Figure:
    """Our main metric per target and protocol (mean ± std over folds), the paper's as a marker.

    Classification targets (accuracy, %) and regression targets (MAPE, %) do not share a
    scale, so each task present gets its own axes.

    Parameters
    ----------
    records : flat result records.
    paper : target -> {metric: value} as the paper reports it (accuracy as a fraction).
    split : ``test`` or ``validation``: which side's metrics to draw.

    Returns
    -------
    Figure with one axes per task present (one axes saying so when there are no records).
    """
    paper = paper or {}
    tasks = [t for t in _unique(records, "task") if t in MAIN_METRIC]
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    axes = fig.subplots(
        1,
        max(len(tasks), 1),
        squeeze=False,
        width_ratios=[max(_unique(records[records["task"] == t], "target").size, 1) for t in tasks]
        or None,
    )
    fig.suptitle(f"Paper vs ours ({split} split)")
    if not tasks:
        _say_empty(axes[0, 0])
        return fig
    series_keys = [k for k in ("engine", "protocol") if k in records]
    series = list(records.groupby(series_keys, sort=False).groups) if series_keys else [()]
    colours = matplotlib.colormaps["tab10"]
    for ax, task in zip(axes[0], tasks, strict=True):
        metric, percent = MAIN_METRIC[task]
        factor = 100.0 if percent else 1.0
        rows = records[records["task"] == task]
        targets = list(_unique(rows, "target"))
        x = np.arange(len(targets), dtype=float)
        width = 0.8 / max(len(series), 1)
        column = f"metrics.{split}.{metric}"
        for index, key in enumerate(series):
            key = key if isinstance(key, tuple) else (key,)
            mask = np.ones(len(rows), dtype=bool)
            for name, value in zip(series_keys, key, strict=True):
                mask &= (rows[name] == value).to_numpy()
            means, stds = [], []
            for target in targets:
                values = _values(rows[mask & (rows["target"] == target).to_numpy()], column)
                values = values * factor
                means.append(values.mean() if values.size else np.nan)
                stds.append(values.std(ddof=1) if values.size > 1 else 0.0)
            offset = (index - (len(series) - 1) / 2) * width
            ax.bar(
                x + offset,
                means,
                width,
                yerr=stds,
                capsize=3,
                color=colours(index % 10),
                label=" / ".join(str(k) for k in key),
            )
        paper_values = [paper.get(str(t), {}).get(metric) for t in targets]
        if any(v is not None for v in paper_values):
            ax.scatter(
                x,
                [np.nan if v is None else v * factor for v in paper_values],
                marker="D",
                s=40,
                color="black",
                zorder=5,
                label="paper",
            )
        ax.set_xticks(x, [_wrap_target(t) for t in targets], fontsize="small")
        ax.set_ylabel(_METRIC_LABELS.get(metric, metric))
        ax.set_title(task)
        ax.grid(True, axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    # One legend for all axes: the series are the same, and a narrow axes has no room.
    handles: dict[str, Any] = {}
    for ax in axes[0]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig.legend(list(handles.values()), list(handles), loc="outside right upper", fontsize="small")
    return fig


def timing_bars(records: pd.DataFrame) -> Figure:
    """Training throughput (samples/s) per engine and backend, mean ± std over runs.

    Parameters
    ----------
    records : flat result records with a ``samples_per_second`` column.

    Returns
    -------
    Figure with one axes (which says so when there is nothing to draw).
    """
    fig = Figure(figsize=(FIGSIZE[0], 3.2), layout="constrained")
    ax = fig.subplots()
    ax.set_title("Training throughput")
    keys = [k for k in ("engine", "backend") if k in records]
    if records.empty or "samples_per_second" not in records or not keys:
        _say_empty(ax)
        return fig
    stats = (
        records.dropna(subset=["samples_per_second"])
        .groupby(keys, sort=False)["samples_per_second"]
        .agg(["mean", "std", "count"])
    )
    if stats.empty:
        _say_empty(ax)
        return fig
    labels = [
        " / ".join(str(k) for k in (i if isinstance(i, tuple) else (i,))) for i in stats.index
    ]
    y = np.arange(len(stats), dtype=float)
    colours = matplotlib.colormaps["tab10"]
    spread = stats["std"].fillna(0.0)
    ax.barh(
        y,
        stats["mean"],
        height=0.6,
        xerr=spread,
        capsize=3,
        color=[colours(i % 10) for i in range(len(stats))],
    )
    ax.set_axisbelow(True)
    for position, (mean, std, count) in enumerate(
        zip(stats["mean"], spread, stats["count"], strict=True)
    ):
        # Past the error bar's end, so the number is never struck through.
        ax.annotate(
            f"  {mean:.0f} ± {std:.0f} ({count} runs)",
            (mean + std, position),
            va="center",
            fontsize="small",
        )
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("samples / s (training)")
    ax.grid(True, axis="x", alpha=0.3)
    # Leave room for the annotation beside the longest bar.
    ax.set_xlim(0, float(np.nanmax(stats["mean"] + spread)) * 1.35)
    return fig


def save_figure(fig: Figure, folder: Path, stem: str, dpi: int = 120) -> list[Path]:
    """Write ``fig`` as ``stem.png`` and ``stem.svg`` under ``folder``.

    Returns
    -------
    The two paths written, PNG first.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{stem}.png", folder / f"{stem}.svg"]
    fig.savefig(paths[0], dpi=dpi)
    fig.savefig(paths[1])
    return paths


def _select(records: pd.DataFrame, **equal: object) -> pd.DataFrame:
    rows = records
    for column, value in equal.items():
        if value is None:
            continue
        if column not in rows:
            return rows.iloc[0:0]
        rows = rows[rows[column] == value]
    return rows


def _task(rows: pd.DataFrame) -> str:
    tasks = _unique(rows, "task")
    return str(tasks[0]) if tasks.size else "classification"


def _main_metric(rows: pd.DataFrame) -> str:
    return MAIN_METRIC.get(_task(rows), ("accuracy", True))[0]


def _unique(rows: pd.DataFrame, column: str) -> np.ndarray:
    if column not in rows:
        return np.array([], dtype=object)
    return rows[column].dropna().unique()


def _values(rows: pd.DataFrame, column: str) -> np.ndarray:
    if column not in rows:
        return np.array([], dtype=float)
    values = rows[column].to_numpy(dtype=float)
    return values[~np.isnan(values)]


def _curves(runs: pd.DataFrame, column: str) -> np.ndarray:
    """Stack per-fold curves into a (folds, epochs) array, NaN past a fold's last epoch."""
    if column not in runs:
        return np.empty((0, 0))
    curves = [list(c) for c in runs[column] if isinstance(c, Iterable) and not isinstance(c, str)]
    curves = [c for c in curves if c]
    if not curves:
        return np.empty((0, 0))
    length = max(len(c) for c in curves)
    stacked = np.full((len(curves), length), np.nan)
    for row, curve in enumerate(curves):
        stacked[row, : len(curve)] = np.asarray(curve, dtype=float)
    return stacked


def _draw_mean_band(
    ax: Axes,
    runs: pd.DataFrame,
    column: str,
    factor: float,
    colour: object,
    style: str,
    label: str,
) -> None:
    stacked = _curves(runs, column) * factor
    if stacked.size == 0:
        return
    epochs = np.arange(1, stacked.shape[1] + 1)
    counts = np.sum(~np.isnan(stacked), axis=0)
    mean = np.nansum(stacked, axis=0) / counts
    ax.plot(epochs, mean, style, color=colour, label=label)
    if stacked.shape[0] > 1:
        centred = np.where(np.isnan(stacked), 0.0, stacked - mean)
        spread = np.sqrt(np.sum(centred**2, axis=0) / np.maximum(counts - 1, 1))
        ax.fill_between(epochs, mean - spread, mean + spread, color=colour, alpha=0.15)


def _say_empty(ax: Axes) -> None:
    ax.text(0.5, 0.5, "no results", ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _wrap_target(target: object) -> str:
    # Label combinations are long (a+b+c+d): one label per line keeps ticks readable.
    return str(target).replace("+", "+\n")
