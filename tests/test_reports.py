from __future__ import annotations

import pandas as pd
import pytest

from bench.claims import evidence_table
from reports.tables import paper_table


def _records():
    rows = []
    for protocol, accuracy, leak in (("paper-keras", (0.9, 0.8), 0.97), ("leak-free", (0.5,), 0.0)):
        for fold, value in enumerate(accuracy):
            rows.append(
                {
                    "engine": "keras",
                    "network": "fig2",
                    "target": "age_category",
                    "task": "classification",
                    "protocol": protocol,
                    "fold": fold,
                    "seed": 0,
                    "job_id": f"{protocol}-{fold}",
                    "n_train": 900,
                    "n_test": 100,
                    "metrics.test.accuracy": value,
                    "metrics.trivial.accuracy": 0.3 + 0.1 * fold,
                    "leakage.same_image": leak,
                }
            )
    rows.append(
        {
            "engine": "keras",
            "network": "fig2",
            "target": "age_months",
            "task": "regression",
            "protocol": "leak-free",
            "fold": 0,
            "seed": 0,
            "job_id": "mape-0",
            "n_train": 900,
            "n_test": 100,
            "metrics.test.mape": 20.5,
            "leakage.same_image": 0.0,
        }
    )
    return pd.DataFrame(rows)


def test_paper_table_puts_the_paper_beside_each_protocol():
    paper = {"age_category": {"accuracy": 0.8854}, "age_months": {"mape": 12.95}}
    table = paper_table(evidence_table(_records(), {"fig2": paper})).set_index("target")
    row = table.loc["age_category"]
    assert row["paper"] == "88.54"
    low, high = (float(v) for v in row["paper-keras"][7:].split(" (")[0].strip("[]").split(", "))
    assert row["paper-keras"].startswith("85.00 [") and low < 85 < high
    assert row["paper-keras"].endswith("(2 folds)")
    assert row["leak-free"] == "50.00 (1 fold)"
    assert row["leak: paper-keras"] == "97%"
    assert row["metric"] == "accuracy (%)"
    assert row["trivial"].startswith("35.00 [")  # the first protocol's folds: 0.3 and 0.4
    regression = table.loc["age_months"]
    assert regression["paper"] == "12.95"
    assert regression["leak-free"] == "20.50 (1 fold)"
    assert regression["metric"] == "mape (%)"
    assert regression["trivial"] == "-"  # no trivial score recorded


def test_empty_records_give_an_empty_table():
    assert paper_table(pd.DataFrame()).empty


def _section(kind):
    from reports.report import _Section

    evidence = evidence_table(_records(), {"fig2": {"age_category": {"accuracy": 0.9}}})
    speed = pd.DataFrame(
        [
            {
                "claim": "10 times as fast",
                "slow": "fig2",
                "fast": "fig5",
                "target": "age_months",
                "protocol": "paper-keras",
                "ratio": 12.0,
                "ci_low": 11.0,
                "ci_high": 13.0,
                "folds": 3,
                "paper": 10.0,
                "verdict": "reproduced",
                "reason": "95% CI 11.00-13.00x is better than 8.00-12.00x (paper 10.00x)",
                "ci_method": "median ratio",
            }
        ]
    )
    return _Section("t", "Table", "", evidence, speed, data_kind=kind)


def test_claims_say_what_their_data_can_decide():
    from reports.report import VERDICT_TESTS, _with_verdicts, claims_table

    claims = claims_table([_section("synthetic")])
    assert set(claims["data"]) == {VERDICT_TESTS["synthetic"]}
    speed = claims[claims["metric"] == "time ratio"].iloc[0]
    assert speed["claim"] == "10 times as fast" and speed["run"] == "fig2 / fig5"
    assert speed["paper"] == 10.0 and speed["unit"] == "ratio" and speed["verdict"] == "reproduced"
    accuracy = claims[claims["metric"] == "accuracy"].iloc[0]
    # Numbers stay numbers, in the unit the row names: accuracy in percent.
    assert accuracy["unit"] == "percent" and accuracy["paper"] == 90.0
    assert accuracy["ci_low"] < accuracy["mean"] < accuracy["ci_high"]
    summary = _with_verdicts("", claims_table([_section("synthetic"), _section("real")]))
    assert "synthetic stand-in (a verdict there tests our reimplementation)" in summary
    assert "real data (a verdict there tests the paper's claim)" in summary
    assert "paper-keras: " in summary and "1 reproduced" in summary


