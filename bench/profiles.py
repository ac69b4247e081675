"""The profiles an experiment runs under: how large a run is.

Experiment files declare ``quick`` and ``paper``; ``smoke`` is derived from ``quick``
(:func:`bench.jobs.profile_settings`). This module holds the names alone, so a command
line can offer them without loading the experiment models.
"""

from __future__ import annotations

__all__ = ["PROFILES", "describe"]

#: Each profile and what it is for, smallest first.
_WHAT = {
    "smoke": "seconds per job and each experiment's first target: a check that it runs",
    "quick": "minutes on two cores, a few folds of each claim",
    "paper": "the papers' sizes (many hours)",
}
PROFILES = tuple(_WHAT)


def describe() -> str:
    """``smoke: ...; quick: ...; paper: ...``, for a ``--profile`` option's help."""
    return "; ".join(f"{name}: {what}" for name, what in _WHAT.items())
