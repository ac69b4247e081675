"""The Stirling collection's file names, which carry every label of a drawing.

``p3-67w-6.7f.jpeg`` is age category ``p3``, child ``67``, subject ``w`` (a woman), age 6
years 7 months, author ``f`` (a girl). The age is years and months, never a decimal
fraction: ``10.11`` is 131 months.

Who is drawn has two values, female and male, as section 2.1 of the IgNet paper decodes
``nu-21s-4.5m.jpeg`` ("author a boy, self-portrait, who is drawn a male"): the subject
code ``s`` says the author drew themself, so who is drawn is the author's sex, and being a
self-portrait is a flag of its own.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from bench.errors import BenchError

__all__ = [
    "AGE_CATEGORIES",
    "AUTHORS",
    "DRAWN",
    "IMAGE_SUFFIXES",
    "SUBJECTS",
    "DrawingLabels",
    "format_age",
    "format_filename",
    "is_drawing_name",
    "parse_filename",
]

AGE_CATEGORIES = ("nu", "p1", "p2", "p3", "p4", "p5", "p6", "p7")
SUBJECTS = {"m": "man", "w": "woman", "s": "self-portrait"}
AUTHORS = {"f": "girl", "m": "boy"}
DRAWN = ("female", "male")
"""The values of who is drawn."""

# Who is drawn for each subject code but ``s``, and for ``s`` by the author's code.
_DRAWN_BY_SUBJECT = {"w": "female", "m": "male"}
_DRAWN_BY_AUTHOR = {"f": "female", "m": "male"}
IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png")


def is_drawing_name(name: str) -> bool:
    """Whether a folder's entry named ``name`` is one of its drawings: an image file by its
    suffix, hidden files (``._x.jpeg`` of macOS archives) left out."""
    return name.lower().endswith(IMAGE_SUFFIXES) and not name.startswith(".")


_NAME = re.compile(
    r"^(?P<category>[^-]+)-(?P<child>[^-]*?)(?P<subject>[a-z]?)"
    r"-(?P<years>[^.]*)\.(?P<months>\d*)(?P<author>[a-z]?)$"
)


class DrawingLabels(NamedTuple):
    """The labels carried by one Stirling file name.

    The fields are the name's parts as written; :attr:`who_is_drawn` and
    :attr:`self_portrait` decode the subject code as section 2.1 of the paper does.
    """

    age_category: str
    child_id: int
    subject: str
    age_months: int
    author: str

    @property
    def who_is_drawn(self) -> str:
        """``"female"`` or ``"male"``: for a self-portrait, the author's sex."""
        if self.subject == "s":
            return _DRAWN_BY_AUTHOR[self.author]
        return _DRAWN_BY_SUBJECT[self.subject]

    @property
    def self_portrait(self) -> bool:
        """Whether the author drew themself (subject code ``s``)."""
        return self.subject == "s"

    def row(self) -> dict[str, str | int | bool]:
        """The label columns of this drawing: the name's parts and the two decoded ones."""
        return {
            **self._asdict(),
            "who_is_drawn": self.who_is_drawn,
            "self_portrait": self.self_portrait,
        }


def parse_filename(name: str | Path) -> DrawingLabels:
    """Parse a Stirling file name such as ``p3-67w-6.7f.jpeg``.

    Parameters
    ----------
    name : str or Path
        The file name; only its last path component is read. Letters may be in any case.

    Returns
    -------
    DrawingLabels

    Raises
    ------
    BenchError
        If the name does not follow the scheme; the message names the file and the part
        that is wrong.
    """
    filename = Path(name).name
    stem, dot, suffix = filename.lower().rpartition(".")
    if not dot or f".{suffix}" not in IMAGE_SUFFIXES:
        raise BenchError(
            f"{filename}: not an image name (expected one of {', '.join(IMAGE_SUFFIXES)})"
        )
    match = _NAME.match(stem)
    if match is None:
        raise BenchError(
            f"{filename}: does not match CATEGORY-CHILDSUBJECT-YEARS.MONTHSAUTHOR "
            "(for example p3-67w-6.7f.jpeg)"
        )
    part = match.groupdict()
    if part["category"] not in AGE_CATEGORIES:
        raise BenchError(
            f"{filename}: unknown age category {part['category']!r} "
            f"(expected one of {', '.join(AGE_CATEGORIES)})"
        )
    if not _is_number(part["child"]):
        raise BenchError(f"{filename}: child id {part['child']!r} is not a whole number")
    if part["subject"] not in SUBJECTS:
        raise BenchError(
            f"{filename}: missing or unknown subject code after the child id "
            "(expected m man, w woman or s self-portrait)"
        )
    if not _is_number(part["years"]) or not _is_number(part["months"]):
        raise BenchError(f"{filename}: age {part['years']}.{part['months']!s} is not YEARS.MONTHS")
    months = int(part["months"])
    if months > 11:
        raise BenchError(f"{filename}: age has {months} months (expected 0 to 11)")
    if part["author"] not in AUTHORS:
        raise BenchError(
            f"{filename}: missing or unknown author code after the age (expected f girl or m boy)"
        )
    return DrawingLabels(
        age_category=part["category"],
        child_id=int(part["child"]),
        subject=part["subject"],
        age_months=12 * int(part["years"]) + months,
        author=part["author"],
    )


def _is_number(text: str) -> bool:
    # ASCII only: str.isdigit also accepts digits such as "²" that int() refuses.
    return text.isascii() and text.isdigit()


def format_age(age_months: int) -> str:
    """Write an age as the collection does: years, a dot, months (``79`` -> ``"6.7"``)."""
    if age_months < 0:
        raise BenchError(f"age_months must be >= 0, got {age_months}")
    return f"{age_months // 12}.{age_months % 12}"


def format_filename(labels: DrawingLabels, suffix: str = "jpeg") -> str:
    """The file name of a drawing with these labels, e.g. ``p3-67w-6.7f.jpeg``."""
    if labels.age_category not in AGE_CATEGORIES:
        raise BenchError(
            f"age_category must be one of {AGE_CATEGORIES}, got {labels.age_category!r}"
        )
    if labels.subject not in SUBJECTS:
        raise BenchError(f"subject must be one of {tuple(SUBJECTS)}, got {labels.subject!r}")
    if labels.author not in AUTHORS:
        raise BenchError(f"author must be one of {tuple(AUTHORS)}, got {labels.author!r}")
    return (
        f"{labels.age_category}-{labels.child_id}{labels.subject}-"
        f"{format_age(labels.age_months)}{labels.author}.{suffix}"
    )
