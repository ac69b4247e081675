"""The ``ignet-bench`` command line."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bench import __version__, console
from bench.arguments import Parser
from bench.engines import engine_names
from bench.errors import BenchError, RunInterrupted
from bench.experiment import PROFILES
from bench.interrupts import Stopped, stop_on_signals
from ignet.backends import BACKENDS
from ignet.errors import IgNetError
from ignet.presets import PRESETS

if TYPE_CHECKING:
    import pandas as pd

DESCRIPTION = """\
Reproduce and check two CNN papers: the IgNet engine against a Keras CNN on
children's drawings, and a multi-label face-attribute CNN. Every command has --help.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    console.configure(getattr(args, "verbosity", "normal"))
    if not hasattr(args, "handler"):
        return _usage(parser)
    debug = getattr(args, "debug", False) or os.environ.get("IGNET_BENCH_DEBUG", "0") != "0"
    try:
        with stop_on_signals():
            return args.handler(args) or 0
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


def _parser() -> argparse.ArgumentParser:
    parser = Parser(prog="ignet-bench", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    data = commands.add_parser(
        "data",
        help="generate or inspect a folder of drawings",
        description="Generate a synthetic drawings folder, or inspect any drawings folder.",
    )
    data_commands = data.add_subparsers(title="data commands", metavar="COMMAND")
    data.set_defaults(handler=lambda _: _usage(data))

    generate = data_commands.add_parser(
        "generate",
        help="write a synthetic stand-in for the Stirling drawings collection",
        description=(
            "Write a deterministic synthetic collection of children's drawings (JPEGs named "
            "like the Stirling collection, e.g. p3-67w-6.7f.jpeg) into a new folder."
        ),
    )
    generate.add_argument("--out", required=True, metavar="DIR", help="folder to write into")
    generate.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    generate.add_argument(
        "--count", type=int, default=338, metavar="N", help="number of drawings (default: 338)"
    )
    generate.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the images of an existing folder instead of refusing",
    )
    generate.set_defaults(handler=_data_generate)

    inspect = data_commands.add_parser(
        "inspect",
        help="summarise a drawings folder and list its bad files",
        description=(
            "Count drawings per label, classes per target (beside the paper's count where "
            "it gives one), image sizes and bad files of a drawings folder; optionally save "
            "a grid of drawings per age category."
        ),
    )
    inspect.add_argument("folder", metavar="DIR", help="folder of Stirling-named drawings")
    inspect.add_argument(
        "--figure", metavar="PATH", help="save a grid of drawings per age category (PNG, SVG)"
    )
    inspect.set_defaults(handler=_data_inspect)

    run = commands.add_parser(
        "run",
        help="run one experiment (a reproduced table or figure)",
        description=(
            "Run every job of an experiment (engine x protocol x target x fold) that has no "
            "result yet in OUT/results, append each finished job to "
            "OUT/results/EXPERIMENT.jsonl, and print the paper's numbers beside ours. "
            "A killed run loses only the jobs in flight; run it again to resume."
        ),
    )
    run.add_argument(
        "experiment", help="a shipped experiment name (e.g. table1) or a path to a .toml file"
    )
    run.add_argument(
        "--engine",
        action="append",
        choices=engine_names(),
        help="only this engine's runs (repeatable; default: all of the experiment's)",
    )
    _add_run_options(run)
    run.set_defaults(handler=_run)

    reproduce = commands.add_parser(
        "reproduce",
        help="run every experiment and write the report (the main command)",
        description=(
            "Generate the synthetic drawings when no --data is given, run every shipped "
            "experiment (each paper table and figure, under the paper's protocol and the "
            "leak-free one) and write OUT/report/report.html and report.pdf with CSV tables "
            "and PNG/SVG figures. Finished jobs are kept in OUT/results: a killed run "
            "resumes where it stopped. smoke: about a minute, a check that all runs; quick: "
            "about 10 minutes on two cores; paper: the papers' sizes (many hours)."
        ),
    )
    _add_run_options(reproduce)
    reproduce.add_argument(
        "--faces",
        metavar="DIR",
        help="CelebA-style faces folder (default: synthetic faces generated in OUT/data)",
    )
    reproduce.add_argument(
        "--experiment",
        action="append",
        metavar="NAME",
        help="only this experiment (repeatable; default: all shipped ones)",
    )
    reproduce.set_defaults(handler=_reproduce)

    report = commands.add_parser(
        "report",
        help="write the HTML and PDF report from a results folder",
        description=(
            "Read OUT/results/*.jsonl and write OUT/report: report.html (self-contained), "
            "report.pdf, results.csv, tables/*.csv and figures/*.svg, each paper table with the "
            "paper's numbers beside ours per protocol."
        ),
    )
    report.add_argument("--out", default="results", metavar="DIR", help="the run's folder")
    report.add_argument(
        "--report", metavar="DIR", help="where to write the report (default: OUT/report)"
    )
    report.add_argument(
        "--profile", choices=PROFILES, help="which profile's results (default: the latest)"
    )
    report.add_argument(
        "--data", metavar="DIR", help="drawings folder for the data figures (default: none)"
    )
    report.set_defaults(handler=_report)

    results = commands.add_parser(
        "results",
        help="check a results folder for corrupt or duplicate lines",
        description="Check or repair the JSON Lines files of a results folder.",
    )
    results_commands = results.add_subparsers(title="results commands", metavar="COMMAND")
    results.set_defaults(handler=lambda _: _usage(results))
    check = results_commands.add_parser(
        "check",
        help="list corrupt lines and duplicate records with file and line number",
        description=(
            "List every line of DIR's *.jsonl files that a read leaves out: corrupt lines "
            "(e.g. cut short by a killed run) and second records of a job. Exit status 1 "
            "when there are any. --repair rewrites the files without them, keeping each "
            "old file as NAME.jsonl.bak."
        ),
    )
    check.add_argument("folder", metavar="DIR", help="a results folder, or a run's --out")
    check.add_argument("--repair", action="store_true", help="remove the lines listed")
    check.set_defaults(handler=_results_check)

    devices = commands.add_parser(
        "devices",
        help="list the OpenCL devices the opencl back end can use",
        description=(
            "List every OpenCL platform and device (index, platform, name, type, compute "
            "units, global memory, fp64 support) and say which one backend='opencl' picks: "
            "PYOPENCL_CTX when set, else the first GPU, else the first CPU device."
        ),
    )
    devices.set_defaults(handler=_devices)

    timing = commands.add_parser(
        "timing",
        help="time every engine, back end and network in one run",
        description=(
            "Measure this machine's float32 matrix-multiply peak, the training throughput "
            "(samples/s, GFLOP/s from counted FLOPs, %% of peak) of IgNet on each back end and "
            "of the same layers in Keras, the seconds to a target validation accuracy on "
            "sklearn's digits, and IgNet numpy with 1 thread against all cores; print a "
            "table and append the records to OUT/results/timing.jsonl."
        ),
    )
    timing.add_argument(
        "--quick", action="store_true", help="fewer rounds and networks: well under a minute"
    )
    timing.add_argument("--out", default="results", metavar="DIR", help="output folder")
    timing.add_argument(
        "--engines",
        nargs="+",
        choices=engine_names(timing=True),
        default=list(engine_names(timing=True)),
        help="engines to time (default: all; Keras on each installed back end)",
    )
    timing.add_argument(
        "--backends",
        nargs="+",
        choices=BACKENDS,
        default=list(BACKENDS),
        help="IgNet back ends to time (default: both; opencl is skipped without a device)",
    )
    timing.add_argument("--seed", type=int, default=0, help="seed of time-to-accuracy")
    timing.set_defaults(handler=_timing)

    diagnose = commands.add_parser(
        "diagnose",
        help="print IgNet's Fig. 4 diagnostic table for a network on the drawings",
        description=(
            "Build an IgNet preset for a drawings target and print, per weighted layer, the "
            "mean absolute values of the paper's Fig. 4 (input, activation derivative, "
            "weights, neuron derivative, dLoss/dW) after one forward and backward pass: the "
            "paper found MAV(dLoss/dW) of 0.01-0.1 learns fast and stable. Optionally scale "
            "the weight ranges, calibrate them into a band, and train a few epochs to see "
            "the table again."
        ),
    )
    diagnose.add_argument(
        "--data", metavar="DIR", help="drawings folder (default: synthetic, in OUT/data)"
    )
    diagnose.add_argument("--out", default="results", metavar="DIR", help="output folder")
    diagnose.add_argument(
        "--network", choices=PRESETS, default="fig5", help="IgNet preset (default: fig5)"
    )
    diagnose.add_argument(
        "--target",
        default="age_months",
        help="age_months (regression, MAE loss) or a classification target such as "
        "who_is_drawn+age_category (`ignet-bench data inspect` lists them; default: "
        "age_months)",
    )
    diagnose.add_argument(
        "--size",
        nargs=2,
        type=int,
        default=(36, 58),
        metavar=("W", "H"),
        help="image size (default: 36 58, the paper's)",
    )
    diagnose.add_argument(
        "--w-scale",
        nargs="+",
        type=float,
        metavar="F",
        help="factors for each weighted layer's weight amplitude (the paper's x10: 1 10)",
    )
    diagnose.add_argument(
        "--calibrate",
        nargs=2,
        type=float,
        metavar=("LOW", "HIGH"),
        help="first rescale the weight ranges until every MAV(dLoss/dW) lies in the band",
    )
    diagnose.add_argument(
        "--epochs",
        type=int,
        default=0,
        metavar="N",
        help="then train N epochs and print the table again (default: 0)",
    )
    diagnose.add_argument(
        "--invert",
        action="store_true",
        help="feed ink intensity (1 - pixel); by default the net sees the pixels in 0..1, "
        "paper white, as section 5.4.2 says",
    )
    diagnose.add_argument("--seed", type=int, default=0, help="seed of data and weights")
    diagnose.add_argument("--backend", choices=BACKENDS, default="numpy", help="IgNet back end")
    diagnose.set_defaults(handler=_diagnose)
    return parser


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        default="quick",
        help="smoke: seconds per job, a check that it runs; quick: minutes on two cores; "
        "paper: the paper's sizes (default: quick)",
    )
    parser.add_argument("--out", default="results", metavar="DIR", help="output folder")
    parser.add_argument(
        "--data",
        metavar="DIR",
        help="drawings folder (for a faces experiment under run: its CelebA-style folder); "
        "default: synthetic data generated in OUT/data",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=-1,
        metavar="N",
        help="parallel local workers; -1 (the default) uses every core, -2 all but one, "
        "1 runs the jobs one by one in this process",
    )
    parser.add_argument(
        "--scheduler", metavar="ADDRESS", help="run the jobs on a Dask scheduler instead"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of data, splits, augmentation and models"
    )
    parser.add_argument("--backend", choices=BACKENDS, help="IgNet back end (default: numpy)")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _data_generate(args: argparse.Namespace) -> int:
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


