"""Matplotlib figures: learning curves, forest plots of the claims, throughput, and the papers'
example figures.

The result figures take flat result records; the example figures (augmented images,
confusion matrices, layer diagnostics, predicted attributes) take plain arrays and frames.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator, PercentFormatter

from reports.tables import MAIN_METRIC

__all__ = [
    "augmentation_examples",
    "confusion_matrix",
    "diagnostic_table",
    "forest_plot",
    "learning_curves",
    "prediction_examples",
    "save_figure",
    "svg_text",
    "timing_bars",
]

# Figures are built without pyplot: nothing is registered with a GUI backend, so a report
# renders on a headless machine and figures are freed once the caller drops them.

#: The largest a figure is printed, in inches: the PDF's text width (267 mm of a landscape
#: A4 page), the height that lets two figures and their captions share a page, and a
#: page's height less a caption. Every figure is drawn at the size it is printed, so the
#: PDF sets its text at the size drawn (reports.typeset shrinks only what exceeds a page).
TEXT_WIDTH = 10.5
HALF_PAGE = 2.9
FULL_PAGE = 5.9
#: The smallest text a figure sets, in points: the report's small print.
SMALL = 9.0
_METRIC_LABELS = {"accuracy": "accuracy (%)", "mape": "MAPE (%)", "mae": "MAE (months)"}
# Beyond this many classes, numbers in the cells of a confusion matrix no longer fit.
_ANNOTATE_CLASSES = 12
# Log-axis ticks as plain numbers (0.1, 1e-05): a power of ten's exponent would be set
# smaller than the report's smallest text.
_PLAIN = FuncFormatter(lambda value, _position: f"{value:g}")
# The height of a line of a claim's label in the forest plot, in inches (9 pt labels),
# and the characters a label's line holds before it wraps.
_FOREST_LINE = 0.18
_FOREST_LABEL = 44


def learning_curves(
    records: pd.DataFrame,
    targets: Sequence[str] | None = None,
    paper: Mapping[str, float | None] | None = None,
) -> Figure:
    """The main metric per epoch, training vs validation, mean over folds with a band.

    Like the paper's Figs. 6 and 8, one axes per target: accuracy (classification) or
    MAPE (regression) per epoch. Each engine, backend and protocol gets one colour;
    training is drawn solid and validation dashed, the paper's number as a dotted line.
    The band spans one standard deviation over folds. Folds that stopped early are
    shorter: each epoch is averaged over the folds that reached it.

    Parameters
    ----------
    records : flat result records, with ``curve.*`` columns holding one list per row.
    targets : the targets (label combination or ``age_months``) to draw, one axes each;
        ``None`` draws every target present.
    paper : target -> the paper's number for its main metric (accuracy as a fraction).

    Returns
    -------
    Figure with one axes per target. An axes with no curve to draw says so.
    """
    paper = paper or {}
    targets = list(targets) if targets is not None else [str(t) for t in _unique(records, "target")]
    columns = min(max(len(targets), 1), 3)
    rows_of_axes = -(-max(len(targets), 1) // columns)
    # A row of axes and the legend under it in 2.6 in: a little under half a page, so that
    # the figure shares a page with a table more often.
    height = min(FULL_PAGE, 2.6 + 2.3 * (rows_of_axes - 1))
    fig = Figure(figsize=(TEXT_WIDTH, height), layout="constrained")
    axes = fig.subplots(rows_of_axes, columns, squeeze=False).ravel()
    colours = matplotlib.colormaps["tab10"]
    keys = [k for k in ("engine", "backend", "protocol") if k in records]
    series = (
        list(dict.fromkeys(records.groupby(keys, sort=False).groups))
        if keys and len(records)
        else []
    )
    for ax, target in zip(axes, targets, strict=False):
        rows = _select(records, target=target)
        metric = _main_metric(rows)
        # A multi-label run logs per-label accuracy per epoch, not the F it is judged by:
        # drawn in percent, and without the paper's F as if it were on the same scale.
        judged = metric == MAIN_METRIC.get(_task(rows), ("accuracy", True))[0]
        scale = 100.0 if metric == "accuracy" else 1.0
        ax.set_title(_wrapped(str(target)), fontsize=10)
        groups: Any = rows.groupby(keys, sort=False) if keys and not rows.empty else []
        for key, runs in groups:
            label = " / ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
            colour = colours(series.index(key) % 10 if key in series else 0)
            for prefix, style, side in (("", "-", "train"), ("val_", "--", "validation")):
                _draw_mean_band(
                    ax, runs, f"curve.{prefix}{metric}", scale, colour, style, f"{label} {side}"
                )
        claimed = paper.get(target)
        if claimed is not None and ax.lines and judged:
            ax.axhline(claimed * scale, color="black", linewidth=1, linestyle=":", label="paper")
        ax.set_xlabel("epoch")
        ax.set_ylabel(("" if judged else "per-label ") + _METRIC_LABELS.get(metric, metric))
        ax.grid(True, alpha=0.3)
        if ax.lines:
            # Epochs are whole passes: fractional ticks would only mislead.
            ax.xaxis.get_major_locator().set_params(integer=True)
        else:
            _say_empty(ax)
    for ax in axes[len(targets) :]:
        ax.set_axis_off()
    if not targets:
        _say_empty(axes[0])
    handles: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    if handles:
        # The same series in every axes: one legend below keeps it off the curves.
        # Three columns of long labels ("keras / tensorflow / stratified-cv validation")
        # would run past the figure's edges.
        columns = 3 if max(len(label) for label in handles) <= 36 else 2
        fig.legend(
            list(handles.values()),
            list(handles),
            loc="outside lower center",
            ncols=columns,
            fontsize=SMALL,
        )
    return fig


def timing_bars(records: pd.DataFrame) -> Figure:
    """Training throughput (samples/s) per engine and backend, mean ± std over runs, each
    bar labelled with its ratio to the slowest.

    Parameters
    ----------
    records : flat result records with a ``samples_per_second`` column.

    Returns
    -------
    Figure with one axes (which says so when there is nothing to draw).
    """
    keys = [k for k in ("engine", "backend") if k in records]
    stats = (
        records.dropna(subset=["samples_per_second"])
        .groupby(keys, sort=False)["samples_per_second"]
        .agg(["mean", "std", "count"])
        if len(records) and "samples_per_second" in records and keys
        else pd.DataFrame()
    )
    # A bar's height in inches keeps its 9 pt label clear of the next bar's.
    fig = Figure(
        figsize=(TEXT_WIDTH, min(HALF_PAGE, 1.2 + 0.35 * max(len(stats), 1))),
        layout="constrained",
    )
    ax = fig.subplots()
    ax.set_title("Training throughput", fontsize=10)
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
    slowest = float(stats["mean"].min())
    for position, (mean, std, count) in enumerate(
        zip(stats["mean"], spread, stats["count"], strict=True)
    ):
        # Past the error bar's cap by a few points, so the number is never struck through.
        ax.annotate(
            f"{mean:.0f} ± {std:.0f} ({count} runs), {_ratio(mean / slowest)} the slowest",
            (mean + std, position),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=SMALL,
        )
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("samples / s (training)")
    ax.grid(True, axis="x", alpha=0.3)
    # Leave room for the annotation beside the longest bar.
    ax.set_xlim(0, float(np.nanmax(stats["mean"] + spread)) * 1.6)
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
    # Up to 1.4 in per cell keeps a 58-pixel drawing legible; the cells shrink so that the
    # figure, its row labels beside it (about 2 in), fits the height of half a page.
    labels = 2.0 if row_labels is not None else 0.0
    cell = min(
        1.4,
        (TEXT_WIDTH - labels - 0.2) / (columns * aspect),
        (HALF_PAGE - 0.4) / max(len(rows), 1),
    )
    fig = Figure(
        figsize=(cell * aspect * columns + labels + 0.2, cell * max(len(rows), 1) + 0.4),
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
                ax.set_title(str(titles[j]), fontsize=SMALL)
        if row_labels is not None:
            # Across, beside the row: a file name read upwards would outgrow the cell.
            axes[i, 0].set_ylabel(
                str(row_labels[i]), fontsize=SMALL, rotation=0, ha="right", va="center"
            )
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
        predicted as that column (the diagonal is the per-class recall), written in the
        cell as a whole percent. Rows with no samples stay 0.

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
    # Half the text width, so that two sit side by side; a row of cells is 0.2 in, room
    # for a 9 pt number. Many classes take a page.
    height = min(FULL_PAGE, max(HALF_PAGE, 1.3 + 0.2 * n)) if small else FULL_PAGE
    fig = Figure(figsize=(4.9 if small else 7.0, height), layout="constrained")
    ax = fig.subplots()
    top = 1.0 if normalize else max(float(values.max(initial=0.0)), 1.0)
    image = ax.imshow(values, cmap="Blues", vmin=0.0, vmax=top, interpolation="nearest")
    colorbar = fig.colorbar(image, ax=ax, shrink=0.8)
    colorbar.set_label("share of the true class" if normalize else "samples", fontsize=SMALL)
    colorbar.ax.tick_params(labelsize=SMALL)
    if normalize:
        colorbar.ax.yaxis.set_major_formatter(PercentFormatter(1.0))
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
                # A share as a whole percent: two digits fit a cell at 9 pt, 0.75 would not.
                if normalize:
                    text = f"{100 * value:.0f}"
                else:
                    text = f"{value:.0f}" if whole or value == 0 else f"{value:.2f}"
                # Dark cells get white text so the number stays readable on them.
                colour = "white" if value > 0.55 * top else "black"
                ax.text(j, i, text, ha="center", va="center", fontsize=SMALL, color=colour)
    else:
        # About 30 labels per side at 9 pt fill a page-high axes without overlapping.
        step = max(1, int(np.ceil(n / 30)))
        ticks = np.arange(0, n, step)
        ax.set_xticks(ticks, [names[t] for t in ticks], rotation=90, fontsize=SMALL)
        ax.set_yticks(ticks, [rows[t] for t in ticks], fontsize=SMALL)
        if step > 1:
            ax.text(
                1.0,
                1.01,
                f"one class in {step} labelled",
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=SMALL,
            )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title, fontsize=10)
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
    # About 0.15 in per bar, and never wider than the text.
    width = min(max(0.7 * TEXT_WIDTH, 2.5 + 0.15 * bars), TEXT_WIDTH)
    fig = Figure(figsize=(width, 3.2), layout="constrained")
    if not stages or not quantities:
        ax = fig.subplots()
        ax.set_title("Layer diagnostics")
        _say_empty(ax)
        return fig
    axes = fig.subplots(1, len(stages), sharey=True, squeeze=False, width_ratios=layer_counts)[0]
    fig.suptitle("Layer diagnostics: mean absolute values", fontsize=10)
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
        ax.set_title(str(stage), fontsize=10)
        ax.set_yscale("log")
        # Minor ticks over many decades cost seconds to lay out and say little.
        ax.yaxis.set_major_locator(LogLocator(numticks=8))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(_PLAIN)
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
        ax.set_xticks(x, _layer_names(frame), fontsize=SMALL, rotation=30, ha="right")
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
        fontsize=SMALL,
    )
    notes = []
    if clipped:
        notes.append(f"x: {clipped} value(s) <= 0, drawn at {floor:.0e} (no log value)")
    if missing:
        notes.append(f"{missing} NaN value(s) not drawn")
    if notes:
        fig.supxlabel("; ".join(notes), fontsize=SMALL, style="italic")
    return fig


def prediction_examples(
    images: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    names: Sequence[str],
    columns: int = 6,
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
    columns : images per row, at most as many as the text's width holds.

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
    # Wide enough for "pred " plus one monospace digit (0.075 in at 9 pt) per attribute.
    cell = max(1.5, 0.075 * (5 + m) + 0.25)
    fitting = max(1, int((TEXT_WIDTH - 0.4) // cell))
    columns = max(1, min(columns, fitting, max(len(pictures), 1)))
    rows = max(1, -(-len(pictures) // columns))
    # An image 1.1 in high, its three lines of 9 pt under it, and the list of attributes.
    fig = Figure(figsize=(cell * columns + 0.4, 1.65 * rows + 0.5), layout="constrained")
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
                xytext=(0, -3 - 10.5 * line),
                textcoords="offset points",
                ha="center",
                va="top",
                family="monospace",
                fontsize=SMALL,
                color=colour,
            )
    # No-break spaces keep each number with its name when the caption wraps.
    listed = ", ".join(f"{i + 1} {name}".replace(" ", "\u00a0") for i, name in enumerate(names))
    caption = textwrap.fill(f"Attributes, left to right: {listed}", width=int(cell * columns * 13))
    fig.supxlabel(caption, fontsize=SMALL)
    return fig


def save_figure(fig: Figure | str, folder: Path, stem: str) -> Path:
    """Write ``fig`` (or its SVG text, drawn before) as ``stem.svg`` under ``folder``:
    vector for the PDF, and the HTML shows the same file inline.

    Returns
    -------
    The path written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.svg"
    path.write_text(fig if isinstance(fig, str) else svg_text(fig, stem), encoding="utf-8")
    return path


