//! Where tensors live: the CPU or a wgpu adapter. Both execute through [`Backend`], so this
//! module only routes calls.

use std::fmt;
use std::sync::Arc;

use crate::backend::{Backend, Reduce3};
use crate::cpu::{CpuBackend, CpuStorage};
use crate::gpu::{GpuDevice, GpuStorage};
use crate::{DType, Error, Result};

/// A device: `Device::cpu()`, `Device::gpu()` or `Device::auto()`. Cheap to clone; clones are
/// the same device.
#[derive(Clone)]
pub struct Device {
    kind: DeviceKind,
}

#[derive(Clone)]
enum DeviceKind {
    Cpu,
    Gpu(Arc<GpuDevice>),
}

/// A tensor's elements on its device.
#[derive(Debug)]
pub(crate) enum Storage {
    Cpu(CpuStorage),
    Gpu(GpuStorage),
}

impl Device {
    /// The host CPU (rayon-parallel kernels).
    pub fn cpu() -> Device {
        Device {
            kind: DeviceKind::Cpu,
        }
    }

    /// The preferred GPU adapter.
    ///
    /// # Errors
    /// [`Error::NoAdapter`] when no usable adapter exists.
    pub fn gpu() -> Result<Device> {
        Ok(Device {
            kind: DeviceKind::Gpu(Arc::new(GpuDevice::new()?)),
        })
    }

    /// The GPU if an adapter exists, else the CPU.
    pub fn auto() -> Device {
        Self::auto_with_reason().0
    }

    /// Like [`Device::auto`], also giving the reason the GPU was not used, if it was not.
    pub fn auto_with_reason() -> (Device, Option<Error>) {
        match Device::gpu() {
            Ok(d) => (d, None),
            Err(e) => (Device::cpu(), Some(e)),
        }
    }

    /// True for the CPU device.
    pub fn is_cpu(&self) -> bool {
        matches!(self.kind, DeviceKind::Cpu)
    }

    /// A short description: `cpu`, or the adapter's name and backend.
    pub fn name(&self) -> String {
        match &self.kind {
            DeviceKind::Cpu => "cpu".to_string(),
            DeviceKind::Gpu(g) => g.name().to_string(),
        }
    }

    pub(crate) fn upload(&self, dtype: DType, bytes: &[u8]) -> Result<Storage> {
        match &self.kind {
            DeviceKind::Cpu => CpuBackend.upload(dtype, bytes).map(Storage::Cpu),
            DeviceKind::Gpu(g) => g.upload(dtype, bytes).map(Storage::Gpu),
        }
    }

    pub(crate) fn download(&self, s: &Storage, dtype: DType, len: usize) -> Result<CpuStorage> {
        match (&self.kind, s) {
            (DeviceKind::Cpu, Storage::Cpu(x)) => CpuBackend.download(x, dtype, len),
            (DeviceKind::Gpu(g), Storage::Gpu(x)) => g.download(x, dtype, len),
            _ => Err(mismatch()),
        }
    }

    pub(crate) fn exec_sum(&self, s: &Storage, dtype: DType, r: Reduce3) -> Result<Storage> {
        match (&self.kind, s) {
            (DeviceKind::Cpu, Storage::Cpu(x)) => CpuBackend.sum(x, dtype, r).map(Storage::Cpu),
            (DeviceKind::Gpu(g), Storage::Gpu(x)) => g.sum(x, dtype, r).map(Storage::Gpu),
            _ => Err(mismatch()),
        }
    }

    pub(crate) fn exec_argmax(&self, s: &Storage, dtype: DType, r: Reduce3) -> Result<Storage> {
        match (&self.kind, s) {
            (DeviceKind::Cpu, Storage::Cpu(x)) => CpuBackend.argmax(x, dtype, r).map(Storage::Cpu),
            (DeviceKind::Gpu(g), Storage::Gpu(x)) => g.argmax(x, dtype, r).map(Storage::Gpu),
            _ => Err(mismatch()),
        }
    }

    pub(crate) fn exec_cast(
        &self,
        s: &Storage,
        from: DType,
        to: DType,
        len: usize,
    ) -> Result<Storage> {
        match (&self.kind, s) {
            (DeviceKind::Cpu, Storage::Cpu(x)) => {
                CpuBackend.cast(x, from, to, len).map(Storage::Cpu)
            }
            (DeviceKind::Gpu(g), Storage::Gpu(x)) => g.cast(x, from, to, len).map(Storage::Gpu),
            _ => Err(mismatch()),
        }
    }
}

fn mismatch() -> Error {
    Error::Gpu("internal: a tensor's storage does not belong to its device".into())
}

impl PartialEq for Device {
    /// Two handles are equal when they name the same device.
    fn eq(&self, other: &Device) -> bool {
        match (&self.kind, &other.kind) {
            (DeviceKind::Cpu, DeviceKind::Cpu) => true,
            (DeviceKind::Gpu(a), DeviceKind::Gpu(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl fmt::Debug for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Device({})", self.name())
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}