def _run(args: argparse.Namespace) -> int:
    import pandas as pd

    from bench.claims import evidence_table, speed_table
    from bench.experiment import load_experiment
    from bench.locking import results_lock
    from bench.results import ResultsStore
    from bench.runner import run_experiment
    from bench.validation import check_run
    from reports.tables import paper_table

    out = Path(args.out)
    experiment = load_experiment(args.experiment)
    check_run(
        [experiment],
        profile=args.profile,
        out=out,
        jobs=args.jobs,
        folders={experiment.dataset: ("--data", args.data)},
        scheduler=args.scheduler,
        engines=args.engine,
    )
    with results_lock(out / "results"):
        data = Path(args.data) if args.data else _default_data(out, args.seed, experiment.dataset)
        summary = run_experiment(
            experiment,
            args.profile,
            data,
            out,
            jobs=args.jobs,
            scheduler=args.scheduler,
            engines=args.engine,
            backend=args.backend,
            seed=args.seed,
            progress=console.progress(),
        )
    print(
        f"{experiment.name}: {summary.ran} jobs run, {summary.skipped} already done, "
        f"{summary.seconds:.0f} s; results in {summary.results}"
    )
    records = ResultsStore(Path(args.out) / "results").frame()
    records = records[(records["experiment"] == experiment.name)]
    records = records[records["profile"] == args.profile]
    table = paper_table(evidence_table(records, experiment.paper()))
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(table.to_string(index=False))
    speed = speed_table(records, experiment.speed)
    for _, claim in speed.iterrows():
        print(
            f"{claim['claim']} ({claim['target']}, {claim['protocol']}): "
            f"{claim['verdict']}, {claim['reason']}"
        )
    return 0


