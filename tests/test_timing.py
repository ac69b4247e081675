"""The timing harness: structure and sanity of its numbers, never their speed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench import timing
from bench.cli import main
from bench.engines import get_timing
from bench.engines.keras import keras_equivalent, keras_flops_per_sample
from bench.engines.torch import torch_equivalent
from bench.errors import BenchError
from bench.results import JOB_FIELDS
from bench.timing import contenders, summary
from ignet import Network, preset
from ignet.errors import IgNetError

TINY = timing.TimingSettings(
    networks=("fig5",), default_batches=2, rounds=2, batch=8, peak_size=64, pause=0.0
)


def test_peak_is_positive():
    assert timing.peak_gflops(64, repeats=2) > 0


def test_peak_rejects_a_bad_size():
    with pytest.raises(BenchError, match="size"):
        timing.peak_gflops(0)


def test_settings_size_each_network():
    assert timing.FULL.batches_of("fig5") == 100
    assert timing.FULL.batches_of("ignet4") == timing.FULL.default_batches
    assert "fig7" in timing.FULL.networks and timing.FULL.protocol_epochs > 0
    assert timing.QUICK.protocol_epochs == 0


@pytest.mark.parametrize(
    ("losses", "expected"),
    [
        ([1.0, 0.9, 0.8], 3),  # fewer epochs than the cap: all of them
        ([1.0] + [2.0] * 12, 8),  # seven epochs without improvement after the first
        ([5.0 - i for i in range(15)], 10),  # still improving at the cap of 10
        ([1.0, 2.0, 0.5] + [0.6] * 6 + [0.1], 10),  # the wait restarts at each improvement
    ],
)
def test_stopping_rule_is_the_papers(losses, expected):
    assert timing.stopping_rule(losses) == expected


def test_protocol_ratios_time_both_rules_on_each_curve():
    epochs = range(1, 13)
    ignet = {"seconds": [0.1 * e for e in epochs], "val_accuracy": [0.2, 0.5] + [0.6] * 10,
             "val_loss": [3.0, 2.0] + [2.5] * 10}  # fmt: skip
    keras = {"seconds": [1.0 * e for e in epochs], "val_accuracy": [0.1] * 5 + [0.55] * 7,
             "val_loss": [3.0 - 0.1 * e for e in epochs]}  # fmt: skip
    row = timing.protocol_ratios({"ignet": ignet, "keras": keras})
    # The common score is the lower best (0.55); IgNet reaches it at epoch 3, Keras at 6.
    assert row["target_accuracy"] == 0.55
    assert (row["ignet"]["target_epoch"], row["keras"]["target_epoch"]) == (3, 6)
    assert row["target_ratio"] == pytest.approx(6.0 / 0.3)
    # IgNet stops after 7 epochs without a lower loss (epoch 9), Keras at the cap of 10.
    assert (row["ignet"]["stop_epoch"], row["keras"]["stop_epoch"]) == (9, 10)
    assert row["stop_ratio"] == pytest.approx(10.0 / 0.9)


def test_contenders_run_their_networks():
    keras, ours = timing.Contender("keras", "jax"), timing.Contender("ignet", "numpy", 2)
    assert keras.runs("fig2") and keras.runs("fig5")
    assert ours.runs("fig5") and not ours.runs("fig2")
    assert ours.label == "ignet/numpy x2" and keras.label == "keras/jax"
    assert timing.Contender("peak").runs("fig2")


def test_torch_equivalent_has_the_presets_parameters():
    pytest.importorskip("torch")
    for network in ("fig5", "fig7"):
        model = torch_equivalent(network, (1, 58, 36), 186)
        ours = Network(preset(network, (1, 58, 36), 186), loss="ce", input_shape=(1, 58, 36))
        sizes = [p.numel() for p in model.parameters()]
        assert sizes == [value.size for _, value in ours.parameters()]


@pytest.mark.parametrize(
    ("network", "shape"), [("fig5", (1, 58, 36)), ("fig5", (1, 8, 8)), ("ignet4", (1, 58, 36))]
)
def test_keras_flop_count_matches_ignet(network, shape):
    pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    model = keras_equivalent(network, shape, 186)
    net = Network(preset(network, shape, 186), loss="ce", input_shape=shape)
    assert keras_flops_per_sample(model) == net.flops_per_sample()
    assert keras_flops_per_sample(model, training=False) == net.flops_per_sample(False)


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    """A small stored split in the protocol timing's format: 8x8 digits, 4 classes."""
    from sklearn.datasets import load_digits

    X, y = load_digits(n_class=4, return_X_y=True)
    X = (X / 16.0).astype(np.float32).reshape(-1, 8, 8)
    path = tmp_path_factory.mktemp("protocol") / "split.npz"
    np.savez(path, X_train=X[:300], y_train=y[:300], X_val=X[300:400], y_val=y[300:400])
    return str(path)


