//! The measuring stick of the bench report: a plain read of memory, compiled with the same
//! SIMD dispatch as the operations, so that an operation's ratio to it says how close the
//! operation runs to the machine's read bandwidth (a baseline compiled for a lesser
//! instruction set runs slower and flatters every ratio).

/// Σx with 32 independent accumulators (no dependency chain, no reassociation needed), on
/// AVX2 where the processor has it: as fast as one core reads memory.
pub fn read_f32(x: &[f32]) -> f32 {
    crate::platform::avx2_or(
        #[inline(always)]
        || {
            let mut acc = [0f32; 32];
            let chunks = x.chunks_exact(32);
            let rem = chunks.remainder();
            for c in chunks {
                // As the reductions do: the baseline must read as fast as the machine allows.
                crate::platform::prefetch_ahead(c);
                for j in 0..32 {
                    acc[j] += c[j];
                }
            }
            acc.iter().sum::<f32>() + rem.iter().sum::<f32>()
        },
    )
}

use std::time::Duration;

use crate::device::Storage;
use crate::{Device, Element, Error, Result, Tensor};

/// Waits until every operation enqueued on `device` has run (nothing to wait for on the CPU):
/// what a timed GPU loop calls after each run.
///
/// # Errors
/// A device error.
pub fn sync(device: &Device) -> Result<()> {
    device.gpu_device().map_or(Ok(()), |g| g.sync())
}

fn gpu_of(device: &Device) -> Result<&crate::gpu::GpuDevice> {
    device
        .gpu_device()
        .ok_or_else(|| Error::Unsupported("a GPU baseline needs a GPU device".into()))
}

/// The GPU baseline of the bench report: the median time of `reps` runs of a plain copy kernel
/// over the GPU tensor's bytes into one buffer allocated beforehand, each run waited for.
///
/// # Errors
/// [`Error::Unsupported`] for a CPU tensor; a device error.
pub fn gpu_copy_kernel(t: &Tensor, reps: usize) -> Result<Duration> {
    gpu_of(t.device())?.bench_copy_kernel(t, reps)
}

/// Copies the GPU tensor's buffers into staging buffers and maps them into `dst` (no pool, no
/// ndarray): the raw readback that `to_ndarray` is compared with.
///
/// # Errors
/// As [`gpu_copy_kernel`].
pub fn gpu_raw_readback(t: &Tensor, dst: &mut [u8]) -> Result<()> {
    gpu_of(t.device())?.bench_raw_readback(t, dst)
}

/// The mean time of `reps` raw `queue.write_buffer` uploads of `bytes` into one buffer made
/// beforehand: the raw upload that `Tensor::from_slice` is compared with.
///
/// # Errors
/// As [`gpu_copy_kernel`].
pub fn gpu_raw_upload(device: &Device, bytes: &[u8], reps: usize) -> Result<Duration> {
    gpu_of(device)?.bench_raw_upload(bytes, reps)
}

/// The first fold pass alone of an exact float sum (`all`: every pass and the rounding) of the
/// GPU tensor `t` viewed as `r`, its result dropped unread: the exact sum's kernel in the GPU
/// report beside the copy kernel.
///
/// # Errors
/// As [`gpu_copy_kernel`].
pub fn gpu_exact_sum(t: &Tensor, r: crate::Reduce3, all: bool) -> Result<()> {
    gpu_of(t.device())?.bench_exact_sum(t, r, all)
}

/// Casts the CPU tensor `x` into `out` (resized to `x.len()`), reusing `out`'s memory: the
/// cast kernels without the cost of fresh pages, which the report shows apart.
///
/// # Errors
/// [`Error::NotOnHost`] when `x` is on a GPU.
pub fn cast_into<D: Element>(x: &Tensor, out: &mut Vec<D>) -> Result<()> {
    let Storage::Cpu(src) = &*x.storage else {
        return Err(Error::NotOnHost(x.device().name()));
    };
    let internal = || Error::Internal("bench::cast_into: dtype".into());
    if out.len() != x.len() {
        *out =
            D::into_vec(crate::host::CpuStorage::zeros(D::DTYPE, x.len())).ok_or_else(internal)?;
    }
    let mut dst = D::into_storage(std::mem::take(out));
    let r = crate::cpu::cast_into(src, &mut dst);
    *out = D::into_vec(dst).ok_or_else(internal)?;
    r
}
