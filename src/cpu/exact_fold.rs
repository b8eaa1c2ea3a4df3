//! The exact float sums (`FoldKind::is_exact`) on the CPU: every launch strategy produces the
//! canonical exact-accumulator words of `crate::exact` per output (two accumulators, real part
//! first, per complex64 output). Partial sums only ever merge as integers, so the words do not
//! depend on the thread count, the task split, the chunking of a streamed file or the order
//! of the passes of a multi-axis reduction.
//!
//! Strategies over a pass `[outer, len, inner]`:
//! - contiguous rows (`inner == 1`): the bulk kernels of `exact::block` per row, rows in
//!   parallel; a long row is split into fixed tasks whose accumulators merge;
//! - strided columns: tiles of columns, each column with its own accumulator, rows in blocks
//!   summed in f64 lanes across the columns and checked for exactness per column (see
//!   [`ExactElem::columns`]); tall slabs are also split by rows;
//! - later passes merge accumulators ([`merge_pass`]).

use half::{bf16, f16};
use num_complex::Complex;
use rayon::prelude::*;

use super::CpuStorage;
use super::fold::{Fold, fold_typed};
use super::fold_ops::CountNotNan;
use crate::exact::{self, Acc32, Acc64, SuperAcc};
use crate::plan::Reduce3;

/// Elements per task of a long contiguous row.
const TASK: usize = 1 << 16;
/// Input bytes per row of a column tile (at most) of a strided sum: whole rows up to this
/// width, since long contiguous runs are what the prefetchers stream (float32 along axis 0 of
/// 10000x10000: 0.68 of the read kernel in 8 KiB runs, 0.75 in whole rows).
const TILE_BYTES: usize = 64 << 10;
/// A column tile's accumulators (at most), which its blocks add into (float64's are 552 bytes
/// each, so its tiles are narrower). Blocks are long, so the accumulators are touched rarely:
/// wider rows mattered more (float64 along axis 0: 13 KB rows at 1 MiB, +4 % at 4 MiB).
const TILE_ACC_BYTES: usize = 4 << 20;
/// Fewest rows per task when a strided sum is also split by rows.
const MIN_ROWS_PER_TASK: usize = 256;
/// Accumulators per parallel task when a strided sum's row tasks merge and are written out.
const MERGE_CHUNK: usize = 1024;

/// The accumulator of one family, as the strategies see it.
pub(crate) trait Accum: Clone + Send + Sync {
    /// Canonical words of one accumulator.
    const WORDS: usize;
    fn new() -> Self;
    fn write_words(&self, out: &mut [u32]);
    fn add_words(&mut self, w: &[u32]);
    fn merge(&mut self, other: &Self);
    /// True when a NaN was added.
    fn has_nan(&self) -> bool;
    /// NaNs a nan-variant left out.
    fn skipped(&self) -> u64;
}

impl<const N: usize, const LO: i32> Accum for SuperAcc<N, LO> {
    const WORDS: usize = N + 2;
    #[inline]
    fn new() -> Self {
        SuperAcc::new()
    }
    #[inline]
    fn write_words(&self, out: &mut [u32]) {
        SuperAcc::write_words(self, out)
    }
    #[inline]
    fn add_words(&mut self, w: &[u32]) {
        SuperAcc::add_words(self, w)
    }
    #[inline]
    fn merge(&mut self, other: &Self) {
        SuperAcc::merge(self, other)
    }
    #[inline]
    fn has_nan(&self) -> bool {
        SuperAcc::has_nan(self)
    }
    #[inline]
    fn skipped(&self) -> u64 {
        SuperAcc::skipped(self)
    }
}