def svg_text(fig: Figure, stem: str) -> str:
    """``fig`` drawn as SVG, its ids salted with ``stem`` so that two figures inlined in one
    page never share one."""
    drawn = io.StringIO()
    # Text as text, not as outlines: smaller files, drawn faster, and searchable.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": stem}):
        fig.savefig(drawn, format="svg")
    return drawn.getvalue()


def forest_plot(rows: pd.DataFrame, title: str = "") -> Figure:
    """Our mean with its interval per claim and protocol, the paper's number as a marker.

    Parameters
    ----------
    rows : one row per claim and protocol with ``group`` (the axes it goes on, e.g.
        ``accuracy (%)``; a group whose name starts with ``time ratio`` gets a log
        scale), ``label`` (the claim), ``protocol``, ``mean``, ``low``, ``high`` (NaN where
        there is no interval) and ``paper`` (NaN where the paper gives no number), all in
        the units shown.
    title : the figure's title.

    Returns
    -------
    Figure with one axes per group, claims top to bottom in ``rows``' order; an axes
    saying so when ``rows`` is empty.
    """
    groups = list(dict.fromkeys(rows["group"])) if len(rows) else []
    # A group's height in lines of its claims' labels, wrapped, and three for its axis.
    lines = {
        g: sum(_forest_label(label).count("\n") + 1 for label in _claims_of(rows, g)) + 3
        for g in groups
    }
    # Many claims go in two columns of axes, balanced by lines, so the figure stays wide.
    columns: list[list[str]] = [[], []] if sum(lines.values()) > 24 else [[]]
    for group in sorted(groups, key=lambda g: -lines[g]):
        min(columns, key=lambda c: sum(lines[g] for g in c)).append(group)
    columns = [[g for g in groups if g in column] for column in columns if column]
    tallest = max((sum(lines[g] for g in c) for c in columns), default=0)
    height = min(FULL_PAGE, max(0.5 + _FOREST_LINE * tallest, 2.0))
    fig = Figure(figsize=(TEXT_WIDTH, height), layout="constrained")
    if title:
        fig.suptitle(title)
    if not groups:
        _say_empty(fig.subplots())
        return fig
    panels = fig.subfigures(1, len(columns), squeeze=False)[0]
    protocols = list(dict.fromkeys(rows["protocol"]))
    axes = []
    for panel, column in zip(panels, columns, strict=True):
        ratios = [lines[g] for g in column]
        axes += list(panel.subplots(len(column), 1, squeeze=False, height_ratios=ratios)[:, 0])
    for ax, group in zip(axes, [g for c in columns for g in c], strict=True):
        _forest_axes(ax, rows[rows["group"] == group], str(group), protocols)
    handles: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig.legend(
        list(handles.values()), list(handles), loc="outside lower center", ncols=6, fontsize=SMALL
    )
    return fig


