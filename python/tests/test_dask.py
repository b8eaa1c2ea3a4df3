"""ndgpu.dask on a real distributed.LocalCluster (worker processes): results against NumPy on
arrays of many chunks, arg-ops whose winner sits in the last chunk, NaN in one chunk, empty
chunks, and the same answer with 1 and 2 workers and with different chunkings."""

import os
import pickle

import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import ndgpu  # noqa: E402
import ndgpu.dask as nd  # noqa: E402

RNG = np.random.default_rng(11)
EXACT = {"min", "max", "nanmin", "nanmax", "any", "all", "count_nonzero", "ptp"}


def _cluster(n):
    return distributed.LocalCluster(
        n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
        memory_limit="2GiB", silence_logs=40,
    )


@pytest.fixture(scope="module")
def client2():
    with _cluster(2) as c, distributed.Client(c) as client:
        yield client


@pytest.fixture(scope="module")
def client1():
    with _cluster(1) as c, distributed.Client(c) as client:
        yield client


def run(client, x):
    """Computes ``x`` on ``client``'s cluster."""
    return client.compute(x).result()


def run_all(client, exprs):
    """Computes every expression on ``client``'s cluster in one round trip."""
    return client.gather(client.compute(exprs))


def reference(op, x, axis, keepdims=False):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if op == "count_nonzero":
            return np.asarray(np.count_nonzero(x, axis=axis, keepdims=keepdims), dtype=np.int64)
        return getattr(np, op)(x, axis=axis, keepdims=keepdims)


def same(op, got, want, dtype):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (op, got.dtype, want.dtype, got.shape, want.shape)
    if op in EXACT or "arg" in op or np.dtype(dtype).kind in "biu" and "mean" not in op:
        np.testing.assert_array_equal(got, want)
    else:
        tol = 1e-4 if np.dtype(dtype) == np.float32 else 1e-10
        np.testing.assert_allclose(got, want, rtol=tol, atol=10 * tol, equal_nan=True)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "uint8"])
def test_every_op_on_many_chunks(client2, device, dtype):
    x = (RNG.standard_normal((60, 45)) * 10).astype(dtype)
    if np.dtype(dtype).kind == "f":
        x[13, 7] = np.nan  # NaN in one chunk
    d = da.from_array(x, chunks=(7, 10))  # 9 x 5 chunks, ragged edges
    cases = []
    for op in ndgpu.VALUE_OPS + ndgpu.ARG_OPS:
        axes = [None, 0, 1, -1] if "arg" in op else [None, 0, 1, (0, 1)]
        for axis in axes:
            for keepdims in (False, True):
                cases.append((op, axis, keepdims))
    exprs = [getattr(nd, op)(d, axis=axis, keepdims=k, device=device) for op, axis, k in cases]
    for (op, axis, keepdims), got in zip(cases, run_all(client2, exprs)):
        same(op, got, reference(op, x, axis, keepdims), dtype)


def test_arg_winner_in_the_last_chunk(client2, device):
    x = RNG.random((50, 40)).astype(np.float32)
    x[-1, -1] = 5.0
    x[-2, -1] = -5.0
    d = da.from_array(x, chunks=(9, 11))
    assert run(client2, nd.argmax(d, device=device)) == x.size - 1
    assert run(client2, nd.argmin(d, device=device)) == x.size - 41
    np.testing.assert_array_equal(run(client2, nd.argmax(d, axis=0, device=device)), np.argmax(x, axis=0))
    np.testing.assert_array_equal(run(client2, nd.argmin(d, axis=1, device=device)), np.argmin(x, axis=1))


def test_flat_ties_go_to_the_first_index(client2, device):
    # Block (0, 0) holds flat index 20 and block (0, 1) flat index 3, both the maximum: the
    # earlier flat index wins though its block comes later in block order.
    x = np.zeros((4, 8), dtype=np.int32)
    x[2, 4] = 9
    x[0, 3] = 9
    d = da.from_array(x, chunks=(4, 4))
    x2 = np.zeros((4, 8), dtype=np.int32)
    x2[2, 1] = 9
    x2[0, 6] = 9
    d2 = da.from_array(x2, chunks=(4, 4))
    assert run(client2, nd.argmax(d, device=device)) == np.argmax(x) == 3
    assert run(client2, nd.argmax(d2, device=device)) == np.argmax(x2) == 6


