"""ndgpu: NumPy's reductions and casts on any GPU (wgpu compute shaders) or the CPU.

The seeds' API (TensorFlow's NumPy interop) mirrored::

    import numpy as np, ndgpu
    a = np.random.rand(1000, 1000).astype(np.float32)
    ndgpu.sum(a)                      # a NumPy scalar, as np.sum(a)
    ndgpu.argmax(a, axis=-1)          # a NumPy array of int64
    t = ndgpu.convert_to_tensor(a)    # an ndgpu.Tensor on device="auto"
    ndgpu.max(t, axis=(0, 1)).numpy() # Tensor in, Tensor out

Every function takes a NumPy array (or anything ``np.asarray`` takes) or a ``Tensor``. A
NumPy array in gives a NumPy array out (a NumPy scalar for a 0-d result, as NumPy does); a
Tensor in gives a Tensor out. ``device`` is ``"cpu"``, ``"gpu"`` or ``"auto"`` (a hardware
GPU adapter if one exists, else the CPU: a software adapter is never chosen by ``auto``);
``None`` means the Tensor's own device, or ``"auto"`` for a NumPy array.

Memory: a C-contiguous, native-byte-order NumPy array is read in place by a CPU operation
(no copy in) and uploaded straight from its buffer to a GPU; results become NumPy arrays
without a copy. Other layouts and byte orders are copied once. The GIL is released while an
operation runs.

Errors: ``ValueError`` for axes, empty min/max/arg-reductions and all-NaN slices of the
nanarg-reductions; ``TypeError`` for unsupported dtypes; ``RuntimeError`` for device
failures; ``OSError`` for files. Messages are ndgpu's one-line messages.
"""

from __future__ import annotations

import operator
import os

import numpy as np

# Mesa's device-select Vulkan layer prints "XDG_RUNTIME_DIR is invalid" on headless Linux
# machines; ndgpu orders adapters itself. Set before the extension opens Vulkan (the Rust
# library leaves the environment alone; the `ndgpu` command does the same).
if os.name == "posix":
    os.environ.setdefault("NODEVICE_SELECT", "1")

from . import _ndgpu  # noqa: E402
from ._ndgpu import Partial, Tensor

__all__ = [
    "Tensor",
    "Partial",
    "partial",
    "convert_to_tensor",
    "devices",
    "cast",
    "load",
    "save",
    "cast_file",
    "VALUE_OPS",
    "ARG_OPS",
]

#: The value-reductions (``axis`` an int, a tuple of ints or None).
VALUE_OPS = (
    "sum",
    "prod",
    "mean",
    "min",
    "max",
    "any",
    "all",
    "count_nonzero",
    "nansum",
    "nanprod",
    "nanmean",
    "nanmin",
    "nanmax",
    "ptp",
)
# The value-reductions with no identity: over nothing they raise ValueError, as NumPy's do.
_NO_IDENTITY = ("min", "max", "nanmin", "nanmax", "ptp")
#: The arg-reductions (``axis`` an int or None: the flattened array).
ARG_OPS = ("argmax", "argmin", "nanargmax", "nanargmin")


def _prepare(x):
    """A Tensor as is; anything else as an aligned NumPy array of native byte order (one
    copy if it is not)."""
    if isinstance(x, Tensor):
        return x
    a = np.asarray(x)
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    elif a.size == 0:
        a = np.empty(a.shape, dtype=a.dtype)  # its pointer may be anything: Rust needs it aligned
    elif not a.flags.aligned:
        a = a.copy()  # e.g. a buffer unpickled at an odd offset: Rust needs aligned elements
    return a


def _axes(axis):
    """None, or a list of ints, from NumPy's ``axis`` (an int or a tuple of ints)."""
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        return [operator.index(a) for a in axis]
    return [operator.index(axis)]


def _arg_axis(axis):
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        raise TypeError(
            f"an arg-reduction takes one axis or None (the flattened array), not {axis!r}"
        )
    return [operator.index(axis)]


def _out(r, from_numpy: bool):
    """A 0-d NumPy result as a NumPy scalar, as NumPy returns it."""
    if from_numpy and isinstance(r, np.ndarray) and r.ndim == 0:
        return r[()]
    return r


def _device_name(device):
    if device is None:
        return None
    if device not in ("cpu", "gpu", "auto"):
        raise ValueError(f'unknown device `{device}`: use "cpu", "gpu" or "auto"')
    return device


def convert_to_tensor(a, device: str = "auto") -> Tensor:
    """``tf.convert_to_tensor(a)``: a NumPy array (or a Tensor) as a Tensor on ``device``.

    A NumPy array is copied once into C order (into host memory the Tensor owns on the CPU,
    straight from its buffer into a GPU buffer otherwise); a Tensor already on ``device`` is
    returned as is (Tensors are immutable).
    """
    return _ndgpu.convert_to_tensor(_prepare(a), _device_name(device))