def test_claims_page_sets_the_protocols_side_by_side_with_ratios_to_two_decimals():
    from reports.report import _claims_page, claims_table

    section = _section("synthetic")
    section.speed = section.speed.assign(ratio=0.92, ci_low=0.85, ci_high=1.01)
    image_split = section.evidence.assign(protocol="image-split", mean=0.6)
    section.evidence = pd.concat([section.evidence, image_split], ignore_index=True)
    page = _claims_page(claims_table([section])).set_index("claim")
    assert list(page.columns) == [
        "paper",
        "paper protocol",
        "image-split",
        "leak-free",
        "trivial",
        "verdict: reason",
    ]
    speed = page.loc["10 times as fast: fig2 / fig5, age_months"]
    # A ratio near 1 keeps two decimals, as its verdict's reason does.
    assert speed["paper"] == "10.00x" and speed["paper protocol"] == "0.92 [0.85, 1.01] (3)"
    assert speed["image-split"] == "-" and speed["leak-free"] == "-"
    # The interval is in the cell already: the reason goes on from it.
    assert speed["verdict: reason"] == "reproduced: is better than 8.00-12.00x (paper 10.00x)"
    accuracy = page.loc["Table: fig2, age_category"]
    assert accuracy["image-split"].startswith("60.00")
    assert accuracy["paper protocol"].startswith("85.00 [")
    assert accuracy["verdict: reason"].startswith("inconclusive: ")


def test_a_generated_folder_is_marked_synthetic(tmp_path):
    from bench.data import generate_drawings
    from bench.data.provenance import is_synthetic
    from bench.reporting import _data_kind

    generate_drawings(tmp_path / "made", n_drawings=3)
    (tmp_path / "given").mkdir()
    assert is_synthetic(tmp_path / "made") and not is_synthetic(tmp_path / "given")
    rows = pd.DataFrame({"data": [str(tmp_path / "made")] * 2})
    folders = {str(tmp_path / name): tmp_path / name for name in ("made", "given")}
    assert _data_kind(rows, folders) == "synthetic"
    given = pd.concat([rows, pd.DataFrame({"data": [str(tmp_path / "given")]})])
    assert _data_kind(given, folders) == "real"
    # A folder that cannot be found says nothing of its kind: neither real nor synthetic.
    moved = pd.concat([rows, pd.DataFrame({"data": [str(tmp_path / "moved")]})])
    assert _data_kind(moved, {**folders, str(tmp_path / "moved"): None}) == "unknown"


def test_the_banner_names_each_folder_with_its_file_count_and_checksum(tmp_path):
    from bench.data import generate_drawings
    from bench.reporting import _checksum, _describe_folder

    folder = tmp_path / "made"
    generate_drawings(folder, n_drawings=3)
    files = len(list(folder.iterdir()))
    first = _describe_folder(str(folder), folder, {folder: _checksum(folder)})
    assert first.startswith(f"{folder} (synthetic stand-in, {files} files, sha256 ")
    (folder / "SYNTHETIC.txt").unlink()
    second = _describe_folder(str(folder), folder, {folder: _checksum(folder)})
    assert f"(real data, {files - 1} files, sha256 " in second
    assert first.split("sha256 ")[1] != second.split("sha256 ")[1]
    digits = "sklearn.datasets.load_digits"
    assert _describe_folder(digits, None, {}) == digits
    # A folder that is not there (moved since) has no count or checksum to give: the
    # banner says so rather than naming it bare.
    assert _describe_folder("results/moved", None, {}) == "results/moved (not found)"


def test_a_records_folder_is_found_from_the_results_folder_wherever_the_report_is_written(
    tmp_path, monkeypatch
):
    from bench.reporting import _resolve

    out = tmp_path / "run" / "results"
    (out / "data" / "drawings").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    # Stored relative to where the run started (the parent of its output folder).
    assert _resolve("results/data/drawings", out) == out / "data" / "drawings"
    assert _resolve(str(out / "data" / "drawings"), out) == out / "data" / "drawings"
    assert _resolve("results/data/faces", out) is None
    assert _resolve("sklearn.datasets.load_digits", out) is None


