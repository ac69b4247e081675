"""``ignet-bench reproduce`` end to end on the smoke profile, and ``ignet-bench report``."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from bench.cli import main
from bench.experiment import list_experiments, load_experiment
from bench.results import ResultsStore

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def reproduced(generated_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reproduce")
    start = time.perf_counter()
    args = ["reproduce", "--profile", "smoke", "--data", str(generated_folder), "--out", str(out)]
    assert main(args) == 0
    seconds = time.perf_counter() - start
    print(f"reproduce --profile smoke: {seconds:.0f} s")
    assert seconds < 600  # a hang guard only: the measured time is printed above
    return out


def test_every_experiment_ran_under_both_protocols(reproduced: Path) -> None:
    records = ResultsStore(reproduced / "results").frame()
    assert set(records["experiment"]) == set(list_experiments())
    for name, rows in records.groupby("experiment"):
        assert set(rows["protocol"]) == set(load_experiment(str(name)).protocols)
    assert not records["job_id"].duplicated().any()


def test_report_files_and_every_table_in_the_html(reproduced: Path) -> None:
    report = reproduced / "report"
    for name in ("report.html", "report.pdf"):
        assert (report / name).stat().st_size > 0
    csvs = sorted((report / "tables").glob("*.csv"))
    assert {p.stem for p in csvs} >= set(list_experiments())
    html = (report / "report.html").read_text(encoding="utf-8")
    # Every CSV table is in the HTML, and nothing else is a table; the evidence CSVs are
    # the experiments' tables again as plain numbers, for re-analysis, and the papers'
    # checks are one CSV shown as two tables (those that fail, those that hold).
    shown = [p for p in csvs if not p.stem.endswith("_evidence")]
    assert html.count("<table") == len(shown) + 1
    for name in list_experiments():
        evidence = pd.read_csv(report / "tables" / f"{name}_evidence.csv")
        assert set(evidence["verdict"].dropna()) <= {"reproduced", "not reproduced", "inconclusive"}
        assert pd.api.types.is_numeric_dtype(evidence["mean"])
    for name in list_experiments():
        assert load_experiment(name).title.replace("'", "&#39;") in html
        table = pd.read_csv(report / "tables" / f"{name}.csv")
        for column in table.columns:
            assert f"<th>{column}</th>" in html
    assert len(list((report / "figures").glob("*.png"))) == html.count("data:image/png;base64")
    for heading in ("Profile", "Seeds", "Machine", "Versions", "Summary"):
        assert heading in html


def test_pdf_text_carries_the_table_headings(reproduced: Path) -> None:
    pages = PdfReader(reproduced / "report" / "report.pdf").pages
    text = re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in pages))
    for name in list_experiments():
        experiment = load_experiment(name)
        assert " ".join(experiment.title.split()) in text
        table = pd.read_csv(reproduced / "report" / "tables" / f"{name}.csv")
        for column in table.columns:
            assert str(column) in text, (name, column)


def test_report_command_rewrites_the_report(reproduced: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "again"
    args = ["report", "--out", str(reproduced), "--report", str(target), "--profile", "smoke"]
    assert main(args) == 0
    assert (target / "report.html").is_file() and (target / "report.pdf").is_file()
    assert str(target / "report.html") in capsys.readouterr().out


def test_report_command_without_results_says_so(tmp_path: Path, capsys) -> None:
    assert main(["report", "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "no results to report" in error and len(error.strip().splitlines()) == 1


def test_report_command_with_a_profile_that_has_no_results(reproduced: Path, capsys) -> None:
    assert main(["report", "--out", str(reproduced), "--profile", "paper"]) == 2
    assert "holds no 'paper' results" in capsys.readouterr().err