def _value_op(name: str, numpy_doc: str):
    def op(a, axis=None, keepdims: bool = False, device: str | None = None):
        x = _prepare(a)
        r = _ndgpu.reduce(name, x, _axes(axis), bool(keepdims), _device_name(device))
        return _out(r, not isinstance(x, Tensor))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (
        f"``np.{name}(a, axis=axis, keepdims=keepdims)`` on ``device``: {numpy_doc}\n\n"
        "``axis``: None (every axis), an int or a tuple of ints (negative ones count from "
        "the end). A NumPy array in gives a NumPy array (or a NumPy scalar for a 0-d "
        "result) out; a Tensor gives a Tensor.\n\n"
        "Raises ValueError for an axis out of range or repeated"
        + (" or an empty reduction" if name in _NO_IDENTITY else "")
        + ", TypeError for an unsupported dtype, RuntimeError for a device failure."
    )
    return op


def _arg_op(name: str, numpy_doc: str):
    def op(a, axis=None, keepdims: bool = False, device: str | None = None):
        x = _prepare(a)
        r = _ndgpu.reduce(name, x, _arg_axis(axis), bool(keepdims), _device_name(device))
        return _out(r, not isinstance(x, Tensor))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (
        f"``np.{name}(a, axis=axis, keepdims=keepdims)`` as int64 on ``device``: "
        f"{numpy_doc}\n\n``axis``: an int, or None for indices into the flattened C-order "
        "array. Raises ValueError for an empty reduction, an axis out of range"
        + (" or an all-NaN slice" if name.startswith("nan") else "")
        + ", TypeError for an unsupported dtype or a tuple axis."
    )
    return op


_VALUE_DOCS = {
    "sum": "bool and signed ints sum to int64 (wrapping), unsigned to uint64, floats keep "
    "their dtype; a float sum is the exact sum rounded once (the same bytes on every device).",
    "prod": "the dtypes of sum; integer products wrap; the product of nothing is 1.",
    "mean": "float64 for integers and bool, the input dtype for floats; an empty slice "
    "gives NaN.",
    "min": "the smallest element, bit for bit (NaN propagates: the first NaN wins).",
    "max": "the largest element, bit for bit (NaN propagates).",
    "any": "bool: some element is non-zero (NaN counts as non-zero).",
    "all": "bool: every element is non-zero (NaN counts as non-zero).",
    "count_nonzero": "int64: how many elements are non-zero (NaN counts).",
    "nansum": "as sum, with NaN counted as 0.",
    "nanprod": "as prod, with NaN counted as 1.",
    "nanmean": "as mean over the elements that are not NaN; an all-NaN slice gives NaN.",
    "nanmin": "as min, ignoring NaN; an all-NaN slice gives NaN.",
    "nanmax": "as max, ignoring NaN; an all-NaN slice gives NaN.",
    "ptp": "max - min in the input dtype, as np.subtract computes it (integers wrap; NaN "
    "propagates); bool is refused (TypeError), as NumPy refuses it.",
}
_ARG_DOCS = {
    "argmax": "the first maximum; NaN is the maximum (the first NaN wins), -0.0 equals "
    "+0.0, complex values compare (real, imag).",
    "argmin": "the first minimum; NaN is the minimum (the first NaN wins).",
    "nanargmax": "as argmax, ignoring NaN.",
    "nanargmin": "as argmin, ignoring NaN.",
}

sum = _value_op("sum", _VALUE_DOCS["sum"])  # noqa: A001
prod = _value_op("prod", _VALUE_DOCS["prod"])
mean = _value_op("mean", _VALUE_DOCS["mean"])
min = _value_op("min", _VALUE_DOCS["min"])  # noqa: A001
max = _value_op("max", _VALUE_DOCS["max"])  # noqa: A001
any = _value_op("any", _VALUE_DOCS["any"])  # noqa: A001
all = _value_op("all", _VALUE_DOCS["all"])  # noqa: A001
count_nonzero = _value_op("count_nonzero", _VALUE_DOCS["count_nonzero"])
nansum = _value_op("nansum", _VALUE_DOCS["nansum"])
nanprod = _value_op("nanprod", _VALUE_DOCS["nanprod"])
nanmean = _value_op("nanmean", _VALUE_DOCS["nanmean"])
nanmin = _value_op("nanmin", _VALUE_DOCS["nanmin"])
nanmax = _value_op("nanmax", _VALUE_DOCS["nanmax"])
ptp = _value_op("ptp", _VALUE_DOCS["ptp"])
argmax = _arg_op("argmax", _ARG_DOCS["argmax"])
argmin = _arg_op("argmin", _ARG_DOCS["argmin"])
nanargmax = _arg_op("nanargmax", _ARG_DOCS["nanargmax"])
nanargmin = _arg_op("nanargmin", _ARG_DOCS["nanargmin"])
__all__ += list(VALUE_OPS) + list(ARG_OPS)


