//! The small trait every device implements. NumPy semantics (axes, output dtypes, empty inputs,
//! keepdims) are decided in `ops` before a backend sees a call; a backend only executes.

use crate::cpu::CpuStorage;
use crate::{DType, Result};

/// A reduction viewed as a C-order `[outer, len, inner]` array reduced over its middle axis
/// into an `[outer, inner]` result. Every reduction the front end plans has this form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reduce3 {
    pub outer: usize,
    pub len: usize,
    pub inner: usize,
}

impl Reduce3 {
    /// Elements read.
    pub fn input_len(&self) -> usize {
        self.outer * self.len * self.inner
    }

    /// Elements written.
    pub fn output_len(&self) -> usize {
        self.outer * self.inner
    }
}

/// What a device executes. `len`s and shapes are already validated, and `r.len > 0`,
/// `r.output_len() > 0` for every reduction a backend receives.
pub trait Backend {
    /// The device's memory holding one tensor's elements (C order, little-endian bytes).
    type Storage;

    /// Copies elements of `dtype`, given as their little-endian bytes, onto the device.
    fn upload(&self, dtype: DType, bytes: &[u8]) -> Result<Self::Storage>;

    /// Copies `len` elements of `dtype` back to the host.
    fn download(&self, s: &Self::Storage, dtype: DType, len: usize) -> Result<CpuStorage>;

    /// Sums over the middle axis of `r`; the result has dtype `dtype.sum_accumulator()`.
    /// Integer sums wrap; float sums are pairwise (error within eps·log2(len)·Σ|x|) and
    /// deterministic.
    fn sum(&self, x: &Self::Storage, dtype: DType, r: Reduce3) -> Result<Self::Storage>;

    /// Index (int64) of the first maximum along the middle axis of `r`. NaN is the maximum and
    /// the first NaN wins; -0.0 equals +0.0; complex compares (real, imag) lexicographically.
    fn argmax(&self, x: &Self::Storage, dtype: DType, r: Reduce3) -> Result<Self::Storage>;

    /// Converts `len` elements from `from` to `to` (the rules of `Tensor::cast`).
    fn cast(&self, x: &Self::Storage, from: DType, to: DType, len: usize) -> Result<Self::Storage>;
}
