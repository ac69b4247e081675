"""The project's exception types: errors a user can cause, and a run stopped by a signal."""

from __future__ import annotations

import signal


class BenchError(Exception):
    """A user error: its message names the file, option or field at fault.

    The CLI prints it on one line and exits with :attr:`exit_status` (2, a usage error:
    a bad option, name or path), without a traceback.
    """

    exit_status = 2


class DataError(BenchError):
    """A file's content is at fault (a results file, an image, a data folder's files):
    the command was right, the data is not. The CLI exits with status 1."""

    exit_status = 1


class RunInterrupted(Exception):
    """A run stopped by SIGINT or SIGTERM after keeping its finished jobs.

    Parameters
    ----------
    signum : the signal; the CLI exits with ``128 + signum`` (130, 143), as shells do.
    summary : one line: what was kept and how to resume.
    """

    def __init__(self, signum: int, summary: str) -> None:
        super().__init__(summary)
        self.signum = signum
        self.exit_status = 128 + signum
        self.signal_name = signal.Signals(signum).name
