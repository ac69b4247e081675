"""IgNet's Fig. 4 diagnostic table for a network on the drawings: the ``diagnose`` command.

Section 5.3 of the IgNet paper reads the mean absolute values (MAV) of a layer's input,
activation derivative, weights, neuron derivative and dLoss/dW after one forward and
backward pass, and found that MAV(dLoss/dW) between 0.01 and 0.1 learns fast and stable.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from bench.errors import BenchError

__all__ = ["diagnose", "diagnosis_text"]

_BAND = (0.01, 0.1)  # the paper's band of MAV(dLoss/dW)


def diagnose(
    *,
    data: str | Path | None,
    out: str | Path,
    network: str = "fig5",
    target: str = "age_months",
    size: tuple[int, int] = (36, 58),
    w_scale: Sequence[float] | None = None,
    calibrate: tuple[float, float] | None = None,
    epochs: int = 0,
    invert: bool = False,
    seed: int = 0,
    backend: str = "numpy",
) -> str:
    """The Fig. 4 table of ``network`` on a drawings ``target``, as text.

    Parameters
    ----------
    data : drawings folder; None generates the synthetic stand-in in ``out/data``.
    target : ``age_months`` (regression, MAE loss) or a classification target.
    w_scale : factors of each weighted layer's weight amplitude.
    calibrate : first rescale the weight ranges until every MAV(dLoss/dW) is in the band.
    epochs : then train this many epochs and add the table after them.
    invert : feed ink intensity (1 - pixel) instead of the pixels.
    """
    from bench.data import default_folder, load_drawings
    from bench.data.targets import encode
    from ignet import IgNetClassifier, IgNetRegressor

    if epochs < 0:
        raise BenchError(f"--epochs must be at least 0, not {epochs}")
    folder = data or default_folder(Path(out), seed)
    dataset = load_drawings(folder, size=size)
    regression = target == "age_months"
    y = encode(dataset, target, "regression" if regression else "classification").y
    model = IgNetRegressor if regression else IgNetClassifier
    estimator = model(
        layers=network,
        settings="paper",
        epochs=epochs,
        validation_fraction=0.0,
        w_scale=w_scale,
        calibrate=calibrate,
        backend=backend,
        random_state=seed,
    )
    images = 1.0 - dataset.images if invert else dataset.images
    estimator.fit(images, y)
    band = calibrate or _BAND
    width, height = size
    n = estimator.initial_diagnosis_.attrs["samples"]
    lines = [
        f"{network} on {target}: {len(y)} drawings of {width}x{height} from {folder}; "
        f"MAV over the first {n} samples"
    ]
    if calibrate is not None:
        rounds = estimator.calibration_.attrs.get("rounds")
        lines += [
            f"\ncalibration into {calibrate[0]:g}-{calibrate[1]:g} ({rounds} rounds):",
            estimator.calibration_.to_string(float_format=lambda v: f"{v:.3e}"),
        ]
    lines += ["\nat the start of learning:", diagnosis_text(estimator.initial_diagnosis_, band)]
    if epochs:
        after = estimator.diagnose(images[:n], y[:n])
        lines += [f"\nafter {len(estimator.history_['loss'])} epochs:", diagnosis_text(after, band)]
    return "\n".join(lines)


def diagnosis_text(table: pd.DataFrame, band: tuple[float, float] = _BAND) -> str:
    """The Fig. 4 table and which layers' MAV(dLoss/dW) fall outside ``band``."""
    from ignet.diagnostics import format_table

    low, high = band
    outside = [
        f"{layer} ({kind})"
        for layer, kind, mav in zip(
            table.index, table["kind"], table["weight_derivative"], strict=True
        )
        if not low <= mav <= high
    ]
    verdict = ", ".join(outside) if outside else "none"
    return f"{format_table(table)}\nlayers with dLoss/dW MAV outside {low:g}-{high:g}: {verdict}"