/// An element type whose sums are exact: float16, bfloat16, float32, float64, complex64.
pub(crate) trait ExactElem: Copy + Send + Sync + 'static {
    type Acc: Accum;
    /// Accumulators per element (2 for complex64: real, imaginary).
    const PARTS: usize;
    /// Adds one element into `accs[..PARTS]` (nothing when `skip_nan` and it is NaN).
    fn add_one(accs: &mut [Self::Acc], x: Self, skip_nan: bool);
    /// Adds the contiguous run `x` into the fresh accumulators `accs[..PARTS]`.
    fn run(accs: &mut [Self::Acc], x: &[Self], skip_nan: bool) {
        for &v in x {
            Self::add_one(accs, v, skip_nan);
        }
    }
    /// Adds the columns `start..start + w` of the rows `rows` of a `[len, inner]` slab into
    /// `accs` (`w * PARTS` accumulators, column-major by part).
    fn columns(
        accs: &mut [Self::Acc],
        slab: &[Self],
        inner: usize,
        start: usize,
        rows: std::ops::Range<usize>,
        skip_nan: bool,
    ) {
        let w = accs.len() / Self::PARTS;
        for r in rows {
            let row = &slab[r * inner + start..][..w];
            for (a, &v) in accs.chunks_exact_mut(Self::PARTS).zip(row) {
                Self::add_one(a, v, skip_nan);
            }
        }
    }
}

/// A run summed with the bulk kernel `bulk`; for the nan-variants a run that met a NaN is
/// redone element by element, leaving the NaNs out (`accs` are fresh).
#[inline]
fn run_bulk<T: ExactElem>(
    accs: &mut [T::Acc],
    x: &[T],
    skip_nan: bool,
    bulk: impl Fn(&mut [T::Acc], &[T]),
) {
    bulk(accs, x);
    if skip_nan && accs.iter().any(Accum::has_nan) {
        accs.iter_mut().for_each(|a| *a = T::Acc::new());
        for &v in x {
            T::add_one(accs, v, true);
        }
    }
}

impl ExactElem for f32 {
    type Acc = Acc32;
    const PARTS: usize = 1;
    #[inline(always)]
    fn add_one(accs: &mut [Acc32], x: f32, skip_nan: bool) {
        if skip_nan && x.is_nan() {
            accs[0].skip();
        } else {
            accs[0].add_f32(x);
        }
    }
    fn run(accs: &mut [Acc32], x: &[f32], skip_nan: bool) {
        run_bulk(accs, x, skip_nan, |a, x| exact::sum_f32_into(&mut a[0], x));
    }
    fn columns(
        accs: &mut [Acc32],
        slab: &[f32],
        inner: usize,
        start: usize,
        rows: std::ops::Range<usize>,
        skip_nan: bool,
    ) {
        exact::columns_f32(accs, slab, inner, start, rows, skip_nan);
    }
}

impl ExactElem for bf16 {
    type Acc = Acc32;
    const PARTS: usize = 1;
    #[inline(always)]
    fn add_one(accs: &mut [Acc32], x: bf16, skip_nan: bool) {
        if skip_nan && x.is_nan() {
            accs[0].skip();
        } else {
            accs[0].add_bf16(x);
        }
    }
    fn run(accs: &mut [Acc32], x: &[bf16], skip_nan: bool) {
        run_bulk(accs, x, skip_nan, |a, x| exact::sum_bf16_into(&mut a[0], x));
    }
    fn columns(
        accs: &mut [Acc32],
        slab: &[bf16],
        inner: usize,
        start: usize,
        rows: std::ops::Range<usize>,
        skip_nan: bool,
    ) {
        exact::columns_bf16(accs, slab, inner, start, rows, skip_nan);
    }
}

impl ExactElem for f16 {
    type Acc = Acc32;
    const PARTS: usize = 1;
    #[inline(always)]
    fn add_one(accs: &mut [Acc32], x: f16, skip_nan: bool) {
        if skip_nan && x.is_nan() {
            accs[0].skip();
        } else {
            accs[0].add_f16(x);
        }
    }
    fn run(accs: &mut [Acc32], x: &[f16], skip_nan: bool) {
        run_bulk(accs, x, skip_nan, |a, x| exact::sum_f16_into(&mut a[0], x));
    }
    fn columns(
        accs: &mut [Acc32],
        slab: &[f16],
        inner: usize,
        start: usize,
        rows: std::ops::Range<usize>,
        skip_nan: bool,
    ) {
        exact::columns_f16(accs, slab, inner, start, rows, skip_nan);
    }
}

