"""Independent pieces of a report's work, done in forked processes where they can be.

A report's slow parts (the evidence of each experiment, the drawing of each figure) do
not depend on each other; :func:`fork_map` runs them in as many forked workers as there
are cores. The workers inherit the tasks rather than receive them pickled, so a task may
hold anything (a matplotlib figure, a closure); only its result travels back.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

__all__ = ["fork_map"]

T = TypeVar("T")

# The tasks being run: forked workers find them here, inherited rather than pickled.
_TASKS: list[Callable[[], Any]] = []


def fork_map(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Each task's result, in the tasks' order.

    Parameters
    ----------
    tasks : callables without arguments, independent of each other; their results must
        pickle.

    Returns
    -------
    list
        ``[task() for task in tasks]``, computed by forked workers when there are several
        tasks and cores, the platform forks and TensorFlow is not loaded (its thread pools
        do not survive a fork); here otherwise, and here again should a worker die (out of
        memory, say).
    """
    _TASKS[:] = tasks
    try:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        workers = min(len(tasks), cores or 1)
        forks = "fork" in multiprocessing.get_all_start_methods()
        if workers > 1 and forks and "tensorflow" not in sys.modules:
            try:
                # The executor forks every worker before it starts a thread of its own, and
                # reports a dead worker instead of replacing it from a threaded process.
                context = multiprocessing.get_context("fork")
                with ProcessPoolExecutor(workers, mp_context=context) as pool:
                    return list(pool.map(_run, range(len(tasks))))
            except BrokenProcessPool:
                pass
        return [task() for task in tasks]
    finally:
        _TASKS.clear()


def _run(index: int) -> Any:
    return _TASKS[index]()
