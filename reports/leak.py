"""The leak curve: score against augmentation strength, per engine and protocol.

The ``leak_curve`` experiment runs every engine at several augmentation strengths (and
enlargements) under the paper protocol, image-split and leak-free. :func:`leak_points`
reduces its records to one point per run, protocol, target, strength and enlargement;
:func:`leak_figure` draws one target's curves with the paper's claim as a line and, when
given, a ceiling as a band (:func:`oracle_ceiling`, from the oracle's leak-free runs);
:func:`reach_sentences` says in words where a claim is reached.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from reports.figures import HALF_PAGE, SMALL, TEXT_WIDTH
from reports.tables import HIGHER_IS_BETTER, MAIN_METRIC

__all__ = [
    "at_strength",
    "is_sweep",
    "leak_figure",
    "leak_points",
    "oracle_ceiling",
    "reach_sentences",
    "roles",
]

# A sweep's suffix of a variant name (bench.experiment): "fig5 strength 0.5 copies 10".
_SWEPT = re.compile(r"(?: (?:strength|copies|learn_test) [-+.\deE]+)+$")
_STRENGTH = re.compile(r" strength ([-+.\deE]+)")
_COPIES = re.compile(r" copies ([-+.\deE]+)")
_LineStyle = Literal["-", "--", ":", "-."]
_PROTOCOL_STYLE: dict[str, _LineStyle] = {
    "paper-ignet": "-",
    "paper-keras": "-",
    "image-split": "--",
    "leak-free": ":",
}
# Long enough that a dashed and a dotted line read as such at 9 pt.
_HANDLE_LENGTH = 4.0


def roles(records: pd.DataFrame) -> pd.Series:
    """Each record's role for the report: ``network`` (under test), ``baseline`` (a floor
    to clear) or ``ceiling`` (the best the data supports, never graded), from the
    ``role`` column the suite adds from its engine registry; ``network`` without one."""
    if "role" not in records:
        return pd.Series("network", index=records.index)
    return records["role"].fillna("network")


def leak_points(records: pd.DataFrame) -> pd.DataFrame:
    """One row per run, protocol, target, strength and enlargement: the test score over folds.

    Parameters
    ----------
    records : DataFrame
        Flat result records (``pd.json_normalize`` of the JSON lines) of a sweep.

    Returns
    -------
    DataFrame
        Columns run, engine, role (:func:`roles`), protocol, target, task, metric,
        strength, copies, mean, low, high (the smallest and largest fold), folds, trivial
        (mean over folds). Accuracy is
        a fraction, MAPE a percentage, as in the records.
    """
    rows = records
    if "status" in rows:
        rows = rows[rows["status"].fillna("ok") == "ok"]
    points = []
    for task, metric_rows in rows.groupby("task", sort=False):
        metric = MAIN_METRIC[str(task)][0]
        score, trivial = f"metrics.test.{metric}", f"metrics.trivial.{metric}"
        frame = metric_rows.assign(
            run=metric_rows["variant"].str.replace(_SWEPT, "", regex=True),
            strength=_option(metric_rows, "strength", 1.0),
            copies=_option(metric_rows, "copies", np.nan),
            role=roles(metric_rows),
        )
        keys = ["run", "engine", "role", "protocol", "target", "strength", "copies"]
        for key, group in frame.groupby(keys, sort=False, dropna=False):
            values = group[score].to_numpy(dtype=float)
            points.append(
                {
                    **dict(zip(keys, key, strict=True)),
                    "task": task,
                    "metric": metric,
                    "mean": float(values.mean()),
                    "low": float(values.min()),
                    "high": float(values.max()),
                    "folds": len(values),
                    "trivial": float(group[trivial].mean()),
                }
            )
    columns = ["run", "engine", "role", "protocol", "target", "task", "metric", "strength"]
    columns.append("copies")
    extra = ["mean", "low", "high", "folds", "trivial"]
    return pd.DataFrame(points, columns=columns + extra).sort_values(
        ["target", "run", "protocol", "copies", "strength"], ignore_index=True
    )


def is_sweep(records: pd.DataFrame) -> bool:
    """Whether ``records`` hold a sweep: some run's name carries a sweep point's suffix."""
    return "variant" in records and bool(records["variant"].astype(str).str.contains(_SWEPT).any())


def at_strength(evidence: pd.DataFrame, strength: float = 1.0) -> pd.DataFrame:
    """A sweep's evidence rows at the swept augmentation strength nearest ``strength``.

    Parameters
    ----------
    evidence : DataFrame
        ``bench.claims.evidence_table`` of a sweep's records: each sweep point is a run of
        its own ("1nn pixels strength 1 copies 10").
    strength : float
        The strength wanted (1: the paper's ranges); a swept run whose name gives no
        strength ran at 1.

    Returns
    -------
    DataFrame
        The evidence columns, ``run`` without the sweep's suffix, ``strength`` (the one
        kept: ``strength`` itself where it was swept) and ``copies`` (the enlargement, NaN
        where not swept). Runs outside the sweep (the oracle) are left out.
    """
    runs = evidence["run"].astype(str)
    swept = runs.str.contains(_SWEPT)
    strengths = runs.str.extract(_STRENGTH, expand=False).astype(float).fillna(1.0)
    if not swept.any():
        return evidence.iloc[0:0].assign(strength=[], copies=[])
    nearest = strengths[swept].iloc[int(np.argmin(np.abs(strengths[swept] - strength)))]
    chosen = swept & np.isclose(strengths, nearest)
    return evidence[chosen].assign(
        run=runs[chosen].str.replace(_SWEPT, "", regex=True),
        strength=nearest,
        copies=runs[chosen].str.extract(_COPIES, expand=False).astype(float),
    )


def leak_figure(
    points: pd.DataFrame,
    target: str,
    claim: float | None = None,
    ceiling: tuple[float, float] | None = None,
) -> Figure:
    """Score against strength for one target: a colour per run, a line style per protocol.

    Parameters
    ----------
    points : DataFrame
        From :func:`leak_points`.
    target : str
    claim : float, optional
        The paper's number for the target, drawn as a horizontal line (accuracy as a
        fraction, MAPE in percent).
    ceiling : (low, high), optional
        A band for the best score the data supports (an oracle's interval).

    Returns
    -------
    Figure
        One panel per enlargement (``copies``).
    """
    rows = points[(points["target"] == target) & (points["role"] != "ceiling")]
    enlargements = list(dict.fromkeys(rows["copies"].tolist())) or [np.nan]
    figure = Figure(figsize=(TEXT_WIDTH, HALF_PAGE), layout="constrained")
    axes = figure.subplots(1, len(enlargements), sharey=True, squeeze=False)[0]
    metric = rows["metric"].iloc[0] if len(rows) else "accuracy"
    scale = 100.0 if metric in ("accuracy",) else 1.0
    colours = matplotlib.colormaps["tab10"]
    runs = list(dict.fromkeys(rows["run"].tolist()))
    for ax, copies in zip(axes, enlargements, strict=True):
        panel = rows[rows["copies"].isna()] if pd.isna(copies) else rows[rows["copies"] == copies]
        if ceiling is not None:
            ax.axhspan(ceiling[0] * scale, ceiling[1] * scale, color="0.85", label="ceiling")
        if claim is not None:
            ax.axhline(claim * scale, color="black", linewidth=1.0, label="paper's claim")
        for (run, protocol), line in panel.groupby(["run", "protocol"], sort=False):
            line = line.sort_values("strength")
            colour = colours(runs.index(run) % 10)
            x = line["strength"].to_numpy(dtype=float)
            ax.plot(
                x,
                line["mean"].to_numpy(dtype=float) * scale,
                _PROTOCOL_STYLE.get(str(protocol), "-."),
                color=colour,
                marker="o",
                markersize=3,
                label=f"{run}, {protocol}",
            )
            ax.fill_between(
                x,
                line["low"].to_numpy(dtype=float) * scale,
                line["high"].to_numpy(dtype=float) * scale,
                color=colour,
                alpha=0.12,
                linewidth=0,
            )
        if len(panel):
            # Crosses, not a line style: the protocols have those.
            ax.plot(
                *_trivial_line(panel, scale),
                color="0.5",
                linewidth=0.8,
                marker="x",
                markersize=4,
                label="trivial",
            )
        title = target if pd.isna(copies) else f"{target}, x{copies:g}"
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("augmentation strength (1 = the paper's ranges)")
    axes[0].set_ylabel("accuracy (%)" if metric == "accuracy" else f"{metric.upper()} (%)")
    # One legend per channel: the run by colour, the protocol by line style (and the
    # reference lines), rather than one entry per run and protocol.
    by_colour = [Line2D([], [], color=colours(runs.index(run) % 10), marker="o") for run in runs]
    order = list(_PROTOCOL_STYLE)  # the paper's protocols first, leak-free last
    protocols = sorted(
        dict.fromkeys(rows["protocol"].tolist()),
        key=lambda p: order.index(p) if p in order else len(order),
    )
    by_style = [
        Line2D([], [], color="0.3", linestyle=_PROTOCOL_STYLE.get(str(p), "-."), marker="o")
        for p in protocols
    ]
    references = {
        "paper's claim": Line2D([], [], color="black", linewidth=1.0),
        "trivial": Line2D([], [], color="0.5", linewidth=0.8, marker="x"),
        "ceiling": Patch(color="0.85"),
    }
    present = set(axes[0].get_legend_handles_labels()[1])
    shown = {label: handle for label, handle in references.items() if label in present}
    common = {"fontsize": SMALL, "title_fontsize": SMALL, "handlelength": _HANDLE_LENGTH}
    if runs:
        figure.legend(by_colour, runs, loc="outside right upper", title="run", **common)
    figure.legend(
        [*by_style, *shown.values()],
        [*map(str, protocols), *shown],
        loc="outside right lower",
        title="protocol",
        **common,
    )
    return figure


def oracle_ceiling(points: pd.DataFrame, target: str) -> tuple[float, float] | None:
    """The best oracle run's range over folds on ``target``, leak-free; None without one.

    The oracle sees what each drawing was drawn from, so its leak-free score is about the
    best a model of the images can do on the data: the band a claim is read against.
    """
    rows = points[
        (points["target"] == target)
        & (points["role"] == "ceiling")
        & (points["protocol"] == "leak-free")
    ]
    if rows.empty:
        return None
    higher = str(rows["metric"].iloc[0]) in HIGHER_IS_BETTER
    best = rows.loc[_best_index(rows["mean"], higher)]
    return float(best["low"]), float(best["high"])


def reach_sentences(
    points: pd.DataFrame, claims: Mapping[str, float], protocol: str = "paper-ignet"
) -> list[str]:
    """For each target and run: the weakest augmentation at which the claim is reached.

    Parameters
    ----------
    points : DataFrame
        From :func:`leak_points`.
    claims : target -> the paper's number (accuracy as a fraction, MAPE in percent).
    protocol : the protocol under which the claim was made.

    Returns
    -------
    list of str
        One sentence per target and run, from the numbers: the largest swept strength at
        which the mean over folds reaches the claim, or that no point does, with the
        best point.
    """
    sentences = []
    for target, claim in claims.items():
        rows = points[
            (points["target"] == target)
            & (points["protocol"] == protocol)
            & (points["role"] != "ceiling")
        ]
        for run, line in rows.groupby("run", sort=False):
            metric = str(line["metric"].iloc[0])
            higher = metric in HIGHER_IS_BETTER
            scale, unit = (100.0, "%") if metric == "accuracy" else (1.0, "%")
            reached = line[line["mean"] >= claim] if higher else line[line["mean"] <= claim]
            best = line.loc[_best_index(line["mean"], higher)]
            shown = f"{metric} {claim * scale:.4g}{unit}"
            if len(reached):
                point = reached.loc[_best_index(reached["strength"], True)]
                sentences.append(
                    f"{run} reaches the paper's {shown} on {target} under {protocol} up to "
                    f"strength {point['strength']:g}{_at(point)} "
                    f"({point['mean'] * scale:.3g}{unit})."
                )
            else:
                sentences.append(
                    f"{run} does not reach the paper's {shown} on {target} under {protocol} "
                    f"anywhere in the sweep; its best is {best['mean'] * scale:.3g}{unit} at "
                    f"strength {best['strength']:g}{_at(best)}."
                )
    return sentences


def _option(rows: pd.DataFrame, option: str, default: float) -> pd.Series:
    column = f"settings.protocol_options.{option}"
    if column not in rows:
        return pd.Series(default, index=rows.index, dtype=float)
    return rows[column].astype(float).fillna(default)


def _at(point: pd.Series) -> str:
    return "" if pd.isna(point["copies"]) else f" at x{point['copies']:g}"


def _trivial_line(panel: pd.DataFrame, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """The trivial predictor's score per strength (it does not depend on the engine)."""
    per_strength = panel.groupby("strength")["trivial"].mean()
    return per_strength.index.to_numpy(dtype=float), per_strength.to_numpy() * scale


def _best_index(values: pd.Series, higher: bool) -> Any:
    """The index label of the largest value (``higher``) or of the smallest."""
    return values.idxmax() if higher else values.idxmin()
