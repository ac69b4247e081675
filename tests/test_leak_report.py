"""The leak curve's points, figure and sentences from flat result records."""

from __future__ import annotations

import pandas as pd
import pytest

from bench.claims import evidence_table
from reports.leak import (
    at_strength,
    is_sweep,
    leak_figure,
    leak_points,
    oracle_ceiling,
    reach_sentences,
)
from reports.report import write_report


def _records() -> pd.DataFrame:
    rows = []
    for strength, score in ((0.0, 1.0), (1.0, 0.6), (2.0, 0.3)):
        for fold, wobble in enumerate((-0.02, 0.02)):
            for protocol, value in (("paper-ignet", score), ("leak-free", 0.2)):
                rows.append(
                    {
                        "variant": f"1nn pixels strength {strength:g} copies 10",
                        "engine": "nearest",
                        "role": "baseline",
                        "protocol": protocol,
                        "target": "age_category",
                        "task": "classification",
                        "fold": fold,
                        "status": "ok",
                        "metrics.test.accuracy": min(1.0, value + wobble),
                        "metrics.trivial.accuracy": 0.14,
                        "settings.protocol_options.strength": strength,
                        "settings.protocol_options.copies": 10,
                    }
                )
    for fold, value in enumerate((0.5, 0.56)):
        rows.append(
            {
                "variant": "oracle boosting",
                "engine": "oracle",
                "role": "ceiling",
                "protocol": "leak-free",
                "target": "age_category",
                "task": "classification",
                "fold": fold,
                "status": "ok",
                "metrics.test.accuracy": value,
                "metrics.trivial.accuracy": 0.14,
            }
        )
    return pd.DataFrame(rows)


def test_points_pool_the_folds_of_each_sweep_point():
    points = leak_points(_records())
    assert len(points) == 3 * 2 + 1
    assert set(points["run"]) == {"1nn pixels", "oracle boosting"}
    paper = points[points["protocol"] == "paper-ignet"].set_index("strength")
    assert paper.loc[1.0, "mean"] == pytest.approx(0.6)
    assert (paper.loc[1.0, "low"], paper.loc[1.0, "high"]) == pytest.approx((0.58, 0.62))
    assert paper.loc[0.0, "folds"] == 2 and paper.loc[0.0, "trivial"] == pytest.approx(0.14)


def test_sentences_say_where_the_claim_is_reached():
    points = leak_points(_records())
    reached = reach_sentences(points, {"age_category": 0.5})
    assert reached == [
        "1nn pixels reaches the paper's accuracy 50% on age_category under paper-ignet up to "
        "strength 1 at x10 (60%)."
    ]
    (missed,) = reach_sentences(points, {"age_category": 0.999}, protocol="leak-free")
    assert "does not reach" in missed and "best is 20%" in missed


def test_figure_has_a_line_per_run_and_protocol_and_the_claim():
    figure = leak_figure(leak_points(_records()), "age_category", claim=1.0, ceiling=(0.4, 0.5))
    (ax,) = figure.axes
    labels = [line.get_label() for line in ax.get_lines()]
    assert "1nn pixels, paper-ignet" in labels and "1nn pixels, leak-free" in labels
    assert "paper's claim" in labels
    claim = ax.get_lines()[labels.index("paper's claim")]
    assert claim.get_ydata()[0] == pytest.approx(100.0)


def test_figure_legends_say_runs_by_colour_and_protocols_by_line_style():
    figure = leak_figure(leak_points(_records()), "age_category", claim=1.0, ceiling=(0.4, 0.5))
    runs, protocols = figure.legends
    assert runs.get_title().get_text() == "run"
    assert [t.get_text() for t in runs.get_texts()] == ["1nn pixels"]
    assert [t.get_text() for t in protocols.get_texts()] == [
        "paper-ignet",
        "leak-free",
        "paper's claim",
        "trivial",
        "ceiling",
    ]
    styles = [h.get_linestyle() for h in protocols.legend_handles[:2]]
    assert styles == ["-", ":"]
    # Long handles: a dotted line shows several dots, not one dash.
    assert protocols.handlelength >= 3
    # The trivial predictor is told apart by its crosses, not by a protocol's line style.
    (ax,) = figure.axes
    trivial = next(line for line in ax.get_lines() if line.get_label() == "trivial")
    assert trivial.get_marker() == "x" and trivial.get_linestyle() == "-"


