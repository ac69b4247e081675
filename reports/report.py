"""Write a report folder: ``report.html``, ``report.pdf``, figures as SVG and tables as CSV.

The HTML and the PDF are two renderings of one :class:`reports.document.Document`: page
one holds the data and profile and the papers' claims with our verdicts, then come how
the results were obtained, the data, one section per experiment in the papers' order
(:mod:`reports.sections`), each opening with the paper's claim, and the papers' own
numbers checked against each other (:mod:`reports.paper_checks`); the longer tables
close the report as an appendix.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from reports.cache import FigureCache, drawing_key
from reports.document import (
    Document,
    FigureBlock,
    Paragraph,
    Ref,
    Section,
    Table,
    cells,
    number_blocks,
    numeric_columns,
)
from reports.figures import forest_plot, learning_curves, save_figure, svg_text, timing_bars
from reports.items import build_item
from reports.leak import (
    at_strength,
    is_sweep,
    leak_figure,
    leak_points,
    oracle_ceiling,
    reach_sentences,
    roles,
)
from reports.paper_checks import Finding, check_papers
from reports.parallel import fork_map
from reports.sections import CLAIMS, in_paper_order
from reports.tables import (
    MAIN_METRIC,
    format_interval,
    format_number,
    metric_digits,
    metric_scale,
    reason_after_interval,
    with_current_averages,
    with_variant,
)
from reports.typeset import write_pdf

__all__ = ["CHECKS_TITLE", "CLAIMS_TITLE", "REPORT_TITLE", "claims_table", "write_report"]

REPORT_TITLE = "ignet-bench: the papers' numbers beside ours"
CHECKS_TITLE = "The papers' own numbers, checked"
CLAIMS_TITLE = "The papers' claims and our verdicts"
TABLE_KEY = (
    "A row per run, target and protocol: our mean over folds [95% corrected resampled "
    "t-interval (Nadeau and Bengio), which allows for the training data that folds share] "
    "(folds); leak: the share of test samples whose original image is in training; trivial: "
    "the same for the trivial predictor on the same folds; verdict: reproduced, not "
    "reproduced or inconclusive against the paper's number (rules in docs/evidence.md)."
)
CLAIMS_CAPTION = (
    "Every number the papers give, beside ours under each protocol the suite runs: the mean "
    "over folds [95% corrected resampled t-interval (Nadeau and Bengio; for the speed claims "
    "a bootstrap over folds of the median time ratio)] (folds), the trivial predictor's mean "
    "on the same folds, and the verdict under the paper's protocol with its reason (another "
    "protocol's verdict is named where it differs; rules in docs/evidence.md; every column, "
    "intervals and every verdict, as numbers in tables/claims.csv)."
)
LEAK_CAPTION = (
    "The papers' claims and the sweep's engines at the paper's augmentation strength (or "
    "the swept one nearest it) under "
    "the three protocols: paper (augment, then split: copies of test drawings and other "
    "drawings of the same children in training), image-split (split by drawing: only the "
    "same children) and leak-free (split by child); each the mean over folds [95% corrected "
    "resampled t-interval] (folds); oracle ceiling: the best oracle's range over folds, "
    "leak-free, on the generator's latent parameters (about the best any model of the "
    "images can do on this data; - without latents)"
)
#: What a verdict can decide, by the kind of data behind it (see ``_data_kind`` in
#: bench/reporting.py): on a generated stand-in, only whether our reimplementation reaches
#: the paper's number on data whose difficulty we chose; on data whose folder was not
#: found, the report cannot tell which. Each says it in one "label: what it tests".
VERDICT_TESTS = {
    "synthetic": "synthetic stand-in: tests our reimplementation",
    "real": "real data: tests the paper's claim",
    "unknown": "data of unknown kind (its folder was not found): tests the paper's claim "
    "only if the data are real",
}
_NO_RESULTS = "No results were found: run an experiment first."
_LEAK_FREE = "leak-free"
_IMAGE_SPLIT = "image-split"
#: The protocols side by side, as the claims tables name them: every paper protocol
#: (paper-ignet, paper-keras, the face paper's partition) is the paper's.
_SIDES = {"paper": "paper protocol", _IMAGE_SPLIT: _IMAGE_SPLIT, _LEAK_FREE: _LEAK_FREE}


#: A figure as a section holds it: drawn, to draw (the function that builds it with its
#: arguments, which key the cache of :mod:`reports.cache`), or its SVG text drawn before.
Shown = Figure | partial[Figure] | str


@dataclass
class _FigureItem:
    stem: str
    caption: str
    figure: Shown


@dataclass
class _Table:
    """A section's table; ``place`` is ``body``, ``appendix`` or ``csv`` (written, not shown)."""

    key: str
    caption: str
    frame: pd.DataFrame
    place: str = "body"
    numbers: pd.DataFrame | None = None


@dataclass
class _Section:
    name: str
    title: str
    notes: str
    evidence: pd.DataFrame = field(default_factory=pd.DataFrame)
    speed: pd.DataFrame = field(default_factory=pd.DataFrame)
    data_kind: str = "unknown"
    has_rows: bool = False
    tables: list[_Table] = field(default_factory=list)
    figures: list[_FigureItem] = field(default_factory=list)
    # A sweep (the leak curve): its points, the paper's number per target, and the
    # sentences that say where each run reaches it.
    points: pd.DataFrame = field(default_factory=pd.DataFrame)
    paper: dict[str, float] = field(default_factory=dict)
    sentences: list[str] = field(default_factory=list)


