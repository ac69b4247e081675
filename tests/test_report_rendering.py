"""The report as a document: HTML and typeset PDF from one source, figures, CSV tables."""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest
from matplotlib.collections import PathCollection

from bench.claims import evidence_table
from reports.figures import forest_plot, learning_curves, save_figure, timing_bars
from reports.report import CLAIMS_TITLE, write_report

TARGETS = {"age_category": "classification", "age_months": "regression"}
PROTOCOLS = ("paper-keras", "leak-free")
EXPERIMENTS: list[dict[str, Any]] = [
    {
        "name": "zz_extra",
        "title": "An experiment of our own",
        "notes": "",
        "paper": {"age_category": {"accuracy": 0.70}},
    },
    {
        "name": "table1",
        "title": "Table 1: accuracy per label combination",
        "notes": "The Fig. 2 CNN on the drawings.",
        "paper": {"age_category": {"accuracy": 0.8854}, "age_months": {"mape": 12.95}},
    },
]
CONTEXT: dict[str, Any] = {
    "machine": {"cpus": 2, "system": "Linux"},
    "versions": {"numpy": "2.0", "keras": "3.0"},
    "seeds": [0, 1],
    "profile": "quick",
    "data": "synthetic (seed 0)",
    "summary": "The paper-keras protocol leaks; the leak-free one does not.",
    "missing": ["activation"],
}
# The quick profile's PDF must stay within this many pages (the bound).
PAGE_BOUND = 30


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
        record["metrics.trivial.accuracy"] = 0.25
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
        _record("zz_extra", "ignet", protocol, "age_category", fold)
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


def _pages(path: Path) -> list[str]:
    document = pdfium.PdfDocument(path)
    return [" ".join(page.get_textpage().get_text_range().split()) for page in document]


def _font_sizes(path: Path) -> dict[str, float]:
    """The smallest size each font is set in, over every page of the PDF."""
    smallest: dict[str, float] = {}
    for page in pdfium.PdfDocument(path):
        text = page.get_textpage()
        for index in range(text.count_chars()):
            name = ctypes.create_string_buffer(128)
            flags = ctypes.c_int()
            pdfium_raw.FPDFText_GetFontInfo(text.raw, index, name, 128, ctypes.byref(flags))
            font = name.value.decode().split("+")[-1]
            if font:
                size = pdfium_raw.FPDFText_GetFontSize(text.raw, index)
                smallest[font] = min(size, smallest.get(font, size))
    return smallest


def test_write_report_creates_every_file(report: dict[str, Path]) -> None:
    for key in ("report.html", "report.pdf", "results.csv", "tables/claims.csv"):
        assert report[key].is_file() and report[key].stat().st_size > 0
    assert report["report.pdf"].read_bytes().startswith(b"%PDF")
    svgs = [key for key in report if key.startswith("figures/")]
    assert svgs and all(key.endswith(".svg") for key in svgs)
    assert "figures/table1_curves.svg" in report and "figures/claims_forest.svg" in report


def test_csv_tables_hold_numbers(report: dict[str, Path]) -> None:
    table = pd.read_csv(report["tables/table1_by_protocol.csv"])
    for column in ("mean", "ci_low", "ci_high", "folds", "paper", "trivial"):
        assert pd.api.types.is_numeric_dtype(table[column]), column
    assert set(table["unit"]) == {"percent"}  # accuracy and MAPE alike
    accuracy = table[table["metric"] == "accuracy"]
    assert accuracy["paper"].iloc[0] == pytest.approx(88.54)
    assert accuracy["mean"].iloc[0] == pytest.approx(75.0)  # paper-keras folds: 0.7, 0.8
    claims = pd.read_csv(report["tables/claims.csv"])
    assert pd.api.types.is_numeric_dtype(claims["mean"])
    accuracy = claims[(claims["section"] == "table1") & (claims["metric"] == "accuracy")]
    assert accuracy["paper"].iloc[0] == pytest.approx(88.54)  # in percent, as the unit says
    results = pd.read_csv(report["results.csv"])
    assert {"job_id", "split", "metric", "value", "unit"} <= set(results.columns)
    assert pd.api.types.is_numeric_dtype(results["value"])
    # As recorded: accuracy as a fraction, MAPE in percent, and each row says which.
    units = results.groupby("metric")["unit"].unique()
    assert list(units["accuracy"]) == ["fraction"] and list(units["mape"]) == ["percent"]
    # One row per job and metric: 8 table1 jobs and 4 others, each with its test score.
    assert set(results["metric"]) == {"accuracy", "mape"}
    assert len(results[results["split"] == "test"]) == 12
    assert len(results[results["split"] == "trivial"]) == 8  # the classification jobs


