"""SIGINT and SIGTERM as one exception, so that a run stops the same clean way on both."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["Stopped", "stop_on_signals"]


class Stopped(Exception):
    """Raised in the main thread when SIGINT or SIGTERM arrives inside :func:`stop_on_signals`."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.name = signal.Signals(signum).name


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Stopped` inside the block.

    The handlers go back to what they were on exit. Outside the main thread, where Python
    cannot install handlers, the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, _raise_stopped)
    try:
        yield
    except KeyboardInterrupt:
        # A Ctrl-C that arrived before the handler was installed, or inside C code that
        # re-raised it as KeyboardInterrupt.
        raise Stopped(signal.SIGINT) from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _raise_stopped(signum: int, _frame: FrameType | None) -> None:
    # A second signal while the first unwinds must not interrupt the clean-up.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Stopped(signum)