def write_report(
    records: pd.DataFrame,
    experiments: Sequence[Mapping[str, Any]],
    out: Path,
    context: Mapping[str, Any],
    data_figures: Sequence[tuple[str, str, Figure | str]] = (),
    data_tables: Sequence[tuple[str, str, pd.DataFrame]] = (),
) -> dict[str, Path]:
    """Render every experiment's tables and figures, and the HTML and PDF reports, under ``out``.

    Parameters
    ----------
    records : flat result records (one row per finished fold); may be empty.
    experiments : one dict per experiment with ``name``, ``title``, ``notes``, ``paper``
        (target -> {metric: value}, accuracy as a fraction) and optionally ``paper_runs``
        (run name -> target -> {metric: value}), ``report`` (names of
        :data:`reports.items.ITEMS` to add), ``paper_attributes`` (for the
        ``attributes`` item), ``figures`` ((stem, caption, figure or its SVG text) to
        add), ``evidence``,
        ``effects``, ``comparisons`` and ``speed`` (:mod:`bench.claims` tables) and
        ``data_kind`` (``synthetic``, ``real`` or ``unknown``: what its verdicts test,
        :data:`VERDICT_TESTS`). Sections follow the papers' order, whatever this one.
    out : the report folder; created if missing, files in it are overwritten, and the
        tables and figures of an earlier report that this one does not write are removed;
        ``out/.cache`` keeps each figure drawn (:mod:`reports.cache`), so that a re-render
        draws only the figures whose inputs changed.
    context : ``machine`` and ``versions`` (dicts), ``seeds``, ``profile``, ``data`` (a
        description of the data set), ``summary`` (a short paragraph on how the results
        were obtained) and optionally ``missing`` (experiments with no results here).
    data_figures : (stem, caption, figure or its SVG text) of the data (example images,
        augmentations), shown in the data section.
    data_tables : (stem, caption, table) of the data (class counts beside the paper's),
        shown in the same section and written to ``tables/<stem>.csv``.

    Returns
    -------
    Every file written, keyed by its path relative to ``out`` (``report.html``,
    ``report.pdf``, ``results.csv``, ``tables/<name>.csv``, ``figures/<stem>.svg`` ...).
    """
    out = Path(out)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    order = in_paper_order(str(e["name"]) for e in experiments)
    by_name = {str(e["name"]): e for e in experiments}
    sections = [_build_section(records, by_name[name]) for name in order]
    writer = _Writer(out, written)
    claims = claims_table(sections)
    writer.csv("claims", claims)
    if not records.empty:
        writer.csv("results", long_results(records), folder="")
    findings = check_papers()
    writer.csv("paper_checks", pd.DataFrame(findings))
    document = number_blocks(
        _document(writer, sections, context, claims, findings, data_figures, data_tables)
    )
    writer.save_figures()
    html = out / "report.html"
    html.write_text(_render_html(document), encoding="utf-8")
    written["report.html"] = html
    pdf = out / "report.pdf"
    write_pdf(document, out, pdf, first=document.sections[0])
    written["report.pdf"] = pdf
    _remove_stale(out, written)
    return written


def _remove_stale(out: Path, written: Mapping[str, Path]) -> None:
    """Delete the tables and figures an earlier report left in ``out`` that this one did
    not write (a run or experiment since removed): the folder holds this report alone.
    Only the kinds of file a report writes, in the folders it writes them to, are touched."""
    kept = {path.resolve() for path in written.values()}
    for pattern in ("tables/*.csv", "figures/*.svg"):
        for path in out.glob(pattern):
            if path.resolve() not in kept:
                path.unlink()


class _Writer:
    """Writes a report's CSV tables and SVG figures, and turns them into blocks.

    Figures are drawn when :meth:`save_figures` is called, all at once: on a machine with
    several cores, in as many forked processes.
    """

    def __init__(self, out: Path, written: dict[str, Path]) -> None:
        self.out = out
        self.written = written
        self.pending: list[tuple[Shown, FigureBlock]] = []

    def csv(self, name: str, frame: pd.DataFrame, folder: str = "tables") -> str:
        path = self.out / folder / f"{name}.csv"
        frame.to_csv(path, index=False)
        key = f"{folder}/{path.name}" if folder else path.name
        self.written[key] = path
        return key

    def table(
        self,
        key: str,
        caption: str,
        frame: pd.DataFrame,
        numbers: pd.DataFrame | None = None,
        widths: tuple[float, ...] = (),
        group: tuple[str, ...] = (),
    ) -> Table:
        """A table block; its CSV holds ``numbers`` (the same rows as numbers) if given."""
        csv = self.csv(key, frame if numbers is None else numbers)
        return Table(key, caption, frame, csv=csv, widths=widths, group=group)

    def figure(self, stem: str, caption: str, figure: Shown, floats: bool = False) -> FigureBlock:
        block = FigureBlock(stem, caption, f"figures/{stem}.svg", floats=floats)
        self.pending.append((figure, block))
        return block

    def save_figures(self) -> None:
        """Draw every figure (or read it back from the cache where it was drawn from the
        same inputs before) and write it under ``figures/``."""
        folder = self.out / "figures"
        cache = FigureCache(self.out / ".cache")
        keys = {
            block.key: drawing_key(figure, block.key) if isinstance(figure, partial) else None
            for figure, block in self.pending
        }
        drawn: dict[str, str] = {}
        for figure, block in self.pending:
            kept = figure if isinstance(figure, str) else cache.get(keys[block.key])
            if kept is not None:
                drawn[block.key] = kept
        missing = [
            (drawing, block)
            for drawing, block in self.pending
            if not isinstance(drawing, str) and block.key not in drawn
        ]
        # Drawing is most of a report's time, and each figure draws alone.
        svgs = fork_map([partial(_svg, drawing, block.key) for drawing, block in missing])
        for (_drawing, block), svg in zip(missing, svgs, strict=True):
            drawn[block.key] = svg
            cache.put(keys[block.key], svg)
        cache.keep(keys.values())
        for _shown, block in self.pending:
            svg = drawn[block.key]
            path = save_figure(svg, folder, block.key)
            self.written[block.path] = path
            block.svg = svg
        self.pending.clear()