def test_sections_follow_the_papers_order_and_open_with_the_claim(
    report: dict[str, Path],
) -> None:
    html = report["report.html"].read_text(encoding="utf-8")
    # table1 is the papers' first item; an experiment of our own comes after the papers'.
    claims = html.index(CLAIMS_TITLE.replace("'", "&#39;"))
    assert claims < html.index('id="table1"') < html.index('id="zz_extra"')
    section = html[html.index('id="table1"') :]
    assert section.index('class="claim"') < section.index("<table")
    assert "85.58%" in section[: section.index("<table")]  # the paper's words
    assert "no results of activation" in html


def test_every_table_and_figure_is_numbered_captioned_and_linked(
    report: dict[str, Path],
) -> None:
    html = report["report.html"].read_text(encoding="utf-8")
    tables = re.findall(r"<caption><strong>Table (\d+)\.</strong> (.+?)</caption>", html, re.S)
    figures = re.findall(r"<figcaption><strong>Figure (\d+)\.</strong> (.+?)</figcaption>", html)
    assert len(tables) == html.count("<table") and len(figures) == html.count("<figure")
    assert [int(n) for n, _ in tables] == list(range(1, len(tables) + 1))
    assert [int(n) for n, _ in figures] == list(range(1, len(figures) + 1))
    assert all(caption.strip() for _, caption in tables + figures)
    ids = set(re.findall(r'id="([^"]+)"', html))
    links = re.findall(r'href="#([^"]+)"', html)
    assert links and set(links) <= ids
    for number in range(1, len(tables) + 1):  # every table referenced from the text
        assert f">Table {number}</a>" in html
    # Self-contained: every figure is inline SVG, nothing points at a file beside it.
    assert html.count('src="data:image/svg+xml;base64,') == len(figures)
    assert 'src="figures/' not in html


def test_html_right_aligns_numbers(report: dict[str, Path]) -> None:
    html = report["report.html"].read_text(encoding="utf-8")
    assert '<th class="num">paper</th>' in html and '<td class="num">88.54</td>' in html


def test_a_runs_cells_repeated_on_its_next_rows_are_blank_in_html_and_grey_in_pdf(
    report: dict[str, Path],
) -> None:
    html = report["report.html"].read_text(encoding="utf-8")
    table = html[html.index('id="table1_by_protocol"') :]
    rows = re.findall(r"<tr>(.*?)</tr>", table[: table.index("</table>")], flags=re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows[1:]]
    # Each run's protocols follow each other: its own cells on its first row only.
    assert cells[0][:3] == ["keras", "fig2", "age_category"]
    assert cells[1][:5] == [""] * 5 and cells[1][5] == "leak-free"
    # In the PDF every row names its run (in grey where it repeats), so that a table
    # continued on a new page still says whose rows it holds.
    text = " ".join(_pages(report["report.pdf"]))
    assert text.count("keras fig2 age_category accuracy (%) 88.54") == 2


def test_pdf_is_typeset_with_the_claims_first(report: dict[str, Path]) -> None:
    pages = _pages(report["report.pdf"])
    assert 3 < len(pages) <= PAGE_BOUND
    claims = pd.read_csv(report["tables/claims.csv"])
    first = pages[0] + " " + pages[1]
    assert CLAIMS_TITLE in pages[0]
    for run, target in zip(claims["run"], claims["target"], strict=True):
        assert f"{run}, {target}" in first
    # The forest plot of the claims follows them on page one or two.
    assert "Figure 1. Every judged claim" in first
    for number, text in enumerate(pages, 1):
        # Every page names the data it rests on, and is numbered.
        assert "Data: synthetic (seed 0). Profile: quick." in text, number
        assert f"{number} of {len(pages)}" in text, number
    whole = " ".join(pages)
    assert "Contents" in whole and "Table 1: accuracy per label combination" in whole
    # Real tables, not text dumps: the header cells are set apart from their rows.
    assert "Table 1." in whole and "88.54" in whole


def test_pdf_text_is_never_under_9_points(report: dict[str, Path]) -> None:
    sizes = _font_sizes(report["report.pdf"])
    body = {font: size for font, size in sizes.items() if font.startswith("Libertinus")}
    assert body and min(body.values()) >= 9.0 - 1e-6, body


