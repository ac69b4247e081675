"""Write a report folder: tables as CSV, figures as PNG and SVG, ``report.html`` and ``report.pdf``.

The HTML and the PDF carry the same content: a first section on how the results were
obtained (machine, versions, seeds, profile, data) with the caller's summary, then per
experiment a heading with its title, its table (the paper's number beside ours per
protocol) and its figures, and last the papers' own numbers checked against each other
(:mod:`reports.paper_checks`).
"""

from __future__ import annotations

import base64
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import matplotlib
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from reports.figures import learning_curves, metric_bars, save_figure, timing_bars
from reports.items import build_item
from reports.paper_checks import Finding, check_papers
from reports.tables import (
    format_interval,
    format_number,
    format_ratio,
    metric_digits,
    metric_scale,
    paper_table,
    with_current_averages,
    with_variant,
)

__all__ = ["CHECKS_TITLE", "CLAIMS_TITLE", "REPORT_TITLE", "claims_table", "write_report"]

REPORT_TITLE = "ignet-bench: the papers' numbers beside ours"
CHECKS_TITLE = "The papers' own numbers, checked"
CLAIMS_TITLE = "The papers' claims and our verdicts"
TABLE_KEY = (
    "Each protocol's cell: our mean over folds [95% corrected resampled t-interval (Nadeau "
    "and Bengio), which allows for the training data that folds share] (folds); trivial: "
    "the same for the trivial predictor on the first protocol's folds; leak: the share of "
    "test samples whose original image is in training; verdict: reproduced, not reproduced "
    "or inconclusive against the paper's number (rules in docs/evidence.md)."
)
CLAIMS_CAPTION = (
    "Every number the papers give, beside ours under each protocol the suite runs: the mean "
    "over folds with its 95% corrected resampled t-interval (Nadeau and Bengio; for the speed "
    "claims a bootstrap over folds of the median time ratio), the number of folds and of "
    "test samples, the trivial predictor's score on the same folds, and the verdict with its "
    "reason (rules in docs/evidence.md). On synthetic stand-in data a verdict tests whether "
    "our reimplementation reaches the paper's number on data whose difficulty we chose, not "
    "the paper itself; the protocol effect (paper protocol minus leak-free) means something "
    "on any data."
)
#: What a verdict can decide, by the kind of data behind it (see ``_data_kind`` in
#: bench/reporting.py): on a generated stand-in, only whether our reimplementation reaches
#: the paper's number on data whose difficulty we chose.
VERDICT_TESTS = {
    "synthetic": "synthetic stand-in: tests our reimplementation",
    "real": "real data: tests the paper's claim",
}
# Landscape A4, in inches: wide tables of several protocols fit on one line.
_PAGE = (11.69, 8.27)
_NO_RESULTS = "No results were found: run an experiment first."


@dataclass
class _FigureItem:
    stem: str
    caption: str
    figure: Figure
    png: str = ""


@dataclass
class _Table:
    caption: str
    frame: pd.DataFrame
    html: str = ""


@dataclass
class _Section:
    name: str
    title: str
    notes: str
    table: pd.DataFrame
    evidence: pd.DataFrame = field(default_factory=pd.DataFrame)
    speed: pd.DataFrame = field(default_factory=pd.DataFrame)
    data_kind: str = "real"
    table_html: str = ""
    tables: list[_Table] = field(default_factory=list)
    figures: list[_FigureItem] = field(default_factory=list)


