"""The worker processes: one per contender, so that one library's threads never slow
another's.

The parent starts ``python -m bench.timing --worker`` (:class:`Worker`) and sends the spec
on the first line; the worker builds and warms up its trainers, replies ``ready`` with
their FLOPs per sample and round sizes, then answers one command per line (a timed round
of a network, or a protocol curve). An engine that cannot run here replies ``skipped``
with the reason instead of crashing.

An engine registered from outside ``bench/engines`` (:func:`bench.engines.register`) is
not in a fresh process's registry: the spec names the module that defines its timing
hooks, and the worker imports it and registers its ``ENGINE``.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import IO, Any

import numpy as np

from bench.engines import engine_names, register
from bench.errors import BenchError
from bench.timing import contenders
from bench.timing.contenders import DRAWINGS_CLASSES, DRAWINGS_SHAPE, PEAK, Contender
from bench.timing.protocol import protocol_curves

__all__ = ["Worker", "peak_gflops", "timed", "worker_main"]


def peak_gflops(size: int = 1024, repeats: int = 5) -> float:
    """This machine's float32 matrix-multiply rate through numpy, in GFLOP/s.

    Parameters
    ----------
    size : side of the two square matrices multiplied.
    repeats : timed products; the fastest counts.

    Returns
    -------
    float
        ``2 * size**3 / seconds / 1e9`` of the fastest product, with numpy's default
        BLAS threads (all cores unless limited by the environment).
    """
    contenders.check_count("size", size)
    contenders.check_count("repeats", repeats)
    product = partial(_matmul_round(size, 1), 1)
    product()  # the first call pays for thread start-up and page faults
    best = min(timed(product) for _ in range(repeats))
    return 2.0 * size**3 / max(best, 1e-12) / 1e9


def _matmul_round(size: int, repeats: int) -> Callable[[int], None]:
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    out = np.empty((size, size), dtype=np.float32)

    def run(_: int = 1) -> None:
        for _ in range(repeats):
            np.matmul(a, b, out=out)

    return run


def timed(call: Callable[[], Any]) -> float:
    """Wall seconds of ``call()``."""
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _random_data(
    n: int, input_shape: tuple[int, int, int], n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.random((n, *input_shape), dtype=np.float32)
    y = np.eye(n_classes, dtype=np.float32)[rng.integers(0, n_classes, n)]
    return X, y


def _trainers(
    contender: Contender, spec: dict[str, Any]
) -> tuple[dict[str, tuple[Callable[[int], Any], int]], dict[str, int]]:
    """Each network's training round with its FLOPs per sample, and samples per round."""
    if contender.engine == PEAK:
        if contender.threads is not None:
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=contender.threads, user_api="blas")
        size, repeats = spec["peak_size"], spec["peak_repeats"]
        run = _matmul_round(size, repeats)
        run(1)
        trainers = {network: (run, 2 * size**3 * repeats) for network in spec["networks"]}
        return trainers, dict.fromkeys(spec["networks"], 1)
    timing = contender.timing
    trainers, sizes = {}, {}
    for network in filter(contender.runs, spec["networks"]):
        batch, most = spec["batch"], spec["batches"][network]
        X, y = _random_data(batch * most, DRAWINGS_SHAPE, DRAWINGS_CLASSES)
        trainers[network] = timing.trainer(
            contender.backend, contender.threads, network, X, y, batch
        )
        rounds = _round_batches(trainers[network][0], batch, most, spec["round_seconds"])
        sizes[network] = batch * rounds
    return trainers, sizes


def _origin(contender: Contender) -> dict[str, str] | None:
    """Where a worker finds an engine registered from outside ``bench.engines``: the
    module of its timing hooks and that module's folder; None for a built-in one."""
    if contender.engine == PEAK:
        return None
    module = sys.modules[contender.timing.trainer.__module__]
    if module.__name__.startswith("bench.engines.") or module.__file__ is None:
        return None
    return {"module": module.__name__, "path": str(Path(module.__file__).parent)}


def _register_origin(origin: dict[str, str] | None, engine: str) -> None:
    if origin is None or engine in engine_names(timing=True):
        return
    sys.path.insert(0, origin["path"])
    register(importlib.import_module(origin["module"]).ENGINE)


def worker_main() -> None:
    """A worker process: the spec on the first stdin line, then one command per line.

    Replies are JSON lines on the original stdout; everything libraries print goes to
    stderr, so that it cannot corrupt the replies.
    """
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    spec = json.loads(sys.stdin.readline())
    contender = Contender(**spec["contender"])
    try:
        _register_origin(spec.get("origin"), contender.engine)
        trainers, sizes = _trainers(contender, spec)
    except Exception as error:  # an engine that cannot run here is a result, not a crash
        channel.write(json.dumps({"status": "skipped", "reason": _reason(error)}) + "\n")
        return
    flops = {network: flops for network, (_, flops) in trainers.items()}
    device = None if contender.engine == PEAK else contender.timing.device(contender.backend)
    ready = {"status": "ready", "flops": flops, "samples": sizes, "device": device}
    channel.write(json.dumps(ready) + "\n")
    for line in sys.stdin:
        command = json.loads(line)
        if command["cmd"] == "round":
            network = command["network"]
            seconds = timed(partial(trainers[network][0], sizes[network]))
            channel.write(json.dumps({"seconds": seconds}) + "\n")
        elif command["cmd"] == "protocol":
            curve = protocol_curves(contender, command["data"], command["epochs"], command["seed"])
            channel.write(json.dumps(curve) + "\n")
        else:
            return


def _round_batches(train: Callable[[int], Any], batch: int, most: int, seconds: float) -> int:
    """Batches per round: about ``seconds`` of training, at least min(5, ``most``) and at
    most ``most``.

    A round of a fixed size would take a slow engine minutes; one of a fixed duration
    keeps the run short and every round long enough to time.
    """
    probe = min(5, most)
    took = timed(lambda: train(probe * batch)) / probe
    return max(probe, min(most, math.ceil(seconds / max(took, 1e-9))))


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


class Worker:
    """The parent's end of a worker process."""

    def __init__(self, contender: Contender, spec: dict[str, Any]) -> None:
        self.contender = contender
        env = dict(os.environ)
        if contender.engine != PEAK:
            env.update(contender.timing.environment(contender.backend))
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        self._log: IO[str] = tempfile.TemporaryFile("w+")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.timing", "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=env,
        )
        self._send({"contender": contender.__dict__, "origin": _origin(contender), **spec})

    def _send(self, message: dict[str, Any]) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(message) + "\n")
        self._process.stdin.flush()

    def ask(self, message: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a command (None: just read) and return the reply."""
        if message is not None:
            self._send(message)
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self._log.seek(0)
            tail = " | ".join(self._log.read().strip().splitlines()[-5:])
            raise BenchError(f"timing worker {self.contender.label} stopped: {tail}")
        return dict(json.loads(line))

    def close(self) -> None:
        """Ask the worker to exit; kill it if it does not within 30 s."""
        if self._process.poll() is None:
            try:
                self._send({"cmd": "exit"})
                self._process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()
        self._log.close()
