"""ndgpu's reductions over ``dask.array`` arrays, on one machine or a cluster.

Each reduction is a chunk / combine / aggregate triple: ndgpu's kernel runs on every block
(on the device each worker picks for itself: ``device="auto"`` unless given), and blocks
merge through mergeable partial results:

* every value-reduction (sum, prod, mean, min, max, any, all, count_nonzero and the
  nan-variants): ndgpu's ``Partial`` of each block (``ndgpu.partial``: the engine's own
  accumulators, plus the element count), travelling between workers as a keepdims-shaped
  array of one structured field ``words`` (the partial's uint32 words), merged by
  ``ndgpu.Partial.from_words`` and finished once. Float sums and means (float16, float32,
  float64, complex64) carry the exact sum as integer words, so the distributed result equals
  ``ndgpu.sum`` (``mean``, ...) of the whole array on one machine bit for bit, on every
  chunking and worker count; min/max/any/all/count_nonzero and integer sums are exact too.
  Float products (and the float64 sums of integer means) merge in rounded floats.
* argmax, argmin, nanargmax, nanargmin: (value, global index) pairs, merged by the extreme
  value with the smallest global index, so the first extreme of the whole array wins on every
  chunking (also for the flattened array of a multi-dimensional chunk grid).

Empty blocks are allowed everywhere. ``from_npy`` reads a .npy file or a folder of them as a
dask array through memory maps (a block is read when a task touches it).

Value reductions go through ``dask.array.reduction``; arg-reductions through
``dask.array.reductions.arg_reduction`` (the same chunk / combine / aggregate tree, which also
hands each block its offset in the whole array).
"""

from __future__ import annotations

import builtins
import os
from functools import partial

import numpy as np

import dask.array as da
from dask.array.core import _concatenate2
from dask.array.reductions import arg_reduction

import ndgpu

__all__ = list(ndgpu.VALUE_OPS) + list(ndgpu.ARG_OPS) + ["from_npy"]

_I64_MAX = np.iinfo(np.int64).max


def _is_empty_along(x, axis) -> bool:
    return builtins.any(x.shape[a] == 0 for a in axis)


# --- value reductions: ndgpu's mergeable partials -------------------------------------


def _pack(words):
    """A partial's uint32 words (shape ``keepdims shape + (record,)``) as a keepdims-shaped
    array of one structured field, so that dask concatenates blocks' partials like any array."""
    words = np.ascontiguousarray(words)
    record = np.dtype([("words", np.uint32, (words.shape[-1],))])
    return words.view(record).reshape(words.shape[:-1])


def _value_chunk(op, x, axis=None, keepdims=True, device=None, computing_meta=False, **kw):
    """A block's partial: ndgpu's accumulators of ``op`` over ``axis``, reduced axes kept."""
    if computing_meta:
        return x
    p = ndgpu.partial(op, np.asarray(x), axis=tuple(axis), device=device)
    return _pack(p.words())


def _value_merge(op, elem, final, x, axis=None, keepdims=False, computing_meta=False, **kw):
    """Partials concatenated along ``axis`` merged: a combine step (``final`` False: the
    merged partial) or the aggregate (``final`` True: the finished result). Merges run on
    the host (a few words per output element); exact sums merge as integers, so the result
    is the single-machine result bit for bit on every chunking."""
    if computing_meta or x.dtype.names is None:
        return x  # dask probing the result's type with a plain (meta) array
    words = np.ascontiguousarray(x["words"])
    p = ndgpu.Partial.from_words(op, elem, tuple(axis), words)
    if not final:
        return _pack(p.words())
    return np.asarray(p.finish(keepdims=keepdims))


def _out_dtype(op, dtype) -> np.dtype:
    """The result dtype of ``op`` for elements of ``dtype`` (ndgpu's rule: NumPy's)."""
    probe = np.ones(1, dtype=dtype)
    return np.asarray(getattr(ndgpu, op)(probe, device="cpu")).dtype


