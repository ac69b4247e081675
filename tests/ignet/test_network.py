"""Training loop, history, callbacks, divergence, storage and determinism.

The tests with a ``backend_name`` argument run on every back end of ``BACKENDS``.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from ignet import (
    Conv,
    Dense,
    DivergenceError,
    EarlyStopping,
    IgNetError,
    Network,
    Softmax,
    get_backend,
    preset,
)


def blobs(rng, n=96, k=3):
    """Images whose class sets which quadrant is bright."""
    labels = rng.integers(0, k, n)
    X = rng.random((n, 1, 8, 8)) * 0.3
    for i, c in enumerate(labels):
        X[i, 0, (c // 2) * 4 : (c // 2) * 4 + 4, (c % 2) * 4 : (c % 2) * 4 + 4] += 0.7
    return X, np.eye(k)[labels]


def classifier(**kwargs):
    return Network(
        [Conv(4, 3, padding=1), Dense(3), Softmax()],
        loss="ce",
        learning_rate=0.1,
        random_state=0,
        **kwargs,
    )


def test_fit_learns_and_records_history(backend_name, rng):
    X, y = blobs(rng)
    Xv, yv = blobs(rng, 40)
    net = classifier(optimizer="momentum", backend=backend_name)
    history = net.fit(X, y, epochs=6, validation_data=(Xv, yv), test_data=(Xv[:20], yv[:20]))
    assert set(history) == {
        "loss",
        "accuracy",
        "test_loss",
        "test_accuracy",
        "val_loss",
        "val_accuracy",
        "seconds",
    }
    assert all(len(v) == 6 for v in history.values())
    assert history["loss"][-1] < history["loss"][0]
    assert history["val_accuracy"][-1] > 0.9
    assert net.evaluate(Xv, yv)["accuracy"] == pytest.approx(history["val_accuracy"][-1])


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov"])
def test_optimizers_reduce_the_loss(backend_name, rng, optimizer):
    X, y = blobs(rng)
    net = classifier(optimizer=optimizer, backend=backend_name)
    net.build(X.shape[1:])
    start = net.evaluate(X, y)["loss"]
    net.fit(X, y, epochs=3)
    assert net.evaluate(X, y)["loss"] < start


def test_regression_history_has_mape(backend_name, rng):
    X = rng.random((64, 1, 5, 5))
    y = X.sum(axis=(1, 2, 3))[:, None] + 1
    net = Network([Conv(2, 3), Dense(1)], loss="mae", learning_rate=0.01, backend=backend_name,
                  random_state=0)  # fmt: skip
    history = net.fit(X, y, epochs=3, validation_data=(X, y))
    assert {"mape", "val_mape"} <= set(history)
    pred = net.predict(X)
    expected = 100 * np.mean(np.abs(pred - y) / np.abs(y))
    assert history["val_mape"][-1] == pytest.approx(expected, rel=1e-4)


class Scripted(EarlyStopping):
    """EarlyStopping fed a made-up validation curve."""

    def __init__(self, curve, **kwargs):
        super().__init__(monitor="val_loss", **kwargs)
        self.curve = curve

    def on_epoch_end(self, net, epoch, logs):
        logs = {**logs, "val_loss": self.curve[epoch]}
        super().on_epoch_end(net, epoch, logs)


def test_early_stopping_tolerance_and_restore(rng):
    X, y = blobs(rng, 32)
    net = classifier()
    snapshots = []

    class Keep(EarlyStopping):
        def on_epoch_end(self, net, epoch, logs):
            snapshots.append(net.parameters())

    curve = [5, 4, 3, 3.5, 3.2, 3.1, 4, 9, 9, 9, 9, 9]
    stop = Scripted(curve, tolerance=3)
    history = net.fit(X, y, epochs=12, callbacks=[Keep(), stop])
    assert len(history["loss"]) == 6  # best at epoch 3, then 3 epochs without improvement
    assert stop.best_epoch_ == 2 and stop.stopped_epoch_ == 5
    for (_, a), (_, b) in zip(net.parameters(), snapshots[2], strict=True):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_default_tolerance_and_bad_monitor(rng):
    assert EarlyStopping().tolerance == 7
    X, y = blobs(rng, 32)
    with pytest.raises(IgNetError, match="monitor"):
        classifier().fit(X, y, epochs=2, callbacks=[EarlyStopping("val_accuracy")])


def test_divergence_names_epoch_and_layer(backend_name, rng):
    X = rng.random((64, 1, 6, 6)) * 100
    y = rng.random((64, 2)) * 100
    net = Network(
        [Conv(3, 3, w_range=50), Dense(2, w_range=50)],
        learning_rate=10.0,
        backend=backend_name,
        random_state=0,
    )
    with pytest.raises(DivergenceError, match=r"epoch \d+.*layer \d+ \((conv|dense)\)"):
        net.fit(X, y, epochs=50)
    params = [p for _, p in net.parameters()]
    params[2][0, 0] = np.nan
    net.set_parameters(params)
    with pytest.raises(DivergenceError, match=r"parameter W of layer 1 \(dense\)"):
        net.predict(X)


def test_save_and_load_round_trip(backend_name, rng, tmp_path):
    X, y = blobs(rng, 40)
    net = Network(
        [
            Conv(
                3,
                (3, 2),
                stride=2,
                padding=1,
                input_padding=1,
                activation="tanh",
                learn_bias=False,
                freezeconnect=0.2,
            ),
            Dense((1, 3), bias=False),
            Softmax(),
        ],
        loss="ce",
        optimizer="nesterov",
        backend=backend_name,
        random_state=5,
    )
    net.fit(X, y.reshape(40, 1, 3), epochs=2)
    path = tmp_path / "net.npz"
    net.save(path)
    loaded = Network.load(path)
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))
    assert loaded.get_config() == net.get_config()
    assert loaded.history_ == net.history_
    with pytest.raises(IgNetError, match="path"):
        Network.load(tmp_path / "missing.npz")


def train_weights(X, y, threads, parallel="blas"):
    net = Network(
        [Conv(4, 3, padding=1, dropout=0.2, freezeconnect=0.3), Dense(3), Softmax()],
        loss="ce",
        optimizer="momentum",
        random_state=11,
        backend=get_backend("numpy", threads=threads, parallel=parallel),
    )
    net.fit(X, y, epochs=2)
    return [p for _, p in net.parameters()]


def test_same_seed_one_thread_is_bitwise_identical(rng):
    X, y = blobs(rng)
    first, second = train_weights(X, y, 1), train_weights(X, y, 1)
    for a, b in zip(first, second, strict=True):
        assert a.tobytes() == b.tobytes()
    for parallel in ("blas", "shards"):
        for a, b in zip(first, train_weights(X, y, 2, parallel), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_other_seed_other_weights():
    a = Network([Dense(3)], random_state=1, input_shape=(8, 8)).parameters()[0][1]
    b = Network([Dense(3)], random_state=2, input_shape=(8, 8)).parameters()[0][1]
    assert not np.array_equal(a, b)


def test_flops_per_sample():
    net = Network([Conv(8, 5, stride=2), Dense(186), Softmax()], input_shape=(1, 58, 36))
    conv = 8 * 27 * 16 * 25
    dense = 186 * 8 * 27 * 16
    assert net.flops_per_sample(training=False) == 2 * (conv + dense)
    assert net.flops_per_sample() == 2 * (2 * conv + 3 * dense)


def test_engine_is_standalone():
    code = (
        "import sys, ignet, ignet.backends.numpy; "
        "bad = [m for m in ('bench', 'baseline_keras', 'reports', 'keras', 'tensorflow') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov"])
@pytest.mark.parametrize("threads", [1, 2])
def test_folded_dense_update_equals_the_plain_update(rng, monkeypatch, optimizer, threads):
    """A training step folds the dense layer's update into its weight-gradient GEMM: the
    weights must come out as the optimizer's formulas give them from gradients()."""
    from ignet.backends import numpy as numpy_backend

    monkeypatch.setattr(numpy_backend, "_PARALLEL_MACS", 0)
    X, y = rng.random((16, 1, 6, 5)), np.eye(3)[rng.integers(0, 3, 16)]
    net = Network(
        [Conv(2, 3, learn_bias=False), Dense(3), Softmax()],
        loss="ce",
        optimizer=optimizer,
        learning_rate=0.1,
        momentum=0.5,
        batch_size=16,
        dtype="float64",
        threads=threads,
        random_state=0,
        input_shape=(1, 6, 5),
    )
    w = [p for _, p in net.parameters()]
    velocity = [np.zeros_like(p) for p in w]
    learns = [True, False, True, True]  # conv W, its fixed bias, dense W and b
    for _ in range(2):
        _, grads = net.gradients(X, y)
        for k, (g, learn) in enumerate(zip(grads, learns, strict=True)):
            if not learn:
                continue
            if optimizer == "sgd":
                w[k] = w[k] - 0.1 * g
            else:
                velocity[k] = 0.5 * velocity[k] - 0.1 * g
                w[k] = w[k] + (
                    velocity[k] if optimizer == "momentum" else 0.5 * velocity[k] - 0.1 * g
                )
        net.fit(X, y, epochs=1, shuffle=False)
        for (name, got), want in zip(net.parameters(), w, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=name)


