//! Baselines for the bench report, measured through the same wgpu device: a plain copy
//! kernel, a raw buffer-to-buffer copy + map, and a raw `write_buffer`; and, for the tests, a
//! deliberate validation error.

use super::GpuDevice;
use crate::device::Storage;
use crate::{Error, Result, Tensor};

fn storage(t: &Tensor) -> Result<&super::GpuStorage> {
    match &*t.storage {
        Storage::Gpu(s) => Ok(s),
        Storage::Cpu(_) => Err(Error::Unsupported("the tensor is not on a GPU".into())),
    }
}

impl GpuDevice {
    /// The median time of `reps` runs of the copy kernel over the tensor's bytes into one
    /// buffer allocated (and written once) beforehand, each run waited for.
    pub fn bench_copy_kernel(&self, t: &Tensor, reps: usize) -> Result<std::time::Duration> {
        let src = storage(t)?;
        let dst = self.alloc(src.dtype, src.len)?;
        self.copy_kernel(src, &dst)?;
        self.sync()?;
        let mut times = Vec::with_capacity(reps);
        for _ in 0..reps.max(1) {
            let t = std::time::Instant::now();
            self.copy_kernel(src, &dst)?;
            self.sync()?;
            times.push(t.elapsed());
        }
        times.sort();
        Ok(times[times.len() / 2])
    }

    /// Copies the tensor's buffers into staging buffers and maps them (no pool, no ndarray).
    pub fn bench_raw_readback(&self, t: &Tensor, dst: &mut [u8]) -> Result<()> {
        let s = storage(t)?;
        self.raw_readback_into(s, dst)
    }

    /// `queue.write_buffer` of `bytes` into a buffer created beforehand, then waits.
    pub fn bench_raw_upload(&self, bytes: &[u8], reps: usize) -> Result<std::time::Duration> {
        let buf = self.ctx.storage(bytes.len() as u64)?;
        let t = std::time::Instant::now();
        for _ in 0..reps {
            self.ctx
                .queue
                .write_buffer(&buf, 0, &bytes[..bytes.len() / 4 * 4]);
            self.ctx.queue.submit([]);
            self.sync()?;
        }
        Ok(t.elapsed() / reps as u32)
    }
}

impl GpuDevice {
    /// Enqueues a copy past the end of a buffer: a wgpu validation error, which must come back
    /// as an `Err` and leave the device usable (the tests check both; nothing else calls it).
    #[cfg(test)]
    pub(crate) fn provoke_validation_error(&self) -> Result<()> {
        self.ctx.scoped(|| {
            let a = self.ctx.storage(8)?;
            let b = self.ctx.storage(8)?;
            self.ctx.copy(&a, 0, &b, 0, 64);
            Ok(())
        })
    }
}

impl GpuDevice {
    /// The first fold pass alone of an exact sum (issue 8) of the float tensor over one
    /// `Reduce3` (`all`: every pass and the rounding), the result dropped unread.
    pub(crate) fn bench_exact_sum(&self, t: &Tensor, r: crate::Reduce3, all: bool) -> Result<()> {
        let x = storage(t)?;
        if all {
            let acc = self.exact_fold(x, t.dtype(), false, &[r])?;
            let d = super::exact::Divisor::All(1);
            drop(self.exact_round(&acc, t.dtype(), d, r.output_len())?);
        } else {
            self.ctx
                .scoped(|| self.exact_pass(x, t.dtype(), true, false, r, r.len))?;
        }
        Ok(())
    }
}
