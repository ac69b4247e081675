"""The paper's protocol on the clock: the reference engine's paper network against each
rival's, on the same drawings, to the papers' stopping rule and to an accuracy both reach.

Each engine trains its own paper network through its timing hook
(:attr:`bench.engines.Timing.protocol_curve`), in batches of 32, timing every epoch with
the validation pass after it; :func:`protocol_ratios` reads the two curves.
"""

from __future__ import annotations

import math
import statistics
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.engines import get_engine, get_timing
from bench.errors import BenchError
from bench.timing import contenders
from bench.timing.contenders import DRAWINGS_SHAPE, PEAK, Contender, TimingSettings

if TYPE_CHECKING:
    from bench.timing.worker import Worker

__all__ = ["paper_rule", "protocol_curves", "protocol_ratios", "stopping_rule", "time_protocol"]


def paper_rule() -> tuple[int, int]:
    """The papers' stopping rule, as the reference engine's paper gives it: at most
    ``passes`` epochs, ending after ``tolerance`` epochs in a row without improvement."""
    paper = get_engine(contenders.reference().engine).paper
    return int(paper["passes"]), int(paper["tolerance"])


def protocol_curves(contender: Contender, data: str, epochs: int, seed: int = 0) -> dict[str, Any]:
    """Train the paper's network of an engine on a stored split and time every epoch.

    Parameters
    ----------
    contender : a timed engine with a protocol curve (IgNet on numpy or opencl, Keras on
        one of its back ends).
    data : an ``.npz`` with ``X_train``, ``y_train``, ``X_val``, ``y_val`` (images
        (N, H, W) in [0, 1], class indices).
    epochs : epochs to train (no early stopping: :func:`stopping_rule` reads the curve).
    seed : seed of the initial weights and the shuffling.

    Returns
    -------
    dict
        ``seconds`` (wall time since the start at the end of each epoch, validation
        included), ``val_accuracy`` and ``val_loss`` per epoch, and what else the engine
        reports (IgNet: whether its calibration reached its band, ``calibrated``).
    """
    curve = contender.timing.protocol_curve
    if curve is None:
        raise BenchError(f"engine {contender.engine} has no paper protocol to time")
    return curve(contender.backend, contender.threads, data, epochs, seed)


def stopping_rule(
    val_loss: Sequence[float], epochs: int | None = None, tolerance: int | None = None
) -> int:
    """Epochs the paper's stopping rule trains: at most ``epochs``, ending after
    ``tolerance`` epochs in a row without a lower validation loss (both :func:`paper_rule`'s
    when None)."""
    passes, patience = paper_rule()
    epochs = passes if epochs is None else epochs
    tolerance = patience if tolerance is None else tolerance
    best, wait = math.inf, 0
    for epoch, loss in enumerate(val_loss[:epochs], start=1):
        if loss < best:
            best, wait = loss, 0
        else:
            wait += 1
            if wait >= tolerance:
                return epoch
    return min(epochs, len(val_loss))


def _first_reaching(curve: Mapping[str, Any], target: float) -> int:
    """The first epoch (from 1) whose validation accuracy reaches ``target``, which the
    curve's best does."""
    return next(
        epoch
        for epoch, accuracy in enumerate(curve["val_accuracy"], start=1)
        if accuracy >= target - 1e-9
    )


def protocol_ratios(curves: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """How much longer the second engine takes than the first, from two
    :func:`protocol_curves` keyed by engine name (the reference engine first).

    ``stop_ratio``: to the paper's stopping rule (:func:`stopping_rule` on each curve's
    validation loss). ``target_ratio``: to the first epoch whose validation accuracy
    reaches ``target_accuracy``, the lower of the two curves' best (so both reach it).
    Each curve comes back under its engine's name with its ``stop_epoch``,
    ``stop_seconds``, ``target_epoch`` and ``target_seconds``.
    """
    (ours, mine), (theirs, their) = curves.items()
    target = min(max(mine["val_accuracy"]), max(their["val_accuracy"]))
    row: dict[str, Any] = {"target_accuracy": target}
    for name, curve in curves.items():
        stop = stopping_rule(curve["val_loss"])
        reach = _first_reaching(curve, target)
        row[name] = {
            **curve,
            "stop_epoch": stop,
            "stop_seconds": curve["seconds"][stop - 1],
            "target_epoch": reach,
            "target_seconds": curve["seconds"][reach - 1],
        }
    row["stop_ratio"] = row[theirs]["stop_seconds"] / row[ours]["stop_seconds"]
    row["target_ratio"] = row[theirs]["target_seconds"] / row[ours]["target_seconds"]
    return row


def _protocol_data(out: Path, target: str, seed: int) -> tuple[str, dict[str, Any]]:
    """The drawings (synthetic ones written to OUT/data/drawings when none are there),
    split 75 / 25 stratified by ``target``, stored for the workers."""
    from sklearn.model_selection import train_test_split

    from bench.data import generate_drawings, load_drawings
    from bench.data.targets import encode_target

    folder = out / "data" / "drawings"
    if not folder.is_dir() or not any(folder.iterdir()):
        generate_drawings(folder, seed=seed)
    dataset = load_drawings(folder, size=(DRAWINGS_SHAPE[2], DRAWINGS_SHAPE[1]))
    y, classes = encode_target(dataset.labels, target)
    X_train, X_val, y_train, y_val = train_test_split(
        dataset.images, y, test_size=0.25, random_state=seed, stratify=y
    )
    path = Path(tempfile.mkdtemp(prefix="ignet-timing-")) / "protocol.npz"
    np.savez(path, X_train=X_train, y_train=y_train, X_val=X_val, y_val=y_val)
    info = {
        "majority_accuracy": float(np.bincount(y_val).max() / len(y_val)),
        "data": str(folder),
        "n_train": len(X_train),
        "n_val": len(X_val),
        "n_classes": len(classes),
    }
    return str(path), info


def time_protocol(
    out: Path,
    workers: Mapping[Contender, Worker],
    seconds: Mapping[tuple[Contender, str], list[float]],
    settings: TimingSettings,
    seed: int,
) -> list[dict[str, Any]]:
    """The protocol timing of the reference contender against each rival engine with a
    paper protocol, on the back end of the rival's paper and on its fastest back end."""
    ours = contenders.reference()
    rivals = [
        c
        for c in workers
        if c.engine not in (PEAK, ours.engine) and c.timing.protocol_curve is not None
    ]
    if ours not in workers or not rivals:
        return []

    def rate(contender: Contender) -> float:
        rounds = (
            seconds.get((contender, contender.timing.protocol_network))
            or seconds.get((contender, ours.timing.protocol_network))
            or [math.inf]
        )
        return -statistics.median(rounds)

    theirs: list[Contender] = []
    for engine in dict.fromkeys(c.engine for c in rivals):
        group = [c for c in rivals if c.engine == engine]
        paper = {c for c in group if c.backend == get_timing(engine).paper_backend}
        theirs += sorted(paper | {max(group, key=rate)}, key=lambda c: c.backend)
    data, info = _protocol_data(out, settings.protocol_target, seed)
    command = {"cmd": "protocol", "data": data, "epochs": settings.protocol_epochs, "seed": seed}
    curves = {c: workers[c].ask(command) for c in [ours, *theirs]}
    extra = {"epoch_cap": settings.protocol_epochs, "protocol_target": settings.protocol_target,
             **info}  # fmt: skip
    return [
        {
            "against": c.label,
            **extra,
            **protocol_ratios({ours.engine: curves[ours], c.engine: curves[c]}),
        }
        for c in theirs
    ]