def test_nan_in_one_chunk(client2, device):
    x = RNG.random(1000)
    x[777] = np.nan
    d = da.from_array(x, chunks=100)
    assert run(client2, nd.argmax(d, device=device)) == 777
    assert run(client2, nd.argmin(d, device=device)) == 777
    assert run(client2, nd.nanargmax(d, device=device)) == np.nanargmax(x)
    assert np.isnan(run(client2, nd.max(d, device=device)))
    assert run(client2, nd.nanmax(d, device=device)) == np.nanmax(x)
    np.testing.assert_allclose(run(client2, nd.nanmean(d, device=device)), np.nanmean(x), rtol=1e-12)
    assert run(client2, nd.count_nonzero(d, device=device)) == np.count_nonzero(x)
    # A chunk that is all NaN: the nan-variants skip it, and an all-NaN slice is an error.
    y = RNG.random((4, 30))
    y[:, 10:20] = np.nan
    dy = da.from_array(y, chunks=(2, 10))
    assert run(client2, nd.nanargmin(dy, device=device)) == np.nanargmin(y)
    np.testing.assert_array_equal(run(client2, nd.nanargmax(dy[:, :10], axis=0, device=device)), np.nanargmax(y[:, :10], axis=0))
    with pytest.raises(ValueError, match="all-NaN"):
        run(client2, nd.nanargmax(dy, axis=0, device=device))


def test_empty_chunks(client2, device):
    x = RNG.standard_normal((8, 6))
    d = da.from_array(x, chunks=((3, 0, 5), (2, 0, 4)))
    assert 0 in d.chunks[0] and 0 in d.chunks[1]
    cases = [(op, axis) for op in ndgpu.VALUE_OPS + ndgpu.ARG_OPS for axis in (None, 0, 1)]
    exprs = [getattr(nd, op)(d, axis=axis, device=device) for op, axis in cases]
    for (op, axis), got in zip(cases, run_all(client2, exprs)):
        same(op, got, reference(op, x, axis), "float64")
    e = da.from_array(np.ones((0, 4)), chunks=(2, 2))
    np.testing.assert_array_equal(run(client2, nd.sum(e, axis=0, device=device)), np.zeros(4))
    with pytest.raises(ValueError, match="empty"):
        run(client2, nd.max(e, axis=0, device=device))


def test_same_answer_on_1_and_2_workers_and_any_chunking(client1, client2, device):
    x = (RNG.standard_normal((120, 33)) * 100).astype(np.float32)
    x[5, 5] = np.nan
    results = {}
    for name, client in (("1", client1), ("2", client2)):
        for chunks in ((10, 11), (120, 33), (7, 33), (64, 5)):
            d = da.from_array(x, chunks=chunks)
            ops = ndgpu.VALUE_OPS + ndgpu.ARG_OPS
            got = dict(zip(ops, run_all(client, [getattr(nd, op)(d, axis=0, device=device) for op in ops])))
            results[(name, chunks)] = got
    base = results[("1", (10, 11))]
    for key, got in results.items():
        for op in base:
            if op in EXACT or "arg" in op or key[1] == (10, 11):
                np.testing.assert_array_equal(got[op], base[op], err_msg=f"{op} {key}")
            else:
                np.testing.assert_allclose(got[op], base[op], rtol=1e-4, atol=1e-3, equal_nan=True, err_msg=f"{op} {key}")


def test_from_npy_file_and_folder(tmp_path, client2, device):
    x = RNG.standard_normal((100, 7)).astype(np.float32)
    f = tmp_path / "x.npy"
    np.save(f, x)
    d = nd.from_npy(f, chunks=(16, 7))
    assert d.numblocks == (7, 1)
    assert len(pickle.dumps(d.dask)) < 100_000  # the graph holds paths, not data
    np.testing.assert_allclose(run(client2, nd.sum(d, axis=0, device=device)), x.sum(axis=0), rtol=1e-5)
    assert run(client2, nd.argmax(d, device=device)) == np.argmax(x)
    folder = tmp_path / "parts"
    folder.mkdir()
    for i in range(4):
        np.save(folder / f"part{i:02}.npy", x[i * 25:(i + 1) * 25])
    df = nd.from_npy(folder, chunks=(10, 7))
    assert df.shape == x.shape
    np.testing.assert_array_equal(run(client2, nd.max(df, axis=0, device=device)), x.max(axis=0))
    assert run(client2, nd.argmin(df, device=device)) == np.argmin(x)


# --- float sums and means: bit for bit through exact partials ------------------------------

FLOATS = ["float16", "float32", "float64", "complex64"]
SUM_OPS = ["sum", "nansum", "mean", "nanmean"]
CHUNKINGS = [(7, 10), (16, 48), (64, 5), (5, 7)]


