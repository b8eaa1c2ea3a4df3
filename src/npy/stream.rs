//! Every reduction and cast over a .npy file in chunks, so that a file larger than memory (host
//! or GPU) works with memory bounded by the chunk size. The stream only splits the file and
//! merges: every chunk is a run of whole slices along the leading axis (or a run of elements
//! when everything is reduced), reduced by the engine on the chosen device into its partial
//! result, and partial results merge with the engine's own merge; NumPy's rules are decided
//! by the engine (`reduce`), never here:
//! - value-reductions: a chunk gives its fold accumulators (the exact float sums' canonical
//!   accumulator words, merged as integers, so any chunking gives the in-memory bytes); along
//!   the leading axis they merge pairwise, as the in-memory tree does (chunks hold a power of
//!   two of rows, which keeps the float64 sums of integer means bit-identical to the
//!   in-memory ones); with the leading axis kept they are concatenated; the engine finishes
//!   them once;
//! - arg-reductions: (key, index) pairs combine with the operation's order keys, first index
//!   winning.
//!
//! Results are produced in tiles of at most a chunk's worth of accumulators and handed to a
//! sink (memory, or the output file), so a result as large as the input streams too.
//!
//! Fortran-order files are streamed as the C-order array of the reversed shape (axes
//! reversed); the result comes out in Fortran order (written so, or transposed back in
//! memory). A flat arg-reduction of a Fortran-order file keeps, among equal best keys, the
//! smallest C-order index.

use std::path::Path;

use super::decode::{fortran_to_c, is_native, to_le};
use super::header::Header;
use super::map::Source;
use super::read::{io_err, npy_err, open};
use super::write::{AtomicFile, host, write_parts};
use crate::cpu::{
    ArgElem, FoldElem, arg_key, arg_slice, cast_slice_into, finish_host, merge, trivial_result,
};
use crate::element::with_dtype;
use crate::host::CpuStorage;
use crate::plan::{arg_pass, fold_passes};
use crate::reduce::FoldKind;
use crate::reduce::{check_all_nan, plan_arg, plan_values};
use crate::{Axes, DType, Device, Element, Error, ReduceOp, Result, Tensor};

/// Default bytes of input per chunk.
pub const DEFAULT_CHUNK_BYTES: usize = 32 << 20;

/// Copies of a chunk a GPU device holds in host memory at once (see `Ctx::open`).
const GPU_COPIES: usize = 4;