def write_report(
    records: pd.DataFrame,
    experiments: Sequence[Mapping[str, Any]],
    out: Path,
    context: Mapping[str, Any],
    data_figures: Sequence[tuple[str, str, Figure]] = (),
    data_tables: Sequence[tuple[str, str, pd.DataFrame]] = (),
) -> dict[str, Path]:
    """Render every experiment's table and figures, and the HTML and PDF reports, under ``out``.

    Parameters
    ----------
    records : flat result records (one row per finished fold); may be empty.
    experiments : one dict per experiment with ``name``, ``title``, ``notes``, ``paper``
        (target -> {metric: value}, accuracy as a fraction) and optionally ``paper_runs``
        (run name -> target -> {metric: value}), ``report`` (names of
        :data:`reports.items.ITEMS` to add), ``paper_attributes`` (for the
        ``attributes`` item), ``figures`` ((stem, caption, figure) to add), ``evidence``
        and ``speed`` (:mod:`bench.claims` tables) and ``data_kind`` (``synthetic`` or
        ``real``: what its verdicts test, :data:`VERDICT_TESTS`).
    out : the report folder; created if missing, files in it are overwritten.
    context : ``machine`` and ``versions`` (dicts), ``seeds``, ``profile``, ``data`` (a
        description of the data set) and ``summary`` (a short paragraph on what was and
        was not reproduced); a count of the paper's claims that hold is added to it.
    data_figures : (stem, caption, figure) of the data (example images, augmentations),
        shown after the first section.
    data_tables : (stem, caption, table) of the data (class counts beside the paper's),
        shown in the same section and written to ``tables/<stem>.csv``.

    Returns
    -------
    Every file written, keyed by its path relative to ``out`` (``report.html``,
    ``report.pdf``, ``tables/<name>.csv``, ``tables/paper_checks.csv``,
    ``figures/<stem>.png`` ...).
    """
    out = Path(out)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    sections = []
    for experiment in experiments:
        section = _build_section(records, experiment)
        csv = out / "tables" / f"{section.name}.csv"
        section.table.to_csv(csv, index=False)
        written[f"tables/{csv.name}"] = csv
        if not section.evidence.empty:  # the same rows as numbers, for re-analysis
            csv = out / "tables" / f"{section.name}_evidence.csv"
            section.evidence.to_csv(csv, index=False)
            written[f"tables/{csv.name}"] = csv
        for index, table in enumerate(section.tables):
            csv = out / "tables" / f"{section.name}_{index + 1}.csv"
            table.frame.to_csv(csv, index=False)
            written[f"tables/{csv.name}"] = csv
        sections.append(section)
    data = [_FigureItem(stem, caption, figure) for stem, caption, figure in data_figures]
    tables = []
    for stem, caption, frame in data_tables:
        csv = out / "tables" / f"{stem}.csv"
        frame.to_csv(csv, index=False)
        written[f"tables/{csv.name}"] = csv
        tables.append(_Table(caption, frame, _html_table(frame)))
    for item in [*data, *(item for section in sections for item in section.figures)]:
        for path in save_figure(item.figure, out / "figures", item.stem):
            written[f"figures/{path.name}"] = path
        item.png = base64.b64encode((out / "figures" / f"{item.stem}.png").read_bytes()).decode(
            "ascii"
        )
    findings = check_papers()
    checks = out / "tables" / "paper_checks.csv"
    pd.DataFrame(findings).to_csv(checks, index=False)
    written[f"tables/{checks.name}"] = checks
    has_results = not records.empty
    context = {**context, "summary": _with_verdicts(str(context.get("summary", "")), sections)}
    claims = claims_table(sections)
    csv = out / "tables" / "claims.csv"
    claims.to_csv(csv, index=False)
    written[f"tables/{csv.name}"] = csv
    html = out / "report.html"
    html.write_text(
        _render_html(sections, context, has_results, (data, tables), findings, claims),
        encoding="utf-8",
    )
    written["report.html"] = html
    pdf = out / "report.pdf"
    _write_pdf(pdf, sections, context, has_results, (data, tables), findings, claims)
    written["report.pdf"] = pdf
    return written


