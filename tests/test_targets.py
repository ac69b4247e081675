from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.data.targets import (
    FACTORS,
    age_months,
    class_counts,
    encode_target,
    one_hot,
    parse_factors,
)
from bench.errors import BenchError

LABELS = pd.DataFrame(
    {
        "age_category": ["nu", "nu", "p1", "p1", "p7", "p7"],
        "subject": ["m", "w", "m", "m", "s", "s"],
        "age_months": [50, 50, 64, 65, 131, 131],
        "author": ["f", "f", "m", "m", "m", "f"],
    }
)


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
    assert y.tolist() == [0, 0, 1, 1, 2, 2]
    y, classes = encode_target(LABELS, "who_is_drawn+age_category")
    assert len(classes) == 4
    # Same class exactly when both factors agree.
    pairs = list(zip(LABELS.subject, LABELS.age_category, strict=True))
    for i in range(len(LABELS)):
        for j in range(len(LABELS)):
            assert (y[i] == y[j]) == (pairs[i] == pairs[j])
    assert [classes[k] for k in y] == pairs


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
    assert target.tolist() == [50, 50, 64, 65, 131, 131]


def test_class_counts_cover_every_combination():
    table = class_counts(LABELS)
    assert len(table) == 2 ** len(FACTORS) - 1
    counts = dict(zip(table.target, table.classes, strict=True))
    assert counts["age_category"] == 3
    assert counts["who_drew"] == 2
    assert counts["age"] == 4
    # Adding a factor never merges classes.
    for target, n in counts.items():
        for other, m in counts.items():
            if set(target.split("+")) < set(other.split("+")):
                assert m >= n
    assert counts["+".join(FACTORS)] == len(set(map(tuple, LABELS.to_numpy().tolist())))
