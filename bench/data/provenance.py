"""Whether a data folder holds a synthetic stand-in: a marker file the generators write.

A verdict on a stand-in tests our reimplementation on data whose difficulty we chose, not
the paper; the report words its verdicts by what this module says about each folder.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["MARKER", "is_synthetic", "mark_synthetic"]

#: The file a generator leaves in the folder it wrote; the loaders read images only.
MARKER = "SYNTHETIC.txt"


def mark_synthetic(folder: str | Path, what: str, seed: int) -> None:
    """Leave the marker in ``folder``, saying what wrote it and from which seed."""
    Path(folder, MARKER).write_text(
        f"A synthetic stand-in for {what}, written by ignet-bench from seed {seed}.\n"
        "Verdicts on it test the reimplementation, not the paper (docs/evidence.md).\n",
        encoding="utf-8",
    )


def is_synthetic(folder: str | Path) -> bool:
    """Whether ``folder`` was written by one of the suite's generators."""
    return Path(folder, MARKER).is_file()
