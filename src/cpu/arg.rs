//! The arg-reductions (argmax, argmin and their nan-variants) through order-preserving integer
//! keys: an [`Arg`] instruction gives each element a key (NaN the largest for argmax and
//! argmin, the smallest for the nan-variants; -0.0 and +0.0 share a key) and the launch
//! strategies below, written once, find the first index of the largest key.

use half::{bf16, f16};
use num_complex::Complex;

use std::ops::Range;

use super::fold::wide_tile;
use super::fold_ops::Truth;
use super::par;
use super::{CpuStorage, with_storage};
use crate::ReduceOp;
use crate::bits;
use crate::plan::Reduce3;
use crate::platform::{self, Largest};

/// `op` (an arg-reduction) along the middle axis of `x` viewed as `[outer, len, inner]`, as
/// int64 indices; the nan-variants give -1 for a slice that is all NaN (the caller decides
/// whether that is an error: the stream merges it with later chunks).
pub(crate) fn arg(x: &CpuStorage, op: ReduceOp, r: Reduce3) -> Vec<i64> {
    with_storage!(x, v => arg_slice(v, op, r))
}

/// An element type every arg-instruction takes (the 14 dtypes): the per-dtype match
/// written once, for callers that hold typed slices (the stream's file chunks).
pub(crate) trait ArgElem: ArgKey {
    /// The indices of `op` along the middle axis of `r`, without the all-NaN marks.
    fn arg_indices(op: ReduceOp, x: &[Self], r: Reduce3) -> Vec<i64>;
}

macro_rules! arg_elem {
    (floats: $($t:ty),*) => {$(
        impl ArgElem for $t {
            fn arg_indices(op: ReduceOp, x: &[$t], r: Reduce3) -> Vec<i64> {
                match op {
                    ReduceOp::ArgMin => arg_typed::<$t, ArgMin>(x, r),
                    ReduceOp::NanArgMax => arg_typed::<$t, NanArgMax>(x, r),
                    ReduceOp::NanArgMin => arg_typed::<$t, NanArgMin>(x, r),
                    _ => arg_typed::<$t, ArgMax>(x, r),
                }
            }
        }
    )*};
    // Integers have no NaN: the nan-variants are the plain ones (not compiled twice).
    (ints: $($t:ty),*) => {$(
        impl ArgElem for $t {
            fn arg_indices(op: ReduceOp, x: &[$t], r: Reduce3) -> Vec<i64> {
                match op {
                    ReduceOp::ArgMin | ReduceOp::NanArgMin => arg_typed::<$t, ArgMin>(x, r),
                    _ => arg_typed::<$t, ArgMax>(x, r),
                }
            }
        }
    )*};
}
arg_elem!(ints: bool, i8, u8, i16, u16, i32, u32, i64, u64);
arg_elem!(floats: f16, bf16, f32, f64, Complex<f32>);

/// [`arg`] of a slice.
pub(crate) fn arg_slice<T: ArgElem>(x: &[T], op: ReduceOp, r: Reduce3) -> Vec<i64> {
    let mut idx = T::arg_indices(op, x, r);
    if op.skips_nan() {
        // A nan-variant's winner is NaN only when its whole slice is NaN.
        for (j, k) in idx.iter_mut().enumerate() {
            let (o, i) = (j / r.inner, j % r.inner);
            if x[(o * r.len + *k as usize) * r.inner + i].nan() {
                *k = -1;
            }
        }
    }
    idx
}

/// The key of `x` under the arg-reduction `op` (what the stream compares across chunks).
pub(crate) fn arg_key<T: ArgKey>(op: ReduceOp, x: T) -> T::Key {
    match op {
        ReduceOp::ArgMin => x.min_key(),
        ReduceOp::NanArgMax => nan_max_key(x),
        ReduceOp::NanArgMin => nan_min_key(x),
        _ => x.key(),
    }
}

/// Elements per parallel task of a long contiguous row.
const TASK: usize = 1 << 16;
/// Columns per task of a strided argmax.
const TILE: usize = 1024;

/// The per-dtype keys the arg-instructions are made of.
pub(crate) trait ArgKey: Copy + Send + Sync + Truth + 'static {
    type Key: Ord + Copy + Send + Sync + Default + std::fmt::Debug;
    /// Below the key of every element that is not NaN (floats only: ints have no NaN).
    const LOW: Self::Key;
    /// The argmax key: NaN largest, -0.0 == +0.0.
    fn key(self) -> Self::Key;
    /// The argmin key: the order reversed, NaN still largest.
    fn min_key(self) -> Self::Key;
}