impl ExactElem for f64 {
    type Acc = Acc64;
    const PARTS: usize = 1;
    #[inline(always)]
    fn add_one(accs: &mut [Acc64], x: f64, skip_nan: bool) {
        if skip_nan && x.is_nan() {
            accs[0].skip();
        } else {
            accs[0].add_f64(x);
        }
    }
    fn run(accs: &mut [Acc64], x: &[f64], skip_nan: bool) {
        run_bulk(accs, x, skip_nan, |a, x| exact::sum_f64_into(&mut a[0], x));
    }
    fn columns(
        accs: &mut [Acc64],
        slab: &[f64],
        inner: usize,
        start: usize,
        rows: std::ops::Range<usize>,
        skip_nan: bool,
    ) {
        exact::columns_f64(accs, slab, inner, start, rows, skip_nan);
    }
}

impl ExactElem for Complex<f32> {
    type Acc = Acc32;
    const PARTS: usize = 2;
    #[inline(always)]
    fn add_one(accs: &mut [Acc32], x: Complex<f32>, skip_nan: bool) {
        if skip_nan && (x.re.is_nan() || x.im.is_nan()) {
            accs.iter_mut().for_each(SuperAcc::skip);
        } else {
            accs[0].add_f32(x.re);
            accs[1].add_f32(x.im);
        }
    }
    fn run(accs: &mut [Acc32], x: &[Complex<f32>], skip_nan: bool) {
        run_bulk(accs, x, skip_nan, |a, x| {
            let (re, im) = a.split_at_mut(1);
            exact::sum_c64_into(&mut re[0], &mut im[0], bytemuck::cast_slice(x));
        });
    }
    fn columns(
        accs: &mut [Acc32],
        slab: &[Complex<f32>],
        inner: usize,
        start: usize,
        rows: std::ops::Range<usize>,
        skip_nan: bool,
    ) {
        exact::columns_c64(
            accs,
            bytemuck::cast_slice(slab),
            2 * inner,
            2 * start,
            rows,
            skip_nan,
        );
    }
}

/// Words of one output (all its parts).
const fn out_words<T: ExactElem>() -> usize {
    T::Acc::WORDS * T::PARTS
}

/// The exact-sum accumulators (u32 words) after every pass of `passes` over `x`.
pub(crate) fn fold_exact<T: ExactElem>(x: &[T], passes: &[Reduce3], skip_nan: bool) -> CpuStorage {
    fold_exact_counted(x, passes, skip_nan).0
}

/// [`fold_exact`] and, per output, the number of elements it added (NaNs left out by the
/// nan-variants not counted): nanmean's two folds in one pass over memory.
pub(crate) fn fold_exact_counted<T: ExactElem>(
    x: &[T],
    passes: &[Reduce3],
    skip_nan: bool,
) -> (CpuStorage, CpuStorage) {
    let one = [Reduce3 {
        outer: x.len(),
        len: 1,
        inner: 1,
    }];
    let passes = if passes.is_empty() { &one[..] } else { passes };
    let (mut words, skipped) = first_pass(x, passes[0], skip_nan);
    let len = passes[0].len as i64;
    let mut counts: Vec<i64> = skipped.iter().map(|&s| len - s as i64).collect();
    for r in &passes[1..] {
        words = merge_pass::<T::Acc>(&words, *r, out_words::<T>());
        // CountNotNan's own merge (the int64 sum) on the counts.
        counts = fold_typed::<i64, <CountNotNan as Fold<f32>>::Merge>(&counts, *r);
    }
    (CpuStorage::U32(words), CpuStorage::I64(counts))
}