def _svg(figure: Figure | partial[Figure], stem: str) -> str:
    return svg_text(figure() if isinstance(figure, partial) else figure, stem)


def _build_section(records: pd.DataFrame, experiment: Mapping[str, Any]) -> _Section:
    name = str(experiment["name"])
    # Records with no experiment column cannot be told apart: all of them belong here.
    rows = records[records["experiment"] == name] if "experiment" in records else records
    rows = with_current_averages(rows)
    evidence = experiment.get("evidence")
    speed = experiment.get("speed")
    section = _Section(
        name=name,
        title=str(experiment.get("title") or name),
        notes=" ".join(str(experiment.get("notes") or "").split()),
        evidence=evidence if evidence is not None else pd.DataFrame(),
        speed=speed if speed is not None else pd.DataFrame(),
        data_kind=str(experiment.get("data_kind", "unknown")),
        has_rows=not rows.empty,
    )
    if rows.empty:
        return section
    sweep = is_sweep(with_variant(rows))
    for key, caption, frame in (
        ("protocol_effect", _EFFECTS_CAPTION, experiment.get("effects")),
        ("run_comparison", _COMPARISONS_CAPTION, experiment.get("comparisons")),
    ):
        if frame is not None and not frame.empty:
            # A sweep has one difference per point: its figures show them, the CSV keeps them.
            place = "csv" if sweep else "appendix"
            section.tables.append(
                _Table(f"{name}_{key}", caption, _interval_view(frame), place, frame)
            )
    rows = with_variant(rows)
    if "status" in rows:
        rows = rows[rows["status"].fillna("ok") == "ok"]
    paper = _paper_numbers(experiment)
    if sweep:
        _add_leak_curves(section, rows, paper)
        return section
    # Baselines and ceilings are fitted in one go: they have no learning curve to draw.
    trained = rows[roles(rows) == "network"]
    targets = _targets(trained, paper)
    if targets:
        protocols = ", ".join(str(p) for p in trained["protocol"].unique())
        section.figures.append(
            _FigureItem(
                f"{name}_curves",
                "Learning curves: the main metric per epoch, training (solid) and validation "
                f"(dashed), mean over {trained['fold'].nunique()} folds with a band of one "
                f"standard deviation, per target; {protocols}; dotted line: the paper's number",
                partial(
                    learning_curves, trained, targets, {t: _paper_value(paper, t) for t in targets}
                ),
            )
        )
    if not section.speed.empty and rows["samples_per_second"].notna().any():
        section.figures.append(
            _FigureItem(
                f"{name}_throughput",
                "Training throughput per engine and backend (samples per second, mean and "
                "standard deviation over folds)",
                partial(timing_bars, _engine_per_run(rows)),
            )
        )
    for item_name in experiment.get("report") or ():
        item = build_item(item_name, rows, experiment)
        place = "appendix" if item_name == "training_time" else "body"
        section.tables += [
            _Table(_item_key(name, t.stem), t.caption, t.frame, place, t.numbers)
            for t in item.tables
        ]
        section.figures += [_FigureItem(*figure) for figure in item.figures]
    section.figures += [_FigureItem(*figure) for figure in experiment.get("figures") or ()]
    return section


def _item_key(section: str, stem: str) -> str:
    """An item's table key: the stem after the section's name, once (``time_ratio`` and its
    item's ``time_ratio_by_claim`` make ``time_ratio_by_claim``)."""
    return stem if stem.startswith(f"{section}_") else f"{section}_{stem}"


def _add_leak_curves(
    section: _Section, rows: pd.DataFrame, paper: Mapping[str, Mapping[str, float]]
) -> None:
    """A sweep's figures (one per target) and the sentences on where each run reaches the
    paper's number; its table is built with the claims (:func:`_leak_table`)."""
    points = leak_points(rows)
    section.points = points
    for target in _targets(rows, paper):
        claim = _paper_value(paper, target)
        if claim is not None:
            section.paper[target] = claim
        ceiling = oracle_ceiling(points, target)
        section.figures.append(
            _FigureItem(
                f"{section.name}_{target}",
                f"The leak curve on {target}: our test score against the augmentation "
                "strength (0: exact copies, 1: the paper's ranges), mean over folds with "
                "their range shaded; a colour per run, a line style per protocol (solid: "
                "paper, dashed: image-split, dotted: leak-free); black line: the paper's claim"
                + ("; grey band: the oracle's leak-free range (the ceiling)" if ceiling else "")
                + "; grey line with crosses: the trivial predictor",
                partial(leak_figure, points, target, claim, ceiling),
            )
        )
    section.sentences = reach_sentences(points, section.paper)


def _paper_numbers(experiment: Mapping[str, Any]) -> dict[str, Mapping[str, float]]:
    """Target -> the paper's numbers, from the first run that has them."""
    numbers: dict[str, Mapping[str, float]] = dict(experiment.get("paper") or {})
    for run in (experiment.get("paper_runs") or {}).values():
        for target, values in run.items():
            numbers.setdefault(str(target), values)
    return numbers


def _paper_value(paper: Mapping[str, Mapping[str, float]], target: str) -> float | None:
    values = paper.get(target) or {}
    for metric, _percent in MAIN_METRIC.values():
        if metric in values:
            return float(values[metric])
    return None


_EFFECTS_CAPTION = (
    "The protocol effect: paper protocol minus leak-free, paired by fold and seed, with the "
    "corrected resampled t-interval (95%) and the probability, from a Bayesian correlated "
    "t-test, that the paper protocol scores higher"
)
_COMPARISONS_CAPTION = (
    "Each run against the first run of the experiment, paired by fold and seed: the "
    "difference (run minus reference) with its corrected resampled t-interval (95%) and the "
    "probability, from a Bayesian correlated t-test, that the run scores higher"
)