/// An arg-reduction instruction: the key whose first maximum is the answer.
pub(crate) trait Arg<T: ArgKey>: Copy + Send + Sync + 'static {
    fn key(x: T) -> T::Key;
    /// The largest key of a non-empty slice; f32 argmax and argmin have a hand-written kernel.
    fn max_key(x: &[T]) -> T::Key {
        platform::avx2_or(
            #[inline(always)]
            || max_key::<T, Self>(x),
        )
    }
    /// [`column_best`]; f32 argmax and argmin have a hand-written kernel.
    fn column_best(slab: &[T], inner: usize, cols: Range<usize>, rows: Range<usize>) -> Best<T> {
        column_best::<T, Self>(slab, inner, cols, rows)
    }
    /// The index of the first element of `x` whose key is `best` (one is); f32 argmax and
    /// argmin compare bits where the key has one pattern.
    fn find(x: &[T], best: T::Key) -> usize {
        find_first(x, |v| Self::key(v) == best)
    }
}

/// The arg-instructions.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ArgMax;
#[derive(Clone, Copy, Debug)]
pub(crate) struct ArgMin;
#[derive(Clone, Copy, Debug)]
pub(crate) struct NanArgMax;
#[derive(Clone, Copy, Debug)]
pub(crate) struct NanArgMin;

/// The nan-variants' keys: NaN lowest.
#[inline(always)]
fn nan_max_key<T: ArgKey>(x: T) -> T::Key {
    if x.nan() { T::LOW } else { x.key() }
}

#[inline(always)]
fn nan_min_key<T: ArgKey>(x: T) -> T::Key {
    if x.nan() { T::LOW } else { x.min_key() }
}

/// argmax / argmin of every type but f32 (which has kernels of its own).
macro_rules! plain_args {
    ($($t:ty),*) => {$(
        impl Arg<$t> for ArgMax {
            #[inline(always)]
            fn key(x: $t) -> <$t as ArgKey>::Key {
                x.key()
            }
        }
        impl Arg<$t> for ArgMin {
            #[inline(always)]
            fn key(x: $t) -> <$t as ArgKey>::Key {
                x.min_key()
            }
        }
        impl Arg<$t> for NanArgMax {
            #[inline(always)]
            fn key(x: $t) -> <$t as ArgKey>::Key {
                nan_max_key(x)
            }
        }
        impl Arg<$t> for NanArgMin {
            #[inline(always)]
            fn key(x: $t) -> <$t as ArgKey>::Key {
                nan_min_key(x)
            }
        }
    )*};
}
plain_args!(
    bool,
    i8,
    u8,
    i16,
    u16,
    i32,
    u32,
    i64,
    u64,
    f16,
    bf16,
    f64,
    Complex<f32>
);

/// f32 argmax (`FLIP` = 0) and argmin (`FLIP` = the sign bit: the argmax of -x, whose keys
/// reverse the order and keep NaN largest) on the vector kernels.
macro_rules! f32_arg {
    ($op:ty, $flip:expr) => {
        impl Arg<f32> for $op {
            #[inline(always)]
            fn key(x: f32) -> u32 {
                f32_key_branchless(x.to_bits() ^ $flip)
            }
            fn max_key(x: &[f32]) -> u32 {
                platform::max_key_f32(x, $flip).unwrap_or_else(|| max_key::<f32, Self>(x))
            }
            fn column_best(
                slab: &[f32],
                inner: usize,
                cols: Range<usize>,
                rows: Range<usize>,
            ) -> Best<f32> {
                f32_column_best::<Self>(slab, inner, cols, rows, $flip, false)
            }
            fn find(x: &[f32], best: u32) -> usize {
                // Every key but NaN's and zero's (either zero) has one bit pattern, and
                // comparing bits is a quarter of the work of comparing keys (the search was
                // a fifth of an argmax along rows of 2048).
                if best == u32::MAX || best == 0x8000_0000 {
                    return find_first(x, |v| Self::key(v) == best);
                }
                let c = if best >> 31 != 0 {
                    best & 0x7fff_ffff
                } else {
                    !best
                };
                let bits = c ^ $flip;
                find_first(x, |v| v.to_bits() == bits)
            }
        }
    };
}
/// [`Arg::column_best`] of the float32 instructions: the vector column kernel for whole groups
/// of 8 columns (NaN's key the lowest with `nan_low`), the generic loop for the rest.
fn f32_column_best<A: Arg<f32>>(
    slab: &[f32],
    inner: usize,
    cols: Range<usize>,
    rows: Range<usize>,
    flip: u32,
    nan_low: bool,
) -> Best<f32> {
    let (mut keys, mut at) = (Vec::new(), Vec::new());
    let (c, r) = (cols.clone(), rows.clone());
    let done = platform::argmax_columns_f32(slab, inner, c, r, flip, nan_low, &mut keys, &mut at);
    let rest = cols.start + done..cols.end;
    let (k, a) = column_best::<f32, A>(slab, inner, rest, rows);
    keys.extend(k);
    at.extend(a);
    (keys, at)
}