/// Writes `accs` (one output's parts) as words.
#[inline]
fn write_all<A: Accum>(accs: &[A], out: &mut [u32]) {
    for (a, o) in accs.iter().zip(out.chunks_exact_mut(A::WORDS)) {
        a.write_words(o);
    }
}

fn fresh<T: ExactElem>(n: usize) -> Vec<T::Acc> {
    vec![T::Acc::new(); n * T::PARTS]
}

/// The first pass: elements to accumulator words, and the NaNs each output left out.
fn first_pass<T: ExactElem>(x: &[T], r: Reduce3, skip_nan: bool) -> (Vec<u32>, Vec<u64>) {
    let w = out_words::<T>();
    let mut out = vec![0u32; r.output_len() * w];
    let mut skipped = vec![0u64; r.output_len()];
    if r.len == 0 || out.is_empty() {
        return (out, skipped);
    }
    if r.inner == 1 {
        if r.len >= 2 * TASK {
            let outs = out.chunks_exact_mut(w).zip(&mut skipped);
            for ((o, nan), row) in outs.zip(x.chunks_exact(r.len)) {
                let acc = row
                    .par_chunks(TASK)
                    .map(|c| {
                        let mut a = fresh::<T>(1);
                        T::run(&mut a, c, skip_nan);
                        a
                    })
                    .reduce(
                        || fresh::<T>(1),
                        |mut a, b| {
                            a.iter_mut().zip(&b).for_each(|(a, b)| a.merge(b));
                            a
                        },
                    );
                write_all(&acc, o);
                *nan = acc[0].skipped();
            }
        } else {
            let rows_per_task = (TASK / r.len).max(1);
            out.par_chunks_mut(rows_per_task * w)
                .zip(skipped.par_chunks_mut(rows_per_task))
                .enumerate()
                .for_each(|(t, (dst, nans))| {
                    let rows = &x[t * rows_per_task * r.len..];
                    let mut a = fresh::<T>(1);
                    let outs = dst.chunks_exact_mut(w).zip(nans);
                    for ((o, nan), row) in outs.zip(rows.chunks_exact(r.len)) {
                        a.iter_mut().for_each(|a| *a = T::Acc::new());
                        T::run(&mut a, row, skip_nan);
                        write_all(&a, o);
                        *nan = a[0].skipped();
                    }
                });
        }
        return (out, skipped);
    }
    // Strided columns: tasks are (outer, column tile, run of rows). Tiles of equal width (a
    // multiple of 8 columns, at most TILE_BYTES of a row and TILE_ACC_BYTES of accumulators);
    // runs of rows only when there are fewer (outer, tile) tasks than threads, since each
    // run's accumulators cost a fresh start and a merge per column (four runs per thread
    // spent 9 % of float32 axis 0 of 10000x10000 writing fresh accumulators; one per
    // thread was about 15 % faster).
    let max_tile = (TILE_BYTES / size_of::<T>())
        .min(TILE_ACC_BYTES / size_of::<T::Acc>() / T::PARTS)
        .max(8);
    let tile = r
        .inner
        .div_ceil(r.inner.div_ceil(max_tile))
        .next_multiple_of(8);
    let tiles = r.inner.div_ceil(tile);
    let want = rayon::current_num_threads();
    let row_tasks = want
        .div_ceil(r.outer * tiles)
        .min(r.len.div_ceil(MIN_ROWS_PER_TASK));
    let per = r.len.div_ceil(row_tasks);
    // Every task's accumulators in one buffer, allocated on this thread: a call's buffer is
    // then reused by the next call, where per-task buffers, freed by another thread after the
    // merge, went back to the system each time (the page faults of their refill cost 15 % of
    // axis 0 of 10000x10000).
    let stride = tile * T::PARTS;
    let groups = r.outer * tiles;
    let mut parts = Vec::with_capacity(groups * row_tasks * stride);
    parts.par_extend(
        (0..groups * row_tasks * stride)
            .into_par_iter()
            .map(|_| T::Acc::new()),
    );
    parts.par_chunks_mut(stride).enumerate().for_each(|(t, a)| {
        let (ot, rt) = (t / row_tasks, t % row_tasks);
        let (o, tile_at) = (ot / tiles, ot % tiles);
        let start = tile_at * tile;
        let cols = tile.min(r.inner - start);
        let slab = &x[o * r.len * r.inner..(o + 1) * r.len * r.inner];
        let rows = rt * per..((rt + 1) * per).min(r.len);
        T::columns(
            &mut a[..cols * T::PARTS],
            slab,
            r.inner,
            start,
            rows,
            skip_nan,
        );
    });
    // Each (outer, tile) group's row tasks merge into its first task's accumulators.
    parts.par_chunks_mut(row_tasks * stride).for_each(|g| {
        let (first, rest) = g.split_at_mut(stride);
        let rest = &*rest;
        first
            .par_chunks_mut(MERGE_CHUNK)
            .enumerate()
            .for_each(|(c, f)| {
                for p in rest.chunks_exact(stride) {
                    let p = &p[c * MERGE_CHUNK..][..f.len()];
                    f.iter_mut().zip(p).for_each(|(a, b)| a.merge(b));
                }
            });
    });
    out.par_chunks_mut(w)
        .zip(skipped.par_iter_mut())
        .enumerate()
        .with_min_len(MERGE_CHUNK)
        .for_each(|(k, (o, nan))| {
            let col = k % r.inner;
            let g = k / r.inner * tiles + col / tile;
            let acc = &parts[g * row_tasks * stride + col % tile * T::PARTS..][..T::PARTS];
            write_all(acc, o);
            *nan = acc[0].skipped();
        });
    (out, skipped)
}

