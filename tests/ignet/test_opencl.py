"""What only the opencl back end has: device choice, messages when pyopencl or a device is
missing, float64 support, products cut into parts (as on GPUs), the kernel profile and
the ``ignet-bench devices`` command.

Its ops, gradients and training run in the suites parametrised over every back end
(``test_ops.py``, ``test_gradients.py``, ``test_layers.py``, ``test_network.py``,
``test_regularisation.py``). Without pyopencl or an OpenCL device the tests that need one
skip with the back end's own message (which says how to install one).
"""

from __future__ import annotations

import numpy as np
import pytest
from ignet_testing import backend_or_skip, conv_errors, relative_error

import ignet.backends.opencl as ocl
from ignet import Dense, Network
from ignet.backends import get_backend
from ignet.backends.base import ConvGeometry
from ignet.backends.opencl import backend as ocl_backend
from ignet.backends.opencl import devices as ocl_devices
from ignet.errors import IgNetError


@pytest.fixture(scope="module")
def be():
    return backend_or_skip("opencl")


@pytest.mark.parametrize(("m", "k", "n"), [(32, 3456, 186), (3, 1000, 5), (9, 131, 17)])
def test_products_cut_into_parts(be, m, k, n, monkeypatch):
    """Every product as a GPU runs it when its blocks are few: the sum cut into parts
    (ragged last part included) and the parts added, on this device."""
    monkeypatch.setattr(be, "split_below", 10**6)
    assert be._parts(1, k) > 1
    rng = np.random.default_rng(m + k + n)
    a = rng.normal(size=(m, k)).astype(np.float32)
    b = rng.normal(size=(k, n)).astype(np.float32)
    for trans_a, trans_b in ((False, False), (True, False), (False, True), (True, True)):
        left, right = (a.T.copy() if trans_a else a), (b.T.copy() if trans_b else b)
        out = be.matmul(be.asarray(left), be.asarray(right), trans_a=trans_a, trans_b=trans_b)
        assert relative_error(be.to_host(out), a.astype(np.float64) @ b) < 1e-4


@pytest.mark.parametrize(
    ("n", "geom"),
    [
        (32, ConvGeometry((1, 58, 36), 8, (5, 5))),  # fig5's convolution
        (5, ConvGeometry((3, 17, 23), 4, (3, 2), (2, 1), (1, 0), (1, 1))),
        (2, ConvGeometry((16, 6, 7), 130, (3, 3), (1, 1), (1, 1))),  # every product cut
    ],
)
def test_convolution_products_cut_into_parts(be, n, geom, monkeypatch):
    monkeypatch.setattr(be, "split_below", 10**6)
    assert max(conv_errors(be, n, geom)) < 1e-4


def test_products_stay_whole_on_cpu_devices(be):
    if be.device_type == "GPU":
        pytest.skip("a GPU cuts products with few blocks")
    assert be.split_below == 0 and be._parts(1, 10**6) == 1


def test_kernel_profile_times_each_kernel(be, capsys):
    from ignet.backends.opencl import profile

    result = profile.kernel_profile("fig5", batches=2)
    assert result.device == be.device_name and result.samples_per_s > 0
    # fig5 per batch: conv forward, dense forward, dense input gradient and update.
    assert {"im2col", "gemm_vn", "gemm_vk", "softmax"} <= set(result.kernels)
    assert all(count > 0 and ms >= 0 for count, ms in result.kernels.values())
    assert result.kernel_ms > 0
    assert profile.main(["fig5", "--batches", "1", "--whole"]) == 0
    assert "fig5 on " in capsys.readouterr().out
    assert profile.main(["nope"]) == 2
    assert "unknown name 'nope'" in capsys.readouterr().err


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


def test_devices_command_points_at_a_gpu_driver_no_icd_file_names(
    be, tmp_path, monkeypatch, capsys
):
    from bench.cli import main

    if be.device_type == "GPU":
        pytest.skip("a GPU is listed here")
    driver = tmp_path / "libnvidia-opencl.so.1"
    driver.write_bytes(b"")
    monkeypatch.setattr(ocl_devices, "_DRIVER_DIRS", (str(tmp_path / "none"), str(tmp_path)))
    assert ocl.unlisted_gpu_driver() == driver
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert f"no GPU is listed, but {driver} is here" in out
    assert "OCL_ICD_VENDORS" in out


def test_devices_command_without_pyopencl(monkeypatch, capsys):
    from bench.cli import main

    monkeypatch.setattr(ocl_devices, "cl", None)
    assert main(["devices"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "pip install 'ignet-bench[opencl]'" in err
