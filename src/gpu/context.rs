//! Every wgpu call of the crate: instance and adapter selection, the device with its error
//! capture, buffers, the staging pool, uploads, dispatches and readbacks.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskCx, Poll, Waker};

use wgpu::util::DeviceExt;

use super::stats::Counters;
use crate::{Error, Result};

/// Largest chunk of one tensor in one buffer; tests shrink it (`NDGPU_BUFFER_BYTES`) to cross
/// chunk boundaries with small tensors.
const MAX_CHUNK: u64 = 1 << 30;
/// Staging buffers kept for reuse, in bytes.
const STAGING_POOL_BYTES: u64 = 1 << 30;
/// Output buffers of dropped tensors kept for reuse as kernel outputs, in bytes.
const OUTPUT_POOL_BYTES: u64 = 256 << 20;

/// The backends `NDGPU_BACKEND` names, or `None` for the default order (native APIs, then GL
/// only when no native adapter exists).
pub(crate) fn backends_from_env() -> Result<Option<wgpu::Backends>> {
    match std::env::var("NDGPU_BACKEND") {
        Err(_) => Ok(None),
        Ok(s) => match s.to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "vulkan" => Ok(Some(wgpu::Backends::VULKAN)),
            "metal" => Ok(Some(wgpu::Backends::METAL)),
            "dx12" => Ok(Some(wgpu::Backends::DX12)),
            "gl" | "gles" => Ok(Some(wgpu::Backends::GL)),
            other => Err(Error::NoAdapter(format!(
                "NDGPU_BACKEND={other} is not a backend: use vulkan, metal, dx12 or gl"
            ))),
        },
    }
}

/// The adapters of the backends `NDGPU_BACKEND` selects. By default GL is probed only when no
/// native adapter exists: initialising EGL is slow and makes Mesa print warnings about window
/// systems. The flag says whether GL was probed.
pub(crate) fn adapters() -> Result<(Vec<wgpu::Adapter>, bool)> {
    let list = |b: wgpu::Backends| enumerate(&instance(b), b);
    Ok(match backends_from_env()? {
        Some(b) => (list(b), b.contains(wgpu::Backends::GL)),
        None => {
            let native = list(wgpu::Backends::PRIMARY);
            if native.is_empty() {
                (list(wgpu::Backends::GL), true)
            } else {
                (native, false)
            }
        }
    })
}

/// An instance that asks only for what compute needs: no debug layers, no display (so Mesa
/// does not probe window systems and print warnings).
pub(crate) fn instance(backends: wgpu::Backends) -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = backends;
    desc.flags = wgpu::InstanceFlags::empty();
    wgpu::Instance::new(desc)
}

pub(crate) fn enumerate(instance: &wgpu::Instance, backends: wgpu::Backends) -> Vec<wgpu::Adapter> {
    pollster::block_on(instance.enumerate_adapters(backends))
}

fn rank(info: &wgpu::AdapterInfo) -> (u8, u8) {
    let ty = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    };
    let backend = match info.backend {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        _ => 1,
    };
    (ty, backend)
}

/// The index in `adapters` that `Device::gpu()` uses: the fastest kind of device (discrete
/// first), native APIs before GL, filtered by `NDGPU_ADAPTER`.
pub(crate) fn choose(adapters: &[wgpu::Adapter]) -> Result<usize> {
    if adapters.is_empty() {
        return Err(Error::NoAdapter(
            "wgpu found no adapter (install a Vulkan, Metal, DX12 or GL driver, e.g. mesa-vulkan-drivers)".into(),
        ));
    }
    let want = std::env::var("NDGPU_ADAPTER")
        .ok()
        .map(|s| s.to_ascii_lowercase());
    adapters
        .iter()
        .enumerate()
        .filter(|(_, a)| {
            want.as_ref()
                .is_none_or(|w| a.get_info().name.to_ascii_lowercase().contains(w))
        })
        .min_by_key(|(_, a)| rank(&a.get_info()))
        .map(|(i, _)| i)
        .ok_or_else(|| {
            Error::NoAdapter(format!(
                "no adapter name contains NDGPU_ADAPTER={:?}: run `ndgpu info` to list them",
                want.unwrap_or_default()
            ))
        })
}

/// True for adapters that run on the CPU (lavapipe, llvmpipe, WARP) or whose kind the driver
/// does not say: `Device::auto` never picks them, because the CPU backend is faster.
pub(crate) fn is_software(info: &wgpu::AdapterInfo) -> bool {
    matches!(
        info.device_type,
        wgpu::DeviceType::Cpu | wgpu::DeviceType::Other
    )
}

