"""Orchestration of the benchmark suite: data, protocols, runs, timing and the CLI.

This is the only package that knows both engines (``ignet`` and ``baseline_keras``).
"""

from bench.errors import BenchError

__all__ = ["BenchError"]
__version__ = "0.1.0"
