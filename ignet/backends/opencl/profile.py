"""Where the device's time goes while a preset trains on the OpenCL back end.

``python -m ignet.backends.opencl.profile [NETWORK ...]`` trains each network on random
data of the drawings' size (1x58x36, 186 classes, batch 32) and prints, per kernel, its
launches and device milliseconds per batch (OpenCL event times of one epoch), beside
the epoch's wall time per batch: the difference is time the device waited for the host.
``--whole`` keeps every product whole (as a CPU device runs them), to see what cutting
sums into parts does on a GPU (``docs/opencl.md``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ignet.backends.opencl.backend import OpenCLBackend
from ignet.backends.opencl.devices import cl
from ignet.errors import IgNetError

__all__ = ["KernelProfile", "kernel_profile", "main"]

_SHAPE, _CLASSES = (1, 58, 36), 186


@dataclass
class KernelProfile:
    """One epoch of a network on one device, per batch.

    Attributes
    ----------
    network, device : what trained, and on which OpenCL device.
    batches : batches in the epoch.
    samples_per_s : samples over the wall time of an epoch without events kept.
    wall_ms : wall milliseconds per batch of that epoch.
    kernels : kernel name -> (launches per batch, device milliseconds per batch), from
        the next epoch's events, the most time first.
    """

    network: str
    device: str
    batches: int
    samples_per_s: float
    wall_ms: float
    kernels: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def kernel_ms(self) -> float:
        """Device milliseconds per batch, all kernels."""
        return sum(ms for _, ms in self.kernels.values())

    def table(self) -> str:
        """The profile as printed lines."""
        launches = sum(n for n, _ in self.kernels.values())
        lines = [
            f"{self.network} on {self.device}: {self.samples_per_s:,.0f} samples/s; per batch "
            f"{self.wall_ms:.2f} ms wall, {self.kernel_ms:.2f} ms in kernels, "
            f"{launches:.0f} launches",
            f"  {'kernel':<14} {'launches':>8} {'ms':>8}",
        ]
        lines += [
            f"  {name:<14} {count:>8.1f} {ms:>8.3f}" for name, (count, ms) in self.kernels.items()
        ]
        return "\n".join(lines)


def kernel_profile(
    network: str,
    batches: int = 60,
    *,
    whole: bool = False,
    device: int | str | None = None,
    batch_size: int = 32,
) -> KernelProfile:
    """Train preset ``network`` for one epoch of ``batches`` and time its kernels.

    Raises
    ------
    IgNetError
        When pyopencl or a device is missing, or for an unknown preset.
    """
    from ignet import Network, preset

    if batches < 1:
        raise IgNetError(f"batches must be at least 1, got {batches}")
    be = OpenCLBackend(device=device)
    # Kernel events carry device times only on a queue made with profiling on.
    be.queue = cl.CommandQueue(be.context, properties=cl.command_queue_properties.PROFILING_ENABLE)
    if whole:
        be.split_below = 0
    rng = np.random.default_rng(0)
    n = batch_size * batches
    X = rng.random((n, *_SHAPE), dtype=np.float32)
    y = np.eye(_CLASSES, dtype=np.float32)[rng.integers(0, _CLASSES, n)]
    net = Network(
        preset(network, _SHAPE, _CLASSES),
        loss="ce",
        batch_size=batch_size,
        backend=be,
        random_state=0,
    )
    net.fit(X[: 2 * batch_size], y[: 2 * batch_size], epochs=1)  # builds and warms up
    start = time.perf_counter()
    net.fit(X, y, epochs=1)
    wall = time.perf_counter() - start
    be.events = []
    net.fit(X, y, epochs=1)
    be.queue.finish()
    events, be.events = be.events, None
    totals: dict[str, list[float]] = {}
    for name, event in events:
        entry = totals.setdefault(name, [0, 0.0])
        entry[0] += 1
        entry[1] += (event.profile.end - event.profile.start) * 1e-6
    kernels = {
        name: (count / batches, ms / batches)
        for name, (count, ms) in sorted(totals.items(), key=lambda kv: -kv[1][1])
    }
    return KernelProfile(network, be.device_name, batches, n / wall, wall * 1e3 / batches, kernels)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit status."""
    from ignet.presets import PRESETS

    parser = argparse.ArgumentParser(
        prog="python -m ignet.backends.opencl.profile",
        description="Train presets on the OpenCL back end (random data of the drawings' "
        "size, batch 32) and print each kernel's launches and device milliseconds per "
        "batch beside the wall milliseconds per batch; the difference is time the device "
        "waited for the host.",
    )
    parser.add_argument(
        "networks", nargs="*", metavar="NETWORK",
        help=f"presets to train (default: fig5 fig7; from {', '.join(PRESETS)})",
    )  # fmt: skip
    parser.add_argument("--batches", type=int, default=60, help="batches per epoch (60)")
    parser.add_argument("--whole", action="store_true", help="never cut a product into parts")
    parser.add_argument("--device", help="device index or part of its name (default: first GPU)")
    args = parser.parse_args(argv)
    try:
        for network in args.networks or ("fig5", "fig7"):
            profile = kernel_profile(network, args.batches, whole=args.whole, device=args.device)
            print(profile.table())
    except IgNetError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
