"""Every operation from Python against NumPy: values, dtypes, shapes, return types, errors."""

import warnings

import numpy as np
import pytest

import ndgpu

RNG = np.random.default_rng(7)

DTYPES = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
          "float16", "float32", "float64", "complex64"]
EXACT = {"min", "max", "nanmin", "nanmax", "any", "all", "count_nonzero", "ptp"}
NAN_OPS = {"nansum", "nanprod", "nanmean", "nanmin", "nanmax"}


def sample(dtype, shape=(4, 5, 6), nan=True):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return RNG.random(shape) < 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        lo, hi = max(info.min, -50), min(info.max, 50)
        return RNG.integers(lo, hi, size=shape, endpoint=True).astype(dtype)
    x = (RNG.standard_normal(shape) * 3).astype(dtype)
    if dtype.kind == "c":
        x = (x + 1j * RNG.standard_normal(shape)).astype(dtype)
    if nan:
        x.flat[7] = np.nan
    return x


def reference(op, x, axis, keepdims):
    if op == "count_nonzero":
        r = np.count_nonzero(x, axis=axis, keepdims=keepdims)
        return np.asarray(r, dtype=np.int64)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if x.dtype == np.float16 and op in ("sum", "nansum", "prod", "nanprod", "mean", "nanmean"):
            return getattr(np, op)(x.astype(np.float32), axis=axis, keepdims=keepdims).astype(np.float16)
        return getattr(np, op)(x, axis=axis, keepdims=keepdims)


def check(op, got, want, dtype):
    want = np.asarray(want)
    got_a = np.asarray(got)
    assert got_a.dtype == want.dtype, (op, got_a.dtype, want.dtype)
    assert got_a.shape == want.shape, (op, got_a.shape, want.shape)
    if op in EXACT or np.dtype(dtype).kind in "biu" and op not in ("mean", "nanmean"):
        np.testing.assert_array_equal(got_a, want)
    else:
        tol = {"float16": 2e-2, "float32": 2e-4, "complex64": 2e-4}.get(str(dtype), 1e-9)
        np.testing.assert_allclose(got_a, want, rtol=tol, atol=tol * 10, equal_nan=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ndgpu.VALUE_OPS)
def test_value_ops_match_numpy(device, op, dtype):
    x = sample(dtype)
    if op == "ptp" and dtype == "bool":
        with pytest.raises(TypeError):
            np.ptp(x)
        with pytest.raises(TypeError, match="ptp of bool"):
            ndgpu.ptp(x, device=device)
        return
    if np.dtype(dtype).kind in "fc" and "prod" in op:
        x = (x / 16 + 1).astype(dtype)  # no overflow: product order is not NumPy's
    if np.dtype(dtype).kind == "c" and op in ("min", "max", "nanmin", "nanmax", "ptp"):
        x = x.copy()
        x.flat[7] = 1  # NumPy's complex NaN order differs from C99's; ndgpu follows (real, imag)
    for axis in [None, 0, -1, (0, 2), (1,), ()]:
        for keepdims in (False, True):
            got = getattr(ndgpu, op)(x, axis=axis, keepdims=keepdims, device=device)
            want = reference(op, x, axis, keepdims)
            check(op, got, want, dtype)
            if axis is None and not keepdims:
                assert isinstance(got, np.generic), type(got)


@pytest.mark.parametrize("dtype", ["int32", "uint8", "float16", "float32", "float64", "bool"])
@pytest.mark.parametrize("op", ndgpu.ARG_OPS)
def test_arg_ops_match_numpy(device, op, dtype):
    x = sample(dtype, nan=False)
    if np.dtype(dtype).kind == "f":
        x.flat[11] = np.nan
        x[2, 3, :] = np.nan
    for axis in [None, 0, 1, -1]:
        for keepdims in (False, True):
            try:
                want = getattr(np, op)(x, axis=axis, keepdims=keepdims)
            except ValueError:
                with pytest.raises(ValueError, match="all-NaN"):
                    getattr(ndgpu, op)(x, axis=axis, keepdims=keepdims, device=device)
                continue
            got = getattr(ndgpu, op)(x, axis=axis, keepdims=keepdims, device=device)
            np.testing.assert_array_equal(got, want)
            assert np.asarray(got).dtype == np.int64