/// A later pass: merges the accumulators (`w` words per output) along the middle axis of `r`.
pub(crate) fn merge_pass<A: Accum>(words: &[u32], r: Reduce3, w: usize) -> Vec<u32> {
    let parts = w / A::WORDS;
    let mut out = vec![0u32; r.output_len() * w];
    out.par_chunks_mut(w).enumerate().for_each(|(j, dst)| {
        let (o, i) = (j / r.inner, j % r.inner);
        for p in 0..parts {
            let mut acc = A::new();
            for k in 0..r.len {
                let at = ((o * r.len + k) * r.inner + i) * w + p * A::WORDS;
                acc.add_words(&words[at..at + A::WORDS]);
            }
            acc.write_words(&mut dst[p * A::WORDS..(p + 1) * A::WORDS]);
        }
    });
    out
}

/// `a[i] += b[i]` for exact accumulators of elements of `dtype` (the stream's merge).
pub(crate) fn merge_words(dtype: crate::DType, a: &mut [u32], b: &[u32]) {
    let w = if dtype == crate::DType::Float64 {
        exact::WORDS64
    } else {
        exact::WORDS32
    };
    for (x, y) in a.chunks_exact_mut(w).zip(b.chunks_exact(w)) {
        exact::merge_words(x, y);
    }
}

/// The serial per-element reference the strategies must match word for word (tests).
#[cfg(test)]
pub(crate) fn reference<T: ExactElem>(x: &[T], r: Reduce3, skip_nan: bool) -> CpuStorage {
    let w = out_words::<T>();
    let mut out = vec![0u32; r.output_len() * w];
    for (j, dst) in out.chunks_exact_mut(w).enumerate() {
        let (o, i) = (j / r.inner, j % r.inner);
        let mut a = fresh::<T>(1);
        for k in 0..r.len {
            T::add_one(&mut a, x[(o * r.len + k) * r.inner + i], skip_nan);
        }
        write_all(&a, dst);
    }
    CpuStorage::U32(out)
}