def test_ignet_protocol_curve_times_every_epoch(split):
    curve = timing.protocol_curves(timing.Contender("ignet", "numpy", 1), split, epochs=3)
    assert len(curve["seconds"]) == len(curve["val_accuracy"]) == len(curve["val_loss"]) == 3
    assert 0 < curve["seconds"][0] < curve["seconds"][1] < curve["seconds"][2]
    assert all(0 <= a <= 1 for a in curve["val_accuracy"])


def test_keras_protocol_curve_times_the_fig2_cnn(tmp_path):
    pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    rng = np.random.default_rng(0)
    path = tmp_path / "drawings.npz"
    images = rng.random((48, 58, 36), dtype=np.float32)
    np.savez(path, X_train=images[:36], y_train=np.arange(36) % 3, X_val=images[36:],
             y_val=np.arange(12) % 3)  # fmt: skip
    curve = timing.protocol_curves(timing.Contender("keras", "tensorflow"), str(path), epochs=2)
    assert len(curve["seconds"]) == len(curve["val_loss"]) == 2
    assert 0 < curve["seconds"][0] < curve["seconds"][1]


def test_run_timing_records_every_measurement(tmp_path, monkeypatch):
    monkeypatch.setattr(contenders, "cores", lambda: 2)
    report = timing.run_timing(
        tmp_path, engines=("ignet",), backends=("numpy",), settings=TINY, progress=False
    )
    assert report.peak["status"] == "ok" and report.peak["gflops"]["median"] > 0
    # The peak is the faster of every core and one thread.
    assert set(report.peak["by_threads"]) == {"peak", "peak x1"}
    best = max(spread["median"] for spread in report.peak["by_threads"].values())
    assert report.peak["gflops"]["median"] == best
    (ours,) = [r for r in report.throughput if r["threads"] == 2]
    assert ours["status"] == "ok" and ours["network"] == "fig5"
    rates = ours["rounds_samples_per_s"]
    assert len(rates) == TINY.rounds and ours["samples_per_s"]["median"] == np.median(rates)
    assert ours["samples_per_s"]["min"] <= ours["samples_per_s"]["median"]
    net = Network(preset("fig5", (1, 58, 36), 186), loss="ce", input_shape=(1, 58, 36))
    assert ours["flops_per_sample"] == net.flops_per_sample()
    expected = ours["gflops"]["median"] / report.peak["gflops"]["median"]
    assert ours["fraction_of_peak"] == pytest.approx(expected)
    assert ours["device"] is None  # the CPU, through IgNet's own threads
    assert ours["samples_per_round"] == TINY.batch * TINY.default_batches
    (scaling,) = report.thread_scaling
    one = next(r for r in report.throughput if r["threads"] == 1)["rounds_samples_per_s"]
    np.testing.assert_allclose(scaling["ratios"], np.array(rates) / np.array(one))
    assert report.ratios == [] and report.protocol == []
    records = [json.loads(line) for line in (tmp_path / "results" / "timing.jsonl").open()]
    assert [r["measure"] for r in records] == ["peak", "throughput", "throughput",
                                               "thread_scaling"]  # fmt: skip
    for record in records:
        assert set(JOB_FIELDS) <= set(record)
        assert record["experiment"] == "timing" and record["profile"] == "custom"
        assert len(record["machine_load"]["before"]) == 3
    assert len({r["job_id"] for r in records}) == len(records)


def test_missing_engines_are_skipped_with_a_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(contenders, "cores", lambda: 2)
    monkeypatch.setattr(
        contenders, "missing", lambda c: "torch is not installed" if c.engine == "torch" else None
    )
    report = timing.run_timing(
        tmp_path, engines=("ignet", "torch"), backends=("numpy",), settings=TINY, progress=False
    )
    skipped = [r for r in report.throughput if r["status"] == "skipped"]
    assert {r["threads"] for r in skipped} == {1, 2}
    assert all(r["engine"] == "torch" and r["reason"] == "torch is not installed" for r in skipped)
    assert "skipped: torch is not installed" in timing.format_report(report)


