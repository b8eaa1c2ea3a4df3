//! Host memory that knows its dtype: [`CpuStorage`] owns the elements of one tensor (the CPU
//! device's storage, and what every device downloads into), [`CpuSlice`] borrows them (a NumPy
//! buffer, a memory map). Below every device: the kernels work on these, they do not own them.

mod slice;
mod storage;

pub use slice::CpuSlice;
pub(crate) use slice::with_slice;
pub use storage::CpuStorage;
pub(crate) use storage::with_storage;