# DejaVu Sans's digits stand 0.729 of its em: a digit's box height over it is the size the
# figure's text is printed at, whatever the figure was scaled by.
_DIGIT_HEIGHT = 0.729


def _figure_text_sizes(path: Path) -> list[float]:
    """The printed size, in points, of every digit the figures (set in DejaVu) show."""
    sizes = []
    for page in pdfium.PdfDocument(path):
        text = page.get_textpage()
        for index in range(text.count_chars()):
            if not text.get_text_range(index, 1).isdigit():
                continue
            name = ctypes.create_string_buffer(128)
            flags = ctypes.c_int()
            pdfium_raw.FPDFText_GetFontInfo(text.raw, index, name, 128, ctypes.byref(flags))
            if "DejaVu" in name.value.decode():
                _left, bottom, _right, top = text.get_charbox(index)
                sizes.append((top - bottom) / _DIGIT_HEIGHT)
    return sizes


def test_figure_text_is_printed_at_9_points(records: pd.DataFrame, tmp_path: Path) -> None:
    from reports.figures import (
        augmentation_examples,
        confusion_matrix,
        diagnostic_table,
        prediction_examples,
    )
    from reports.leak import leak_figure

    rng = np.random.default_rng(0)
    layers = pd.DataFrame({"layer": ["conv 0", "dense 1"], "weights": [0.5, 0.02]})
    points = pd.DataFrame(
        {
            "run": "1nn pixels",
            "engine": "nearest",
            "role": "baseline",
            "protocol": ["paper-ignet", "leak-free"] * 2,
            "target": "age_category",
            "metric": "accuracy",
            "strength": [0.0, 0.0, 1.0, 1.0],
            "copies": 10.0,
            "mean": [0.9, 0.3, 0.6, 0.3],
            "low": [0.85, 0.25, 0.55, 0.25],
            "high": [0.95, 0.35, 0.65, 0.35],
            "trivial": 0.14,
        }
    )
    figures = [
        ("confusion", "confusion", confusion_matrix(rng.integers(0, 9, (8, 8)), list("abcdefgh"))),
        ("diagnostics", "diagnostics", diagnostic_table({"before": layers, "after": layers})),
        ("leak", "leak", leak_figure(points, "age_category", claim=0.95, ceiling=(0.4, 0.5))),
        (
            "predictions",
            "predictions",
            prediction_examples(
                rng.random((12, 16, 16)), np.eye(12, 10), np.eye(12, 10)[::-1], list("abcdefghij")
            ),
        ),
        (
            "augmentation",
            "augmentation",
            augmentation_examples(rng.random((3, 20, 12)), [rng.random((5, 20, 12))] * 3),
        ),
    ]
    experiments = [{**with_evidence(records)[1], "figures": figures}]
    written = write_report(
        records[records["experiment"] == "table1"], experiments, tmp_path, CONTEXT
    )
    sizes = _figure_text_sizes(written["report.pdf"])
    # Every figure of the report (the claims' forest plot, learning curves) and these.
    assert len(sizes) > 100
    # Drawn at the size printed: 9 pt text, which the PDF does not shrink (a little slack
    # for the digit boxes' rounding).
    assert min(sizes) >= 8.5, sorted(sizes)[:10]


def test_a_report_replaces_what_an_earlier_one_left(records: pd.DataFrame, tmp_path: Path) -> None:
    (tmp_path / "tables").mkdir()
    (tmp_path / "figures").mkdir()
    stale = [tmp_path / "tables" / "gone_by_protocol.csv", tmp_path / "figures" / "gone.svg"]
    for path in stale:
        path.write_text("an earlier report's", encoding="utf-8")
    mine = tmp_path / "notes.txt"  # not a file a report writes: left alone
    mine.write_text("kept", encoding="utf-8")
    written = write_report(records, with_evidence(records), tmp_path, CONTEXT)
    assert not any(path.exists() for path in stale)
    assert mine.read_text(encoding="utf-8") == "kept"
    assert all(path.is_file() for path in written.values())