/// Why `Device::auto` does not use a GPU, or `None` when it does: it takes the adapter
/// `Device::gpu()` would take if that one is hardware (a discrete, integrated or virtual GPU),
/// or any adapter the user named with `NDGPU_ADAPTER`.
pub(crate) fn auto_refusal() -> Result<Option<String>> {
    let (adapters, _) = adapters()?;
    let info = adapters[choose(&adapters)?].get_info();
    let named = std::env::var("NDGPU_ADAPTER").is_ok_and(|s| !s.is_empty());
    Ok((is_software(&info) && !named).then(|| {
        format!(
            "only a software one ({}, {:?}), slower than the CPU backend; \
             --device gpu or NDGPU_ADAPTER uses it",
            info.name, info.backend
        )
    }))
}

/// A buffer of `u32` words and its size.
pub(crate) type Buf = wgpu::Buffer;

/// The opened device and what the kernels need to know about it.
pub(crate) struct Ctx {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    pub limits: wgpu::Limits,
    pub features: wgpu::Features,
    /// Bytes per storage chunk (a power of two within both binding and buffer limits).
    pub chunk_bytes: u64,
    /// Workgroups per dispatch dimension the kernels are folded to.
    pub max_groups: u32,
    lost: Arc<Mutex<Option<String>>>,
    uncaptured: Arc<Mutex<Option<String>>>,
    staging_pool: BufferPool,
    /// By kernel variant key (`GpuDevice::run`).
    pipelines: Mutex<HashMap<String, Arc<wgpu::ComputePipeline>>>,
    /// Output buffers of dropped tensors: a new buffer costs an allocation and wgpu's zero
    /// fill, a pass over memory as long as the kernel's own (the bench report shows it).
    output_pool: BufferPool,
    /// The commands recorded since the last submit: an operation's passes (and a readback's
    /// copies) go into one encoder, submitted once when the operation's outermost scope ends.
    encoder: Mutex<Option<wgpu::CommandEncoder>>,
    /// Submits so far (the bench report's submits per operation).
    pub submits: AtomicU64,
}

thread_local! {
    /// How deep this thread is in `Ctx::scoped` (the outermost scope submits).
    static SCOPE_DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Buffers kept for reuse, by exact size, up to a byte budget.
struct BufferPool {
    by_size: Mutex<HashMap<u64, Vec<Buf>>>,
    bytes: AtomicU64,
    budget: u64,
}

impl BufferPool {
    fn new(budget: u64) -> BufferPool {
        BufferPool {
            by_size: Mutex::new(HashMap::new()),
            bytes: AtomicU64::new(0),
            budget,
        }
    }

    fn take(&self, size: u64) -> Option<Buf> {
        let b = self
            .by_size
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(&size)
            .and_then(|v| v.pop())?;
        self.bytes.fetch_sub(size, Ordering::Relaxed);
        Some(b)
    }

    /// Keeps `b`, or drops it when the budget is spent.
    fn give(&self, b: Buf) {
        let size = b.size();
        if self.bytes.load(Ordering::Relaxed) + size <= self.budget {
            self.bytes.fetch_add(size, Ordering::Relaxed);
            self.by_size
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(size)
                .or_default()
                .push(b);
        }
    }
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ctx({} {:?})", self.info.name, self.info.backend)
    }
}

