"""The paper's Fig. 4 diagnostics and an automatic version of its weight-range restarts.

After one forward and one backward pass the paper prints, for every layer, mean absolute
values (MAV) of the quantities in its eqs. (1)-(2a): the layer's input map, the neurons'
activation derivatives, the weights, the full neuron derivative (the loss derivative with
respect to a per-neuron bias) and the loss derivative with respect to the weights.
MAV(dLoss/dW) of 0.01-0.1 gave fast, stable learning; smaller values learnt slowly and
larger ones exploded. The paper restarted by hand with other amplitudes W_n, B_n of
eq. (3) until the values fell in that band; :func:`calibrate` does the restarts itself.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ignet.errors import IgNetError
from ignet.layers import WeightedLayer

if TYPE_CHECKING:
    from ignet.network import Network

COLUMNS = {
    "input": "*In MAV",
    "activation_derivative": "*N' MAV",
    "weights": "*W MAV",
    "neuron_derivative": "*dL/db MAV",
    "weight_derivative": "***dL/dW MAV",
}


def _weighted(net: Network) -> list[tuple[int, WeightedLayer]]:
    return [(i, la) for i, la in enumerate(net.layers) if isinstance(la, WeightedLayer)]


def diagnose(net: Network, X: Any, y: Any) -> pd.DataFrame:
    """MAVs per weighted layer after one forward and backward pass on (X, y).

    Pass one batch or a few: the derivatives are those of the batch-mean loss, as in
    training. Masks are off.

    Returns
    -------
    DataFrame indexed by layer number with columns ``kind``, ``w_range``, ``b_range``,
    ``input``, ``activation_derivative``, ``weights``, ``neuron_derivative`` (dLoss/db
    of a per-neuron bias: dLoss/dz summed over the batch) and ``weight_derivative``
    (dLoss/dW); ``attrs["loss"]`` holds the loss and ``attrs["samples"]`` the number of
    samples. :func:`format_table` prints it.
    """
    loss, _ = net.gradients(X, y)
    be = net.be
    rows = []
    for i, layer in _weighted(net):
        trace = layer.trace()
        act = 1.0
        if layer.activation != "identity":
            deriv = be.activation_grad(
                layer.activation, trace["preactivation"], trace["activation"]
            )
            act = be.mean_abs(deriv)
        rows.append(
            {
                "layer": i,
                "kind": layer.kind,
                "w_range": layer.w_range,
                "b_range": layer.b_range,
                "input": be.mean_abs(trace["input"]),
                "activation_derivative": act,
                "weights": be.mean_abs(layer.params["W"]),
                "neuron_derivative": be.mean_abs(be.reduce_sum(trace["neuron_grad"], (0,))),
                "weight_derivative": be.mean_abs(layer.grads["W"]),
            }
        )
    table = pd.DataFrame(rows).set_index("layer")
    table.attrs["loss"] = loss
    table.attrs["samples"] = len(X)
    return table


def format_table(table: pd.DataFrame) -> str:
    """The :func:`diagnose` table as text in the layout of the paper's Fig. 4."""
    shown = table[["kind", *COLUMNS]].rename(columns=COLUMNS)
    text = shown.to_string(float_format=lambda v: f"{v:.3e}")
    if "loss" in table.attrs:
        text += f"\nloss {table.attrs['loss']:.6g}"
    return text


def calibrate(
    net: Network,
    X: Any,
    y: Any,
    target: tuple[float, float] = (0.01, 0.1),
    *,
    max_rounds: int = 10,
    probe: float = 2.0,
    max_step: float = 1000.0,
    scale_biases: bool = False,
) -> pd.DataFrame:
    """Rescale each weighted layer's W_n and B_n until MAV(dLoss/dW) lies in ``target``.

    Each round re-initialises the network from its seed with the current amplitudes
    (the paper's restarts), measures log MAV(dLoss/dW) of every layer, estimates how each
    layer's value moves with each layer's amplitude by probing every amplitude by a factor
    ``probe`` (by eqs. (1)-(5a) the values depend on the *other* layers' amplitudes), and
    moves all amplitudes at once, by at most ``max_step`` each, towards the band's
    geometric centre.

    B_n stays as set unless ``scale_biases``: scaled with W_n over orders of magnitude,
    biases come to dominate the maps (and saturate a final softmax), after which no
    amplitude moves the derivatives any more.

    Returns
    -------
    DataFrame indexed by layer number: ``kind``, ``w_range_before``, ``w_range_after``,
    ``b_range_before``, ``b_range_after``, ``mav_before``, ``mav_after``;
    ``attrs["rounds"]`` is the number of rounds used. The network ends re-initialised
    with the new amplitudes.

    Raises
    ------
    IgNetError
        For a bad ``target``, or when the band is not reached in ``max_rounds`` rounds
        (the amplitudes found so far stay set).
    """
    lo, hi = target
    if not 0 < lo < hi:
        raise IgNetError(f"target must be (low, high) with 0 < low < high, got {target!r}")
    if probe <= 1 or max_step <= 1:
        raise IgNetError("probe and max_step must be > 1")
    idx = [i for i, _ in _weighted(net)]
    layers = [layer for _, layer in _weighted(net)]
    before = [(layer.w_range, layer.b_range) for layer in layers]

    def measure() -> np.ndarray:
        net.initialize()
        mav = diagnose(net, X, y)["weight_derivative"].to_numpy()
        if not np.all(np.isfinite(mav)):
            raise IgNetError("calibrate: the loss derivatives are not finite; lower w_range")
        return np.log(np.maximum(mav, 1e-30))

    def rescale(k: int, factor: float) -> None:
        layers[k].w_range *= factor
        if scale_biases:
            layers[k].b_range *= factor

    log_lo, log_hi = math.log(lo), math.log(hi)
    centre = (log_lo + log_hi) / 2
    first = current = measure()
    rounds = 0
    while not np.all((current >= log_lo) & (current <= log_hi)):
        if rounds == max_rounds:
            outside = [
                f"layer {i} ({math.exp(v):.3g})"
                for i, v in zip(idx, current, strict=True)
                if not log_lo <= v <= log_hi
            ]
            raise IgNetError(
                f"calibrate: MAV(dLoss/dW) not in [{lo}, {hi}] after {max_rounds} rounds "
                f"for {', '.join(outside)}"
            )
        rounds += 1
        jac = np.empty((len(layers), len(layers)))
        for k in range(len(layers)):
            rescale(k, probe)
            jac[:, k] = (measure() - current) / math.log(probe)
            rescale(k, 1 / probe)
        # Damped least squares: layers whose values do not depend on any amplitude
        # (a lone layer) then get no step instead of a huge one.
        damping = 1e-3 * np.eye(len(layers))
        step = np.linalg.solve(jac.T @ jac + damping, jac.T @ (centre - current))
        step = np.clip(step, -math.log(max_step), math.log(max_step))
        for k, s in enumerate(step):
            rescale(k, math.exp(s))
        current = measure()
    table = pd.DataFrame(
        {
            "layer": idx,
            "kind": [layer.kind for layer in layers],
            "w_range_before": [w for w, _ in before],
            "w_range_after": [layer.w_range for layer in layers],
            "b_range_before": [b for _, b in before],
            "b_range_after": [layer.b_range for layer in layers],
            "mav_before": np.exp(first),
            "mav_after": np.exp(current),
        }
    ).set_index("layer")
    table.attrs["rounds"] = rounds
    return table
