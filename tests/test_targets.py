from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from bench.data import Dataset, parse_filename
from bench.data.celeba import ATTRIBUTES
from bench.data.targets import (
    CLASS_TARGETS,
    FACTORS,
    OWN_TARGETS,
    PAPER_CLASS_COUNTS,
    age_months,
    class_counts,
    encode,
    encode_target,
    one_hot,
    parse_factors,
)
from bench.errors import BenchError

NAMES = [
    "nu-1m-4.2f.jpeg",
    "nu-1w-4.2f.jpeg",
    "p1-2m-5.4m.jpeg",
    "p1-3m-5.5m.jpeg",
    "p7-4s-10.11m.jpeg",
    "p7-5s-10.11f.jpeg",
    "p7-5w-10.11f.jpeg",
]
LABELS = pd.DataFrame([parse_filename(name).row() for name in NAMES])


def _dataset(labels: pd.DataFrame) -> Dataset:
    return Dataset(images=np.zeros((len(labels), 2, 2), np.float32), labels=labels)


def test_parse_factors_orders_and_validates():
    assert parse_factors("age_category+age") == ("age", "age_category")
    assert parse_factors(["who_drew", "who_drew"]) == ("who_drew",)
    with pytest.raises(BenchError, match="'height'"):
        parse_factors("age+height")
    with pytest.raises(BenchError, match="unknown factor"):
        parse_factors([])


def test_encode_single_and_combined_factors():
    y, classes = encode_target(LABELS, "age_category")
    assert classes == [("nu",), ("p1",), ("p7",)]
    assert y.tolist() == [0, 0, 1, 1, 2, 2, 2]
    y, classes = encode_target(LABELS, "who_is_drawn+age_category")
    # A boy's and a girl's self-portraits are a male and a female: no third value.
    assert classes == [
        ("female", "nu"),
        ("female", "p7"),
        ("male", "nu"),
        ("male", "p1"),
        ("male", "p7"),
    ]
    pairs = list(zip(LABELS.who_is_drawn, LABELS.age_category, strict=True))
    assert [classes[k] for k in y] == pairs


def test_who_is_drawn_has_two_values_and_self_portrait_is_its_own_target():
    y, classes = encode_target(LABELS, "who_is_drawn")
    assert classes == [("female",), ("male",)]
    # The girl's self-portrait is drawn like her drawing of a woman, the boy's like a man.
    assert y[NAMES.index("p7-5s-10.11f.jpeg")] == y[NAMES.index("p7-5w-10.11f.jpeg")]
    assert y[NAMES.index("p7-4s-10.11m.jpeg")] == y[NAMES.index("p1-2m-5.4m.jpeg")]
    y, classes = encode_target(LABELS, "self_portrait")
    assert classes == [(False,), (True,)]
    assert y.tolist() == [0, 0, 0, 0, 1, 1, 0]
    with pytest.raises(BenchError, match="self_portrait"):
        encode_target(LABELS, "self_portrait+who_drew")


def test_age_months_as_classes_is_the_age_factor():
    y_age, age_classes = encode_target(LABELS, "age")
    y_months, month_classes = encode_target(LABELS, "age_months")
    assert y_months.tolist() == y_age.tolist()
    assert month_classes == age_classes == [(50,), (64,), (65,), (131,)]
    with pytest.raises(BenchError, match="age_months"):
        encode_target(LABELS, "age_months+who_drew")


def test_missing_label_column_is_named():
    with pytest.raises(BenchError, match="who_is_drawn"):
        encode_target(LABELS.drop(columns="who_is_drawn"), "who_drew+who_is_drawn")


def test_one_hot():
    y = np.array([2, 0, 1, 2])
    hot = one_hot(y)
    assert hot.dtype == np.float32
    assert hot.shape == (4, 3)
    assert hot.argmax(axis=1).tolist() == y.tolist()
    assert hot.sum(axis=1).tolist() == [1, 1, 1, 1]
    assert one_hot(y, 5).shape == (4, 5)
    with pytest.raises(BenchError):
        one_hot(y, 2)


def test_age_months_target():
    target = age_months(LABELS)
    assert target.dtype == np.float32
    assert target.tolist() == [50, 50, 64, 65, 131, 131, 131]


