//! Borrowed host memory: the CPU kernels run on a typed slice someone else owns (a NumPy
//! buffer, a memory map), so an operation needs no copy of its input.

use half::{bf16, f16};
use num_complex::Complex;

use super::CpuStorage;
use crate::DType;

/// A borrowed C-order slice of one of the 14 element types (the borrowed [`CpuStorage`]).
#[derive(Clone, Copy, Debug)]
#[doc(hidden)]
pub enum CpuSlice<'a> {
    Bool(&'a [bool]),
    I8(&'a [i8]),
    U8(&'a [u8]),
    I16(&'a [i16]),
    U16(&'a [u16]),
    I32(&'a [i32]),
    U32(&'a [u32]),
    I64(&'a [i64]),
    U64(&'a [u64]),
    F16(&'a [f16]),
    BF16(&'a [bf16]),
    F32(&'a [f32]),
    F64(&'a [f64]),
    C64(&'a [Complex<f32>]),
}

/// Runs `$body` with `$v` bound to the typed slice inside a `CpuSlice`.
macro_rules! with_slice {
    ($s:expr, $v:ident => $body:expr) => {
        match $s {
            $crate::host::CpuSlice::Bool($v) => $body,
            $crate::host::CpuSlice::I8($v) => $body,
            $crate::host::CpuSlice::U8($v) => $body,
            $crate::host::CpuSlice::I16($v) => $body,
            $crate::host::CpuSlice::U16($v) => $body,
            $crate::host::CpuSlice::I32($v) => $body,
            $crate::host::CpuSlice::U32($v) => $body,
            $crate::host::CpuSlice::I64($v) => $body,
            $crate::host::CpuSlice::U64($v) => $body,
            $crate::host::CpuSlice::F16($v) => $body,
            $crate::host::CpuSlice::BF16($v) => $body,
            $crate::host::CpuSlice::F32($v) => $body,
            $crate::host::CpuSlice::F64($v) => $body,
            $crate::host::CpuSlice::C64($v) => $body,
        }
    };
}
pub(crate) use with_slice;

impl CpuSlice<'_> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        with_slice!(self, v => v.len())
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The dtype of the elements.
    pub fn dtype(&self) -> DType {
        with_slice!(*self, v => crate::Element::dtype_of(v))
    }
}

impl CpuStorage {
    /// The elements, borrowed.
    pub fn as_slice(&self) -> CpuSlice<'_> {
        macro_rules! borrow {
            ($($v:ident),*) => {
                match self {$(CpuStorage::$v(x) => CpuSlice::$v(x),)*}
            };
        }
        borrow!(
            Bool, I8, U8, I16, U16, I32, U32, I64, U64, F16, BF16, F32, F64, C64
        )
    }
}
