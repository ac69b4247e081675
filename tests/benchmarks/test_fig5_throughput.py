"""Training throughput of the paper's fig5 network: IgNet's numpy back end vs Keras 3.

The network: 1x58x36 inputs (the drawings' size), one convolution of 8 filters 5x5 with
stride 2 (8 maps of 27x16), a fully connected layer to 186 classes and a softmax, trained
with cross-entropy by plain SGD in batches of 32. Keras builds the same layers
(channels-last). Both train on the same numpy arrays through their ``fit``.

Run for real with ``pytest tests/benchmarks --benchmark-enable``: each engine trains
``ROUNDS`` epochs of ``BATCHES`` batches; the Keras case then prints (and stores in
``extra_info``) samples/s, GFLOP/s, the ratio numpy / Keras and whether it meets
``TARGET``; the machines are shared, so the verdict is printed rather than asserted.
Throughput comes from each engine's fastest round, the usual estimate
on a machine shared with other jobs (the medians are stored too). With benchmarks
disabled both run one short epoch as a smoke test.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from ignet import Network, preset

INPUT = (1, 58, 36)
CLASSES = 186
BATCH = 32
BATCHES = 60
ROUNDS = 10
TARGET = 1.5
THREADS = max(1, min(2, len(os.sched_getaffinity(0))))

_results: dict[str, dict[str, float]] = {}


def _data(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.random((n, *INPUT), dtype=np.float32)
    y = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, n)]
    return X, y


def _flops_per_sample() -> int:
    net = Network(preset("fig5", INPUT, CLASSES), loss="ce", input_shape=INPUT)
    return net.flops_per_sample()


def _measure(benchmark, name: str, train, n: int) -> None:
    rounds = ROUNDS if benchmark.enabled else 1
    benchmark.pedantic(train, rounds=rounds, iterations=1)
    if not benchmark.enabled:
        return
    seconds = benchmark.stats.stats.min
    result = {
        "samples_per_s": n / seconds,
        "gflops": n * _flops_per_sample() / seconds / 1e9,
        "median_samples_per_s": n / benchmark.stats.stats.median,
    }
    benchmark.extra_info.update(result)
    benchmark.extra_info["threads"] = THREADS
    _results[name] = result


def _sizes(benchmark) -> int:
    return BATCH * (BATCHES if benchmark.enabled else 3)


def test_fig5_numpy(benchmark):
    n = _sizes(benchmark)
    X, y = _data(n)
    net = Network(
        preset("fig5", INPUT, CLASSES),
        loss="ce",
        batch_size=BATCH,
        threads=THREADS,
        random_state=0,
    )
    net.fit(X[:BATCH], y[:BATCH], epochs=1)
    _measure(benchmark, "numpy", lambda: net.fit(X, y, epochs=1), n)
    assert np.isfinite(net.history_["loss"][-1])


def test_fig5_keras(benchmark, capsys):
    keras = pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    n = _sizes(benchmark)
    X, y = _data(n)
    X = np.ascontiguousarray(X.transpose(0, 2, 3, 1))
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(INPUT[1:] + INPUT[:1]),
            keras.layers.Conv2D(8, 5, strides=2),
            keras.layers.Flatten(),
            keras.layers.Dense(CLASSES),
            keras.layers.Softmax(),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="categorical_crossentropy")
    model.fit(X[:BATCH], y[:BATCH], batch_size=BATCH, epochs=1, verbose=0)

    def train() -> None:
        model.fit(X, y, batch_size=BATCH, epochs=1, verbose=0)

    _measure(benchmark, "keras", train, n)
    if not {"numpy", "keras"} <= set(_results):
        return
    ours, theirs = _results["numpy"], _results["keras"]
    ratio = ours["samples_per_s"] / theirs["samples_per_s"]
    median_ratio = ours["median_samples_per_s"] / theirs["median_samples_per_s"]
    benchmark.extra_info["ratio_numpy_over_keras"] = ratio
    benchmark.extra_info["median_ratio_numpy_over_keras"] = median_ratio
    with capsys.disabled():
        print(
            f"\nfig5 training, batch {BATCH}, threads {THREADS}: "
            f"numpy {ours['samples_per_s']:.0f} samples/s ({ours['gflops']:.1f} GFLOP/s), "
            f"keras {theirs['samples_per_s']:.0f} samples/s ({theirs['gflops']:.1f} GFLOP/s), "
            f"ratio {ratio:.2f} (of medians {median_ratio:.2f}); target {TARGET}x "
            f"{'met' if ratio >= TARGET else 'NOT met'}"
        )
    assert ratio > 0
