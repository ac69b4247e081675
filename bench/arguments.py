"""The ``ignet-bench`` command line's arguments: every command, its options and their
defaults, one-line usage errors and the console options every command takes.

Only names are imported here (engines, profiles, back ends, presets), so ``--help`` does
not wait for the libraries a command loads when it runs.
"""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from bench import __version__
from bench.engines import engine_names
from bench.profiles import PROFILES, describe
from ignet.backends import BACKENDS
from ignet.presets import PRESETS

__all__ = ["DESCRIPTION", "HelpFormatter", "Parser", "build_parser", "console_options"]

DESCRIPTION = """\
Reproduce and check two CNN papers: the IgNet engine against a Keras CNN on
children's drawings, and a multi-label face-attribute CNN. Every command has --help.
"""


def _at_least_one(text: str) -> int:
    """An integer of at least 1; argparse names the option in the error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


class Parser(argparse.ArgumentParser):
    """An argument parser that takes the console options, shows defaults in its help and
    prints usage errors on one line, like every other error; its subcommands' parsers are
    of the same kind."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        kwargs.setdefault("parents", [console_options()])
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class HelpFormatter(argparse.HelpFormatter):
    """Shows each option's default, unless its help already says it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "default" in text or any(action.default is v for v in (None, False, argparse.SUPPRESS)):
            return action.help
        return f"{text} (default: %(default)s)"


def console_options() -> argparse.ArgumentParser:
    """-q, -v and --debug, accepted before or after the command."""
    options = argparse.ArgumentParser(add_help=False)
    group = options.add_mutually_exclusive_group()
    for flags, level, words in (
        (("-q", "--quiet"), "quiet", "print only errors and the final summary"),
        (("-v", "--verbose"), "verbose", "also show TensorFlow's native log lines"),
    ):
        group.add_argument(
            *flags, dest="verbosity", action="store_const", const=level,
            default=argparse.SUPPRESS, help=words,
        )  # fmt: skip
    options.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS,
        help="print the traceback of an error (also IGNET_BENCH_DEBUG=1)",
    )  # fmt: skip
    return options


def build_parser() -> argparse.ArgumentParser:
    """The parser of every ``ignet-bench`` command; ``command`` names the one given."""
    parser = Parser(prog="ignet-bench", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    data = commands.add_parser(
        "data",
        help="generate or inspect a folder of drawings",
        description="Generate a synthetic drawings folder, or inspect any drawings folder.",
    )
    data_commands = data.add_subparsers(title="data commands", metavar="COMMAND")
    data.set_defaults(command="help", help_of=data)

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
        "--count",
        type=_at_least_one,
        default=338,
        metavar="N",
        help="number of drawings (default: 338)",
    )
    generate.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the images of an existing folder instead of refusing",
    )
    generate.set_defaults(command="data generate")

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
    inspect.set_defaults(command="data inspect")

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
    _run_options(run)
    run.set_defaults(command="run")

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
    _run_options(reproduce)
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
    reproduce.set_defaults(command="reproduce")

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
    report.set_defaults(command="report")

    results = commands.add_parser(
        "results",
        help="check a results folder for corrupt or duplicate lines",
        description="Check or repair the JSON Lines files of a results folder.",
    )
    results_commands = results.add_subparsers(title="results commands", metavar="COMMAND")
    results.set_defaults(command="help", help_of=results)
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
    check.set_defaults(command="results check")

    devices = commands.add_parser(
        "devices",
        help="list the OpenCL devices the opencl back end can use",
        description=(
            "List every OpenCL platform and device (index, platform, name, type, compute "
            "units, global memory, fp64 support) and say which one backend='opencl' picks: "
            "PYOPENCL_CTX when set, else the first GPU, else the first CPU device."
        ),
    )
    devices.set_defaults(command="devices")

    timing = commands.add_parser(
        "timing",
        help="time every engine, back end and network in one run",
        description=(
            "Measure this machine's float32 matrix-multiply peak, the training throughput "
            "(samples/s, GFLOP/s from counted FLOPs, % of peak) of IgNet on each back end and "
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
    timing.add_argument(
        "--threads",
        nargs="+",
        type=_at_least_one,
        default=[],
        metavar="N",
        help="more thread counts for IgNet's numpy back end, each timed against one thread "
        "besides every core (e.g. --threads 2 4 8 on a many-core machine)",
    )
    timing.add_argument("--seed", type=int, default=0, help="seed of time-to-accuracy")
    timing.set_defaults(command="timing")

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
    diagnose.set_defaults(command="diagnose")
    return parser


def _run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        default="quick",
        help=f"{describe()} (default: quick)",
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
