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
from bench.jobs import profile_settings
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
        experiment = load_experiment(str(name))
        smoke = profile_settings(experiment, "smoke").protocols or experiment.protocols
        assert set(rows["protocol"]) == set(smoke)
    assert not records["job_id"].duplicated().any()


def test_report_files_and_every_table_in_the_html(reproduced: Path) -> None:
    report = reproduced / "report"
    for name in ("report.html", "report.pdf"):
        assert (report / name).stat().st_size > 0
    csvs = sorted((report / "tables").glob("*.csv"))
    assert {p.stem for p in csvs} >= {f"{name}_by_protocol" for name in list_experiments()}
    html = (report / "report.html").read_text(encoding="utf-8")
    # Every table in the HTML has its CSV (a sweep's every point and the papers' checks of
    # both kinds of finding are CSVs only).
    linked = re.findall(r'<caption>.*?\(<a href="tables/([^"]+)\.csv">', html)
    assert len(linked) == html.count("<table") and set(linked) <= {p.stem for p in csvs}
    for name in list_experiments():
        evidence = pd.read_csv(report / "tables" / f"{name}_by_protocol.csv")
        assert set(evidence["verdict"].dropna()) <= {"reproduced", "not reproduced", "inconclusive"}
        assert pd.api.types.is_numeric_dtype(evidence["mean"])
        assert load_experiment(name).title.replace("'", "&#39;") in html
        assert f'id="{name}_by_protocol"' in html
    assert len(list((report / "figures").glob("*.svg"))) == html.count("data:image/svg+xml")
    for heading in ("Profile", "Seeds", "Machine", "Versions", "How the results were obtained"):
        assert heading in html


def test_pdf_text_carries_the_section_titles(reproduced: Path) -> None:
    pages = PdfReader(reproduced / "report" / "report.pdf").pages
    assert len(pages) <= 30
    text = re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in pages))
    for name in list_experiments():
        experiment = load_experiment(name)
        assert " ".join(experiment.title.split()) in text


def test_report_command_rewrites_the_report(reproduced: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "again"
    args = ["report", "--out", str(reproduced), "--report", str(target), "--profile", "smoke"]
    assert main(args) == 0
    assert (target / "report.html").is_file() and (target / "report.pdf").is_file()
    assert str(target / "report.html") in capsys.readouterr().out


def test_report_command_without_results_says_so(tmp_path: Path, capsys) -> None:
    assert main(["report", "--out", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert "holds no results" in error and len(error.strip().splitlines()) == 1


def test_report_command_with_a_profile_that_has_no_results(reproduced: Path, capsys) -> None:
    assert main(["report", "--out", str(reproduced), "--profile", "paper"]) == 2
    assert "holds no 'paper' results" in capsys.readouterr().err
