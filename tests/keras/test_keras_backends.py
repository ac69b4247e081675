"""Back-end independence and the package's import direction."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("keras")

PACKAGE = Path(__file__).resolve().parents[2] / "baseline_keras"

# Builds, trains, augments and predicts on a few images: enough to exercise every op the
# package uses. TensorFlow-only calls must stay behind the back-end check.
SCRIPT = textwrap.dedent(
    """
    import numpy as np
    import keras
    from baseline_keras import KerasCNNClassifier, KerasCNNRegressor, enlarge

    rng = np.random.default_rng(0)
    X = rng.random((24, 58, 36), dtype=np.float32)
    y = np.arange(24) % 2
    X = enlarge(X, np.arange(24))
    small = {"filters": (4, 8), "dense_units": (8,)}
    fit = KerasCNNClassifier(build_kwargs=small, epochs=2, batch_size=8).fit
    a, b = fit(X, y).predict_proba(X), fit(X, y).predict_proba(X)
    r = KerasCNNRegressor(build_kwargs=small, epochs=1).fit(X, y + 5.0)
    assert a.shape == (24, 2) and r.predict(X).shape == (24,)
    print(keras.backend.backend(), bool(np.array_equal(a, b)))
    """
)


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_runs_on_other_backends(backend):
    pytest.importorskip(backend, reason=f"the {backend} back end is not installed")
    env = {**os.environ, "KERAS_BACKEND": backend}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-2:] == [backend, "True"]


def _imported(nodes) -> list[str]:
    names = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_imports_point_one_way(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    assert not {"bench", "ignet", "reports"} & set(_imported(ast.walk(tree)))
    # TensorFlow is imported only inside functions, behind a back-end check.
    assert "tensorflow" not in _imported(tree.body)
