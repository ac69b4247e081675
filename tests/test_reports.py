from __future__ import annotations

import pandas as pd

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
            "metrics.test.mape": 20.5,
            "leakage.same_image": 0.0,
        }
    )
    return pd.DataFrame(rows)


def test_paper_table_puts_the_paper_beside_each_protocol():
    paper = {"age_category": {"accuracy": 0.8854}, "age_months": {"mape": 12.95}}
    table = paper_table(_records(), paper).set_index("target")
    row = table.loc["age_category"]
    assert row["paper"] == "88.54"
    assert row["paper-keras"] == "85.00 ± 7.07 (2 folds)"
    assert row["leak-free"] == "50.00 (1 fold)"
    assert row["leak: paper-keras"] == "97%"
    assert row["metric"] == "accuracy (%)"
    assert row["trivial"] == "33.33"  # mean over every protocol's folds
    regression = table.loc["age_months"]
    assert regression["paper"] == "12.95"
    assert regression["leak-free"] == "20.50 (1 fold)"
    assert regression["metric"] == "mape (%)"
    assert pd.isna(regression["trivial"])  # no trivial score recorded


def test_empty_records_give_an_empty_table():
    assert paper_table(pd.DataFrame(), {}).empty
