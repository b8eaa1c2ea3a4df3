//! sum, argmax and cast over a .npy file in chunks, so that a file larger than memory (host or
//! GPU) works with memory bounded by the chunk size. Every chunk is a run of whole slices along
//! the leading axis (or a run of elements when everything is reduced), processed by the same
//! kernels as an in-memory tensor, and the partial results are combined so that the semantics
//! are those of `Tensor::sum` / `argmax` / `cast`:
//! - sum over the leading axis: partial sums (in the accumulator dtype, so float16 stays
//!   float32 until the end) combine pairwise, as the in-memory tree does; chunks hold a power
//!   of two of rows, which makes 1-D float sums bit-identical to the in-memory ones;
//! - leading axis kept: chunk results are concatenated;
//! - argmax: (key, index) pairs combine with the order-preserving keys, first index winning.
//!
//! Fortran-order files are streamed as the C-order array of the reversed shape (axes
//! reversed); the result is transposed back. A flat argmax of a Fortran-order array needs C
//! order and is done in memory.

use std::path::Path;
use std::sync::Arc;

use bytemuck::Pod;

use super::decode::{fortran_to_c, is_native, to_le};
use super::header::Header;
use super::map::Source;
use super::read::{io_err, npy_err, open, read_on};
use super::write::{host, write_parts, AtomicFile};
use crate::backend::Backend;
use crate::cpu::{argmax_typed, sum_typed, ArgKey, CpuBackend, CpuStorage, SumElem};
use crate::plan::{argmax_pass, axes_mask, normalize_axis, reduced_shape, sum_passes};
use crate::{Axes, DType, Device, Element, Error, Result, Tensor};

/// Default bytes of input per chunk.
pub const DEFAULT_CHUNK_BYTES: usize = 32 << 20;

/// How a streamed operation runs.
pub struct StreamOptions {
    /// Bytes of input per chunk (at least one element).
    pub chunk_bytes: usize,
    /// Called after each chunk with (bytes done, bytes in all).
    pub progress: Option<Box<dyn FnMut(u64, u64)>>,
}

impl Default for StreamOptions {
    /// [`DEFAULT_CHUNK_BYTES`], or `NDGPU_CHUNK_BYTES` from the environment when it is set.
    fn default() -> Self {
        let chunk_bytes = std::env::var("NDGPU_CHUNK_BYTES")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&b: &usize| b > 0)
            .unwrap_or(DEFAULT_CHUNK_BYTES);
        StreamOptions {
            chunk_bytes,
            progress: None,
        }
    }
}

/// An element type the stream can view in file bytes.
trait StreamElem: Element + SumElem + ArgKey {
    /// The bytes as elements, when they are aligned (and, for bool, all 0 or 1).
    fn view(bytes: &[u8]) -> Option<&[Self]>;
}

macro_rules! stream_pod {
    ($($t:ty),*) => {$(
        impl StreamElem for $t {
            fn view(bytes: &[u8]) -> Option<&[Self]> {
                bytemuck::try_cast_slice(bytes).ok()
            }
        }
    )*};
}
stream_pod!(
    i8,
    u8,
    i16,
    u16,
    i32,
    u32,
    i64,
    u64,
    half::f16,
    half::bf16,
    f32,
    f64,
    num_complex::Complex<f32>
);

impl StreamElem for bool {
    fn view(bytes: &[u8]) -> Option<&[bool]> {
        bytemuck::checked::try_cast_slice(bytes).ok()
    }
}

macro_rules! dispatch {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            DType::Bool => {
                type $T = bool;
                $body
            }
            DType::Int8 => {
                type $T = i8;
                $body
            }
            DType::UInt8 => {
                type $T = u8;
                $body
            }
            DType::Int16 => {
                type $T = i16;
                $body
            }
            DType::UInt16 => {
                type $T = u16;
                $body
            }
            DType::Int32 => {
                type $T = i32;
                $body
            }
            DType::UInt32 => {
                type $T = u32;
                $body
            }
            DType::Int64 => {
                type $T = i64;
                $body
            }
            DType::UInt64 => {
                type $T = u64;
                $body
            }
            DType::Float16 => {
                type $T = half::f16;
                $body
            }
            DType::BFloat16 => {
                type $T = half::bf16;
                $body
            }
            DType::Float32 => {
                type $T = f32;
                $body
            }
            DType::Float64 => {
                type $T = f64;
                $body
            }
            DType::Complex64 => {
                type $T = num_complex::Complex<f32>;
                $body
            }
        }
    };
}