# Synthetic faces generated when none are given: enough for the quick profile's sides.
_DEFAULT_FACES = 2400


def _default_data(out: Path, seed: int = 0, dataset: str = "drawings") -> Path:
    from bench.data import generate_drawings, generate_faces
    from bench.data.digits import DIGITS_SOURCE

    if dataset == "digits":  # shipped with scikit-learn: nothing to find or generate
        return Path(DIGITS_SOURCE)
    folder = out / "data" / dataset
    if not folder.is_dir() or not any(folder.iterdir()):
        console.say(f"no data folder given: generating synthetic {dataset} in {folder}")
        if dataset == "faces":
            generate_faces(folder, seed=seed, n_images=_DEFAULT_FACES, progress=console.progress())
        else:
            generate_drawings(folder, seed=seed, progress=console.progress())
    return folder


def _reproduce(args: argparse.Namespace) -> int:
    import time

    from bench.experiment import list_experiments, load_experiment
    from bench.locking import results_lock
    from bench.reporting import build_report
    from bench.runner import run_experiment
    from bench.validation import check_run

    start = time.perf_counter()
    out = Path(args.out)
    experiments = [load_experiment(name) for name in args.experiment or list_experiments()]
    given = {"drawings": ("--data", args.data), "faces": ("--faces", args.faces)}
    check_run(
        experiments,
        profile=args.profile,
        out=out,
        jobs=args.jobs,
        folders=given,
        scheduler=args.scheduler,
    )
    with results_lock(out / "results"):
        folders, labels = _reproduce_data(experiments, out, args.seed, given)
        for experiment in experiments:
            summary = run_experiment(
                experiment,
                args.profile,
                folders[experiment.dataset],
                out,
                jobs=args.jobs,
                scheduler=args.scheduler,
                backend=args.backend,
                seed=args.seed,
                progress=console.progress(),
            )
            console.say(
                f"{experiment.name}: {summary.ran} jobs run, {summary.skipped} already done, "
                f"{summary.seconds:.0f} s"
            )
    written = build_report(
        out,
        profile=args.profile,
        data=folders.get("drawings"),
        seed=args.seed,
        data_label="; ".join(labels),
    )
    print(f"report: {written['report.html']} and {written['report.pdf']}")
    print(f"done in {time.perf_counter() - start:.0f} s")
    return 0


