//! Where tensors live: the CPU or a wgpu adapter. Both execute through [`Backend`], so this
//! module only routes calls.

use std::fmt;
use std::sync::Arc;

use crate::backend::Backend;
use crate::cpu::CpuBackend;
use crate::gpu::{GpuDevice, GpuStorage, TransferGuard, TransferStats};
use crate::host::CpuStorage;
use crate::plan::Reduce3;
use crate::reduce::FoldKind;
use crate::{DType, Error, ReduceOp, Result};

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

impl Storage {
    /// The dtype of the elements.
    pub(crate) fn dtype(&self) -> DType {
        match self {
            Storage::Cpu(s) => s.dtype(),
            Storage::Gpu(s) => s.dtype(),
        }
    }

    /// Number of elements.
    pub(crate) fn len(&self) -> usize {
        match self {
            Storage::Cpu(s) => s.len(),
            Storage::Gpu(s) => s.len(),
        }
    }
}

impl Device {
    /// The host CPU (rayon-parallel kernels).
    pub fn cpu() -> Device {
        Device {
            kind: DeviceKind::Cpu,
        }
    }

    /// The preferred GPU adapter: discrete before integrated before virtual before software,
    /// Vulkan/Metal/DX12 before GL (GL is only probed when no native adapter exists).
    /// `NDGPU_BACKEND` (vulkan, metal, dx12, gl) and `NDGPU_ADAPTER` (a case-insensitive
    /// substring of the adapter name) override the choice. Software adapters count: use
    /// [`Device::auto`] to get the CPU instead of them. The wgpu device is opened with the
    /// adapter's own limits and shared by every handle (each has its own [`Device::stats`] and
    /// transfer guard); after the driver reports it lost, the next call opens a fresh one.
    ///
    /// # Errors
    /// [`Error::NoAdapter`] when no usable adapter exists.
    pub fn gpu() -> Result<Device> {
        Ok(Device {
            kind: DeviceKind::Gpu(Arc::new(GpuDevice::new()?)),
        })
    }

    /// A hardware GPU (discrete, integrated or virtual) if one exists, else the CPU. A software
    /// adapter (lavapipe, llvmpipe, WARP) is used only when asked for: [`Device::gpu`], or an
    /// adapter named by `NDGPU_ADAPTER`; on the same machine the CPU backend is much faster.
    pub fn auto() -> Device {
        Self::auto_with_reason().0
    }

    /// Like [`Device::auto`], also giving the reason the GPU was not used, if it was not.
    pub fn auto_with_reason() -> (Device, Option<Error>) {
        if let Some(why) = crate::gpu::auto_refusal() {
            return (Device::cpu(), Some(why));
        }
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

    /// Transfer counts since this handle was opened (all zero on the CPU).
    pub fn stats(&self) -> TransferStats {
        match &self.kind {
            DeviceKind::Cpu => TransferStats::default(),
            DeviceKind::Gpu(g) => g.stats(),
        }
    }

    /// Sets what happens when a tensor of this device is copied to the host implicitly
    /// (`to_device`, or passing it to an operation on another device). Explicit
    /// `to_ndarray` is always allowed. No effect on the CPU device.
    pub fn set_transfer_guard(&self, guard: TransferGuard) {
        if let DeviceKind::Gpu(g) = &self.kind {
            g.set_transfer_guard(guard);
        }
    }

    /// Makes float64 sums on this GPU handle use the integer-emulated add (what adapters
    /// without `SHADER_F64` use; `NDGPU_FORCE_EMULATION=1` sets it for every handle), to
    /// check that path on any adapter. No effect on the CPU, or where the adapter lacks f64.
    pub fn set_f64_emulation(&self, on: bool) {
        if let DeviceKind::Gpu(g) = &self.kind {
            g.set_f64_emulation(on);
        }
    }

    /// True when this GPU handle runs float64 sums through the integer-emulated add.
    pub fn f64_emulation(&self) -> bool {
        matches!(&self.kind, DeviceKind::Gpu(g) if g.f64_emulated())
    }

    /// The GPU handle (the bench report's baselines).
    pub(crate) fn gpu_device(&self) -> Option<&GpuDevice> {
        match &self.kind {
            DeviceKind::Gpu(g) => Some(g),
            DeviceKind::Cpu => None,
        }
    }

    /// Runs `f` as one recorded operation: on a GPU every pass it enqueues goes into one
    /// command encoder, submitted once when `f` returns.
    pub(crate) fn recorded<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        match &self.kind {
            DeviceKind::Cpu => f(),
            DeviceKind::Gpu(g) => g.recorded(f),
        }
    }

    /// A device-to-host copy nobody asked for explicitly: subject to the transfer guard.
    pub(crate) fn download_implicit(&self, s: &Storage) -> Result<CpuStorage> {
        if let DeviceKind::Gpu(g) = &self.kind {
            let bytes = s.len() * s.dtype().itemsize();
            match g.transfer_guard() {
                TransferGuard::Allow => {}
                TransferGuard::Log => {
                    eprintln!(
                        "ndgpu: implicit device-to-host copy of {bytes} bytes from {}",
                        g.name()
                    )
                }
                TransferGuard::Deny => return Err(Error::TransferDenied { bytes }),
            }
        }
        self.download(s)
    }