def test_train_on_batch_is_one_step_of_fit(backend_name, rng):
    X, y = rng.random((8, 1, 6, 5)), np.eye(3)[rng.integers(0, 3, 8)]

    def network():
        layers = [Conv(2, 3, freezeconnect=0.5), Dense(3), Softmax()]
        return Network(layers, loss="ce", optimizer="momentum", batch_size=8, random_state=1,
                       backend=backend_name, input_shape=(1, 6, 5))  # fmt: skip

    stepped, fitted = network(), network()
    losses = [stepped.train_on_batch(X, y) for _ in range(3)]
    for _ in range(3):
        fitted.fit(X, y, epochs=1, shuffle=False)
    for (name, a), (_, b) in zip(stepped.parameters(), fitted.parameters(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert losses[-1] < losses[0]
    with pytest.raises(IgNetError, match="y"):
        stepped.train_on_batch(X, y[:4])


def test_fig5_learns_the_digits(backend_name):
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = (digits.images / 16).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[digits.target]
    order = np.random.default_rng(0).permutation(len(X))
    train, test = order[:1400], order[1400:]
    net = Network(preset("fig5", (8, 8), 10), loss="ce", learning_rate=0.05,
                  backend=backend_name, random_state=0)  # fmt: skip
    net.fit(X[train], y[train], epochs=4)
    assert net.evaluate(X[test], y[test])["accuracy"] > 0.8
