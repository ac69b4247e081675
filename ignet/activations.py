"""Neuron activation functions, by name; every back end implements each of them.

=================== =========================== ==========================
name                f(x)                        f'(x) with y = f(x)
=================== =========================== ==========================
``identity``        x (the paper's default)     1
``sigmoid``         1 / (1 + exp(-x))           y (1 - y)
``bipolar_sigmoid`` 2 / (1 + exp(-x)) - 1       (1 - y^2) / 2
``relu``            max(x, 0)                   1 if x > 0 else 0
``tanh``            tanh(x)                     1 - y^2
=================== =========================== ==========================

The paper keeps every layer linear (identity) so that the sizes of the loss derivatives
follow directly from the weight ranges (its section 5.5.2); the others are there to try.
"""

from __future__ import annotations

from ignet.errors import IgNetError

ACTIVATIONS = ("identity", "sigmoid", "bipolar_sigmoid", "relu", "tanh")


def check_activation(name: str, field: str = "activation") -> str:
    """Return ``name`` if it is a known activation, else raise IgNetError naming ``field``."""
    if name not in ACTIVATIONS:
        raise IgNetError(f"{field}: unknown activation {name!r}; choose from {ACTIVATIONS}")
    return name