def test_a_figure_drawn_before_is_read_back_and_a_changed_one_drawn_anew(
    records: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reports.report as report_module

    write_report(records, with_evidence(records), tmp_path, CONTEXT)
    first = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "figures").iterdir()}
    drawn: list[str] = []
    draw = report_module._svg
    # In this process, so that the figures drawn can be counted.
    monkeypatch.setattr(report_module, "fork_map", lambda tasks: [task() for task in tasks])
    monkeypatch.setattr(
        report_module, "_svg", lambda figure, stem: drawn.append(stem) or draw(figure, stem)
    )
    write_report(records, with_evidence(records), tmp_path, CONTEXT)
    assert drawn == []
    again = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "figures").iterdir()}
    assert again == first
    # One epoch of one table1 curve changes: its figure alone is drawn again.
    changed = records.copy()
    row = changed.index[changed["experiment"] == "table1"][0]
    changed.at[row, "curve.loss"] = [9.0, 8.0, 7.0, 6.0]
    changed.at[row, "curve.accuracy"] = [0.9, 0.1, 0.9, 0.1]
    write_report(changed, with_evidence(changed), tmp_path, CONTEXT)
    assert drawn == ["table1_curves"]
    assert (tmp_path / "figures" / "table1_curves.svg").read_text(encoding="utf-8") != first[
        "table1_curves.svg"
    ]
    # The cache keeps only what the latest report drew.
    assert len(list((tmp_path / ".cache").glob("*.svg"))) == len(first)


def test_user_text_is_escaped_for_both_renderings(records: pd.DataFrame, tmp_path: Path) -> None:
    odd = "A #title with $math$, *stars*, <tags> & a back\\slash [x] @ref"
    experiments = [{**with_evidence(records)[1], "title": odd}]
    context = {**CONTEXT, "data": "folder #1 $HOME"}
    written = write_report(
        records[records["experiment"] == "table1"], experiments, tmp_path, context
    )
    text = " ".join(_pages(written["report.pdf"]))
    assert odd in text and "Data: folder #1 $HOME" in text
    html = written["report.html"].read_text(encoding="utf-8")
    assert "&lt;tags&gt; &amp; a back\\slash" in html and "<tags>" not in html


def test_learning_curves_draw_train_and_validation_per_protocol(records: pd.DataFrame) -> None:
    rows = records[records["experiment"] == "table1"]
    fig = learning_curves(rows, ["age_category", "age_months"], {"age_category": 0.8854})
    assert len(fig.axes) == 2
    # One engine, two protocols: train and validation each, and the paper's line.
    assert [len(ax.lines) for ax in fig.axes] == [5, 4]
    # Folds of 4 and 3 epochs: the mean runs over all 4, from the folds that reached each.
    accuracy = fig.axes[0].lines[0]
    assert np.asarray(accuracy.get_xdata()).size == 4
    assert np.asarray(accuracy.get_ydata())[0] == pytest.approx(20.0)
    assert np.asarray(fig.axes[0].lines[-1].get_ydata())[0] == pytest.approx(88.54)
    assert "MAPE" in fig.axes[1].get_ylabel()


def test_multilabel_curves_are_per_label_accuracy_without_the_papers_f(
    records: pd.DataFrame,
) -> None:
    rows = records[records["target"] == "age_category"].assign(task="multilabel")
    (ax,) = learning_curves(rows, ["age_category"], {"age_category": 0.668}).axes
    assert ax.get_ylabel() == "per-label accuracy (%)"
    assert np.asarray(ax.lines[0].get_ydata())[0] == pytest.approx(20.0)
    # The paper's F is not on the accuracy's scale: no line for it.
    assert "paper" not in [line.get_label() for line in ax.lines]


def test_a_single_epoch_is_drawn_as_a_marker(records: pd.DataFrame) -> None:
    one = records[records["target"] == "age_category"].assign(
        **{"curve.accuracy": [[0.5]] * 8, "curve.val_accuracy": [[0.4]] * 8}
    )
    fig = learning_curves(one, ["age_category"])
    assert all(line.get_marker() == "o" for line in fig.axes[0].lines)


def test_forest_plot_puts_the_paper_beside_each_protocol() -> None:
    rows = pd.DataFrame(
        {
            "group": ["accuracy (%)"] * 2 + ["time ratio"],
            "label": ["a", "a", "speed"],
            "protocol": ["paper-keras", "leak-free", "paper-keras"],
            "mean": [90.0, 50.0, 12.0],
            "low": [85.0, 40.0, 10.0],
            "high": [95.0, 60.0, 14.0],
            "paper": [88.5, 88.5, 10.0],
        }
    )
    fig = forest_plot(rows)
    accuracy, speed = fig.axes
    (marker,) = [c for c in accuracy.collections if isinstance(c, PathCollection)]
    assert np.asarray(marker.get_offsets())[0, 0] == pytest.approx(88.5)
    assert speed.get_xscale() == "log"
    assert len(forest_plot(rows.iloc[0:0]).axes) == 1