def _interval_view(frame: pd.DataFrame) -> pd.DataFrame:
    """A difference table with its interval in one column and numbers rounded to read."""
    shown = frame.copy()
    digits = 3
    shown["effect"] = [
        f"{e:+.{digits}f} [{lo:+.{digits}f}, {hi:+.{digits}f}]"
        if pd.notna(lo)
        else f"{e:+.{digits}f}"
        for e, lo, hi in zip(shown["effect"], shown["ci_low"], shown["ci_high"], strict=True)
    ]
    probability = next(c for c in shown.columns if str(c).startswith("p_"))
    shown[probability] = shown[probability].map(lambda p: "-" if pd.isna(p) else f"{p:.2f}")
    return shown.drop(columns=["ci_low", "ci_high", "ci_method"])


def claims_table(sections: Sequence[Any]) -> pd.DataFrame:
    """Every row that the papers give a number for, with our interval and the verdict.

    ``sections`` carry the numeric ``evidence`` (and, for the speed claims, ``speed``)
    frames of :func:`write_report`; the table keeps the sections' order, one row per run,
    target and protocol. Numbers stay numbers: ``paper``, ``mean``, ``ci_low``,
    ``ci_high``, ``trivial``, ``trivial_low`` and ``trivial_high`` are in ``unit``
    (``percent``, ``fraction``, ``months`` or ``ratio``).
    """
    rows = []
    for section in sections:
        evidence = section.evidence
        short = CLAIMS.get(section.name, (section.title,))[0]
        if not evidence.empty:
            for _, line in evidence[evidence["verdict"].fillna("") != ""].iterrows():
                scale, _unit = metric_scale(str(line["metric"]))
                rows.append(
                    {
                        "section": section.name,
                        "claim": short,
                        "run": line["run"],
                        "target": line["target"],
                        "metric": line["metric"],
                        "unit": _unit_name(str(line["metric"])),
                        "paper": scale * line["paper"],
                        "protocol": line["protocol"],
                        "mean": scale * line["mean"],
                        "ci_low": scale * line["ci_low"],
                        "ci_high": scale * line["ci_high"],
                        "folds": int(line["folds"]),
                        "test_samples": int(line["test_samples"]),
                        "trivial": scale * line["trivial"],
                        "trivial_low": scale * line["trivial_low"],
                        "trivial_high": scale * line["trivial_high"],
                        "verdict": line["verdict"],
                        "reason": line["reason"],
                        "interval": line["ci_method"],
                        "data": VERDICT_TESTS[section.data_kind],
                    }
                )
        # Every speed claim carries the paper's ratio, so every row has a verdict.
        for _, line in section.speed.iterrows():
            rows.append(
                {
                    "section": section.name,
                    "claim": line["claim"],
                    "run": f"{line['slow']} / {line['fast']}",
                    "target": line["target"],
                    "metric": "time ratio",
                    "unit": "ratio",
                    "paper": float(line["paper"]),
                    "protocol": line["protocol"],
                    "mean": line["ratio"],
                    "ci_low": line["ci_low"],
                    "ci_high": line["ci_high"],
                    "folds": int(line["folds"]),
                    "test_samples": np.nan,
                    "trivial": np.nan,
                    "trivial_low": np.nan,
                    "trivial_high": np.nan,
                    "verdict": line["verdict"],
                    "reason": line["reason"],
                    "interval": line["ci_method"],
                    "data": VERDICT_TESTS[section.data_kind],
                }
            )
    return pd.DataFrame(rows)


def _unit_name(metric: str) -> str:
    _scale, unit = metric_scale(metric)
    if unit == "%":
        return "percent"
    return "months" if metric == "mae" else "fraction"


def _claims_page(claims: pd.DataFrame) -> pd.DataFrame:
    """The claims as page one shows them: one row per claim, run and target, the protocols
    side by side, the verdict under the paper's protocol with its reason last."""
    rows = []
    sides = _present_sides(claims)
    keys = ["claim", "run", "target", "metric"]
    for (claim, run, target, metric), group in claims.groupby(keys, sort=False):
        digits = _digits(str(metric))
        first = group.iloc[0]
        unit = {"percent": "%", "ratio": "x"}.get(str(first["unit"]), "")
        row = {
            "claim": f"{claim}: {run}, {target}",
            "paper": f"{format_number(first['paper'], 1.0, digits)}{unit}",
        }
        for side in sides:
            row[_SIDES[side]] = _cell(group[_side_of(group) == side], digits)
        row["trivial"] = format_number(first["trivial"], 1.0, digits)
        row["verdict: reason"] = _verdicts(group)
        rows.append(row)
    return pd.DataFrame(rows)


def _digits(metric: str) -> int:
    """Decimals a claim prints with: a ratio near 1 needs two, as its verdict's reason has."""
    return 2 if metric == "time ratio" else metric_digits(metric)


def _side_of(rows: pd.DataFrame) -> pd.Series:
    """Each row's protocol as a side of the claims tables (:data:`_SIDES`)."""
    return rows["protocol"].map(lambda p: p if p in _SIDES else "paper")


def _present_sides(rows: pd.DataFrame) -> list[str]:
    present = set(_side_of(rows))
    return [side for side in _SIDES if side in present]


def _verdicts(group: pd.DataFrame) -> str:
    """The verdict under the paper's protocol with its reason (less the interval, printed
    beside it), then each other protocol's verdict where it differs."""
    paper_side = (_side_of(group) == "paper").to_numpy()
    main = group[paper_side].iloc[0] if paper_side.any() else group.iloc[0]
    reason = reason_after_interval(main["reason"])
    text = f"{main['verdict']}: {reason}" if reason else str(main["verdict"])
    if not paper_side.any():
        text = f"{main['protocol']}: {text}"
    others = [
        f"{line['protocol']}: {line['verdict']}"
        for index, line in group.iterrows()
        if index != main.name and line["verdict"] != main["verdict"]
    ]
    return "; ".join([text, *others])


