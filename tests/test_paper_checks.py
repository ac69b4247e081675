"""The papers' own numbers checked against each other (reports.paper_checks)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from bench.experiment import load_experiment
from bench.metrics import label_averages
from reports.paper_checks import (
    FACES_PAPER,
    IGNET_PAPER,
    check_ablations,
    check_claimed_ratio,
    check_coverage,
    check_enlargement,
    check_fold_ratio,
    check_papers,
    check_table1,
    check_table3,
    table3_averages,
)
from reports.report import CHECKS_TITLE, write_report


def _failing(findings):
    return {(f.where, f.claim): f.arithmetic for f in findings if not f.consistent}


def _one(findings, where, claim_part):
    matches = [f for f in findings if f.where == where and claim_part in f.claim]
    assert len(matches) == 1, (where, claim_part, matches)
    return matches[0]


def test_table_3_young_needs_more_false_positives_than_there_are_negatives():
    findings = check_table3(FACES_PAPER["table3"], FACES_PAPER["avg"], 19_962)
    young = _one(findings, "Table 3, Young", "test partition")
    assert not young.consistent and "precision 0.571" in young.claim
    for number in ("11,152 false positives", "19,962 - 15,114 = 4,848", "= 0.754"):
        assert number in young.arithmetic
    # Every other row's precision fits in its test partition.
    fits = [f for f in findings if "precision" in f.claim and "test partition" in f.claim]
    assert [f.where for f in fits if not f.consistent] == ["Table 3, Young"]
    # With a precision the partition allows, the same check passes.
    rows = copy.deepcopy(FACES_PAPER["table3"])
    rows["Young"][2] = 0.76
    again = check_table3(rows, FACES_PAPER["avg"], 19_962)
    assert _one(again, "Table 3, Young", "test partition").consistent


def test_table_3_rows_against_their_own_precision_recall_and_counts():
    findings = check_table3(FACES_PAPER["table3"], FACES_PAPER["avg"], 19_962)
    f_checks = [f for f in findings if f.claim.startswith("F-measure")]
    assert len(f_checks) == 10 and all(f.consistent for f in f_checks)
    recall = [f for f in findings if f.claim.startswith("recall")]
    assert [f.where for f in recall if not f.consistent] == ["Table 3, Gray_Hair"]
    gray = _one(findings, "Table 3, Gray_Hair", "recall 0.182 with")
    assert "115 / 636 = 0.1808" in gray.arithmetic and "prints as 0.181" in gray.arithmetic


def test_table_3_avg_row_is_the_f_of_the_mean_precision_and_recall():
    findings = check_table3(FACES_PAPER["table3"], FACES_PAPER["avg"], 19_962)
    scores = _one(findings, "Table 3, AVG", "F-measure 0.668")
    assert scores.consistent
    for number in ("0.8779", "0.5392", "0.6681", "0.5937"):
        assert number in scores.arithmetic
    tp = _one(findings, "Table 3, AVG", "53.9%")
    assert tp.consistent
    assert "53.91%" in tp.arithmetic and "37,162 / 50,359 = 73.79%" in tp.arithmetic
    # An AVG row printed as the mean of the F would not agree with the rows.
    mean_of_f = [53.9, 0.878, 0.539, 0.594]
    other = check_table3(FACES_PAPER["table3"], mean_of_f, 19_962)
    assert not _one(other, "Table 3, AVG", "F-measure 0.594").consistent


def test_table3_averages_match_the_suites_averaging():
    rows = FACES_PAPER["table3"]
    ours = label_averages(*np.array(list(rows.values()), dtype=float).T)
    theirs = table3_averages(rows)
    for key, value in ours.items():
        assert theirs[key] == pytest.approx(value)
    assert theirs["tp_mean"] == pytest.approx(0.5391, abs=1e-4)


def test_ablations_and_discussion():
    findings = check_ablations(
        FACES_PAPER["table3"],
        FACES_PAPER["ablations"],
        FACES_PAPER["drops_in_points"],
        FACES_PAPER["difficult"],
        FACES_PAPER["coverage_bounds"],
    )
    assert all(f.consistent for f in findings if f.where.startswith("Ablation table"))
    drops = [f for f in findings if f.where.startswith("Results")]
    assert [(f.consistent, "4.4 points" in f.arithmetic) for f in drops[:1]] == [(True, True)]
    assert not drops[1].consistent and "2.6 points, which rounds to 3" in drops[1].arithmetic
    hardest = _one(findings, "Discussion", "greatest difficulty")
    assert hardest.consistent and "next, Black_Hair 0.564" in hardest.arithmetic
    coverage = _one(findings, "Discussion", "barely exceeds half")
    assert not coverage.consistent and "37,162 of 50,359 found = 73.8%" in coverage.arithmetic
    assert _one(findings, "Discussion", "increased again").consistent


def test_ignet_enlargement_and_fold_ratio():
    thirty = check_enlargement(338, 17_500, 3_500, 30)
    assert not thirty.consistent
    assert "17,500 learn/test samples / 338 drawings = 51.8 times" in thirty.arithmetic
    assert "21,000 / 338 = 62.1" in thirty.arithmetic
    assert check_enlargement(338, 9_500, 3_500, 30).consistent  # 28.1 is nearly thirty
    ten_to_one = check_fold_ratio([10, 1], 10)
    assert not ten_to_one.consistent and "a 9:1 split" in ten_to_one.arithmetic
    assert "would need 11 folds" in ten_to_one.arithmetic
    assert check_fold_ratio([9, 1], 10).consistent


def test_table_1_nested_targets_and_comparable_accuracies():
    findings = check_table1(IGNET_PAPER["table1"], 338)
    nested = [f for f in findings if f.where == "Table 1"]
    assert len(nested) == 6  # four targets, each a refinement of the next
    failing = sorted(f.claim.split(";")[1].strip() for f in nested if not f.consistent)
    assert failing == [
        "who_drew+who_is_drawn+age_category: 77.80%",
        "who_is_drawn+age_category: 83.72%",
    ]
    spread = _one(findings, "Section 4.3", "comparable")
    assert not spread.consistent and "10.74 points" in spread.arithmetic
    assert "3.8 standard errors" in spread.arithmetic
    close = {"age_category": 0.85, "who_is_drawn+age_category": 0.84}
    assert all(f.consistent for f in check_table1(close, 338))


def test_ignet_coverage_of_the_targets_claimed():
    findings = check_coverage(
        IGNET_PAPER["factors"],
        IGNET_PAPER["targets_at_100"],
        IGNET_PAPER["extra_targets"],
        IGNET_PAPER["figure8_target"],
        IGNET_PAPER["table1"],
    )
    counted, figure, table = findings
    assert not counted.consistent and "16 targets considered" in counted.arithmetic
    assert "lists 5 at 100%" in counted.arithmetic
    assert not figure.consistent and "who_drew+who_is_drawn+age_category" in figure.arithmetic
    assert not table.consistent and "4 of the 15 combinations" in table.arithmetic
    listed = check_coverage(["a", "b"], ["a", "b", "a+b"], [], "a+b", {"a": 1, "b": 1, "a+b": 1})
    assert all(f.consistent for f in listed)


def test_claimed_ratio():
    assert check_claimed_ratio("IgNet paper", "5.5.2", "10 times", 4.0, 0.4, 10).consistent
    wrong = check_claimed_ratio("IgNet paper", "5.5.2", "10 times", 4.0, 0.8, 10)
    assert not wrong.consistent and wrong.arithmetic == "4 / 0.8 = 5.0"


def test_check_papers_lists_every_inconsistency_the_issue_names():
    findings = check_papers()
    failing = _failing(findings)
    assert len(failing) == 12
    arithmetic = " ".join(failing.values())
    for number in ("4,848", "51.8 times", "a 9:1 split", "73.8%", "0.1808"):
        assert number in arithmetic
    assert {f.paper for f in findings} == {"faces paper", "IgNet paper"}


def test_transcriptions_agree_with_the_experiment_files():
    (target,) = load_experiment("faces_table3").targets
    rows = dict(target.per_attribute)
    tp_share, *scores = rows.pop("AVG")
    assert rows == FACES_PAPER["table3"]
    assert [float(tp_share.rstrip("%")), *scores] == FACES_PAPER["avg"]
    runs = load_experiment("faces_table3").paper()
    printed = [
        [numbers["attributes"][key] for key in ("precision", "recall", "f1")]
        for numbers in runs.values()
        if numbers["attributes"]
    ]
    assert printed == list(FACES_PAPER["ablations"].values())
    table1 = {t.name: t.paper["accuracy"] for t in load_experiment("table1").targets[:4]}
    assert table1 == IGNET_PAPER["table1"]


def test_the_report_has_the_section(tmp_path: Path) -> None:
    written = write_report(pd.DataFrame(), [], tmp_path, {"summary": "-"})
    html = written["report.html"].read_text(encoding="utf-8")
    assert CHECKS_TITLE.replace("'", "&#39;") in html
    assert "11,152 false positives" in html
    text = "\n".join(page.extract_text() for page in PdfReader(written["report.pdf"]).pages)
    assert CHECKS_TITLE in text and "checks that hold are in tables/paper_checks.csv" in text
    table = pd.read_csv(written["tables/paper_checks.csv"])
    assert list(table.columns) == ["paper", "where", "claim", "arithmetic", "consistent"]
    assert (~table["consistent"]).sum() == 12