f32_arg!(ArgMax, 0);
f32_arg!(ArgMin, 0x8000_0000);

/// f32 nanargmax (`FLIP` = 0) and nanargmin (`FLIP` = the sign bit): rows take the vector
/// extremes kernel with NaNs left out (`platform::largest_f32`), columns argmax's column
/// kernel with NaN's key the lowest.
macro_rules! f32_nan_arg {
    ($op:ty, $flip:expr, $key:path) => {
        impl Arg<f32> for $op {
            #[inline(always)]
            fn key(x: f32) -> u32 {
                $key(x)
            }
            fn max_key(x: &[f32]) -> u32 {
                let n = x.len() / 32 * 32;
                let head = match n {
                    0 => <f32 as ArgKey>::LOW,
                    _ => match platform::largest_f32(&x[..n], $flip, true) {
                        Some(Largest::Bits(b)) => bits::f32_key(b),
                        Some(Largest::Nan | Largest::AllNan) => <f32 as ArgKey>::LOW,
                        None => return max_key::<f32, Self>(x),
                    },
                };
                x[n..].iter().map(|&v| $key(v)).fold(head, u32::max)
            }
            fn column_best(
                slab: &[f32],
                inner: usize,
                cols: Range<usize>,
                rows: Range<usize>,
            ) -> Best<f32> {
                f32_column_best::<Self>(slab, inner, cols, rows, $flip, true)
            }
        }
    };
}
f32_nan_arg!(NanArgMax, 0, nan_max_key);
f32_nan_arg!(NanArgMin, 0x8000_0000, nan_min_key);

/// Lanes of the vectorised key maximum.
const LANES: usize = 16;
/// A quarter of the elements per block of a row scan: the maximum key of each block is found
/// with no index bookkeeping, then only the first block holding the overall maximum is
/// searched again.
const SCAN_BLOCK: usize = 256;
/// Elements compared at a time when the block holding a row's maximum is searched for it.
const FIND_CHUNK: usize = 32;
/// Rows folded into the running column maxima per pass (fewer loads and stores of them).
const ROW_GROUP: usize = 4;

macro_rules! int_key {
    ($($t:ty),*) => {$(
        impl ArgKey for $t {
            type Key = $t;
            const LOW: $t = <$t>::MIN;
            #[inline(always)]
            fn key(self) -> $t {
                self
            }
            #[inline(always)]
            fn min_key(self) -> $t {
                !self
            }
        }
    )*};
}
int_key!(i8, u8, i16, u16, i32, u32, i64, u64);

impl ArgKey for bool {
    type Key = bool;
    const LOW: bool = false;
    #[inline(always)]
    fn key(self) -> bool {
        self
    }
    #[inline(always)]
    fn min_key(self) -> bool {
        !self
    }
}

impl ArgKey for f16 {
    type Key = u16;
    const LOW: u16 = 0;
    #[inline(always)]
    fn key(self) -> u16 {
        bits::f16_key(self.to_bits())
    }
    #[inline(always)]
    fn min_key(self) -> u16 {
        bits::f16_key(self.to_bits() ^ 0x8000)
    }
}

impl ArgKey for bf16 {
    type Key = u16;
    const LOW: u16 = 0;
    #[inline(always)]
    fn key(self) -> u16 {
        bits::bf16_key(self.to_bits())
    }
    #[inline(always)]
    fn min_key(self) -> u16 {
        bits::bf16_key(self.to_bits() ^ 0x8000)
    }
}

/// `bits::f32_key` without branches, so that loops over it vectorise: -0.0 becomes +0.0,
/// negatives flip every bit, positives set the sign bit, NaNs saturate.
#[inline(always)]
fn f32_key_branchless(b: u32) -> u32 {
    let c = if b == 0x8000_0000 { 0 } else { b };
    let k = c ^ ((((c as i32) >> 31) as u32) | 0x8000_0000);
    let nan = (b & 0x7fff_ffff) > 0x7f80_0000;
    if nan { u32::MAX } else { k }
}

/// As [`f32_key_branchless`] for f64 bits.
#[inline(always)]
fn f64_key_branchless(b: u64) -> u64 {
    let c = if b == 0x8000_0000_0000_0000 { 0 } else { b };
    let k = c ^ ((((c as i64) >> 63) as u64) | 0x8000_0000_0000_0000);
    let nan = (b & 0x7fff_ffff_ffff_ffff) > 0x7ff0_0000_0000_0000;
    if nan { u64::MAX } else { k }
}

impl ArgKey for f32 {
    type Key = u32;
    const LOW: u32 = 0;
    #[inline(always)]
    fn key(self) -> u32 {
        f32_key_branchless(self.to_bits())
    }
    #[inline(always)]
    fn min_key(self) -> u32 {
        f32_key_branchless(self.to_bits() ^ 0x8000_0000)
    }
}