def _build_section(records: pd.DataFrame, experiment: Mapping[str, Any]) -> _Section:
    name = str(experiment["name"])
    paper: Mapping[str, Mapping[str, float]] = experiment.get("paper") or {}
    paper_runs: Mapping[str, Mapping[str, Mapping[str, float]]] = experiment.get("paper_runs") or {}
    # Records with no experiment column cannot be told apart: all of them belong here.
    rows = records[records["experiment"] == name] if "experiment" in records else records
    rows = with_current_averages(rows)
    evidence = experiment.get("evidence")
    speed = experiment.get("speed")
    section = _Section(
        name=name,
        title=str(experiment.get("title") or name),
        notes=str(experiment.get("notes") or "").strip(),
        table=paper_table(evidence if evidence is not None else pd.DataFrame()),
        evidence=evidence if evidence is not None else pd.DataFrame(),
        speed=speed if speed is not None else pd.DataFrame(),
        data_kind=str(experiment.get("data_kind", "real")),
    )
    if rows.empty:
        return section
    section.table_html = _html_table(section.table)
    for caption, frame in (
        (_EFFECTS_CAPTION, experiment.get("effects")),
        (_COMPARISONS_CAPTION, experiment.get("comparisons")),
    ):
        if frame is not None and not frame.empty:
            shown = _interval_view(frame)
            section.tables.append(_Table(caption, shown, _html_table(shown)))
    rows = with_variant(rows)
    if "status" in rows:
        rows = rows[rows["status"].fillna("ok") == "ok"]
    shown, shown_paper = _one_row_per_run(rows, paper, paper_runs)
    section.figures.append(
        _FigureItem(
            f"{name}_metrics",
            "Paper vs ours per protocol and target",
            metric_bars(shown, shown_paper),
        )
    )
    # The linear baseline is fitted in one go: it has no learning curve to draw.
    trained = shown[shown["engine"] != "linear"]
    for index, target in enumerate(_targets(trained, shown_paper)):
        section.figures.append(
            _FigureItem(
                f"{name}_curves_{index}",
                f"Learning curves for {target}",
                learning_curves(trained, target=target),
            )
        )
    if "samples_per_second" in rows and rows["samples_per_second"].notna().any():
        section.figures.append(
            _FigureItem(
                f"{name}_timing",
                "Training throughput per engine and backend",
                timing_bars(_engine_per_run(rows)),
            )
        )
    for item_name in experiment.get("report") or ():
        item = build_item(item_name, rows, experiment)
        section.tables += [_Table(c, f, _html_table(f)) for c, f in item.tables]
        section.figures += [_FigureItem(*figure) for figure in item.figures]
    section.figures += [_FigureItem(*figure) for figure in experiment.get("figures") or ()]
    return section


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
    frames of :func:`write_report`; the table keeps the experiments' order, one row per
    run, target and protocol.
    """
    rows = []
    for section in sections:
        evidence = section.evidence
        if evidence.empty:
            continue
        for _, line in evidence[evidence["verdict"].fillna("") != ""].iterrows():
            scale, _unit = metric_scale(str(line["metric"]))
            digits = metric_digits(str(line["metric"]))
            rows.append(
                {
                    "claim": section.title,
                    "run": line["run"],
                    "target": line["target"],
                    "metric": line["metric"],
                    "paper": format_number(line["paper"], scale, digits),
                    "protocol": line["protocol"],
                    "ours, 95% CI": format_interval(
                        line["mean"], line["ci_low"], line["ci_high"], scale, digits
                    ),
                    "folds": int(line["folds"]),
                    "test samples": int(line["test_samples"]),
                    "trivial": format_interval(
                        line["trivial"], line["trivial_low"], line["trivial_high"], scale, digits
                    ),
                    "verdict": line["verdict"],
                    "reason": line["reason"],
                    "interval": line["ci_method"],
                    "data": VERDICT_TESTS[section.data_kind],
                }
            )
        speed = section.speed
        judged = speed[speed["verdict"].fillna("") != ""] if not speed.empty else speed
        for _, line in judged.iterrows():
            rows.append(
                {
                    "claim": line["claim"],
                    "run": f"{line['slow']} / {line['fast']}",
                    "target": line["target"],
                    "metric": "time ratio",
                    "paper": f"{line['paper']:g}x",
                    "protocol": line["protocol"],
                    "ours, 95% CI": format_ratio(line["ratio"], line["ci_low"], line["ci_high"]),
                    "folds": int(line["folds"]),
                    "test samples": "-",
                    "trivial": "-",
                    "verdict": line["verdict"],
                    "reason": line["reason"],
                    "interval": line["ci_method"],
                    "data": VERDICT_TESTS[section.data_kind],
                }
            )
    return pd.DataFrame(rows)


def _html_table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, classes="results", na_rep="-", escape=True)


def _one_row_per_run(
    rows: pd.DataFrame,
    paper: Mapping[str, Mapping[str, float]],
    paper_runs: Mapping[str, Mapping[str, Mapping[str, float]]],
) -> tuple[pd.DataFrame, dict[str, Mapping[str, float]]]:
    """Rows whose target names the run too when an experiment has several runs.

    The figures group by target and protocol; with several runs (networks, settings)
    each run's results must stay apart, so the run's name joins the target's.
    """
    if rows["variant"].nunique() <= 1:
        return rows, dict(paper)
    labels = rows["variant"].astype(str) + ": " + rows["target"].astype(str)
    numbers = {
        f"{variant}: {target}": (paper_runs.get(str(variant)) or paper).get(str(target), {})
        for variant, target in zip(rows["variant"], rows["target"], strict=True)
    }
    return rows.assign(target=labels), numbers


def _engine_per_run(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows whose engine names the run too when an engine has several runs."""
    if (rows.groupby("engine")["variant"].nunique() <= 1).all():
        return rows
    return rows.assign(engine=rows["engine"].astype(str) + " " + rows["variant"].astype(str))


