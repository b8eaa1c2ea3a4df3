"""Type stubs of ndgpu: NumPy's reductions and casts on any GPU (wgpu) or the CPU."""

from os import PathLike
from typing import Any, Literal, Optional, Sequence, Tuple, Union, overload

import numpy as np
import numpy.typing as npt

Device = Literal["cpu", "gpu", "auto"]
Axis = Union[None, int, Tuple[int, ...], Sequence[int]]
ArrayIn = npt.ArrayLike
NumpyOut = Union[np.ndarray, np.generic]
PathIn = Union[str, "PathLike[str]"]

VALUE_OPS: Tuple[str, ...]
ARG_OPS: Tuple[str, ...]

class Tensor:
    """An immutable n-d array on a device (``tf.Tensor``); clones share the elements."""
    @property
    def shape(self) -> Tuple[int, ...]:
        """The shape."""
    @property
    def dtype(self) -> np.dtype[Any]:
        """The element type as a NumPy dtype."""
    @property
    def dtype_name(self) -> str:
        """NumPy's name of the element type."""
    @property
    def device(self) -> str:
        """``cpu``, or the GPU adapter's name and backend."""
    @property
    def is_cpu(self) -> bool:
        """True when the elements are in host memory."""
    @property
    def ndim(self) -> int:
        """The number of axes."""
    @property
    def size(self) -> int:
        """The number of elements."""
    def numpy(self) -> np.ndarray:
        """The elements as a new NumPy array (a copy on the CPU, a readback from a GPU)."""
    def to(self, device: Device) -> Tensor:
        """The same elements on ``device`` (this tensor if it is already there)."""
    def __array__(self, dtype: Any = ..., copy: Optional[bool] = ...) -> np.ndarray:
        """``np.asarray(tensor)``: a copy (``copy=False`` raises ValueError)."""
    def __len__(self) -> int: ...

class Partial:
    """The mergeable partial result of a value-reduction of one block of an array (ndgpu's
    ``Partial``): merge the blocks' partials, finish once; float sums and means are exact,
    so the result equals the whole array's bit for bit."""
    @property
    def op(self) -> str:
        """The reduction's name."""
    @property
    def dtype(self) -> np.dtype[Any]:
        """The dtype of the reduced elements."""
    @property
    def shape(self) -> Tuple[int, ...]:
        """The result's shape with the reduced axes kept as length 1."""
    @property
    def axes(self) -> Tuple[int, ...]:
        """The reduced axes."""
    @property
    def count(self) -> int:
        """Elements each output element has reduced so far."""
    @property
    def is_order_free(self) -> bool:
        """True when merges give the same result in any grouping and order."""
    def merge(self, other: Partial) -> Partial:
        """The partial of both blocks' elements (ValueError if they are of other reductions)."""
    def finish(self, keepdims: bool = False) -> NumpyOut:
        """The reduction's result: a NumPy array, or a NumPy scalar when 0-d."""
    def words(self) -> np.ndarray:
        """The partial as uint32 words, shape ``shape + (record_len,)``."""
    @staticmethod
    def from_words(op: str, dtype: str, axis: Optional[Sequence[int]], words: np.ndarray) -> Partial:
        """Reads words back; partials stacked along a reduced axis are merged."""
    @staticmethod
    def record_len(op: str, dtype: str) -> int:
        """uint32 words per output element of a partial of ``op`` over ``dtype``."""

def partial(op: str, a: Union[ArrayIn, Tensor], axis: Axis = None, device: Optional[Device] = None) -> Partial:
    """The mergeable partial result of the value-reduction ``op`` of ``a`` over ``axis``."""

def convert_to_tensor(a: Union[ArrayIn, Tensor], device: Device = "auto") -> Tensor:
    """``tf.convert_to_tensor``: a NumPy array (copied once) or a Tensor on ``device``."""

def cast(a: Union[ArrayIn, Tensor], dtype: npt.DTypeLike, device: Optional[Device] = None) -> Any:
    """``a.astype(dtype)``: NumPy in, NumPy out; Tensor in, Tensor out."""

def devices() -> list[dict[str, Any]]:
    """What ``ndgpu info`` lists: the CPU and every GPU adapter."""

def load(path: PathIn, device: Device = "auto") -> Tensor:
    """``np.load(path)`` as a Tensor on ``device``."""

def save(path: PathIn, x: Union[ArrayIn, Tensor]) -> None:
    """``np.save(path, x)``, atomically."""

def cast_file(src: PathIn, dst: PathIn, dtype: npt.DTypeLike, device: Optional[Device] = None) -> None:
    """``np.load(src).astype(dtype)`` streamed into ``dst``."""

