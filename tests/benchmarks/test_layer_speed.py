"""The IgNet engine layer by layer: forward and backward of every weighted layer of the
Fig. 5 and Fig. 7 networks, on each back end and thread count.

The layers get what they get in training: the batch (32 random drawings) passed through
the layers before them, training mode, the layout the back end keeps between layers.
``backward`` includes the layer's parameter update, where a dense layer forms its weight
gradient (folded into the update's GEMM). Groups name the network, layer and direction,
so that ``--benchmark-compare`` lines up the same case across runs.
"""

from __future__ import annotations

import pytest
from conftest import CLASSES, INPUT, THREADS, batch, ignet_backend

from ignet import Network, preset
from ignet.layers import WeightedLayer
from ignet.optimizers import Optimizer

SETTINGS = [("numpy", t) for t in THREADS] + [("opencl", None)]


def _cases() -> list[tuple[str, int]]:
    cases = []
    for network in ("fig5", "fig7"):
        layers = preset(network, INPUT, CLASSES)
        cases += [(network, i) for i, la in enumerate(layers) if isinstance(la, WeightedLayer)]
    return cases


@pytest.mark.parametrize(("backend", "threads"), SETTINGS, ids=str)
@pytest.mark.parametrize("direction", ["forward", "backward"])
@pytest.mark.parametrize(("network", "index"), _cases(), ids=str)
def test_layer(benchmark, network, index, direction, backend, threads):
    be = ignet_backend(backend, threads)
    net = Network(preset(network, INPUT, CLASSES), loss="ce", backend=be, random_state=0,
                  input_shape=INPUT)  # fmt: skip
    layer = net.layers[index]
    benchmark.group = f"{network} layer {index} ({layer.kind}) {direction}"
    benchmark.extra_info["macs_per_sample"] = layer.macs_per_sample
    X, _ = batch()
    optimizer = Optimizer("sgd", 1e-6)
    with be.scope():
        x = be.asarray(X)
        for before in net.layers[:index]:
            x = before.forward(x, training=True)
        layer.draw_masks(net._mask_rng, len(X))
        y = layer.forward(x, training=True)
        dy = be.scale(y, 1e-3)  # a gradient in the layout of the layer's output

        # OpenCL ops return once their kernels are queued: wait for them in every round.
        finish = getattr(getattr(be, "queue", None), "finish", lambda: None)

        def forward() -> None:
            layer.forward(x, training=True)
            finish()

        def backward() -> None:
            layer.backward(dy, need_dx=index > 0)
            layer.update(optimizer, str(index))
            finish()

        benchmark(forward if direction == "forward" else backward)
        finished = be.to_host(layer.forward(x, training=True))
    assert finished.shape == (len(X), *layer.out_shape)
