"""Training throughput of fig5: the opencl back end against the numpy back end.

The same network, data and settings as ``test_fig5_throughput.py`` (1x58x36 inputs, one
convolution of 8 filters 5x5 with stride 2, a dense layer to 186 classes, softmax and
cross-entropy, plain SGD in batches of 32), trained by ``Network.fit`` on each back end
in the same pytest run. Run for real with
``pytest tests/benchmarks/test_opencl_throughput.py --benchmark-enable``: each back end
trains ``ROUNDS`` epochs of ``BATCHES`` batches, and the opencl case prints (and stores in
``extra_info``) samples/s, GFLOP/s, the ratio opencl / numpy and whether it meets the
target for its device: 0.5x on a CPU device (PoCL), 5x on a GPU. The verdict is printed,
not asserted: the machines are shared. With benchmarks disabled both run one short epoch
as a smoke test; without pyopencl or a device the opencl case skips with the reason.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_fig5_throughput import BATCH, BATCHES, CLASSES, INPUT, ROUNDS, THREADS, _data

from ignet import Network, preset
from ignet.backends import get_backend
from ignet.errors import IgNetError

TARGETS = {"GPU": 5.0, "CPU": 0.5}

_results: dict[str, dict[str, float]] = {}


def _network(backend) -> Network:
    return Network(
        preset("fig5", INPUT, CLASSES),
        loss="ce",
        batch_size=BATCH,
        threads=THREADS,
        random_state=0,
        backend=backend,
    )


def _run(benchmark, name: str, backend) -> None:
    n = BATCH * (BATCHES if benchmark.enabled else 3)
    X, y = _data(n)
    net = _network(backend)
    net.fit(X[:BATCH], y[:BATCH], epochs=1)  # builds, and compiles the kernels
    benchmark.pedantic(
        lambda: net.fit(X, y, epochs=1), rounds=ROUNDS if benchmark.enabled else 1, iterations=1
    )
    assert np.isfinite(net.history_["loss"][-1])
    if not benchmark.enabled:
        return
    seconds = benchmark.stats.stats.min
    result = {
        "samples_per_s": n / seconds,
        "gflops": n * net.flops_per_sample() / seconds / 1e9,
        "median_samples_per_s": n / benchmark.stats.stats.median,
    }
    benchmark.extra_info.update(result)
    _results[name] = result


def test_fig5_numpy_same_run(benchmark):
    _run(benchmark, "numpy", "numpy")


def test_fig5_opencl(benchmark, capsys):
    try:
        be = get_backend("opencl")
    except IgNetError as error:
        pytest.skip(str(error))
    _run(benchmark, "opencl", be)
    benchmark.extra_info["device"] = f"{be.device_type} {be.device_name}"
    if not {"numpy", "opencl"} <= set(_results):
        return
    ours, theirs = _results["opencl"], _results["numpy"]
    ratio = ours["samples_per_s"] / theirs["samples_per_s"]
    median_ratio = ours["median_samples_per_s"] / theirs["median_samples_per_s"]
    target = TARGETS.get(be.device_type, TARGETS["CPU"])
    benchmark.extra_info["ratio_opencl_over_numpy"] = ratio
    benchmark.extra_info["median_ratio_opencl_over_numpy"] = median_ratio
    with capsys.disabled():
        print(
            f"\nfig5 training, batch {BATCH}: opencl on {be.device_type} {be.device_name!r} "
            f"{ours['samples_per_s']:.0f} samples/s ({ours['gflops']:.1f} GFLOP/s), "
            f"numpy (threads {THREADS}) {theirs['samples_per_s']:.0f} samples/s "
            f"({theirs['gflops']:.1f} GFLOP/s), ratio {ratio:.2f} (of medians "
            f"{median_ratio:.2f}); target {target}x {'met' if ratio >= target else 'NOT met'}"
        )
    assert ratio > 0
