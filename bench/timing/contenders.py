"""What a timing run measures: its sizes (:class:`TimingSettings`) and its contenders.

A contender is one engine configuration (engine, back end, threads) that trains in a
worker process of its own; the engines' timing hooks (:class:`bench.engines.Timing`) say
which configurations each engine brings. ``peak``, the machine's float32 GEMM rate, is
not an engine: it is the yardstick of "% of peak" and runs beside every one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.engines import Engine, Timing, engine_names, get_engine, get_timing
from bench.errors import BenchError

__all__ = [
    "DRAWINGS_CLASSES",
    "DRAWINGS_SHAPE",
    "FULL",
    "PEAK",
    "QUICK",
    "Contender",
    "TimingSettings",
    "check_count",
    "choose",
    "cores",
    "missing",
    "reference",
]

#: The drawings' size (channels, height, width) and the paper's largest class count.
DRAWINGS_SHAPE = (1, 58, 36)
DRAWINGS_CLASSES = 186
#: The name of the peak probe among the contenders.
PEAK = "peak"


@dataclass(frozen=True)
class TimingSettings:
    """Sizes of one timing run.

    Parameters
    ----------
    networks : timed networks: IgNet presets (every engine trains the same layers) and
        networks of one engine's own (``fig2``, the paper's Keras CNN).
    batches : (network, most batches per round) pairs; a network not named takes
        ``default_batches``.
    default_batches : most batches per round of the networks ``batches`` leaves out.
    rounds : interleaved rounds per contender and network.
    batch : samples per batch.
    peak_size, peak_repeats : square matrix side and products per round of the peak probe.
    round_seconds : the duration a round aims at: each contender trains as many batches
        (at least 5, at most the network's ``batches``) as took it that long in a probe, so
        a slow engine does not hold a round for minutes.
    pause : seconds between two rounds, for the last contender's threads to go idle.
    protocol_epochs : epoch cap of the protocol timing (0 leaves it out).
    protocol_target : the drawings' class target of the protocol timing.
    """

    networks: tuple[str, ...] = ("fig5",)
    batches: tuple[tuple[str, int], ...] = ()
    default_batches: int = 20
    rounds: int = 3
    batch: int = 32
    peak_size: int = 1024
    peak_repeats: int = 3
    round_seconds: float = 0.3
    pause: float = 0.2
    protocol_epochs: int = 0
    protocol_target: str = "age_category"

    def batches_of(self, network: str) -> int:
        """Batches per round of ``network``."""
        return dict(self.batches).get(network, self.default_batches)


#: ``ignet-bench timing --quick``: the Fig. 5 net only, three short rounds.
QUICK = TimingSettings()
#: ``ignet-bench timing``: the Fig. 5 and Fig. 7 nets and the Fig. 2 CNN, five rounds of
#: 3,200 samples (Fig. 5), and the protocol timing.
FULL = TimingSettings(
    networks=("fig5", "fig7", "fig2"),
    batches=(("fig5", 100), ("fig7", 25), ("fig2", 10)),
    rounds=5,
    peak_size=2048,
    peak_repeats=2,
    round_seconds=1.0,
    pause=0.3,
    protocol_epochs=20,
)


@dataclass(frozen=True)
class Contender:
    """One engine configuration, measured in a worker process of its own.

    Parameters
    ----------
    engine : :data:`PEAK` or a timed engine's name (:func:`bench.engines.engine_names`).
    backend : the engine's back end, or ``"-"``.
    threads : threads the engine may use; None leaves the library's default (every core).
    """

    engine: str
    backend: str = "-"
    threads: int | None = None

    @property
    def label(self) -> str:
        """``engine/backend``, with ``xN`` for an explicit thread count."""
        name = self.engine if self.backend == "-" else f"{self.engine}/{self.backend}"
        return name if self.threads is None else f"{name} x{self.threads}"

    @property
    def spec(self) -> Engine:
        """The registered engine (not for the peak probe)."""
        return get_engine(self.engine)

    @property
    def timing(self) -> Timing:
        """The engine's timing hooks (not for the peak probe)."""
        return get_timing(self.engine)

    def fields(self, network: str) -> dict[str, Any]:
        """The fields that name this contender on ``network`` in a row or record."""
        return {"engine": self.engine, "backend": self.backend, "network": network,
                "threads": self.threads, "label": self.label}  # fmt: skip

    def runs(self, network: str) -> bool:
        """Whether this contender trains ``network`` (the peak probe runs with every one)."""
        return self.engine == PEAK or network in self.timing.networks()


def check_count(name: str, value: Any) -> int:
    """``value`` when it is a positive int; else a :class:`BenchError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BenchError(f"{name} must be a positive int, got {value!r}")
    return value


def cores() -> int:
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


def reference(threads: int | None = None) -> Contender:
    """The contender every other is measured against: the reference engine's reference
    back end on every core, or on ``threads``."""
    name = next(n for n in engine_names(timing=True) if get_timing(n).reference)
    backend = get_timing(name).reference_backend
    return Contender(name, backend, cores() if threads is None else threads)


def choose(
    engines: Sequence[str], backends: Sequence[str] | None, threads: Sequence[int] = ()
) -> list[Contender]:
    """The contenders of a run: the peak probe, then each engine's configurations in the
    registry's order.

    Parameters
    ----------
    engines : timed engines' names.
    backends : the back ends asked for (each engine's hook takes those it has); None for
        all of each engine's.
    threads : more thread counts of the reference back end (thread scaling), besides
        every core and one thread.
    """
    count = cores()
    # The peak is the faster of numpy's GEMM on every core and on one: on a loaded
    # machine BLAS threads that spin can make the first far slower.
    chosen = [Contender(PEAK), *([Contender(PEAK, "-", 1)] if count > 1 else [])]
    for name in engine_names(timing=True):
        if name in engines:
            pairs = get_timing(name).contenders(backends, count)
            chosen += [Contender(name, b, t) for b, t in pairs]
    ours = reference()
    chosen += [
        more
        for t in dict.fromkeys(threads)
        if (more := Contender(ours.engine, ours.backend, t)) not in chosen
    ]
    return chosen


def missing(contender: Contender) -> str | None:
    """Why a contender cannot run here (a library is not installed), or None."""
    if contender.engine == PEAK:
        return None
    return contender.timing.missing(contender.backend)
