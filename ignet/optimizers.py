"""Mini-batch gradient descent: plain SGD, Momentum and Nesterov (NAG).

With velocity v, learning rate lr and momentum mu, for each parameter w and its gradient g:

* ``sgd``:       w <- w - lr g
* ``momentum``:  v <- mu v - lr g;  w <- w + v
* ``nesterov``:  v <- mu v - lr g;  w <- w + mu v - lr g   (Sutskever's form of NAG)
"""

from __future__ import annotations

from ignet.backends.base import Array, Backend
from ignet.errors import IgNetError

OPTIMIZERS = ("sgd", "momentum", "nesterov")


class Optimizer:
    """Updates parameters in place from their gradients.

    Parameters
    ----------
    name : one of :data:`OPTIMIZERS`.
    learning_rate : lr > 0.
    momentum : mu in [0, 1), used by momentum and nesterov.
    """

    def __init__(self, name: str = "sgd", learning_rate: float = 0.01, momentum: float = 0.9):
        if name not in OPTIMIZERS:
            raise IgNetError(f"optimizer: unknown name {name!r}; choose from {OPTIMIZERS}")
        if not learning_rate > 0:
            raise IgNetError(f"learning_rate must be > 0, got {learning_rate!r}")
        if not 0 <= momentum < 1:
            raise IgNetError(f"momentum must be in [0, 1), got {momentum!r}")
        self.name = name
        self.learning_rate = float(learning_rate)
        self.momentum = float(momentum)
        self._velocity: dict[str, Array] = {}

    def reset(self) -> None:
        """Forget the velocities (a new training run)."""
        self._velocity.clear()

    def step(self, be: Backend, key: str, w: Array, g: Array) -> None:
        """Update parameter ``w`` (identified by ``key``) from its gradient ``g``."""
        lr, mu = self.learning_rate, self.momentum
        if self.name == "sgd":
            be.axpby(w, g, -lr, 1.0)
            return
        v = self._velocity.get(key)
        if v is None:
            v = self._velocity[key] = be.zeros(w.shape)
        be.axpby(v, g, -lr, mu)
        if self.name == "momentum":
            be.axpby(w, v, 1.0, 1.0)
        else:
            be.axpby(w, v, mu, 1.0)
            be.axpby(w, g, -lr, 1.0)

    def step_product(
        self,
        be: Backend,
        key: str,
        w: Array,
        w2: Array,
        factors: tuple[Array, Array, bool, bool],
    ) -> None:
        """Update ``w`` from a gradient given as the product ``op(a) @ op(b)``.

        ``w2`` is a 2-D view of ``w`` with the product's shape and ``factors`` is
        ``(a, b, trans_a, trans_b)``. SGD and Momentum fold the update into the product
        (:meth:`~ignet.backends.base.Backend.gemm_update`); Nesterov needs the gradient
        twice and forms it first.
        """
        a, b, trans_a, trans_b = factors
        lr, mu = self.learning_rate, self.momentum
        if self.name == "sgd":
            be.gemm_update(w2, a, b, -lr, 1.0, trans_a, trans_b)
        elif self.name == "momentum":
            v = self._velocity.get(key)
            if v is None:
                v = self._velocity[key] = be.zeros(w.shape)
            be.gemm_update(be.reshape(v, w2.shape), a, b, -lr, mu, trans_a, trans_b)
            be.axpby(w, v, 1.0, 1.0)
        else:
            self.step(be, key, w, be.reshape(be.matmul(a, b, trans_a, trans_b), w.shape))
