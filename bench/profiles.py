"""The profiles an experiment runs under: how large a run is.

Experiment files declare ``quick`` and ``paper``, and ``standard`` where it has something
to show in an hour (the others are left out of a standard run, which says so); ``smoke``
is derived from ``quick`` (:func:`bench.jobs.profile_settings`). This module holds the
names alone, so a command line can offer them without loading the experiment models.
"""

from __future__ import annotations

__all__ = ["DECLARED", "OPTIONAL", "PROFILES", "REQUIRED", "describe"]

#: Each profile and what it is for, smallest first.
_WHAT = {
    "smoke": "seconds per job and each experiment's first target: a check that it runs",
    "quick": "minutes on two cores, a few folds of each claim",
    "standard": (
        "within an hour on two cores: both CNNs trained until their validation score stops "
        "improving, three protocols on the age category and the age (the experiments that "
        "declare it)"
    ),
    "paper": "the papers' sizes (many hours)",
}
PROFILES = tuple(_WHAT)
#: The profiles an experiment file may declare, those it must, and those it may leave out.
DECLARED = ("quick", "standard", "paper")
REQUIRED = ("quick", "paper")
OPTIONAL = tuple(p for p in DECLARED if p not in REQUIRED)


def describe() -> str:
    """``smoke: ...; quick: ...; paper: ...``, for a ``--profile`` option's help."""
    return "; ".join(f"{name}: {what}" for name, what in _WHAT.items())
