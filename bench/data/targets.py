"""Learning targets: every run's labels are encoded here, once (:func:`encode`).

Most targets are the drawings'. The paper's four factors are the age, who drew, who is
drawn and the age category. A classification target is a combination of them (one class
per combination that occurs), or one of two class targets of their own: ``age_months``,
section 5.5.1's "age in months" (the same partition as ``age``), and ``self_portrait``,
which the paper decodes from a file name but does not learn. The regression target is
the age in months. A faces run learns every attribute at once; a digits run, the digit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

from bench.data.celeba import ATTRIBUTES
from bench.data.dataset import Dataset
from bench.errors import BenchError

__all__ = [
    "CLASS_TARGETS",
    "FACTORS",
    "OWN_TARGETS",
    "PAPER_CLASS_COUNTS",
    "REGRESSION_STRATA",
    "Encoded",
    "age_months",
    "class_counts",
    "encode",
    "encode_target",
    "one_hot",
    "parse_factors",
]

# Factor name -> label column. "age" is the age in months taken as a category, as the
# paper's one-hot encoding of the age did.
FACTORS = {
    "age": "age_months",
    "who_drew": "author",
    "who_is_drawn": "who_is_drawn",
    "age_category": "age_category",
}

# Class targets that are not combined with others: name -> label column. The paper lists
# 'age' and 'age in months' as two targets; a drawing's age is whole months, so as classes
# they partition the drawings alike, and the second name lets an experiment run it under
# the paper's name.
OWN_TARGETS = {
    "age_months": "age_months",
    "self_portrait": "self_portrait",
}

#: Every class target: the 15 combinations of the four factors (largest first), then
#: :data:`OWN_TARGETS`.
CLASS_TARGETS = (
    *("+".join(combo) for k in range(len(FACTORS), 0, -1) for combo in combinations(FACTORS, k)),
    *OWN_TARGETS,
)

#: The class counts the IgNet paper reports on the real collection (section 4.3).
PAPER_CLASS_COUNTS = {"age+who_drew+who_is_drawn+age_category": 186}

# Label columns that name an image or its group: never something to learn.
_IDENTIFIERS = ("file", "group")
# What a regression target's folds are stratified by: the age category, as the drawings'
# protocols stratify their classes (the only regression target is the age in months).
REGRESSION_STRATA = "age_category"


@dataclass(frozen=True)
class Encoded:
    """A target's labels, encoded once, as the protocols and engines take them.

    Attributes
    ----------
    y : ndarray
        Class indices, shape (N,), for classification; 0/1 rows, shape (N, outputs), for
        multi-label; float32 values for regression.
    strata : ndarray
        What the folds are stratified by, one entry per image: the classes, the faces'
        partition, or :data:`REGRESSION_STRATA`'s classes for regression.
    classes : list of tuple
        Each class's label values, in index order (classification; else empty).
    names : list of str
        The attribute of each output (multi-label; else empty).
    n_outputs : int
        Classes, attributes, or 1 for regression.
    """

    y: np.ndarray
    strata: np.ndarray
    classes: list[tuple] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    n_outputs: int = 1


def encode(dataset: Dataset, target: str, task: str) -> Encoded:
    """Encode ``dataset``'s labels for a run's ``target`` and ``task``.

    Parameters
    ----------
    dataset : Dataset
        What a loader returned.
    target : str
        A class target (see :func:`encode_target`), a numeric label column for
        regression (``"age_months"``), or, for multi-label, any name: every face
        attribute of :data:`bench.data.celeba.ATTRIBUTES` in the labels is an output.
    task : {"classification", "regression", "multilabel"}

    Returns
    -------
    Encoded

    Raises
    ------
    BenchError
        For an unknown task or target, or labels without the columns it needs.
    """
    labels = dataset.labels
    if task == "multilabel":
        names = [name for name in ATTRIBUTES if name in labels]
        if not names:
            raise BenchError(
                f"target {target!r}: the labels have none of the face attributes "
                "(load faces with bench.data.load_faces)"
            )
        y = labels[names].to_numpy(dtype=np.int64)
        return Encoded(y, labels["partition"].to_numpy(), names=names, n_outputs=len(names))
    if task == "regression":
        if target not in labels:
            raise BenchError(f"target {target!r}: the labels have no {target} column")
        strata, _ = encode_target(labels, REGRESSION_STRATA)
        return Encoded(labels[target].to_numpy(dtype=np.float32), strata)
    if task == "classification":
        y, classes = encode_target(labels, target)
        return Encoded(y, y, classes=classes, n_outputs=len(classes))
    raise BenchError(f"task must be classification, regression or multilabel, not {task!r}")


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
            f"(choose from {', '.join(FACTORS)}, joined with '+', or one of "
            f"{', '.join(OWN_TARGETS)} alone)"
        )
    return tuple(name for name in FACTORS if name in names)


def encode_target(
    labels: pd.DataFrame, target: str | Sequence[str]
) -> tuple[np.ndarray, list[tuple]]:
    """Class index of every row for a class target.

    Parameters
    ----------
    labels : DataFrame
        Drawing labels, as in :attr:`bench.data.Dataset.labels`.
    target : str or sequence of str
        A combination of :data:`FACTORS`, e.g. ``"who_is_drawn+age_category"``, one
        of :data:`OWN_TARGETS` (``"age_months"``: the same classes as ``"age"``;
        ``"self_portrait"``: two classes), or another dataset's label column (the
        digits' ``"digit"``), whose values are the classes.

    Returns
    -------
    y : ndarray of int64, shape (N,)
        Class indices, numbered in sorted order of the combinations.
    classes : list of tuple
        The value of each factor for every class, in index order.

    Raises
    ------
    BenchError
        For an unknown target, or labels without the column it needs.
    """
    name = target.strip() if isinstance(target, str) else ""
    if name in OWN_TARGETS:
        columns = [OWN_TARGETS[name]]
    elif name in labels and name not in FACTORS and name not in _IDENTIFIERS:
        columns = [name]
    else:
        columns = [FACTORS[factor] for factor in parse_factors(target)]
    missing = [column for column in columns if column not in labels]
    if missing:
        raise BenchError(
            f"target {target!r}: the labels have no {', '.join(missing)} column "
            "(load drawings with bench.data.load_drawings)"
        )
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
    """Number of classes of every class target, beside the paper's count where it gives one.

    Parameters
    ----------
    labels : DataFrame
        Drawing labels, as in :attr:`bench.data.Dataset.labels`.

    Returns
    -------
    DataFrame
        One row per entry of :data:`CLASS_TARGETS`, in that order, with columns
        ``target``, ``classes`` (counted from ``labels``) and ``paper`` (nullable
        integer: the paper gives 186 for all four factors on the real collection and no
        other count).
    """
    return pd.DataFrame(
        {
            "target": list(CLASS_TARGETS),
            "classes": [len(encode_target(labels, target)[1]) for target in CLASS_TARGETS],
            "paper": pd.array(
                [PAPER_CLASS_COUNTS.get(target) for target in CLASS_TARGETS], dtype="Int64"
            ),
        }
    )
