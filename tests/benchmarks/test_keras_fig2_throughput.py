"""Training throughput of the IgNet paper's Fig. 2 Keras network (``drawings_cnn``).

58x36x1 inputs, 186 classes (all four factors), batches of 32, Adam, categorical
cross-entropy: the network and settings ``KerasCNNClassifier`` trains with, TensorFlow's
op determinism on as it sets it. Each round is one ``fit`` epoch over ``BATCHES`` batches
of random images; graph tracing happens in a warm-up fit before timing.

Run for real with ``pytest tests/benchmarks/test_keras_fig2_throughput.py
--benchmark-enable``: it prints, and stores in ``extra_info``, samples/s and the
arithmetic rate. With benchmarks disabled (the default) it runs one round of 3 batches as
a smoke test.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from baseline_keras import drawings_cnn, set_determinism  # noqa: E402

INPUT = (58, 36, 1)
CLASSES = 186
BATCH = 32
BATCHES = 50
ROUNDS = 5


def _forward_flops(model: keras.Model) -> int:
    """Multiply-adds of one sample's forward pass through the convolutions and dense layers,
    times two."""
    macs = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            h, w, c_out = layer.output.shape[1:]
            k_h, k_w, c_in, _ = layer.kernel.shape
            macs += h * w * c_out * k_h * k_w * c_in
        elif isinstance(layer, keras.layers.Dense):
            macs += int(np.prod(layer.kernel.shape))
    return 2 * macs


def test_fig2_training_throughput(benchmark, capsys):
    n = BATCH * (BATCHES if benchmark.enabled else 3)
    rng = np.random.default_rng(0)
    X = rng.random((n, *INPUT), dtype=np.float32)
    y = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, n)]

    set_determinism(0)
    model = drawings_cnn(INPUT, CLASSES)
    model.fit(X[:BATCH], y[:BATCH], batch_size=BATCH, epochs=1, verbose=0)

    seconds: list[float] = []

    def train_one_epoch() -> None:
        start = time.perf_counter()
        model.fit(X, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        seconds.append(time.perf_counter() - start)

    benchmark.pedantic(train_one_epoch, rounds=ROUNDS if benchmark.enabled else 1, iterations=1)
    median = benchmark.stats.stats.median if benchmark.enabled else float(np.median(seconds))
    samples_per_s = n / median
    # The fastest round shows the machine's capacity when other work shares its cores.
    best_samples_per_s = n / min(seconds)
    # Training costs about three forward passes: forward, gradient of the input, of weights.
    gflops = 3 * _forward_flops(model) * samples_per_s / 1e9
    benchmark.extra_info.update(
        {
            "samples_per_s": samples_per_s,
            "best_samples_per_s": best_samples_per_s,
            "gflops": gflops,
            "batch_size": BATCH,
            "classes": CLASSES,
            "parameters": model.count_params(),
            "cpus": len(os.sched_getaffinity(0)),
            "backend": keras.backend.backend(),
        }
    )
    with capsys.disabled():
        print(
            f"\nFig. 2 CNN training ({keras.backend.backend()}, batch {BATCH}, {CLASSES} "
            f"classes): {samples_per_s:,.0f} samples/s median, {best_samples_per_s:,.0f} best, "
            f"~{gflops:.1f} GFLOP/s"
        )
    assert samples_per_s > 0
    assert len(seconds) >= 1
