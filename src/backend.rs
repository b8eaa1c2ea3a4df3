//! The small trait every device implements. NumPy semantics (axes, output dtypes, empty inputs,
//! keepdims) are decided in `ops` and `reduce` before a backend sees a call; a backend only
//! executes the passes it is given.

use crate::host::CpuStorage;

use crate::plan::Reduce3;
use crate::reduce::FoldKind;
use crate::{DType, ReduceOp, Result};

/// What a device executes. `len`s and shapes are already validated, and every pass a backend
/// receives is non-empty. A storage knows its dtype and length (`dtype()`, `len()`), so the
/// methods that take one read them from it.
pub trait Backend {
    /// The device's memory holding one tensor's elements (C order, little-endian bytes), with
    /// their dtype and count.
    type Storage;

    /// Copies elements of `dtype`, given as their little-endian bytes, onto the device.
    fn upload(&self, dtype: DType, bytes: &[u8]) -> Result<Self::Storage>;

    /// Copies the elements back to the host.
    fn download(&self, s: &Self::Storage) -> Result<CpuStorage>;

    /// The accumulators of `kind` after every pass of `passes` (the first folds the elements
    /// of `x`, later ones merge accumulators), of dtype `kind.acc_dtype(x.dtype())`.
    fn fold(&self, x: &Self::Storage, kind: FoldKind, passes: &[Reduce3]) -> Result<Self::Storage>;

    /// The accumulators of every fold of a plan (`kinds`, see `ReduceOp::plan`), in order. A
    /// backend may read `x` once for several of them.
    fn fold_all(
        &self,
        x: &Self::Storage,
        kinds: &[FoldKind],
        passes: &[Reduce3],
    ) -> Result<Vec<Self::Storage>> {
        kinds.iter().map(|&k| self.fold(x, k, passes)).collect()
    }

    /// The result of the value-reduction `op` over elements of `dtype` from its accumulators
    /// (`ReduceOp::plan`): `n` elements of `op.out_dtype(dtype)`, each the reduction of
    /// `count` elements.
    fn finish(
        &self,
        accs: Vec<Self::Storage>,
        op: ReduceOp,
        dtype: DType,
        count: usize,
        n: usize,
    ) -> Result<Self::Storage>;

    /// int64 index of the first maximum of `op`'s key (an arg-reduction) along the middle
    /// axis of `r`. The nan-variants fail on an all-NaN slice.
    fn arg(&self, x: &Self::Storage, op: ReduceOp, r: Reduce3) -> Result<Self::Storage>;

    /// The elements of `x` converted to `to` (the rules of `Tensor::cast`).
    fn cast(&self, x: &Self::Storage, to: DType) -> Result<Self::Storage>;
}