def test_tensor_in_tensor_out(device):
    a = sample("float32", nan=False)
    t = ndgpu.convert_to_tensor(a, device=device)
    assert isinstance(t, ndgpu.Tensor)
    assert t.shape == a.shape and t.dtype == np.float32 and t.ndim == 3 and t.size == a.size
    assert (t.device == "cpu") == (device == "cpu")
    np.testing.assert_array_equal(t.numpy(), a)
    s = ndgpu.max(t, axis=(0, 1))
    assert isinstance(s, ndgpu.Tensor) and s.shape == (6,)
    np.testing.assert_array_equal(s.numpy(), np.max(a, axis=(0, 1)))
    i = ndgpu.argmax(t)
    assert isinstance(i, ndgpu.Tensor) and i.shape == () and i.dtype == np.int64
    assert i.numpy() == np.argmax(a)
    c = ndgpu.cast(t, "int32")
    assert isinstance(c, ndgpu.Tensor) and c.dtype == np.int32
    np.testing.assert_array_equal(np.asarray(c), a.astype(np.int32))
    back = t.to("cpu")
    assert back.is_cpu and back.device == "cpu"
    np.testing.assert_array_equal(back.numpy(), a)
    assert len(t) == 4 and "Tensor" in repr(t)
    with pytest.raises(ValueError):
        np.asarray(t, copy=False)


def test_scalars_and_lists(device):
    assert ndgpu.sum([1, 2, 3], device=device) == 6
    assert isinstance(ndgpu.sum([1, 2, 3], device=device), np.int64)
    assert isinstance(ndgpu.mean(np.float32([1, 2]), device=device), np.float32)
    r = ndgpu.sum(np.ones((2, 3)), axis=1, keepdims=True, device=device)
    assert isinstance(r, np.ndarray) and r.shape == (2, 1)
    z = ndgpu.sum(np.float64(2.5), device=device)
    assert z == 2.5


@pytest.mark.parametrize("dtype", ["float32", "int16", "float64", "complex64", "bool"])
def test_layouts_and_byte_orders(device, dtype):
    x = sample(dtype, shape=(6, 8, 10), nan=False)
    views = [x.T, x[:, ::2, 1::3], x[::-1], np.asfortranarray(x)]
    if np.dtype(dtype).itemsize > 1:
        views.append(x.astype(np.dtype(dtype).newbyteorder(">")))
    for v in views:
        for op in ("sum", "max", "count_nonzero"):
            check(op, getattr(ndgpu, op)(v, axis=1, device=device), reference(op, v, 1, False), dtype)
        np.testing.assert_array_equal(ndgpu.argmin(v, axis=0, device=device), np.argmin(v, axis=0))
        want = (v.real if np.dtype(dtype).kind == "c" else v).astype(np.float64)
        np.testing.assert_array_equal(ndgpu.cast(v, "float64", device=device), want)


@pytest.mark.parametrize("src", ["float32", "float64", "int32", "uint8", "bool", "float16", "int64"])
@pytest.mark.parametrize("dst", ["float32", "float64", "int32", "uint8", "bool", "float16", "int64"])
def test_cast_matches_astype(device, src, dst):
    x = sample(src, shape=(3, 50), nan=False)
    if np.dtype(src).kind == "f" and np.dtype(dst).kind in "iu":
        x = np.abs(x).astype(src)  # inside the target's range: NumPy defines these
    got = ndgpu.cast(x, dst, device=device)
    assert isinstance(got, np.ndarray) and got.dtype == np.dtype(dst) and got.shape == x.shape
    np.testing.assert_array_equal(got, x.astype(dst))
    assert not np.shares_memory(got, x)


