"""pytest-benchmark cases: the IgNet engine layer by layer, and a training step of every
engine.

``pytest tests/benchmarks --benchmark-only`` times them. The project's pytest options
disable benchmarks, so that a plain ``pytest`` runs each case once, as a smoke test.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from ignet import get_backend
from ignet.errors import IgNetError

#: The drawings' size and the paper's largest class count, batches of 32 as in the paper.
INPUT = (1, 58, 36)
CLASSES = 186
BATCH = 32
#: One thread and every core this process may use (at most 2 distinct settings).
THREADS = sorted({1, len(os.sched_getaffinity(0))})


def pytest_configure(config: pytest.Config) -> None:
    # pytest-benchmark refuses --benchmark-only beside the project's --benchmark-disable;
    # asking for the benchmarks only means asking for them timed.
    if config.getoption("benchmark_only", default=False):
        config.option.benchmark_enable = True


def batch(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One batch of random drawings-sized images and one-hot labels."""
    rng = np.random.default_rng(seed)
    X = rng.random((BATCH, *INPUT), dtype=np.float32)
    return X, np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, BATCH)]


def ignet_backend(name: str, threads: int | None):
    """A back end, or a skip with the reason when it cannot run here."""
    try:
        return get_backend(name) if threads is None else get_backend(name, threads=threads)
    except IgNetError as error:
        pytest.skip(str(error))
