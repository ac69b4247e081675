"""The paper's networks, sized for any input map and any number of outputs.

``fig5`` is the paper's simplest network (its Fig. 5): one convolutional layer and one
fully connected layer. On maps whose shorter side is at least 16 the convolution has
8 filters of 5x5 with stride 2 and no padding (a 58x36 drawing gives 8 maps of 27x16);
on smaller maps (8x8 digits) it has stride 1 and zero padding 2, which keeps the size.

``ignet1`` is a single fully connected layer on the pixels: with identity activations, a
linear model. ``ignet3`` ... ``ignet6`` and ``fig7`` (the deepest, its Fig. 7) have that many layers
with weights: depth - 1 convolutions of 3x3 with zero padding 1 and 8, 16, 16, 32, 32, 32
filters, each with stride 2 while the map's shorter side is at least 16, then a fully
connected layer. ``fig7`` puts freezeconnect (rate 0.25) on its hidden convolutions, as
the paper did to make its deepest networks learn quickly.

By default all layers follow the paper: identity activations and biases that do not
learn. Classification ends in a Softmax (use the ``ce`` loss), multi-label in a sigmoid
dense layer (``bce``), regression in an identity dense layer (``mse`` or ``mae``); the
output layer's activation can be chosen (section 5.5.2 puts a bipolar sigmoid there).
"""

from __future__ import annotations

from collections.abc import Sequence

from ignet.activations import check_activation
from ignet.errors import IgNetError
from ignet.layers import Conv, Dense, Layer, Softmax

PRESETS = ("ignet1", "fig5", "ignet3", "ignet4", "ignet5", "ignet6", "fig7")
TASKS = ("classification", "multilabel", "regression")
_DEPTH = {"ignet1": 1, "fig5": 2, "ignet3": 3, "ignet4": 4, "ignet5": 5, "ignet6": 6, "fig7": 7}
_FILTERS = (8, 16, 16, 32, 32, 32)


def preset(
    name: str,
    input_shape: Sequence[int],
    n_outputs: int | tuple[int, int],
    task: str = "classification",
    activation: str = "identity",
    freezeconnect: float | None = None,
    output_activation: str | None = None,
    learn_bias: bool = False,
) -> list[Layer]:
    """The layers of a preset network.

    Parameters
    ----------
    name : one of :data:`PRESETS`.
    input_shape : (C, H, W) or (H, W) of one sample.
    n_outputs : number of classes, labels or regression outputs; a (rows, cols) pair
        gives a matrix of output neurons.
    task : one of :data:`TASKS`.
    activation : activation of the hidden layers (the paper: identity).
    freezeconnect : rate of freezeconnect on the hidden convolutions between the first and
        the last; None keeps the preset's own (0.25 for ``fig7``, else 0).
    output_activation : activation of the output dense layer; None gives ``sigmoid`` for
        multi-label (what the ``bce`` loss needs) and ``identity`` otherwise.
    learn_bias : whether the biases learn (the paper's presets keep them fixed).
    """
    if name not in PRESETS:
        raise IgNetError(f"preset: unknown name {name!r}; choose from {PRESETS}")
    if task not in TASKS:
        raise IgNetError(f"task: unknown name {task!r}; choose from {TASKS}")
    check_activation(activation)
    if output_activation is None:
        output_activation = "sigmoid" if task == "multilabel" else "identity"
    check_activation(output_activation, "output_activation")
    if task == "multilabel" and output_activation != "sigmoid":
        raise IgNetError(
            f"output_activation: a multi-label network ends in a sigmoid (the bce loss), "
            f"got {output_activation!r}"
        )
    shape = tuple(input_shape)
    if len(shape) not in (2, 3):
        raise IgNetError(f"input_shape must be (C, H, W) or (H, W), got {input_shape!r}")
    side = min(shape[-2:])
    layers: list[Layer] = []
    if name == "fig5":
        if side >= 16:
            layers.append(Conv(8, 5, stride=2, activation=activation, learn_bias=learn_bias))
        else:
            layers.append(Conv(8, 5, padding=2, activation=activation, learn_bias=learn_bias))
    else:
        depth = _DEPTH[name]
        freeze = (0.25 if name == "fig7" else 0.0) if freezeconnect is None else freezeconnect
        for i in range(depth - 1):
            stride = 2 if side >= 16 else 1
            side = (side - 1) // stride + 1
            layers.append(
                Conv(
                    _FILTERS[i],
                    3,
                    stride=stride,
                    padding=1,
                    freezeconnect=freeze if 0 < i < depth - 2 else 0.0,
                    activation=activation,
                    learn_bias=learn_bias,
                )
            )
    layers.append(Dense(n_outputs, activation=output_activation, learn_bias=learn_bias))
    if task == "classification":
        layers.append(Softmax())
    return layers
