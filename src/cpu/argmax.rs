//! argmax through order-preserving integer keys: NaN is the largest key, -0.0 and +0.0 share a
//! key, and the first index of the largest key wins.

use half::{bf16, f16};
use num_complex::Complex;
use rayon::prelude::*;

use super::{simd, with_storage, CpuStorage};
use crate::backend::Reduce3;
use crate::bits;

/// Elements per parallel task of a long contiguous row.
const TASK: usize = 1 << 16;
/// Columns per task of a strided argmax.
const TILE: usize = 1024;

pub(crate) trait ArgKey: Copy + Send + Sync {
    type Key: Ord + Copy + Send + Sync;
    fn key(self) -> Self::Key;
    /// The largest key of a non-empty slice; f32 has a hand-written kernel.
    fn max_key(x: &[Self]) -> Self::Key {
        simd::avx2_or(|| max_key(x))
    }
    /// [`argmax_columns`]; f32 has a hand-written kernel.
    fn argmax_columns(slab: &[Self], inner: usize, start: usize, dst: &mut [i64]) {
        argmax_columns(slab, inner, start, dst);
    }
}

/// Lanes of the vectorised key maximum.
const LANES: usize = 16;
/// Elements per block of a row scan: the maximum key of each block is found with no index
/// bookkeeping, then only the first block holding the overall maximum is scanned again.
const SCAN_BLOCK: usize = 256;
/// Rows folded into the running column maxima per pass (fewer loads and stores of them).
const ROW_GROUP: usize = 4;

macro_rules! int_key {
    ($($t:ty),*) => {$(
        impl ArgKey for $t {
            type Key = $t;
            #[inline(always)]
            fn key(self) -> $t {
                self
            }
        }
    )*};
}
int_key!(bool, i8, u8, i16, u16, i32, u32, i64, u64);

impl ArgKey for f16 {
    type Key = u16;
    #[inline(always)]
    fn key(self) -> u16 {
        bits::f16_key(self.to_bits())
    }
}

impl ArgKey for bf16 {
    type Key = u16;
    #[inline(always)]
    fn key(self) -> u16 {
        bits::bf16_key(self.to_bits())
    }
}

/// `bits::f32_key` without branches, so that loops over it vectorise: -0.0 becomes +0.0,
/// negatives flip every bit, positives set the sign bit, NaNs saturate.
#[inline(always)]
fn f32_key_branchless(b: u32) -> u32 {
    let c = if b == 0x8000_0000 { 0 } else { b };
    let k = c ^ ((((c as i32) >> 31) as u32) | 0x8000_0000);
    let nan = (b & 0x7fff_ffff) > 0x7f80_0000;
    if nan {
        u32::MAX
    } else {
        k
    }
}

/// As [`f32_key_branchless`] for f64 bits.
#[inline(always)]
fn f64_key_branchless(b: u64) -> u64 {
    let c = if b == 0x8000_0000_0000_0000 { 0 } else { b };
    let k = c ^ ((((c as i64) >> 63) as u64) | 0x8000_0000_0000_0000);
    let nan = (b & 0x7fff_ffff_ffff_ffff) > 0x7ff0_0000_0000_0000;
    if nan {
        u64::MAX
    } else {
        k
    }
}

impl ArgKey for f32 {
    type Key = u32;
    #[inline(always)]
    fn key(self) -> u32 {
        f32_key_branchless(self.to_bits())
    }
    fn max_key(x: &[f32]) -> u32 {
        simd::max_key_f32(x).unwrap_or_else(|| max_key(x))
    }
    fn argmax_columns(slab: &[f32], inner: usize, start: usize, dst: &mut [i64]) {
        let done = simd::argmax_columns_f32(slab, inner, start, dst);
        argmax_columns(slab, inner, start + done, &mut dst[done..]);
    }
}

impl ArgKey for f64 {
    type Key = u64;
    #[inline(always)]
    fn key(self) -> u64 {
        f64_key_branchless(self.to_bits())
    }
}

