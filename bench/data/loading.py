"""The one shape of every loader: find the files, parse their labels, decode them, collect
the bad ones with reasons, and return a :class:`~bench.data.dataset.Dataset`.

A dataset brings only its own parts, as a :class:`Loader`: where its files are and what
their labels say (:meth:`Loader.find`), and how one file becomes an image
(:meth:`Loader.decode`). :func:`read` does the rest the same way for all of them: the
decoding threads and progress bar, the check of every image against the promised shape,
the bad-file report (an error or a warning, naming each file and why) and the dataset.
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from bench.data.dataset import Dataset
from bench.errors import BenchError, DataError

__all__ = ["Decoded", "Loader", "check_folder", "check_on_error", "read"]

#: One decoded file: its image and the label columns only the decoding can tell (a
#: drawing's original size), or why the file cannot be used.
Decoded = tuple[np.ndarray, dict[str, Any]] | str

# A bad-file error names this many files; all of them are in Dataset.skipped. CelebA has
# 202,599 images: a folder missing most of them should not make a megabyte-long message.
_LISTED = 50
# Decoding is mostly OpenCV, which releases the GIL: a few threads keep two cores busy.
_THREADS = 4


class Loader(ABC):
    """One dataset's parts of the loading skeleton.

    Parameters
    ----------
    source : Path
        The folder read (or, for data a library ships, the name it is known by).
    shape : tuple of int
        Every image's shape: (height, width), or (height, width, 3) in colour.
    noun : str
        What the images are, for the progress bar ("drawings").
    """

    def __init__(self, source: Path, shape: tuple[int, ...], noun: str) -> None:
        self.source = source
        self.shape = shape
        self.noun = noun

    @abstractmethod
    def find(self) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
        """The files to decode and the files already found bad.

        Returns
        -------
        table : DataFrame
            One row of labels per file to decode, in the dataset's order; a ``file``
            column (the name a bad-file report gives) and a ``group`` column.
        bad : list of (file name, reason)
            Files left out before decoding (a bad name, a duplicate, ...).
        """

    @abstractmethod
    def decode(self, index: int, name: str) -> Decoded:
        """Row ``index`` of the table (file ``name``) as a float32 image in [0, 1] of
        :attr:`shape`, with the label columns it adds, or why the file cannot be used.

        Called from several threads at once.
        """

    def finish(self, labels: pd.DataFrame) -> pd.DataFrame:
        """The labels of the usable images, with the decoded columns; a loader that
        decoded something to report (not to keep) takes it out here."""
        return labels


def check_folder(folder: Path) -> Path:
    """``folder`` if it is an existing folder, else BenchError naming it."""
    if not folder.exists():
        raise BenchError(f"{folder}: folder does not exist")
    if not folder.is_dir():
        raise BenchError(f"{folder}: not a folder")
    return folder


def check_on_error(on_error: str) -> None:
    """BenchError naming ``on_error`` unless it is ``"raise"`` or ``"skip"``."""
    if on_error not in ("raise", "skip"):
        raise BenchError(f"on_error must be 'raise' or 'skip', not {on_error!r}")


def read(
    loader: Loader, on_error: Literal["raise", "skip"] = "raise", progress: bool = False
) -> Dataset:
    """Run the skeleton with ``loader``'s parts.

    Parameters
    ----------
    loader : Loader
        The dataset's parts.
    on_error : {"raise", "skip"}
        ``"raise"`` fails with one error listing the bad files and why (the first 50 and
        how many in all); ``"skip"`` leaves them out, warns with the same list and records
        every one in :attr:`Dataset.skipped`.
    progress : bool
        Show a progress bar while decoding.

    Returns
    -------
    Dataset
        The usable images, float32 in [0, 1] of ``loader.shape``, in the table's order.

    Raises
    ------
    DataError
        For bad files when ``on_error="raise"``, or when no image is usable.
    """
    check_on_error(on_error)
    table, bad = loader.find()
    # A table built from no rows at all has no columns either.
    names = table["file"].tolist() if len(table) else []
    # Filled in place: a second full-size copy of CelebA would not fit in memory.
    images = np.empty((len(names), *loader.shape), np.float32)

    def decode(index: int) -> dict[str, Any] | str:
        result = loader.decode(index, names[index])
        if isinstance(result, str):
            return result
        image, columns = result
        images[index] = _checked(image, loader.shape, names[index])
        return columns

    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        results = list(
            tqdm(
                pool.map(decode, range(len(names))),
                total=len(names),
                desc=f"decoding {loader.noun}",
                unit="img",
                disable=not progress,
            )
        )

    ok = np.array([not isinstance(result, str) for result in results], dtype=bool)
    bad += [(name, r) for name, r in zip(names, results, strict=True) if isinstance(r, str)]
    if bad:
        listing = _describe_bad(loader.source, bad)
        if on_error == "raise":
            raise DataError(
                f"{listing} (move them out of the folder: `ignet-bench data inspect "
                f"{loader.source}` lists a drawings folder's bad files; in Python, "
                "on_error='skip' leaves them out)"
            )
        # Pointed at the public loader's caller: one frame up is the loader.
        warnings.warn(listing + "; they were skipped", stacklevel=3)
    if not ok.any():
        raise DataError(f"{loader.source}: no usable images")
    decoded = [result for result in results if not isinstance(result, str)]
    if not ok.all():
        images = images[ok]
        table = table[ok].reset_index(drop=True)
    for column in decoded[0]:
        table[column] = [columns[column] for columns in decoded]
    return Dataset(
        images=images, labels=loader.finish(table), source=loader.source, skipped=sorted(bad)
    )


def _checked(image: np.ndarray, shape: tuple[int, ...], name: str) -> np.ndarray:
    """``image`` if it keeps the dataset's promise (float32 in [0, 1] of ``shape``): the one
    place images are checked, so nothing after the loader converts or checks them again."""
    if image.dtype != np.float32 or image.shape != shape:
        raise BenchError(f"{name}: decoded to {image.dtype} {image.shape}, not float32 {shape}")
    if image.size and not (0.0 <= image.min() and image.max() <= 1.0):
        raise BenchError(f"{name}: decoded to values outside [0, 1]")
    return image


def _describe_bad(source: Path, bad: list[tuple[str, str]]) -> str:
    shown = sorted(bad)[:_LISTED]
    items = "; ".join(f"{name}: {reason}" for name, reason in shown)
    more = f"; and {len(bad) - len(shown)} more" if len(bad) > len(shown) else ""
    noun = "file" if len(bad) == 1 else "files"
    return f"{source}: {len(bad)} bad {noun}: {items}{more}"
