from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from pypdf import PdfReader

from bench.claims import evidence_table
from reports.figures import learning_curves, metric_bars, save_figure, timing_bars
from reports.report import write_report

TARGETS = {"age_category": "classification", "age_months": "regression"}
PROTOCOLS = ("paper-keras", "leak-free")
EXPERIMENTS: list[dict[str, Any]] = [
    {
        "name": "table1",
        "title": "Table 1: accuracy per label combination",
        "notes": "The Fig. 2 CNN on the drawings.",
        "paper": {"age_category": {"accuracy": 0.8854}, "age_months": {"mape": 12.95}},
    },
    {
        "name": "table2",
        "title": "Table 2: the IgNet engine",
        "notes": "",
        "paper": {"age_category": {"accuracy": 0.70}},
    },
]
CONTEXT: dict[str, Any] = {
    "machine": {"cpus": 2, "system": "Linux"},
    "versions": {"numpy": "2.0", "keras": "3.0"},
    "seeds": [0, 1],
    "profile": "quick",
    "data": "synthetic (seed 0)",
    "summary": "The paper-keras protocol leaks; the leak-free one does not.",
}


def _record(experiment: str, engine: str, protocol: str, target: str, fold: int) -> dict:
    task = TARGETS[target]
    base = 0.1 * fold + (0.3 if protocol == "paper-keras" else 0.0)
    # The second fold stops one epoch early, as early stopping does.
    epochs = 4 - fold
    record = {
        "experiment": experiment,
        "engine": engine,
        "backend": "numpy" if engine == "ignet" else "tensorflow",
        "network": "fig2",
        "protocol": protocol,
        "target": target,
        "task": task,
        "fold": fold,
        "seed": 0,
        "job_id": f"{experiment}-{engine}-{protocol}-{target}-{fold}",
        "n_train": 800,
        "n_test": 200,
        "samples_per_second": 100.0 + 10 * fold,
        "leakage.same_image": 1.0 if protocol == "paper-keras" else 0.0,
        "curve.loss": [2.0 - 0.3 * e for e in range(epochs)],
        "curve.val_loss": [2.1 - 0.2 * e for e in range(epochs)],
    }
    if task == "classification":
        record["metrics.test.accuracy"] = 0.4 + base
        record["curve.accuracy"] = [0.2 + 0.1 * e for e in range(epochs)]
        record["curve.val_accuracy"] = [0.2 + 0.05 * e for e in range(epochs)]
    else:
        record["metrics.test.mape"] = 20.0 - 10 * base
        record["curve.mape"] = [40.0 - 5 * e for e in range(epochs)]
        record["curve.val_mape"] = [42.0 - 4 * e for e in range(epochs)]
    return record


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    rows = [
        _record("table1", "keras", protocol, target, fold)
        for protocol in PROTOCOLS
        for target in TARGETS
        for fold in (0, 1)
    ]
    rows += [
        _record("table2", "ignet", protocol, "age_category", fold)
        for protocol in PROTOCOLS
        for fold in (0, 1)
    ]
    return pd.DataFrame(rows)


def with_evidence(records: pd.DataFrame) -> list[dict[str, Any]]:
    """The experiments with the evidence ``bench`` computes from their records."""
    out = []
    for experiment in EXPERIMENTS:
        rows = records[records["experiment"] == experiment["name"]]
        paper_runs = {"fig2": experiment["paper"]}
        out.append({**experiment, "evidence": evidence_table(rows, paper_runs)})
    return out