def partial(op: str, a, axis=None, device: str | None = None) -> Partial:
    """The mergeable partial result of the value-reduction ``op`` (``"sum"``, ``"mean"``,
    ... any of ``VALUE_OPS``) of ``a`` over ``axis``, computed on ``device``: reduce each
    block of a larger array, ``merge`` the blocks' partials (blocks split the reduced axes),
    ``finish(keepdims)`` once, and get what ``ndgpu.<op>`` of the whole array gives. Float
    sums and means carry the exact sum as integer words, so that holds bit for bit for any
    split and merge order, on every device.

    ``Partial.words()`` is a uint32 array of shape ``shape + (record_len,)`` (ndgpu's
    ``Partial::to_words`` layout) for moving a partial between processes;
    ``Partial.from_words(op, dtype, axis, words)`` reads it back, merging partials
    concatenated along a reduced axis. Partials also pickle (as their words).

    Raises ValueError for an arg-reduction, a bad axis, or partials that do not merge.
    """
    if op in ARG_OPS:
        raise ValueError(f"{op} has no mergeable partial: merge (value, index) pairs")
    return _ndgpu.partial(op, _prepare(a), _axes(axis), _device_name(device))


def _dtype_name(dtype) -> str:
    if isinstance(dtype, str) and dtype.lower() == "bfloat16":
        return "bfloat16"  # refused below with ndgpu's message
    return np.dtype(dtype).newbyteorder("=").name


def cast(a, dtype, device: str | None = None):
    """``tf.cast(a, dtype)`` / ``a.astype(dtype)`` on ``device``.

    NumPy's result where NumPy defines it; where it is platform-defined, Rust's ``as``:
    float -> int truncates toward zero and saturates (NaN -> 0), int -> int wraps, anything
    -> bool is ``!= 0``, complex -> real takes the real part; every rounding is to nearest
    even, once. ``dtype``: anything ``np.dtype`` takes. A NumPy array in gives a new NumPy
    array out (always a copy, as ``astype``); a Tensor gives a Tensor. Raises TypeError for
    an unsupported dtype.
    """
    x = _prepare(a)
    return _ndgpu.cast(x, _dtype_name(dtype), _device_name(device))


def devices() -> list:
    """What ``ndgpu info`` lists: the CPU and every GPU adapter wgpu finds, each a dict
    (``name``, ``kind``: "cpu" or "gpu", ``backend``, ``device_type``, ``driver``,
    ``chosen``: the adapter ``device="gpu"`` opens, with its ``limits`` and ``features``,
    and ``auto``: the device ``device="auto"`` uses)."""
    return _ndgpu.devices()


def load(path, device: str = "auto") -> Tensor:
    """``np.load(path)`` as a Tensor on ``device`` (every .npy NumPy writes for the supported
    dtypes: both byte orders, C and Fortran order, versions 1-3). Raises ValueError for a
    malformed or unsupported file, OSError when it cannot be read."""
    return _ndgpu.load(os.fspath(path), _device_name(device))


def save(path, x) -> None:
    """``np.save(path, x)`` (a NumPy array or a Tensor; a GPU Tensor is read back), written
    atomically: ``path`` is replaced only when the file is complete."""
    t = x if isinstance(x, Tensor) else convert_to_tensor(x, device="cpu")
    _ndgpu.save(os.fspath(path), t)


def _file_op(name: str, is_arg: bool):
    def op(path, axis=None, keepdims: bool = False, device: str | None = None, chunk_bytes=None):
        axes = _arg_axis(axis) if is_arg else _axes(axis)
        r = _ndgpu.reduce_file(
            name, os.fspath(path), axes, bool(keepdims), _device_name(device), chunk_bytes
        )
        return _out(r, True)

    op.__name__ = op.__qualname__ = f"{name}_file"
    op.__doc__ = (
        f"``np.{name}(np.load(path), axis=axis, keepdims=keepdims)`` streamed: the file is "
        "read in chunks (``chunk_bytes``, default 32 MiB or ``NDGPU_CHUNK_BYTES``) from a "
        "memory map and reduced on ``device``, so files larger than memory work with bounded "
        "memory (the CLI's streaming). Returns a NumPy array or scalar; raises as "
        f"``ndgpu.{name}`` and OSError/ValueError for the file."
    )
    return op


for _name in VALUE_OPS + ARG_OPS:
    globals()[f"{_name}_file"] = _file_op(_name, _name in ARG_OPS)
    __all__.append(f"{_name}_file")
del _name


def cast_file(src, dst, dtype, device: str | None = None) -> None:
    """``np.save(dst, np.load(src).astype(dtype))`` streamed chunk by chunk (atomically;
    a Fortran-order input gives a Fortran-order output)."""
    _ndgpu.cast_file(os.fspath(src), os.fspath(dst), _dtype_name(dtype), _device_name(device))
