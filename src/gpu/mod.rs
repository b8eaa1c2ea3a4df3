//! The wgpu device: the same `Backend` as the CPU, executed by WGSL compute kernels on
//! `array<u32>` storage split into chunks that each fit one binding.

mod bench;
mod compose;
mod context;
mod exact;
mod info;
mod kernels;
mod stats;

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

pub use info::{AdapterSummary, GpuInfo, gpu_info};
pub use stats::{TransferGuard, TransferStats};

use self::context::{Buf, Ctx};
use self::exact::Divisor;
use self::kernels::{Acc, KeysFinish, Side};
use self::stats::Counters;
use crate::backend::Backend;
use crate::host::CpuStorage;
use crate::plan::Reduce3;
use crate::reduce::Finish;
use crate::reduce::FoldKind;
use crate::{DType, Error, ReduceOp, Result};

#[cfg(test)]
mod exact_tests;
#[cfg(test)]
mod naga_check;

/// Invocations per workgroup.
const WG: usize = 256;
/// Largest element count a kernel indexes (indices are u32; 64-bit elements use 2 words).
const MAX_ELEMS: usize = 1 << 31;

/// The process-wide wgpu device, shared by every `Device::gpu()` handle (each handle has its
/// own counters, transfer guard and f64 mode). Opened on first use; opened again when the
/// driver reported it lost (handles of the lost one keep failing with that error). A failed
/// open is not kept: the next call tries again.
static CTX: Mutex<Option<Arc<Ctx>>> = Mutex::new(None);

fn shared_ctx() -> Result<Arc<Ctx>> {
    let mut slot = CTX.lock().unwrap_or_else(|p| p.into_inner());
    match slot.as_ref() {
        Some(ctx) if !ctx.is_lost() => Ok(ctx.clone()),
        _ => {
            let ctx = Arc::new(Ctx::open()?);
            *slot = Some(ctx.clone());
            Ok(ctx)
        }
    }
}

/// Why `Device::auto` does not use a GPU (no adapter, or only software ones), or `None`.
pub(crate) fn auto_refusal() -> Option<Error> {
    match context::auto_refusal() {
        Ok(None) => None,
        Ok(Some(why)) => Some(Error::NoAdapter(why)),
        Err(e) => Some(e),
    }
}

/// A handle on the wgpu device.
#[derive(Debug)]
pub struct GpuDevice {
    ctx: Arc<Ctx>,
    counters: Arc<Counters>,
    guard: AtomicU8,
    emulate_f64: AtomicBool,
    name: String,
}

/// A tensor's elements in GPU buffers: `len` elements of `dtype` as little-endian bytes in
/// chunks of `chunk_bytes` (a pass's internal partials are labelled as the words they are). A
/// kernel output's buffers go back to the device for reuse by later outputs when it is
/// dropped; uploaded ones are freed (uploads write fresh buffers through their creation
/// mapping, so keeping them would only hold memory: a stream of uploads would fill the pool).
#[derive(Debug)]
pub struct GpuStorage {
    chunks: Vec<Buf>,
    dtype: DType,
    len: usize,
    recycle_to: Option<Arc<Ctx>>,
}

impl GpuStorage {
    /// The dtype of the elements.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Bytes of the elements.
    fn bytes(&self) -> u64 {
        (self.len * self.dtype.itemsize()) as u64
    }
}

impl Drop for GpuStorage {
    fn drop(&mut self) {
        if let Some(ctx) = self.recycle_to.take() {
            for b in self.chunks.drain(..) {
                ctx.recycle_output(b);
            }
        }
    }
}

/// What a reduction pass computes.
#[derive(Clone, Copy, Debug)]
enum Pass {
    /// Accumulators of a fold instruction.
    Fold(FoldKind),
    /// (key, index) partials of an arg-reduction, indices at the last pass.
    Arg(ReduceOp),
}

/// How a pass of a block reduction over rows of `len` items splits its work: `w` output slots
/// per workgroup, each row cut into `nblocks` blocks of `WG / w * k` items.
struct PassBlocks {
    len: usize,
    inner: usize,
    slots: usize,
    nblocks: usize,
    tiles: usize,
    groups: usize,
}

impl PassBlocks {
    fn new(r: Reduce3, len: usize, w: usize, k: usize) -> PassBlocks {
        let nblocks = len.div_ceil(WG / w * k);
        let slots = r.outer * r.inner;
        let tiles = slots.div_ceil(w);
        PassBlocks {
            len,
            inner: r.inner,
            slots,
            nblocks,
            tiles,
            groups: tiles * nblocks,
        }
    }
}

