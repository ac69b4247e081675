"""Pieces every ``ignet-bench`` command's parser shares: one-line usage errors, the
console options and a help formatter that shows defaults."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

__all__ = ["HelpFormatter", "Parser", "console_options"]


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