def _check_not_empty(op, a, axis):
    """NumPy's error for min/max (and the arg-reductions) over nothing, raised eagerly."""
    axes = range(a.ndim) if axis is None else ((axis,) if isinstance(axis, int) else axis)
    if builtins.any(a.shape[i] == 0 for i in axes):
        raise ValueError(
            f"{op} of an empty sequence (a reduced axis has length 0) is undefined: reduce non-empty axes"
        )


def _value_reduction(op):
    def f(a, axis=None, keepdims=False, split_every=None, device=None):
        a = da.asarray(a)
        out = _out_dtype(op, a.dtype)
        if op in ndgpu._NO_IDENTITY:
            _check_not_empty(op, a, axis)
        return da.reduction(
            a,
            partial(_value_chunk, op, device=device),
            partial(_value_merge, op, a.dtype.name, True),
            combine=partial(_value_merge, op, a.dtype.name, False),
            axis=axis,
            keepdims=keepdims,
            dtype=out,
            split_every=split_every,
            concatenate=True,
        )

    f.__name__ = f.__qualname__ = op
    f.__doc__ = (
        f"``np.{op}`` of a dask array: ``ndgpu.partial('{op}', block)`` on every block (on "
        "``device``, default each worker's ``auto``), the blocks' partials merged and finished "
        "once (see the module docstring). Returns a lazy dask array; ``.compute()`` it."
    )
    return f


# --- arg reductions -----------------------------------------------------------------


