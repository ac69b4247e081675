"""The experiment file of these tests, written into each test's folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from reliability_testing import EXPERIMENT


@pytest.fixture
def experiment(tmp_path: Path) -> Path:
    path = tmp_path / "rel.toml"
    path.write_text(EXPERIMENT)
    return path