def rounding_data(dtype, shape, seed):
    """Wide dynamic range (1e-8..1e8; float16 1e-4..1e3, below its 65504) with either sign,
    so that sums cancel and round: summing rounded block sums gives other bits."""
    rng = np.random.default_rng(seed)
    lo, hi = (-4, 3) if dtype == "float16" else (-8, 8)

    def wide():
        return 10.0 ** rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)

    x = wide() + 1j * wide() if dtype == "complex64" else wide()
    x = x.astype(dtype)
    x[3, 5] = np.nan  # one chunk holds a NaN (the nan-variants skip it)
    # Row 0: a tie broken by a tiny value in the last column: 2^(p+1) + 1 is halfway between
    # two floats of p mantissa bits; the tiny value, in another block, decides. A rounded
    # block sum (float32 for float16) loses it and rounds the tie to even; the exact sum not.
    mant = {"float16": 10, "float32": 23, "complex64": 23, "float64": 52}[dtype]
    tiny = {"float16": 2.0**-14, "float32": 2.0**-30, "complex64": 2.0**-30, "float64": 2.0**-60}[dtype]
    x[0] = 0
    x[0, 0], x[0, 1], x[0, -1] = 2.0 ** (mant + 1), 1, tiny
    return x


def rounded_block_sums(x, chunks):
    """What rounded-float partials give along axis 1: each block's sum rounded (float16 in
    float32, as the old partials did), the rounded sums summed, on the CPU."""
    acc = np.float32 if x.dtype == np.float16 else x.dtype
    d = da.from_array(x.astype(acc), chunks=chunks)
    parts = [
        np.concatenate([ndgpu.nansum(np.asarray(d.blocks[i, j]), axis=1, keepdims=True, device="cpu") for j in range(d.numblocks[1])], axis=1)
        for i in range(d.numblocks[0])
    ]
    return ndgpu.cast(ndgpu.sum(np.concatenate(parts), axis=1, device="cpu"), x.dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_float_sums_and_means_equal_the_single_machine_bits(client1, client2, device, dtype):
    x = rounding_data(dtype, (64, 48), seed=FLOATS.index(dtype))
    cases = [(op, axis, chunks) for op in SUM_OPS for axis in (None, 0, 1) for chunks in CHUNKINGS]
    want = {(op, axis): np.asarray(getattr(ndgpu, op)(x, axis=axis, device=device)) for op in SUM_OPS for axis in (None, 0, 1)}
    # Every chunking on two workers; one worker (a different placement of the same blocks,
    # which test_same_answer_on_1_and_2_workers_and_any_chunking also covers) on one.
    for client, chunkings in ((client2, CHUNKINGS), (client1, CHUNKINGS[:1])):
        mine = [case for case in cases if case[2] in chunkings]
        exprs = [getattr(nd, op)(da.from_array(x, chunks=c), axis=axis, device=device) for op, axis, c in mine]
        for (op, axis, chunks), got in zip(mine, run_all(client, exprs)):
            got = np.asarray(got)
            w = want[(op, axis)]
            assert (got.dtype, got.shape) == (w.dtype, w.shape), (op, axis, chunks)
            assert got.tobytes() == w.tobytes(), f"{op} axis={axis} chunks={chunks} {len(client.nthreads())} workers"
    # The data rounds: rounded block sums (the old partials) miss the whole sum's bits. That
    # is a property of the data, checked on the CPU (the same bits as every device, faster).
    whole = np.asarray(ndgpu.nansum(x, axis=1, device="cpu"))
    missed = [c for c in CHUNKINGS if np.asarray(rounded_block_sums(x, c)).tobytes() != whole.tobytes()]
    assert missed, f"{dtype}: no chunking where rounded block sums differ from the whole sum"


def test_partial_api_merges_and_travels(device):
    x = rounding_data("float32", (12, 30), seed=9)
    a = ndgpu.partial("nanmean", x[:, :11], axis=1, device=device)
    b = ndgpu.partial("nanmean", x[:, 11:], axis=1, device=device)
    want = ndgpu.nanmean(x, axis=1, device=device)
    assert (a.op, a.dtype, a.shape, a.axes, a.count) == ("nanmean", np.float32, (12, 1), (1,), 11)
    assert b.merge(a).finish().tobytes() == a.merge(b).finish().tobytes() == want.tobytes()
    assert a.merge(b).finish(keepdims=True).shape == (12, 1)
    # Through words (dask's combine gets blocks' words concatenated along the reduced axis).
    words = np.concatenate([a.words(), b.words()], axis=1)
    assert words.dtype == np.uint32 and words.shape == (12, 2, ndgpu.Partial.record_len("nanmean", "float32"))
    merged = ndgpu.Partial.from_words("nanmean", "float32", (1,), words)
    assert merged.count == 30 and merged.finish().tobytes() == want.tobytes()
    assert pickle.loads(pickle.dumps(a)).words().tobytes() == a.words().tobytes()
    total = ndgpu.partial("sum", x, device=device)
    assert total.finish().tobytes() == ndgpu.sum(x, device=device).tobytes()
    assert np.ndim(total.finish()) == 0
    with pytest.raises(ValueError):
        a.merge(ndgpu.partial("nanmean", x, axis=0, device=device))
    with pytest.raises(ValueError):
        ndgpu.partial("argmax", x)
    with pytest.raises(ValueError):
        ndgpu.Partial.from_words("sum", "float64", (1,), words)