def _cell(lines: pd.DataFrame, digits: int) -> str:
    if lines.empty:
        return "-"
    line = lines.iloc[0]
    value = format_interval(line["mean"], line["ci_low"], line["ci_high"], 1.0, digits)
    return f"{value} ({int(line['folds'])})"


def _claims_forest_rows(claims: pd.DataFrame) -> pd.DataFrame:
    """Rows for the forest plot of every claim (already in their units)."""
    units = {"percent": " (%)", "ratio": " (slow / fast)"}
    return pd.DataFrame(
        {
            "group": [
                f"{m}{units.get(u, '')}"
                for m, u in zip(claims["metric"], claims["unit"], strict=True)
            ],
            "label": [
                f"{c}: {r}, {t}"
                for c, r, t in zip(claims["claim"], claims["run"], claims["target"], strict=True)
            ],
            "protocol": claims["protocol"],
            "mean": claims["mean"],
            "low": claims["ci_low"],
            "high": claims["ci_high"],
            "paper": claims["paper"],
        }
    )


#: The unit a metric is recorded in, by its name before a label's ("tp" of "tp.Bangs"):
#: a fraction unless named here.
_RECORDED_UNITS = {"mape": "percent", "mae": "months", "tp": "count", "positives": "count"}


def long_results(records: pd.DataFrame) -> pd.DataFrame:
    """Every record's metrics in long format: one row per job and metric.

    Columns: the job's keys (job id, experiment, engine, run, protocol, target, task,
    fold, seed, status where present), ``split`` (``test``, ``validation``, ``trivial``
    ...), ``metric`` (with the label for per-label metrics, e.g. ``f1.Bangs``) and
    ``value`` (as recorded) with its ``unit`` (:data:`_RECORDED_UNITS`); then
    ``train_seconds`` and ``samples_per_second`` of the job.
    """
    keys = [
        c
        for c in (
            "job_id",
            "experiment",
            "engine",
            "backend",
            "variant",
            "network",
            "protocol",
            "target",
            "task",
            "fold",
            "seed",
            "status",
            "train_seconds",
            "samples_per_second",
        )
        if c in records
    ]
    metrics = [c for c in records.columns if str(c).startswith("metrics.")]
    long = records[keys + metrics].melt(id_vars=keys, var_name="column", value_name="value")
    long = long.dropna(subset=["value"])
    parts = long["column"].str.split(".", n=2)
    long.insert(len(keys), "split", parts.str[1])
    long.insert(len(keys) + 1, "metric", parts.str[2])
    base = parts.str[2].str.split(".").str[0]
    long["value"] = pd.to_numeric(long["value"], errors="coerce")
    long["unit"] = base.map(lambda metric: _RECORDED_UNITS.get(metric, "fraction"))
    return long.drop(columns=["column"]).dropna(subset=["value"]).reset_index(drop=True)


def _document(
    writer: _Writer,
    sections: Sequence[_Section],
    context: Mapping[str, Any],
    claims: pd.DataFrame,
    findings: Sequence[Finding],
    data_figures: Sequence[tuple[str, str, Figure | str]],
    data_tables: Sequence[tuple[str, str, pd.DataFrame]],
) -> Document:
    banner = f"Data: {context.get('data', '-')}. Profile: {context.get('profile', '-')}."
    first = Section("verdicts", CLAIMS_TITLE)
    parts: list[Section] = [first]
    appendix: list[Section] = []
    problems = str(context.get("problems") or "")
    if problems:
        # A report that silently counted fewer jobs than the files hold would mislead.
        first.blocks.append(Paragraph.of(_problems_line(problems), style="alert"))
    if claims.empty:
        first.blocks.append(Paragraph.of("No claim could be judged: no results.", style="alert"))
    else:
        first.blocks.append(
            Paragraph.of(
                "The papers' numbers beside ours, one row per claim, run and target (",
                Ref("claims"),
                ", drawn in ",
                Ref("claims_forest"),
                "); each claim's section below gives its evidence.",
            )
        )
        first.blocks.append(
            writer.table(
                "claims",
                CLAIMS_CAPTION,
                _claims_page(claims),
                numbers=claims,
                widths=_claims_widths(claims),
            )
        )
        first.blocks.append(
            writer.figure(
                "claims_forest",
                "Every judged claim: ours per protocol (mean over folds with its 95% interval) "
                "and the paper's number (open diamond), one axes per measure",
                partial(forest_plot, _claims_forest_rows(claims)),
                floats=True,
            )
        )
        first.blocks += _verdict_sentences(sections, claims)
    run = Section("run", "How the results were obtained")
    run.blocks.append(Paragraph.of(_with_verdicts(str(context.get("summary", "")), claims)))
    run_table = writer.table(
        "run_context",
        "The run: profile, seeds, data, the machine and the versions of the latest record",
        pd.DataFrame(_context_lines(context), columns=["field", "value"]),
        widths=(1.0, 9.0),
    )
    run.blocks += [
        Paragraph.of(Ref(run_table.key), " names the machine and the versions behind them."),
        run_table,
    ]
    if not any(section.has_rows for section in sections):
        run.blocks.append(Paragraph.of(_NO_RESULTS, style="alert"))
    missing = list(context.get("missing") or ())
    if missing:
        run.blocks.append(
            Paragraph.of(
                "This results folder holds no results of "
                + ", ".join(missing)
                + ": the report has no section for them (ignet-bench run NAME adds one).",
                style="alert",
            )
        )
    parts.append(run)
    if data_figures or data_tables:
        data = Section("data", "The data and its augmentation")
        shown: list[Table | FigureBlock] = [
            writer.table(stem, caption, frame) for stem, caption, frame in data_tables
        ]
        shown += [writer.figure(stem, caption, figure) for stem, caption, figure in data_figures]
        data.blocks = [Paragraph.of("The data the results rest on: ", *_refs(shown), "."), *shown]
        parts.append(data)
    for section in sections:
        body, extra = _experiment_section(writer, section, claims)
        parts.append(body)
        if extra.blocks:
            appendix.append(extra)
    checks = _checks_section(writer, findings)
    return Document(REPORT_TITLE, banner, _banner_lines(context), [*parts, checks, *appendix])


