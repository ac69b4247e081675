"""What reaches the console: verbosity, TensorFlow's native logging, one-line warnings.

TensorFlow's C++ start-up lines (``I0000 ... port.cc``, ``WARNING: All log messages
before absl::InitializeLog()``) are written straight to file descriptor 2 while TensorFlow
is imported, before ``TF_CPP_MIN_LOG_LEVEL`` takes effect, so setting that variable alone
does not hide them. Unless the console is verbose, the import of every module an engine
declares noisy (:func:`bench.engines.noisy_modules`: TensorFlow, for Keras) runs with
descriptor 2 sent to a temporary file, shown only if the import fails. The verbosity
travels to worker processes in an environment variable, and each worker calls
:func:`silence_native_logs` before its first job.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from bench.engines import noisy_modules

__all__ = [
    "LEVELS",
    "configure",
    "level",
    "progress",
    "recorded_warnings",
    "say",
    "silence_native_logs",
    "warn",
]

LEVELS = ("quiet", "normal", "verbose")
_ENV = "IGNET_BENCH_VERBOSITY"
# Packages whose import writes native log lines to descriptor 2.
_NOISY = noisy_modules()
_shown: set[str] = set()


def configure(verbosity: str) -> None:
    """Set this process's (and its future workers') console verbosity.

    Parameters
    ----------
    verbosity : str
        One of :data:`LEVELS`: ``quiet`` shows only errors and final summaries,
        ``normal`` adds progress bars and warnings, ``verbose`` also lets TensorFlow's
        native logging through.
    """
    if verbosity not in LEVELS:
        raise ValueError(f"verbosity must be one of {', '.join(LEVELS)}, not {verbosity!r}")
    os.environ[_ENV] = verbosity
    if verbosity == "verbose":
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
    silence_native_logs()
    warnings.showwarning = _show_warning


def level() -> str:
    """The configured verbosity (``normal`` when none was configured)."""
    value = os.environ.get(_ENV, "normal")
    return value if value in LEVELS else "normal"


def progress() -> bool:
    """Whether progress bars and progress lines are shown."""
    return level() != "quiet"


def say(text: str) -> None:
    """Print a progress line to standard output unless the console is quiet."""
    if progress():
        print(text, flush=True)


def warn(message: str) -> None:
    """Print a warning a user should see as one line, once per process and message."""
    line = " ".join(str(message).split())
    if line in _shown or not progress():
        return
    _shown.add(line)
    from tqdm.auto import tqdm

    # tqdm.write keeps a progress bar in flight whole below the line.
    tqdm.write(f"ignet-bench: warning: {line}", file=sys.stderr)


@contextlib.contextmanager
def recorded_warnings() -> Iterator[list[str]]:
    """Collect the Python warnings raised inside as one-line messages (for a worker to
    hand back to the parent, which prints each once)."""
    found: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        yield found
    found.extend(dict.fromkeys(" ".join(str(w.message).split()) for w in caught))


def silence_native_logs() -> None:
    """Unless verbose, hide TensorFlow's native start-up logging and its Python warnings in
    this process."""
    if level() == "verbose":
        return
    # 3 also hides TensorFlow's harmless ERROR lines (``node_def_util.cc ... NodeDef
    # mentions attribute``); a real failure still raises a Python exception. Set even
    # over an inherited value: --verbose is the way to see these lines.
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    # Their Python loggers too: TensorFlow's "retracing" notes are advice for whoever writes
    # the training loop, not news for the person running the suite.
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.ERROR)
    if not any(isinstance(finder, _QuietImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietImport())


def _show_warning(message: Warning | str, *_: object, **__: object) -> None:
    warn(str(message))


class _QuietImport(importlib.abc.MetaPathFinder):
    """Finds the :data:`_NOISY` packages with a loader that hides descriptor 2."""

    def find_spec(
        self, fullname: str, path: Any, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _NOISY:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _QuietLoader(spec.loader)
        return spec


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        sys.stderr.flush()
        saved = os.dup(2)
        with tempfile.TemporaryFile() as hidden:
            os.dup2(hidden.fileno(), 2)
            try:
                self._loader.exec_module(module)
            except BaseException:
                os.dup2(saved, 2)
                hidden.seek(0)
                sys.stderr.write(hidden.read().decode(errors="replace"))
                raise
            finally:
                os.dup2(saved, 2)
                os.close(saved)
