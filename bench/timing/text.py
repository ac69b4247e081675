"""The tables ``ignet-bench timing`` prints (:func:`format_report`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench.engines import get_engine, get_timing
from bench.timing import contenders
from bench.timing.protocol import paper_rule
from bench.timing.summary import TimingReport

__all__ = ["format_report"]


def _number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _range(spread: dict[str, float], digits: int = 0, unit: str = "") -> str:
    low, high = _number(spread["min"], digits), _number(spread["max"], digits)
    return f"{low}{unit}-{high}{unit}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    rows = [list(row) + [""] * (len(header) - len(row)) for row in rows]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )


def _peak_line(report: TimingReport) -> str | None:
    peak = report.peak
    if peak["status"] != "ok":
        return f"peak: skipped: {peak['reason']}"
    if not peak["gflops"]:
        return None
    settings = ", ".join(
        f"{label}: {spread['median']:.1f}" for label, spread in peak["by_threads"].items()
    )
    return (
        f"peak (numpy float32 GEMM {peak['size']}^3): {peak['gflops']['median']:.1f} "
        f"GFLOP/s, median of rounds ({_range(peak['gflops'], 1)}), load "
        f"{_range(peak['load'], 1)}; the faster of {settings}"
    )


def _throughput(report: TimingReport) -> str:
    rows = []
    for r in report.throughput:
        threads = "-" if r["threads"] is None else str(r["threads"])
        engine = r["engine"] if r["backend"] == "-" else f"{r['engine']}/{r['backend']}"
        if r["status"] != "ok":
            rows.append([r["network"], engine, threads, "skipped: " + r["reason"]])
            continue
        fraction = r["fraction_of_peak"]
        rows.append(
            [
                r["network"],
                engine,
                threads,
                _number(r["samples_per_s"]["median"]),
                _range(r["samples_per_s"]),
                _number(r["gflops"]["median"], 1),
                "-" if fraction is None else f"{100 * fraction:.1f}%",
                _range(r["load"], 1),
            ]
        )
    header = ["network", "engine", "threads", "samples/s", "range", "GFLOP/s", "% peak", "load"]
    devices = {}
    for r in report.throughput:
        if r.get("device"):
            device = r["device"]
            devices[f"{r['engine']}/{r['backend']}"] = (
                f"{device['name']} ({device['type']}, {device['platform']})"
                + ("" if device["type"] == "CPU" else "; no % of the CPU's peak")
            )
    where = "".join(f"\n{engine} trained on {device}" for engine, device in devices.items())
    return (
        f"\nthroughput: median of {report.settings.rounds} interleaved rounds, [min-max], "
        f"load average\n{_table(header, rows)}{where}"
    )


def _ratios(report: TimingReport, ours: Any) -> str:
    rows = []
    for r in report.ratios:
        title = get_engine(r["against"].split("/")[0].split(" ")[0]).title
        notes = [
            n
            for n, on in (
                (f"fastest {title}", r["fastest_of_engine"]),
                (f"the paper's {title}", r["paper_keras"]),
            )
            if on
        ]
        rows.append(
            [
                r["network"],
                r["against"],
                f"{r['ratio']['median']:.2f}x",
                _range(r["ratio"], 2, "x"),
                ", ".join(notes),
            ]
        )
    title = f"{ours.spec.title} {ours.backend} (every core)"
    header = f"\n{title} over each: median of per-round ratios [min-max]"
    return f"{header}\n{_table(['network', 'against', 'ratio', 'range', ''], rows)}"


def _protocol(r: dict[str, Any], ours: Any) -> str:
    mine = ours.spec
    theirs = get_engine(r["against"].split("/")[0])
    own, rival = r[mine.name], r[theirs.name]
    passes, tolerance = paper_rule()
    head = (
        f"\nprotocol ({r['protocol_target']}, {r['n_train']} training and {r['n_val']} "
        f"validation drawings): {mine.title} {get_timing(mine.name).protocol_label} against "
        f"{get_timing(theirs.name).protocol_label} on {r['against']}"
    )
    target = f"{r['target_accuracy']:.3f}"
    table = _table(
        ["", "epochs", f"{mine.title} s", f"{theirs.title} s", f"{theirs.title} / {mine.title}"],
        [
            [
                f"stopping rule ({passes} passes, tolerance {tolerance})",
                f"{own['stop_epoch']} / {rival['stop_epoch']}",
                _number(own["stop_seconds"], 2),
                _number(rival["stop_seconds"], 2),
                f"{r['stop_ratio']:.1f}x",
            ],
            [
                f"to validation accuracy {target} (both reach it)",
                f"{own['target_epoch']} / {rival['target_epoch']}",
                _number(own["target_seconds"], 2),
                _number(rival["target_seconds"], 2),
                f"{r['target_ratio']:.1f}x",
            ],
            [
                f"best validation accuracy in {r['epoch_cap']} epochs "
                f"({mine.title} / {theirs.title})",
                f"{max(own['val_accuracy']):.3f} / {max(rival['val_accuracy']):.3f}",
                f"majority class {r['majority_accuracy']:.3f}",
            ],
        ],
    )
    return f"{head}\n{table}"


def format_report(report: TimingReport) -> str:
    """The tables ``ignet-bench timing`` prints: peak, throughput, ratios, threads and the
    protocol timing, each measurement with the load average it met."""
    load = report.load
    parts = [
        f"machine: {load['cores']} cores; load average (1, 5, 15 min) before "
        f"{', '.join(f'{v:.2f}' for v in load['before'])}, after "
        f"{', '.join(f'{v:.2f}' for v in load.get('after', load['before']))}"
    ]
    peak = _peak_line(report)
    parts += [peak] if peak else []
    parts.append(_throughput(report))
    ours = contenders.reference()
    if report.ratios:
        parts.append(_ratios(report, ours))
    if report.thread_scaling:
        rows = [
            [r["network"], str(r["threads"]), f"{r['ratio']['median']:.2f}x",
             _range(r["ratio"], 2, "x")]
            for r in report.thread_scaling
        ]  # fmt: skip
        parts.append(
            f"\nthread scaling ({ours.spec.title} {ours.backend}), each over 1 thread: median "
            f"of per-round ratios [min-max]\n"
            + _table(["network", "threads", "ratio", "range"], rows)
        )
    parts += [_protocol(r, ours) for r in report.protocol]
    if report.settings.protocol_epochs == 0:
        parts.append("\nprotocol timing: left out (it runs without --quick)")
    parts.append(f"\nrecords appended to {report.results / 'timing.jsonl'}")
    return "\n".join(parts)