def _with_verdicts(summary: str, sections: Sequence[_Section]) -> str:
    """``summary`` followed by how the paper's claims fared, per kind of data and protocol."""
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for section in sections:
        for frame in (section.evidence, section.speed):
            if frame.empty:
                continue
            judged = frame[frame["verdict"].fillna("") != ""]
            for (protocol, word), group in judged.groupby(["protocol", "verdict"], sort=False):
                tally = counts.setdefault(section.data_kind, {}).setdefault(str(protocol), {})
                tally[str(word)] = tally.get(str(word), 0) + len(group)
    if not counts:
        return summary
    parts = []
    for kind, protocols in counts.items():
        tallies = "; ".join(
            f"{protocol}: " + ", ".join(f"{n} {word}" for word, n in sorted(tally.items()))
            for protocol, tally in protocols.items()
        )
        data, tests = VERDICT_TESTS[kind].split(": ")
        parts.append(f"on the {data} (a verdict there {tests}), {tallies}")
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


def _render_html(
    sections: Sequence[_Section],
    context: Mapping[str, Any],
    has_results: bool,
    data: tuple[Sequence[_FigureItem], Sequence[_Table]],
    findings: Sequence[Finding],
    claims: pd.DataFrame,
) -> str:
    source = resources.files("reports").joinpath("templates/report.html.j2").read_text("utf-8")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string(source)
    return template.render(
        title=REPORT_TITLE,
        checks_title=CHECKS_TITLE,
        profile=str(context.get("profile", "-")),
        seeds=_seeds(context.get("seeds")),
        data=str(context.get("data", "-")),
        machine=dict(context.get("machine") or {}),
        versions=dict(context.get("versions") or {}),
        summary=str(context.get("summary", "")),
        has_results=has_results,
        sections=sections,
        data_figures=data[0],
        data_tables=data[1],
        inconsistent=_html_table(_findings_frame(findings, consistent=False)),
        consistent=_html_table(_findings_frame(findings, consistent=True)),
        claims=_html_table(claims) if not claims.empty else "",
        claims_caption=CLAIMS_CAPTION,
        table_key=TABLE_KEY,
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
        ]
    )


def _write_pdf(
    path: Path,
    sections: Sequence[_Section],
    context: Mapping[str, Any],
    has_results: bool,
    data: tuple[Sequence[_FigureItem], Sequence[_Table]],
    findings: Sequence[Finding],
    claims: pd.DataFrame,
) -> None:
    # TrueType (42) embeds real glyphs with a text layer, so the PDF can be searched and
    # its text extracted; the default Type 3 fonts cannot.
    banner = f"Data: {context.get('data', '-')}; profile {context.get('profile', '-')}"
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(path) as pdf:

        def save(figure: Figure, heading: str = "", tight: bool = False) -> None:
            # Every page names the data it rests on; a figure also gets its heading above
            # its own title, and a tight box keeps both.
            added = [figure.text(0.01, -0.03 if tight else 0.012, banner, fontsize=7)]
            if heading:
                added.append(
                    figure.text(
                        0.5, 1.02, heading, ha="center", va="bottom", fontsize=10, wrap=True
                    )
                )
            pdf.savefig(figure, bbox_inches="tight" if tight else None)
            for text in added:
                text.remove()

        save(_front_page(context, has_results))
        if not claims.empty:
            # The page keeps the columns that fit it; reasons and methods are in the HTML
            # and in tables/claims.csv.
            compact = claims.drop(columns=["claim", "reason", "interval", "test samples"])
            compact["data"] = compact["data"].str.split(":").str[0]
            save(_table_page(CLAIMS_TITLE, CLAIMS_CAPTION, compact))
        for table in data[1]:
            save(_table_page("Data", table.caption, table.frame))
        for item in data[0]:
            save(item.figure, item.caption, tight=True)
        for section in sections:
            save(_table_page(section.title, f"{section.notes} {TABLE_KEY}", section.table))
            for table in section.tables:
                save(_table_page(section.title, table.caption, table.frame))
            for item in section.figures:
                save(item.figure, section.title, tight=True)
        for page in _findings_pages(findings):
            save(page)
        info = pdf.infodict()
        info["Title"] = REPORT_TITLE