impl ArgKey for Complex<f32> {
    type Key = u64;
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

/// Index of the first maximum along the middle axis of `x` viewed as `[outer, len, inner]`.
pub(crate) fn argmax(x: &CpuStorage, r: Reduce3) -> Vec<i64> {
    with_storage!(x, v => argmax_typed(v, r))
}

pub(crate) fn argmax_typed<T: ArgKey>(x: &[T], r: Reduce3) -> Vec<i64> {
    debug_assert_eq!(x.len(), r.input_len());
    if r.inner == 1 {
        if r.len >= 2 * TASK {
            x.chunks_exact(r.len).map(argmax_long_row).collect()
        } else {
            let rows_per_task = (TASK / r.len.max(1)).max(1);
            x.par_chunks_exact(r.len)
                .with_min_len(rows_per_task)
                .map(|row| argmax_row(row).1 as i64)
                .collect()
        }
    } else {
        let mut out = vec![0i64; r.output_len()];
        out.par_chunks_mut(r.inner)
            .enumerate()
            .flat_map_iter(|(o, out_row)| {
                out_row
                    .chunks_mut(TILE)
                    .enumerate()
                    .map(move |(t, dst)| (o, t, dst))
            })
            .for_each(|(o, t, dst)| {
                let slab = &x[o * r.len * r.inner..(o + 1) * r.len * r.inner];
                T::argmax_columns(slab, r.inner, t * TILE, dst);
            });
        out
    }
}

/// The largest key of a non-empty slice (independent lanes, no index: this vectorises).
#[inline(always)]
fn max_key<T: ArgKey>(x: &[T]) -> T::Key {
    let mut lanes = [x[0].key(); LANES];
    let mut it = x.chunks_exact(LANES);
    for c in &mut it {
        for (l, v) in lanes.iter_mut().zip(c) {
            *l = (*l).max(v.key());
        }
    }
    let tail = it.remainder().iter().map(|v| v.key());
    lanes
        .into_iter()
        .chain(tail)
        .max()
        .expect("lanes are not empty")
}

/// (largest key, index of its first occurrence) of a non-empty row.
fn argmax_row<T: ArgKey>(x: &[T]) -> (T::Key, usize) {
    let mut best = x[0].key();
    let mut best_block = 0;
    for (b, block) in x.chunks(SCAN_BLOCK).enumerate() {
        let m = T::max_key(block);
        if m > best {
            best = m;
            best_block = b;
        }
    }
    let start = best_block * SCAN_BLOCK;
    let end = (start + SCAN_BLOCK).min(x.len());
    let at = x[start..end]
        .iter()
        .position(|v| v.key() == best)
        .expect("the block holds its maximum");
    (best, start + at)
}

fn argmax_long_row<T: ArgKey>(x: &[T]) -> i64 {
    let parts: Vec<(T::Key, usize)> = x
        .par_chunks(TASK)
        .enumerate()
        .map(|(c, chunk)| {
            let (k, i) = argmax_row(chunk);
            (k, c * TASK + i)
        })
        .collect();
    let mut best = parts[0];
    for &p in &parts[1..] {
        if p.0 > best.0 {
            best = p;
        }
    }
    best.1 as i64
}

fn argmax_columns<T: ArgKey>(slab: &[T], inner: usize, start: usize, dst: &mut [i64]) {
    if dst.is_empty() {
        return;
    }
    let len = slab.len() / inner;
    if len <= u32::MAX as usize {
        simd::avx2_or(|| argmax_columns_as::<T, u32>(slab, inner, start, dst));
    } else {
        simd::avx2_or(|| argmax_columns_as::<T, u64>(slab, inner, start, dst));
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
fn argmax_columns_as<T: ArgKey, I: RowIndex>(
    slab: &[T],
    inner: usize,
    start: usize,
    dst: &mut [i64],
) {
    let w = dst.len();
    let len = slab.len() / inner;
    let row = |r: usize| &slab[r * inner + start..][..w];
    let mut best: Vec<T::Key> = row(0).iter().map(|v| v.key()).collect();
    let mut at = vec![I::default(); w];
    let mut r = 1;
    while r + ROW_GROUP <= len {
        let (x0, x1, x2, x3) = (row(r), row(r + 1), row(r + 2), row(r + 3));
        let rows = [r, r + 1, r + 2, r + 3].map(I::from_row);
        for c in 0..w {
            let (mut b, mut a) = (best[c], at[c]);
            for (k, i) in [x0[c].key(), x1[c].key(), x2[c].key(), x3[c].key()]
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
            let k = v.key();
            let gt = k > *b;
            *b = if gt { k } else { *b };
            *a = if gt { i } else { *a };
        }
    }
    for (d, a) in dst.iter_mut().zip(at) {
        *d = a.to_i64();
    }
}
