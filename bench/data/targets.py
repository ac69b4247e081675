"""Learning targets from drawing labels: any combination of the four factors, or the age.

The paper's four factors are the age, who drew, who is drawn and the age category. A
classification target is a combination of them (one class per combination that occurs);
the regression target is the age in months.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from bench.errors import BenchError

__all__ = [
    "FACTORS",
    "age_months",
    "class_counts",
    "encode_target",
    "one_hot",
    "parse_factors",
]

# Factor name -> label column. "age" is the age in months taken as a category, as the
# paper's one-hot encoding of the age did.
FACTORS = {
    "age": "age_months",
    "who_drew": "author",
    "who_is_drawn": "subject",
    "age_category": "age_category",
}


def parse_factors(spec: str | Sequence[str]) -> tuple[str, ...]:
    """Validate a factor combination given as ``"age+who_drew"`` or a sequence of names.

    Returns the factors in the canonical order of :data:`FACTORS`, without repeats.
    """
    names = spec.split("+") if isinstance(spec, str) else list(spec)
    names = [name.strip() for name in names]
    unknown = [name for name in names if name not in FACTORS]
    if unknown or not names:
        raise BenchError(
            f"target: unknown factor {', '.join(map(repr, unknown)) or '(none given)'} "
            f"(choose from {', '.join(FACTORS)}, joined with '+')"
        )
    return tuple(name for name in FACTORS if name in names)


def encode_target(
    labels: pd.DataFrame, factors: str | Sequence[str]
) -> tuple[np.ndarray, list[tuple]]:
    """Class index of every row for a combination of factors.

    Parameters
    ----------
    labels : DataFrame
        Drawing labels, as in :attr:`bench.data.Dataset.labels`.
    factors : str or sequence of str
        A combination of :data:`FACTORS`, e.g. ``"who_is_drawn+age_category"``.

    Returns
    -------
    y : ndarray of int64, shape (N,)
        Class indices, numbered in sorted order of the combinations.
    classes : list of tuple
        The value of each factor for every class, in index order.
    """
    columns = [FACTORS[name] for name in parse_factors(factors)]
    keys = list(labels[columns].itertuples(index=False, name=None))
    classes = sorted(set(keys))
    index = {key: i for i, key in enumerate(classes)}
    return np.array([index[key] for key in keys], dtype=np.int64), classes


def one_hot(y: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """One-hot float32 rows for class indices ``y``."""
    y = np.asarray(y, dtype=np.int64)
    n = int(y.max()) + 1 if n_classes is None else n_classes
    if y.size and (y.min() < 0 or y.max() >= n):
        raise BenchError(f"class index out of range 0..{n - 1}")
    out = np.zeros((y.size, n), dtype=np.float32)
    out[np.arange(y.size), y] = 1.0
    return out


def age_months(labels: pd.DataFrame) -> np.ndarray:
    """The regression target: the age in months, float32."""
    return labels["age_months"].to_numpy(dtype=np.float32)


def class_counts(labels: pd.DataFrame) -> pd.DataFrame:
    """Number of classes of every combination of the four factors (15 rows).

    The paper reports 186 classes for all four factors together on the real collection.
    """
    rows = []
    for k in range(len(FACTORS), 0, -1):
        for combo in combinations(FACTORS, k):
            _, classes = encode_target(labels, combo)
            rows.append({"target": "+".join(combo), "factors": k, "classes": len(classes)})
    return pd.DataFrame(rows)
