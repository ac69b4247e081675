"""IgNet: a small CNN engine after the IgNet of Mackarov (2021), section 5 of the paper.

A standalone library on numpy arrays: layers with the paper's convolution options,
eq. (3) initialisation, dropout / dropconnect / freezeconnect, the Fig. 4 diagnostics
and an automatic weight-range calibration, mini-batch SGD / Momentum / Nesterov, and
scikit-learn estimators. All tensor work goes through a back end (:mod:`ignet.backends`).

Inputs are channels-first: X is ``(N, H, W)`` (one channel) or ``(N, C, H, W)``.
"""

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
