"""Back ends: one module each, all implementing :class:`ignet.backends.base.Backend`."""

from __future__ import annotations

from typing import Any

from ignet.backends.base import Backend, ConvGeometry
from ignet.errors import IgNetError

BACKENDS = ("numpy", "opencl")

__all__ = ["BACKENDS", "Backend", "ConvGeometry", "get_backend"]


def get_backend(name: str | Backend = "numpy", **options: Any) -> Backend:
    """Create a back end by name.

    Parameters
    ----------
    name : a name from :data:`BACKENDS`, or a ready :class:`Backend` (returned as is).
    **options : passed to the back end, e.g. ``dtype="float64"``, ``threads=2``, or the
        opencl back end's ``device``.

    Raises
    ------
    IgNetError
        When the name is unknown, or (opencl) pyopencl or an OpenCL device is missing.
    """
    if isinstance(name, Backend):
        return name
    if name == "numpy":
        from ignet.backends.numpy import NumpyBackend

        return NumpyBackend(**options)
    if name == "opencl":
        from ignet.backends.opencl import OpenCLBackend

        return OpenCLBackend(**options)
    raise IgNetError(f"backend: unknown name {name!r}; choose from {', '.join(BACKENDS)}")