def _problems_line(problems: str) -> str:
    return (
        f"The results files hold {problems}: left out of every table and figure "
        "(ignet-bench results check lists them by line, --repair removes them)."
    )


def _claims_widths(claims: pd.DataFrame) -> tuple[float, ...]:
    """The claims page's column widths, in mm of the landscape page's 267: a verdict's
    reason and most claims on one line, so the table and its figure share pages one and two."""
    return (62.0, 13.0, *(37.0 for _ in _present_sides(claims)), 13.0, 104.0)


def _banner_lines(context: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        ("Data", str(context.get("data", "-"))),
        ("Profile", str(context.get("profile", "-"))),
    ]


def _verdict_sentences(sections: Sequence[_Section], claims: pd.DataFrame) -> list[Paragraph]:
    """What was reproduced, what was not, and what the protocol gap says."""
    sentences = []
    sides = _side_of(claims)
    for side, lines in (
        ("the papers' protocols", claims[sides == "paper"]),
        ("the image-split protocol", claims[sides == _IMAGE_SPLIT]),
        ("the leak-free protocol", claims[sides == _LEAK_FREE]),
    ):
        if lines.empty:
            continue
        counts = lines["verdict"].value_counts()
        held = lines[lines["verdict"] == "reproduced"]
        names = ", ".join(
            dict.fromkeys(f"{c} ({r})" for c, r in zip(held["claim"], held["run"], strict=True))
        )
        reproduced, missed, open_ = (
            int(counts.get(word, 0)) for word in ("reproduced", "not reproduced", "inconclusive")
        )
        sentences.append(
            f"Under {side}, {reproduced} of {len(lines)} judged numbers {_are(reproduced)} "
            f"reproduced{': ' + names if names else ''}; {missed} {_are(missed)} not "
            f"reproduced and {open_} {_are(open_)} inconclusive."
        )
    kinds = {s.data_kind for s in sections if not s.evidence.empty}
    if "synthetic" in kinds:
        sentences.append(
            "On the synthetic stand-in data a verdict tests our reimplementation on data whose "
            "difficulty we chose, not the paper."
        )
    if "unknown" in kinds:
        sentences.append(
            "The data of some results was not found from where the report was written: "
            "whether their verdicts test the paper or our reimplementation cannot be told."
        )
    gaps = _protocol_gaps(sections)
    if gaps:
        sentences.append(gaps)
    return [Paragraph.of(" ".join(sentences))] if sentences else []


def _are(count: int) -> str:
    return "is" if count == 1 else "are"


def _protocol_gaps(sections: Sequence[_Section]) -> str:
    """How often the paper's protocol scored better than the leak-free one, and by how much."""
    pairs = []
    for section in sections:
        evidence = section.evidence
        if evidence.empty or _LEAK_FREE not in set(evidence["protocol"]):
            continue
        for _, group in evidence.groupby(["engine", "run", "target", "metric"], sort=False):
            free = group[group["protocol"] == _LEAK_FREE]
            paper = group[_side_of(group) == "paper"]
            if free.empty or paper.empty:
                continue
            gap = paper["mean"].iloc[0] - free["mean"].iloc[0]
            pairs.append(gap < 0 if group["metric"].iloc[0] == "mape" else gap > 0)
    if not pairs:
        return ""
    return (
        "The paper's protocol (augment, then split) scored better than the leak-free one "
        f"(split by child, augment the training side only) in {sum(pairs)} of {len(pairs)} "
        "runs and targets; the protocol effect tables in the appendix say which of these "
        "gaps their intervals bear out."
    )


def _experiment_section(
    writer: _Writer, section: _Section, claims: pd.DataFrame
) -> tuple[Section, Section]:
    body = Section(section.name, section.title)
    extra = Section(f"{section.name}_appendix", section.title, appendix=True)
    if section.name in CLAIMS:
        _short, where, quote = CLAIMS[section.name]
        body.blocks.append(Paragraph.of(f"{where}: “{quote}”", style="claim"))
    if not section.has_rows:
        body.blocks.append(Paragraph.of("No results for this experiment.", style="alert"))
        return body, extra
    by_protocol = _numeric_evidence(section.evidence)
    if section.points.empty:
        main = writer.table(
            f"{section.name}_by_protocol",
            f"The paper's number beside ours per protocol. {TABLE_KEY}",
            _shown_columns(_by_protocol(section.evidence)),
            numbers=by_protocol,
            group=_BY_PROTOCOL_GROUP,
        )
    else:
        # Every point of a sweep is in the CSV and the figures; the page compares the
        # protocols at the paper's strength, beside the claims and the ceiling.
        writer.csv(f"{section.name}_every_point", by_protocol)
        shown, numbers = _leak_table(section, claims)
        main = writer.table(f"{section.name}_by_protocol", LEAK_CAPTION, shown, numbers)
    for table in section.tables:
        if table.place == "csv":
            writer.csv(table.key, table.frame if table.numbers is None else table.numbers)
    tables = [_table_block(writer, t) for t in section.tables if t.place == "body"]
    later = [_table_block(writer, t) for t in section.tables if t.place == "appendix"]
    figures = [writer.figure(f.stem, f.caption, f.figure) for f in section.figures]
    lead: list[str | Ref] = [
        Ref(main.key),
        " puts the paper's number beside ours per protocol"
        if section.points.empty
        else " sets the three protocols side by side for each claim on the sweep's targets "
        "and each run at the paper's strength, beside the oracle's ceiling",
    ]
    if figures:
        lead += ["; the section's figures: ", *_refs(figures)]
    if tables:
        lead += ["; its other tables: ", *_refs(tables)]
    if later:
        lead += ["; the appendix holds ", *_refs(later)]
    body.blocks.append(Paragraph.of(*lead, "."))
    if section.notes:
        body.blocks.append(Paragraph.of(section.notes, style="note"))
    if section.sentences:
        body.blocks.append(Paragraph.of(" ".join(section.sentences)))
    body.blocks += [main, *tables, *figures]
    extra.blocks += later
    return body, extra


