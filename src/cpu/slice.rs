//! Borrowed host memory: the CPU kernels run on a typed slice someone else owns (a NumPy
//! buffer, a memory map), so an operation needs no copy of its input.

use half::{bf16, f16};
use num_complex::Complex;

use super::{CpuStorage, FoldKind, arg_slice, cast, fold_ops::FoldElem};
use crate::plan::Reduce3;
use crate::{DType, ReduceOp};

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
            $crate::cpu::CpuSlice::Bool($v) => $body,
            $crate::cpu::CpuSlice::I8($v) => $body,
            $crate::cpu::CpuSlice::U8($v) => $body,
            $crate::cpu::CpuSlice::I16($v) => $body,
            $crate::cpu::CpuSlice::U16($v) => $body,
            $crate::cpu::CpuSlice::I32($v) => $body,
            $crate::cpu::CpuSlice::U32($v) => $body,
            $crate::cpu::CpuSlice::I64($v) => $body,
            $crate::cpu::CpuSlice::U64($v) => $body,
            $crate::cpu::CpuSlice::F16($v) => $body,
            $crate::cpu::CpuSlice::BF16($v) => $body,
            $crate::cpu::CpuSlice::F32($v) => $body,
            $crate::cpu::CpuSlice::F64($v) => $body,
            $crate::cpu::CpuSlice::C64($v) => $body,
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

/// [`super::fold`] of a borrowed slice: the accumulators of `kind` after `passes`.
pub(crate) fn fold_slice(x: CpuSlice<'_>, kind: FoldKind, passes: &[Reduce3]) -> CpuStorage {
    with_slice!(x, v => FoldElem::fold(kind, v, passes))
}

/// [`super::arg`] of a borrowed slice (-1 marks an all-NaN slice of a nan-variant).
pub(crate) fn arg_any_slice(x: CpuSlice<'_>, op: ReduceOp, r: Reduce3) -> Vec<i64> {
    with_slice!(x, v => arg_slice(v, op, r))
}

/// [`super::cast`] of a borrowed slice: every element converted to `to`, in fresh memory.
pub(crate) fn cast_slice(x: CpuSlice<'_>, to: DType) -> CpuStorage {
    cast::cast_borrowed(x, to)
}