struct Ctx<'a> {
    path: &'a Path,
    src: Source,
    header: Header,
    device: Device,
    /// Elements per chunk.
    budget: usize,
    scratch: Vec<u64>,
    done: u64,
    progress: Option<Box<dyn FnMut(u64, u64)>>,
}

fn internal(what: &str) -> Error {
    Error::Unsupported(format!("internal error in the .npy stream: {what}"))
}

impl<'a> Ctx<'a> {
    fn open(path: &'a Path, device: &Device, opts: StreamOptions) -> Result<Ctx<'a>> {
        let (file, header) = open(path)?;
        let budget = (opts.chunk_bytes / header.dtype.itemsize()).max(1);
        Ok(Ctx {
            path,
            src: Source::new(file),
            header,
            device: device.clone(),
            budget,
            scratch: Vec::new(),
            done: 0,
            progress: opts.progress,
        })
    }

    /// Runs `f` on elements `start..start + n` (in file order) as little-endian values.
    fn with_chunk<T: StreamElem, R>(
        &mut self,
        start: usize,
        n: usize,
        f: impl FnOnce(&[T], &Device) -> Result<R>,
    ) -> Result<R> {
        let (dtype, be) = (self.header.dtype, self.header.big_endian);
        let isz = dtype.itemsize();
        let offset = (self.header.data_offset + start * isz) as u64;
        let chunk = self
            .src
            .read(offset, n * isz)
            .map_err(|e| io_err(self.path, e))?;
        let view = if is_native(dtype, be) {
            T::view(&chunk)
        } else {
            None
        };
        let r = match view {
            Some(s) => f(s, &self.device),
            None => {
                let words = (n * isz).div_ceil(8);
                if self.scratch.len() < words {
                    self.scratch.resize(words, 0);
                }
                let dst = &mut bytemuck::cast_slice_mut::<u64, u8>(&mut self.scratch)[..n * isz];
                to_le(dtype, be, &chunk, dst);
                let s = T::view(dst).ok_or_else(|| internal("unaligned scratch"))?;
                f(s, &self.device)
            }
        };
        drop(chunk);
        self.done += (n * isz) as u64;
        let total = self.header.data_len() as u64;
        if let Some(p) = self.progress.as_mut() {
            p(self.done, total);
        }
        r
    }

    fn chunk_sum<T: StreamElem>(
        &mut self,
        start: usize,
        shape: &[usize],
        mask: &[bool],
    ) -> Result<Vec<T::Acc>>
    where
        T::Acc: SumElem<Acc = T::Acc> + Pod,
    {
        let n = shape.iter().product();
        self.with_chunk::<T, _>(start, n, |s, dev| {
            let passes = sum_passes(shape, mask);
            if passes.is_empty() {
                return Ok(s.iter().map(|&v| v.widen()).collect());
            }
            if dev.is_cpu() {
                let mut acc = sum_typed(s, passes[0]);
                for &r in &passes[1..] {
                    acc = sum_typed(&acc, r);
                }
                return Ok(acc);
            }
            let t = Tensor::from_slice(dev, shape, s)?;
            let mut st = t.storage.clone();
            let mut dt = T::DTYPE;
            let mut n_out = 0;
            for r in passes {
                st = Arc::new(dev.exec_sum(&st, dt, r)?);
                dt = T::DTYPE.sum_accumulator();
                n_out = r.output_len();
            }
            let h = dev.download(&st, dt, n_out)?;
            Ok(bytemuck::pod_collect_to_vec(h.as_bytes()))
        })
    }

    /// Partial sums (accumulator dtype) of the C-order array `shape` starting at element
    /// `start`, over the reduced shape.
    fn sum_rec<T: StreamElem>(
        &mut self,
        start: usize,
        shape: &[usize],
        mask: &[bool],
    ) -> Result<Vec<T::Acc>>
    where
        T::Acc: SumElem<Acc = T::Acc> + Pod,
    {
        let n: usize = shape.iter().product();
        if n <= self.budget || shape.is_empty() {
            return self.chunk_sum::<T>(start, shape, mask);
        }
        if shape.len() > 1 && mask.iter().all(|&m| m) {
            return self.sum_rec::<T>(start, &[n], &[true]);
        }
        let row: usize = shape[1..].iter().product();
        let k = if row <= self.budget {
            prev_pow2(self.budget / row)
        } else {
            0
        };
        let mut tree = Tree::default();
        let mut out = Vec::new();
        let mut i = 0;
        while i < shape[0] {
            let (part, rows) = if k > 0 {
                let rows = k.min(shape[0] - i);
                let mut sh = shape.to_vec();
                sh[0] = rows;
                (self.chunk_sum::<T>(start + i * row, &sh, mask)?, rows)
            } else {
                (
                    self.sum_rec::<T>(start + i * row, &shape[1..], &mask[1..])?,
                    1,
                )
            };
            if mask[0] {
                tree.push(part, T::Acc::add);
            } else {
                out.extend(part);
            }
            i += rows;
        }
        Ok(if mask[0] {
            tree.finish(T::Acc::add)
        } else {
            out
        })
    }

    fn chunk_argmax<T: StreamElem>(
        &mut self,
        start: usize,
        shape: &[usize],
        axis: usize,
    ) -> Result<Vec<i64>> {
        let n = shape.iter().product();
        self.with_chunk::<T, _>(start, n, |s, dev| argmax_slice(s, dev, shape, axis))
    }

    fn argmax_flat<T: StreamElem>(&mut self) -> Result<i64> {
        let n = self.header.len();
        let mut best: Option<(T::Key, usize)> = None;
        let mut i = 0;
        while i < n {
            let m = self.budget.min(n - i);
            let (key, at) = self.with_chunk::<T, _>(i, m, |s, dev| {
                let at = argmax_slice(s, dev, &[m], 0)?[0] as usize;
                let v = s
                    .get(at)
                    .ok_or_else(|| internal("argmax index out of range"))?;
                Ok((v.key(), at))
            })?;
            if best.is_none_or(|(b, _)| key > b) {
                best = Some((key, i + at));
            }
            i += m;
        }
        Ok(best.map_or(0, |(_, at)| at as i64))
    }

    fn argmax_rec<T: StreamElem>(
        &mut self,
        start: usize,
        shape: &[usize],
        axis: usize,
    ) -> Result<Vec<i64>> {
        let n: usize = shape.iter().product();
        if n <= self.budget {
            return self.chunk_argmax::<T>(start, shape, axis);
        }
        let row: usize = shape[1..].iter().product();
        let k = (self.budget / row).max(1);
        if axis > 0 {
            let mut out = Vec::new();
            let mut i = 0;
            while i < shape[0] {
                if row <= self.budget {
                    let rows = k.min(shape[0] - i);
                    let mut sh = shape.to_vec();
                    sh[0] = rows;
                    out.extend(self.chunk_argmax::<T>(start + i * row, &sh, axis)?);
                    i += rows;
                } else {
                    out.extend(self.argmax_rec::<T>(start + i * row, &shape[1..], axis - 1)?);
                    i += 1;
                }
            }
            return Ok(out);
        }
        // Along the leading axis: keep the best key and index per output position.
        let mut keys: Vec<T::Key> = Vec::with_capacity(row);
        let mut idx = vec![0i64; row];
        let mut i = 0;
        while i < shape[0] {
            if row <= self.budget {
                let rows = k.min(shape[0] - i);
                let (at, ks) = self.with_chunk::<T, _>(start + i * row, rows * row, |s, dev| {
                    let at = argmax_slice(s, dev, &[rows, row], 0)?;
                    let ks = at
                        .iter()
                        .enumerate()
                        .map(|(j, &a)| s.get(a as usize * row + j).map(|v| v.key()))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| internal("argmax index out of range"))?;
                    Ok((at, ks))
                })?;
                merge(&mut keys, &mut idx, &ks, |j| i as i64 + at[j]);
                i += rows;
            } else {
                // One row is larger than a chunk: compare it piece by piece.
                let mut c = 0;
                while c < row {
                    let m = self.budget.min(row - c);
                    let ks = self.with_chunk::<T, _>(start + i * row + c, m, |s, _| {
                        Ok(s.iter().map(|v| v.key()).collect::<Vec<_>>())
                    })?;
                    if i == 0 {
                        keys.extend(ks);
                    } else {
                        for (j, k) in ks.into_iter().enumerate() {
                            if k > keys[c + j] {
                                keys[c + j] = k;
                                idx[c + j] = i as i64;
                            }
                        }
                    }
                    c += m;
                }
                i += 1;
            }
        }
        Ok(idx)
    }