fn internal(e: String) -> Error {
    Error::Internal(e)
}

impl GpuDevice {
    /// Opens the preferred adapter (see `Device::gpu`).
    pub fn new() -> Result<GpuDevice> {
        let ctx = shared_ctx()?;
        let name = format!("{} ({:?})", ctx.info.name, ctx.info.backend);
        let emulate = std::env::var("NDGPU_FORCE_EMULATION").is_ok_and(|v| v == "1")
            || !ctx.features.contains(wgpu::Features::SHADER_F64);
        Ok(GpuDevice {
            ctx,
            counters: Arc::default(),
            guard: AtomicU8::new(0),
            emulate_f64: AtomicBool::new(emulate),
            name,
        })
    }

    /// The adapter's name and backend.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Transfer counts of this handle.
    pub fn stats(&self) -> TransferStats {
        TransferStats {
            submits: self.ctx.submits.load(Ordering::Relaxed),
            ..self.counters.snapshot()
        }
    }

    pub fn transfer_guard(&self) -> TransferGuard {
        TransferGuard::from_u8(self.guard.load(Ordering::Relaxed))
    }

    pub fn set_transfer_guard(&self, g: TransferGuard) {
        self.guard.store(g as u8, Ordering::Relaxed);
    }

    /// Uses the integer-emulated float64 add for sums even where the adapter has native f64.
    pub fn set_f64_emulation(&self, on: bool) {
        let native = self.ctx.features.contains(wgpu::Features::SHADER_F64);
        self.emulate_f64.store(on || !native, Ordering::Relaxed);
    }

    /// True when float64 sums use the emulated add.
    pub fn f64_emulated(&self) -> bool {
        self.emulate_f64.load(Ordering::Relaxed)
    }

    fn chunk_shift(&self) -> u32 {
        self.ctx.chunk_bytes.trailing_zeros()
    }

    /// Output buffers for `len` elements of `dtype`, for a kernel that writes every byte it
    /// will be read for.
    fn alloc(&self, dtype: DType, len: usize) -> Result<GpuStorage> {
        let bytes = (len * dtype.itemsize()) as u64;
        let cb = self.ctx.chunk_bytes;
        let mut chunks = Vec::new();
        let mut left = bytes;
        loop {
            chunks.push(self.ctx.storage_for_output(left.min(cb))?);
            if left <= cb {
                break;
            }
            left -= cb;
        }
        Ok(GpuStorage {
            chunks,
            dtype,
            len,
            recycle_to: Some(self.ctx.clone()),
        })
    }

    fn check_len(&self, n: usize) -> Result<()> {
        if n >= MAX_ELEMS {
            return Err(Error::Unsupported(format!(
                "{n} elements exceed the GPU kernels' limit of 2^31 per tensor: split the array or use the CPU device"
            )));
        }
        Ok(())
    }

    /// Folds `groups` workgroups into a 3-D grid within the per-dimension limit.
    fn fold_grid(&self, groups: usize) -> [u32; 3] {
        let m = self.ctx.max_groups as usize;
        let nx = groups.clamp(1, m);
        let ny = groups.div_ceil(nx).clamp(1, m);
        let nz = groups.div_ceil(nx * ny).max(1);
        [nx as u32, ny as u32, nz as u32]
    }

