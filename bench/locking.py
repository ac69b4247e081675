"""One writer per results folder: an operating-system lock held for a whole run.

The lock is ``flock`` on ``<results>/.lock`` (through ``filelock``): the kernel drops it
when its holder dies, even by ``kill -9``, so a lock left by a killed run is simply taken
over by the next one. Beside it, ``.lock.owner`` names the holder's process id and
command so that a second run can say which run is using the folder.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from bench.errors import BenchError

__all__ = ["FolderBusyError", "results_lock"]

_LOCK = ".lock"
_OWNER = ".lock.owner"


class FolderBusyError(BenchError):
    """Another live run holds the results folder's lock."""


@contextlib.contextmanager
def results_lock(folder: str | Path) -> Iterator[None]:
    """Hold the lock of results ``folder`` (created if missing) for the block.

    Re-entering in the same process (``reproduce`` around each experiment's run) is
    allowed.

    Raises
    ------
    FolderBusyError
        At once, when another process holds it; the message names that process.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BenchError(f"{folder}: cannot create the results folder ({error.strerror})") from None
    lock = FileLock(folder / _LOCK, timeout=0, is_singleton=True)
    try:
        lock.acquire()
    except Timeout:
        raise FolderBusyError(
            f"{folder} is in use by {_owner(folder)}; wait for it to end or stop it"
        ) from None
    first = lock.lock_counter == 1
    owner = folder / _OWNER
    if first:
        started = datetime.now(UTC).isoformat(timespec="seconds")
        command = " ".join(Path(sys.argv[0]).name.split() + sys.argv[1:])
        owner.write_text(f"{os.getpid()}\n{started}\n{command}\n")
    try:
        yield
    finally:
        if first:
            # A folder made read-only during the run keeps the owner file: it names a
            # process that has ended, which _owner reads as no owner. Releasing the lock
            # must not fail, nor hide the run's own outcome.
            with contextlib.suppress(OSError):
                owner.unlink(missing_ok=True)
        lock.release()


def _owner(folder: Path, wait: float = 2.0) -> str:
    # The holder writes its owner file just after taking the lock, so a run started at
    # the same moment may look before it is there (or see one a killed run left): wait
    # briefly for a live process to be named.
    deadline = time.monotonic() + wait
    while True:
        try:
            pid, started, command = (folder / _OWNER).read_text().splitlines()[:3]
            if _alive(int(pid)):
                return f"another run, process {pid} (started {started}: {command})"
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            return "another run (process id not yet written)"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # no signal: only whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        pass
    return True
