"""Layer shapes, the numpy back end's threads and shards, configuration errors.

Every back end's ops against references are in ``test_ops.py``.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from ignet_testing import naive_conv

from ignet import Conv, Dense, IgNetError, MaxPool, Network, Softmax, get_backend
from ignet.backends import numpy as numpy_backend
from ignet.backends.base import ConvGeometry


@pytest.mark.parametrize(
    ("threads", "parallel"), [(1, "blas"), (2, "blas"), (2, "shards"), (3, "shards")]
)
@pytest.mark.parametrize(
    ("stride", "padding", "input_padding"),
    [
        ((1, 1), (0, 0), (0, 0)),
        ((1, 1), (1, 1), (0, 0)),
        ((1, 1), (3, 0), (0, 0)),
        ((2, 1), (1, 2), (0, 0)),
        ((2, 2), (1, 0), (1, 2)),
    ],
)
def test_conv2d_matches_loops(rng, monkeypatch, threads, parallel, stride, padding, input_padding):
    # Every op is split into shards, however small.
    monkeypatch.setattr(numpy_backend, "_PARALLEL_MACS", 0)
    be = get_backend("numpy", dtype="float64", threads=threads, parallel=parallel)
    x = rng.normal(size=(5, 3, 7, 6))
    w = rng.normal(size=(4, 3, 3, 2))
    geom = ConvGeometry((3, 7, 6), 4, (3, 2), stride, padding, input_padding)
    y, saved = be.conv2d(x, w, geom)
    expected = naive_conv(x, w, stride, padding, input_padding)
    assert y.shape == (5, *geom.out_shape) == expected.shape
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    # The backward ops are the adjoints of the forward op: <dy, conv(x, w)> is linear
    # in x and in w.
    dy = rng.normal(size=y.shape)
    dx = be.conv2d_grad_input(dy, w, geom)
    dw = be.conv2d_grad_weight(dy, saved, geom)
    np.testing.assert_allclose(np.sum(dx * x), np.sum(dy * y), rtol=1e-10)
    np.testing.assert_allclose(np.sum(dw * w), np.sum(dy * y), rtol=1e-10)
    be.close()


@pytest.mark.parametrize("parallel", ["blas", "shards"])
def test_matmul_and_update_in_parallel(rng, monkeypatch, parallel):
    monkeypatch.setattr(numpy_backend, "_PARALLEL_MACS", 0)
    be = get_backend("numpy", dtype="float64", threads=2, parallel=parallel)
    # An absolute tolerance too: a sum of 300 products that nearly cancels differs in its
    # last bits between two GEMM kernels (OPENBLAS_NUM_THREADS=1 picks another).
    a, b = rng.normal(size=(40, 300)), rng.normal(size=(500, 300))
    np.testing.assert_allclose(be.matmul(a, b, trans_b=True), a @ b.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(be.matmul(b, a, trans_b=True), b @ a.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(be.matmul(a, a, trans_a=True), a.T @ a, rtol=1e-12, atol=1e-12)
    # The products above are cut in rows; these in the inner dimension and in columns.
    c, e = rng.normal(size=(20, 600)), rng.normal(size=(20, 10))
    np.testing.assert_allclose(
        be.matmul(c, c[:10], trans_b=True), c @ c[:10].T, rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(be.matmul(e, c, trans_a=True), e.T @ c, rtol=1e-12, atol=1e-12)
    y, x = rng.normal(size=(300, 400)), rng.normal(size=(300, 400))
    expected = -0.3 * x + 0.9 * y
    be.axpby(y, x, -0.3, 0.9)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(IgNetError, match="parallel"):
        get_backend("numpy", parallel="gpu")


def test_layer_output_shapes(backend_name):
    net = Network(
        [
            Conv(4, 5, stride=2),
            MaxPool(2),
            Conv(3, 3, input_padding=1, padding=1),
            Dense((2, 5)),
            Softmax(),
        ],
        input_shape=(2, 58, 36),
        backend=backend_name,
    )
    shapes = [layer.out_shape for layer in net.layers]
    assert shapes == [(4, 27, 16), (4, 13, 8), (3, 25, 15), (1, 2, 5), (1, 2, 5)]
    assert net.output_shape == (2, 5)
    probs = net.predict(np.random.default_rng(0).random((3, 2, 58, 36)))
    assert probs.shape == (3, 2, 5)
    np.testing.assert_allclose(probs.sum(axis=(1, 2)), 1, rtol=1e-5)


def test_dense_vector_output_and_one_channel_input(rng):
    net = Network([Dense(3)], input_shape=(4, 5), random_state=0)
    assert net.input_shape == (1, 4, 5)
    assert net.predict(rng.random((6, 4, 5))).shape == (6, 3)


def test_eq3_initial_ranges():
    conv, dense = Conv(50, (4, 5), w_range=2.0, b_range=0.3), Dense(40, w_range=6.0)
    Network([conv, dense], input_shape=(3, 10, 12), random_state=0)
    w, b = conv.params["W"], conv.params["b"]
    assert np.abs(w).max() <= 2.0 / 20 and np.abs(w).max() > 0.9 * 2.0 / 20
    assert np.abs(b).max() <= 0.3 and np.abs(b).max() > 0.2
    assert abs(w.mean()) < 0.01
    fan = conv.out_shape[1] * conv.out_shape[2]
    assert np.abs(dense.params["W"]).max() <= 6.0 / fan
    assert conv.params["W"].dtype == np.float32


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Conv(0, 3), "filters"),
        (lambda: Conv(2, (3, 0)), "kernel"),
        (lambda: Conv(2, 3, stride=0), "stride"),
        (lambda: Conv(2, 3, padding=-1), "padding"),
        (lambda: Conv(2, 3, input_padding="x"), "input_padding"),
        (lambda: Conv(2, 3, activation="swish"), "activation"),
        (lambda: Dense(3, dropout=1.0), "dropout"),
        (lambda: Dense(3, dropconnect=-0.1), "dropconnect"),
        (lambda: Dense(3, freezeconnect="a"), "freezeconnect"),
        (lambda: Dense(3, w_range=-1), "w_range"),
        (lambda: Dense(0), "units"),
        (lambda: MaxPool(0), "size"),
        (lambda: Network([Dense(2)], loss="hinge"), "loss"),
        (lambda: Network([Dense(2)], optimizer="adam"), "optimizer"),
        (lambda: Network([Dense(2)], batch_size=0), "batch_size"),
        (lambda: Network([Dense(2)], backend="cuda"), "backend"),
        (lambda: Network([Dense(2)], threads=0), "threads"),
        (lambda: Network([Dense(2)], dtype="float16"), "dtype"),
        (lambda: Network([Conv(2, 7)], input_shape=(5, 5)), "kernel"),
    ],
)
def test_bad_configuration_names_the_field(make, field):
    with pytest.raises(IgNetError, match=field):
        make()


def test_bad_arrays_name_the_field(rng):
    net = Network([Conv(2, 3), Dense(2)], input_shape=(1, 6, 6))
    with pytest.raises(IgNetError, match="X"):
        net.predict(rng.random((3, 6, 7)))
    with pytest.raises(IgNetError, match="X"):
        net.predict(rng.random((3, 36)))
    with pytest.raises(IgNetError, match="y"):
        net.fit(rng.random((3, 6, 6)), rng.random((4, 2)), epochs=1)
    with pytest.raises(IgNetError, match="y"):
        net.fit(rng.random((3, 6, 6)), rng.random((3, 3)), epochs=1)
    bad = rng.random((3, 6, 6))
    bad[0, 0, 0] = np.nan
    with pytest.raises(IgNetError, match="X"):
        net.fit(bad, rng.random((3, 2)), epochs=1)


@pytest.mark.parametrize(("trans_a", "trans_b"), [(False, False), (True, False), (False, True)])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("blas", ["cblas", "scipy"])
def test_gemm_update_folds_an_update_into_the_product(
    rng, monkeypatch, trans_a, trans_b, threads, blas
):
    monkeypatch.setattr(numpy_backend, "_PARALLEL_MACS", 0)
    if blas == "scipy":
        monkeypatch.setattr(numpy_backend.cblas, "gemm", lambda dtype: None)
    be = get_backend("numpy", dtype="float64", threads=threads)
    # A column-major a, and a b that is contiguous in neither order, as the layers pass them.
    a = np.asfortranarray(rng.normal(size=(5, 7))) if trans_a else rng.normal(size=(7, 5))
    b = rng.normal(size=(11, 8))[:, :5] if trans_b else rng.normal(size=(5, 11))
    op_a, op_b = (a.T if trans_a else a), (b.T if trans_b else b)
    y = rng.normal(size=(7, 11))
    expected = 0.7 * y - 0.3 * op_a @ op_b
    be.gemm_update(y, a, b, -0.3, 0.7, trans_a, trans_b)
    # Read as every back end's arrays are read: on two threads the update may still run.
    np.testing.assert_allclose(be.to_host(y), expected, rtol=1e-12)
    be.close()


def test_chooser_runs_each_op_the_faster_way_and_keeps_checking():
    chooser = numpy_backend._Chooser()
    key = ("op", 1)

    def run(shards_seconds: float, single_seconds: float, calls: int) -> list[bool]:
        picks = []
        for _ in range(calls):
            shards = chooser.choose(key)
            chooser.record(key, shards, shards_seconds if shards else single_seconds)
            picks.append(shards)
        return picks

    # Shards and one thread by turns (the first call, in shards, is not timed).
    assert run(2.0, 1.0, chooser.WARM) == [True, False] * (chooser.WARM // 2)
    # Another process holds a core: shards are slower, so one thread, with shards again
    # on an exploring call, the first EXPLORE calls in; each that finds shards slower
    # again doubles the wait before the next, up to PATIENCE calls.
    picks = run(2.0, 1.0, 3 * chooser.PATIENCE)
    explored = [chooser.WARM + i for i, shards in enumerate(picks) if shards]
    waits = np.diff(explored).tolist()
    assert explored[0] == chooser.EXPLORE - 1
    assert waits[:3] == [2 * chooser.EXPLORE, 4 * chooser.EXPLORE, 8 * chooser.EXPLORE]
    assert max(waits) == chooser.PATIENCE
    # Shards slightly faster are not worth their risk: still one thread.
    picks = run(0.9, 1.0, 2 * chooser.PATIENCE)
    assert picks.count(True) <= 2
    # The core is free again: the next exploring call finds shards faster and they take
    # over, one thread now being the way explored, from EXPLORE calls on.
    picks = run(0.5, 1.0, 2 * chooser.PATIENCE)
    switch = picks.index(True)
    assert switch < chooser.PATIENCE
    singles = [i - switch for i, shards in enumerate(picks) if not shards and i > switch]
    assert singles[:2] == [chooser.EXPLORE, 3 * chooser.EXPLORE]


def test_a_failing_shard_raises_and_leaves_the_workers_ready(monkeypatch):
    monkeypatch.setattr(numpy_backend, "_PARALLEL_MACS", 0)
    be = get_backend("numpy", threads=2)

    def work(start: int, stop: int) -> int:
        if start == 5:
            raise ValueError(f"shard from {start} failed")
        return stop - start

    with pytest.raises(ValueError, match="shard from 5"):
        be._split(10, work, macs=1)
    # Two shards per thread, in order, whichever thread ran each.
    assert be._split(10, lambda a, b: b - a, macs=1) == [2, 3, 2, 3]
    be.close()
    one = get_backend("numpy", threads=1)
    assert one._split(10, lambda a, b: b - a, macs=1) == [10]
    assert one._workers is None


def test_a_busy_worker_never_holds_up_the_caller():
    workers = numpy_backend._Workers(1)
    started, release = threading.Event(), threading.Event()

    def occupy() -> str:
        started.set()
        release.wait(timeout=60)
        return "released"

    # The worker takes a piece that blocks, as when another process holds its core.
    busy = numpy_backend._Job([occupy], seats=2)
    workers._jobs.put(busy)
    assert started.wait(timeout=60)
    # The next op's pieces all run in the caller, which does not wait for the worker.
    done = workers.run([threading.get_ident] * 4)
    assert done == [threading.get_ident()] * 4
    assert not release.is_set()
    release.set()
    assert busy.finish() == ["released"]
    workers.close()


def test_an_update_in_flight_is_waited_for_by_every_op_that_touches_its_arrays(rng, monkeypatch):
    # On two threads a weight update runs on a worker (when its chooser says so: here
    # always); an op reading the weights, or the end of the scope, waits for it.
    monkeypatch.setattr(numpy_backend, "_PARALLEL_MACS", 0)
    monkeypatch.setattr(numpy_backend._Chooser, "choose", lambda self, key: True)
    be = get_backend("numpy", dtype="float64", threads=2)
    started, release = threading.Event(), threading.Event()
    w, x, dy = rng.normal(size=(40, 12)), rng.normal(size=(40, 8)), rng.normal(size=(8, 12))
    expected = w - 0.1 * x @ dy
    with be.scope():
        # Hold the worker so that the update is surely still pending below.
        be._pool().submit([lambda: (started.set(), release.wait(timeout=60))])
        assert started.wait(timeout=60)
        be.gemm_update(w, x, dy, -0.1, 1.0)
        assert be._pending
        z = rng.normal(size=(5, 5))
        other = be.matmul(z, z)  # touches none of the update's arrays: no wait
        assert be._pending and other.shape == (5, 5)
        release.set()
        np.testing.assert_allclose(be.matmul(w, dy.T), expected @ dy.T, rtol=1e-12)
        assert not be._pending
        # An op on an array the update reads waits too; with the worker held, the caller
        # runs the update itself.
        started.clear()
        release.clear()
        be._pool().submit([lambda: (started.set(), release.wait(timeout=60))])
        assert started.wait(timeout=60)
        be.gemm_update(w, x, dy, -0.1, 1.0)
        be.scale(x, 1.0)
        assert not be._pending
        release.set()
        expected = expected - 0.1 * x @ dy
        be.gemm_update(w, x, dy, -0.1, 1.0)
    # Leaving the scope settles every update: the arrays can be read directly.
    assert not be._pending
    np.testing.assert_allclose(w, expected - 0.1 * x @ dy, rtol=1e-12)
    be.close()


def test_an_update_that_fails_on_the_worker_raises_at_the_next_op_that_waits(rng, monkeypatch):
    monkeypatch.setattr(numpy_backend, "_PARALLEL_MACS", 0)
    monkeypatch.setattr(numpy_backend._Chooser, "choose", lambda self, key: True)

    def failing(alpha, a, b, beta, c):
        raise ValueError("gemm failed")

    monkeypatch.setattr(numpy_backend.cblas, "gemm", lambda dtype: failing)
    be = get_backend("numpy", dtype="float64", threads=2)
    w, x, dy = rng.normal(size=(6, 4)), rng.normal(size=(6, 3)), rng.normal(size=(3, 4))
    be.gemm_update(w, x, dy, -0.1, 1.0)
    with pytest.raises(ValueError, match="gemm failed"):
        be.to_host(w)
    assert not be._pending
    np.testing.assert_allclose(be.matmul(x.T, x), x.T @ x, rtol=1e-12)
    be.close()


def test_each_thread_claims_its_own_pieces_first():
    # Four pieces dealt to two seats in runs: the caller owns 0 and 1, the worker 2 and
    # 3, so each runs the same part of a layer in every op; a free thread then takes
    # the others' pieces from the far end.
    job = numpy_backend._Job([int] * 4, seats=2)
    assert job._claim(1) == 2
    assert job._claim(0) == 0
    assert job._claim(0) == 1
    assert job._claim(0) == 3
    assert job._claim(1) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cblas_gemm_found_in_the_openblas_numpy_loaded(rng, dtype):
    from threadpoolctl import threadpool_info

    from ignet.backends import cblas

    if not any(lib.get("internal_api") == "openblas" for lib in threadpool_info()):
        pytest.skip("numpy and scipy use no OpenBLAS here")
    gemm = cblas.gemm(np.dtype(dtype))
    assert gemm is not None
    a, b = rng.normal(size=(6, 4)).astype(dtype), rng.normal(size=(9, 5)).astype(dtype)[:4]
    c = rng.normal(size=(6, 5)).astype(dtype)
    expected = 2.0 * a @ b - 0.5 * c
    gemm(2.0, a, b, -0.5, c)
    np.testing.assert_allclose(c, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)
    # An operand strided both ways is copied; a wrong shape is refused.
    gemm(1.0, a[:, ::2], b[::2], 0.0, c)
    np.testing.assert_allclose(c, a[:, ::2] @ b[::2], rtol=1e-5 if dtype == np.float32 else 1e-12)
    with pytest.raises(ValueError, match="shapes"):
        gemm(1.0, a, b[:3], 0.0, c)