    fn cast_all<T: StreamElem>(&mut self, to: DType, out: &mut AtomicFile) -> Result<()> {
        let n = self.header.len();
        let mut i = 0;
        while i < n {
            let m = self.budget.min(n - i);
            let bytes = self.with_chunk::<T, _>(i, m, |s, dev| {
                let t = Tensor::from_slice(dev, &[m], s)?.cast(to)?;
                Ok(host(&t)?.into_owned())
            })?;
            out.write_all(bytes.as_bytes())?;
            i += m;
        }
        Ok(())
    }
}

/// Folds `ks` (keys of a later run of rows) into the running best per position.
fn merge<K: Ord + Copy>(keys: &mut Vec<K>, idx: &mut [i64], ks: &[K], at: impl Fn(usize) -> i64) {
    if keys.is_empty() {
        keys.extend_from_slice(ks);
        for (j, d) in idx.iter_mut().enumerate() {
            *d = at(j);
        }
        return;
    }
    for (j, &k) in ks.iter().enumerate() {
        if k > keys[j] {
            keys[j] = k;
            idx[j] = at(j);
        }
    }
}

fn argmax_slice<T: StreamElem>(
    s: &[T],
    dev: &Device,
    shape: &[usize],
    axis: usize,
) -> Result<Vec<i64>> {
    if dev.is_cpu() {
        return Ok(argmax_typed(s, argmax_pass(shape, Some(axis))));
    }
    let t = Tensor::from_slice(dev, shape, s)?.argmax(Some(axis as isize), false)?;
    Ok(t.to_ndarray::<i64>()?.into_raw_vec_and_offset().0)
}