impl Ctx {
    /// Opens the adapter `Device::gpu()` picks, with its real limits.
    pub fn open() -> Result<Ctx> {
        let (adapters, _) = adapters()?;
        let i = choose(&adapters)?;
        let adapter = &adapters[i];
        let info = adapter.get_info();
        let limits = adapter.limits();
        let features = adapter.features() & wgpu::Features::SHADER_F64;
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("ndgpu"),
            required_features: features,
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| Error::NoAdapter(format!("{} refused a device: {e}", info.name)))?;
        let lost = Arc::new(Mutex::new(None));
        let l = lost.clone();
        device.set_device_lost_callback(move |reason, msg| {
            *l.lock().unwrap_or_else(|p| p.into_inner()) = Some(format!("{reason:?}: {msg}"));
        });
        let uncaptured = Arc::new(Mutex::new(None));
        let u = uncaptured.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            let mut slot = u.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_none() {
                *slot = Some(one_line(&e.to_string()));
            }
        }));
        let max = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size)
            .min(MAX_CHUNK);
        let mut chunk_bytes = 1u64 << (63 - max.leading_zeros());
        if let Some(c) = env_u64("NDGPU_BUFFER_BYTES") {
            if c.is_power_of_two() && (256..=chunk_bytes).contains(&c) {
                chunk_bytes = c;
            }
        }
        // Tests lower it (`NDGPU_MAX_WORKGROUPS`) to fold small dispatches into 2-D and 3-D.
        let max_groups = env_u64("NDGPU_MAX_WORKGROUPS")
            .filter(|&g| g >= 1)
            .map_or(limits.max_compute_workgroups_per_dimension, |g| {
                g.min(limits.max_compute_workgroups_per_dimension.into()) as u32
            });
        Ok(Ctx {
            device,
            queue,
            info,
            limits,
            features,
            chunk_bytes,
            max_groups,
            lost,
            uncaptured,
            staging_pool: BufferPool::new(STAGING_POOL_BYTES),
            pipelines: Mutex::new(HashMap::new()),
            output_pool: BufferPool::new(OUTPUT_POOL_BYTES),
            encoder: Mutex::new(None),
            submits: AtomicU64::new(0),
        })
    }

    /// True once the driver reported the device lost: a new `Device::gpu()` opens a fresh
    /// context instead of sharing this one.
    pub fn is_lost(&self) -> bool {
        self.lost
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Fails if the device was lost or an error escaped the scopes.
    fn health(&self) -> Result<()> {
        if let Some(m) = self.lost.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            return Err(Error::Gpu(format!(
                "the device was lost ({m}): open a new Device"
            )));
        }
        if let Some(m) = self
            .uncaptured
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            return Err(Error::Gpu(m));
        }
        Ok(())
    }

    /// Runs `f` inside out-of-memory and validation error scopes: a failure is an `Err`. The
    /// commands `f` records are submitted when the outermost scope of this thread ends, inside
    /// the scopes (so a submit-time error is an `Err` too).
    pub fn scoped<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        self.health()?;
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let val = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        SCOPE_DEPTH.with(|d| d.set(d.get() + 1));
        let r = f();
        if SCOPE_DEPTH.with(|d| {
            d.set(d.get() - 1);
            d.get() == 0
        }) {
            self.submit();
        }
        let v = pollster::block_on(val.pop());
        let o = pollster::block_on(oom.pop());
        if let Some(e) = o.or(v) {
            return Err(Error::Gpu(one_line(&e.to_string())));
        }
        self.health()?;
        r
    }

    fn check_size(&self, bytes: u64) -> Result<()> {
        if bytes > self.limits.max_buffer_size {
            return Err(Error::Gpu(format!(
                "a buffer of {bytes} bytes exceeds the adapter's max_buffer_size ({})",
                self.limits.max_buffer_size
            )));
        }
        Ok(())
    }

    /// A zero-filled storage buffer of `bytes` (rounded up to 8).
    pub fn storage(&self, bytes: u64) -> Result<Buf> {
        let size = bytes.max(8).next_multiple_of(8);
        self.check_size(size)?;
        Ok(self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        }))
    }

    /// A storage buffer of at least `bytes` with unspecified contents, for a kernel to overwrite:
    /// a dropped tensor's buffer of that size when one is kept, else a new one.
    pub fn storage_for_output(&self, bytes: u64) -> Result<Buf> {
        let size = bytes.max(8).next_multiple_of(8);
        match self.output_pool.take(size) {
            Some(b) => Ok(b),
            None => self.storage(size),
        }
    }

    /// Keeps a dropped tensor's storage buffer for [`Ctx::storage_for_output`] (or drops it
    /// when enough are kept). The queue runs in order, so work enqueued earlier that reads it
    /// finishes before a later kernel writes it.
    pub fn recycle_output(&self, b: Buf) {
        self.output_pool.give(b);
    }

    /// A storage buffer holding `bytes`, written through its creation mapping (no extra copy
    /// on unified-memory adapters).
    pub fn storage_from(&self, bytes: &[u8]) -> Result<Buf> {
        let size = (bytes.len() as u64).max(8).next_multiple_of(8);
        self.check_size(size)?;
        let buf = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: true,
        });
        {
            let mut view = buf
                .get_mapped_range_mut(..)
                .map_err(|e| Error::Gpu(format!("mapping a new buffer failed: {e}")))?;
            view.slice(..bytes.len()).copy_from_slice(bytes);
        }
        buf.unmap();
        Ok(buf)
    }

    pub fn uniform(&self, words: &[u32]) -> Buf {
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: None,
                contents: bytemuck::cast_slice(words),
                usage: wgpu::BufferUsages::UNIFORM,
            })
    }

    /// The pipeline of kernel variant `key`, composed (`wgsl`) and compiled once per process.
    pub fn cached_pipeline(
        &self,
        key: String,
        label: &str,
        wgsl: impl FnOnce() -> Result<String>,
    ) -> Result<Arc<wgpu::ComputePipeline>> {
        if let Some(p) = self
            .pipelines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(p.clone());
        }
        let p = Arc::new(self.pipeline(&wgsl()?, label));
        self.pipelines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, p.clone());
        Ok(p)
    }

    fn pipeline(&self, wgsl: &str, label: &str) -> wgpu::ComputePipeline {
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(label),
                source: wgpu::ShaderSource::Wgsl(wgsl.into()),
            });
        self.device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(label),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            })
    }

    /// Runs `record` on the pending encoder (a new one when none is pending).
    fn record(&self, record: impl FnOnce(&mut wgpu::CommandEncoder)) {
        let mut g = self.encoder.lock().unwrap_or_else(|p| p.into_inner());
        let enc = g.get_or_insert_with(|| self.device.create_command_encoder(&Default::default()));
        record(enc);
    }

    /// Submits the pending encoder, if any. The lock is held until the queue has it: encoders
    /// reach the queue in the order their commands were recorded (a buffer freed after a
    /// recorded read may be rewritten by the next encoder).
    pub fn submit(&self) {
        let mut g = self.encoder.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(enc) = g.take() {
            self.queue.submit([enc.finish()]);
            self.submits.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records one dispatch of `groups` workgroups (folded into 3-D), without waiting.
    pub fn dispatch(&self, pipeline: &wgpu::ComputePipeline, buffers: &[&Buf], grid: [u32; 3]) {
        let layout = pipeline.get_bind_group_layout(0);
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: b.as_entire_binding(),
            })
            .collect();
        let bg = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &layout,
            entries: &entries,
        });
        self.record(|enc| {
            let mut pass = enc.begin_compute_pass(&Default::default());
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, &bg, &[]);
            pass.dispatch_workgroups(grid[0], grid[1], grid[2]);
        });
        if SCOPE_DEPTH.with(|d| d.get() == 0) {
            self.submit();
        }
    }

    /// Records a buffer copy.
    pub fn copy(&self, src: &Buf, src_off: u64, dst: &Buf, dst_off: u64, bytes: u64) {
        self.record(|enc| enc.copy_buffer_to_buffer(src, src_off, dst, dst_off, bytes));
        if SCOPE_DEPTH.with(|d| d.get() == 0) {
            self.submit();
        }
    }

    fn staging(&self, bytes: u64, counters: &Counters) -> Result<Buf> {
        let size = bytes.max(4096).next_power_of_two();
        if let Some(b) = self.staging_pool.take(size) {
            counters.staging_reuses.fetch_add(1, Ordering::Relaxed);
            return Ok(b);
        }
        self.check_size(size)?;
        counters.staging_allocs.fetch_add(1, Ordering::Relaxed);
        Ok(self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("staging"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        }))
    }

    /// Returns an unmapped staging buffer to the pool (dropped when the pool is full).
    fn recycle(&self, b: Buf) {
        self.staging_pool.give(b);
    }

    /// Starts reading `bytes` from the front of the chunks back: copies into staging buffers
    /// and requests their maps. The returned [`Readback`] completes when every map has.
    pub fn start_readback(
        self: &Arc<Self>,
        chunks: &[(&Buf, u64)],
        counters: &Arc<Counters>,
    ) -> Result<Readback> {
        self.scoped(|| {
            let mut parts = Vec::with_capacity(chunks.len());
            for &(buf, bytes) in chunks {
                let copy = bytes.next_multiple_of(4);
                let st = self.staging(copy, counters)?;
                self.record(|enc| enc.copy_buffer_to_buffer(buf, 0, &st, 0, copy));
                parts.push((st, bytes));
            }
            // The copies go with the operation's pending passes: one submit.
            self.submit();
            let state = Arc::new(Mutex::new(MapState {
                pending: parts.len(),
                error: None,
                waker: None,
            }));
            for (st, bytes) in &parts {
                let s = state.clone();
                st.map_async(wgpu::MapMode::Read, ..bytes.next_multiple_of(4), move |r| {
                    let mut g = s.lock().unwrap_or_else(|p| p.into_inner());
                    g.pending -= 1;
                    if let Err(e) = r {
                        g.error = Some(e.to_string());
                    }
                    if g.pending == 0 {
                        if let Some(w) = g.waker.take() {
                            w.wake();
                        }
                    }
                });
            }
            counters.readbacks.fetch_add(1, Ordering::Relaxed);
            Ok(Readback {
                ctx: self.clone(),
                counters: counters.clone(),
                parts,
                state,
            })
        })
    }

    /// Blocks until the queue is idle and callbacks have run.
    pub fn wait(&self) -> Result<()> {
        self.submit();
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| Error::Gpu(format!("waiting for the device failed: {e}")))
    }
}