    /// Runs one pass of a block reduction (`fold`, `arg`, `exact_fold`): the kernels share
    /// their parameter layout and grid.
    fn run_pass(
        &self,
        kernel: &str,
        vars: &[(&'static str, String)],
        src: &GpuStorage,
        dst: &GpuStorage,
        b: &PassBlocks,
    ) -> Result<()> {
        let grid = self.fold_grid(b.groups);
        let p = [
            b.slots as u32,
            b.len as u32,
            b.inner as u32,
            b.nblocks as u32,
            b.tiles as u32,
            b.groups as u32,
            grid[0],
            grid[1],
        ];
        self.run(kernel, vars, src, dst, &p, grid)
    }

    fn run(
        &self,
        kernel: &str,
        vars: &[(&'static str, String)],
        src: &GpuStorage,
        dst: &GpuStorage,
        params: &[u32],
        grid: [u32; 3],
    ) -> Result<()> {
        self.run_with(kernel, vars, &[src], dst, params, grid)
    }

    /// As `run`, with the chunks of several sources bound in order before `dst`'s.
    fn run_with(
        &self,
        kernel: &str,
        vars: &[(&'static str, String)],
        srcs: &[&GpuStorage],
        dst: &GpuStorage,
        params: &[u32],
        grid: [u32; 3],
    ) -> Result<()> {
        let n = srcs.iter().map(|s| s.chunks.len()).sum::<usize>() + dst.chunks.len();
        let max = self.ctx.limits.max_storage_buffers_per_shader_stage as usize;
        if n > max {
            return Err(Error::Unsupported(format!(
                "this operation needs {n} storage bindings of {} bytes but the adapter allows {max}: use a smaller array or the CPU device",
                self.ctx.chunk_bytes
            )));
        }
        if grid[2] > self.ctx.limits.max_compute_workgroups_per_dimension {
            return Err(Error::Unsupported(
                "the dispatch exceeds the adapter's workgroup grid: use a smaller array".into(),
            ));
        }
        // The variant's key: its values are single words (the composer refuses others).
        let mut key = kernel.to_string();
        for (k, v) in vars {
            key.extend([" ", k, "=", v]);
        }
        let pipeline = self.ctx.cached_pipeline(key, kernel, || {
            compose::compose(kernel, vars).map_err(internal)
        })?;
        let uniform = self.ctx.uniform(params);
        let mut bufs: Vec<&Buf> = vec![&uniform];
        for src in srcs {
            bufs.extend(src.chunks.iter());
        }
        bufs.extend(dst.chunks.iter());
        self.ctx.dispatch(&pipeline, &bufs, grid);
        self.counters.dispatches.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn readback_parts<'a>(&self, s: &'a GpuStorage, bytes: u64) -> Vec<(&'a Buf, u64)> {
        let cb = self.ctx.chunk_bytes;
        s.chunks
            .iter()
            .enumerate()
            .map(|(k, b)| (b, bytes.saturating_sub(k as u64 * cb).min(cb)))
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    /// Reads the elements back without blocking the caller's executor.
    pub(crate) async fn download_async(&self, s: &GpuStorage) -> Result<CpuStorage> {
        let (dtype, len, bytes) = (s.dtype, s.len, s.bytes());
        let rb = self
            .ctx
            .start_readback(&self.readback_parts(s, bytes), &self.counters)?
            .into_future()
            .await?;
        let mut res = Ok(());
        let host = CpuStorage::from_fn(dtype, len, |dst| res = rb.copy_into(dst));
        res.map(|_| host)
    }

    /// A copy kernel over `bytes` of `src` (the bench report's bandwidth baseline).
    /// The copy kernel from `src` into `dst` (at least as large): the bench report's baseline.
    fn copy_kernel(&self, src: &GpuStorage, dst: &GpuStorage) -> Result<()> {
        self.ctx.scoped(|| {
            let words = src.bytes().div_ceil(4) as usize;
            self.check_len(words)?;
            let grid = self.fold_grid(words.div_ceil(WG * kernels::UNITS));
            let vars = kernels::copy_vars(src.chunks.len(), dst.chunks.len(), self.chunk_shift());
            let p = [words as u32, words as u32, grid[0], grid[1]];
            self.run("copy", &vars, src, dst, &p, grid)
        })
    }

    /// Runs `f` in one error scope whose passes are submitted together when it returns.
    pub(crate) fn recorded<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        self.ctx.scoped(f)
    }

    /// Waits for all enqueued work (for timing).
    pub fn sync(&self) -> Result<()> {
        self.ctx.wait()
    }

    /// A raw `copy_buffer_to_buffer` + map of the storage into `dst` (the readback baseline).
    fn raw_readback_into(&self, s: &GpuStorage, dst: &mut [u8]) -> Result<()> {
        let c = Arc::new(Counters::default());
        let n = dst.len() as u64;
        let rb = self
            .ctx
            .start_readback(&self.readback_parts(s, n.min(s.bytes())), &c)?;
        rb.wait_into(dst)
    }

    /// The passes of one reduction over the middle axis of `r`, until one block is left.
    fn reduce_axis(
        &self,
        x: &GpuStorage,
        dtype: DType,
        input_is_elements: bool,
        pass: Pass,
        r: Reduce3,
    ) -> Result<GpuStorage> {
        self.check_len(r.input_len())?;
        let native = !self.f64_emulated();
        let shift = self.chunk_shift();
        let mut input = input_is_elements.then_some(dtype);
        let mut len = r.len;
        let mut cur: Option<GpuStorage> = None;
        loop {
            let src = cur.as_ref().unwrap_or(x);
            let w = kernels::width(r.inner, len) as usize;
            let b = PassBlocks::new(r, len, w, kernels::K);
            let nblocks = b.nblocks;
            let last = nblocks == 1;
            let out_items = r.outer * nblocks * r.inner;
            // Accumulators of the fold's dtype; an arg pass's (key, index) partials as two
            // 64-bit words each, its last pass's int64 indices.
            let (out_dtype, per) = match (pass, last) {
                (Pass::Fold(kind), _) => (kind.acc_dtype(dtype), 1),
                (Pass::Arg(_), true) => (DType::Int64, 1),
                (Pass::Arg(_), false) => (DType::UInt64, 2),
            };
            if let Pass::Fold(kind) = pass {
                debug_assert_eq!(Acc::of(kind, dtype, native).size(), out_dtype.itemsize());
            }
            self.check_len(out_items * per * out_dtype.itemsize() / 4)?;
            let dst = self.alloc(out_dtype, out_items * per)?;
            let n_in = src.chunks.len();
            let n_out = dst.chunks.len();
            let packed = kernels::packed(input, r.inner);
            let (kernel, vars) = match pass {
                Pass::Fold(kind) => {
                    let acc = Acc::of(kind, dtype, native);
                    let (s, d) = kernels::fold_sides(input, acc, n_in, n_out, shift);
                    let v = kernels::fold_vars(kind, input, acc, w as u32, packed, s, d);
                    ("fold", v)
                }
                Pass::Arg(op) => {
                    let (s, d) = (Side::words(n_in, shift), Side::words(n_out, shift));
                    (
                        "arg",
                        kernels::arg_vars(op, input, last, w as u32, packed, s, d),
                    )
                }
            };
            self.run_pass(kernel, &vars, src, &dst, &b)?;
            if last {
                return Ok(dst);
            }
            cur = Some(dst);
            input = None;
            len = nblocks;
        }
    }

    /// `n` elements of `dtype` from the keys of `accs` (`finish_keys.wgsl`): the first's
    /// elements, or for ptp the first's (max) minus the second's (min).
    fn finish_keys(
        &self,
        accs: &[GpuStorage],
        what: KeysFinish,
        dtype: DType,
        n: usize,
    ) -> Result<GpuStorage> {
        let no_keys = || Error::Internal(format!("{what:?}: no keys to finish"));
        let keys = accs.first().ok_or_else(no_keys)?;
        let min = match what {
            KeysFinish::Ptp => Some(accs.get(1).ok_or_else(no_keys)?),
            KeysFinish::Keys(_) => None,
        };
        self.ctx.scoped(|| {
            self.check_len(n * 2)?;
            let dst = self.alloc(dtype, n)?;
            if n == 0 {
                return Ok(dst);
            }
            let shift = self.chunk_shift();
            let side = |s: &GpuStorage| Side::words(s.chunks.len(), shift);
            let vars =
                kernels::finish_keys_vars(dtype, what, side(keys), min.map(side), side(&dst));
            // One invocation per output word (64-bit elements: per element, two words).
            let inv = if dtype.itemsize() == 8 {
                n
            } else {
                (n * dtype.itemsize()).div_ceil(4)
            };
            let grid = self.fold_grid(inv.div_ceil(WG * kernels::UNITS));
            let p = [n as u32, inv as u32, grid[0], grid[1]];
            let mut srcs = vec![keys];
            srcs.extend(min);
            self.run_with("finish_keys", &vars, &srcs, &dst, &p, grid)?;
            Ok(dst)
        })
    }

    /// True when this adapter cannot fold `kind` over `dtype` in a shader: products of
    /// float64 need native f64 (the emulation has only an add) and nanprod of float64 the
    /// bits of each element, so they run on the host.
    fn fold_on_host(&self, kind: FoldKind, dtype: DType) -> bool {
        let f64_product = matches!(kind, FoldKind::Prod | FoldKind::NanProd)
            && kind.acc_dtype(dtype) == DType::Float64;
        // The emulation has no multiply; a native f64 load gives no bits to test for NaN.
        f64_product && (self.f64_emulated() || kind == FoldKind::NanProd)
    }
}

impl Backend for GpuDevice {
    type Storage = GpuStorage;

    fn upload(&self, dtype: DType, bytes: &[u8]) -> Result<GpuStorage> {
        self.ctx.scoped(|| {
            let cb = self.ctx.chunk_bytes as usize;
            let mut chunks = Vec::new();
            if bytes.is_empty() {
                chunks.push(self.ctx.storage(0)?);
            }
            for part in bytes.chunks(cb) {
                chunks.push(self.ctx.storage_from(part)?);
            }
            self.counters.add_upload(bytes.len() as u64);
            Ok(GpuStorage {
                chunks,
                dtype,
                len: bytes.len() / dtype.itemsize(),
                recycle_to: None,
            })
        })
    }

    fn download(&self, s: &GpuStorage) -> Result<CpuStorage> {
        let (dtype, len, bytes) = (s.dtype, s.len, s.bytes());
        let rb = self
            .ctx
            .start_readback(&self.readback_parts(s, bytes), &self.counters)?;
        let mut res = Ok(());
        let host = CpuStorage::from_fn(dtype, len, |dst| res = rb.wait_into(dst));
        res.map(|_| host)
    }

    fn fold(&self, x: &GpuStorage, kind: FoldKind, passes: &[Reduce3]) -> Result<GpuStorage> {
        let dtype = x.dtype;
        if kind.is_exact(dtype) {
            // Exact float sums (issue 8): accumulator words, integer operations only.
            let nan = matches!(kind, FoldKind::NanSum | FoldKind::NanMeanSum);
            return self.exact_fold(x, dtype, nan, passes);
        }
        if self.fold_on_host(kind, dtype) {
            let host = crate::cpu::fold(&self.download(x)?, kind, passes);
            return self.upload(host.dtype(), host.as_bytes());
        }
        self.ctx.scoped(|| {
            let mut cur: Option<GpuStorage> = None;
            for &r in passes {
                let src = cur.as_ref().unwrap_or(x);
                cur = Some(self.reduce_axis(src, dtype, cur.is_none(), Pass::Fold(kind), r)?);
            }
            cur.ok_or_else(|| Error::Internal("a fold without passes".into()))
        })
    }

    fn finish(
        &self,
        accs: Vec<GpuStorage>,
        op: ReduceOp,
        dtype: DType,
        count: usize,
        n: usize,
    ) -> Result<GpuStorage> {
        let (kinds, finish) = op.plan();
        let out = op.out_dtype(dtype);
        // Exact float sums: rounded once on the device (a count from 2^31 up, which only a
        // stream merged on the host reaches, is rounded on the host below).
        if kinds[0].is_exact(dtype) && count < 1 << 31 {
            let div = match (finish, accs.get(1)) {
                (Finish::Mean, _) => Divisor::All(count),
                (Finish::NanMean, Some(c)) => Divisor::Each(c),
                (Finish::NanMean, None) => {
                    return Err(Error::Internal("nanmean: no counts to divide by".into()));
                }
                _ => Divisor::All(1),
            };
            let acc = accs
                .first()
                .ok_or_else(|| Error::Internal("no accumulator to finish".into()))?;
            return self.exact_round(acc, dtype, div, n);
        }
        match finish {
            Finish::Cast | Finish::Flag if !kinds[0].is_exact(dtype) => {
                let acc = accs
                    .into_iter()
                    .next()
                    .ok_or_else(|| Error::Internal("no accumulator to finish".into()))?;
                if acc.dtype == out {
                    return Ok(acc);
                }
                self.cast(&acc, out)
            }
            // The extrema: keys to elements (and ptp's difference) in one more pass.
            Finish::Keys | Finish::Ptp => {
                let what = match finish {
                    Finish::Ptp => KeysFinish::Ptp,
                    _ => KeysFinish::Keys(kinds[0]),
                };
                self.finish_keys(&accs, what, dtype, n)
            }
            // Integer means: the float64 sums as exact accumulators, divided exactly and
            // rounded once, which is IEEE's correctly rounded division, so the CPU's bytes,
            // in the same submit (integer operations only: no native float64 needed).
            Finish::Mean | Finish::NanMean if count < 1 << 31 => {
                let sums = accs
                    .first()
                    .ok_or_else(|| Error::Internal("no accumulator to finish".into()))?;
                let div = match accs.get(1) {
                    _ if finish == Finish::Mean => Divisor::All(count),
                    Some(c) => Divisor::Each(c),
                    None => return Err(Error::Internal("nanmean: no counts to divide by".into())),
                };
                let each = Reduce3 {
                    outer: n,
                    len: 1,
                    inner: 1,
                };
                let words = self.exact_fold(sums, DType::Float64, false, &[each])?;
                self.exact_round(&words, DType::Float64, div, n)
            }
            // Exact sums whose count is 2^31 or more (only a stream merged on the host
            // reaches them): output-sized, finished on the host, as the CPU does.
            _ => {
                let host = accs
                    .iter()
                    .map(|a| self.download(a))
                    .collect::<Result<Vec<_>>>()?;
                let done = crate::cpu::finish_host(host, op, dtype, count)?;
                self.upload(out, done.as_bytes())
            }
        }
    }

    fn arg(&self, x: &GpuStorage, op: ReduceOp, r: Reduce3) -> Result<GpuStorage> {
        self.ctx
            .scoped(|| self.reduce_axis(x, x.dtype, true, Pass::Arg(op), r))
    }

    fn cast(&self, x: &GpuStorage, to: DType) -> Result<GpuStorage> {
        let (from, len) = (x.dtype, x.len);
        self.ctx.scoped(|| {
            self.check_len(len)?;
            let out_bytes = (len * to.itemsize()) as u64;
            let dst = self.alloc(to, len)?;
            if len == 0 {
                return Ok(dst);
            }
            if from == to {
                for (k, (s, n)) in self.readback_parts(x, out_bytes).into_iter().enumerate() {
                    self.ctx
                        .copy(s, 0, &dst.chunks[k], 0, n.next_multiple_of(4));
                }
                return Ok(dst);
            }
            let inv = if to.itemsize() == 8 {
                len
            } else {
                (out_bytes as usize).div_ceil(4)
            };
            let shift = self.chunk_shift();
            let vars = kernels::cast_vars(
                from,
                to,
                Side::words(x.chunks.len(), shift),
                Side::words(dst.chunks.len(), shift),
            );
            let grid = self.fold_grid(inv.div_ceil(WG * kernels::UNITS));
            let p = [len as u32, inv as u32, grid[0], grid[1]];
            self.run("cast", &vars, x, &dst, &p, grid)?;
            Ok(dst)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The unit tests that use the GPU run one at a time: one of them destroys the shared
    /// device, which would break a concurrent one.
    pub(super) static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

    /// A handle on the GPU, or `None` (a failure under `NDGPU_REQUIRE_GPU=1`).
    pub(super) fn gpu() -> Option<GpuDevice> {
        match GpuDevice::new() {
            Ok(g) => Some(g),
            Err(e) if std::env::var("NDGPU_REQUIRE_GPU").is_ok_and(|v| v == "1") => {
                panic!("NDGPU_REQUIRE_GPU=1 but no GPU adapter: {e}")
            }
            Err(_) => None,
        }
    }

    #[test]
    fn a_validation_error_is_an_err_and_the_device_goes_on() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        let Some(g) = gpu() else { return };
        let err = g
            .provoke_validation_error()
            .expect_err("a copy past the end of a buffer must fail");
        let msg = err.to_string();
        assert!(matches!(err, Error::Gpu(_)), "{msg}");
        assert!(!msg.is_empty() && !msg.contains('\n'), "one line: {msg:?}");
        let s = g
            .upload(DType::Int32, bytemuck::cast_slice(&[1i32, 2, 3, 4]))
            .unwrap();
        let back = g.download(&s).unwrap();
        assert_eq!(back, CpuStorage::I32(vec![1, 2, 3, 4]));
    }

    /// After the driver reports the device lost, handles on it fail with that error and a new
    /// handle opens a fresh, working device.
    #[test]
    fn a_lost_device_is_replaced_by_a_fresh_one() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        let Some(old) = gpu() else { return };
        old.ctx.device.destroy();
        let _ = old.ctx.device.poll(wgpu::PollType::wait_indefinitely());
        assert!(old.ctx.is_lost(), "destroy() did not report a lost device");
        let err = old
            .upload(DType::Float32, &[0; 16])
            .and_then(|s| old.download(&s).map(|_| ()));
        assert!(err.is_err_and(|e| e.to_string().contains("lost")));
        let new = GpuDevice::new().expect("a fresh device");
        assert!(!Arc::ptr_eq(&old.ctx, &new.ctx));
        let s = new.upload(DType::Float32, &1.5f32.to_le_bytes()).unwrap();
        let back = new.download(&s).unwrap();
        assert_eq!(back, CpuStorage::F32(vec![1.5]));
    }
}