def _forest_axes(ax: Axes, shown: pd.DataFrame, group: str, protocols: list[Any]) -> None:
    """One measure's claims: an interval per protocol, the paper's number as a diamond."""
    colours = matplotlib.colormaps["tab10"]
    labels = list(dict.fromkeys(shown["label"]))
    wrapped = [_forest_label(label) for label in labels]
    # A claim takes as many lines as its label, and sits in their middle; y counts lines.
    heights = np.array([text.count("\n") + 1 for text in wrapped], dtype=float)
    middle = dict(zip(labels, np.cumsum(heights) - heights / 2, strict=True))
    step = 0.7 / max(len(protocols), 1)
    for index, protocol in enumerate(protocols):
        mine = shown[shown["protocol"] == protocol]
        if mine.empty:
            continue
        y = np.array([middle[label] for label in mine["label"]], dtype=float)
        y += (index - (len(protocols) - 1) / 2) * step
        mean = mine["mean"].to_numpy(dtype=float)
        spread = np.vstack(
            [
                np.nan_to_num(mean - mine["low"].to_numpy(dtype=float)),
                np.nan_to_num(mine["high"].to_numpy(dtype=float) - mean),
            ]
        )
        ax.errorbar(
            mean,
            y,
            xerr=np.clip(spread, 0, None),
            fmt="o",
            markersize=3,
            capsize=2,
            color=colours(index % 10),
            label=str(protocol),
        )
    paper = shown.drop_duplicates("label").set_index("label")["paper"]
    ax.scatter(
        [paper.get(label, np.nan) for label in labels],
        [middle[label] for label in labels],
        marker="D",
        s=24,
        facecolors="none",
        edgecolors="black",
        zorder=5,
        label="paper",
    )
    ax.set_yticks([middle[label] for label in labels], wrapped)
    ax.tick_params(labelsize=SMALL)
    ax.set_ylim(float(heights.sum()) + 0.2, -0.2)
    ax.set_xlabel(group, fontsize=SMALL)
    if group.startswith("time ratio"):
        ax.set_xscale("log")
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(_PLAIN)
    ax.grid(True, axis="x", alpha=0.3)