impl ArgKey for f64 {
    type Key = u64;
    const LOW: u64 = 0;
    #[inline(always)]
    fn key(self) -> u64 {
        f64_key_branchless(self.to_bits())
    }
    #[inline(always)]
    fn min_key(self) -> u64 {
        f64_key_branchless(self.to_bits() ^ (1 << 63))
    }
}

impl ArgKey for Complex<f32> {
    type Key = u64;
    const LOW: u64 = 0;
    /// The argmin key: both parts reversed (lexicographic order reversed), NaN largest.
    #[inline(always)]
    fn min_key(self) -> u64 {
        (-self).key()
    }
    /// (real, imag) lexicographic; a NaN in either part makes the whole value the maximum, as
    /// NumPy's complex argmax does.
    #[inline(always)]
    fn key(self) -> u64 {
        let (re, im) = (
            bits::f32_key(self.re.to_bits()),
            bits::f32_key(self.im.to_bits()),
        );
        if re == u32::MAX || im == u32::MAX {
            u64::MAX
        } else {
            (u64::from(re) << 32) | u64::from(im)
        }
    }
}

/// Index of the first largest key of `A` along the middle axis of `x` viewed as
/// `[outer, len, inner]`.
pub(crate) fn arg_typed<T: ArgKey, A: Arg<T>>(x: &[T], r: Reduce3) -> Vec<i64> {
    debug_assert_eq!(x.len(), r.input_len());
    if r.inner == 1 {
        if r.len >= 2 * TASK {
            x.chunks_exact(r.len).map(arg_long_row::<T, A>).collect()
        } else {
            let rows_per_task = (TASK / r.len.max(1)).max(1);
            let mut out = vec![0i64; r.output_len()];
            par::each_chunk(&mut out, rows_per_task, &|i, dst| {
                let rows = &x[i * rows_per_task * r.len..];
                for (o, row) in dst.iter_mut().zip(rows.chunks_exact(r.len)) {
                    *o = arg_row::<T, A>(row).1 as i64;
                }
            });
            out
        }
    } else if r.outer == 1 && r.len > 2 * ROWS_PER_TASK {
        arg_tall::<T, A>(x, r.len, r.inner)
    } else {
        let mut out = vec![0i64; r.output_len()];
        par::each_tile(&mut out, r.inner, TILE, &|o, t, dst| {
            let slab = &x[o * r.len * r.inner..(o + 1) * r.len * r.inner];
            let cols = t * TILE..t * TILE + dst.len();
            let (_, at) = A::column_best(slab, r.inner, cols, 0..r.len);
            for (d, a) in dst.iter_mut().zip(at) {
                *d = a as i64;
            }
        });
        out
    }
}

/// The largest key of a non-empty slice (independent lanes, no index: this vectorises).
#[inline(always)]
fn max_key<T: ArgKey, A: Arg<T>>(x: &[T]) -> T::Key {
    let mut lanes = [A::key(x[0]); LANES];
    let mut it = x.chunks_exact(LANES);
    for c in &mut it {
        platform::prefetch_ahead(c);
        for (l, v) in lanes.iter_mut().zip(c) {
            *l = (*l).max(A::key(*v));
        }
    }
    let tail = it.remainder().iter().map(|&v| A::key(v));
    lanes
        .into_iter()
        .chain(tail)
        .max()
        .expect("lanes are not empty")
}

/// (largest key, index of its first occurrence) of a non-empty row: block maxima over
/// `4 * SCAN_BLOCK` elements (few horizontal reductions), then within the first block holding
/// the overall maximum, its first element.
fn arg_row<T: ArgKey, A: Arg<T>>(x: &[T]) -> (T::Key, usize) {
    const BIG: usize = 4 * SCAN_BLOCK;
    let mut best = A::key(x[0]);
    let mut best_block = 0;
    for (b, block) in x.chunks(BIG).enumerate() {
        let m = A::max_key(block);
        if m > best {
            best = m;
            best_block = b;
        }
    }
    let big = &x[best_block * BIG..((best_block + 1) * BIG).min(x.len())];
    (best, best_block * BIG + A::find(big, best))
}

/// The index of the first element of `x` that `hit` holds for (one does): chunks tested whole
/// first (no early exit inside one, so this vectorises), then the first chunk with a hit
/// element by element.
#[inline(always)]
fn find_first<T: Copy>(x: &[T], hit: impl Fn(T) -> bool + Copy) -> usize {
    let chunk = platform::avx2_or(
        #[inline(always)]
        || {
            x.chunks(FIND_CHUNK)
                .position(|c| c.iter().fold(false, |h, &v| h | hit(v)))
        },
    )
    .expect("x holds a hit");
    let start = chunk * FIND_CHUNK;
    let at = x[start..]
        .iter()
        .position(|&v| hit(v))
        .expect("the chunk holds a hit");
    start + at
}

