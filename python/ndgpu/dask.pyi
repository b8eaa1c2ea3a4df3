"""Type stubs of ndgpu.dask: ndgpu's reductions over dask arrays."""

from os import PathLike
from typing import Any, Literal, Optional, Sequence, Tuple, Union

import dask.array as da

Device = Literal["cpu", "gpu", "auto"]
Axis = Union[None, int, Tuple[int, ...], Sequence[int]]

def from_npy(path: Union[str, "PathLike[str]"], chunks: Any = "auto") -> da.Array:
    """A .npy file or a folder of .npy files as a dask array through memory maps."""

def sum(a: Any, axis: Axis = None, keepdims: bool = False, split_every: Any = None, device: Optional[Device] = None) -> da.Array:
    """``np.sum`` of a dask array: ndgpu.partial on every block, merged and finished once."""

def prod(a: Any, axis: Axis = None, keepdims: bool = False, split_every: Any = None, device: Optional[Device] = None) -> da.Array:
    """``np.prod`` of a dask array: ndgpu.partial on every block, merged and finished once."""

def mean(a: Any, axis: Axis = None, keepdims: bool = False, split_every: Any = None, device: Optional[Device] = None) -> da.Array:
    """``np.mean`` of a dask array: ndgpu.partial on every block, merged and finished once."""

def min(a: Any, axis: Axis = None, keepdims: bool = False, split_every: Any = None, device: Optional[Device] = None) -> da.Array:
    """``np.min`` of a dask array: ndgpu.partial on every block, merged and finished once."""

def max(a: Any, axis: Axis = None, keepdims: bool = False, split_every: Any = None, device: Optional[Device] = None) -> da.Array:
    """``np.max`` of a dask array: ndgpu.partial on every block, merged and finished once."""

def any(a: Any, axis: Axis = None, keepdims: bool = False, split_every: Any = None, device: Optional[Device] = None) -> da.Array:
    """``np.any`` of a dask array: ndgpu.partial on every block, merged and finished once."""

def all(a: Any, axis: Axis = None, keepdims: bool = False, split_every: Any = None, device: Optional[Device] = None) -> da.Array:
    """``np.all`` of a dask array: ndgpu.partial on every block, merged and finished once."""

def count_nonzero(a: Any, axis: Axis = None, keepdims: bool = False, split_every: Any = None, device: Optional[Device] = None) -> da.Array:
    """``np.count_nonzero`` of a dask array: ndgpu.partial on every block, merged and finished once."""

def nansum(a: Any, axis: Axis = None, keepdims: bool = False, split_every: Any = None, device: Optional[Device] = None) -> da.Array:
    """``np.nansum`` of a dask array: ndgpu.partial on every block, merged and finished once."""

def nanprod(a: Any, axis: Axis = None, keepdims: bool = False, split_every: Any = None, device: Optional[Device] = None) -> da.Array:
    """``np.nanprod`` of a dask array: ndgpu.partial on every block, merged and finished once."""

def nanmean(a: Any, axis: Axis = None, keepdims: bool = False, split_every: Any = None, device: Optional[Device] = None) -> da.Array:
    """``np.nanmean`` of a dask array: ndgpu.partial on every block, merged and finished once."""

def nanmin(a: Any, axis: Axis = None, keepdims: bool = False, split_every: Any = None, device: Optional[Device] = None) -> da.Array:
    """``np.nanmin`` of a dask array: ndgpu.partial on every block, merged and finished once."""

def nanmax(a: Any, axis: Axis = None, keepdims: bool = False, split_every: Any = None, device: Optional[Device] = None) -> da.Array:
    """``np.nanmax`` of a dask array: ndgpu.partial on every block, merged and finished once."""

def ptp(a: Any, axis: Axis = None, keepdims: bool = False, split_every: Any = None, device: Optional[Device] = None) -> da.Array:
    """``np.ptp`` of a dask array: ndgpu.partial on every block, merged and finished once."""

def argmax(a: Any, axis: Optional[int] = None, keepdims: bool = False, split_every: Any = None, device: Optional[Device] = None) -> da.Array:
    """``np.argmax`` of a dask array: (value, global index) pairs between blocks."""

def argmin(a: Any, axis: Optional[int] = None, keepdims: bool = False, split_every: Any = None, device: Optional[Device] = None) -> da.Array:
    """``np.argmin`` of a dask array: (value, global index) pairs between blocks."""

def nanargmax(a: Any, axis: Optional[int] = None, keepdims: bool = False, split_every: Any = None, device: Optional[Device] = None) -> da.Array:
    """``np.nanargmax`` of a dask array: (value, global index) pairs between blocks."""

def nanargmin(a: Any, axis: Optional[int] = None, keepdims: bool = False, split_every: Any = None, device: Optional[Device] = None) -> da.Array:
    """``np.nanargmin`` of a dask array: (value, global index) pairs between blocks."""
