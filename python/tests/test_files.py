"""ndgpu.load / save and the streamed reductions over .npy files (the CLI's streaming)."""

import warnings

import numpy as np
import pytest

import ndgpu

RNG = np.random.default_rng(3)


def test_load_save_round_trip(tmp_path, device):
    x = RNG.standard_normal((5, 7)).astype(np.float32)
    p = tmp_path / "x.npy"
    ndgpu.save(p, x)
    np.testing.assert_array_equal(np.load(p), x)
    t = ndgpu.load(p, device=device)
    assert isinstance(t, ndgpu.Tensor) and t.shape == (5, 7) and t.dtype == np.float32
    np.testing.assert_array_equal(t.numpy(), x)
    q = tmp_path / "t.npy"
    ndgpu.save(str(q), ndgpu.argmax(t, axis=1))
    np.testing.assert_array_equal(np.load(q), np.argmax(x, axis=1))
    b = tmp_path / "big_endian_fortran.npy"
    np.save(b, np.asfortranarray(x.astype(">f8")))
    np.testing.assert_array_equal(ndgpu.load(b, device=device).numpy(), x.astype(np.float64))


@pytest.mark.parametrize("order", ["C", "F"])
def test_streamed_reductions_match_numpy(tmp_path, device, order):
    x = RNG.standard_normal((64, 9, 5))
    x[3, 4, 2] = np.nan
    p = tmp_path / "x.npy"
    np.save(p, np.asarray(x, order=order))
    # Many chunks (23 on the CPU; 6 on the GPU, where a launch on a software adapter costs
    # milliseconds and the chunking code is the same).
    chunk_bytes = 1000 if device == "cpu" else 4000
    for op in ndgpu.VALUE_OPS + ndgpu.ARG_OPS:
        f = getattr(ndgpu, f"{op}_file")
        for axis in ([None, 0, 2] if "arg" in op else [None, 0, (1, 2)]):
            try:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    want = np.count_nonzero(x, axis=axis) if op == "count_nonzero" else getattr(np, op)(x, axis=axis)
            except ValueError:
                with pytest.raises(ValueError):
                    f(p, axis=axis, device=device, chunk_bytes=chunk_bytes)
                continue
            got = f(p, axis=axis, device=device, chunk_bytes=chunk_bytes)
            np.testing.assert_allclose(np.asarray(got, dtype=np.asarray(want).dtype), want, rtol=1e-12, equal_nan=True)
            assert np.asarray(got).shape == np.shape(want)


def test_cast_file(tmp_path, device):
    x = RNG.standard_normal((100, 3)).astype(np.float32)
    src, dst = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(src, x)
    ndgpu.cast_file(src, dst, "float16", device=device)
    np.testing.assert_array_equal(np.load(dst), x.astype(np.float16))


def test_file_errors(tmp_path, device):
    with pytest.raises(OSError):
        ndgpu.sum_file(tmp_path / "missing.npy", device=device)
    bad = tmp_path / "bad.npy"
    bad.write_bytes(b"not a numpy file")
    with pytest.raises(ValueError):
        ndgpu.load(bad)
    s = tmp_path / "s.npy"
    np.save(s, np.array(["a"]))
    with pytest.raises(ValueError):
        ndgpu.sum_file(s, device=device)
