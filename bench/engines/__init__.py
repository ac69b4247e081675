"""The engine registry: every engine the suite runs or times, in one ordered table.

Each engine is one module of this package holding one :class:`Engine` declaration (how
it builds a model for a task, its paper protocol, its input, its augmentation, its timing
hooks, its paper's numbers); the registry below lists them. Nothing else in ``bench``
names an engine: the runner, the experiments, the timing harness, the report and the CLI
ask this module. Adding an engine is one new module and one line in :data:`_BUILT_IN`
(docs/engines.md walks through an example).

This module imports no engine library: each engine imports its own when it builds a model.
"""

from __future__ import annotations

from typing import Any

from bench.engines import ignet, keras, linear, nearest, oracle, torch
from bench.engines.base import (
    ROLES,
    Build,
    Diverged,
    Engine,
    EngineAdapter,
    Timing,
    Unavailable,
)
from bench.errors import BenchError

__all__ = [
    "ROLES",
    "Build",
    "Diverged",
    "Engine",
    "EngineAdapter",
    "Timing",
    "Unavailable",
    "engine_names",
    "get_engine",
    "get_timing",
    "make_engine",
    "noisy_modules",
    "packages",
    "register",
    "registered",
    "smoke_options",
    "unregister",
]

# The registry's order is the order of the CLI's choices, of the timing tables and of the
# report's augmentation figures.
_BUILT_IN = (
    ignet.ENGINE,
    keras.ENGINE,
    linear.ENGINE,
    nearest.ENGINE,
    oracle.ENGINE,
    torch.ENGINE,
)
_REGISTRY: dict[str, Engine] = {engine.name: engine for engine in _BUILT_IN}


def register(engine: Engine) -> Engine:
    """Add ``engine`` to the registry (after the others) and return it.

    Raises
    ------
    BenchError
        When an engine of that name is registered already, or its role is not one of
        :data:`ROLES`.
    """
    if engine.name in _REGISTRY:
        raise BenchError(f"engine {engine.name!r} is registered already")
    if engine.role not in ROLES:
        raise BenchError(
            f"engine {engine.name}: role must be one of {', '.join(ROLES)}, not {engine.role!r}"
        )
    _REGISTRY[engine.name] = engine
    return engine


def unregister(name: str) -> None:
    """Remove the engine ``name`` from the registry (a no-op when it is not there)."""
    _REGISTRY.pop(name, None)


def registered() -> list[Engine]:
    """Every registered engine, in the registry's order."""
    return list(_REGISTRY.values())


def engine_names(*, timing: bool = False) -> tuple[str, ...]:
    """Names of the engines experiments can run, or with ``timing`` those timing measures."""
    if timing:
        return tuple(e.name for e in _REGISTRY.values() if e.timing is not None)
    return tuple(e.name for e in _REGISTRY.values() if e.runs_jobs)


def get_engine(name: str) -> Engine:
    """The engine called ``name``.

    Raises
    ------
    BenchError
        For a name no engine has, listing the registered names.
    """
    if name not in _REGISTRY:
        raise BenchError(f"engine must be one of {', '.join(_REGISTRY)}, not {name!r}")
    return _REGISTRY[name]


def get_timing(name: str) -> Timing:
    """The timing hooks of the engine called ``name``.

    Raises
    ------
    BenchError
        For a name no timed engine has, listing the timed engines.
    """
    timing = get_engine(name).timing
    if timing is None:
        timed = ", ".join(engine_names(timing=True))
        raise BenchError(f"engine {name!r} is not timed; the timed engines are {timed}")
    return timing


def make_engine(
    engine: str,
    network: str,
    task: str,
    n_outputs: int,
    backend: str,
    epochs: int,
    seed: int,
    options: dict[str, Any] | None = None,
) -> EngineAdapter:
    """Build an untrained model of a registered engine.

    Parameters
    ----------
    engine : a name of :func:`engine_names`.
    network : one of the engine's networks (``fig2``, an IgNet preset such as ``fig5``,
        ``pixels``, ``hog``, ``logistic`` ...).
    task : ``classification`` (y class indices), ``regression`` (y floats) or
        ``multilabel`` (y 0/1 rows).
    n_outputs : classes, labels or 1.
    backend : the back end the job records (:attr:`Engine.backend`).
    epochs, seed : training passes and the model's seed.
    options : engine keyword arguments from the experiment's profile and run.

    Raises
    ------
    BenchError
        For an engine experiments cannot run, a network it does not have, or an option
        it does not take.
    """
    found = _REGISTRY.get(engine)
    if found is None or found.build is None:
        raise BenchError(f"engine must be one of {', '.join(engine_names())}, not {engine!r}")
    try:
        return found.build(Build(network, task, n_outputs, backend, epochs, seed, options or {}))
    except TypeError as error:  # an option the engine does not take
        raise BenchError(f"{engine} options: {error}") from None


def packages(*, timing: bool = False) -> tuple[str, ...]:
    """Distributions whose versions a result record keeps: those of the engines
    experiments run, or with ``timing`` those of every timed engine and back end."""
    found: list[str] = []
    for engine in _REGISTRY.values():
        if timing and engine.timing is not None:
            found += [*engine.packages, *engine.timing.packages]
        elif not timing and engine.runs_jobs:
            found += engine.packages
    return tuple(dict.fromkeys(found))


def noisy_modules() -> frozenset[str]:
    """Modules whose import writes native log lines the console hides."""
    return frozenset(module for engine in _REGISTRY.values() for module in engine.noisy)


def smoke_options() -> dict[str, dict[str, Any]]:
    """Engine name -> the options the smoke profile gives it (those that have any)."""
    return {engine.name: dict(engine.smoke) for engine in _REGISTRY.values() if engine.smoke}
