"""What a drawings folder holds: label counts, classes per target, image sizes, bad files,
and a grid of its drawings."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from bench.data.dataset import Dataset
from bench.data.drawings import load_drawings
from bench.data.stirling import AGE_CATEGORIES, AUTHORS, DRAWN, SUBJECTS
from bench.data.targets import class_counts

__all__ = ["describe_drawings", "drawings_grid", "inspect_folder"]


def inspect_folder(
    folder: str | Path, figure: str | Path | None = None, progress: bool = False
) -> tuple[str, Path | None]:
    """What ``ignet-bench data inspect`` shows: a drawings folder's summary, bad files
    included, and optionally a grid of its drawings per age category.

    Parameters
    ----------
    folder : str or Path
        A folder of Stirling-named drawings.
    figure : str or Path, optional
        Where to save the grid (PNG or SVG).
    progress : bool
        Show a progress bar while decoding.

    Returns
    -------
    summary : str
        :func:`describe_drawings` of the folder.
    figure : Path or None
        The grid saved, when ``figure`` was given.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bad files are listed in the summary instead
        dataset = load_drawings(folder, on_error="skip", progress=progress)
    summary = describe_drawings(dataset)
    return summary, None if figure is None else drawings_grid(folder, figure)


def describe_drawings(dataset: Dataset) -> str:
    """A plain-text summary of a loaded drawings folder."""
    labels = dataset.labels
    lines = [f"{len(dataset)} drawings by {labels['group'].nunique()} children"]
    if dataset.source is not None:
        lines[0] += f" in {dataset.source}"
    per_child = labels.groupby("group").size()
    lines.append(
        f"drawings per child: {per_child.min()} to {per_child.max()}, mean {per_child.mean():.2f}"
    )
    for column, names in (
        ("age_category", {c: c for c in AGE_CATEGORIES}),
        ("author", AUTHORS),
        ("subject", SUBJECTS),
        ("who_is_drawn", {value: value for value in DRAWN}),
    ):
        counts = labels[column].value_counts()
        parts = [f"{names.get(k, k)} {counts.get(k, 0)}" for k in names if counts.get(k, 0)]
        lines.append(f"{column}: " + ", ".join(parts))
    months = labels["age_months"]
    lines.append(
        f"age: {_years(months.min())} to {_years(months.max())}, "
        f"median {_years(int(months.median()))}, {months.nunique()} distinct ages"
    )
    lines.append(
        f"original image size (width x height): {_spread(labels['width'])} x "
        f"{_spread(labels['height'])}"
    )
    lines.append(
        f"loaded as {dataset.images.shape[2]}x{dataset.images.shape[1]}, "
        f"pixel mean {dataset.images.mean():.3f}"
    )
    lines.append("classes per target:")
    # Ours are counted from the labels; the paper's column holds its own count, if any.
    lines.append(f"  {'target':<42} {'ours':>5} {'paper':>5}")
    per_target = class_counts(labels)
    papers = ["-" if pd.isna(value) else str(value) for value in per_target["paper"]]
    lines.extend(
        f"  {target:<42} {classes:>5} {paper:>5}"
        for target, classes, paper in zip(
            per_target["target"], per_target["classes"], papers, strict=True
        )
    )
    if dataset.skipped:
        lines.append(f"bad files ({len(dataset.skipped)}):")
        lines.extend(f"  {name}: {reason}" for name, reason in dataset.skipped)
    else:
        lines.append("bad files: none")
    return "\n".join(lines)


def drawings_grid(folder: str | Path, path: str | Path, per_category: int = 6) -> Path:
    """Save a grid of drawings, one row per age category, youngest at the top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset = load_drawings(folder, size=(150, 200), on_error="skip")
    labels = dataset.labels
    categories = [c for c in AGE_CATEGORIES if (labels["age_category"] == c).any()]
    fig, axes = plt.subplots(
        len(categories),
        per_category,
        figsize=(1.5 * per_category, 2.1 * len(categories)),
        squeeze=False,
    )
    for row, category in enumerate(categories):
        chosen = _spread_choice(labels.index[labels["age_category"] == category], per_category)
        for col, ax in enumerate(axes[row]):
            ax.set_axis_off()
            if col < len(chosen):
                ax.imshow(dataset.images[chosen[col]], cmap="gray", vmin=0, vmax=1)
                ax.set_title(labels.loc[chosen[col], "file"], fontsize=6)
        axes[row][0].text(
            -0.08, 0.5, category, transform=axes[row][0].transAxes, ha="right", va="center"
        )
    fig.suptitle(f"Drawings per age category ({dataset.source})", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _spread_choice(index: pd.Index, k: int) -> list[int]:
    """Up to ``k`` rows spread evenly over ``index`` (deterministic)."""
    positions = np.linspace(0, len(index) - 1, num=min(k, len(index))).round().astype(int)
    return [int(index[p]) for p in positions]


def _years(months: int) -> str:
    return f"{months // 12}y{months % 12}m"


def _spread(values: pd.Series) -> str:
    if values.min() == values.max():
        return str(values.min())
    return f"{values.min()}-{values.max()} (median {int(values.median())})"
