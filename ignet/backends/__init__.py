"""Back ends: one module each, all implementing :class:`ignet.backends.base.Backend`."""

from __future__ import annotations

from typing import Any

from ignet.backends.base import Backend, ConvGeometry
from ignet.errors import IgNetError

BACKENDS = ("numpy",)

__all__ = ["BACKENDS", "Backend", "ConvGeometry", "get_backend"]


def get_backend(name: str | Backend = "numpy", **options: Any) -> Backend:
    """Create a back end by name.

    Parameters
    ----------
    name : a name from :data:`BACKENDS`, or a ready :class:`Backend` (returned as is).
    **options : passed to the back end, e.g. ``dtype="float64"``, ``threads=2``.

    Raises
    ------
    IgNetError
        When the name is unknown.
    """
    if isinstance(name, Backend):
        return name
    if name == "numpy":
        from ignet.backends.numpy import NumpyBackend

        return NumpyBackend(**options)
    raise IgNetError(f"backend: unknown name {name!r}; choose from {', '.join(BACKENDS)}")
