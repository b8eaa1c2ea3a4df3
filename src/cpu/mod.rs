//! The CPU backend: host memory and rayon-parallel kernels. Every other device is checked
//! against it.

mod arg;
mod cast;
mod exact_fold;
mod finish;
mod fold;
mod fold_ops;
mod par;
mod slice;

pub(crate) use arg::{ArgElem, arg, arg_key, arg_slice};
#[doc(hidden)]
pub use cast::cast_into;
pub(crate) use cast::cast_slice_into;
pub(crate) use finish::{finish_host, identity_accumulators, trivial_result};
pub(crate) use fold_ops::{FoldElem, fold, fold_identity, keys_to_values, merge};
pub(crate) use slice::{arg_any_slice, cast_slice, fold_slice};

use crate::host::{CpuSlice, CpuStorage, with_storage};
use crate::reduce::FoldKind;

use crate::backend::Backend;
use crate::plan::Reduce3;
use crate::{DType, ReduceOp, Result};

/// Executes operations in host memory.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuBackend;

impl Backend for CpuBackend {
    type Storage = CpuStorage;

    fn upload(&self, dtype: DType, bytes: &[u8]) -> Result<CpuStorage> {
        Ok(CpuStorage::from_bytes(dtype, bytes))
    }

    fn download(&self, s: &CpuStorage) -> Result<CpuStorage> {
        Ok(s.clone())
    }

    fn fold(&self, x: &CpuStorage, kind: FoldKind, passes: &[Reduce3]) -> Result<CpuStorage> {
        Ok(fold(x, kind, passes))
    }

    fn fold_all(
        &self,
        x: &CpuStorage,
        kinds: &[FoldKind],
        passes: &[Reduce3],
    ) -> Result<Vec<CpuStorage>> {
        Ok(fold_ops::fold_all(x, kinds, passes))
    }

    fn finish(
        &self,
        accs: Vec<CpuStorage>,
        op: ReduceOp,
        dtype: DType,
        count: usize,
        _n: usize,
    ) -> Result<CpuStorage> {
        finish_host(accs, op, dtype, count)
    }

    fn arg(&self, x: &CpuStorage, op: ReduceOp, r: Reduce3) -> Result<CpuStorage> {
        Ok(CpuStorage::I64(arg(x, op, r)))
    }

    fn cast(&self, x: &CpuStorage, to: DType) -> Result<CpuStorage> {
        Ok(cast::cast(x, to))
    }
}

/// xorshift64: the unit tests' random source.
#[cfg(test)]
pub(crate) struct TestRng(pub u64);

#[cfg(test)]
impl TestRng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
