//! The one error type of the crate: every message is one line that names the problem and the fix.

use crate::DType;

/// Everything that can go wrong in ndgpu.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A dtype name that is not one of NumPy's names for the supported types.
    #[error(
        "unknown dtype `{0}`: use one of bool, int8, uint8, int16, uint16, int32, uint32, int64, uint64, float16, bfloat16, float32, float64, complex64"
    )]
    UnknownDType(String),
    /// An axis outside `-ndim..ndim`.
    #[error("{}", axis_message(*axis, *ndim))]
    AxisOutOfRange {
        /// The axis given.
        axis: isize,
        /// The rank of the array.
        ndim: usize,
    },
    /// The same axis named twice.
    #[error("axis {axis} is repeated (as {first} and {second}): name each axis once")]
    RepeatedAxis {
        /// The axis, normalised to `0..ndim`.
        axis: usize,
        /// The first spelling of it.
        first: isize,
        /// The second spelling of it.
        second: isize,
    },
    /// A reduction without an identity (min, max, the arg-reductions) over nothing.
    #[error(
        "{0} of an empty sequence (a reduced axis has length 0) is undefined: reduce non-empty axes"
    )]
    EmptyReduction(&'static str),
    /// nanargmax / nanargmin of a slice that is all NaN.
    #[error("{0} of an all-NaN slice is undefined: it has no non-NaN element to index")]
    AllNan(&'static str),
    /// A broken invariant inside ndgpu (please report it).
    #[error("internal error (please report): {0}")]
    Internal(String),
    /// A Rust element type that does not match the tensor's dtype.
    #[error(
        "dtype mismatch: the tensor holds {tensor} but {requested} was requested: ask for the tensor's dtype or cast() first"
    )]
    DTypeMismatch {
        /// The dtype the tensor holds.
        tensor: DType,
        /// The dtype asked for.
        requested: DType,
    },
    /// Data whose length does not match the shape.
    #[error(
        "shape {shape:?} holds {expected} elements but {actual} were given: make the data match the shape"
    )]
    ShapeMismatch {
        /// The shape given.
        shape: Vec<usize>,
        /// Its element count.
        expected: usize,
        /// The number of elements given.
        actual: usize,
    },
    /// A shape whose element count or byte size overflows `usize`.
    #[error("shape {0:?} is too large: its byte size overflows this platform's address space")]
    ShapeTooLarge(Vec<usize>),
    /// A shape with more dimensions than NumPy allows.
    #[error("{0} dimensions is more than the 64 NumPy allows: reshape to at most 64")]
    TooManyDimensions(usize),
    /// `view()` on a tensor that lives on a GPU.
    #[error("the tensor lives on {0}, not in host memory: call to_ndarray() to read it back")]
    NotOnHost(String),
    /// No usable GPU adapter.
    #[error("no GPU adapter: {}", .0.strip_prefix("no GPU adapter: ").unwrap_or(.0))]
    NoAdapter(String),
    /// A GPU failure (validation error, lost device, out of memory, failed map).
    #[error("GPU error: {0}")]
    Gpu(String),
    /// A device-to-host copy refused by `Device::set_transfer_guard(TransferGuard::Deny)`.
    #[error(
        "implicit device-to-host copy of {bytes} bytes refused by the transfer guard: call to_ndarray() explicitly or relax the guard"
    )]
    TransferDenied {
        /// The size of the refused copy.
        bytes: usize,
    },
    /// An operation the dtype does not support.
    #[error("{0}")]
    Unsupported(String),
    /// A reduction NumPy refuses for the input's dtype (`ptp` of bool).
    #[error("{op} of {dtype}: {reason}")]
    DTypeRefused {
        /// The reduction's NumPy name.
        op: &'static str,
        /// The input's dtype.
        dtype: DType,
        /// Why NumPy refuses it.
        reason: &'static str,
    },
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A malformed or unsupported .npy file.
    #[error("{path}: {message}")]
    Npy {
        /// The file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
}

/// The message of [`Error::AxisOutOfRange`].
fn axis_message(axis: isize, ndim: usize) -> String {
    if ndim == 0 {
        format!("axis {axis} is out of range: the array is 0-d and has no axes: name no axis")
    } else {
        format!(
            "axis {axis} is out of range for an array of rank {ndim}: use an axis in {}..{ndim}",
            -(ndim as isize)
        )
    }
}

/// `std::result::Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
