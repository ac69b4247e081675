"""Orchestration of the benchmark suite: data, protocols, runs, timing and the CLI.

This is the only package that knows the engines (``ignet``, ``baseline_keras`` and the
baselines), and within it only :mod:`bench.engines` names them.
"""

from bench.errors import BenchError

__all__ = ["BenchError"]
__version__ = "0.1.0"