def test_cast_accepts_numpy_dtypes(device):
    x = np.arange(5, dtype=np.int32)
    for d in (np.float32, np.dtype("f4"), "f4", float, ">f8"):
        got = ndgpu.cast(x, d, device=device)
        np.testing.assert_array_equal(got, x.astype(np.dtype(d).newbyteorder("=")))


def test_errors_are_python_exceptions(device):
    x = np.ones((2, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="out of range"):
        ndgpu.sum(x, axis=2, device=device)
    with pytest.raises(ValueError, match="repeated"):
        ndgpu.sum(x, axis=(0, -2), device=device)
    with pytest.raises(ValueError, match="empty"):
        ndgpu.max(np.ones((0, 3)), axis=0, device=device)
    with pytest.raises(ValueError, match="empty"):
        ndgpu.argmax(np.ones((0,)), device=device)
    with pytest.raises(ValueError, match="all-NaN"):
        ndgpu.nanargmax(np.full(4, np.nan), device=device)
    with pytest.raises(TypeError, match="unsupported dtype"):
        ndgpu.sum(np.array(["a", "b"]), device=device)
    with pytest.raises(TypeError, match="unsupported dtype"):
        ndgpu.sum(np.ones(3, dtype=np.complex128), device=device)
    with pytest.raises(TypeError, match="unsupported dtype"):
        ndgpu.sum(np.array([1, None], dtype=object), device=device)
    with pytest.raises(TypeError):
        ndgpu.argmax(x, axis=(0, 1), device=device)
    with pytest.raises(TypeError):
        ndgpu.sum(x, axis=1.5, device=device)
    with pytest.raises(TypeError, match="bfloat16"):
        ndgpu.cast(x, "bfloat16", device=device)
    with pytest.raises(ValueError, match="unknown device"):
        ndgpu.sum(x, device="tpu")


def test_empty_inputs(device):
    e = np.ones((3, 0), dtype=np.float32)
    np.testing.assert_array_equal(ndgpu.sum(e, axis=1, device=device), np.zeros(3, np.float32))
    assert ndgpu.prod(e, device=device) == 1
    with np.errstate(invalid="ignore"):
        assert np.isnan(ndgpu.mean(e, device=device))
    assert ndgpu.count_nonzero(e, device=device) == 0
    assert ndgpu.all(e, device=device) and not ndgpu.any(e, device=device)
    assert ndgpu.cast(e, "int8", device=device).shape == (3, 0)


def test_devices_lists_the_cpu():
    ds = ndgpu.devices()
    assert ds[0]["name"] == "cpu" and ds[0]["kind"] == "cpu"
    assert sum(1 for d in ds if d["auto"]) == 1
    for d in ds[1:]:
        assert d["kind"] == "gpu" and "backend" in d


def test_docstrings_everywhere():
    names = ["convert_to_tensor", "cast", "devices", "load", "save", "cast_file"]
    names += list(ndgpu.VALUE_OPS) + list(ndgpu.ARG_OPS)
    names += [f"{n}_file" for n in ndgpu.VALUE_OPS + ndgpu.ARG_OPS]
    for n in names:
        assert getattr(ndgpu, n).__doc__, n
    import ndgpu.dask as nd
    for n in ndgpu.VALUE_OPS + ndgpu.ARG_OPS + ("from_npy",):
        assert getattr(nd, n).__doc__, n


def test_unaligned_input_is_copied(device):
    buf = np.random.default_rng(5).integers(0, 60, 4 * 100 + 1, dtype=np.uint8)
    b = np.frombuffer(buf.data, dtype=np.float32, count=100, offset=1)  # as unpickled buffers can be
    assert not b.flags.aligned
    np.testing.assert_allclose(ndgpu.sum(b, device=device), np.sum(b), rtol=1e-5)
    assert ndgpu.argmax(b, device=device) == np.argmax(b)
