"""Timing harness: throughput side by side, fraction of peak, thread scaling, and the
paper's protocol time ratio.

Every contender runs in its own worker process (``python -m bench.timing --worker``,
:mod:`bench.timing.worker`), so that one library's threads never slow another's, and the
harness interleaves their rounds: round r of every contender runs before round r + 1 of
any, in a rotating order, so that a change of load on a shared machine hits all of them
alike. The contenders (:mod:`bench.timing.contenders`) are:

- ``peak``: this machine's float32 GEMM rate through numpy's BLAS on all cores
  (:func:`peak_gflops`), the yardstick of "% of peak";
- each timed engine's configurations, as its timing hooks declare them
  (:class:`bench.engines.Timing`): IgNet numpy on every core and on one thread (thread
  scaling) and IgNet opencl; the same layers in PyTorch (CPU build) where it is installed;
  the same layers in Keras 3 on each installed back end, and the paper's Fig. 2 CNN.

A round trains ``batches`` batches of random data of the drawings' size through the
engine's own training loop. Each contender gets the median samples/s of its rounds with
the min and max beside it; the reference engine's (IgNet's) ratio against each other
contender is the median of the per-round ratios (:mod:`bench.timing.summary`). FLOPs are
counted layer by layer with one rule for every engine (each engine's trainer returns its
count: :meth:`ignet.Network.flops_per_sample`,
:func:`bench.engines.keras.keras_flops_per_sample`).

The full run also times the paper's protocol (:mod:`bench.timing.protocol`): IgNet's
Fig. 5 net and the Fig. 2 Keras CNN on the same drawings, each to the paper's stopping
rule and each to a validation accuracy both reach.

:func:`run_timing` appends one record per measurement to ``OUT/results/timing.jsonl`` and
returns what ``ignet-bench timing`` prints (:func:`format_report`). A contender that cannot
run here (a library not installed, no OpenCL device) gives a ``skipped`` record with the
reason instead of an error.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.engines import engine_names, get_timing
from bench.errors import BenchError
from bench.timing import contenders
from bench.timing.contenders import FULL, QUICK, Contender, TimingSettings
from bench.timing.protocol import protocol_curves, protocol_ratios, stopping_rule, time_protocol
from bench.timing.summary import TimingReport, store, summarise
from bench.timing.text import format_report
from bench.timing.worker import Worker, peak_gflops

__all__ = [
    "FULL",
    "QUICK",
    "Contender",
    "TimingReport",
    "TimingSettings",
    "format_report",
    "peak_gflops",
    "protocol_curves",
    "protocol_ratios",
    "run_timing",
    "stopping_rule",
]


def _check(
    chosen: TimingSettings,
    engines: Sequence[str],
    backends: Sequence[str] | None,
    threads: Sequence[int],
) -> None:
    """User errors in the engines, thread counts or sizes, before any worker starts."""
    timed = engine_names(timing=True)
    for name in engines:
        if name not in timed:
            raise BenchError(f"engines: unknown name {name!r}; choose from {timed}")
    for count in threads:
        contenders.check_count("threads", count)
    ours = contenders.reference()
    if threads and (ours.engine not in engines or (backends and ours.backend not in backends)):
        raise BenchError(
            f"threads: thread counts are timed on {ours.engine}'s {ours.backend} back end, "
            "which this run leaves out"
        )
    contenders.check_count("rounds", chosen.rounds)
    contenders.check_count("batch", chosen.batch)
    known = {n for name in timed for n in get_timing(name).networks()}
    for network in chosen.networks:
        contenders.check_count(f"batches of {network}", chosen.batches_of(network))
        if network not in known:
            raise BenchError(f"network: unknown name {network!r}; choose from {sorted(known)}")


def run_timing(
    out: str | Path,
    *,
    quick: bool = False,
    engines: Sequence[str] | None = None,
    backends: Sequence[str] | None = None,
    threads: Sequence[int] = (),
    seed: int = 0,
    settings: TimingSettings | None = None,
    progress: bool = True,
) -> TimingReport:
    """Measure every contender side by side and append one record per measurement to
    ``OUT/results/timing.jsonl``.

    Parameters
    ----------
    out : output folder (results go to ``out/results``; the protocol timing writes or
        reuses synthetic drawings in ``out/data/drawings``).
    quick : :data:`QUICK` sizes instead of :data:`FULL`.
    engines : timed engines (:func:`bench.engines.engine_names` with ``timing=True``);
        all when None. Keras runs on every back end that is installed.
    backends : the back ends asked for; each engine times those it has (IgNet's
        ``numpy`` and ``opencl``); None: every engine all of its own.
    threads : more thread counts of IgNet's numpy back end, each timed against one
        thread (thread scaling) besides every core.
    seed : seed of the protocol timing's data split and models; recorded.
    settings : explicit sizes, overriding ``quick``.
    progress : show a progress bar over the rounds.
    """
    from tqdm.auto import tqdm

    engines = engine_names(timing=True) if engines is None else engines
    chosen = settings or (QUICK if quick else FULL)
    _check(chosen, engines, backends, threads)
    profile = "quick" if quick else "full"
    if settings is not None and settings != (QUICK if quick else FULL):
        profile = "custom"
    spec = {
        "networks": list(chosen.networks),
        "batches": {n: chosen.batches_of(n) for n in chosen.networks},
        "batch": chosen.batch,
        "peak_size": chosen.peak_size,
        "peak_repeats": chosen.peak_repeats,
        "round_seconds": chosen.round_seconds,
    }
    skipped: dict[Contender, str] = {}
    workers: dict[Contender, Worker] = {}
    load: dict[str, Any] = {"cores": contenders.cores(), "before": os.getloadavg()}
    try:
        for contender in contenders.choose(engines, backends, threads):
            reason = contenders.missing(contender)
            if reason:
                skipped[contender] = reason
            else:
                workers[contender] = Worker(contender, spec)
        flops: dict[Contender, dict[str, int]] = {}
        samples: dict[Contender, dict[str, int]] = {}
        devices: dict[Contender, dict[str, str] | None] = {}
        for contender, worker in list(workers.items()):
            reply = worker.ask()
            if reply["status"] == "ready":
                flops[contender], samples[contender] = reply["flops"], reply["samples"]
                devices[contender] = reply["device"]
            else:
                skipped[contender] = reply["reason"]
                workers.pop(contender).close()
        seconds: dict[tuple[Contender, str], list[float]] = {}
        loads: dict[tuple[Contender, str], list[float]] = {}
        steps = [(n, r) for n in chosen.networks for r in range(chosen.rounds)]
        with tqdm(total=len(steps), desc=f"timing ({profile})", disable=not progress) as bar:
            for network, round_ in steps:
                bar.set_postfix_str(f"{network} round {round_ + 1}")
                playing = [c for c in workers if c.runs(network)]
                # A rotating order: no contender always runs first, or right after another.
                shift = round_ % max(1, len(playing))
                for contender in playing[shift:] + playing[:shift]:
                    loads.setdefault((contender, network), []).append(os.getloadavg()[0])
                    reply = workers[contender].ask({"cmd": "round", "network": network})
                    seconds.setdefault((contender, network), []).append(reply["seconds"])
                    time.sleep(chosen.pause)
                bar.update()
        protocol: list[dict[str, Any]] = []
        if chosen.protocol_epochs:
            protocol = time_protocol(Path(out), workers, seconds, chosen, seed)
    finally:
        for worker in workers.values():
            worker.close()
    load["after"] = os.getloadavg()
    report = summarise(
        seconds, loads, flops, samples, devices, skipped, chosen, load, Path(out) / "results"
    )
    report.protocol = protocol
    store(report, profile, seed)
    return report
