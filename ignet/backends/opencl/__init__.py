"""The OpenCL back end (``backend="opencl"``), built on pyopencl.

``devices`` finds the OpenCL devices and chooses one; ``backend`` holds
:class:`OpenCLBackend`, its device arrays and the building of the kernels, which are the
OpenCL C 1.2 files in ``kernels/`` (installed with the package). Importing this package
works without pyopencl: the back end then raises :class:`~ignet.errors.IgNetError` with
:data:`INSTALL_HINT`.
"""

from ignet.backends.opencl.backend import KERNEL_DIR, CLArray, OpenCLBackend
from ignet.backends.opencl.devices import (
    INSTALL_HINT,
    DeviceInfo,
    choose_device,
    chosen_device,
    list_devices,
    unlisted_gpu_driver,
)

__all__ = [
    "INSTALL_HINT",
    "KERNEL_DIR",
    "CLArray",
    "DeviceInfo",
    "OpenCLBackend",
    "choose_device",
    "chosen_device",
    "list_devices",
    "unlisted_gpu_driver",
]
