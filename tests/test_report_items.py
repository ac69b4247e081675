"""Optional report items and the paper table, built from hand-made flat records."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import ConfusionMatrixDisplay

from bench.claims import evidence_table, speed_table
from bench.experiment import SpeedClaim
from reports.items import AVERAGE_LABELS, ITEMS, Item, build_item
from reports.tables import paper_table

EXPERIMENT = {"name": "exp", "paper": {}}


def _record(**fields):
    base = {
        "engine": "ignet",
        "network": "fig5",
        "variant": "fig5",
        "target": "age_category",
        "task": "classification",
        "protocol": "paper-ignet",
        "fold": 0,
        "train_seconds": 1.0,
        "samples_per_second": 100.0,
    }
    return base | fields


def _frame(*records):
    return pd.DataFrame(list(records))


def _cell(table, column, **where):
    rows = table
    for key, value in where.items():
        rows = rows[rows[key] == value]
    assert len(rows) == 1, (where, table)
    return rows[column].iloc[0]


def _shown(item):
    """Each table of ``item`` as (caption, the frame the page shows)."""
    return [(table.caption, table.frame) for table in item.tables]


def test_every_item_returns_nothing_for_no_records():
    for name in ITEMS:
        item = build_item(name, pd.DataFrame(), EXPERIMENT)
        assert isinstance(item, Item)
        assert item.tables == [] and item.figures == []


# time_ratio --------------------------------------------------------------------------


def _timing_rows():
    return _frame(
        _record(
            engine="keras",
            network="fig2",
            variant="fig2",
            train_seconds=30.0,
            samples_per_second=200.0,
        ),
        _record(
            engine="keras",
            network="fig2",
            variant="fig2",
            fold=1,
            train_seconds=30.0,
            samples_per_second=200.0,
        ),
        _record(engine="ignet", train_seconds=2.0, samples_per_second=500.0),
        _record(engine="ignet", fold=1, train_seconds=4.0, samples_per_second=700.0),
        _record(
            engine="keras",
            network="fig2",
            variant="fig2",
            target="age_months",
            task="regression",
            train_seconds=12.0,
            samples_per_second=100.0,
        ),
        _record(
            engine="ignet",
            target="age_months",
            task="regression",
            train_seconds=6.0,
            samples_per_second=100.0,
        ),
    )


def _speed_item(rows, paper=None):
    claims = [
        SpeedClaim(
            claim=f"faster on {target}", slow="fig2", fast="fig5", targets=[target], paper=ratio
        )
        for target, ratio in (paper or {"age_category": 15.0, "age_months": 10.0}).items()
    ]
    experiment = {"name": "exp", "speed": speed_table(rows, claims)}
    return build_item("time_ratio", rows, experiment)


def test_time_ratio_divides_keras_seconds_by_ignets_fold_by_fold():
    item = _speed_item(_timing_rows())
    assert len(item.tables) == 1 and item.figures == []
    caption, table = item.tables[0].caption, item.tables[0].frame
    assert "same samples" in caption
    assert len(table) == 2
    assert _cell(table, "train s, median", target="age_category") == "30 / 3"
    assert _cell(table, "runs, slow / fast", target="age_category") == "fig2 / fig5"
    # Fold ratios 15 and 7.5: their median, 11.25; two decimals, as the verdicts' reasons
    # (a ratio near 1 must not print as 1.0).
    assert _cell(table, "time ratio [95% CI] (folds)", target="age_category") == (
        "11.25x [7.50, 15.00] (2)"
    )
    numbers = item.tables[0].numbers.set_index("target")
    assert item.tables[0].stem == "time_ratio_by_claim"
    assert numbers.loc["age_category", "time_ratio_slow_over_fast"] == pytest.approx(11.25)
    assert numbers.loc["age_category", "slow_train_seconds_median"] == pytest.approx(30.0)
    assert numbers.loc["age_category", "paper_time_ratio"] == pytest.approx(15.0)
    assert _cell(table, "paper", target="age_category") == "15.00x"
    verdict = _cell(table, "verdict: reason", target="age_category")
    assert verdict == "inconclusive: 2 rounds; at least 3 needed"
    assert _cell(table, "verdict: reason", target="age_months").startswith("inconclusive: 1 ")
    assert _cell(table, "claim", target="age_months") == "faster on age_months"


def test_time_ratio_is_per_protocol_and_never_rounds_seconds_to_zero():
    keras = {"engine": "keras", "network": "fig2", "variant": "fig2"}
    rows = _frame(
        _record(**keras, train_seconds=0.03),
        _record(engine="ignet", train_seconds=0.003),
        _record(**keras, protocol="leak-free", train_seconds=8.0),
        _record(engine="ignet", protocol="leak-free", train_seconds=2.0),
    )
    (table,) = (t.frame for t in _speed_item(rows).tables)
    cell = _cell(table, "time ratio [95% CI] (folds)", protocol="paper-ignet")
    assert cell.startswith("10.00x")
    assert _cell(table, "train s, median", protocol="paper-ignet") == "0.03 / 0.003"
    assert _cell(table, "time ratio [95% CI] (folds)", protocol="leak-free").startswith("4.00x")


def test_time_ratio_needs_both_engines():
    rows = _timing_rows()
    assert _speed_item(rows[rows["engine"] == "ignet"]).tables == []
    assert _speed_item(rows[rows["engine"] == "keras"]).tables == []


def test_time_ratio_skips_a_target_run_by_one_engine_only():
    rows = _timing_rows()
    rows = rows[~((rows["target"] == "age_months") & (rows["engine"] == "keras"))]
    (table,) = (t.frame for t in _speed_item(rows).tables)
    assert list(table["target"]) == ["age_category"]


# training_time -----------------------------------------------------------------------


def test_training_time_counts_epochs_and_the_epoch_near_best_for_accuracy():
    rows = _frame(
        # Best 0.95: within 10% is >= 0.855, first reached at epoch 3.
        _record(**{"curve.val_accuracy": [0.2, 0.5, 0.86, 0.9, 0.95]}, train_seconds=10.0),
        # Best 1.0: within 10% is >= 0.9, first reached at epoch 2.
        _record(**{"curve.val_accuracy": [0.1, 0.95, 1.0]}, fold=1, train_seconds=20.0),
    )
    ((caption, table),) = _shown(build_item("training_time", rows, EXPERIMENT))
    assert "Training time" in caption
    row = table.iloc[0]
    # Numbers, so the CSV reads back as numbers.
    assert row["epochs run"] == 4.0
    assert row["epoch near best"] == 2.5
    assert row["train time (s)"] == 15.0
    assert row["samples per second"] == 100
    assert row["folds"] == 2
    assert row["network"] == "fig5"


def test_training_time_epoch_near_best_for_a_decreasing_error():
    rows = _frame(
        # Best MAPE 1.95: within 10% is <= 2.145, first reached at epoch 3 (not 4).
        _record(
            target="age_months",
            task="regression",
            **{"curve.val_mape": [10.0, 5.0, 2.1, 2.0, 1.95, 2.5]},
        ),
    )
    ((_, table),) = _shown(build_item("training_time", rows, EXPERIMENT))
    assert table.iloc[0]["epochs run"] == 6.0
    assert table.iloc[0]["epoch near best"] == 3.0


def test_training_time_counts_the_folds_early_stopping_ended_beside_baselines():
    rows = _frame(
        _record(**{"curve.val_accuracy": [0.2, 0.5, 0.4], "settings.epochs": 3}),
        _record(**{"curve.val_accuracy": [0.2, 0.5], "settings.epochs": 3}, fold=1),
        _record(**{"curve.val_accuracy": [0.3], "settings.epochs": 3}, fold=2),
        _record(
            variant="1nn pixels",
            engine="nearest",
            role="baseline",
            **{"curve.val_accuracy": [0.4], "settings.epochs": 3},
        ),
    )
    ((_, table),) = _shown(build_item("training_time", rows, EXPERIMENT))
    net, nearest = table.iloc[0], table.iloc[1]
    assert net["stopped early (folds)"] == 2 and net["epoch cap"] == 3.0
    assert net["folds"] == 3
    assert np.isnan(nearest["epochs run"]) and np.isnan(nearest["stopped early (folds)"])


def test_training_time_without_curves_shows_dashes():
    rows = _frame(_record(), _record(variant="fig5 x10"))
    ((_, table),) = _shown(build_item("training_time", rows, EXPERIMENT))
    assert list(table["network"]) == ["fig5", "fig5 x10"]
    assert table["epochs run"].isna().all()
    assert table["epoch near best"].isna().all()


# confusion ---------------------------------------------------------------------------


def _predictions(true, predicted, classes=("a", "b", "c"), **fields):
    return _record(
        **{
            "predictions.true": list(true),
            "predictions.predicted": list(predicted),
            "predictions.classes": list(classes),
        },
        **fields,
    )


def test_confusion_sums_the_counts_over_folds():
    rows = _frame(
        _predictions([0, 0, 1, 2], [0, 1, 1, 2]),
        _predictions([0, 2, 2], [0, 2, 1], fold=1),
        _predictions([0, 1], [1, 0], protocol="leak-free"),
        _record(target="age_months", task="regression"),  # no predictions: left out
    )
    item = build_item("confusion", rows, EXPERIMENT)
    assert item.tables == []
    assert len(item.figures) == 2  # one per protocol
    stems = [stem for stem, _, _ in item.figures]
    assert all(stem.startswith("exp_confusion_fig5_age_category") for stem in stems)
    assert len(set(stems)) == 2
    _, caption, drawing = item.figures[0]
    figure = drawing()
    assert "paper-ignet" in caption and "2 folds" in caption
    matrix = np.asarray(figure.axes[0].images[0].get_array())
    expected = np.array([[2, 1, 0], [0, 1, 0], [0, 1, 2]]) / np.array([[3], [1], [3]])
    np.testing.assert_allclose(matrix, expected)
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0)
    _, caption, drawing = item.figures[1]
    figure = drawing()
    assert "leak-free" in caption
    np.testing.assert_allclose(
        np.asarray(figure.axes[0].images[0].get_array()), [[0, 1, 0], [1, 0, 0], [0, 0, 0]]
    )


def test_confusion_matches_scikit_learns_display_and_names_the_classes():
    true, predicted = [0, 0, 1, 2, 2, 2, 1], [0, 1, 1, 2, 0, 2, 1]
    classes = ("nu", "p1", "p2")
    item = build_item("confusion", _frame(_predictions(true, predicted, classes)), EXPERIMENT)
    ((_, _, drawing),) = item.figures
    ours = drawing().axes[0]
    display = ConfusionMatrixDisplay.from_predictions(
        true, predicted, labels=[0, 1, 2], display_labels=classes, normalize="true"
    )
    np.testing.assert_allclose(ours.images[0].get_array(), display.confusion_matrix)
    assert [t.get_text() for t in ours.get_xticklabels()] == list(classes)
    assert [t.get_text() for t in ours.get_yticklabels()] == list(classes)
    assert (ours.get_xlabel(), ours.get_ylabel()) == ("predicted", "true")
    plt.close(display.figure_)


def test_confusion_skips_targets_with_too_many_classes():
    many = [str(i) for i in range(13)]
    rows = _frame(
        _predictions([0, 12], [0, 11], classes=many, target="age_months_class"),
        _predictions([0, 1], [0, 1], classes=many[:12], target="age_category"),
    )
    item = build_item("confusion", rows, EXPERIMENT)
    assert len(item.figures) == 1
    assert "age_category" in item.figures[0][1]


def test_confusion_without_prediction_columns_is_empty():
    assert build_item("confusion", _frame(_record()), EXPERIMENT).figures == []


# diagnostics -------------------------------------------------------------------------


def _diagnosis(scale):
    return [
        {
            "layer": 0,
            "kind": "conv",
            "w_range": 0.1,
            "b_range": 0.0,
            "input": 0.5,
            "activation_derivative": 1.0,
            "weights": 0.05,
            "neuron_derivative": 0.2 * scale,
            "weight_derivative": 0.01 * scale,
        },
        {
            "layer": 1,
            "kind": "dense",
            "w_range": 0.01 * scale,
            "b_range": 0.0,
            "input": 0.3,
            "activation_derivative": 1.0,
            "weights": 0.005 * scale,
            "neuron_derivative": 0.4,
            "weight_derivative": 0.02,
        },
    ]


def test_diagnostics_has_a_table_per_variant_and_one_figure():
    rows = _frame(
        _record(diagnosis=_diagnosis(100.0), fold=1),  # not the first fold: not shown
        _record(diagnosis=_diagnosis(1.0)),
        _record(variant="fig5 x10", diagnosis=_diagnosis(10.0)),
        _record(engine="keras", network="fig2", variant="fig2", diagnosis=None),
    )
    item = build_item("diagnostics", rows, EXPERIMENT)
    assert len(item.tables) == 2
    assert len(item.figures) == 1
    assert item.figures[0][0] == "exp_diagnostics"
    (first_caption, first), (second_caption, second) = _shown(item)
    assert first_caption.endswith(": fig5") and second_caption.endswith(": fig5 x10")
    assert list(first.columns) == [
        "layer",
        "kind",
        "w_range",
        "input",
        "weights",
        "activation derivative",
        "neuron derivative",
        "weight derivative",
    ]
    assert list(first["kind"]) == ["conv", "dense"]
    assert list(first["weight derivative"]) == pytest.approx([0.01, 0.02])
    assert list(second["weight derivative"]) == pytest.approx([0.1, 0.02])
    assert list(second["w_range"]) == pytest.approx([0.1, 0.1])


def test_diagnostics_without_any_diagnosis_is_empty():
    rows = _frame(_record(diagnosis=None))
    item = build_item("diagnostics", rows, EXPERIMENT)
    assert item.tables == [] and item.figures == []
    assert build_item("diagnostics", _frame(_record()), EXPERIMENT).tables == []


# attributes --------------------------------------------------------------------------

ATTRIBUTES = ("Male", "Smiling")


def _attribute_record(variant, f1, **fields):
    record = _record(
        engine="keras",
        network="faces_cnn",
        variant=variant,
        target="attributes",
        task="multilabel",
        protocol="partition",
    )
    for i, name in enumerate(ATTRIBUTES):
        record[f"metrics.test.tp.{name}"] = 40.0 + i
        record[f"metrics.test.positives.{name}"] = 50.0 + i
        record[f"metrics.test.precision.{name}"] = 0.9 - i / 10
        record[f"metrics.test.recall.{name}"] = 0.8 - i / 10
        record[f"metrics.test.f1.{name}"] = f1[i]
    record |= {
        "metrics.test.tp_rate": 0.8,
        "metrics.test.precision": 0.85,
        "metrics.test.recall": 0.75,
        "metrics.test.f1": float(np.mean(f1)),
    }
    return record | fields


def test_attributes_puts_ours_beside_the_papers_table_3():
    rows = _frame(
        _attribute_record("faces_cnn", [0.84, 0.7]),
        _attribute_record("faces_cnn rgb", [0.9, 0.6]),
        _attribute_record("faces_cnn rgb", [0.8, 0.5], fold=1),
        _record(),  # a classification record: not an attribute run
    )
    experiment = {
        "name": "faces",
        "paper_attributes": {
            # As the experiment file reads them: counts as floats.
            "Male": [7073.0, 7715.0, 0.932, 0.917, 0.924],
            "AVG": ["53.9%", 0.878, 0.539, 0.668],
        },
    }
    item = build_item("attributes", rows, experiment)
    assert len(item.tables) == 2 and item.figures == []
    (caption, table), (per_run_caption, per_run) = _shown(item)
    assert "faces_cnn" in caption
    assert list(table["attribute"]) == ["Male", "Smiling", *AVERAGE_LABELS.values()]
    male = table.iloc[0]
    assert male["paper TP / positives"] == "7073/7715"
    assert male["paper precision"] == "0.932"
    assert male["paper recall"] == "0.917"
    assert male["paper F"] == "0.924"
    assert male["ours TP / positives"] == "40/50"
    assert male["ours precision"] == "0.900"
    assert male["ours recall"] == "0.800"
    assert male["ours F"] == "0.840"
    smiling = table.iloc[1]
    assert smiling["paper F"] == "-" and smiling["paper TP / positives"] == "-"
    assert smiling["ours TP / positives"] == "41/51"
    assert smiling["ours F"] == "0.700"
    # Records of the old keys: f1 was the mean of the F, tp_rate the pooled TP share.
    average, macro, pooled = (table.iloc[i] for i in (2, 3, 4))
    assert average["ours TP / positives"] == "75.0%"  # the mean recall, as the paper's
    assert average["ours precision"] == "0.850"
    assert average["ours recall"] == "0.750"
    assert average["ours F"] == "0.797"  # 2 x 0.85 x 0.75 / 1.6
    assert average["paper F"] == "0.668"
    assert average["paper TP / positives"] == "53.9%"
    assert (macro["ours F"], macro["paper F"]) == ("0.770", "0.924")
    assert (pooled["ours TP / positives"], pooled["paper TP / positives"]) == ("80.0%", "91.7%")
    # The CSV holds the same rows as numbers: counts apart, shares in percent, scores.
    numbers = item.tables[0].numbers.set_index("attribute")
    assert item.tables[0].stem == "attributes_beside_table3"
    assert all(pd.api.types.is_numeric_dtype(numbers[c]) for c in numbers.columns)
    assert (numbers.loc["Male", "paper_tp"], numbers.loc["Male", "paper_positives"]) == (
        7073,
        7715,
    )
    assert numbers.loc["Male", "ours_f"] == pytest.approx(0.84)
    assert numbers.loc[AVERAGE_LABELS["f1"], "paper_tp_share_percent"] == pytest.approx(53.9)
    assert np.isnan(numbers.loc["Smiling", "paper_f"])
    per_run_numbers = item.tables[1].numbers
    assert pd.api.types.is_numeric_dtype(per_run_numbers["faces_cnn rgb"])
    assert "per attribute" in per_run_caption
    assert list(per_run["attribute"]) == ["Male", "Smiling"]
    assert list(per_run["faces_cnn"]) == ["0.840", "0.700"]
    assert list(per_run["faces_cnn rgb"]) == ["0.850", "0.550"]  # mean over folds
    assert "majority class" not in per_run  # records without the trivial scores


def test_attributes_sets_the_majority_class_beside_the_runs():
    trivial = {"metrics.trivial.f1.Male": 0.0, "metrics.trivial.f1.Smiling": 0.6}
    rows = _frame(
        _attribute_record("faces_cnn", [0.84, 0.7], **trivial),
        _attribute_record("faces_cnn", [0.8, 0.62], fold=1, **trivial),
    )
    (caption, per_run) = _shown(build_item("attributes", rows, {"name": "faces"}))[1]
    assert list(per_run.columns) == ["attribute", "faces_cnn", "majority class"]
    assert list(per_run["majority class"]) == ["0.000", "0.600"]
    assert caption.endswith("Not above it: faces_cnn: none")
    rows = _frame(_attribute_record("faces_cnn", [0.84, 0.6], **trivial))
    (caption, _) = _shown(build_item("attributes", rows, {"name": "faces"}))[1]
    assert caption.endswith("Not above it: faces_cnn: Smiling")  # a tie is not above


def test_attributes_without_the_papers_numbers_shows_dashes():
    rows = _frame(_attribute_record("faces_cnn", [0.84, 0.7]))
    (_, table), _ = _shown(build_item("attributes", rows, {"name": "faces"}))
    assert set(table["paper F"].iloc[:2]) == {"-"}
    average = table.iloc[2]
    assert average["attribute"] == AVERAGE_LABELS["f1"]
    assert pd.isna(average.get("paper F")) or average["paper F"] in ("-", "")


def test_attributes_needs_multilabel_records():
    assert build_item("attributes", _frame(_record()), EXPERIMENT).tables == []


# paper_table -------------------------------------------------------------------------


def _scored(value, metric="accuracy", status="ok", **fields):
    task = "classification" if metric == "accuracy" else "regression"
    target = "age_category" if metric == "accuracy" else "age_months"
    fold = fields.pop("fold", 0)
    job = f"{fields.get('variant', 'fig5')}-{fields.get('protocol', 'paper-ignet')}-{fold}"
    return _record(
        target=target,
        task=task,
        status=status,
        fold=fold,
        seed=0,
        job_id=job,
        n_train=800,
        n_test=200,
        **{f"metrics.test.{metric}": value},
        **fields,
    )


def _table(records, paper_runs):
    return paper_table(evidence_table(records, paper_runs))


def test_paper_table_counts_diverged_folds_and_leaves_them_out_of_the_mean():
    records = _frame(
        _scored(0.8),
        _scored(0.9, fold=1),
        _scored(math.nan, status="diverged", fold=2),
    )
    table = _table(records, {"fig5": {"age_category": {"accuracy": 0.85}}})
    cell = table.loc[0, "paper-ignet"]
    assert cell.startswith("85.00 [") and cell.endswith("(2 folds, 1 diverged)")
    assert table.loc[0, "verdict: paper-ignet"] == "inconclusive"  # 2 folds are too few


def test_paper_table_with_every_fold_diverged():
    records = _frame(
        _scored(math.nan, status="diverged"),
        _scored(math.nan, status="diverged", fold=1),
    )
    table = _table(records, {"fig5": {"age_category": {"accuracy": 0.85}}})
    assert table.loc[0, "paper-ignet"] == "- (0 folds, 2 diverged)"
    assert table.loc[0, "verdict: paper-ignet"] == "inconclusive"


def test_paper_table_shows_one_fold_without_an_interval():
    table = _table(_frame(_scored(0.8)), {})
    assert table.loc[0, "paper-ignet"] == "80.00 (1 fold)"
    assert table.loc[0, "verdict: paper-ignet"] == "-"


@pytest.mark.parametrize(
    ("metric", "claim", "ours", "verdict"),
    [
        ("accuracy", 0.9, (0.899, 0.9, 0.901), "reproduced"),
        ("accuracy", 0.9, (0.60, 0.61, 0.62), "not reproduced"),
        ("mape", 0.4, (0.39, 0.4, 0.41), "reproduced"),
        ("accuracy", 0.9, (0.5, 0.9, 1.0), "inconclusive"),  # wider than the band
        ("mape", 0.4, (5.0, 5.1, 5.2), "not reproduced"),
        ("accuracy", None, (0.99, 0.98, 0.99), "-"),
    ],
)
def test_paper_table_grades_the_claim(metric, claim, ours, verdict):
    records = _frame(*(_scored(v, metric=metric, fold=i) for i, v in enumerate(ours)))
    target = "age_category" if metric == "accuracy" else "age_months"
    paper = {} if claim is None else {target: {metric: claim}}
    table = _table(records, {"fig5": paper})
    assert table.loc[0, "verdict: paper-ignet"] == verdict


def test_paper_runs_give_each_run_its_own_numbers():
    records = _frame(
        *(_scored(0.8, fold=i) for i in range(3)),
        *(_scored(0.8, variant="fig5 sigmoid", fold=i) for i in range(3)),
        *(_scored(0.8, variant="not in the paper", fold=i) for i in range(3)),
    )
    paper_runs = {
        "fig5": {"age_category": {"accuracy": 0.9}},
        "fig5 sigmoid": {"age_category": {"accuracy": 0.8}},
        "not in the paper": {"age_category": {}},
    }
    table = _table(records, paper_runs)
    assert _cell(table, "paper", network="fig5") == "90.00"
    assert _cell(table, "verdict: paper-ignet", network="fig5") == "not reproduced"
    assert _cell(table, "paper", network="fig5 sigmoid") == "80.00"
    assert _cell(table, "verdict: paper-ignet", network="fig5 sigmoid") == "reproduced"
    assert _cell(table, "paper", network="not in the paper") == "-"
    assert _cell(table, "verdict: paper-ignet", network="not in the paper") == "-"
