//! The CPU kernels on borrowed host memory ([`CpuSlice`]): an operation on a NumPy buffer or
//! a memory map needs no copy of its input.

use super::{FoldKind, arg_slice, cast, fold_ops::FoldElem};
use crate::host::{CpuSlice, CpuStorage, with_slice};
use crate::plan::Reduce3;
use crate::{DType, ReduceOp};

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
