"""The Keras baseline's one error type and the checks every public function shares.

A bad value a user can give (a layer size, a rate, a flag, an option in an experiment
file) raises :class:`KerasBaselineError` naming the argument; ``bench`` reports it on one
line like its own errors. It is a ``ValueError``, as scikit-learn expects of a bad
parameter.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

__all__ = [
    "KerasBaselineError",
    "check_choice",
    "check_flag",
    "check_int",
    "check_number",
    "check_positive_ints",
]


class KerasBaselineError(ValueError):
    """A bad parameter or bad input arrays; the message names the argument."""


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


def check_int(name: str, value: Any, least: int) -> int:
    """``value`` when it is an integer (not a bool) of at least ``least``."""
    if not (isinstance(value, int | np.integer) and not isinstance(value, bool)) or value < least:
        raise KerasBaselineError(f"{name} must be an integer >= {least}, not {value!r}")
    return int(value)


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


def check_positive_ints(name: str, values: Any, length: int | None) -> tuple[int, ...]:
    """``length`` positive integers, or one or more when ``length`` is None."""
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise KerasBaselineError(f"{name} must be a sequence of positive integers, not {values!r}")
    values = tuple(values)
    count_ok = len(values) >= 1 if length is None else len(values) == length
    if not count_ok or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in values
    ):
        count = "one or more" if length is None else length
        raise KerasBaselineError(f"{name} must be {count} positive integers, not {values!r}")
    return values
