"""CelebA's label files, read and written the same way for a real folder and a synthetic one.

A CelebA folder holds ``img_align_celeba/000001.jpg ...`` and two text files:

``list_attr_celeba.txt``
    Line 1 is the number of images; line 2 the attribute names separated by spaces (40 in
    the real file); then one line per image, its file name followed by one ``1`` or ``-1``
    per attribute, separated by one or more spaces::

        202599
        5_o_Clock_Shadow Arched_Eyebrows ... Young
        000001.jpg -1  1  1 -1 ...

``list_eval_partition.txt``
    One line per image, its file name and a partition code: ``0`` train, ``1`` validation,
    ``2`` test (``000001.jpg 0``).

The face-attribute paper uses ten of the forty attributes, :data:`ATTRIBUTES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from bench.errors import BenchError

__all__ = [
    "ATTRIBUTES",
    "ATTRIBUTE_FILE",
    "CELEBA_ATTRIBUTES",
    "IMAGE_FOLDER",
    "PARTITIONS",
    "PARTITION_FILE",
    "default_partitions",
    "read_attributes",
    "read_partitions",
    "write_attributes",
    "write_partitions",
]

ATTRIBUTES = (
    "Eyeglasses",
    "Bangs",
    "Black_Hair",
    "Blond_Hair",
    "Brown_Hair",
    "Gray_Hair",
    "Male",
    "Pale_Skin",
    "Smiling",
    "Young",
)
"""The ten attributes the face-attribute paper predicts, in the paper's order."""

CELEBA_ATTRIBUTES = (
    "5_o_Clock_Shadow",
    "Arched_Eyebrows",
    "Attractive",
    "Bags_Under_Eyes",
    "Bald",
    "Bangs",
    "Big_Lips",
    "Big_Nose",
    "Black_Hair",
    "Blond_Hair",
    "Blurry",
    "Brown_Hair",
    "Bushy_Eyebrows",
    "Chubby",
    "Double_Chin",
    "Eyeglasses",
    "Goatee",
    "Gray_Hair",
    "Heavy_Makeup",
    "High_Cheekbones",
    "Male",
    "Mouth_Slightly_Open",
    "Mustache",
    "Narrow_Eyes",
    "No_Beard",
    "Oval_Face",
    "Pale_Skin",
    "Pointy_Nose",
    "Receding_Hairline",
    "Rosy_Cheeks",
    "Sideburns",
    "Smiling",
    "Straight_Hair",
    "Wavy_Hair",
    "Wearing_Earrings",
    "Wearing_Hat",
    "Wearing_Lipstick",
    "Wearing_Necklace",
    "Wearing_Necktie",
    "Young",
)
"""The forty attributes of the real ``list_attr_celeba.txt``, in the file's order."""

PARTITIONS = ("train", "validation", "test")
"""Partition names; their index is the code in ``list_eval_partition.txt``."""

IMAGE_FOLDER = "img_align_celeba"
ATTRIBUTE_FILE = "list_attr_celeba.txt"
PARTITION_FILE = "list_eval_partition.txt"

_SIGNS = frozenset({"1", "-1"})
_CODES = {str(code): name for code, name in enumerate(PARTITIONS)}


def _lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BenchError(f"{path}: file does not exist") from None
    except UnicodeDecodeError:
        raise BenchError(f"{path}: not a text file") from None
    except OSError as error:
        raise BenchError(f"{path}: unreadable: {error.strerror or error}") from None
    return text.splitlines()


def read_attributes(path: str | Path, attributes: Sequence[str] = ATTRIBUTES) -> pd.DataFrame:
    """Read ``list_attr_celeba.txt`` and keep the chosen attributes.

    Parameters
    ----------
    path : str or Path
        The attribute file. It may list any attributes (the real one has 40) as long as
        every one in ``attributes`` is among them.
    attributes : sequence of str
        The attributes to keep, in the order wanted.

    Returns
    -------
    DataFrame
        One row per image in file order: ``file``, then one int column per attribute,
        1 where the file says ``1`` and 0 where it says ``-1``.

    Raises
    ------
    BenchError
        If the file is missing or malformed; the message names the file and the line: a
        count line that is not a number or disagrees with the number of images, a missing
        or repeated attribute name, a line with the wrong number of values, a value other
        than ``1`` or ``-1``, or an image listed twice.
    """
    path = Path(path)
    wanted = _check_attributes(attributes)
    lines = _lines(path)
    if not lines or not lines[0].strip():
        raise BenchError(f"{path}, line 1: expected the number of images, found nothing")
    count_text = lines[0].strip()
    if not count_text.isdigit():
        raise BenchError(f"{path}, line 1: expected the number of images, found {count_text!r}")
    if len(lines) < 2 or not lines[1].strip():
        raise BenchError(f"{path}, line 2: expected the attribute names, found nothing")
    header = lines[1].split()
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise BenchError(f"{path}, line 2: attribute(s) named twice: {', '.join(repeated)}")
    missing = [name for name in wanted if name not in header]
    if missing:
        raise BenchError(
            f"{path}, line 2: no attribute(s) {', '.join(missing)} among the "
            f"{len(header)} named ({' '.join(header)})"
        )
    columns = [header.index(name) for name in wanted]
    width = len(header) + 1

    files: list[str] = []
    rows: list[list[str]] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines[2:], start=3):
        fields = line.split()
        if not fields:
            continue  # blank lines, such as a trailing one, carry nothing
        if len(fields) != width:
            raise BenchError(
                f"{path}, line {number}: {fields[0]} has {len(fields) - 1} value(s), "
                f"expected {len(header)} (one per attribute on line 2)"
            )
        values = fields[1:]
        if not _SIGNS.issuperset(values):
            bad = next(v for v in values if v not in _SIGNS)
            name = header[values.index(bad)]
            raise BenchError(
                f"{path}, line {number}: {fields[0]} has {bad!r} for {name}, expected 1 or -1"
            )
        if fields[0] in seen:
            raise BenchError(
                f"{path}, line {number}: {fields[0]} is listed twice (first on line "
                f"{seen[fields[0]]})"
            )
        seen[fields[0]] = number
        files.append(fields[0])
        rows.append([values[i] for i in columns])
    if int(count_text) != len(files):
        raise BenchError(
            f"{path}, line 1: says {int(count_text)} images but {len(files)} are listed"
        )
    signs = np.array(rows, dtype=np.int64).reshape(len(files), len(wanted))
    table = pd.DataFrame((signs > 0).astype(np.int64), columns=list(wanted))
    table.insert(0, "file", files)
    return table