fn arg_long_row<T: ArgKey, A: Arg<T>>(x: &[T]) -> i64 {
    let parts: Vec<(T::Key, usize)> = par::map_indices(x.len().div_ceil(TASK), &|c| {
        let chunk = &x[c * TASK..][..TASK.min(x.len() - c * TASK)];
        let (k, i) = arg_row::<T, A>(chunk);
        (k, c * TASK + i)
    });
    let mut best = parts[0];
    for &p in &parts[1..] {
        if p.0 > best.0 {
            best = p;
        }
    }
    best.1 as i64
}

/// Rows per task when a tall strided argmax is split by rows.
const ROWS_PER_TASK: usize = 512;
/// `[1, len, inner]` with many rows: tasks are (column tile, run of rows), merged in row order
/// with a strict `>`, so the first maximum still wins.
fn arg_tall<T: ArgKey, A: Arg<T>>(x: &[T], len: usize, inner: usize) -> Vec<i64> {
    let row_tasks = len.div_ceil(ROWS_PER_TASK);
    // Whole rows up to a width, as the tall folds take them.
    let wide = wide_tile::<T>(inner);
    let tiles = inner.div_ceil(wide);
    let parts: Vec<Best<T>> = par::map_indices(tiles * row_tasks, &|t| {
        let (tile, rt) = (t / row_tasks, t % row_tasks);
        let cols = tile * wide..((tile + 1) * wide).min(inner);
        let rows = rt * ROWS_PER_TASK..((rt + 1) * ROWS_PER_TASK).min(len);
        A::column_best(x, inner, cols, rows)
    });
    let mut out = vec![0i64; inner];
    par::each_chunk(&mut out, wide, &|i, dst| {
        let parts = &parts[i * row_tasks..(i + 1) * row_tasks];
        let (mut best, mut at) = parts[0].clone();
        for (keys, rows) in &parts[1..] {
            for (((b, a), &k), &r) in best.iter_mut().zip(at.iter_mut()).zip(keys).zip(rows) {
                if k > *b {
                    (*b, *a) = (k, r);
                }
            }
        }
        for (d, a) in dst.iter_mut().zip(at) {
            *d = a as i64;
        }
    });
    out
}

/// Per column: the largest key and the first row holding it.
pub(crate) type Best<T> = (Vec<<T as ArgKey>::Key>, Vec<usize>);

/// [`Best`] of the columns `cols` over the rows `rows` (non-empty) of a `[len, inner]` slab.
fn column_best<T: ArgKey, A: Arg<T>>(
    slab: &[T],
    inner: usize,
    cols: Range<usize>,
    rows: Range<usize>,
) -> Best<T> {
    if cols.is_empty() {
        return (Vec::new(), Vec::new());
    }
    if rows.end <= u32::MAX as usize {
        platform::avx2_or(
            #[inline(always)]
            || column_best_as::<T, A, u32>(slab, inner, cols, rows),
        )
    } else {
        platform::avx2_or(
            #[inline(always)]
            || column_best_as::<T, A, u64>(slab, inner, cols, rows),
        )
    }
}

/// Row indices kept as `I`: u32 whenever it fits, so that keys and indices of f32 columns
/// share a vector width.
trait RowIndex: Copy + Default {
    fn from_row(r: usize) -> Self;
    fn to_i64(self) -> i64;
}

impl RowIndex for u32 {
    #[inline(always)]
    fn from_row(r: usize) -> u32 {
        r as u32
    }
    #[inline(always)]
    fn to_i64(self) -> i64 {
        i64::from(self)
    }
}

impl RowIndex for u64 {
    #[inline(always)]
    fn from_row(r: usize) -> u64 {
        r as u64
    }
    #[inline(always)]
    fn to_i64(self) -> i64 {
        self as i64
    }
}