def _loser(op, dtype):
    """A value that never wins ``op`` (what an empty block reports, with index INT64_MAX)."""
    dtype = np.dtype(dtype)
    if op.startswith("nan") and dtype.kind in "fc":
        return np.array(np.nan, dtype=dtype)
    big = "min" in op
    if dtype.kind == "b":
        return np.array(big, dtype=dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.array(info.max if big else info.min, dtype=dtype)
    inf = np.inf if big else -np.inf
    return np.array(complex(inf, inf) if dtype.kind == "c" else inf, dtype=dtype)


def _value_of(op):
    return {"argmax": "max", "argmin": "min", "nanargmax": "nanmax", "nanargmin": "nanmin"}[op]


def _arg_chunk(op, device, x, axis, offset_info):
    x = np.asarray(x)
    flat = len(axis) == x.ndim or x.ndim == 1
    arg_axis = None if flat else axis[0]
    shape = tuple(1 if i in axis else d for i, d in enumerate(x.shape))
    pair = np.dtype([("vals", x.dtype), ("arg", np.int64)])
    out = np.empty(shape, dtype=pair)
    if x.size == 0 or _is_empty_along(x, axis):
        out["vals"] = _loser(op, x.dtype)
        out["arg"] = _I64_MAX
        return out
    try:
        idx = getattr(ndgpu, op)(x, axis=arg_axis, keepdims=True, device=device)
    except ValueError:
        # nanarg of a slice that is all NaN: any index of it, its value NaN (merged away
        # unless every block of the slice is all NaN, when the aggregate raises).
        allnan = np.asarray(ndgpu.all(np.isnan(x), axis=arg_axis, keepdims=True, device=device))
        idx = getattr(ndgpu, op)(np.where(allnan, 0, x), axis=arg_axis, keepdims=True, device=device)
    idx = np.asarray(idx).reshape(shape)
    if flat:
        local = np.unravel_index(idx.reshape(-1), x.shape)
        vals = x[local].reshape(shape)
        offset, total_shape = offset_info
        glob = tuple(o + i for o, i in zip(offset, local))
        arg = np.ravel_multi_index(glob, total_shape).reshape(shape)
    else:
        vals = np.take_along_axis(x, idx, axis=arg_axis)
        arg = idx + offset_info
    out["vals"] = vals
    out["arg"] = arg
    return out


def _arg_merge(op, device, data, axis=None, keepdims=False, final=False, **kw):
    """(value, index) pairs merged: the extreme value (NaN first for argmax/argmin, NaN
    skipped for the nan-variants), ties to the smallest global index."""
    flat = len(axis) == data.ndim or data.ndim == 1
    red = tuple(range(data.ndim)) if flat else (axis[0],)
    vals = np.ascontiguousarray(data["vals"])
    args = np.ascontiguousarray(data["arg"])
    best = np.asarray(getattr(ndgpu, _value_of(op))(vals, axis=red, keepdims=True, device=device))
    tie = vals == best
    if vals.dtype.kind in "fc":
        tie |= np.isnan(vals) & np.isnan(best)
    arg = np.asarray(ndgpu.min(np.where(tie, args, _I64_MAX), axis=red, keepdims=True, device=device))
    if not final:
        out = np.empty(arg.shape, dtype=data.dtype)
        out["vals"] = best
        out["arg"] = arg
        return out
    if np.any(arg == _I64_MAX):
        raise ValueError(f"{op} of an empty sequence (a reduced axis has length 0) is undefined: reduce non-empty axes")
    if op.startswith("nan") and vals.dtype.kind in "fc" and np.any(np.isnan(best)):
        raise ValueError(f"{op} of an all-NaN slice is undefined: it has no non-NaN element to index")
    if not keepdims:
        arg = arg.reshape([d for i, d in enumerate(arg.shape) if i not in red])
    return arg


def _arg_reduction(op):
    def f(a, axis=None, keepdims=False, split_every=None, device=None):
        a = da.asarray(a)
        _check_not_empty(op, a, None if axis is None else axis)
        return arg_reduction(
            a,
            partial(_arg_chunk, op, device),
            partial(_arg_merge, op, device),
            partial(_arg_merge, op, device, final=True),
            axis=axis,
            keepdims=keepdims,
            split_every=split_every,
        )

    f.__name__ = f.__qualname__ = op
    f.__doc__ = (
        f"``np.{op}`` of a dask array as int64: ``ndgpu.{op}`` on every block, blocks merged "
        "as (value, global index) pairs, so the first extreme of the whole array wins on "
        "every chunking. Returns a lazy dask array."
    )
    return f


for _op in ndgpu.VALUE_OPS:
    globals()[_op] = _value_reduction(_op)
for _op in ndgpu.ARG_OPS:
    globals()[_op] = _arg_reduction(_op)
del _op


# --- reading .npy files as dask arrays ------------------------------------------------


class _NpyBlocks:
    """A .npy file, opened as a read-only memory map in whichever process reads a block;
    pickles as its path (never its data)."""

    def __init__(self, path: str):
        self.path = os.fspath(path)
        m = np.load(self.path, mmap_mode="r")
        self.shape, self.dtype, self.ndim = m.shape, m.dtype, m.ndim
        self._map = None

    def __getstate__(self):
        return {"path": self.path, "shape": self.shape, "dtype": self.dtype, "ndim": self.ndim}

    def __setstate__(self, s):
        self.__dict__.update(s)
        self._map = None

    def __getitem__(self, index):
        if self._map is None:
            self._map = np.load(self.path, mmap_mode="r")
        return self._map[index]


def from_npy(path, chunks="auto") -> da.Array:
    """A .npy file, or a folder of .npy files (concatenated along axis 0 in name order; their
    other axes and dtypes must match), as a chunked dask array read through memory maps: no
    file is loaded whole, a block's pages are read when a task reduces it."""
    path = os.fspath(path)
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if n.endswith(".npy"))
        if not names:
            raise ValueError(f"{path}: no .npy files in this folder")
        parts = [from_npy(os.path.join(path, n), chunks=chunks) for n in names]
        return da.concatenate(parts, axis=0) if parts[0].ndim else da.stack(parts)
    src = _NpyBlocks(path)
    return da.from_array(src, chunks=chunks, asarray=False, fancy=False, name=f"npy-{os.path.abspath(path)}-{os.path.getmtime(path)}", meta=np.empty((0,) * src.ndim, dtype=src.dtype))
