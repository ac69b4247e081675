"""Fixtures shared by the IgNet engine tests."""

from __future__ import annotations

import numpy as np
import pytest
from ignet_testing import backend_or_skip

from ignet.backends import BACKENDS, Backend


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(params=BACKENDS)
def backend_name(request: pytest.FixtureRequest) -> str:
    """Each back end of ``BACKENDS`` by name, skipped where it cannot run."""
    backend_or_skip(request.param)
    return str(request.param)


@pytest.fixture
def backend(backend_name: str) -> Backend:
    """Each back end of ``BACKENDS`` in float32, skipped where it cannot run."""
    return backend_or_skip(backend_name)