struct MapState {
    pending: usize,
    error: Option<String>,
    waker: Option<Waker>,
}

/// Staging buffers being mapped for one readback; the sync point of a chain of operations.
pub(crate) struct Readback {
    ctx: Arc<Ctx>,
    counters: Arc<Counters>,
    parts: Vec<(Buf, u64)>,
    state: Arc<Mutex<MapState>>,
}

impl Readback {
    fn done(&self) -> bool {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).pending == 0
    }

    /// Copies the mapped bytes, in chunk order, into `dst` (whose length is the sum of the
    /// chunk byte counts), then unmaps the staging buffers and returns them to the pool.
    fn finish(self, dst: &mut [u8]) -> Result<()> {
        if let Some(e) = self
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .error
            .take()
        {
            return Err(Error::Gpu(format!("reading back failed: {e}")));
        }
        let mut at = 0usize;
        for (st, bytes) in &self.parts {
            let n = *bytes as usize;
            {
                let view = st
                    .get_mapped_range(..bytes.next_multiple_of(4))
                    .map_err(|e| Error::Gpu(format!("reading back failed: {e}")))?;
                copy_parallel(&mut dst[at..at + n], &view[..n]);
            }
            st.unmap();
            at += n;
        }
        self.counters.add_readback(at as u64);
        for (st, _) in self.parts {
            self.ctx.recycle(st);
        }
        self.ctx.health()
    }

    /// Blocks until the maps complete, then copies into `dst`.
    pub fn wait_into(self, dst: &mut [u8]) -> Result<()> {
        while !self.done() {
            self.ctx.wait()?;
        }
        self.finish(dst)
    }

    /// A future resolving when the maps complete; a helper thread drives the device meanwhile.
    pub fn into_future(self) -> ReadbackFuture {
        ReadbackFuture {
            rb: Some(self),
            spawned: false,
        }
    }
}