def test_the_ceiling_is_the_oracles_leak_free_range():
    points = leak_points(_records())
    assert oracle_ceiling(points, "age_category") == pytest.approx((0.5, 0.56))
    assert oracle_ceiling(points, "age_months") is None
    (ax,) = leak_figure(points, "age_category", ceiling=(0.5, 0.56)).axes
    assert not any("oracle" in line.get_label() for line in ax.get_lines())


def test_evidence_at_the_papers_strength_drops_the_sweeps_suffix():
    records = _records().assign(n_train=800, n_test=200, seed=0, network="pixels")
    assert is_sweep(records) and not is_sweep(records[records["engine"] == "oracle"])
    rows = at_strength(evidence_table(records, {}))
    assert set(rows["run"]) == {"1nn pixels"} and set(rows["copies"]) == {10.0}
    assert set(rows["protocol"]) == {"paper-ignet", "leak-free"}
    paper = rows[rows["protocol"] == "paper-ignet"]
    assert paper["mean"].iloc[0] == pytest.approx(0.6)
    # A sweep without the paper's strength gives the swept one nearest it.
    nearest = at_strength(evidence_table(records, {}), strength=0.4)
    assert set(nearest["strength"]) == {0.0} and len(nearest) == 2
    assert at_strength(evidence_table(records[records["engine"] == "oracle"], {})).empty


def _image_split(records: pd.DataFrame) -> pd.DataFrame:
    """The sweep's leak-free rows again as image-split, a point higher."""
    free = records[(records["protocol"] == "leak-free") & (records["engine"] != "oracle")]
    return free.assign(
        protocol="image-split", **{"metrics.test.accuracy": free["metrics.test.accuracy"] + 0.1}
    )


def test_the_report_section_sets_three_protocols_beside_the_ceiling(tmp_path):
    records = _records()
    records = pd.concat([records, _image_split(records)], ignore_index=True).assign(
        experiment="leak_curve", n_train=800, n_test=200, seed=0, backend="numpy", network="x"
    )
    experiment = {
        "name": "leak_curve",
        "title": "The leak curve",
        "notes": "",
        "paper": {"age_category": {"accuracy": 0.5}},
        "evidence": evidence_table(records, {}),
    }
    context = {"profile": "quick", "data": "synthetic", "summary": ""}
    written = write_report(records, [experiment], tmp_path, context)
    assert "figures/leak_curve_age_category.svg" in written
    table = pd.read_csv(written["tables/leak_curve_by_protocol.csv"])
    assert set(table["protocol"]) == {"paper-ignet", "image-split", "leak-free"}
    paper = table[table["protocol"] == "paper-ignet"].iloc[0]
    # In percent, as the page shows it, with the paper's number and the ceiling.
    assert paper["mean"] == pytest.approx(60.0) and paper["paper"] == pytest.approx(50.0)
    assert (paper["ceiling_low"], paper["ceiling_high"]) == pytest.approx((50.0, 56.0))
    assert paper["folds"] == 2 and paper["ci_low"] < 60.0 < paper["ci_high"]
    # Every sweep point stays in a CSV of its own; the page holds the paper's strength.
    assert len(pd.read_csv(written["tables/leak_curve_every_point.csv"])) == 3 * 3 + 1
    html = written["report.html"].read_text(encoding="utf-8")
    section = html[html.index('id="leak_curve"') :]
    assert "1nn pixels reaches the paper&#39;s accuracy 50% on age_category" in section
    for column in ("paper protocol", "image-split", "leak-free", "oracle ceiling"):
        assert f">{column}</th>" in section
    assert "50.00-56.00" in section and "1nn pixels x10 at strength 1, age_category" in section