def test_a_contender_off_the_cpu_is_named_and_not_put_against_its_peak(tmp_path):
    peak, cpu = timing.Contender("peak", threads=1), timing.Contender("ignet", "numpy", 1)
    gpu = timing.Contender("ignet", "opencl")
    settings = timing.TimingSettings(networks=("fig5",), rounds=2)
    seconds = {(c, "fig5"): [0.1, 0.2] for c in (peak, cpu, gpu)}
    flops = {c: {"fig5": 10**9} for c in (peak, cpu, gpu)}
    samples = {peak: {"fig5": 1}, cpu: {"fig5": 32}, gpu: {"fig5": 32}}
    device = {"name": "Some GPU", "type": "GPU", "platform": "Some Vendor"}
    report = summary.summarise(
        seconds, {key: [0.5, 0.5] for key in seconds}, flops, samples,
        {cpu: None, gpu: device}, {}, settings, {"cores": 2, "before": (0.5, 0.5, 0.5)},
        tmp_path,
    )  # fmt: skip
    rows = {r["backend"]: r for r in report.throughput}
    assert rows["numpy"]["fraction_of_peak"] == pytest.approx(32.0)
    assert rows["opencl"]["fraction_of_peak"] is None and rows["opencl"]["device"] == device
    text = timing.format_report(report)
    assert "ignet/opencl trained on Some GPU (GPU, Some Vendor); no % of the CPU's peak" in text
    assert "ignet/numpy trained on" not in text


def test_ignet_names_its_opencl_device():
    hooks = get_timing("ignet")
    assert hooks.device("numpy") is None
    pytest.importorskip("pyopencl")
    try:
        device = hooks.device("opencl")
    except IgNetError as error:  # pyopencl without a device
        pytest.skip(str(error))
    assert device["name"] and device["platform"]
    assert device["type"] in ("CPU", "GPU", "accelerator", "other")


def test_keras_times_on_the_cpu():
    env = get_timing("keras").environment("jax")
    assert env["KERAS_BACKEND"] == "jax"
    assert env["CUDA_VISIBLE_DEVICES"] == "" and env["JAX_PLATFORMS"] == "cpu"


def test_ratios_pair_interleaved_rounds(monkeypatch):
    monkeypatch.setattr(contenders, "cores", lambda: 2)
    ours, keras = timing.Contender("ignet", "numpy", 2), timing.Contender("keras", "jax")
    paper = timing.Contender("keras", "tensorflow")
    rates = {(ours, "fig5"): [10.0, 20.0, 30.0], (keras, "fig5"): [5.0, 5.0, 10.0],
             (paper, "fig5"): [10.0, 10.0, 10.0]}  # fmt: skip
    ratios, scaling = summary.ratios(rates, timing.TimingSettings(networks=("fig5",)))
    jax, tensorflow = ratios
    assert jax["ratios"] == [2.0, 4.0, 3.0] and jax["ratio"]["median"] == 3.0
    assert not jax["fastest_of_engine"] and not jax["paper_keras"] and scaling == []
    # The faster Keras back end, and the one the paper's numbers were measured on.
    assert tensorflow["fastest_of_engine"] and tensorflow["paper_keras"]


def test_every_thread_count_is_scaled_against_one_thread(monkeypatch):
    monkeypatch.setattr(contenders, "cores", lambda: 2)
    ours, one = timing.Contender("ignet", "numpy", 2), timing.Contender("ignet", "numpy", 1)
    four, keras = timing.Contender("ignet", "numpy", 4), timing.Contender("keras", "jax")
    rates = {(ours, "fig5"): [10.0, 20.0], (one, "fig5"): [10.0, 10.0],
             (four, "fig5"): [5.0, 30.0], (keras, "fig5"): [5.0, 5.0]}  # fmt: skip
    rows, scaling = summary.ratios(rates, timing.TimingSettings(networks=("fig5",)))
    # Other thread counts are thread scaling, not rivals.
    assert [r["against"] for r in rows] == ["keras/jax"]
    assert [(r["threads"], r["ratios"]) for r in scaling] == [(2, [1.0, 2.0]), (4, [0.5, 3.0])]
    assert timing.contenders.choose(["ignet"], ["numpy"], [4, 2, 4])[-1] == four


def test_timing_refuses_thread_counts_it_cannot_time(tmp_path, capsys):
    with pytest.raises(BenchError, match=r"threads: .*numpy back end"):
        timing.run_timing(tmp_path, engines=("ignet",), backends=("opencl",), threads=(4,))
    with pytest.raises(BenchError, match="threads must be a positive int, got 0"):
        timing.run_timing(tmp_path, engines=("ignet",), threads=(0,))
    with pytest.raises(SystemExit):
        main(["timing", "--threads", "0"])
    assert "--threads" in capsys.readouterr().err