def _stored(fold: int, accuracy: float) -> dict:
    return {
        "experiment": "table1",
        "profile": "smoke",
        "dataset": "drawings",
        "engine": "keras",
        "backend": "tensorflow",
        "network": "fig2",
        "variant": "fig2",
        "protocol": "paper-keras",
        "target": "age_category",
        "fold": fold,
        "seed": 0,
        "task": "classification",
        "status": "ok",
        "n_train": 90,
        "n_test": 10,
        "metrics": {"test": {"accuracy": accuracy}, "trivial": {"accuracy": 0.2}},
        "finished": f"2026-01-01T00:00:0{fold}+00:00",
    }


def test_a_report_from_files_with_bad_lines_says_so_on_its_first_page(tmp_path):
    import pypdfium2 as pdfium

    from bench.reporting import build_report
    from bench.results import ResultsStore

    store = ResultsStore(tmp_path / "results")
    for fold in range(3):
        store.append(_stored(fold, 0.5 + 0.1 * fold), name="table1")
    path = tmp_path / "results" / "table1.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    # A line cut short by a kill, and a job written twice.
    path.write_text("".join([lines[0], '{"experiment": "tab\n', *lines[1:], lines[1]]))
    written = build_report(tmp_path)
    said = "1 corrupt line (table1.jsonl: 1) and 1 duplicate record (table1.jsonl: 1)"
    html = written["report.html"].read_text(encoding="utf-8")
    assert said in html and html.index(said) < html.index("<table")
    first = pdfium.PdfDocument(written["report.pdf"])[0].get_textpage().get_text_range()
    assert said in " ".join(first.split())
    # The duplicate counts once: three folds, not four.
    claims = pd.read_csv(written["tables/claims.csv"])
    assert set(claims.loc[claims["protocol"] == "paper-keras", "folds"]) == {3}


def test_fork_map_keeps_the_order_and_takes_tasks_that_do_not_pickle():
    from functools import partial

    from reports.parallel import fork_map

    assert fork_map([partial(pow, 2, i) for i in range(6)]) == [1, 2, 4, 8, 16, 32]
    # A lambda does not pickle: forked workers inherit it, only its result travels back.
    offset = 10
    assert fork_map([lambda: offset + 1, lambda: offset + 2]) == [11, 12]
    assert fork_map([]) == []


def test_a_report_written_from_another_directory_finds_its_synthetic_data(tmp_path, monkeypatch):
    from bench import reporting
    from bench.data import generate_drawings
    from bench.reporting import build_report
    from bench.results import ResultsStore

    # The run started in tmp_path/run with --out results: records name results/data/...
    out = tmp_path / "run" / "results"
    generate_drawings(out / "data" / "drawings", n_drawings=6)
    store = ResultsStore(out / "results")
    for fold in range(3):
        record = {**_stored(fold, 0.5 + 0.1 * fold), "data": "results/data/drawings"}
        store.append(record, name="table1")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    written = build_report(out)
    claims = pd.read_csv(written["tables/claims.csv"])
    assert set(claims["data"]) == {"synthetic stand-in: tests our reimplementation"}
    html = written["report.html"].read_text(encoding="utf-8")
    assert "results/data/drawings (synthetic stand-in, " in html and "not found" not in html
    # The drawings folder the records name is the data section's when none is given.
    assert "The data and its augmentation" in html
    assert "figures/augmentation_ignet.svg" in written
    # Drawn once: a re-render of the same data reads the figures back (drawing them again
    # would fail here), and other data draws them anew.
    figure = written["figures/augmentation_ignet.svg"].read_text(encoding="utf-8")

    def draw_again(*args):
        raise AssertionError("drawn again")

    monkeypatch.setattr(reporting, "_draw_data", draw_again)
    again = build_report(out)
    assert again["figures/augmentation_ignet.svg"].read_text(encoding="utf-8") == figure
    (out / "data" / "drawings" / "SYNTHETIC.txt").unlink()
    with pytest.raises(AssertionError, match="drawn again"):
        build_report(out)
