"""The ``ignet-bench`` command line: parse, call the command's module, print.

The arguments live in :mod:`bench.arguments`; the work in the pipeline
(:mod:`bench.pipeline`), the data layer, the report and the timing harness, each imported
only when its command runs, and after the command's folders are checked
(:mod:`bench.validation`), so that a bad one is told at once.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from bench import console
from bench.arguments import build_parser
from bench.errors import BenchError, RunInterrupted
from bench.interrupts import Stopped, stop_on_signals
from ignet.errors import IgNetError


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    console.configure(getattr(args, "verbosity", "normal"))
    command = getattr(args, "command", None)
    if command is None or command == "help":
        getattr(args, "help_of", parser).print_help()
        return 2
    debug = getattr(args, "debug", False) or os.environ.get("IGNET_BENCH_DEBUG", "0") != "0"
    try:
        with stop_on_signals():
            return _COMMANDS[command](args) or 0
    except (BenchError, IgNetError) as error:
        return _fail(f"error: {error}", getattr(error, "exit_status", 2), debug)
    except RunInterrupted as stop:
        return _fail(f"stopped: {stop}", stop.exit_status, debug)
    except Stopped as stop:
        message = f"stopped by {stop.name}; finished jobs are kept: run the same command to resume"
        return _fail(message, 128 + stop.signum, debug)
    except OSError as error:  # a full disk, a folder made read-only during the run
        return _fail(f"error: {error}", 1, debug)


def _fail(message: str, status: int, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    print(f"ignet-bench: {message}", file=sys.stderr)
    return status


def _data_generate(args: argparse.Namespace) -> int:
    from bench.validation import output_folder

    output_folder(Path(args.out), "--out")
    from bench.data import generate_drawings

    paths = generate_drawings(
        args.out,
        seed=args.seed,
        n_drawings=args.count,
        overwrite=args.overwrite,
        progress=console.progress(),
    )
    print(f"wrote {len(paths)} drawings to {args.out} (seed {args.seed})")
    return 0


def _data_inspect(args: argparse.Namespace) -> int:
    from bench.data.inspection import inspect_folder

    summary, figure = inspect_folder(args.folder, args.figure, progress=console.progress())
    print(summary)
    if figure is not None:
        print(f"figure: {figure}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from bench.pipeline import run_one

    outcome = run_one(
        args.experiment,
        profile=args.profile,
        out=args.out,
        data=args.data,
        jobs=args.jobs,
        scheduler=args.scheduler,
        engines=args.engine,
        backend=args.backend,
        seed=args.seed,
    )
    # Loaded once the run has checked its inputs, so that a bad one is told at once.
    import pandas as pd

    from reports.tables import paper_table

    summary = outcome.summary
    print(
        f"{summary.results.stem}: {summary.ran} jobs run, {summary.skipped} already done, "
        f"{summary.seconds:.0f} s; results in {summary.results}"
    )
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(paper_table(outcome.table).to_string(index=False))
    for _, claim in outcome.speed.iterrows():
        print(
            f"{claim['claim']} ({claim['target']}, {claim['protocol']}): "
            f"{claim['verdict']}, {claim['reason']}"
        )
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    from bench.pipeline import reproduce

    done = reproduce(
        profile=args.profile,
        out=args.out,
        experiments=args.experiment,
        data=args.data,
        faces=args.faces,
        jobs=args.jobs,
        scheduler=args.scheduler,
        backend=args.backend,
        seed=args.seed,
    )
    counts = ", ".join(f"{n} {word}" for word, n in done.verdicts.items())
    print(f"claims: {counts} (the report's first page says why)")
    print(f"report: {done.written['report.html']} and {done.written['report.pdf']}")
    print(f"done in {done.seconds:.0f} s")
    return 0


def _report(args: argparse.Namespace) -> int:
    from bench.validation import input_folder, output_folder, results_folder

    out = Path(args.out)
    results_folder(out, "--out")
    output_folder(Path(args.report) if args.report else out / "report", "--report")
    if args.data is not None:
        input_folder(Path(args.data), "--data", "drawings")
    from bench.reporting import build_report

    written = build_report(args.out, report=args.report, profile=args.profile, data=args.data)
    print(f"report: {written['report.html']} and {written['report.pdf']}")
    return 0


def _results_check(args: argparse.Namespace) -> int:
    from bench.validation import results_folder

    folder = results_folder(Path(args.folder), "results check")
    from bench.locking import results_lock
    from bench.results import ResultsStore, describe_problems

    store = ResultsStore(folder)
    count = store.check()
    for problem in store.problems:
        print(f"{store.folder / problem.file}:{problem.line}: {problem.detail}")
    print(f"{store.folder}: {count} records; {describe_problems(store.problems)}")
    if not store.problems or not args.repair:
        return 1 if store.problems else 0
    with results_lock(store.folder):
        for path, backup in store.repair().items():
            print(f"repaired {path} (the old file is {backup})")
    return 0


def _devices(args: argparse.Namespace) -> int:
    from bench.engines import registered

    print("\n\n".join(engine.devices() for engine in registered() if engine.devices))
    return 0


def _timing(args: argparse.Namespace) -> int:
    from bench.validation import output_folder

    output_folder(Path(args.out), "--out")
    from bench.timing import format_report, run_timing

    report = run_timing(
        args.out,
        quick=args.quick,
        engines=args.engines,
        backends=args.backends,
        threads=args.threads,
        seed=args.seed,
    )
    print(format_report(report))
    return 0


def _diagnose(args: argparse.Namespace) -> int:
    from bench.validation import input_folder, output_folder

    if args.data is not None:
        input_folder(Path(args.data), "--data", "drawings")
    else:  # the synthetic drawings are generated there
        output_folder(Path(args.out), "--out")
    from bench.diagnosis import diagnose

    print(
        diagnose(
            data=args.data,
            out=args.out,
            network=args.network,
            target=args.target,
            size=tuple(args.size),
            w_scale=args.w_scale,
            calibrate=None if args.calibrate is None else tuple(args.calibrate),
            epochs=args.epochs,
            invert=args.invert,
            seed=args.seed,
            backend=args.backend,
        )
    )
    return 0


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "data generate": _data_generate,
    "data inspect": _data_inspect,
    "run": _run,
    "reproduce": _reproduce,
    "report": _report,
    "results check": _results_check,
    "devices": _devices,
    "timing": _timing,
    "diagnose": _diagnose,
}


if __name__ == "__main__":
    sys.exit(main())