def _reproduce_data(
    experiments: list, out: Path, seed: int, given: dict[str, tuple[str, str | None]]
) -> tuple[dict[str, Path], list[str]]:
    """Each dataset's folder (given, or generated in OUT/data) and how the report names it."""
    folders: dict[str, Path] = {}
    labels: list[str] = []
    for dataset in ("drawings", "faces", "digits"):
        if not any(e.dataset == dataset for e in experiments):
            continue
        folder = given.get(dataset, ("", None))[1]
        folders[dataset] = Path(folder) if folder else _default_data(out, seed, dataset)
        if folder:
            labels.append(f"{dataset}: {folder}")
        elif dataset == "digits":
            labels.append("digits: scikit-learn's 1,797 handwritten digits (real images)")
        else:
            labels.append(
                f"{dataset}: {folders[dataset]} (synthetic, seed {seed}; "
                f"docs/synthetic-{dataset}.md)"
            )
    return folders, labels


def _report(args: argparse.Namespace) -> int:
    from bench.reporting import build_report

    written = build_report(args.out, report=args.report, profile=args.profile, data=args.data)
    print(f"report: {written['report.html']} and {written['report.pdf']}")
    return 0


def _results_check(args: argparse.Namespace) -> int:
    from bench.locking import results_lock
    from bench.results import ResultsStore, describe_problems
    from bench.validation import results_folder

    store = ResultsStore(results_folder(Path(args.folder), "results check"))
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
    from ignet.backends import opencl

    try:
        found = opencl.list_devices()
        chosen = opencl.chosen_device() if found else None
    except IgNetError as error:
        raise BenchError(str(error)) from None
    if chosen is None:
        raise BenchError(f"no OpenCL device found; {opencl.INSTALL_HINT}")
    header = ("index", "platform", "device", "type", "compute units", "global memory", "fp64")
    rows = [
        (str(d.index), d.platform, d.name, d.type, str(d.compute_units),
         f"{d.global_memory / 2**30:.1f} GiB", "yes" if d.fp64 else "no")
        for d in found
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    print(f"backend='opencl' uses device {chosen.index}: {chosen.name} ({chosen.platform})")
    return 0


def _timing(args: argparse.Namespace) -> int:
    from bench.timing import format_report, run_timing

    report = run_timing(
        args.out, quick=args.quick, engines=args.engines, backends=args.backends, seed=args.seed
    )
    print(format_report(report))
    return 0


def _diagnose(args: argparse.Namespace) -> int:
    from bench.data import load_drawings
    from bench.data.targets import age_months, encode_target
    from ignet import IgNetClassifier, IgNetRegressor

    if args.epochs < 0:
        raise BenchError(f"--epochs must be at least 0, not {args.epochs}")
    folder = args.data or _default_data(Path(args.out), args.seed)
    dataset = load_drawings(folder, size=tuple(args.size))
    if args.target == "age_months":
        y, model = age_months(dataset.labels), IgNetRegressor
    else:
        y, model = encode_target(dataset.labels, args.target)[0], IgNetClassifier
    estimator = model(
        layers=args.network,
        settings="paper",
        epochs=args.epochs,
        validation_fraction=0.0,
        w_scale=args.w_scale,
        calibrate=None if args.calibrate is None else tuple(args.calibrate),
        backend=args.backend,
        random_state=args.seed,
    )
    images = 1.0 - dataset.images if args.invert else dataset.images
    estimator.fit(images, y)
    band = tuple(args.calibrate or (0.01, 0.1))
    width, height = args.size
    n = estimator.initial_diagnosis_.attrs["samples"]
    print(
        f"{args.network} on {args.target}: {len(y)} drawings of {width}x{height} from "
        f"{folder}; MAV over the first {n} samples"
    )
    if args.calibrate is not None:
        rounds = estimator.calibration_.attrs.get("rounds")
        print(f"\ncalibration into {args.calibrate[0]:g}-{args.calibrate[1]:g} ({rounds} rounds):")
        print(estimator.calibration_.to_string(float_format=lambda v: f"{v:.3e}"))
    print("\nat the start of learning:")
    print(_diagnosis_text(estimator.initial_diagnosis_, band))
    if args.epochs:
        print(f"\nafter {len(estimator.history_['loss'])} epochs:")
        print(_diagnosis_text(estimator.diagnose(images[:n], y[:n]), band))
    return 0


def _diagnosis_text(table: pd.DataFrame, band: tuple[float, float]) -> str:
    """The Fig. 4 table and which layers' MAV(dLoss/dW) fall outside ``band``."""
    from ignet.diagnostics import format_table

    low, high = band
    outside = [
        f"{layer} ({kind})"
        for layer, kind, mav in zip(
            table.index, table["kind"], table["weight_derivative"], strict=True
        )
        if not low <= mav <= high
    ]
    verdict = ", ".join(outside) if outside else "none"
    return f"{format_table(table)}\nlayers with dLoss/dW MAV outside {low:g}-{high:g}: {verdict}"


def _data_inspect(args: argparse.Namespace) -> int:
    from bench.data import load_drawings
    from bench.data.inspection import describe_drawings, drawings_grid

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bad files are listed in the summary instead
        dataset = load_drawings(args.folder, on_error="skip", progress=console.progress())
    print(describe_drawings(dataset))
    if args.figure:
        print(f"figure: {drawings_grid(args.folder, args.figure)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
