"""One training step (forward, backward, update on a batch of 32) of every engine, on the
Fig. 5 and Fig. 7 networks: IgNet on each back end and thread count, PyTorch (CPU) and
Keras 3 on the back end this process runs (``KERAS_BACKEND``, TensorFlow by default)
where they are installed. The same layers in each (``bench.engines``' equivalents), plain
SGD and cross-entropy, random drawings-sized data.

These run in one process; ``ignet-bench timing`` compares the engines in processes of
their own, with interleaved rounds (docs/timing.md).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CLASSES, INPUT, THREADS, batch, ignet_backend

from bench.engines.keras import keras_equivalent
from bench.engines.torch import torch_equivalent
from ignet import Network, preset

NETWORKS = ("fig5", "fig7")


SETTINGS = [("numpy", t) for t in THREADS] + [("opencl", None)]


@pytest.mark.parametrize(("backend", "threads"), SETTINGS, ids=str)
@pytest.mark.parametrize("network", NETWORKS)
def test_ignet_step(benchmark, network, backend, threads):
    be = ignet_backend(backend, threads)
    benchmark.group = f"{network} training step"
    X, y = batch()
    net = Network(preset(network, INPUT, CLASSES), loss="ce", backend=be, random_state=0)
    net.train_on_batch(X, y)  # builds the network (and compiles OpenCL kernels)
    losses = benchmark(net.train_on_batch, X, y)
    assert np.isfinite(losses)


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("network", NETWORKS)
def test_torch_step(benchmark, network, threads):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(threads)
    benchmark.group = f"{network} training step"
    X, y = batch()
    torch.manual_seed(0)
    model = torch_equivalent(network, INPUT, CLASSES)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.argmax(axis=1))

    def step() -> float:
        optimizer.zero_grad()
        value = loss(model(Xt), yt)
        value.backward()
        optimizer.step()
        return float(value)

    step()
    assert np.isfinite(benchmark(step))


@pytest.mark.parametrize("network", NETWORKS)
def test_keras_step(benchmark, network):
    keras = pytest.importorskip("keras")
    benchmark.group = f"{network} training step"
    benchmark.extra_info["keras_backend"] = keras.backend.backend()
    X, y = batch()
    keras.utils.set_random_seed(0)
    model = keras_equivalent(network, INPUT, CLASSES)
    Xk = np.ascontiguousarray(X.transpose(0, 2, 3, 1))
    model.train_on_batch(Xk, y)  # traces the training graph
    result = benchmark(model.train_on_batch, Xk, y)
    assert np.isfinite(np.asarray(result, dtype=float)).all()
