"""dropout, dropconnect and freezeconnect, on every back end."""

from __future__ import annotations

import numpy as np

from ignet import Conv, Dense, Network


def one_step(backend_name, layer, X, y):
    """A network trained for one batch (the whole of X); returns it and W before."""
    net = Network(
        [Conv(2, 3, padding=1), layer],
        batch_size=len(X),
        learning_rate=0.5,
        backend=backend_name,
        random_state=1,
    )
    net.build(X.shape[1:])
    before = net.be.to_host(layer.params["W"])
    net.fit(X, y, epochs=1)
    return net, before


def test_dropconnect_masked_weights_take_no_part(backend_name, rng):
    X, y = rng.random((8, 1, 5, 5)), rng.random((8, 6))
    layer = Dense(6, dropconnect=0.5)
    net, before = one_step(backend_name, layer, X, y)
    be = net.be
    dropped = be.to_host(layer._masks["dropconnect"]) == 0
    assert 0 < dropped.mean() < 1
    after = be.to_host(layer.params["W"])
    # not learnt ...
    np.testing.assert_array_equal(after[dropped], before[dropped])
    assert np.all(after[~dropped] != before[~dropped])
    # ... and no contribution to the forward pass under the same mask
    x = net.layers[0].forward(be.asarray(X), training=False)
    out = be.to_host(layer.forward(x, training=True))
    layer.params["W"] = be.asarray(np.where(dropped, 1e6, after))
    np.testing.assert_array_equal(be.to_host(layer.forward(x, training=True)), out)
    assert not np.array_equal(be.to_host(layer.forward(x, training=False)), out)


def test_freezeconnect_masked_weights_count_but_do_not_learn(backend_name, rng):
    X, y = rng.random((8, 1, 5, 5)), rng.random((8, 6))
    layer = Dense(6, freezeconnect=0.5)
    net, before = one_step(backend_name, layer, X, y)
    be = net.be
    frozen = be.to_host(layer._masks["freezeconnect"]) == 0
    assert 0 < frozen.mean() < 1
    after = be.to_host(layer.params["W"])
    np.testing.assert_array_equal(after[frozen], before[frozen])
    assert np.all(after[~frozen] != before[~frozen])
    x = net.layers[0].forward(be.asarray(X), training=False)
    out = be.to_host(layer.forward(x, training=True))
    layer.params["W"] = be.asarray(np.where(frozen, after + 1, after))
    assert not np.allclose(be.to_host(layer.forward(x, training=True)), out)


def test_dropout_only_while_training(backend_name, rng):
    X, y = rng.random((16, 1, 6, 6)), rng.random((16, 4))
    net = Network(
        [Conv(3, 3, dropout=0.5), Dense(4)], backend=backend_name, random_state=0, batch_size=16
    )
    net.fit(X, y, epochs=2)
    first, second = net.predict(X), net.predict(X)
    np.testing.assert_array_equal(first, second)
    plain = Network([Conv(3, 3), Dense(4)], backend=backend_name, input_shape=(1, 6, 6))
    plain.set_parameters([p for _, p in net.parameters()])
    np.testing.assert_allclose(first, plain.predict(X), rtol=1e-6)
    # while training, about half the conv neurons are zero and the rest are scaled up
    conv, be = net.layers[0], net.be
    conv.draw_masks(np.random.default_rng(0), 16)
    x = be.asarray(X)
    trained = be.to_host(conv.forward(x, training=True))
    inferred = be.to_host(conv.forward(x, training=False))
    zero = trained == 0
    assert 0.3 < zero.mean() < 0.7
    np.testing.assert_allclose(trained[~zero], 2 * inferred[~zero], rtol=1e-6)


def test_masks_are_redrawn_per_batch(backend_name, rng):
    X, y = rng.random((64, 1, 4, 4)), rng.random((64, 3))
    layer = Dense(3, dropconnect=0.5)
    net = Network([layer], backend=backend_name, random_state=0, batch_size=32)
    net.build(X.shape[1:])
    seen = []
    original = layer.draw_masks

    def spy(*args):
        original(*args)
        seen.append(net.be.to_host(layer._masks["dropconnect"]))

    layer.draw_masks = spy
    net.fit(X, y, epochs=1)
    assert len(seen) == 2
    assert not np.array_equal(seen[0], seen[1])
