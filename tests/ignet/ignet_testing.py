"""Reference implementations, gradient checks and back-end choice for the IgNet tests."""

from __future__ import annotations

import numpy as np
import pytest

from ignet import Network
from ignet.backends import Backend, get_backend
from ignet.errors import IgNetError


def backend_or_skip(name: str, dtype: str = "float32") -> Backend:
    """The back end ``name``, or a skip saying why it cannot run here (no pyopencl, no
    OpenCL device, no float64 on the device)."""
    try:
        return get_backend(name, dtype=dtype)
    except IgNetError as error:
        # numpy needs nothing optional: an error there is a failure, not a skip.
        if name == "numpy":
            raise
        pytest.skip(f"{name} ({dtype}) unavailable: {error}")


def _dilate_and_pad(x, padding, input_padding):
    """x with input padding (zeros between elements), then zero padding around."""
    n, c, h, wd = x.shape
    (pv, ph), (iv, ih) = padding, input_padding
    dil = np.zeros((n, c, (h - 1) * (iv + 1) + 1, (wd - 1) * (ih + 1) + 1))
    dil[:, :, :: iv + 1, :: ih + 1] = x
    return np.pad(dil, ((0, 0), (0, 0), (pv, pv), (ph, ph)))


def _windows(shape, kernel, stride):
    """(i, j, window slices) for every output position of a sliding kernel."""
    (v, hk), (sv, sh) = kernel, stride
    ho, wo = (shape[2] - v) // sv + 1, (shape[3] - hk) // sh + 1
    for i in range(ho):
        for j in range(wo):
            yield i, j, (slice(None), slice(None), slice(i * sv, i * sv + v),
                         slice(j * sh, j * sh + hk))  # fmt: skip


def naive_conv(x, w, stride, padding, input_padding):
    """Reference cross-correlation with explicit loops (float64)."""
    xp = _dilate_and_pad(x, padding, input_padding)
    positions = list(_windows(xp.shape, w.shape[2:], stride))
    ho, wo = positions[-1][0] + 1, positions[-1][1] + 1
    out = np.zeros((x.shape[0], w.shape[0], ho, wo))
    for i, j, window in positions:
        out[:, :, i, j] = np.einsum("ncvh,fcvh->nf", xp[window], w)
    return out


def naive_conv_grads(x, w, dy, stride, padding, input_padding):
    """Gradients of ``sum(dy * naive_conv(x, w, ...))`` with respect to x and w (float64)."""
    xp = _dilate_and_pad(x, padding, input_padding)
    dxp, dw = np.zeros_like(xp), np.zeros(w.shape)
    for i, j, window in _windows(xp.shape, w.shape[2:], stride):
        dw += np.einsum("nf,ncvh->fcvh", dy[:, :, i, j], xp[window])
        dxp[window] += np.einsum("nf,fcvh->ncvh", dy[:, :, i, j], w)
    (pv, ph), (iv, ih) = padding, input_padding
    dx = dxp[:, :, pv : dxp.shape[2] - pv, ph : dxp.shape[3] - ph][:, :, :: iv + 1, :: ih + 1]
    return dx, dw


def conv_errors(be, n, geom):
    """Relative errors of ``be``'s convolution, input gradient and weight gradient
    against :func:`naive_conv` and :func:`naive_conv_grads`, on random float32 data of
    ``n`` samples."""
    rng = np.random.default_rng(n)
    x = rng.normal(size=(n, *geom.in_shape)).astype(np.float32)
    w = rng.normal(size=(geom.filters, geom.in_shape[0], *geom.kernel)).astype(np.float32)
    dy = rng.normal(size=(n, *geom.out_shape)).astype(np.float32)
    args = (geom.stride, geom.padding, geom.input_padding)
    y, saved = be.conv2d(be.asarray(x), be.asarray(w), geom)
    dx, dw = naive_conv_grads(x, w, dy, *args)
    got_dx = be.conv2d_grad_input(be.asarray(dy), be.asarray(w), geom)
    got_dw = be.conv2d_grad_weight(be.asarray(dy), saved, geom)
    return (
        relative_error(be.to_host(y), naive_conv(x, w, *args)),
        relative_error(be.to_host(got_dx), dx),
        relative_error(be.to_host(got_dw), dw),
    )


def naive_maxpool(x, size, stride):
    """Window maxima, and the gradient routing of ones-weighted dy: each window sends its
    dy to its first maximum in row-major order (numpy's argmax)."""
    positions = list(_windows(x.shape, size, stride))
    ho, wo = positions[-1][0] + 1, positions[-1][1] + 1
    n, c = x.shape[:2]
    y = np.zeros((n, c, ho, wo))
    first = np.zeros((n, c, ho, wo), dtype=int)
    for i, j, window in positions:
        flat = x[window].reshape(n, c, -1)
        y[:, :, i, j] = flat.max(axis=-1)
        first[:, :, i, j] = flat.argmax(axis=-1)

    def grad(dy):
        dx = np.zeros(x.shape)
        for i, j, window in positions:
            part = np.zeros((n, c, size[0] * size[1]))
            np.put_along_axis(part, first[:, :, i, j, None], dy[:, :, i, j, None], axis=-1)
            dx[window] += part.reshape(n, c, *size)
        return dx

    return y, grad


def numeric_gradients(
    net: Network, X, y, eps: float = 1e-6, entries: int = 24
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Central finite differences of the loss for every parameter, at up to ``entries``
    of its entries spread evenly over it (so that a slow back end checks a large layer
    in a bounded number of passes): (flat indices, derivatives) per parameter."""
    values = [p for _, p in net.parameters()]
    result = []
    for k, p in enumerate(values):
        picked = np.unique(np.linspace(0, p.size - 1, min(entries, p.size)).round().astype(int))
        grad = np.zeros(len(picked))
        for i, flat in enumerate(picked):
            for sign in (1.0, -1.0):
                q = p.copy()
                q[np.unravel_index(flat, p.shape)] += sign * eps
                net.set_parameters([*values[:k], q, *values[k + 1 :]])
                grad[i] += sign * net.gradients(X, y)[0] / (2 * eps)
        result.append((picked, grad))
    net.set_parameters(values)
    return result


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(np.abs(a).max(), np.abs(b).max(), 1e-12))