def test_timing_bars_one_bar_per_engine_and_backend(records: pd.DataFrame, tmp_path: Path) -> None:
    fig = timing_bars(records)
    assert len(fig.axes) == 1
    assert len(fig.axes[0].patches) == 2
    labels = [text.get_text() for text in fig.axes[0].texts]
    assert all("x the slowest" in label for label in labels)
    # A ratio near 1 keeps two decimals: 1.0x could hide a 1.04x.
    assert "1.00x the slowest" in " ".join(labels)
    # Set off from the error bar's cap by a few points, not drawn against it.
    assert all(text.get_position()[0] > 0 for text in fig.axes[0].texts)
    assert all(text.anncoords == "offset points" for text in fig.axes[0].texts)
    assert save_figure(fig, tmp_path, "timing").is_file()


def test_empty_records_give_a_report_that_says_so(tmp_path: Path) -> None:
    written = write_report(pd.DataFrame(), EXPERIMENTS, tmp_path, CONTEXT)
    html = written["report.html"].read_text(encoding="utf-8")
    assert "No results were found" in html
    assert not [key for key in written if key.startswith("figures/")]
    text = " ".join(_pages(written["report.pdf"]))
    assert "No results" in text
    for experiment in EXPERIMENTS:
        assert experiment["title"] in text
    assert learning_curves(pd.DataFrame(), []).axes
    assert all(not ax.lines for ax in timing_bars(pd.DataFrame()).axes)


def test_data_tables_are_shown_and_written(tmp_path: Path) -> None:
    counts = pd.DataFrame(
        {"target": ["age+who_drew+who_is_drawn+age_category", "age"], "classes": [194, 79]}
    ).assign(paper=pd.array([186, None], dtype="Int64"))
    caption = "Classes per target beside the paper's"
    written = write_report(
        pd.DataFrame(), EXPERIMENTS, tmp_path, CONTEXT, data_tables=[("counts", caption, counts)]
    )
    html = written["report.html"].read_text(encoding="utf-8")
    assert caption.replace("'", "&#39;") in html and '<td class="num">194</td>' in html
    assert pd.read_csv(written["tables/counts.csv"])["paper"].iloc[0] == 186
    assert caption in " ".join(_pages(written["report.pdf"]))


# The browser check: a copy of report.html with this script appended counts the images
# that did not load and the internal links with no target, and writes the counts into the
# page, which Chromium's --dump-dom prints once the page has loaded.
_BROWSER = next(
    (shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")), None
)
_CHECK = """
<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const broken = images.filter((image) => !image.complete || image.naturalWidth === 0);
  const links = Array.from(document.querySelectorAll('a[href^="#"]'));
  const dangling = links.filter((link) => !document.getElementById(link.hash.slice(1)));
  const out = document.createElement("pre");
  out.textContent = `browser-check images ${images.length} broken ${broken.length} ` +
    `links ${links.length} dangling ${dangling.length}`;
  document.body.appendChild(out);
});
</script>
"""


def _browser(*args: str) -> subprocess.CompletedProcess[str]:
    command = [str(_BROWSER), "--headless", "--no-sandbox", "--disable-gpu", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(
    _BROWSER is None,
    reason="no Chromium installed (Debian: apt-get install chromium): report.html is not "
    "opened in a browser",
)
def test_report_in_a_browser_loads_every_image_and_link(report: dict[str, Path]) -> None:
    html = report["report.html"]
    checked = html.with_name("checked.html")
    page = html.read_text(encoding="utf-8")
    checked.write_text(page.replace("</body>", _CHECK + "</body>"), encoding="utf-8")
    done = _browser("--virtual-time-budget=10000", "--dump-dom", checked.as_uri())
    counts = {
        k: int(v) for k, v in re.findall(r"(images|broken|links|dangling) (\d+)", done.stdout)
    }
    assert counts, done.stderr[-2000:]
    assert counts["images"] == page.count("<img") and counts["broken"] == 0
    assert counts["links"] > 0 and counts["dangling"] == 0
    screenshot = html.with_name("first_screen.png")
    _browser("--window-size=1280,900", f"--screenshot={screenshot}", html.as_uri())
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    print(f"first screen of report.html: {screenshot}")