def test_cli_timing_prints_the_tables(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(timing, "QUICK", TINY)
    args = ["timing", "--quick", "--out", str(tmp_path), "--engines", "ignet"]
    assert main([*args, "--backends", "numpy", "--threads", "3"]) == 0
    text = capsys.readouterr().out
    for part in ("GFLOP/s", "% peak", "load average", "samples/s", "protocol timing: left out",
                 "thread scaling (IgNet numpy), each over 1 thread"):  # fmt: skip
        assert part in text
    assert any(line.split()[:2] == ["fig5", "3"] for line in text.splitlines())
    records = [json.loads(line) for line in (tmp_path / "results" / "timing.jsonl").open()]
    scaling = [r for r in records if r["measure"] == "thread_scaling"]
    assert sorted(r["threads"] for r in scaling) == sorted({3, contenders.cores()} - {1})
    assert len({r["job_id"] for r in records}) == len(records)


def test_cli_timing_rejects_an_unknown_engine(capsys):
    with pytest.raises(SystemExit):
        main(["timing", "--engines", "mxnet"])
    assert "invalid choice" in capsys.readouterr().err


def test_run_timing_rejects_unknown_names(tmp_path):
    with pytest.raises(BenchError, match="engines"):
        timing.run_timing(tmp_path, engines=("mxnet",), settings=TINY)
    with pytest.raises(BenchError, match="backends"):
        timing.run_timing(tmp_path, backends=("cuda",), settings=TINY)
    with pytest.raises(BenchError, match="network"):
        timing.run_timing(tmp_path, settings=timing.TimingSettings(networks=("fig99",)))


def test_protocol_table_names_both_engines(tmp_path):
    epochs = range(1, 11)
    curve = {"seconds": [0.1 * e for e in epochs], "val_accuracy": [0.5] * 10,
             "val_loss": [1.0] * 10}  # fmt: skip
    slower = {**curve, "seconds": [1.0 * e for e in epochs]}
    row = {"against": "keras/tensorflow", "protocol_target": "age_category", "n_train": 30,
           "n_val": 10, "epoch_cap": 10, "majority_accuracy": 0.25,
           **timing.protocol_ratios({"ignet": curve, "keras": slower})}  # fmt: skip
    load = {"cores": 2, "before": [0.0, 0.0, 0.0]}
    peak = {"status": "ok", "gflops": None}
    report = timing.TimingReport(peak, [], [], [], [row], load, tmp_path, timing.FULL)
    text = timing.format_report(report)
    assert "IgNet fig5 (paper settings) against the Fig. 2 CNN on keras/tensorflow" in text
    assert "Keras / IgNet" in text and "stopping rule (10 passes, tolerance 7)" in text
    # Both stop after seven epochs without a lower loss: epoch 8, at ten times the seconds.
    assert "8 / 8" in text and "10.0x" in text


class _Replies:
    """A worker's stand-in that answers every command with one reply."""

    def __init__(self, reply):
        self.reply, self.asked = reply, []

    def ask(self, message=None):
        self.asked.append(message)
        return self.reply


def test_protocol_timing_meets_the_papers_and_the_fastest_rival(tmp_path, monkeypatch):
    from bench.timing import protocol

    monkeypatch.setattr(contenders, "cores", lambda: 2)
    info = {"majority_accuracy": 0.2, "data": "-", "n_train": 3, "n_val": 1, "n_classes": 2}
    monkeypatch.setattr(protocol, "_protocol_data", lambda out, target, seed: ("x.npz", info))
    curve = {"seconds": [1.0, 2.0], "val_accuracy": [0.3, 0.5], "val_loss": [1.0, 0.9]}
    slow = {**curve, "seconds": [4.0, 8.0]}
    ours = timing.Contender("ignet", "numpy", 2)
    tensorflow, jax = timing.Contender("keras", "tensorflow"), timing.Contender("keras", "jax")
    workers = {timing.Contender("peak"): _Replies(None), ours: _Replies(curve),
               tensorflow: _Replies(slow), jax: _Replies(slow),
               timing.Contender("torch", "-", 2): _Replies(None)}  # fmt: skip
    # jax trains the Fig. 2 CNN faster than TensorFlow: both are timed, the paper's and the fastest.
    seconds = {(tensorflow, "fig2"): [2.0, 2.0], (jax, "fig2"): [1.0, 1.0]}
    settings = timing.TimingSettings(protocol_epochs=2)
    rows = protocol.time_protocol(tmp_path, workers, seconds, settings, seed=0)
    assert [r["against"] for r in rows] == ["keras/jax", "keras/tensorflow"]
    assert all(r["stop_ratio"] == pytest.approx(4.0) for r in rows)
    assert rows[0]["ignet"]["stop_epoch"] == 2 and rows[0]["n_train"] == 3
    # Neither the peak probe nor PyTorch (no paper protocol) is asked for a curve.
    assert workers[timing.Contender("peak")].asked == []
    assert workers[ours].asked[0] == {"cmd": "protocol", "data": "x.npz", "epochs": 2, "seed": 0}
