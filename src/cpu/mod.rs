//! The CPU backend: host memory and rayon-parallel kernels. Every other device is checked
//! against it.

mod argmax;
mod cast;
mod storage;
mod sum;

pub(crate) use argmax::{argmax_typed, ArgKey};
#[doc(hidden)]
pub use cast::cast_into;
pub(crate) use storage::with_storage;
pub use storage::CpuStorage;
pub(crate) use sum::{sum_typed, SumElem};

use crate::backend::{Backend, Reduce3};
use crate::{DType, Result};

/// Executes operations in host memory.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuBackend;

impl Backend for CpuBackend {
    type Storage = CpuStorage;

    fn upload(&self, dtype: DType, bytes: &[u8]) -> Result<CpuStorage> {
        Ok(CpuStorage::from_bytes(dtype, bytes))
    }

    fn download(&self, s: &CpuStorage, _dtype: DType, _len: usize) -> Result<CpuStorage> {
        Ok(s.clone())
    }

    fn sum(&self, x: &CpuStorage, _dtype: DType, r: Reduce3) -> Result<CpuStorage> {
        Ok(sum::sum(x, r))
    }

    fn argmax(&self, x: &CpuStorage, _dtype: DType, r: Reduce3) -> Result<CpuStorage> {
        Ok(CpuStorage::I64(argmax::argmax(x, r)))
    }

    fn cast(&self, x: &CpuStorage, _from: DType, to: DType, _len: usize) -> Result<CpuStorage> {
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