def _claims_of(rows: pd.DataFrame, group: str) -> list[str]:
    return list(dict.fromkeys(rows.loc[rows["group"] == group, "label"]))


def _forest_label(label: str) -> str:
    """A claim's label on lines short enough to leave its axes half a column."""
    return textwrap.fill(str(label), _FOREST_LABEL, break_on_hyphens=False)


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
    # A single epoch has no line to draw: a marker keeps it visible.
    marker = "o" if epochs.size == 1 else None
    ax.plot(epochs, mean, style, color=colour, label=label, marker=marker)
    if stacked.shape[0] > 1:
        centred = np.where(np.isnan(stacked), 0.0, stacked - mean)
        spread = np.sqrt(np.sum(centred**2, axis=0) / np.maximum(counts - 1, 1))
        ax.fill_between(epochs, mean - spread, mean + spread, color=colour, alpha=0.15)


def _say_empty(ax: Axes) -> None:
    ax.text(0.5, 0.5, "no results", ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


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


def _wrapped(label: str, width: int = 30) -> str:
    """A label combination on lines of at most ``width`` characters, broken after a +."""
    return textwrap.fill(label.replace("+", "+ "), width).replace("+ ", "+")


def _ratio(value: float) -> str:
    """A ratio as a label prints it: two decimals below 10, where 1.0x could hide a 1.04x."""
    return f"{value:.2f}x" if value < 10 else f"{value:.0f}x"


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
