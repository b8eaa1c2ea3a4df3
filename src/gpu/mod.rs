//! The wgpu device. Not built yet: `GpuDevice::new` reports that no adapter can be used.

use crate::backend::{Backend, Reduce3};
use crate::cpu::CpuStorage;
use crate::{DType, Error, Result};

/// A wgpu adapter with its device and queue.
#[derive(Debug)]
pub struct GpuDevice {
    name: String,
}

/// A tensor's elements in GPU buffers.
#[derive(Debug)]
pub struct GpuStorage {
    _private: (),
}

fn not_built() -> Error {
    Error::NoAdapter("the wgpu backend is not built into this version of ndgpu".into())
}

impl GpuDevice {
    /// Opens the preferred adapter.
    pub fn new() -> Result<GpuDevice> {
        Err(not_built())
    }

    /// The adapter's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Backend for GpuDevice {
    type Storage = GpuStorage;

    fn upload(&self, _dtype: DType, _bytes: &[u8]) -> Result<GpuStorage> {
        Err(not_built())
    }
    fn download(&self, _s: &GpuStorage, _dtype: DType, _len: usize) -> Result<CpuStorage> {
        Err(not_built())
    }
    fn sum(&self, _x: &GpuStorage, _dtype: DType, _r: Reduce3) -> Result<GpuStorage> {
        Err(not_built())
    }
    fn argmax(&self, _x: &GpuStorage, _dtype: DType, _r: Reduce3) -> Result<GpuStorage> {
        Err(not_built())
    }
    fn cast(&self, _x: &GpuStorage, _f: DType, _t: DType, _len: usize) -> Result<GpuStorage> {
        Err(not_built())
    }
}