def write_attributes(path: str | Path, table: pd.DataFrame) -> None:
    """Write ``list_attr_celeba.txt`` in CelebA's layout.

    Parameters
    ----------
    path : str or Path
        The file to write (replaced if it exists).
    table : DataFrame
        A ``file`` column and one column of 0/1 (or bool) per attribute, in the order to
        write; what :func:`read_attributes` returns.
    """
    if "file" not in table.columns:
        raise BenchError("the attribute table needs a 'file' column")
    names = [str(c) for c in table.columns if c != "file"]
    values = table[names].to_numpy()
    if not np.isin(values, (0, 1)).all():
        raise BenchError("attribute values must be 0 or 1 (or bool)")
    signs = np.where(values.astype(bool), 1, -1)
    # CelebA right-aligns each value in two characters, hence "-1  1".
    lines = [str(len(table)), " ".join(names)]
    lines += [
        f"{name} " + " ".join(f"{v:2d}" for v in row)
        for name, row in zip(table["file"], signs.tolist(), strict=True)
    ]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_partitions(path: str | Path) -> dict[str, str]:
    """Read ``list_eval_partition.txt``.

    Returns
    -------
    dict
        File name to partition name (one of :data:`PARTITIONS`), in file order.

    Raises
    ------
    BenchError
        If the file is missing or malformed; the message names the file and the line: a
        line that is not a file name and a code, an unknown code, or an image listed twice.
    """
    path = Path(path)
    partitions: dict[str, str] = {}
    seen: dict[str, int] = {}
    for number, line in enumerate(_lines(path), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2:
            raise BenchError(
                f"{path}, line {number}: expected a file name and a partition code, "
                f"found {line.strip()!r}"
            )
        name, code = fields
        if code not in _CODES:
            raise BenchError(
                f"{path}, line {number}: {name} has partition code {code!r}, "
                "expected 0 (train), 1 (validation) or 2 (test)"
            )
        if name in seen:
            raise BenchError(
                f"{path}, line {number}: {name} is listed twice (first on line {seen[name]})"
            )
        seen[name] = number
        partitions[name] = _CODES[code]
    return partitions


def write_partitions(path: str | Path, partitions: Mapping[str, str]) -> None:
    """Write ``list_eval_partition.txt`` from file name to partition name, in that order."""
    codes = {name: code for code, name in _CODES.items()}
    unknown = sorted(set(partitions.values()) - set(codes))
    if unknown:
        raise BenchError(
            f"unknown partition(s) {', '.join(map(repr, unknown))} "
            f"(expected {', '.join(PARTITIONS)})"
        )
    lines = [f"{name} {codes[part]}" for name, part in partitions.items()]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def default_partitions(n: int) -> list[str]:
    """Partitions for ``n`` images in file order: the first 80 % train, 10 % validation, 10 % test.

    CelebA's own split is also contiguous in file order, in about these proportions
    (162,770 / 19,867 / 19,962).
    """
    n_train = round(0.8 * n)
    n_validation = round(0.9 * n) - n_train
    return (
        ["train"] * n_train
        + ["validation"] * n_validation
        + ["test"] * (n - n_train - n_validation)
    )


def _check_attributes(attributes: Iterable[str]) -> tuple[str, ...]:
    if isinstance(attributes, str):
        raise BenchError(f"attributes must be a sequence of names, not the string {attributes!r}")
    try:
        names = tuple(attributes)
    except TypeError:
        raise BenchError(f"attributes must be a sequence of names, not {attributes!r}") from None
    if not names:
        raise BenchError("attributes must name at least one attribute")
    if not all(isinstance(name, str) for name in names):
        raise BenchError(f"attributes must be strings, got {names!r}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise BenchError(f"attributes named twice: {', '.join(repeated)}")
    return names
