"""OpenCL devices: finding them, choosing one, and the state each device shares.

Device choice: the ``device`` argument (an index into :func:`list_devices` or part of a
device's name), else the ``PYOPENCL_CTX`` environment variable (pyopencl's syntax), else
the first GPU, else the first CPU device. The ``opencl`` extra installs PoCL, a CPU
driver, so this works without a GPU or a system OpenCL driver.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ignet.errors import IgNetError

cl: Any
cl_tools: Any
try:
    import pyopencl as cl
    import pyopencl.tools as cl_tools
except ImportError:  # reported by OpenCLBackend with the install hint
    cl = cl_tools = None

INSTALL_HINT = (
    "the opencl back end needs pyopencl and an OpenCL device: "
    "pip install 'ignet-bench[opencl]' (installs PoCL, a CPU OpenCL driver)"
)


@dataclass
class DeviceState:
    """What every back end on one device shares: context, queue and memory pool."""

    context: Any
    queue: Any
    allocator: Any


# Keyed by the device's int_ptr: one context, queue and pool per device per process.
_DEVICES: dict[int, DeviceState] = {}

# GPU vendors' OpenCL drivers and where drivers and containers put them. OpenCL's loader
# finds a driver only through an ICD file naming it, which a container that mounts the
# driver often lacks.
_GPU_DRIVERS = ("libnvidia-opencl.so.1", "libnvidia-opencl.so", "libamdocl64.so")
_DRIVER_DIRS = (
    "/usr/local/nvidia/lib64",
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/opt/rocm/lib",
)


@dataclass(frozen=True)
class DeviceInfo:
    """One OpenCL device, as listed by :func:`list_devices`."""

    index: int
    platform: str
    name: str
    type: str
    compute_units: int
    global_memory: int
    fp64: bool


def _require_pyopencl() -> None:
    if cl is None:
        raise IgNetError(INSTALL_HINT)


def _all_devices() -> list[Any]:
    """Every device of every platform, in platform order (the index of list_devices)."""
    _require_pyopencl()
    try:
        platforms = cl.get_platforms()
    except cl.Error:
        # pyopencl raises when no ICD is installed at all
        platforms = []
    devices = []
    for platform in platforms:
        try:
            devices.extend(platform.get_devices())
        except cl.Error:
            continue
    return devices


def has_fp64(device: Any) -> bool:
    """Whether a pyopencl device computes in double precision."""
    return "cl_khr_fp64" in device.extensions.split() or bool(
        getattr(device, "double_fp_config", 0)
    )


def type_name(device: Any) -> str:
    """``"GPU"``, ``"CPU"``, ``"accelerator"`` or ``"other"``."""
    kind = device.type
    for flag, name in ((cl.device_type.GPU, "GPU"), (cl.device_type.CPU, "CPU")):
        if kind & flag:
            return name
    return "accelerator" if kind & cl.device_type.ACCELERATOR else "other"


def list_devices() -> list[DeviceInfo]:
    """Every OpenCL device on this machine.

    Raises
    ------
    IgNetError
        When pyopencl is not installed.
    """
    return [
        DeviceInfo(
            index=i,
            platform=d.platform.name.strip(),
            name=d.name.strip(),
            type=type_name(d),
            compute_units=int(d.max_compute_units),
            global_memory=int(d.global_mem_size),
            fp64=has_fp64(d),
        )
        for i, d in enumerate(_all_devices())
    ]


def unlisted_gpu_driver() -> Path | None:
    """A GPU vendor's OpenCL driver present on this machine while no GPU is listed (no
    ICD file names it), or None."""
    if any(d.type & cl.device_type.GPU for d in _all_devices()):
        return None
    for folder in _DRIVER_DIRS:
        for name in _GPU_DRIVERS:
            if (path := Path(folder) / name).is_file():
                return path
    return None


def choose_device(device: int | str | None = None) -> Any:
    """The pyopencl device that ``OpenCLBackend(device=device)`` runs on.

    Parameters
    ----------
    device : an index into :func:`list_devices`, a part of a device's name
        (case-insensitive), or None: then ``PYOPENCL_CTX`` when set, else the first GPU,
        else the first CPU device.

    Raises
    ------
    IgNetError
        When pyopencl or a matching device is missing.
    """
    devices = _all_devices()
    if not devices:
        raise IgNetError(f"no OpenCL device found; {INSTALL_HINT}")
    if device is None and os.environ.get("PYOPENCL_CTX"):
        try:
            return cl.create_some_context(interactive=False).devices[0]
        except (cl.Error, RuntimeError, ValueError, IndexError) as error:
            raise IgNetError(
                f"PYOPENCL_CTX={os.environ['PYOPENCL_CTX']!r} names no usable device: {error}"
            ) from None
    if device is None:
        for kind in (cl.device_type.GPU, cl.device_type.CPU):
            for d in devices:
                if d.type & kind:
                    return d
        return devices[0]
    if isinstance(device, str) and device.strip().isdigit():
        device = int(device)
    if isinstance(device, int | np.integer) and not isinstance(device, bool):
        if not 0 <= device < len(devices):
            raise IgNetError(f"device index {device} out of range: {len(devices)} device(s)")
        return devices[int(device)]
    if isinstance(device, str):
        for d in devices:
            if device.lower() in d.name.lower():
                return d
        names = ", ".join(repr(d.name.strip()) for d in devices)
        raise IgNetError(f"no OpenCL device named like {device!r}; found {names}")
    raise IgNetError(f"device must be an int index or a name, got {device!r}")


def chosen_device(device: int | str | None = None) -> DeviceInfo:
    """The :func:`list_devices` entry of the device that ``choose_device(device)`` picks."""
    chosen = choose_device(device)
    for info, candidate in zip(list_devices(), _all_devices(), strict=True):
        if candidate.int_ptr == chosen.int_ptr:
            return info
    raise IgNetError(f"the chosen OpenCL device {chosen.name.strip()!r} is not listed")


def device_state(device: Any) -> DeviceState:
    """The context, queue and memory pool of a device, made on first use."""
    state = _DEVICES.get(device.int_ptr)
    if state is None:
        context = cl.Context([device])
        queue = cl.CommandQueue(context)
        allocator = cl_tools.MemoryPool(cl_tools.ImmediateAllocator(queue))
        state = _DEVICES[device.int_ptr] = DeviceState(context, queue, allocator)
    return state


def is_pocl(device: Any) -> bool:
    """Whether a device is PoCL's (its kernels are built with ``IGNET_VECTOR_CAST``)."""
    name = device.platform.name.lower()
    return "pocl" in name or "portable computing language" in name
