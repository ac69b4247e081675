"""Typeset a :class:`reports.document.Document` as a PDF with typst.

The typst template (``templates/report.typ``) reads the document as JSON from
``sys.inputs``: every string reaches the page as text, never as typst markup, so a file
name with ``#``, ``*`` or ``$`` in it prints as it is.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import matplotlib
import typst

from reports.document import (
    Document,
    FigureBlock,
    Paragraph,
    Ref,
    Section,
    Table,
    cells,
    numeric_columns,
)
from reports.figures import FULL_PAGE

__all__ = ["write_pdf"]

# The text block's width on a landscape A4 page and the tallest a figure may stand (a
# page less its caption), in mm: the figures are drawn at these sizes or less, and so
# are printed as drawn, their text at the size it was set in.
_TEXT_WIDTH = 267.0
_PAGE_HEIGHT = 25.4 * FULL_PAGE
_PT = 25.4 / 72


def write_pdf(document: Document, root: Path, path: Path, first: Section | None = None) -> Path:
    """Compile ``document`` to ``path``; figure paths are relative to ``root``.

    Parameters
    ----------
    document : numbered (:func:`reports.document.number_blocks`).
    root : the report folder the figures' paths start from.
    path : the PDF to write.
    first : the section set on page one, before the table of contents.

    Returns
    -------
    ``path``.
    """
    source = resources.files("reports").joinpath("templates/report.typ").read_bytes()
    data = {
        "title": document.title,
        "banner": document.banner,
        "context": [[name, value] for name, value in document.context],
        "sections": [_section(document, s, s is first) for s in document.sections],
    }
    # The figures keep their text as text in the font matplotlib drew them with.
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    # typst's stub ties the source (bytes here) and the font folders (str) to one type.
    pdf = typst.compile(  # type: ignore[misc]
        source,
        root=str(root),
        font_paths=[str(fonts)],
        sys_inputs={"doc": json.dumps(data, ensure_ascii=False)},
        # Untagged: typst 0.15's PDF tags fail ("internal error: parent group") on a float
        # placed on a later page than its anchor, as the claims' figure is.
        pdf_tags=False,
    )
    path.write_bytes(pdf)
    return path


def _section(document: Document, section: Section, first: bool) -> dict[str, Any]:
    return {
        "key": section.key,
        "title": section.title,
        "appendix": section.appendix,
        "first": first,
        "blocks": [_block(document, b) for b in section.blocks],
    }


def _block(document: Document, block: Paragraph | Table | FigureBlock) -> dict[str, Any]:
    if isinstance(block, Paragraph):
        parts = [
            {"ref": p.key, "text": document.label(p)} if isinstance(p, Ref) else {"text": p}
            for p in block.parts
        ]
        return {"kind": "paragraph", "style": block.style, "parts": parts}
    if isinstance(block, Table):
        return {
            "kind": "table",
            "key": block.key,
            "number": block.number,
            "caption": block.caption,
            "columns": [str(c) for c in block.frame.columns],
            "numeric": numeric_columns(block.frame),
            "widths": list(block.widths),
            "rows": cells(block.frame),
            "repeats": block.repeats(),
            "grouped": block.grouped(),
        }
    return {
        "kind": "figure",
        "key": block.key,
        "number": block.number,
        "caption": block.caption,
        "path": block.path,
        "width": _width(block.svg, _PAGE_HEIGHT),
        "floats": block.floats,
    }


def _width(svg: str, tallest: float) -> float:
    """The width in mm that keeps a figure within the page: the text's unless it is tall."""
    try:
        head = svg[: svg.index(">", svg.index("<svg"))]
        width = float(head.split('width="')[1].split("pt")[0])
        height = float(head.split('height="')[1].split("pt")[0])
    except (ValueError, IndexError):
        return _TEXT_WIDTH
    # Never wider than drawn: the figure's text keeps the size it was drawn at.
    return round(min(_TEXT_WIDTH, width * _PT, tallest * width / height), 1)
