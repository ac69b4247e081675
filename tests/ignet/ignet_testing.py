"""Reference implementations and gradient checks for the IgNet engine tests."""

from __future__ import annotations

import numpy as np

from ignet import Network


def naive_conv(x, w, stride, padding, input_padding):
    """Reference cross-correlation with explicit loops (float64)."""
    n, c, h, wd = x.shape
    f, _, v, hk = w.shape
    (sv, sh), (pv, ph), (iv, ih) = stride, padding, input_padding
    dil = np.zeros((n, c, (h - 1) * (iv + 1) + 1, (wd - 1) * (ih + 1) + 1))
    dil[:, :, :: iv + 1, :: ih + 1] = x
    xp = np.pad(dil, ((0, 0), (0, 0), (pv, pv), (ph, ph)))
    ho = (xp.shape[2] - v) // sv + 1
    wo = (xp.shape[3] - hk) // sh + 1
    out = np.zeros((n, f, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * sv : i * sv + v, j * sh : j * sh + hk]
            out[:, :, i, j] = np.einsum("ncvh,fcvh->nf", patch, w)
    return out


def numeric_gradients(net: Network, X, y, eps: float = 1e-6) -> list[np.ndarray]:
    """Central finite differences of the loss for every parameter."""
    values = [p for _, p in net.parameters()]
    result = []
    for k, p in enumerate(values):
        grad = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            for sign in (1.0, -1.0):
                q = p.copy()
                q[idx] += sign * eps
                net.set_parameters([*values[:k], q, *values[k + 1 :]])
                grad[idx] += sign * net.gradients(X, y)[0] / (2 * eps)
        result.append(grad)
    net.set_parameters(values)
    return result


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(np.abs(a).max(), np.abs(b).max(), 1e-12))