def test_class_targets_are_the_fifteen_combinations_and_the_own_targets():
    combos = {frozenset(combo) for k in range(1, 5) for combo in combinations(FACTORS, k)}
    factor_targets = [t for t in CLASS_TARGETS if t not in OWN_TARGETS]
    assert len(factor_targets) == 15
    assert {frozenset(t.split("+")) for t in factor_targets} == combos
    assert CLASS_TARGETS[0] == "+".join(FACTORS)
    assert set(CLASS_TARGETS) - set(factor_targets) == set(OWN_TARGETS)


def test_class_counts_are_counted_from_the_labels_beside_the_papers():
    table = class_counts(LABELS)
    assert table["target"].tolist() == list(CLASS_TARGETS)
    for row in table.itertuples():
        names = row.target.split("+")
        columns = [FACTORS.get(name) or OWN_TARGETS[name] for name in names]
        distinct = set(LABELS[columns].itertuples(index=False, name=None))
        assert row.classes == len(distinct), row.target
    counts = dict(zip(table.target, table.classes, strict=True))
    assert counts["age+who_drew+who_is_drawn+age_category"] == 6
    assert counts["who_is_drawn"] == counts["who_drew"] == counts["self_portrait"] == 2
    assert counts["age_months"] == counts["age"] == 4
    # Adding a factor never merges classes.
    for target, n in counts.items():
        for other, m in counts.items():
            if set(target.split("+")) < set(other.split("+")):
                assert m >= n
    papers = dict(zip(table.target, table.paper, strict=True))
    assert papers.pop("age+who_drew+who_is_drawn+age_category") == 186
    assert all(pd.isna(value) for value in papers.values())
    assert set(PAPER_CLASS_COUNTS) <= set(CLASS_TARGETS)


def test_encode_gives_a_class_target_its_indices_as_strata():
    encoded = encode(_dataset(LABELS), "who_is_drawn+age_category", "classification")
    y, classes = encode_target(LABELS, "who_is_drawn+age_category")
    assert np.array_equal(encoded.y, y) and np.array_equal(encoded.strata, y)
    assert encoded.classes == classes and encoded.n_outputs == len(classes) == 5
    assert encoded.names == []


def test_encode_regresses_on_the_age_stratified_by_category():
    encoded = encode(_dataset(LABELS), "age_months", "regression")
    assert encoded.y.dtype == np.float32 and np.array_equal(encoded.y, age_months(LABELS))
    assert encoded.strata.tolist() == [0, 0, 1, 1, 2, 2, 2]  # nu, p1, p7
    assert (encoded.n_outputs, encoded.classes) == (1, [])
    with pytest.raises(BenchError, match="target 'height': the labels have no height column"):
        encode(_dataset(LABELS), "height", "regression")


def test_encode_learns_every_face_attribute_at_once():
    rng = np.random.default_rng(0)
    labels = pd.DataFrame(rng.integers(0, 2, (6, len(ATTRIBUTES))), columns=list(ATTRIBUTES))
    labels.insert(0, "partition", ["train"] * 4 + ["test"] * 2)
    labels["Smiling"] = 1  # not one of the paper's ten: not an output
    encoded = encode(_dataset(labels), "attributes", "multilabel")
    assert encoded.names == list(ATTRIBUTES) and encoded.n_outputs == 10
    assert np.array_equal(encoded.y, labels[list(ATTRIBUTES)].to_numpy())
    assert encoded.strata.tolist() == ["train"] * 4 + ["test"] * 2
    with pytest.raises(BenchError, match="none of the face attributes"):
        encode(_dataset(LABELS), "attributes", "multilabel")


def test_a_label_column_of_its_own_is_a_class_target_but_a_file_name_is_not():
    labels = pd.DataFrame(
        {"file": ["a", "b", "c", "d"], "group": [0, 1, 2, 3], "digit": [7, 2, 7, 9]}
    )
    encoded = encode(_dataset(labels), "digit", "classification")
    assert encoded.y.tolist() == [1, 0, 1, 2] and encoded.classes == [(2,), (7,), (9,)]
    with pytest.raises(BenchError, match="unknown factor 'file'"):
        encode(_dataset(labels), "file", "classification")
    with pytest.raises(BenchError, match="task must be classification, regression or multilabel"):
        encode(_dataset(labels), "digit", "ranking")