def _table_block(writer: _Writer, table: _Table) -> Table:
    return writer.table(table.key, table.caption, _shown_columns(table.frame), table.numbers)


def _shown_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` less the columns with nothing to show (a verdict column where the paper
    gives no number): a table only as wide as what it says."""
    empty = [c for c in frame.columns if (frame[c].isna() | frame[c].isin(["-", ""])).all()]
    return frame.drop(columns=empty) if len(empty) < len(frame.columns) else frame


_LEAK_COLUMNS = [
    "section",
    "claim",
    "run",
    "target",
    "metric",
    "unit",
    "paper",
    "protocol",
    "mean",
    "ci_low",
    "ci_high",
    "folds",
    "test_samples",
    "trivial",
    "interval",
    "verdict",
    "reason",
]


def _by_protocol(evidence: pd.DataFrame) -> pd.DataFrame:
    """The evidence as a section shows it: a row per run, target and protocol (the run's
    own cells, :data:`_BY_PROTOCOL_GROUP`, on every row: the renderers set repeats apart).
    Long rather than a column per protocol: the table keeps its width, however many
    protocols ran."""
    rows = []
    for _, line in evidence.iterrows():
        metric = str(line["metric"])
        (scale, unit), digits = metric_scale(metric), metric_digits(metric)
        folds = f"{int(line['folds'])}" + (
            f", {int(line['diverged'])} diverged" if line["diverged"] else ""
        )
        ours = format_interval(line["mean"], line["ci_low"], line["ci_high"], scale, digits)
        leak = line["leak_same_image"]
        shown = {
            "engine": line["engine"],
            "run": line["run"],
            "target": line["target"],
            "metric": f"{metric} ({unit})" if unit else metric,
            "paper": format_number(line["paper"], scale, digits),
        }
        rows.append(
            {
                **shown,
                "protocol": line["protocol"],
                "ours [95% CI] (folds)": f"{ours} ({folds})",
                "leak": "-" if pd.isna(leak) else f"{100 * leak:.0f}%",
                "trivial": format_interval(
                    line["trivial"], line["trivial_low"], line["trivial_high"], scale, digits
                ),
                "verdict": line["verdict"] or "-",
            }
        )
    return pd.DataFrame(rows, columns=_BY_PROTOCOL)


#: The columns that say whose rows a by-protocol table's rows are.
_BY_PROTOCOL_GROUP = ("engine", "run", "target", "metric", "paper")
_BY_PROTOCOL = [
    "engine",
    "run",
    "target",
    "metric",
    "paper",
    "protocol",
    "ours [95% CI] (folds)",
    "leak",
    "trivial",
    "verdict",
]


_LEAK_SHOWN = ["claim", "paper", *_SIDES.values(), "oracle ceiling"]


def _leak_table(section: _Section, claims: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per claim, and per engine of the sweep at the paper's strength: the three protocols
    side by side and the oracle's ceiling on the target (display and numbers)."""
    ours = at_strength(section.evidence)
    frames = []
    if not claims.empty:
        # The claims on the sweep's targets: the ceiling is the same for them.
        on_targets = claims["target"].isin(set(ours["target"])) & (claims["unit"] != "ratio")
        frames.append(claims[on_targets])
    if not ours.empty:
        scales = np.array([metric_scale(str(m))[0] for m in ours["metric"]])
        claimed = np.array([section.paper.get(str(t), np.nan) for t in ours["target"]])
        scaled_columns = [c for c in _SCALED_COLUMNS if c != "paper"]
        frames.append(
            ours.assign(
                **{c: pd.to_numeric(ours[c], errors="coerce") * scales for c in scaled_columns},
                paper=claimed * scales,
                unit=[_unit_name(str(m)) for m in ours["metric"]],
                section=section.name,
                claim=CLAIMS.get(section.name, (section.name,))[0],
                interval=ours["ci_method"],
                run=[
                    f"{run}{'' if pd.isna(copies) else f' x{copies:g}'} at strength {at:g}"
                    for run, copies, at in zip(
                        ours["run"], ours["copies"], ours["strength"], strict=True
                    )
                ],
            )
        )
    numbers = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if numbers.empty:
        return pd.DataFrame(columns=_LEAK_SHOWN), numbers
    ceilings = {str(t): oracle_ceiling(section.points, str(t)) for t in numbers["target"].unique()}
    bounds = []
    for target, metric in zip(numbers["target"], numbers["metric"], strict=True):
        ceiling, scale = ceilings[str(target)], metric_scale(str(metric))[0]
        bounds.append(
            (np.nan, np.nan) if ceiling is None else (scale * ceiling[0], scale * ceiling[1])
        )
    numbers = numbers[_LEAK_COLUMNS].assign(
        ceiling_low=[low for low, _ in bounds], ceiling_high=[high for _, high in bounds]
    )
    rows = []
    for (claim, run, target, metric), group in numbers.groupby(
        ["claim", "run", "target", "metric"], sort=False
    ):
        digits, first = _digits(str(metric)), group.iloc[0]
        row = {
            "claim": f"{claim}: {run}, {target}",
            "paper": format_number(first["paper"], 1.0, digits),
        }
        for side in _SIDES:
            row[_SIDES[side]] = _cell(group[_side_of(group) == side], digits)
        low, high = first["ceiling_low"], first["ceiling_high"]
        row["oracle ceiling"] = "-" if pd.isna(low) else f"{low:.{digits}f}-{high:.{digits}f}"
        rows.append(row)
    return pd.DataFrame(rows, columns=_LEAK_SHOWN), numbers


def _refs(blocks: Sequence[Table | FigureBlock]) -> list[str | Ref]:
    parts: list[str | Ref] = []
    for index, block in enumerate(blocks):
        if index:
            parts.append(" and " if index == len(blocks) - 1 else ", ")
        parts.append(Ref(block.key))
    return parts


def _numeric_evidence(evidence: pd.DataFrame) -> pd.DataFrame:
    """The evidence in the units the report prints (accuracy in percent), each row naming
    its unit: what a reader re-analyses."""
    if evidence.empty:
        return evidence
    shown = evidence.copy()
    scales = np.array([metric_scale(str(m))[0] for m in shown["metric"]])
    for column in _SCALED_COLUMNS:
        if column in shown:
            shown[column] = pd.to_numeric(shown[column], errors="coerce") * scales
    return shown.assign(unit=[_unit_name(str(m)) for m in shown["metric"]])


_SCALED_COLUMNS = (
    "paper",
    "mean",
    "ci_low",
    "ci_high",
    "bootstrap_low",
    "bootstrap_high",
    "trivial",
    "trivial_low",
    "trivial_high",
)


def _checks_section(writer: _Writer, findings: Sequence[Finding]) -> Section:
    """What each paper says that its own numbers do not give; the checks that hold are in
    ``tables/paper_checks.csv``, with every finding."""
    section = Section("paper-checks", CHECKS_TITLE)
    failing = writer.table(
        "paper_checks_failing",
        "What each paper says that its own numbers do not give (a number printed to three "
        "decimals stands for anything that rounds to it)",
        _findings_frame(findings, consistent=False),
        widths=(0.5, 0.8, 2.2, 2.5),
    )
    holding = sum(1 for f in findings if f.consistent)
    section.blocks += [
        Paragraph.of(
            "Each paper's numbers against each other: ",
            Ref(failing.key),
            f" lists what does not agree; the {holding} checks that hold are in "
            "tables/paper_checks.csv with every finding.",
        ),
        failing,
    ]
    return section


def _engine_per_run(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows whose engine names the run too when an engine has several runs."""
    if (rows.groupby("engine")["variant"].nunique() <= 1).all():
        return rows
    return rows.assign(engine=rows["engine"].astype(str) + " " + rows["variant"].astype(str))


def _with_verdicts(summary: str, claims: pd.DataFrame) -> str:
    """``summary`` followed by how the paper's claims (:func:`claims_table`) fared, per kind
    of data and protocol."""
    if claims.empty:
        return summary
    parts = []
    for data, by_data in claims.groupby("data", sort=False):
        tallies = "; ".join(
            f"{protocol}: "
            + ", ".join(
                f"{n} {word}" for word, n in sorted(group["verdict"].value_counts().items())
            )
            for protocol, group in by_data.groupby("protocol", sort=False)
        )
        label, tests = str(data).split(": ")
        parts.append(f"on the {label} (a verdict there {tests}), {tallies}")
    return (
        f"{summary} Verdicts on the papers' numbers (reproduced, not reproduced or "
        f"inconclusive; rules in docs/evidence.md): {'. And '.join(parts)}."
    ).strip()


def _targets(rows: pd.DataFrame, paper: Mapping[str, object]) -> list[str]:
    """Targets present in ``rows``, in the paper's order first (as its table lists them)."""
    present = [str(t) for t in rows["target"].dropna().unique()] if "target" in rows else []
    ordered = [t for t in paper if t in present]
    return ordered + [t for t in present if t not in ordered]


def _context_lines(context: Mapping[str, Any]) -> list[tuple[str, str]]:
    machine = context.get("machine") or {}
    versions = context.get("versions") or {}
    return [
        ("Profile", str(context.get("profile", "-"))),
        ("Seeds", _seeds(context.get("seeds"))),
        ("Data", str(context.get("data", "-"))),
        ("Machine", "; ".join(f"{k}: {v}" for k, v in machine.items()) or "-"),
        ("Versions", "; ".join(f"{k} {v}" for k, v in versions.items()) or "-"),
    ]


def _seeds(seeds: object) -> str:
    if seeds is None:
        return "-"
    if isinstance(seeds, str | int):
        return str(seeds)
    return ", ".join(str(s) for s in seeds) if isinstance(seeds, Sequence) else str(seeds)


def _render_html(document: Document) -> str:
    source = resources.files("reports").joinpath("templates/report.html.j2").read_text("utf-8")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string(source)
    return template.render(
        document=document,
        label=document.label,
        numeric=numeric_columns,
        cells=cells,
        image=_data_uri,
        is_table=lambda block: isinstance(block, Table),
        is_figure=lambda block: isinstance(block, FigureBlock),
        is_ref=lambda part: isinstance(part, Ref),
    )


def _data_uri(block: FigureBlock) -> str:
    """The figure's SVG as a data URI: the HTML stays one self-contained file."""
    return "data:image/svg+xml;base64," + base64.b64encode(block.svg.encode("utf-8")).decode(
        "ascii"
    )


def _findings_frame(findings: Sequence[Finding], consistent: bool) -> pd.DataFrame:
    """The findings that are (or are not) consistent, as a table for the page."""
    return pd.DataFrame(
        [
            {
                "paper": f.paper,
                "where": f.where,
                "the paper says": f.claim,
                "its own numbers give": f.arithmetic,
            }
            for f in findings
            if f.consistent == consistent
        ],
        columns=["paper", "where", "the paper says", "its own numbers give"],
    )