/// Running (largest key, first row holding it) per column, updated with selects instead of
/// branches; rows are folded in increasing order, so a strict `>` keeps the first maximum.
#[inline(always)]
fn column_best_as<T: ArgKey, A: Arg<T>, I: RowIndex>(
    slab: &[T],
    inner: usize,
    cols: Range<usize>,
    rows: Range<usize>,
) -> Best<T> {
    let (start, w, len) = (cols.start, cols.len(), rows.end);
    let row = |r: usize| &slab[r * inner + start..][..w];
    let mut best: Vec<T::Key> = row(rows.start).iter().map(|&v| A::key(v)).collect();
    let mut at = vec![I::from_row(rows.start); w];
    let mut r = rows.start + 1;
    while r + ROW_GROUP <= len {
        let (x0, x1, x2, x3) = (row(r), row(r + 1), row(r + 2), row(r + 3));
        let rows = [r, r + 1, r + 2, r + 3].map(I::from_row);
        for c in 0..w {
            let (mut b, mut a) = (best[c], at[c]);
            for (k, i) in [A::key(x0[c]), A::key(x1[c]), A::key(x2[c]), A::key(x3[c])]
                .into_iter()
                .zip(rows)
            {
                let gt = k > b;
                b = if gt { k } else { b };
                a = if gt { i } else { a };
            }
            best[c] = b;
            at[c] = a;
        }
        r += ROW_GROUP;
    }
    for r in r..len {
        let i = I::from_row(r);
        for ((b, a), v) in best.iter_mut().zip(at.iter_mut()).zip(row(r)) {
            let k = A::key(*v);
            let gt = k > *b;
            *b = if gt { k } else { *b };
            *a = if gt { i } else { *a };
        }
    }
    (best, at.into_iter().map(|a| a.to_i64() as usize).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    use crate::cpu::TestRng as Rng;

    fn argmax(x: &CpuStorage, r: Reduce3) -> Vec<i64> {
        arg(x, ReduceOp::ArgMax, r)
    }

    /// The plain loop: first index of the largest key, keys from `bits` for floats.
    fn reference(x: &CpuStorage, r: Reduce3) -> Vec<i64> {
        fn typed<T: ArgKey>(x: &[T], r: Reduce3, key: impl Fn(T) -> u64) -> Vec<i64> {
            let mut out = Vec::new();
            for o in 0..r.outer {
                for i in 0..r.inner {
                    let at = |k: usize| key(x[(o * r.len + k) * r.inner + i]);
                    let (mut best, mut arg) = (at(0), 0);
                    for k in 1..r.len {
                        if at(k) > best {
                            (best, arg) = (at(k), k);
                        }
                    }
                    out.push(arg as i64);
                }
            }
            out
        }
        match x {
            CpuStorage::F32(v) => typed(v, r, |a| u64::from(bits::f32_key(a.to_bits()))),
            CpuStorage::F64(v) => typed(v, r, |a| bits::f64_key(a.to_bits())),
            CpuStorage::F16(v) => typed(v, r, |a| u64::from(bits::f16_key(a.to_bits()))),
            CpuStorage::BF16(v) => typed(v, r, |a| u64::from(bits::bf16_key(a.to_bits()))),
            CpuStorage::C64(v) => typed(v, r, |a| a.key()),
            CpuStorage::Bool(v) => typed(v, r, u64::from),
            CpuStorage::I8(v) => typed(v, r, |a| (i64::from(a) as u64) ^ (1 << 63)),
            CpuStorage::U8(v) => typed(v, r, u64::from),
            CpuStorage::I16(v) => typed(v, r, |a| (i64::from(a) as u64) ^ (1 << 63)),
            CpuStorage::U16(v) => typed(v, r, u64::from),
            CpuStorage::I32(v) => typed(v, r, |a| (i64::from(a) as u64) ^ (1 << 63)),
            CpuStorage::U32(v) => typed(v, r, u64::from),
            CpuStorage::I64(v) => typed(v, r, |a| (a as u64) ^ (1 << 63)),
            CpuStorage::U64(v) => typed(v, r, |a| a),
        }
    }

    /// Few distinct values (many ties), with NaN, -0.0/+0.0 and the maximum placed on block
    /// and task boundaries.
    fn sample(dtype: DType, n: usize, seed: u64) -> CpuStorage {
        let mut rng = Rng(seed | 1);
        let mut v: Vec<f64> = (0..n).map(|_| (rng.next() % 64) as f64 - 40.0).collect();
        for (i, x) in v.iter_mut().enumerate() {
            if i % 7 == 3 {
                *x = if i % 2 == 0 { -0.0 } else { 0.0 };
            }
        }
        for &at in &[
            SCAN_BLOCK - 1,
            SCAN_BLOCK,
            3 * SCAN_BLOCK,
            TASK - 1,
            TASK,
            TASK + 1,
        ] {
            if at < n {
                v[at] = 100.0;
            }
        }
        let nan = seed.is_multiple_of(3) && n > 2 * SCAN_BLOCK + 1;
        if nan {
            v[2 * SCAN_BLOCK + 1] = f64::NAN;
            v[n - 1] = -f64::NAN;
        }
        if dtype == DType::Complex64 {
            let c: Vec<Complex<f32>> = v
                .chunks(2)
                .flat_map(|p| {
                    [
                        Complex::new(p[0] as f32, 1.0),
                        Complex::new(p[0] as f32, p[p.len() - 1] as f32),
                    ]
                })
                .take(n)
                .collect();
            return CpuStorage::C64(c);
        }
        super::super::cast::cast(&CpuStorage::F64(v), dtype)
    }

    fn in_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(f)
    }

    #[test]
    fn fast_paths_match_the_plain_loop_for_every_dtype_and_thread_count() {
        let shapes = [
            (1, 1, 1),
            (1, 7, 1),
            (2, 3 * SCAN_BLOCK + 5, 1),
            (1, 9 * SCAN_BLOCK + 5, 1),
            (1, 2 * TASK + 777, 1),
            (3, 17, 5),
            (1, 9, 1031),
            (2, 6, 2 * TILE + 9),
            (1, 2 * ROWS_PER_TASK + 3, 5),
            (
                1,
                3 * ROWS_PER_TASK,
                crate::cpu::fold::WIDE_TILE_BYTES / 4 + 9,
            ),
            (1, 1000, 3),
            (4, 2, 8),
        ];
        for (k, &dtype) in DType::ALL.iter().enumerate() {
            for (s, &(outer, len, inner)) in shapes.iter().enumerate() {
                let r = Reduce3 { outer, len, inner };
                let x = sample(dtype, r.input_len(), (k * 17 + s) as u64);
                let want = reference(&x, r);
                for threads in [1, 2] {
                    let got = in_pool(threads, || argmax(&x, r));
                    assert_eq!(got, want, "{dtype} {r:?} with {threads} threads");
                }
            }
        }
    }

    #[test]
    fn first_nan_and_first_of_tied_zeros_win() {
        for n in [31, 32, 33, SCAN_BLOCK + 1, 3 * TASK + 5] {
            let r = Reduce3 {
                outer: 1,
                len: n,
                inner: 1,
            };
            let mut v = vec![-0.0f32; n];
            v[n / 2] = 0.0;
            assert_eq!(argmax(&CpuStorage::F32(v.clone()), r), [0]);
            v[n - 1] = -f32::NAN;
            v[n / 3 + 1] = f32::from_bits(0x7f80_0001);
            assert_eq!(argmax(&CpuStorage::F32(v.clone()), r), [(n / 3 + 1) as i64]);
            let cols = Reduce3 {
                outer: 1,
                len: 3,
                inner: n,
            };
            let mut m = vec![0.0f32; 3 * n];
            m[n..2 * n].fill(-0.0);
            m[2 * n..].fill(f32::NAN);
            m[n - 1] = f32::NAN;
            let got = argmax(&CpuStorage::F32(m), cols);
            assert_eq!(got[..n - 1], vec![2; n - 1][..]);
            assert_eq!(got[n - 1], 0);
        }
    }

    #[test]
    fn float32_column_kernel_orders_special_values_as_the_keys_do() {
        // Few values, every kind of special (both NaN signs, both zeros, infinities,
        // subnormals), so columns tie often and the first of equal keys must win.
        let specials = [
            0u32,
            0x8000_0000,
            1,
            0x8000_0001,
            0x3f80_0000,
            0xbf80_0000,
            0x7f7f_ffff,
            0xff7f_ffff,
            0x7f80_0000,
            0xff80_0000,
            0x7fc0_0000,
            0xffc0_0000,
            0x7f80_0001,
        ];
        let mut rng = Rng(11);
        for (len, inner, kinds) in [(40, 67, 13), (9, 24, 6), (1200, 16, 4)] {
            let r = Reduce3 {
                outer: 1,
                len,
                inner,
            };
            let v: Vec<f32> = (0..len * inner)
                .map(|_| f32::from_bits(specials[(rng.next() % kinds) as usize]))
                .collect();
            let x = CpuStorage::F32(v.clone());
            assert_eq!(argmax(&x, r), reference(&x, r), "{r:?}");
            // argmin is the argmax of keys with the sign bit flipped.
            let flipped = CpuStorage::F32(v.iter().map(|a| -a).collect());
            assert_eq!(
                arg(&x, ReduceOp::ArgMin, r),
                reference(&flipped, r),
                "{r:?}"
            );
            for op in [ReduceOp::NanArgMax, ReduceOp::NanArgMin] {
                assert_eq!(arg(&x, op, r), nan_reference(&v, r, op), "{op:?} {r:?}");
            }
        }
        // Rows whose extreme is negative, positive, a zero or an infinity (the row search
        // compares bits for every key but NaN's and zero's), over several blocks.
        for pool in [
            &[0x8000_0001u32, 0xbf80_0000, 0xff7f_ffff][..],
            &[0x8000_0001, 0xbf80_0000, 0xff80_0000, 1, 0x3f80_0000],
            &[1, 0x3f80_0000, 0x7f7f_ffff],
            &[0, 0x8000_0000, 0x8000_0001, 0xbf80_0000, 0xff80_0000],
            &[0x7f80_0000, 0xff80_0000, 0x3f80_0000],
        ] {
            for len in [33, 3000] {
                let r = Reduce3 {
                    outer: 2,
                    len,
                    inner: 1,
                };
                let v: Vec<f32> = (0..2 * len)
                    .map(|_| f32::from_bits(pool[rng.next() as usize % pool.len()]))
                    .collect();
                let x = CpuStorage::F32(v.clone());
                assert_eq!(argmax(&x, r), reference(&x, r), "{pool:x?} {len}");
                let flipped = CpuStorage::F32(v.iter().map(|a| -a).collect());
                let want = reference(&flipped, r);
                assert_eq!(arg(&x, ReduceOp::ArgMin, r), want, "{pool:x?} {len}");
            }
        }
        // Rows long enough for the row kernels' blocks, and all-NaN columns.
        for (len, inner) in [(3000, 1), (70, 2), (1100, 9)] {
            let r = Reduce3 {
                outer: 1,
                len,
                inner,
            };
            for nan_share in [0, 3, 8] {
                let v: Vec<f32> = (0..len * inner)
                    .map(|i| match rng.next() % 8 {
                        _ if i % inner == 1 => f32::NAN,
                        k if k < nan_share => f32::from_bits(specials[10 + (k as usize) % 3]),
                        _ => f32::from_bits(specials[(rng.next() % 10) as usize]),
                    })
                    .collect();
                let x = CpuStorage::F32(v.clone());
                for op in [ReduceOp::NanArgMax, ReduceOp::NanArgMin] {
                    assert_eq!(arg(&x, op, r), nan_reference(&v, r, op), "{op:?} {r:?}");
                }
            }
        }
    }

    /// The plain loop of a nan-variant over float32: the first index of the largest key
    /// (NaN lowest), -1 where the whole slice is NaN.
    fn nan_reference(x: &[f32], r: Reduce3, op: ReduceOp) -> Vec<i64> {
        let mut out = Vec::new();
        for o in 0..r.outer {
            for i in 0..r.inner {
                let at = |k: usize| x[(o * r.len + k) * r.inner + i];
                let (mut best, mut arg) = (arg_key(op, at(0)), 0);
                for k in 1..r.len {
                    if arg_key(op, at(k)) > best {
                        (best, arg) = (arg_key(op, at(k)), k);
                    }
                }
                out.push(if at(arg).is_nan() { -1 } else { arg as i64 });
            }
        }
        out
    }

    #[test]
    fn branchless_keys_equal_the_bits_keys() {
        let mut rng = Rng(3);
        let specials32 = [
            0,
            0x8000_0000,
            0x7f80_0000,
            0xff80_0000,
            0x7f80_0001,
            0xffc0_0000,
            1,
            0x8000_0001,
            0x7fff_ffff,
            0xffff_ffff,
        ];
        for b in specials32
            .into_iter()
            .chain((0..200_000).map(|_| rng.next() as u32))
        {
            assert_eq!(f32_key_branchless(b), bits::f32_key(b), "{b:#x}");
            let x = [f32::from_bits(b)];
            assert_eq!(
                <ArgMax as Arg<f32>>::max_key(&x),
                bits::f32_key(b),
                "{b:#x}"
            );
        }
        let specials64 = [
            0,
            1 << 63,
            0x7ff0 << 48,
            0xfff0 << 48,
            (0x7ff0 << 48) + 1,
            u64::MAX,
        ];
        for b in specials64
            .into_iter()
            .chain((0..200_000).map(|_| rng.next()))
        {
            assert_eq!(f64_key_branchless(b), bits::f64_key(b), "{b:#x}");
        }
    }

    #[test]
    fn f32_block_maximum_matches_the_keys_of_any_slice() {
        let mut rng = Rng(11);
        for n in [1, 8, 31, 32, 33, 64, 100, 257] {
            for _ in 0..200 {
                let v: Vec<f32> = (0..n)
                    .map(|_| match rng.next() % 8 {
                        0 => f32::from_bits(rng.next() as u32),
                        1 => -0.0,
                        2 => 0.0,
                        3 => f32::NEG_INFINITY,
                        _ => (rng.next() % 100) as f32 - 50.0,
                    })
                    .collect();
                let neg: Vec<f32> = v.iter().map(|a| -a.abs()).collect();
                let finite_neg: Vec<f32> = neg
                    .iter()
                    .map(|&a| if a.is_nan() { -1.0 } else { a })
                    .collect();
                for v in [v, neg, finite_neg] {
                    let want = v.iter().map(|a| bits::f32_key(a.to_bits())).max().unwrap();
                    assert_eq!(<ArgMax as Arg<f32>>::max_key(&v), want, "{v:?}");
                }
            }
        }
    }
}
