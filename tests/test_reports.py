from __future__ import annotations

import pandas as pd

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