fn prev_pow2(x: usize) -> usize {
    if x == 0 {
        0
    } else {
        1 << (usize::BITS - 1 - x.leading_zeros())
    }
}

/// Pairwise combination of partial results, as a binary counter: equal-level neighbours merge.
struct Tree<A> {
    stack: Vec<(u32, Vec<A>)>,
}

impl<A> Default for Tree<A> {
    fn default() -> Self {
        Tree { stack: Vec::new() }
    }
}

impl<A: Copy> Tree<A> {
    fn push(&mut self, mut v: Vec<A>, add: fn(A, A) -> A) {
        let mut level = 0;
        while self.stack.last().is_some_and(|(l, _)| *l == level) {
            let (_, top) = self.stack.pop().expect("checked");
            for (x, &t) in v.iter_mut().zip(&top) {
                *x = add(t, *x);
            }
            level += 1;
        }
        self.stack.push((level, v));
    }

    fn finish(self, add: fn(A, A) -> A) -> Vec<A> {
        let mut levels = self.stack.into_iter().rev().map(|(_, v)| v);
        let mut acc = levels.next().unwrap_or_default();
        for lower in levels {
            for (x, &l) in acc.iter_mut().zip(&lower) {
                *x = add(l, *x);
            }
        }
        acc
    }
}

/// A host tensor from C-order (or, when `fortran`, Fortran-order) little-endian elements.
fn result_tensor(host: CpuStorage, shape: Vec<usize>, fortran: bool) -> Result<Tensor> {
    let host = if fortran && shape.len() > 1 {
        let c = fortran_to_c(host.as_bytes(), &shape, host.dtype().itemsize());
        CpuStorage::from_bytes(host.dtype(), &c)
    } else {
        host
    };
    Tensor::from_host(&Device::cpu(), host, shape)
}

fn reversed<T: Copy>(v: &[T]) -> Vec<T> {
    v.iter().rev().copied().collect()
}

