"""PyTorch, for timing only: IgNet's presets rebuilt layer for layer (:func:`torch_equivalent`).

No experiment runs it; ``ignet-bench timing`` measures it beside IgNet and Keras as the
speed of a mature CPU library on the same work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bench.engines.base import Engine, Timing, Trainer, not_installed
from bench.engines.ignet import preset_layers, presets

__all__ = ["ENGINE", "torch_equivalent"]


def torch_equivalent(network: str, input_shape: Sequence[int], n_classes: int) -> Any:
    """A PyTorch module with the layers of an IgNet preset; it ends in logits (the softmax
    is in the cross-entropy loss). Freezeconnect is left out, as in
    :func:`bench.engines.keras.keras_equivalent`.
    """
    import torch

    from ignet import Conv, Dense

    layers = preset_layers(network, input_shape, n_classes)
    modules: list[Any] = []
    channels = input_shape[0]
    for layer in layers:
        if isinstance(layer, Conv):
            modules.append(
                torch.nn.Conv2d(channels, layer.filters, layer.kernel, layer.stride, layer.padding)
            )
            channels = layer.filters
        elif isinstance(layer, Dense):
            modules += [torch.nn.Flatten(), torch.nn.LazyLinear(n_classes)]
    model = torch.nn.Sequential(*modules)
    model(torch.zeros((1, *input_shape)))  # sizes the lazy dense layer
    return model


def _trainer(
    backend: str, threads: int | None, network: str, X: np.ndarray, y: np.ndarray, batch: int
) -> Trainer:
    import torch

    from ignet import Network

    if threads is not None:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    shape, classes = X.shape[1:], y.shape[1]
    model = torch_equivalent(network, shape, classes)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.argmax(axis=1))

    def epoch(stop: int) -> None:
        order = torch.randperm(stop)
        for start in range(0, stop, batch):
            rows = order[start : start + batch]
            optimizer.zero_grad()
            loss(model(Xt[rows]), yt[rows]).backward()
            optimizer.step()

    epoch(batch)
    # The same layers as IgNet's preset: IgNet's count is theirs.
    flops = Network(preset_layers(network, shape, classes), input_shape=shape).flops_per_sample()
    return epoch, flops


def _contenders(backends: Sequence[str] | None, cores: int) -> list[tuple[str, int | None]]:
    # Every core and one thread: the faster is its number.
    return [("-", cores), *([("-", 1)] if cores > 1 else [])]


ENGINE = Engine(
    name="torch",
    title="PyTorch",
    role="network",
    build=None,
    timing=Timing(
        networks=presets,
        contenders=_contenders,
        trainer=_trainer,
        missing=lambda backend: not_installed(["torch"]),
    ),
    packages=("torch",),
)
