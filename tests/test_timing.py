"""The timing harness: structure and sanity of its numbers, never their speed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench import timing
from bench.cli import main
from bench.errors import BenchError
from bench.results import JOB_FIELDS
from ignet import Network, preset

TINY = timing.TimingSettings(
    networks=("fig5",), peak_size=64, peak_repeats=2, batches=2, rounds=2, max_epochs=2
)
SMALL = {"batch": 8, "batches": 2, "rounds": 2}


def test_peak_is_positive():
    assert timing.peak_gflops(64, repeats=2) > 0


def test_peak_rejects_a_bad_size():
    with pytest.raises(BenchError, match="size"):
        timing.peak_gflops(0)


def test_ignet_throughput_is_consistent():
    result = timing.throughput("ignet", "fig5", "numpy", threads=1, peak=100.0, **SMALL)
    assert result["status"] == "ok"
    assert result["samples_per_s"] > 0
    assert result["median_samples_per_s"] <= result["samples_per_s"] * (1 + 1e-9)
    expected = result["samples_per_s"] * result["flops_per_sample"] / 1e9
    assert result["gflops"] == pytest.approx(expected)
    assert result["fraction_of_peak"] == pytest.approx(result["gflops"] / 100.0)
    assert len(result["seconds"]) == SMALL["rounds"]
    net = Network(preset("fig5", (1, 58, 36), 186), loss="ce", input_shape=(1, 58, 36))
    assert result["flops_per_sample"] == net.flops_per_sample()


@pytest.mark.parametrize(("engine", "field"), [("torch", "engine"), ("ignet", "backend")])
def test_throughput_rejects_unknown_names(engine, field):
    with pytest.raises(BenchError, match=field):
        timing.throughput(engine, backend="cuda")


def test_unavailable_opencl_is_skipped_with_a_reason(monkeypatch):
    monkeypatch.setattr(timing, "_opencl_backend", lambda: (None, "no OpenCL device found"))
    result = timing.throughput("ignet", backend="opencl", **SMALL)
    assert result["status"] == "skipped"
    assert result["reason"] == "no OpenCL device found"
    tta = timing.time_to_accuracy("ignet", "opencl", max_epochs=1)
    assert tta["status"] == "skipped" and tta["reason"]


def test_unavailable_keras_is_skipped_with_a_reason(monkeypatch):
    monkeypatch.setattr(timing, "_keras_missing", lambda: "Keras is not installed")
    result = timing.throughput("keras", **SMALL)
    assert result == {
        "engine": "keras",
        "backend": "tensorflow",
        "network": "fig5",
        "status": "skipped",
        "reason": "Keras is not installed",
    }


@pytest.mark.parametrize(
    ("network", "shape"), [("fig5", (1, 58, 36)), ("fig5", (1, 8, 8)), ("ignet4", (1, 58, 36))]
)
def test_keras_flop_count_matches_ignet(network, shape):
    pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    model = timing.keras_equivalent(network, shape, 186)
    net = Network(preset(network, shape, 186), loss="ce", input_shape=shape)
    assert timing.keras_flops_per_sample(model) == net.flops_per_sample()
    assert timing.keras_flops_per_sample(model, training=False) == net.flops_per_sample(False)


def test_keras_throughput_is_consistent():
    pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    result = timing.throughput("keras", "fig5", **SMALL)
    assert result["status"] == "ok"
    assert result["backend"] == "tensorflow"
    assert result["samples_per_s"] > 0
    expected = result["samples_per_s"] * result["flops_per_sample"] / 1e9
    assert result["gflops"] == pytest.approx(expected)
    assert result["fraction_of_peak"] is None


def test_time_to_accuracy_on_digits():
    reached = timing.time_to_accuracy("ignet", target=0.5, max_epochs=10)
    assert reached["status"] == "ok"
    assert reached["seconds"] > 0 and 1 <= reached["epochs"] <= 10
    assert reached["best_val_accuracy"] >= 0.5
    never = timing.time_to_accuracy("ignet", target=1.0, max_epochs=1)
    assert never["seconds"] is None and never["epochs"] is None
    assert 0 <= never["best_val_accuracy"] < 1


def test_thread_scaling_reports_both_rates():
    result = timing.thread_scaling(threads=2, **SMALL)
    assert result["threads"] == 2
    assert result["samples_per_s_1"] > 0 and result["samples_per_s_n"] > 0
    assert result["speedup"] == pytest.approx(result["samples_per_s_n"] / result["samples_per_s_1"])


def test_cli_timing_writes_records_and_prints_a_table(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(timing, "QUICK", TINY)
    monkeypatch.setattr(timing, "_opencl_backend", lambda: (None, "no OpenCL device found"))
    args = ["timing", "--quick", "--out", str(tmp_path), "--engines", "ignet"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "GFLOP/s" in text and "% peak" in text
    assert "skipped: no OpenCL device found" in text
    assert "time to 90% validation accuracy" in text
    assert "speed-up" in text
    lines = (tmp_path / "results" / "timing.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    measures = [(r["measure"], r["backend"]) for r in records]
    assert measures == [
        ("throughput", "numpy"),
        ("throughput", "opencl"),
        ("time_to_accuracy", "numpy"),
        ("time_to_accuracy", "opencl"),
        ("thread_scaling", "numpy"),
    ]
    for record in records:
        assert set(JOB_FIELDS) <= set(record)
        assert record["experiment"] == "timing" and record["profile"] == "quick"
        assert record["peak_gflops"] > 0
    assert len({r["job_id"] for r in records}) == len(records)
    assert np.isfinite(records[0]["gflops"])


def test_cli_timing_rejects_an_unknown_engine(capsys):
    with pytest.raises(SystemExit):
        main(["timing", "--engines", "torch"])
    assert "invalid choice" in capsys.readouterr().err
