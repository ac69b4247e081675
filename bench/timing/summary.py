"""From the rounds' seconds to the report: medians with their spread, fractions of peak,
per-round ratios against the reference contender, and the records stored.

Each contender gets the median samples/s of its rounds with the min and max beside it;
the reference's ratio against each other contender is the median of the per-round ratios
(rounds are interleaved, so round r of both met the same load).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import engines
from bench.timing import contenders
from bench.timing.contenders import PEAK, Contender, TimingSettings

__all__ = ["TimingReport", "ratios", "store", "summarise"]

Rounds = Mapping[tuple[Contender, str], list[float]]


@dataclass
class TimingReport:
    """What :func:`bench.timing.run_timing` measured.

    ``peak`` is the peak probe's row; ``throughput`` one row per contender and network;
    ``ratios`` the reference contender's per-round ratios against each other contender;
    ``thread_scaling`` the reference on every core against one thread; ``protocol`` the
    protocol timing's rows (empty when it was left out).
    """

    peak: dict[str, Any]
    throughput: list[dict[str, Any]]
    ratios: list[dict[str, Any]]
    thread_scaling: list[dict[str, Any]]
    protocol: list[dict[str, Any]]
    load: dict[str, Any]
    results: Path
    settings: TimingSettings = field(default_factory=TimingSettings)


def spread(values: Sequence[float]) -> dict[str, float]:
    """The median of ``values`` with their min and max."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def _peak(
    rates: Rounds,
    loads: Rounds,
    flops: Mapping[Contender, Mapping[str, int]],
    skipped: Mapping[Contender, str],
    settings: TimingSettings,
) -> dict[str, Any]:
    """The peak probe's row: the faster of its thread settings."""
    peak_rates: dict[Contender, list[float]] = {}
    for (contender, network), values in rates.items():
        if contender.engine == PEAK:
            peak_rates.setdefault(contender, []).extend(
                r * flops[contender][network] / 1e9 for r in values
            )
    peak: dict[str, Any] = {
        "engine": PEAK,
        "backend": "-",
        "network": "-",
        "size": settings.peak_size,
        "status": "ok",
        "gflops": None,
    }
    if peak_rates:
        best = max(peak_rates, key=lambda c: statistics.median(peak_rates[c]))
        peak.update(
            threads=best.threads,
            gflops=spread(peak_rates[best]),
            by_threads={c.label: spread(v) for c, v in peak_rates.items()},
            load=spread([x for (c, _), v in loads.items() if c == best for x in v]),
        )
    elif any(c.engine == PEAK for c in skipped):
        peak.update(
            status="skipped", reason=next(r for c, r in skipped.items() if c.engine == PEAK)
        )
    return peak


def summarise(
    seconds: Rounds,
    loads: Rounds,
    flops: Mapping[Contender, Mapping[str, int]],
    samples: Mapping[Contender, Mapping[str, int]],
    devices: Mapping[Contender, dict[str, str] | None],
    skipped: Mapping[Contender, str],
    settings: TimingSettings,
    load: dict[str, Any],
    results: Path,
) -> TimingReport:
    """The report of a run's rounds (its protocol rows left empty). A contender that
    trains off the CPU (``devices``) has no fraction of the CPU's GEMM peak."""
    rates = {
        (contender, network): [samples[contender][network] / max(s, 1e-12) for s in values]
        for (contender, network), values in seconds.items()
    }
    peak = _peak(rates, loads, flops, skipped, settings)
    peak_median = peak["gflops"]["median"] if peak["gflops"] else None
    throughput = []
    for (contender, network), values in rates.items():
        if contender.engine == PEAK:
            continue
        per_sample = flops[contender][network]
        gflops = spread([r * per_sample / 1e9 for r in values])
        device = devices.get(contender)
        on_cpu = device is None or device["type"] == "CPU"
        throughput.append(
            {
                **contender.fields(network),
                "status": "ok",
                "samples_per_s": spread(values),
                "rounds_samples_per_s": values,
                "seconds": seconds[contender, network],
                "samples_per_round": samples[contender][network],
                "flops_per_sample": per_sample,
                "gflops": gflops,
                "device": device,
                "fraction_of_peak": (
                    gflops["median"] / peak_median if peak_median and on_cpu else None
                ),
                "load": spread(loads[contender, network]),
            }
        )
    for contender, reason in skipped.items():
        for network in settings.networks:
            if contender.runs(network) and contender.engine != PEAK:
                throughput.append({**contender.fields(network), "status": "skipped",
                                   "reason": reason})  # fmt: skip
    rows, scaling = ratios(rates, settings)
    return TimingReport(peak, throughput, rows, scaling, [], load, results, settings)


