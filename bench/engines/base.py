"""What an engine declares, and the adapter every engine's model comes wrapped in.

An engine is one :class:`Engine` value in a module of its own under ``bench/engines/``;
the registry (:mod:`bench.engines`) lists them. The runner, the experiment expansion, the
timing harness, the report and the CLI read these declarations instead of naming engines.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.errors import BenchError

__all__ = [
    "ROLES",
    "Build",
    "Diverged",
    "Engine",
    "EngineAdapter",
    "Resample",
    "Timing",
    "Trainer",
    "Unavailable",
    "Validation",
    "keywords_of",
    "not_installed",
    "protocol_split",
    "sklearn_backend",
]

#: What an engine is for the report: a network under test, a baseline a network must beat,
#: or a ceiling (the best the data supports, drawn as a band and never graded).
ROLES = ("network", "baseline", "ceiling")

# How to install each optional library an engine or back end needs.
_INSTALL = {
    "torch": "pip install 'ignet-bench[timing]' (PyTorch, CPU build)",
    "jax": "pip install 'ignet-bench[timing]' (JAX)",
}
_KERAS_EXTRA = "pip install 'ignet-bench[keras]'"

#: The validation pair a model is scored on during training, and the per-epoch redraw of
#: the training images (None: train on the images given).
Validation = tuple[np.ndarray, np.ndarray]
Resample = Callable[[int], np.ndarray] | None

#: A timed training round on the first ``n`` samples, and the FLOPs per sample it counts.
Trainer = tuple[Callable[[int], Any], int]


class Diverged(Exception):
    """An engine's training blew up: a result to record, not a reason to stop the run."""


class Unavailable(Exception):
    """An engine's inputs do not exist for this data (the oracle on a real collection)."""


@dataclass(frozen=True)
class Build:
    """What a job asks an engine to build.

    Parameters
    ----------
    network : one of the engine's networks.
    task : ``classification`` (y class indices), ``regression`` (y floats) or
        ``multilabel`` (y 0/1 rows).
    n_outputs : classes, labels or 1.
    backend : the back end the job records (:attr:`Engine.backend`).
    epochs, seed : training passes and the model's seed.
    options : engine keyword arguments from the experiment's profile and run.
    """

    network: str
    task: str
    n_outputs: int
    backend: str
    epochs: int
    seed: int
    options: Mapping[str, Any] = field(default_factory=dict)


class EngineAdapter:
    """A trained-or-not model of one engine for one task.

    The base class fits any estimator that takes ``validation_data`` and keeps a Keras-style
    ``history_``; engines whose estimators differ override ``_inputs``, ``_fit``,
    ``_history`` and ``details``.

    Attributes (after :meth:`fit`)
    ------------------------------
    history_ : dict of per-epoch lists (``loss``, ``accuracy`` or ``mape``, ``val_*``).
    train_seconds_ : wall time of the fit.
    samples_per_second_ : training samples processed per second.
    """

    def __init__(self, estimator: Any, task: str) -> None:
        self.estimator = estimator
        self.task = task

    def fit(
        self, X: np.ndarray, y: np.ndarray, validation: Validation, resample: Resample = None
    ) -> EngineAdapter:
        """Train on ``X, y``; ``resample(epoch)`` gives fresh training images per epoch."""
        start = time.perf_counter()
        self._fit(X, y, validation, resample)
        self.train_seconds_ = time.perf_counter() - start
        self.history_ = {k: [float(v) for v in vs] for k, vs in self._history().items()}
        epochs = max(1, len(self.history_.get("loss", [])))
        self.samples_per_second_ = len(X) * epochs / max(self.train_seconds_, 1e-9)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class indices, 0/1 label rows or regression values."""
        return np.asarray(self.estimator.predict(self._inputs(X)))

    def details(self) -> dict[str, Any]:
        """Engine-specific facts for the result record (JSON-ready)."""
        return {}

    # engine specifics ------------------------------------------------------------
    def _inputs(self, X: np.ndarray) -> np.ndarray:
        return X

    def _fit(
        self, X: np.ndarray, y: np.ndarray, validation: Validation, resample: Resample
    ) -> None:
        self.estimator.fit(
            self._inputs(X), y, validation_data=(self._inputs(validation[0]), validation[1])
        )

    def _history(self) -> dict[str, list[float]]:
        return dict(self.estimator.history_)


def not_installed(modules: Sequence[str]) -> str | None:
    """Why an engine cannot run here: the first of ``modules`` not installed, with how to
    install it; None when all are."""
    import importlib.util

    for module in modules:
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed; {_INSTALL.get(module, _KERAS_EXTRA)}"
    return None


def protocol_split(data: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The protocol timing's stored split (:func:`bench.timing.protocol_curves`): training
    and validation images (N, H, W) with their classes one-hot, over the classes of both."""
    with np.load(data) as stored:
        X_train, y_train, X_val, y_val = (
            stored[k] for k in ("X_train", "y_train", "X_val", "y_val")
        )
    classes = int(max(y_train.max(), y_val.max())) + 1
    return X_train, np.eye(classes, dtype=np.float32)[y_train], X_val, np.eye(classes)[y_val]


