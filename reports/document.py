"""The report's content as a small document model, rendered alike to HTML and to PDF.

A :class:`Document` is a title, a banner line naming the data and profile, and a list of
:class:`Section` objects; a section holds :class:`Paragraph`, :class:`Table` and
:class:`FigureBlock` blocks. Tables and figures are numbered in reading order by
:func:`number_blocks`, so a paragraph's :class:`Ref` says "Table 3" in the HTML and in the
PDF alike. Text is kept as plain strings: each renderer escapes it for its own markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "Document",
    "FigureBlock",
    "Paragraph",
    "Ref",
    "Section",
    "Table",
    "cells",
    "number_blocks",
    "numeric_columns",
]


@dataclass(frozen=True)
class Ref:
    """A reference to a table or figure by its ``key``; renders as "Table 3" or "Figure 2"."""

    key: str


@dataclass
class Paragraph:
    """Running text: plain strings and :class:`Ref` objects, joined without spaces.

    ``style`` is ``plain``, ``claim`` (the paper's claim, quoted), ``note`` (small print)
    or ``alert`` (something missing).
    """

    parts: tuple[str | Ref, ...]
    style: str = "plain"

    @classmethod
    def of(cls, *parts: str | Ref, style: str = "plain") -> Paragraph:
        """A paragraph of ``parts``, as in ``Paragraph.of("See ", Ref("t1"), ".")``."""
        return cls(tuple(parts), style)


@dataclass
class Table:
    """A captioned table of display strings; numeric-looking columns are right-aligned.

    ``csv`` names the file under ``tables/`` that holds the same rows for re-analysis
    (empty when the table is not written out); ``widths`` gives the columns' relative
    widths where their content alone would not share the page well; ``group`` names the
    columns that say whose rows follow (engine, run, target): where a row repeats the one
    above in them, the HTML leaves them blank and the PDF prints them in grey, so that a
    table continued on a new page still says whose its first rows are.
    """

    key: str
    caption: str
    frame: pd.DataFrame
    csv: str = ""
    widths: tuple[float, ...] = ()
    group: tuple[str, ...] = ()
    number: int = 0

    def repeats(self) -> list[bool]:
        """Per row, whether it repeats the row above in every :attr:`group` column."""
        present = [c for c in self.group if c in self.frame.columns]
        if not present or self.frame.empty:
            return [False] * len(self.frame)
        keys = self.frame[present].astype(str)
        return (keys == keys.shift()).all(axis=1).tolist()

    def grouped(self) -> list[bool]:
        """Per column, whether it is one of :attr:`group`."""
        return [str(c) in self.group for c in self.frame.columns]


@dataclass
class FigureBlock:
    """A captioned figure: ``path`` is its SVG file relative to the report folder.

    ``floats``: in the PDF, the figure is placed at the top of the first page from its
    section's start that has room for it, and the text flows past it (the claims' figure,
    too tall for what page two leaves under the claims table, lands at the top of page
    two); the HTML keeps it where it stands.
    """

    key: str
    caption: str
    path: str
    svg: str = ""  # the SVG text, for the self-contained HTML
    number: int = 0
    floats: bool = False


Block = Paragraph | Table | FigureBlock


@dataclass
class Section:
    """A numbered heading with its blocks; ``appendix`` sections follow the main text."""

    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    appendix: bool = False


@dataclass
class Document:
    """The whole report: ``banner`` names the data and profile on every PDF page."""

    title: str
    banner: str
    context: list[tuple[str, str]]
    sections: list[Section]

    def label(self, ref: Ref) -> str:
        """How a reference reads: "Table 3", "Figure 2", or the key when it is unknown."""
        for section in self.sections:
            for block in section.blocks:
                if isinstance(block, Table | FigureBlock) and block.key == ref.key:
                    kind = "Table" if isinstance(block, Table) else "Figure"
                    return f"{kind} {block.number}"
        return ref.key


def number_blocks(document: Document) -> Document:
    """Number tables and figures in reading order (each kind from 1); returns ``document``."""
    tables = figures = 0
    for section in document.sections:
        for block in section.blocks:
            if isinstance(block, Table):
                tables += 1
                block.number = tables
            elif isinstance(block, FigureBlock):
                figures += 1
                block.number = figures
    return document


def cells(frame: pd.DataFrame) -> list[list[str]]:
    """A table's values as the page shows them: text, numbers to four significant digits
    (the CSV keeps every digit), ``-`` where a value is missing."""
    shown = frame.astype(object).where(frame.notna(), "-")
    return [[_cell(value) for value in row] for row in shown.itertuples(index=False)]


def _cell(value: object) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)


def numeric_columns(frame: pd.DataFrame) -> list[bool]:
    """Per column, whether every shown value reads as a number (so it is right-aligned).

    Values such as ``88.54``, ``12.3 [8.1, 17.0] (5 folds)``, ``97%``, ``1.5x``, ``7/17``
    or ``-`` count as numbers; a sentence that starts with one (``95% CI ...``) does not.
    """
    flags = []
    for column in frame.columns:
        values = [str(v).strip() for v in frame[column] if pd.notna(v)]
        shown = [v for v in values if v not in ("", "-")]
        flags.append(bool(shown) and all(_NUMBER.match(v) for v in shown))
    return flags


# A number with an optional unit, interval and count: "12.3% [8.1, 17.0] (5 folds)".
_NUMBER = re.compile(r"^[+-]?\d[\d.,]*(e[+-]?\d+)?(%|x)?(/\d+)?(\s*\[[^\]]*\])?(\s*\([^)]*\))?$")
