"""The Keras baseline's one error type and the checks every public function shares.

A bad value a user can give (a layer size, a rate, a flag, an option in an experiment
file, an input array) raises :class:`KerasBaselineError` naming the argument; ``bench``
reports it on one line like its own errors. It is a ``ValueError``, as scikit-learn
expects of a bad parameter or a malformed input.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from sklearn.utils import check_array

__all__ = [
    "KerasBaselineError",
    "check_choice",
    "check_flag",
    "check_images",
    "check_int",
    "check_number",
    "check_positive_ints",
    "check_rate",
    "check_threshold",
    "scikit_learn_checks",
]


class KerasBaselineError(ValueError):
    """A bad parameter or bad input arrays; the message names the argument."""


@contextmanager
def scikit_learn_checks(name: str) -> Iterator[None]:
    """Raise the ``ValueError`` of scikit-learn's input checks as :class:`KerasBaselineError`.

    The message is kept, scikit-learn's own estimator checks match on its words ("Input y
    contains NaN", "X has 3 features, but ... is expecting 2"); it is prefixed with
    ``name``, the argument checked, where it does not say it. A ``TypeError`` (an object
    that is no number at all) passes through unchanged, as scikit-learn's checks expect.
    """
    try:
        yield
    except KerasBaselineError:
        raise
    except ValueError as error:
        message = str(error)
        raise KerasBaselineError(message if name in message else f"{name}: {message}") from error


def _is_real(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def check_number(
    name: str,
    value: Any,
    low: float = 0.0,
    high: float = float("inf"),
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a float when it is a real number in the interval from ``low`` to
    ``high`` (each end closed unless ``*_open``)."""
    ok = _is_real(value)
    if ok:
        above = value > low if low_open else value >= low
        below = value < high if high_open else value <= high
        ok = bool(above and below)
    if not ok:
        if high == float("inf"):
            where = "a positive number" if low_open and low == 0 else f"a number >= {low:g}"
        else:
            left, right = "(" if low_open else "[", ")" if high_open else "]"
            where = f"a number in {left}{low:g}, {high:g}{right}"
        raise KerasBaselineError(f"{name} must be {where}, not {value!r}")
    return float(value)


def check_rate(name: str, value: Any) -> float:
    """A dropout rate or a batch norm's momentum: a number in [0, 1)."""
    return check_number(name, value, 0.0, 1.0, high_open=True)


def check_threshold(value: Any) -> float:
    """The multi-label decision threshold: a number in (0, 1)."""
    return check_number("threshold", value, 0.0, 1.0, low_open=True, high_open=True)


def check_int(name: str, value: Any, least: int, *, task: str | None = None) -> int:
    """``value`` when it is an integer (not a bool) of at least ``least``.

    ``task``, when given, is named in the message: the least value depends on it.
    """
    if not (isinstance(value, int | np.integer) and not isinstance(value, bool)) or value < least:
        where = "" if task is None else f" for {task}"
        raise KerasBaselineError(f"{name} must be an integer >= {least}{where}, not {value!r}")
    return int(value)


def check_positive_ints(name: str, values: Any, length: int | None) -> tuple[int, ...]:
    """``length`` positive integers, or one or more when ``length`` is None."""
    count = "one or more" if length is None else length
    if (
        not isinstance(values, Sequence)
        or isinstance(values, str)
        or (len(values) < 1 if length is None else len(values) != length)
    ):
        raise KerasBaselineError(f"{name} must be {count} positive integers, not {values!r}")
    return tuple(check_int(f"{name}[{i}]", value, 1) for i, value in enumerate(values))


def check_flag(name: str, value: Any) -> bool:
    """``value`` when it is True or False."""
    if not isinstance(value, bool | np.bool_):
        raise KerasBaselineError(f"{name} must be True or False, not {value!r}")
    return bool(value)


def check_choice(name: str, value: Any, choices: Collection[Any]) -> Any:
    """``value`` when it is one of ``choices``."""
    if value not in choices:
        raise KerasBaselineError(f"{name} must be one of {tuple(choices)}, not {value!r}")
    return value


def check_images(
    name: str, images: Any, ndims: Collection[int] = (3, 4), *, floating: bool = False
) -> np.ndarray:
    """``images`` as a finite real array of ``ndims`` dimensions, N >= 1 samples.

    Parameters
    ----------
    name : str
        The argument, named in every message.
    images : array-like
        (N, H, W) or (N, H, W, C) images; (N, F) rows of features where ``ndims`` has 2.
    ndims : collection of int
        The dimension counts allowed.
    floating : bool
        Also require a floating-point dtype (no conversion from integers).

    Returns
    -------
    ndarray
        The array as scikit-learn's ``check_array`` gives it (dtype kept when numeric).
    """
    with scikit_learn_checks(name):
        array = check_array(
            images,
            dtype="numeric",
            # Where rows of features are allowed, a 1-D array gets scikit-learn's advice.
            ensure_2d=2 in ndims,
            allow_nd=True,
            input_name=name,
        )
    if array.ndim not in ndims or min(array.shape) < 1:
        shapes = {2: "(N, F)", 3: "(N, H, W)", 4: "(N, H, W, C)"}
        allowed = " or ".join(shapes[n] for n in sorted(ndims))
        raise KerasBaselineError(
            f"{name} must have shape {allowed}, each size at least 1, not {array.shape}"
        )
    if floating and not np.issubdtype(array.dtype, np.floating):
        raise KerasBaselineError(f"{name} must be floating point in [0, 1], not {array.dtype}")
    return array
