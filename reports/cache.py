"""The figures an earlier report drew, kept in its folder and found by what drew them.

A figure of the report is drawn by a function of this package from its arguments (a
``functools.partial``): its SVG depends on them, on the package's code and on the
libraries that draw, and on nothing else. :func:`drawing_key` hashes all of these, so that
a re-render of unchanged results draws nothing again, and any change (a record, an option,
a line of code, a library's version) draws the figure anew.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import pickle
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

__all__ = ["FigureCache", "drawing_key", "source_digest"]


def drawing_key(drawing: partial[Any], stem: str) -> str | None:
    """The key of the figure ``drawing`` draws as ``stem.svg``; None when its arguments do
    not pickle (it is then drawn every time)."""
    try:
        inputs = pickle.dumps(
            (
                drawing.func.__module__,
                drawing.func.__qualname__,
                drawing.args,
                sorted(drawing.keywords.items()),
            ),
            protocol=5,
        )
    except (pickle.PicklingError, TypeError, AttributeError):
        return None
    digest = hashlib.sha256(inputs)
    digest.update(stem.encode("utf-8"))  # the SVG's ids are salted with it
    digest.update(_code().encode("utf-8"))
    return digest.hexdigest()[:32]


class FigureCache:
    """SVG files under ``folder``, one per key; the report folder's ``.cache``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get(self, key: str | None) -> str | None:
        """The SVG drawn before under ``key``, or None."""
        if key is None:
            return None
        try:
            return (self.folder / f"{key}.svg").read_text(encoding="utf-8")
        except OSError:
            return None

    def put(self, key: str | None, svg: str) -> None:
        if key is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / f"{key}.svg").write_text(svg, encoding="utf-8")

    def keep(self, keys: Iterable[str | None]) -> None:
        """Remove the figures of earlier reports that this one no longer draws."""
        kept = {f"{key}.svg" for key in keys if key is not None}
        for path in self.folder.glob("*.svg"):
            if path.name not in kept:
                path.unlink()


@functools.lru_cache(maxsize=1)
def _code() -> str:
    """This package's sources and the versions of the libraries that draw."""
    return source_digest(("reports",), ("matplotlib", "numpy", "pandas"))


@functools.lru_cache
def source_digest(packages: tuple[str, ...], libraries: tuple[str, ...]) -> str:
    """The sha256 of ``packages``' Python sources and of the installed versions of
    ``libraries`` (distribution names; one not installed is left out): what a cached
    drawing depends on besides its inputs."""
    digest = hashlib.sha256()
    for package in packages:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            continue
        root = Path(spec.origin).parent
        for source in sorted(root.rglob("*.py")):
            digest.update(f"{package}/{source.relative_to(root)}".encode())
            digest.update(source.read_bytes())
    for library in libraries:
        try:
            digest.update(f"{library} {importlib.metadata.version(library)}".encode())
        except importlib.metadata.PackageNotFoundError:
            continue
    return digest.hexdigest()