def sklearn_backend(requested: str | None) -> str:
    """The back end of an engine built on scikit-learn, whatever the run asks for."""
    return "sklearn"


@dataclass(frozen=True)
class Timing:
    """How ``ignet-bench timing`` measures an engine (:mod:`bench.timing`).

    Parameters
    ----------
    networks : the networks it can time: IgNet presets, which every engine builds with
        the same layers, and networks of its own (the Fig. 2 CNN).
    contenders : ``(back ends asked for or None for all, cores)`` -> the ``(back end,
        threads)`` pairs measured; threads None leaves the library's default.
    trainer : ``(back end, threads, network, X, y, batch)`` -> a training round on the
        first ``n`` rows of ``X`` (N, C, H, W) and one-hot ``y`` (``train(n)``), built and
        warmed up on one batch, and the FLOPs per sample it counts.
    missing : ``back end`` -> why it cannot run here (a library not installed), or None.
    environment : ``back end`` -> variables the worker process starts with.
    device : ``back end`` -> the device it trains on, ``{"name", "type", "platform"}``
        (type ``"GPU"``, ``"CPU"``, ...), or None for this machine's CPU through the
        library's own threads; kept in timing records, and a throughput off the CPU is
        not put against the CPU's GEMM peak. Called in the worker process.
    protocol_curve : ``(back end, threads, data, epochs, seed)`` -> the paper network's
        per-epoch validation curve with seconds (:func:`bench.timing.protocol_curves`);
        None when the engine has no paper protocol to time.
    protocol_network : the network :attr:`protocol_curve` trains.
    protocol_label : how the timing table names it (``the Fig. 2 CNN``).
    paper_backend : the back end the paper's numbers were measured on, if any.
    reference : the engine the others are measured against (its ``reference_backend``
        on every core, and on one thread for thread scaling).
    reference_backend : see ``reference``.
    packages : installed versions kept in timing records, besides the engine's own.
    """

    networks: Callable[[], Sequence[str]]
    contenders: Callable[[Sequence[str] | None, int], list[tuple[str, int | None]]]
    trainer: Callable[[str, int | None, str, np.ndarray, np.ndarray, int], Trainer]
    missing: Callable[[str], str | None] = lambda backend: None
    environment: Callable[[str], dict[str, str]] = lambda backend: {}
    device: Callable[[str], dict[str, str] | None] = lambda backend: None
    protocol_curve: Callable[[str, int | None, str, int, int], dict[str, Any]] | None = None
    protocol_network: str = ""
    protocol_label: str = ""
    paper_backend: str | None = None
    reference: bool = False
    reference_backend: str = "-"
    packages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Engine:
    """Everything the suite knows of one engine, in one place.

    Parameters
    ----------
    name : the name experiment files, records and the CLI use.
    title : how prose names it (``Keras``, ``IgNet``).
    role : one of :data:`ROLES`.
    build : a :class:`Build` -> an untrained :class:`EngineAdapter`; a ``TypeError`` is
        an option the engine does not take. None for an engine that only timing uses.
    networks : the networks it builds (for help and error messages); importable without
        the engine's library, since a run checks its networks before any work.
    keywords : ``(network, task)`` -> the options its builder takes, which a run checks
        before any work (:meth:`check_run`); None leaves them to the build (an engine
        whose library is too slow to load for a check).
    check_options : ``(network, options, task)`` -> None: checks the options' values
        before any work, raising :class:`BenchError` that names the option; None checks
        their names only.
    protocol : the paper protocol it was evaluated with; leak-free and image-split runs
        mirror it (:mod:`bench.protocols`).
    invert : whether it sees ink intensity (1 - pixel) rather than the pixels in [0, 1];
        a profile or run may set ``invert`` to change it.
    backend : the back end a job records, from the one a run or the CLI asks for.
    augmentation : keywords of :class:`bench.augment.Augmentation`: the augmentation of
        its paper's protocol, when that paper describes one.
    augmenters : augmentation tools it brings: name -> ``(images, seeds, augmentation)``
        -> images, for :class:`bench.augment.Augmentation` ``tool``.
    features : ``(data folder, file names)`` -> one row of inputs per sample, used
        instead of the images (raises :class:`Unavailable` where there are none); None
        for an engine that sees the images.
    redraws : whether it trains on freshly augmented images each epoch (the protocol's
        on-the-fly augmentation) rather than on one fixed augmented set.
    timing : how ``ignet-bench timing`` measures it; None leaves it out.
    devices : a table of the devices its back ends can use and the one each picks
        (``ignet-bench devices``); raises :class:`bench.errors.BenchError` when there is
        none. None for an engine without device back ends.
    packages : distributions whose installed versions a result record keeps.
    noisy : modules whose import writes native log lines the console hides.
    smoke : engine options of the smoke profile (seconds per job).
    paper : the paper's reference numbers for its protocol (``passes``, ``tolerance``,
        ``folds``), where it has a paper.
    """

    name: str
    title: str
    role: str
    build: Callable[[Build], EngineAdapter] | None
    networks: Callable[[], Sequence[str]] = tuple
    keywords: Callable[[str, str], Collection[str]] | None = None
    check_options: Callable[[str, Mapping[str, Any], str], None] | None = None
    protocol: str = "paper-ignet"
    invert: bool = False
    backend: Callable[[str | None], str] = sklearn_backend
    augmentation: Mapping[str, Any] | None = None
    augmenters: Mapping[str, Callable[[np.ndarray, np.ndarray, Any], np.ndarray]] = field(
        default_factory=dict
    )
    features: Callable[[str, Sequence[str]], np.ndarray] | None = None
    redraws: bool = False
    timing: Timing | None = None
    devices: Callable[[], str] | None = None
    packages: tuple[str, ...] = ()
    noisy: tuple[str, ...] = ()
    smoke: Mapping[str, Any] = field(default_factory=dict)
    paper: Mapping[str, Any] = field(default_factory=dict)

    @property
    def runs_jobs(self) -> bool:
        """Whether experiments can run it (an engine only timing uses cannot)."""
        return self.build is not None

    def check_run(self, network: str, options: Mapping[str, Any], task: str) -> None:
        """Check, before any work, that a run of this engine can build ``network`` with
        ``options`` for ``task``.

        Raises
        ------
        BenchError
            Naming the network or the options at fault and those allowed.
        """
        networks = tuple(self.networks())
        if networks and network not in networks:
            raise BenchError(
                f"unknown network {network!r} for the {self.name} engine "
                f"(allowed: {', '.join(networks)})"
            )
        if not options or self.keywords is None:
            return
        allowed = self.keywords(network, task)
        unknown = [name for name in options if name not in allowed]
        if unknown:
            raise BenchError(
                f"unknown option {', '.join(map(repr, unknown))} for the {self.name} engine's "
                f"{network} on a {task} target (allowed: {', '.join(sorted(allowed))})"
            )
        if self.check_options is not None:
            self.check_options(network, options, task)


def keywords_of(*estimators: Callable[..., Any]) -> frozenset[str]:
    """The keyword arguments the constructors of ``estimators`` take."""
    return frozenset(
        name for estimator in estimators for name in inspect.signature(estimator).parameters
    )
