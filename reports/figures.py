"""Matplotlib figures: learning curves, metrics, throughput, and the papers' example figures.

The result figures take flat result records; the example figures (augmented images,
confusion matrices, layer diagnostics, predicted attributes) take plain arrays and frames.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reports.tables import MAIN_METRIC

__all__ = [
    "augmentation_examples",
    "confusion_matrix",
    "diagnostic_table",
    "learning_curves",
    "metric_bars",
    "prediction_examples",
    "save_figure",
    "timing_bars",
]

# Figures are built without pyplot: nothing is registered with a GUI backend, so a report
# renders on a headless machine and figures are freed once the caller drops them.

# Sized to sit in an HTML column or a landscape A4 page without rescaling the text.
FIGSIZE = (9.0, 4.2)
_METRIC_LABELS = {"accuracy": "accuracy (%)", "mape": "MAPE (%)", "mae": "MAE (months)"}
# Beyond this many classes, numbers in the cells of a confusion matrix no longer fit.
_ANNOTATE_CLASSES = 12


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


def augmentation_examples(
    originals: np.ndarray,
    augmented: Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    row_labels: Sequence[str] | None = None,
) -> Figure:
    """Each original image followed by its augmented variants, one original per row.

    Like the drawings paper's Fig. 3. Images are grayscale ``(H, W)`` or RGB ``(H, W, 3)``
    with values in [0, 1] (``uint8`` in [0, 255] is accepted too); grayscale is drawn with
    a gray colormap on a fixed [0, 1] scale, so a brightness change stays visible.

    Parameters
    ----------
    originals : ``(n, H, W)`` or ``(n, H, W, 3)``, or a sequence of n images.
    augmented : ``augmented[i]`` is a ``(k_i, H, W[, 3])`` array of variants of original i.
        Rows may hold different numbers of variants; missing cells stay blank.
    titles : column titles: either one per column (the original's first) or one per
        variant column, in which case the first column is titled ``original``.
    row_labels : one label per row, written left of the original.

    Returns
    -------
    Figure with ``n * (1 + max k_i)`` axes (blank cells turned off), one image per drawn cell.
    """
    rows = [np.asarray(image) for image in originals]
    variants = [list(np.asarray(v)) if np.size(v) else [] for v in augmented]
    if len(variants) != len(rows):
        raise ValueError(f"{len(rows)} originals but {len(variants)} sets of variants")
    if row_labels is not None and len(row_labels) != len(rows):
        raise ValueError(f"{len(rows)} originals but {len(row_labels)} row labels")
    columns = 1 + max((len(v) for v in variants), default=0)
    if titles is None:
        titles = ["original", *(f"variant {j}" for j in range(1, columns))]
    elif len(titles) == columns - 1:
        titles = ["original", *titles]
    elif len(titles) != columns:
        raise ValueError(f"{len(titles)} titles for {columns} columns")
    height, width = rows[0].shape[:2] if rows else (1, 1)
    aspect = min(max(width / height, 0.5), 2.0)
    # About 1.4 in per cell keeps a 58-pixel drawing legible; many columns shrink the cells
    # so the figure still fits a page width.
    cell = min(1.4, 11.0 / (columns * aspect))
    fig = Figure(
        figsize=(cell * aspect * columns + 0.6, cell * max(len(rows), 1) + 0.5),
        layout="constrained",
    )
    if not rows:
        _say_empty(fig.subplots())
        return fig
    axes = fig.subplots(len(rows), columns, squeeze=False)
    for i, (original, row) in enumerate(zip(rows, variants, strict=True)):
        for j, ax in enumerate(axes[i]):
            if j > len(row):
                ax.set_axis_off()
                continue
            _show_image(ax, original if j == 0 else row[j - 1])
            if i == 0:
                ax.set_title(str(titles[j]), fontsize="small")
        if row_labels is not None:
            axes[i, 0].set_ylabel(str(row_labels[i]), fontsize="small")
    return fig


def confusion_matrix(
    matrix: np.ndarray,
    labels: Sequence[str],
    title: str = "",
    normalize: bool = True,
) -> Figure:
    """A confusion matrix as a heat map: rows are true classes, columns predicted ones.

    Parameters
    ----------
    matrix : ``(n, n)`` counts, ``matrix[i, j]`` = samples of class i predicted as j.
    labels : the n class names, in the matrix's order.
    title : axes title.
    normalize : divide each row by its sum, so a cell is the fraction of the true class
        predicted as that column (the diagonal is the per-class recall). Rows with no
        samples stay 0.

    Returns
    -------
    Figure with the matrix axes and a colorbar axes. Up to 12 classes every cell is
    annotated with its value; beyond that cells are not annotated and only every k-th
    class is labelled, so the ticks stay readable up to a few hundred classes.
    """
    values = np.asarray(matrix, dtype=float)
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        raise ValueError(f"a confusion matrix must be square, got shape {values.shape}")
    n = values.shape[0]
    if len(labels) != n:
        raise ValueError(f"{n} classes but {len(labels)} labels")
    values = np.nan_to_num(values, nan=0.0)
    if normalize:
        sums = values.sum(axis=1, keepdims=True)
        values = np.divide(values, sums, out=np.zeros_like(values), where=sums > 0)
    small = n <= _ANNOTATE_CLASSES
    side = 5.5 if small else 9.5
    fig = Figure(figsize=(side + 0.9, side), layout="constrained")
    ax = fig.subplots()
    top = 1.0 if normalize else max(float(values.max(initial=0.0)), 1.0)
    image = ax.imshow(values, cmap="Blues", vmin=0.0, vmax=top, interpolation="nearest")
    colorbar = fig.colorbar(image, ax=ax, shrink=0.8)
    colorbar.set_label("fraction of the true class" if normalize else "samples")
    names = [_shorten(str(label)) for label in labels]
    rows = names
    if normalize:
        # A row of zeros would otherwise read as a class never recognised.
        empty = ~(values.sum(axis=1) > 0)
        rows = [f"{name} (none)" if e else name for name, e in zip(names, empty, strict=True)]
    if small:
        ticks = np.arange(n)
        ax.set_xticks(ticks, names, rotation=45, ha="right", rotation_mode="anchor")
        ax.set_yticks(ticks, rows)
        whole = not normalize and np.allclose(values, np.round(values))
        for i in range(n):
            for j in range(n):
                value = values[i, j]
                text = f"{value:.0f}" if whole or value == 0 else f"{value:.2f}"
                # Dark cells get white text so the number stays readable on them.
                colour = "white" if value > 0.55 * top else "black"
                ax.text(j, i, text, ha="center", va="center", fontsize="small", color=colour)
    else:
        # About 45 labels per side at 6 pt fill a 9.5 in axes without overlapping.
        step = max(1, int(np.ceil(n / 45)))
        ticks = np.arange(0, n, step)
        ax.set_xticks(ticks, [names[t] for t in ticks], rotation=90, fontsize=6)
        ax.set_yticks(ticks, [rows[t] for t in ticks], fontsize=6)
        if step > 1:
            ax.text(
                1.0,
                1.01,
                f"one class in {step} labelled",
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize="x-small",
            )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title)
    return fig


def diagnostic_table(tables: Mapping[str, pd.DataFrame]) -> Figure:
    """Mean absolute weights, activations and gradients per layer, one axes per stage.

    Like the IgNet paper's Fig. 4: each stage (say ``before``, ``after 10x layer 2``,
    ``calibrated``) gets a grouped bar chart on a shared log scale, one bar group per
    weighted layer and one bar colour per quantity. NaN values are not drawn; values
    <= 0 cannot sit on a log axis, so they are marked with an ``x`` at a floor below the
    smallest positive value, and a note under the figure says so.

    Parameters
    ----------
    tables : stage name -> DataFrame with one row per weighted layer: a ``layer`` column
        (the row index is used when it is missing) and numeric columns such as
        ``weights``, ``inputs``, ``outputs``, ``weight_grads``, ``output_grads``.
        Other non-numeric columns are ignored.

    Returns
    -------
    Figure with one axes per stage (one axes saying so when there is nothing to draw) and
    one figure legend.
    """
    stages = list(tables.items())
    quantities: list[str] = []
    for _, frame in stages:
        for column in _numeric_columns(frame):
            if column not in quantities:
                quantities.append(column)
    layer_counts = [max(len(frame), 1) for _, frame in stages]
    bars = max(len(quantities), 1) * sum(layer_counts)
    # Wide enough for about 0.15 in per bar, but never wider than a landscape page.
    fig = Figure(figsize=(min(max(FIGSIZE[0], 2.0 + 0.15 * bars), 13.0), 4.6), layout="constrained")
    if not stages or not quantities:
        ax = fig.subplots()
        ax.set_title("Layer diagnostics")
        _say_empty(ax)
        return fig
    axes = fig.subplots(1, len(stages), sharey=True, squeeze=False, width_ratios=layer_counts)[0]
    fig.suptitle("Layer diagnostics: mean absolute values")
    data = [
        np.stack([_numeric(frame, q) for q in quantities], axis=1)
        if len(frame)
        else np.empty((0, len(quantities)))
        for _, frame in stages
    ]
    every = np.concatenate([d.ravel() for d in data])
    positive = every[np.isfinite(every) & (every > 0)]
    # A decade under the smallest real value: marks for zeros sit visibly below every bar.
    floor = 10.0 ** (np.floor(np.log10(positive.min())) - 1) if positive.size else 1e-12
    top = positive.max() if positive.size else 1.0
    clipped = 0
    missing = 0
    colours = matplotlib.colormaps["tab10"]
    width = 0.8 / len(quantities)
    for ax, (stage, frame), values in zip(axes, stages, data, strict=True):
        ax.set_title(str(stage), fontsize="medium")
        ax.set_yscale("log")
        x = np.arange(len(frame), dtype=float)
        for index, quantity in enumerate(quantities):
            series = values[:, index]
            offset = (index - (len(quantities) - 1) / 2) * width
            good = np.isfinite(series) & (series > 0)
            ax.bar(
                x[good] + offset,
                series[good],
                width,
                color=colours(index % 10),
                label=quantity,
            )
            low = np.isfinite(series) & (series <= 0)
            if low.any():
                ax.scatter(
                    x[low] + offset,
                    np.full(int(low.sum()), floor),
                    marker="x",
                    s=30,
                    color=colours(index % 10),
                    zorder=5,
                    clip_on=False,
                )
            clipped += int(low.sum())
            missing += int(np.isnan(series).sum())
        ax.set_xticks(x, _layer_names(frame), fontsize="small", rotation=30, ha="right")
        ax.grid(True, axis="y", which="major", alpha=0.3)
        ax.set_axisbelow(True)
        ax.set_xlim(-0.6, max(len(frame), 1) - 0.4)
        if not len(frame):
            _say_empty(ax)
    axes[0].set_ylabel("mean |value| (log scale)")
    axes[0].set_ylim(floor / 2.0, top * 3.0)
    fig.legend(
        *axes[0].get_legend_handles_labels(),
        loc="outside right upper",
        fontsize="small",
    )
    notes = []
    if clipped:
        notes.append(f"x: {clipped} value(s) <= 0, drawn at {floor:.0e} (no log value)")
    if missing:
        notes.append(f"{missing} NaN value(s) not drawn")
    if notes:
        fig.supxlabel("; ".join(notes), fontsize="small", style="italic")
    return fig


def prediction_examples(
    images: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    names: Sequence[str],
    columns: int = 4,
) -> Figure:
    """Test images with their predicted and true attribute vectors written underneath.

    Like the face paper's Fig. 2. Under each image: ``pred 0101000110`` and
    ``true 0100000111``; when they differ the ``pred`` line is red and a third line puts
    a ``^`` under every wrong attribute (monospace, so the marks line up with the digits).

    Parameters
    ----------
    images : ``(n, H, W)`` or ``(n, H, W, 3)`` in [0, 1] (``uint8`` accepted).
    y_true : ``(n, m)`` 0/1 attributes (``(n,)`` for a single attribute).
    y_pred : ``(n, m)`` predictions, 0/1 or probabilities (thresholded at 0.5).
    names : the m attribute names, in vector order; listed in a caption line.
    columns : images per row.

    Returns
    -------
    Figure with ``ceil(n / columns) * columns`` axes (unused cells turned off), one image
    per example.
    """
    pictures = [np.asarray(image) for image in images]
    truth = _binary(y_true, len(pictures))
    guess = _binary(y_pred, len(pictures))
    if truth.shape != guess.shape:
        raise ValueError(f"y_true {truth.shape} and y_pred {guess.shape} differ in shape")
    m = truth.shape[1]
    if len(names) != m:
        raise ValueError(f"{m} attributes but {len(names)} names")
    columns = max(1, min(columns, max(len(pictures), 1)))
    rows = max(1, -(-len(pictures) // columns))
    # Wide enough for "pred " plus one monospace digit per attribute at small size.
    cell = max(1.7, 0.085 * (5 + m) + 0.3)
    fig = Figure(figsize=(cell * columns + 0.4, (cell + 0.5) * rows + 0.5), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False)
    for index, ax in enumerate(axes.ravel()):
        if index >= len(pictures):
            ax.set_axis_off()
            continue
        _show_image(ax, pictures[index])
        wrong = truth[index] != guess[index]
        lines = [
            (f"pred {_bits(guess[index])}", "tab:red" if wrong.any() else "black"),
            (f"true {_bits(truth[index])}", "black"),
        ]
        if wrong.any():
            marks = "".join("^" if w else " " for w in wrong)
            lines.append((f"     {marks}", "tab:red"))
        for line, (text, colour) in enumerate(lines):
            ax.annotate(
                text,
                xy=(0.5, 0.0),
                xycoords="axes fraction",
                xytext=(0, -3 - 9.5 * line),
                textcoords="offset points",
                ha="center",
                va="top",
                family="monospace",
                fontsize=8,
                color=colour,
            )
    # No-break spaces keep each number with its name when the caption wraps.
    listed = ", ".join(f"{i + 1} {name}".replace(" ", "\u00a0") for i, name in enumerate(names))
    caption = textwrap.fill(f"Attributes, left to right: {listed}", width=int(cell * columns * 13))
    fig.supxlabel(caption, fontsize="small")
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
    metric = MAIN_METRIC.get(_task(rows), ("accuracy", True))[0]
    # The engines log no per-epoch F for multi-label runs, only per-label accuracy.
    if f"curve.{metric}" not in rows and "curve.accuracy" in rows:
        return "accuracy"
    return metric


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


def _show_image(ax: Axes, image: np.ndarray) -> None:
    """Draw one grayscale or RGB image on a fixed scale, without ticks but keeping labels."""
    picture = np.asarray(image)
    if picture.ndim == 3 and picture.shape[-1] == 1:
        picture = picture[..., 0]
    if picture.ndim not in (2, 3) or (picture.ndim == 3 and picture.shape[-1] not in (3, 4)):
        raise ValueError(f"expected an (H, W) or (H, W, 3) image, got shape {picture.shape}")
    if picture.dtype == np.uint8:
        picture = picture / 255.0
    # Clipped rather than rescaled: an augmentation that brightens should look brighter.
    picture = np.clip(picture.astype(float), 0.0, 1.0)
    if picture.ndim == 2:
        ax.imshow(picture, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        ax.imshow(picture, interpolation="nearest")
    # Ticks off but the frame kept: set_axis_off would also hide a row label.
    ax.set_xticks([])
    ax.set_yticks([])


def _shorten(label: str, limit: int = 24) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _numeric_columns(frame: pd.DataFrame) -> list[str]:
    return [
        str(c)
        for c in frame.columns
        if c != "layer"
        and pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
    ]


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame or column not in _numeric_columns(frame):
        return np.full(len(frame), np.nan)
    return frame[column].to_numpy(dtype=float)


def _layer_names(frame: pd.DataFrame) -> list[str]:
    names = frame["layer"] if "layer" in frame else frame.index
    return [_shorten(str(name), 16) for name in names]


def _binary(values: np.ndarray, count: int) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2 or array.shape[0] != count:
        raise ValueError(f"expected ({count}, attributes) labels, got shape {array.shape}")
    return (array >= 0.5).astype(int)


def _bits(vector: np.ndarray) -> str:
    return "".join(str(int(v)) for v in vector)