/// How a streamed operation runs.
pub struct StreamOptions {
    /// Bytes per chunk (at least one element): peak memory is a small multiple of it. The CPU
    /// holds one chunk of input and at most one chunk of output; a GPU device works in quarter
    /// chunks, because it keeps several copies of each in host memory.
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
trait StreamElem: Element + FoldElem + ArgElem {
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
    Error::Internal(format!("the .npy stream: {what}"))
}

impl<'a> Ctx<'a> {
    fn open(path: &'a Path, device: &Device, opts: StreamOptions) -> Result<Ctx<'a>> {
        let (file, header) = open(path)?;
        // A GPU chunk lives in host memory up to four times at once (the mapped input, its
        // upload staging, the kernel output's readback and the host copy; on a software
        // adapter the device buffers are host memory too), so a GPU works in quarter chunks:
        // the chunk size bounds peak memory on either device.
        let bytes = if device.is_cpu() {
            opts.chunk_bytes
        } else {
            opts.chunk_bytes / GPU_COPIES
        };
        let budget = (bytes / header.dtype.itemsize()).max(1);
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

    /// The accumulators of `kinds` over the C-order array `shape` starting at element
    /// `start`, reduced over the masked axes, on the stream's device.
    fn chunk_fold<T: StreamElem>(
        &mut self,
        kinds: &[FoldKind],
        start: usize,
        shape: &[usize],
        mask: &[bool],
    ) -> Result<Vec<CpuStorage>> {
        let n = shape.iter().product();
        self.with_chunk::<T, _>(start, n, |s, dev| {
            let passes = fold_passes(shape, mask);
            if dev.is_cpu() {
                return Ok(T::fold_all(kinds, s, &passes));
            }
            let t = Tensor::from_slice(dev, shape, s)?;
            dev.fold_to_host(&t.storage, kinds, &passes)
        })
    }

    /// Accumulators of `kinds` of the C-order array `shape` starting at element `start`, over
    /// the reduced shape.
    fn fold_rec<T: StreamElem>(
        &mut self,
        kinds: &[FoldKind],
        start: usize,
        shape: &[usize],
        mask: &[bool],
    ) -> Result<Vec<CpuStorage>> {
        let n: usize = shape.iter().product();
        if n <= self.budget || shape.is_empty() {
            return self.chunk_fold::<T>(kinds, start, shape, mask);
        }
        if shape.len() > 1 && mask.iter().all(|&m| m) {
            return self.fold_rec::<T>(kinds, start, &[n], &[true]);
        }
        let row: usize = shape[1..].iter().product();
        let k = if row <= self.budget {
            prev_pow2(self.budget / row)
        } else {
            0
        };
        let mut tree = Tree::default();
        let mut out: Vec<Vec<u8>> = vec![Vec::new(); kinds.len()];
        let mut i = 0;
        while i < shape[0] {
            let (part, rows) = if k > 0 {
                let rows = k.min(shape[0] - i);
                let mut sh = shape.to_vec();
                sh[0] = rows;
                (
                    self.chunk_fold::<T>(kinds, start + i * row, &sh, mask)?,
                    rows,
                )
            } else {
                let part = self.fold_rec::<T>(kinds, start + i * row, &shape[1..], &mask[1..])?;
                (part, 1)
            };
            if mask[0] {
                tree.push(part, kinds, T::DTYPE);
            } else {
                for (o, p) in out.iter_mut().zip(&part) {
                    o.extend_from_slice(p.as_bytes());
                }
            }
            i += rows;
        }
        Ok(if mask[0] {
            tree.finish(kinds, T::DTYPE)
        } else {
            out.iter()
                .zip(kinds)
                .map(|(bytes, k)| CpuStorage::from_bytes(k.acc_dtype(T::DTYPE), bytes))
                .collect()
        })
    }

    /// The accumulators of `kinds` over the C-order arrays `inner` (reduced over `mask`) found
    /// at every offset of `leads` from `base`, merged, handed to `emit` in output order, in
    /// tiles of at most a chunk's worth of accumulators: the output may be as large as the
    /// input, and memory stays bounded by the chunk size. `leads` are reduced dimensions
    /// around `inner`, as (length, stride in elements).
    #[allow(clippy::too_many_arguments)]
    fn fold_tiles<T: StreamElem>(
        &mut self,
        kinds: &[FoldKind],
        leads: &mut Vec<(usize, usize)>,
        base: usize,
        inner: &[usize],
        mask: &[bool],
        emit: &mut dyn FnMut(Vec<CpuStorage>) -> Result<()>,
    ) -> Result<()> {
        let kept = |sh: &[usize], m: &[bool]| -> usize {
            sh.iter()
                .zip(m)
                .filter(|(_, r)| !**r)
                .map(|(d, _)| d)
                .product()
        };
        let acc_bytes: usize = kinds
            .iter()
            .map(|k| k.acc_dtype(T::DTYPE).itemsize() * k.acc_len(T::DTYPE))
            .sum();
        let tile = (self.budget * T::DTYPE.itemsize() / acc_bytes).max(1);
        if kept(inner, mask) <= tile {
            let mut tree = Tree::default();
            for off in lead_offsets(leads, base) {
                let part = self.fold_rec::<T>(kinds, off, inner, mask)?;
                tree.push(part, kinds, T::DTYPE);
            }
            return emit(tree.finish(kinds, T::DTYPE));
        }
        // The first kept axis, `k`, orders the output: tile along it.
        let k = mask
            .iter()
            .position(|&m| !m)
            .ok_or_else(|| internal("no kept axis"))?;
        let depth = leads.len();
        for j in 0..k {
            leads.push((inner[j], inner[j + 1..].iter().product()));
        }
        let per: usize = inner[k + 1..].iter().product();
        let out_per = kept(&inner[k + 1..], &mask[k + 1..]);
        let r = if out_per <= tile {
            let rows = tile / out_per;
            let mut r0 = 0;
            while r0 < inner[k] {
                let mut sh = inner[k..].to_vec();
                sh[0] = rows.min(inner[k] - r0);
                let mut tree = Tree::default();
                for off in lead_offsets(leads, base + r0 * per) {
                    let part = self.fold_rec::<T>(kinds, off, &sh, &mask[k..])?;
                    tree.push(part, kinds, T::DTYPE);
                }
                emit(tree.finish(kinds, T::DTYPE))?;
                r0 += sh[0];
            }
            Ok(())
        } else {
            (0..inner[k]).try_for_each(|v| {
                self.fold_tiles::<T>(
                    kinds,
                    leads,
                    base + v * per,
                    &inner[k + 1..],
                    &mask[k + 1..],
                    emit,
                )
            })
        };
        leads.truncate(depth);
        r
    }

    fn chunk_arg<T: StreamElem>(
        &mut self,
        op: ReduceOp,
        start: usize,
        shape: &[usize],
        axis: usize,
    ) -> Result<Vec<i64>> {
        let n = shape.iter().product();
        self.with_chunk::<T, _>(start, n, |s, dev| arg_on(op, s, dev, shape, axis))
    }

    /// The first index of the largest key of `op` over the flattened array, and whether that
    /// key is a NaN's (the nan-variants' all-NaN case).
    fn arg_flat<T: StreamElem>(&mut self, op: ReduceOp) -> Result<i64> {
        let n = self.header.len();
        let mut best: Option<(T::Key, usize)> = None;
        let mut i = 0;
        while i < n {
            let m = self.budget.min(n - i);
            let (key, at) = self.with_chunk::<T, _>(i, m, |s, dev| {
                let at = arg_on(op, s, dev, &[m], 0)?[0].max(0) as usize;
                let v = s
                    .get(at)
                    .ok_or_else(|| internal("arg index out of range"))?;
                Ok((arg_key(op, *v), at))
            })?;
            if best.is_none_or(|(b, _)| key > b) {
                best = Some((key, i + at));
            }
            i += m;
        }
        Ok(best.map_or(0, |(k, at)| nan_mark::<T>(op, k, at as i64)))
    }

    /// The first index of the largest key of `op` over the flattened C-order array, for a
    /// Fortran-order file: the file is read in its own order, and among the elements that
    /// share the best key the smallest C-order index wins.
    fn arg_flat_fortran<T: StreamElem>(&mut self, op: ReduceOp) -> Result<i64> {
        let shape = self.header.shape.clone();
        let c_strides: Vec<usize> = (0..shape.len())
            .map(|k| shape[k + 1..].iter().product())
            .collect();
        // The file's (Fortran) position of an element -> its C-order index.
        let c_index = |mut p: usize| {
            let mut c = 0;
            for (&d, &w) in shape.iter().zip(&c_strides) {
                c += (p % d) * w;
                p /= d;
            }
            c
        };
        let n = self.header.len();
        let mut best: Option<(T::Key, usize)> = None;
        let mut i = 0;
        while i < n {
            let m = self.budget.min(n - i);
            let found = self.with_chunk::<T, _>(i, m, |s, dev| {
                let at = arg_on(op, s, dev, &[m], 0)?[0].max(0) as usize;
                let key = arg_key(op, *s.get(at).ok_or_else(|| internal("arg index"))?);
                if best.is_some_and(|(b, _)| key < b) {
                    return Ok(None);
                }
                let c = s
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| arg_key(op, **v) == key)
                    .map(|(j, _)| c_index(i + j))
                    .min()
                    .unwrap_or(usize::MAX);
                Ok(Some((key, c)))
            })?;
            if let Some((key, c)) = found {
                best = match best {
                    Some((b, bc)) if b == key => Some((b, bc.min(c))),
                    _ => Some((key, c)),
                };
            }
            i += m;
        }
        Ok(best.map_or(0, |(k, at)| nan_mark::<T>(op, k, at as i64)))
    }

    /// The arg-reduction `op` along `axis` of the C-order array `shape` at element `start`,
    /// handed to `emit` in output order, a chunk's worth at a time.
    fn arg_rec<T: StreamElem>(
        &mut self,
        op: ReduceOp,
        start: usize,
        shape: &[usize],
        axis: usize,
        emit: &mut dyn FnMut(Vec<i64>) -> Result<()>,
    ) -> Result<()> {
        let n: usize = shape.iter().product();
        if n <= self.budget {
            return emit(self.chunk_arg::<T>(op, start, shape, axis)?);
        }
        let row: usize = shape[1..].iter().product();
        let k = (self.budget / row).max(1);
        if axis > 0 {
            let mut i = 0;
            while i < shape[0] {
                if row <= self.budget {
                    let rows = k.min(shape[0] - i);
                    let mut sh = shape.to_vec();
                    sh[0] = rows;
                    emit(self.chunk_arg::<T>(op, start + i * row, &sh, axis)?)?;
                    i += rows;
                } else {
                    self.arg_rec::<T>(op, start + i * row, &shape[1..], axis - 1, emit)?;
                    i += 1;
                }
            }
            return Ok(());
        }
        // Along the leading axis: keep the best key and index per output position, for a
        // chunk's worth of positions at a time.
        let cols = row.min(self.budget);
        let mut c0 = 0;
        while c0 < row {
            let width = cols.min(row - c0);
            let mut keys: Vec<T::Key> = Vec::with_capacity(width);
            let mut idx = vec![0i64; width];
            let mut i = 0;
            while i < shape[0] {
                if width == row {
                    let rows = k.min(shape[0] - i);
                    let (at, ks) =
                        self.with_chunk::<T, _>(start + i * row, rows * row, |s, dev| {
                            let at: Vec<i64> = arg_on(op, s, dev, &[rows, row], 0)?
                                .into_iter()
                                .map(|a| a.max(0))
                                .collect();
                            let ks = at
                                .iter()
                                .enumerate()
                                .map(|(j, &a)| s.get(a as usize * row + j).map(|v| arg_key(op, *v)))
                                .collect::<Option<Vec<_>>>()
                                .ok_or_else(|| internal("arg index out of range"))?;
                            Ok((at, ks))
                        })?;
                    merge_best(&mut keys, &mut idx, &ks, |j| i as i64 + at[j]);
                    i += rows;
                } else {
                    // Rows wider than a chunk: this tile of columns, row by row.
                    let ks = self.with_chunk::<T, _>(start + i * row + c0, width, |s, _| {
                        Ok(s.iter().map(|v| arg_key(op, *v)).collect::<Vec<_>>())
                    })?;
                    merge_best(&mut keys, &mut idx, &ks, |_| i as i64);
                    i += 1;
                }
            }
            emit(
                idx.into_iter()
                    .zip(keys)
                    .map(|(i, k)| nan_mark::<T>(op, k, i))
                    .collect(),
            )?;
            c0 += width;
        }
        Ok(())
    }

    fn cast_all<T: StreamElem>(&mut self, to: DType, out: &mut AtomicFile) -> Result<()> {
        let n = self.header.len();
        // A chunk's output may be wider than its input (uint8 -> float64 is 8x): the budget
        // bounds the wider side.
        let (from, wide) = (T::DTYPE.itemsize(), T::DTYPE.itemsize().max(to.itemsize()));
        let step = (self.budget * from / wide).max(1);
        // The CPU converts every chunk into one reused buffer (no allocation per chunk).
        let mut reused: Option<CpuStorage> = None;
        let mut i = 0;
        while i < n {
            let m = step.min(n - i);
            self.with_chunk::<T, _>(i, m, |s, dev| {
                if dev.is_cpu() {
                    let dst = match &mut reused {
                        Some(b) if b.len() == m => b,
                        slot => slot.insert(CpuStorage::fresh(to, m)),
                    };
                    cast_slice_into(T::borrow_slice(s), dst);
                    return out.write_all(dst.as_bytes());
                }
                let t = Tensor::from_slice(dev, &[m], s)?.cast(to)?;
                out.write_all(host(&t)?.as_bytes())
            })?;
            i += m;
        }
        Ok(())
    }
}

/// Folds `ks` (keys of a later run of rows) into the running best per position.
fn merge_best<K: Ord + Copy>(
    keys: &mut Vec<K>,
    idx: &mut [i64],
    ks: &[K],
    at: impl Fn(usize) -> i64,
) {
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

/// The arg-reduction `op` of a chunk on `dev` (-1 marks a nan-variant's all-NaN slice).
fn arg_on<T: StreamElem>(
    op: ReduceOp,
    s: &[T],
    dev: &Device,
    shape: &[usize],
    axis: usize,
) -> Result<Vec<i64>> {
    let r = arg_pass(shape, Some(axis));
    if dev.is_cpu() {
        return Ok(arg_slice(s, op, r));
    }
    let t = Tensor::from_slice(dev, shape, s)?;
    let idx = dev.exec_arg(&t.storage, op, r)?;
    Ok(bytemuck::cast_slice(dev.download(&idx)?.as_bytes()).to_vec())
}

/// -1 for a nan-variant's winner whose key is that of NaN (its slice is all NaN).
fn nan_mark<T: StreamElem>(op: ReduceOp, key: T::Key, at: i64) -> i64 {
    let float = T::DTYPE.is_float() || T::DTYPE == DType::Complex64;
    if op.skips_nan() && float && key == T::LOW {
        -1
    } else {
        at
    }
}

/// Every offset `base + Σ i_j * stride_j` of the (length, stride) dimensions `leads`, in order.
fn lead_offsets(leads: &[(usize, usize)], base: usize) -> Vec<usize> {
    let mut offs = vec![base];
    for &(n, stride) in leads {
        offs = offs
            .iter()
            .flat_map(|&o| (0..n).map(move |i| o + i * stride))
            .collect();
    }
    offs
}

fn prev_pow2(x: usize) -> usize {
    if x == 0 {
        0
    } else {
        1 << (usize::BITS - 1 - x.leading_zeros())
    }
}

/// Pairwise combination of partial results (one accumulator vector per fold), as a binary
/// counter: equal-level neighbours merge.
#[derive(Default)]
struct Tree {
    stack: Vec<(u32, Vec<CpuStorage>)>,
}

impl Tree {
    fn push(&mut self, mut v: Vec<CpuStorage>, kinds: &[FoldKind], dtype: DType) {
        let mut level = 0;
        while self.stack.last().is_some_and(|(l, _)| *l == level) {
            let (_, mut top) = self.stack.pop().expect("checked");
            for ((t, x), &k) in top.iter_mut().zip(&v).zip(kinds) {
                merge(k, dtype, t, x);
            }
            v = top;
            level += 1;
        }
        self.stack.push((level, v));
    }

    fn finish(self, kinds: &[FoldKind], dtype: DType) -> Vec<CpuStorage> {
        let mut levels = self.stack.into_iter().rev().map(|(_, v)| v);
        let mut acc = levels.next().unwrap_or_default();
        for mut lower in levels {
            for ((l, a), &k) in lower.iter_mut().zip(&acc).zip(kinds) {
                merge(k, dtype, l, a);
            }
            acc = lower;
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

/// Where a streamed result goes, a tile of finished elements at a time: memory (for the
/// `Tensor` API) or the temporary file of an output (so the output, which can be as large as
/// the input, never has to fit in memory).
trait Sink {
    /// Called once, before any element: the result's dtype and shape, and whether its
    /// elements arrive in Fortran order (a Fortran-order input streams in its own order).
    fn begin(&mut self, dtype: DType, shape: &[usize], fortran: bool) -> Result<()>;
    /// The next elements, as little-endian bytes.
    fn put(&mut self, bytes: &[u8]) -> Result<()>;
}

#[derive(Default)]
struct Memory {
    dtype: Option<DType>,
    shape: Vec<usize>,
    fortran: bool,
    bytes: Vec<u8>,
}

impl Sink for Memory {
    fn begin(&mut self, dtype: DType, shape: &[usize], fortran: bool) -> Result<()> {
        (self.dtype, self.shape, self.fortran) = (Some(dtype), shape.to_vec(), fortran);
        Ok(())
    }
    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.bytes.extend_from_slice(bytes);
        Ok(())
    }
}

impl Memory {
    fn into_tensor(self) -> Result<Tensor> {
        let dtype = self.dtype.ok_or_else(|| internal("no result"))?;
        let host = CpuStorage::from_bytes(dtype, &self.bytes);
        result_tensor(host, self.shape, self.fortran)
    }
}

impl Sink for AtomicFile {
    fn begin(&mut self, dtype: DType, shape: &[usize], fortran: bool) -> Result<()> {
        write_parts(self, dtype, shape, fortran)
    }
    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.write_all(bytes)
    }
}

/// The value-reduction `op` of the file at `path` into `sink`.
fn reduce_into(
    path: &Path,
    op: ReduceOp,
    axes: &Axes,
    keepdims: bool,
    device: &Device,
    opts: StreamOptions,
    sink: &mut dyn Sink,
) -> Result<()> {
    let mut ctx = Ctx::open(path, device, opts)?;
    let h = ctx.header.clone();
    let plan = plan_values(op, &h.shape, h.dtype, axes, keepdims)?;
    if let Some(host) = trivial_result(&plan, op, h.dtype)? {
        sink.begin(host.dtype(), &plan.out_shape, false)?;
        return sink.put(host.as_bytes());
    }
    let fortran = h.fortran_order && h.shape.len() > 1;
    let (shape, mask) = if fortran {
        (reversed(&h.shape), reversed(&plan.mask))
    } else {
        (h.shape.clone(), plan.mask.clone())
    };
    sink.begin(plan.out_dtype, &plan.out_shape, fortran)?;
    let kinds = op.plan().0;
    let mut emit = |accs: Vec<CpuStorage>| -> Result<()> {
        sink.put(finish_host(accs, op, h.dtype, plan.count)?.as_bytes())
    };
    with_dtype!(h.dtype, T => ctx.fold_tiles::<T>(kinds, &mut Vec::new(), 0, &shape, &mask, &mut emit))
}

/// The arg-reduction `op` of the file at `path` into `sink`.
fn arg_reduce_into(
    path: &Path,
    op: ReduceOp,
    axis: Option<isize>,
    keepdims: bool,
    device: &Device,
    opts: StreamOptions,
    sink: &mut dyn Sink,
) -> Result<()> {
    let mut ctx = Ctx::open(path, device, opts)?;
    let h = ctx.header.clone();
    let nd = h.shape.len();
    let plan = plan_arg(op, &h.shape, axis, keepdims)?;
    let fortran = h.fortran_order && h.shape.iter().filter(|&&d| d > 1).count() > 1;
    if plan.empty {
        sink.begin(DType::Int64, &plan.out_shape, false)?;
        return sink.put(&vec![0; 8 * plan.out_shape.iter().product::<usize>()]);
    }
    // A flat result is one element; along an axis the result of a Fortran-order file comes
    // out in its order.
    sink.begin(
        DType::Int64,
        &plan.out_shape,
        fortran && plan.axis.is_some(),
    )?;
    let mut emit = |idx: Vec<i64>| -> Result<()> {
        check_all_nan(op, h.dtype, &idx)?;
        sink.put(bytemuck::cast_slice(&idx))
    };
    match plan.axis {
        None if fortran => emit(vec![
            with_dtype!(h.dtype, T => ctx.arg_flat_fortran::<T>(op)?),
        ]),
        None => emit(vec![with_dtype!(h.dtype, T => ctx.arg_flat::<T>(op)?)]),
        Some(a) => {
            let (shape, axis) = if fortran {
                (reversed(&h.shape), nd - 1 - a)
            } else {
                (h.shape.clone(), a)
            };
            with_dtype!(h.dtype, T => ctx.arg_rec::<T>(op, 0, &shape, axis, &mut emit))
        }
    }
}

/// Any reduction `op` of the file at `path` into `sink` (an arg-reduction takes one axis of
/// `axes`, or none).
fn any_reduce_into(
    path: &Path,
    op: ReduceOp,
    axes: &Axes,
    keepdims: bool,
    device: &Device,
    opts: StreamOptions,
    sink: &mut dyn Sink,
) -> Result<()> {
    if !op.is_arg() {
        return reduce_into(path, op, axes, keepdims, device, opts, sink);
    }
    let axis = match axes {
        Axes::All => None,
        Axes::List(l) if l.len() == 1 => Some(l[0]),
        Axes::List(_) => {
            return Err(Error::Unsupported(format!(
                "{op} takes one axis or none (the flattened array)"
            )));
        }
    };
    arg_reduce_into(path, op, axis, keepdims, device, opts, sink)
}

/// The reduction `op` (`np.sum`, `np.max`, `np.argmax`, ... with `axis=axes,
/// keepdims=keepdims`) of `np.load(path)`, computed chunk by chunk on `device`; the result
/// is returned as a CPU tensor (use [`reduce_to_file`] for results too large for memory).
///
/// # Errors
/// As [`super::read_header`] and [`Tensor::reduce`].
pub fn reduce(
    path: impl AsRef<Path>,
    op: ReduceOp,
    axes: &Axes,
    keepdims: bool,
    device: &Device,
    opts: StreamOptions,
) -> Result<Tensor> {
    let mut out = Memory::default();
    any_reduce_into(path.as_ref(), op, axes, keepdims, device, opts, &mut out)?;
    out.into_tensor()
}

/// [`reduce`] written to the .npy file `output` as it is computed, so that memory stays
/// bounded by the chunk size whatever the size of the result (atomically: `output` appears
/// only when complete, and nothing is left behind on an error). The result of a
/// Fortran-order input is written in Fortran order.
///
/// # Errors
/// As [`reduce`] and [`super::write`].
pub fn reduce_to_file(
    input: impl AsRef<Path>,
    output: impl AsRef<Path>,
    op: ReduceOp,
    axes: &Axes,
    keepdims: bool,
    device: &Device,
    opts: StreamOptions,
) -> Result<()> {
    let (input, output) = (input.as_ref(), output.as_ref());
    // Fail on a bad input before the output file is created.
    super::read_header(input)?;
    let mut out = AtomicFile::create(output)?;
    any_reduce_into(input, op, axes, keepdims, device, opts, &mut out)?;
    out.commit()
}

/// `np.sum(np.load(path), axis=axes, keepdims=keepdims)`: [`reduce`] with [`ReduceOp::Sum`].
///
/// # Errors
/// As [`reduce`].
pub fn sum(
    path: impl AsRef<Path>,
    axes: &Axes,
    keepdims: bool,
    device: &Device,
    opts: StreamOptions,
) -> Result<Tensor> {
    reduce(path, ReduceOp::Sum, axes, keepdims, device, opts)
}

/// The arg-reduction `op` (`np.argmax`, ... with `axis=axis, keepdims=keepdims`) of
/// `np.load(path)`, computed chunk by chunk on `device`, as a CPU int64 tensor.
///
/// # Errors
/// As [`super::read_header`] and [`Tensor::argmax`].
pub fn arg_reduce(
    path: impl AsRef<Path>,
    op: ReduceOp,
    axis: Option<isize>,
    keepdims: bool,
    device: &Device,
    opts: StreamOptions,
) -> Result<Tensor> {
    let mut out = Memory::default();
    arg_reduce_into(path.as_ref(), op, axis, keepdims, device, opts, &mut out)?;
    out.into_tensor()
}

/// `np.argmax(np.load(path), axis=axis, keepdims=keepdims)`: [`arg_reduce`] with
/// [`ReduceOp::ArgMax`].
///
/// # Errors
/// As [`arg_reduce`].
pub fn argmax(
    path: impl AsRef<Path>,
    axis: Option<isize>,
    keepdims: bool,
    device: &Device,
    opts: StreamOptions,
) -> Result<Tensor> {
    arg_reduce(path, ReduceOp::ArgMax, axis, keepdims, device, opts)
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
        with_dtype!(h.dtype, T => ctx.cast_all::<T>(to, &mut out)?);
    }
    out.commit()
}