/// Resolves to the finished [`Readback`].
pub(crate) struct ReadbackFuture {
    rb: Option<Readback>,
    spawned: bool,
}

impl Future for ReadbackFuture {
    type Output = Result<Readback>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskCx<'_>) -> Poll<Self::Output> {
        let Some(rb) = self.rb.take() else {
            return Poll::Ready(Err(Error::Gpu("readback polled after completion".into())));
        };
        let _ = rb.ctx.device.poll(wgpu::PollType::Poll);
        let pending = {
            let mut g = rb.state.lock().unwrap_or_else(|p| p.into_inner());
            if g.pending > 0 {
                g.waker = Some(cx.waker().clone());
            }
            g.pending > 0
        };
        if !pending {
            return Poll::Ready(Ok(rb));
        }
        if !self.spawned {
            self.spawned = true;
            let ctx = rb.ctx.clone();
            std::thread::spawn(move || {
                let _ = ctx.device.poll(wgpu::PollType::wait_indefinitely());
            });
        }
        self.rb = Some(rb);
        Poll::Pending
    }
}

impl Readback {
    /// Copies into `dst` once the future resolved.
    pub fn copy_into(self, dst: &mut [u8]) -> Result<()> {
        self.finish(dst)
    }
}

/// `dst.copy_from_slice(src)` on every core when it is large: a readback destination is usually
/// fresh memory, and faulting its pages in, not the copy, is what costs.
fn copy_parallel(dst: &mut [u8], src: &[u8]) {
    use rayon::prelude::*;
    const PIECE: usize = 2 << 20;
    if dst.len() < 2 * PIECE {
        dst.copy_from_slice(src);
        return;
    }
    dst.par_chunks_mut(PIECE)
        .zip(src.par_chunks(PIECE))
        .for_each(|(d, s)| d.copy_from_slice(s));
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|s| s.parse().ok())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