def ratios(
    rates: Rounds, settings: TimingSettings
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The reference contender's per-round ratios against every other engine and back
    end, and its back end's other thread counts against one thread (thread scaling)."""
    ours, one_thread = contenders.reference(), contenders.reference(threads=1)
    rows, scaling = [], []
    for network in settings.networks:
        mine = rates.get((ours, network))
        if not mine:
            continue
        others = {c: v for (c, n), v in rates.items() if n == network and c.engine != PEAK}
        fastest = {
            engine: max(group, key=lambda c: statistics.median(others[c]))
            for engine in dict.fromkeys(c.engine for c in others if c.engine != ours.engine)
            if (group := [c for c in others if c.engine == engine])
        }
        for contender, theirs in others.items():
            if (contender.engine, contender.backend) == (ours.engine, ours.backend):
                continue  # the reference back end's thread counts: thread scaling
            per_round = [a / b for a, b in zip(mine, theirs, strict=True)]
            rows.append(
                {
                    "network": network,
                    "against": contender.label,
                    "ratio": spread(per_round),
                    "ratios": per_round,
                    "fastest_of_engine": fastest.get(contender.engine) == contender,
                    # The back end the paper's numbers were measured on (the paper's Keras).
                    "paper_keras": contender.backend == contender.timing.paper_backend,
                }
            )
        single = rates.get((one_thread, network))
        if not single:
            continue
        counts = sorted(
            (c for c in others if (c.engine, c.backend) == (ours.engine, ours.backend)),
            key=lambda c: c.threads or 0,
        )
        for contender in counts:
            if contender != one_thread:
                per_round = [a / b for a, b in zip(others[contender], single, strict=True)]
                scaling.append({"network": network, "threads": contender.threads,
                                "against": one_thread.label, "ratio": spread(per_round),
                                "ratios": per_round})  # fmt: skip
    return rows, scaling


def store(report: TimingReport, profile: str, seed: int) -> None:
    """Append one record per measurement to ``report.results / timing.jsonl``."""
    from bench.results import ResultsStore, job_id, machine_info, versions

    results = ResultsStore(report.results)
    common = {
        "experiment": "timing",
        "profile": profile,
        "protocol": "-",
        "target": "-",
        "fold": 0,
        "seed": seed,
        "peak_gflops": report.peak.get("gflops"),
        "machine_load": report.load,
        "settings": {k: getattr(report.settings, k) for k in report.settings.__dataclass_fields__},
        "versions": versions(engines.packages(timing=True)),
        "machine": machine_info(),
    }
    reference = contenders.reference()
    ours = {"engine": reference.engine, "backend": reference.backend}
    network = reference.timing.protocol_network
    rows: list[tuple[str, str, dict[str, Any]]] = [("peak", "synthetic", report.peak)]
    rows += [("throughput", "synthetic", r) for r in report.throughput]
    rows += [("ratio", "synthetic", {**ours, **r}) for r in report.ratios]
    rows += [("thread_scaling", "synthetic", {**ours, **r}) for r in report.thread_scaling]
    rows += [
        ("protocol", "drawings", {**ours, "network": network, **r, "target": r["protocol_target"]})
        for r in report.protocol
    ]
    for measure, dataset, row in rows:
        record = {**common, "dataset": dataset, "measure": measure, **row}
        record.setdefault("variant", record.get("label", record.get("network")))
        if "against" in row:
            # Thread scaling has a row per thread count against the same one thread.
            counts = f"x{row['threads']} " if measure == "thread_scaling" else ""
            record["variant"] = f"{counts}vs {row['against']}"
        # The job fields alone do not tell the measures apart.
        record["job_id"] = f"{job_id(record)}/{measure}"
        results.append(record, name="timing")