def _front_page(context: Mapping[str, Any], has_results: bool) -> Figure:
    page = Figure(figsize=_PAGE)
    y = 0.93
    page.text(0.06, y, REPORT_TITLE, fontsize=18, weight="bold")
    y -= 0.08
    for label, value in _context_lines(context):
        lines = textwrap.wrap(value, 110) or ["-"]
        page.text(0.06, y, f"{label}:", fontsize=10, weight="bold")
        for line in lines:
            page.text(0.17, y, line, fontsize=10)
            y -= 0.03
        y -= 0.01
    y -= 0.03
    page.text(0.06, y, "Summary", fontsize=13, weight="bold")
    y -= 0.045
    for line in textwrap.wrap(str(context.get("summary", "")), 120):
        page.text(0.06, y, line, fontsize=10)
        y -= 0.03
    if not has_results:
        page.text(0.06, y - 0.03, _NO_RESULTS, fontsize=11, color="#a00000", style="italic")
    return page


def _findings_pages(findings: Sequence[Finding]) -> list[Figure]:
    """The papers' inconsistencies, then the checks that hold, as wrapped text pages."""
    lines: list[tuple[str, str]] = []  # (style, text)
    for consistent, heading in ((False, CHECKS_TITLE), (True, "Checks that hold")):
        lines.append(("heading", heading))
        for f in findings:
            if f.consistent == consistent:
                claim = textwrap.wrap(f"{f.paper}, {f.where}: {f.claim}", 140)
                lines += [("bold", line) for line in claim]
                lines += [("plain", line) for line in textwrap.wrap(f.arithmetic, 140)]
    pages: list[Figure] = []
    y = 0.0
    for style, text in lines:
        if not pages or y < 0.06:
            pages.append(Figure(figsize=_PAGE))
            y = 0.94
        if style == "heading":
            y -= 0.02
            pages[-1].text(0.04, y, text, fontsize=15, weight="bold")
            y -= 0.05
            continue
        pages[-1].text(0.04, y, text, fontsize=8.5, weight="bold" if style == "bold" else "normal")
        y -= 0.026
    return pages


def _table_page(title: str, notes: str, table: pd.DataFrame) -> Figure:
    page = Figure(figsize=_PAGE)
    y = 0.94
    for line in textwrap.wrap(title, 80):
        page.text(0.04, y, line, fontsize=15, weight="bold")
        y -= 0.045
    y -= 0.01
    for line in textwrap.wrap(" ".join(notes.split()), 130):
        page.text(0.04, y, line, fontsize=9, color="#444444")
        y -= 0.027
    y -= 0.03
    if table.empty:
        page.text(0.04, y, "No results for this experiment.", fontsize=11, style="italic")
        return page
    text = table.to_string(index=False, na_rep="-")
    lines = text.splitlines()
    width = max(len(line) for line in lines)
    # A monospaced glyph is about 0.6 em wide and a line about 1.2 em high: pick the
    # largest size at which the widest line fits the width and all lines the height left.
    fontsize = min(
        9.0,
        0.92 * _PAGE[0] * 72 / (0.6 * width),
        0.95 * y * _PAGE[1] * 72 / (1.2 * len(lines)),
    )
    page.text(0.04, y, text, fontsize=fontsize, family="monospace", va="top")
    return page
