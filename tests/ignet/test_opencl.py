"""What only the opencl back end has: device choice, messages when pyopencl or a device is
missing, float64 support, its second matmul path and the ``ignet-bench devices`` command.

Its ops, gradients and training run in the suites parametrised over every back end
(``test_ops.py``, ``test_gradients.py``, ``test_layers.py``, ``test_network.py``,
``test_regularisation.py``). Without pyopencl or an OpenCL device the tests that need one
skip with the back end's own message (which says how to install one).
"""

from __future__ import annotations

import numpy as np
import pytest
from ignet_testing import backend_or_skip, relative_error

import ignet.backends.opencl as ocl
from ignet import Dense, Network
from ignet.backends import get_backend
from ignet.backends.opencl import backend as ocl_backend
from ignet.backends.opencl import devices as ocl_devices
from ignet.errors import IgNetError


@pytest.fixture(scope="module")
def be():
    return backend_or_skip("opencl")


@pytest.mark.parametrize(("m", "k", "n"), [(7, 5, 3), (33, 17, 40), (32, 3456, 186)])
def test_matmul_the_other_way(be, m, k, n, monkeypatch):
    """a @ b.T the way this device does not take by default: GPUs run gemm_vk here and
    CPUs transpose b for gemm_vn, so that both paths are tested on one device."""
    monkeypatch.setattr(be, "nt_by_transpose", not be.nt_by_transpose)
    rng = np.random.default_rng(m * k * n)
    a = rng.normal(size=(m, k)).astype(np.float32)
    b = rng.normal(size=(n, k)).astype(np.float32)
    out = be.to_host(be.matmul(be.asarray(a), be.asarray(b), trans_b=True))
    assert relative_error(out, a.astype(np.float64) @ b.T) < 1e-4


# device choice and errors -----------------------------------------------------------
def test_device_choice(be, monkeypatch):
    devices = ocl.list_devices()
    assert devices and devices[0].index == 0
    assert ocl.choose_device(0).name.strip() == devices[0].name
    assert ocl.choose_device("0").name.strip() == devices[0].name
    part = devices[0].name[-6:].lower()
    assert ocl.choose_device(part).name.strip() == devices[0].name
    monkeypatch.setenv("PYOPENCL_CTX", "0")
    assert ocl.choose_device().platform.name.strip() == devices[0].platform
    with pytest.raises(IgNetError, match="no OpenCL device named like"):
        ocl.choose_device("no such device anywhere")
    with pytest.raises(IgNetError, match="out of range"):
        ocl.choose_device(len(devices))
    assert get_backend("opencl", device=0).device_name == devices[0].name


def test_missing_pyopencl_says_how_to_install(monkeypatch):
    monkeypatch.setattr(ocl_devices, "cl", None)
    with pytest.raises(IgNetError, match=r"pip install 'ignet-bench\[opencl\]'"):
        get_backend("opencl")
    with pytest.raises(IgNetError, match="pyopencl"):
        Network([Dense(2)], backend="opencl")


def test_missing_device_says_how_to_install(monkeypatch):
    if ocl_devices.cl is None:
        pytest.skip(ocl.INSTALL_HINT)
    monkeypatch.setattr(ocl_devices, "_all_devices", lambda: [])
    with pytest.raises(IgNetError, match=r"no OpenCL device found.*ignet-bench\[opencl\]"):
        get_backend("opencl")


def test_float64_needs_fp64(be, monkeypatch):
    monkeypatch.setattr(ocl_backend, "has_fp64", lambda device: False)
    with pytest.raises(IgNetError, match="float64 needs cl_khr_fp64"):
        get_backend("opencl", dtype="float64")
    with pytest.raises(IgNetError, match="dtype must be float32 or float64"):
        get_backend("opencl", dtype="float16")


# the ignet-bench devices command ------------------------------------------------------
def test_devices_command_lists_devices(be, capsys):
    from bench.cli import main

    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("index")
    assert be.device_name in out
    chosen = ocl.chosen_device()
    assert f"backend='opencl' uses device {chosen.index}: {be.device_name}" in out


def test_devices_command_without_pyopencl(monkeypatch, capsys):
    from bench.cli import main

    monkeypatch.setattr(ocl_devices, "cl", None)
    assert main(["devices"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "pip install 'ignet-bench[opencl]'" in err