@pytest.fixture(scope="module")
def report(records: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    experiments = with_evidence(records)
    return write_report(records, experiments, tmp_path_factory.mktemp("report"), CONTEXT)


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_write_report_creates_every_file(report: dict[str, Path]) -> None:
    for key in ("report.html", "report.pdf", "tables/table1.csv", "tables/table2.csv"):
        assert report[key].is_file() and report[key].stat().st_size > 0
    for stem in ("table1_metrics", "table1_curves_0", "table1_curves_1", "table1_timing"):
        assert report[f"figures/{stem}.png"].read_bytes().startswith(b"\x89PNG")
        assert b"<svg" in report[f"figures/{stem}.svg"].read_bytes()[:1000]
    table = pd.read_csv(report["tables/table1.csv"])
    assert list(table.columns[:5]) == ["engine", "network", "target", "metric", "paper"]
    assert {"paper-keras", "leak-free"} <= set(table.columns)


def test_html_has_context_titles_tables_and_embedded_figures(report: dict[str, Path]) -> None:
    html = report["report.html"].read_text(encoding="utf-8")
    for experiment in EXPERIMENTS:
        assert experiment["title"] in html
    # The claims, one per experiment, and the papers' checks: those that fail, those
    # that hold.
    assert html.count("<table") == 1 + len(EXPERIMENTS) + 2
    assert html.index("claims and our verdicts") < html.index(EXPERIMENTS[0]["title"])
    for text in (*TARGETS, *PROTOCOLS, "88.54", "12.95", "synthetic (seed 0)", "quick"):
        assert text in html
    assert CONTEXT["summary"].replace("'", "&#39;") in html
    assert "numpy 2.0" in html and "cpus: 2" in html
    # Self-contained: every figure is inline, nothing points at a file beside the report.
    assert html.count('src="data:image/png;base64,') == sum(
        1 for key in report if key.endswith(".png")
    )
    assert 'src="figures/' not in html


def test_pdf_carries_the_same_headings(report: dict[str, Path]) -> None:
    text = _pdf_text(report["report.pdf"])
    for experiment in EXPERIMENTS:
        assert experiment["title"] in text
    for text_piece in ("synthetic (seed 0)", "quick", "Summary", "88.54", "age_months"):
        assert text_piece in text


def test_learning_curves_draw_train_and_validation_per_protocol(records: pd.DataFrame) -> None:
    fig = learning_curves(records[records["experiment"] == "table1"], target="age_category")
    assert len(fig.axes) == 2
    # One engine, two protocols: train and validation each.
    assert [len(ax.lines) for ax in fig.axes] == [4, 4]
    # Folds of 4 and 3 epochs: the mean runs over all 4, from the folds that reached each.
    assert np.asarray(fig.axes[0].lines[0].get_xdata()).size == 4
    accuracy = np.asarray(fig.axes[1].lines[0].get_ydata())
    assert accuracy[0] == pytest.approx(20.0)


def test_learning_curves_for_one_protocol(records: pd.DataFrame) -> None:
    fig = learning_curves(records, target="age_months", protocol="leak-free")
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]
    assert "MAPE" in fig.axes[1].get_ylabel()


def test_metric_bars_one_axes_per_task_with_the_paper_marker(records: pd.DataFrame) -> None:
    paper = EXPERIMENTS[0]["paper"]
    fig = metric_bars(records[records["experiment"] == "table1"], paper)
    assert len(fig.axes) == 2
    classification = fig.axes[0]
    assert len(classification.patches) == len(PROTOCOLS)  # one target, one bar per protocol
    # Error bars are line collections; the paper's marker is the one scatter collection.
    (marker,) = [c for c in classification.collections if isinstance(c, PathCollection)]
    assert np.asarray(marker.get_offsets())[0, 1] == pytest.approx(88.54)


def test_timing_bars_one_bar_per_engine_and_backend(records: pd.DataFrame, tmp_path: Path) -> None:
    fig = timing_bars(records)
    assert len(fig.axes) == 1
    assert len(fig.axes[0].patches) == 2
    png, svg = save_figure(fig, tmp_path, "timing")
    assert png.is_file() and svg.is_file()


def test_empty_records_give_a_report_that_says_so(tmp_path: Path) -> None:
    written = write_report(pd.DataFrame(), EXPERIMENTS, tmp_path, CONTEXT)
    html = written["report.html"].read_text(encoding="utf-8")
    assert "No results were found" in html
    # No result tables; the papers' checks need no results.
    assert html.count("<table") == 2 and html.index("<table") > html.index('id="paper-checks"')
    assert not [key for key in written if key.startswith("figures/")]
    text = _pdf_text(written["report.pdf"])
    assert "No results" in text
    for experiment in EXPERIMENTS:
        assert experiment["title"] in text
    for figure in (
        learning_curves(pd.DataFrame(), target="age_category"),
        metric_bars(pd.DataFrame()),
        timing_bars(pd.DataFrame()),
    ):
        assert figure.axes and all(not ax.lines for ax in figure.axes)


def test_data_tables_are_shown_and_written(tmp_path: Path) -> None:
    counts = pd.DataFrame(
        {"target": ["age+who_drew+who_is_drawn+age_category", "age"], "classes": [194, 79]}
    ).assign(paper=pd.array([186, None], dtype="Int64"))
    caption = "Classes per target beside the paper's"
    written = write_report(
        pd.DataFrame(), EXPERIMENTS, tmp_path, CONTEXT, data_tables=[("counts", caption, counts)]
    )
    html = written["report.html"].read_text(encoding="utf-8")
    assert caption.replace("'", "&#39;") in html and "<td>194</td>" in html
    assert pd.read_csv(written["tables/counts.csv"])["paper"].iloc[0] == 186
    assert caption in _pdf_text(written["report.pdf"])


def test_every_pdf_page_names_the_data(report: dict[str, Path]) -> None:
    pages = PdfReader(report["report.pdf"]).pages
    assert len(pages) > 3
    for number, page in enumerate(pages, 1):
        assert "Data: synthetic (seed 0)" in page.extract_text(), number