@overload
def sum(a: Tensor, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> Tensor: ...
@overload
def sum(a: ArrayIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> NumpyOut:
    """``np.sum`` on ``device``: NumPy in, NumPy out (a scalar for 0-d); Tensor in, Tensor out."""
def sum_file(path: PathIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None, chunk_bytes: Optional[int] = None) -> NumpyOut:
    """``np.sum(np.load(path), ...)`` streamed in chunks from a memory map."""

@overload
def prod(a: Tensor, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> Tensor: ...
@overload
def prod(a: ArrayIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> NumpyOut:
    """``np.prod`` on ``device``: NumPy in, NumPy out (a scalar for 0-d); Tensor in, Tensor out."""
def prod_file(path: PathIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None, chunk_bytes: Optional[int] = None) -> NumpyOut:
    """``np.prod(np.load(path), ...)`` streamed in chunks from a memory map."""

@overload
def mean(a: Tensor, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> Tensor: ...
@overload
def mean(a: ArrayIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> NumpyOut:
    """``np.mean`` on ``device``: NumPy in, NumPy out (a scalar for 0-d); Tensor in, Tensor out."""
def mean_file(path: PathIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None, chunk_bytes: Optional[int] = None) -> NumpyOut:
    """``np.mean(np.load(path), ...)`` streamed in chunks from a memory map."""

@overload
def min(a: Tensor, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> Tensor: ...
@overload
def min(a: ArrayIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> NumpyOut:
    """``np.min`` on ``device``: NumPy in, NumPy out (a scalar for 0-d); Tensor in, Tensor out."""
def min_file(path: PathIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None, chunk_bytes: Optional[int] = None) -> NumpyOut:
    """``np.min(np.load(path), ...)`` streamed in chunks from a memory map."""

@overload
def max(a: Tensor, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> Tensor: ...
@overload
def max(a: ArrayIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> NumpyOut:
    """``np.max`` on ``device``: NumPy in, NumPy out (a scalar for 0-d); Tensor in, Tensor out."""
def max_file(path: PathIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None, chunk_bytes: Optional[int] = None) -> NumpyOut:
    """``np.max(np.load(path), ...)`` streamed in chunks from a memory map."""

@overload
def any(a: Tensor, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> Tensor: ...
@overload
def any(a: ArrayIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> NumpyOut:
    """``np.any`` on ``device``: NumPy in, NumPy out (a scalar for 0-d); Tensor in, Tensor out."""
def any_file(path: PathIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None, chunk_bytes: Optional[int] = None) -> NumpyOut:
    """``np.any(np.load(path), ...)`` streamed in chunks from a memory map."""

@overload
def all(a: Tensor, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> Tensor: ...
@overload
def all(a: ArrayIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> NumpyOut:
    """``np.all`` on ``device``: NumPy in, NumPy out (a scalar for 0-d); Tensor in, Tensor out."""
def all_file(path: PathIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None, chunk_bytes: Optional[int] = None) -> NumpyOut:
    """``np.all(np.load(path), ...)`` streamed in chunks from a memory map."""

@overload
def count_nonzero(a: Tensor, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> Tensor: ...
@overload
def count_nonzero(a: ArrayIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> NumpyOut:
    """``np.count_nonzero`` on ``device``: NumPy in, NumPy out (a scalar for 0-d); Tensor in, Tensor out."""
def count_nonzero_file(path: PathIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None, chunk_bytes: Optional[int] = None) -> NumpyOut:
    """``np.count_nonzero(np.load(path), ...)`` streamed in chunks from a memory map."""

@overload
def nansum(a: Tensor, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> Tensor: ...
@overload
def nansum(a: ArrayIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> NumpyOut:
    """``np.nansum`` on ``device``: NumPy in, NumPy out (a scalar for 0-d); Tensor in, Tensor out."""
def nansum_file(path: PathIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None, chunk_bytes: Optional[int] = None) -> NumpyOut:
    """``np.nansum(np.load(path), ...)`` streamed in chunks from a memory map."""

@overload
def nanprod(a: Tensor, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> Tensor: ...
@overload
def nanprod(a: ArrayIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> NumpyOut:
    """``np.nanprod`` on ``device``: NumPy in, NumPy out (a scalar for 0-d); Tensor in, Tensor out."""
def nanprod_file(path: PathIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None, chunk_bytes: Optional[int] = None) -> NumpyOut:
    """``np.nanprod(np.load(path), ...)`` streamed in chunks from a memory map."""

@overload
def nanmean(a: Tensor, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> Tensor: ...
@overload
def nanmean(a: ArrayIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> NumpyOut:
    """``np.nanmean`` on ``device``: NumPy in, NumPy out (a scalar for 0-d); Tensor in, Tensor out."""
def nanmean_file(path: PathIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None, chunk_bytes: Optional[int] = None) -> NumpyOut:
    """``np.nanmean(np.load(path), ...)`` streamed in chunks from a memory map."""

@overload
def nanmin(a: Tensor, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> Tensor: ...
@overload
def nanmin(a: ArrayIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> NumpyOut:
    """``np.nanmin`` on ``device``: NumPy in, NumPy out (a scalar for 0-d); Tensor in, Tensor out."""
def nanmin_file(path: PathIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None, chunk_bytes: Optional[int] = None) -> NumpyOut:
    """``np.nanmin(np.load(path), ...)`` streamed in chunks from a memory map."""

@overload
def nanmax(a: Tensor, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> Tensor: ...
@overload
def nanmax(a: ArrayIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> NumpyOut:
    """``np.nanmax`` on ``device``: NumPy in, NumPy out (a scalar for 0-d); Tensor in, Tensor out."""
def nanmax_file(path: PathIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None, chunk_bytes: Optional[int] = None) -> NumpyOut:
    """``np.nanmax(np.load(path), ...)`` streamed in chunks from a memory map."""

@overload
def ptp(a: Tensor, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> Tensor: ...
@overload
def ptp(a: ArrayIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None) -> NumpyOut:
    """``np.ptp`` on ``device``: NumPy in, NumPy out (a scalar for 0-d); Tensor in, Tensor out."""
def ptp_file(path: PathIn, axis: Axis = None, keepdims: bool = False, device: Optional[Device] = None, chunk_bytes: Optional[int] = None) -> NumpyOut:
    """``np.ptp(np.load(path), ...)`` streamed in chunks from a memory map."""

@overload
def argmax(a: Tensor, axis: Optional[int] = None, keepdims: bool = False, device: Optional[Device] = None) -> Tensor: ...
@overload
def argmax(a: ArrayIn, axis: Optional[int] = None, keepdims: bool = False, device: Optional[Device] = None) -> NumpyOut:
    """``np.argmax`` as int64 on ``device``: NumPy in, NumPy out; Tensor in, Tensor out."""
def argmax_file(path: PathIn, axis: Optional[int] = None, keepdims: bool = False, device: Optional[Device] = None, chunk_bytes: Optional[int] = None) -> NumpyOut:
    """``np.argmax(np.load(path), ...)`` streamed in chunks from a memory map."""

@overload
def argmin(a: Tensor, axis: Optional[int] = None, keepdims: bool = False, device: Optional[Device] = None) -> Tensor: ...
@overload
def argmin(a: ArrayIn, axis: Optional[int] = None, keepdims: bool = False, device: Optional[Device] = None) -> NumpyOut:
    """``np.argmin`` as int64 on ``device``: NumPy in, NumPy out; Tensor in, Tensor out."""
def argmin_file(path: PathIn, axis: Optional[int] = None, keepdims: bool = False, device: Optional[Device] = None, chunk_bytes: Optional[int] = None) -> NumpyOut:
    """``np.argmin(np.load(path), ...)`` streamed in chunks from a memory map."""

@overload
def nanargmax(a: Tensor, axis: Optional[int] = None, keepdims: bool = False, device: Optional[Device] = None) -> Tensor: ...
@overload
def nanargmax(a: ArrayIn, axis: Optional[int] = None, keepdims: bool = False, device: Optional[Device] = None) -> NumpyOut:
    """``np.nanargmax`` as int64 on ``device``: NumPy in, NumPy out; Tensor in, Tensor out."""
def nanargmax_file(path: PathIn, axis: Optional[int] = None, keepdims: bool = False, device: Optional[Device] = None, chunk_bytes: Optional[int] = None) -> NumpyOut:
    """``np.nanargmax(np.load(path), ...)`` streamed in chunks from a memory map."""

@overload
def nanargmin(a: Tensor, axis: Optional[int] = None, keepdims: bool = False, device: Optional[Device] = None) -> Tensor: ...
@overload
def nanargmin(a: ArrayIn, axis: Optional[int] = None, keepdims: bool = False, device: Optional[Device] = None) -> NumpyOut:
    """``np.nanargmin`` as int64 on ``device``: NumPy in, NumPy out; Tensor in, Tensor out."""
def nanargmin_file(path: PathIn, axis: Optional[int] = None, keepdims: bool = False, device: Optional[Device] = None, chunk_bytes: Optional[int] = None) -> NumpyOut:
    """``np.nanargmin(np.load(path), ...)`` streamed in chunks from a memory map."""
