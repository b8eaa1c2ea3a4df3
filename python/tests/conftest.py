"""The device every test runs on: NDGPU_TEST_DEVICE=cpu (default) or gpu. With
NDGPU_REQUIRE_GPU=1 a missing GPU adapter fails the GPU run instead of skipping it."""

import os

import pytest

import ndgpu

DEVICE = os.environ.get("NDGPU_TEST_DEVICE", "cpu")


def _gpu_reason():
    try:
        ndgpu.sum([1.0], device="gpu")
        return None
    except RuntimeError as e:
        return str(e)


if DEVICE == "gpu":
    _why = _gpu_reason()
    if _why is not None:
        if os.environ.get("NDGPU_REQUIRE_GPU") == "1":
            raise RuntimeError(f"NDGPU_REQUIRE_GPU=1 but no GPU adapter: {_why}")
        pytestmark = pytest.mark.skip(reason=f"no GPU adapter: {_why}")


@pytest.fixture(scope="session")
def device():
    if DEVICE == "gpu":
        why = _gpu_reason()
        if why is not None:
            if os.environ.get("NDGPU_REQUIRE_GPU") == "1":
                pytest.fail(f"NDGPU_REQUIRE_GPU=1 but no GPU adapter: {why}")
            pytest.skip(f"no GPU adapter: {why}")
    return DEVICE