/// `np.sum(np.load(path), axis=axes, keepdims=keepdims)` computed chunk by chunk on `device`;
/// the (small) result is returned as a CPU tensor.
///
/// # Errors
/// As [`super::read_header`] and [`Tensor::sum`].
pub fn sum(
    path: impl AsRef<Path>,
    axes: &Axes,
    keepdims: bool,
    device: &Device,
    opts: StreamOptions,
) -> Result<Tensor> {
    let path = path.as_ref();
    let mut ctx = Ctx::open(path, device, opts)?;
    let h = ctx.header.clone();
    let mask = axes_mask(axes, h.shape.len())?;
    let out_shape = reduced_shape(&h.shape, &mask, keepdims);
    let out_dtype = h.dtype.sum_dtype();
    if h.is_empty() || out_shape.contains(&0) {
        return Tensor::zeros(&Device::cpu(), &out_shape, out_dtype);
    }
    let fortran = h.fortran_order && h.shape.len() > 1;
    let (shape, mask) = if fortran {
        (reversed(&h.shape), reversed(&mask))
    } else {
        (h.shape.clone(), mask)
    };
    let acc: CpuStorage = dispatch!(h.dtype, T => T::storage(ctx.sum_rec::<T>(0, &shape, &mask)?));
    let n_out = acc.len();
    let acc_dtype = acc.dtype();
    let host = if acc_dtype != out_dtype {
        CpuBackend.cast(&acc, acc_dtype, out_dtype, n_out)?
    } else {
        acc
    };
    result_tensor(host, out_shape, fortran)
}

/// `np.argmax(np.load(path), axis=axis, keepdims=keepdims)` computed chunk by chunk on
/// `device`, as a CPU int64 tensor.
///
/// # Errors
/// As [`super::read_header`] and [`Tensor::argmax`].
pub fn argmax(
    path: impl AsRef<Path>,
    axis: Option<isize>,
    keepdims: bool,
    device: &Device,
    opts: StreamOptions,
) -> Result<Tensor> {
    let path = path.as_ref();
    let mut ctx = Ctx::open(path, device, opts)?;
    let h = ctx.header.clone();
    let nd = h.shape.len();
    let axis = axis.map(|a| normalize_axis(a, nd)).transpose()?;
    let mask: Vec<bool> = (0..nd).map(|i| axis.is_none_or(|a| a == i)).collect();
    let out_shape = reduced_shape(&h.shape, &mask, keepdims);
    let r = argmax_pass(&h.shape, axis);
    if r.len == 0 {
        return Err(Error::EmptyReduction);
    }
    if r.output_len() == 0 {
        return Tensor::zeros(&Device::cpu(), &out_shape, DType::Int64);
    }
    let fortran = h.fortran_order && h.shape.iter().filter(|&&d| d > 1).count() > 1;
    let idx = match axis {
        None if fortran => {
            // C-order flat indices of a column-major file: done in memory.
            drop(ctx);
            return read_on(path, device)?
                .argmax(None, keepdims)?
                .to_device(&Device::cpu());
        }
        None => vec![dispatch!(h.dtype, T => ctx.argmax_flat::<T>()?)],
        Some(a) if fortran => {
            let shape = reversed(&h.shape);
            dispatch!(h.dtype, T => ctx.argmax_rec::<T>(0, &shape, nd - 1 - a)?)
        }
        Some(a) => dispatch!(h.dtype, T => ctx.argmax_rec::<T>(0, &h.shape, a)?),
    };
    result_tensor(CpuStorage::I64(idx), out_shape, fortran)
}

/// `np.load(input).astype(to)` written to `output` chunk by chunk (atomically: `output` is
/// replaced only when complete). A Fortran-order input gives a Fortran-order output, as
/// NumPy's `astype` keeps the layout.
///
/// # Errors
/// As [`super::read_header`], [`Tensor::cast`] and [`super::write`] (bfloat16 has no .npy code).
pub fn cast(
    input: impl AsRef<Path>,
    output: impl AsRef<Path>,
    to: DType,
    device: &Device,
    opts: StreamOptions,
) -> Result<()> {
    let (input, output) = (input.as_ref(), output.as_ref());
    let mut ctx = Ctx::open(input, device, opts)?;
    let h = ctx.header.clone();
    super::header::encode(to, &h.shape, false).map_err(|m| npy_err(output, m))?;
    let mut out = AtomicFile::create(output)?;
    write_parts(&mut out, to, &h.shape, h.fortran_order)?;
    if !h.is_empty() {
        dispatch!(h.dtype, T => ctx.cast_all::<T>(to, &mut out)?);
    }
    out.commit()
}