    pub(crate) async fn download_async(&self, s: &Storage) -> Result<CpuStorage> {
        match (&self.kind, s) {
            (DeviceKind::Gpu(g), Storage::Gpu(x)) => g.download_async(x).await,
            _ => self.download(s),
        }
    }

    pub(crate) fn upload(&self, dtype: DType, bytes: &[u8]) -> Result<Storage> {
        match &self.kind {
            DeviceKind::Cpu => CpuBackend.upload(dtype, bytes).map(Storage::Cpu),
            DeviceKind::Gpu(g) => g.upload(dtype, bytes).map(Storage::Gpu),
        }
    }

    pub(crate) fn download(&self, s: &Storage) -> Result<CpuStorage> {
        match (&self.kind, s) {
            (DeviceKind::Cpu, Storage::Cpu(x)) => CpuBackend.download(x),
            (DeviceKind::Gpu(g), Storage::Gpu(x)) => g.download(x),
            _ => Err(mismatch()),
        }
    }

    /// The accumulators of every fold of a plan (`kinds`) over `s` after `passes`.
    pub(crate) fn exec_fold_all(
        &self,
        s: &Storage,
        kinds: &[FoldKind],
        passes: &[Reduce3],
    ) -> Result<Vec<Storage>> {
        match (&self.kind, s) {
            (DeviceKind::Cpu, Storage::Cpu(x)) => CpuBackend
                .fold_all(x, kinds, passes)
                .map(|v| v.into_iter().map(Storage::Cpu).collect()),
            (DeviceKind::Gpu(g), Storage::Gpu(x)) => g
                .fold_all(x, kinds, passes)
                .map(|v| v.into_iter().map(Storage::Gpu).collect()),
            _ => Err(mismatch()),
        }
    }

    /// The accumulators of every fold of `kinds` over `s` after `passes`,
    /// in host memory: the folds are recorded into one submit, then read back (partials and
    /// the stream's chunks merge them on the host).
    pub(crate) fn fold_to_host(
        &self,
        s: &Storage,
        kinds: &[FoldKind],
        passes: &[Reduce3],
    ) -> Result<Vec<CpuStorage>> {
        let accs = self.recorded(|| self.exec_fold_all(s, kinds, passes))?;
        accs.into_iter()
            .map(|acc| match acc {
                Storage::Cpu(host) => Ok(host),
                gpu => self.download(&gpu),
            })
            .collect()
    }

    pub(crate) fn exec_finish(
        &self,
        accs: Vec<Storage>,
        op: ReduceOp,
        dtype: DType,
        count: usize,
        n: usize,
    ) -> Result<Storage> {
        match &self.kind {
            DeviceKind::Cpu => {
                let accs = unwrap_all(accs, |a| match a {
                    Storage::Cpu(c) => Some(c),
                    Storage::Gpu(_) => None,
                })?;
                CpuBackend
                    .finish(accs, op, dtype, count, n)
                    .map(Storage::Cpu)
            }
            DeviceKind::Gpu(g) => {
                let accs = unwrap_all(accs, |a| match a {
                    Storage::Gpu(c) => Some(c),
                    Storage::Cpu(_) => None,
                })?;
                g.finish(accs, op, dtype, count, n).map(Storage::Gpu)
            }
        }
    }

    pub(crate) fn exec_arg(&self, s: &Storage, op: ReduceOp, r: Reduce3) -> Result<Storage> {
        match (&self.kind, s) {
            (DeviceKind::Cpu, Storage::Cpu(x)) => CpuBackend.arg(x, op, r).map(Storage::Cpu),
            (DeviceKind::Gpu(g), Storage::Gpu(x)) => g.arg(x, op, r).map(Storage::Gpu),
            _ => Err(mismatch()),
        }
    }

    pub(crate) fn exec_cast(&self, s: &Storage, to: DType) -> Result<Storage> {
        match (&self.kind, s) {
            (DeviceKind::Cpu, Storage::Cpu(x)) => CpuBackend.cast(x, to).map(Storage::Cpu),
            (DeviceKind::Gpu(g), Storage::Gpu(x)) => g.cast(x, to).map(Storage::Gpu),
            _ => Err(mismatch()),
        }
    }
}

/// The backend storages inside `accs`, or a mismatch error if one belongs to another device.
fn unwrap_all<S>(accs: Vec<Storage>, pick: impl Fn(Storage) -> Option<S>) -> Result<Vec<S>> {
    accs.into_iter()
        .map(|a| pick(a).ok_or_else(mismatch))
        .collect()
}

fn mismatch() -> Error {
    Error::Internal("a tensor's storage does not belong to its device".into())
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
