"""IgNet: a small CNN engine after the IgNet of Mackarov (2021), section 5 of the paper.

A standalone library on numpy arrays: layers with the paper's convolution options,
eq. (3) initialisation, dropout / dropconnect / freezeconnect, the Fig. 4 diagnostics
and an automatic weight-range calibration, mini-batch SGD / Momentum / Nesterov, and
scikit-learn estimators. All tensor work goes through a back end (:mod:`ignet.backends`).

Inputs are channels-first: X is ``(N, H, W)`` (one channel) or ``(N, C, H, W)``.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ignet.activations import ACTIVATIONS
    from ignet.backends import BACKENDS, Backend, get_backend
    from ignet.callbacks import Callback, EarlyStopping
    from ignet.diagnostics import calibrate, diagnose, format_table
    from ignet.errors import DivergenceError, IgNetError
    from ignet.estimators import IgNetClassifier, IgNetRegressor
    from ignet.layers import Conv, Dense, Layer, MaxPool, Softmax
    from ignet.losses import LOSSES
    from ignet.network import Network
    from ignet.optimizers import OPTIMIZERS
    from ignet.presets import PRESETS, preset

# Each public name and the module that defines it, imported on first use: the estimators
# pull in scikit-learn and the diagnostics pandas, which a caller after the error types or
# the preset names (a command line building its --help) should not wait for.
_WHERE = {
    "ACTIVATIONS": "activations",
    "BACKENDS": "backends",
    "Backend": "backends",
    "get_backend": "backends",
    "Callback": "callbacks",
    "EarlyStopping": "callbacks",
    "calibrate": "diagnostics",
    "diagnose": "diagnostics",
    "format_table": "diagnostics",
    "DivergenceError": "errors",
    "IgNetError": "errors",
    "IgNetClassifier": "estimators",
    "IgNetRegressor": "estimators",
    "Conv": "layers",
    "Dense": "layers",
    "Layer": "layers",
    "MaxPool": "layers",
    "Softmax": "layers",
    "LOSSES": "losses",
    "Network": "network",
    "OPTIMIZERS": "optimizers",
    "PRESETS": "presets",
    "preset": "presets",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'ignet' has no attribute {name!r}")
    value = getattr(import_module(f"ignet.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


__all__ = [
    "ACTIVATIONS",
    "BACKENDS",
    "LOSSES",
    "OPTIMIZERS",
    "PRESETS",
    "Backend",
    "Callback",
    "Conv",
    "Dense",
    "DivergenceError",
    "EarlyStopping",
    "IgNetClassifier",
    "IgNetError",
    "IgNetRegressor",
    "Layer",
    "MaxPool",
    "Network",
    "Softmax",
    "calibrate",
    "diagnose",
    "format_table",
    "get_backend",
    "preset",
]
