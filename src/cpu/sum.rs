//! Sums: wrapping for integers, blocked pairwise for floats along any axis, deterministic for
//! any thread count (work is split at fixed power-of-two boundaries, never by thread).

use half::{bf16, f16};
use num_complex::Complex;
use rayon::prelude::*;

use super::{simd, with_storage, CpuStorage};
use crate::backend::Reduce3;

/// Elements summed sequentially by one lane before the pairwise tree takes over.
const BLOCK: usize = 256;
/// Independent accumulators per block (lets the compiler keep several vector registers busy).
const LANES: usize = 32;
/// Elements per parallel task of a long contiguous row: a power-of-two number of blocks, so the
/// task tree is a subtree of the sequential pairwise tree.
const TASK: usize = 1 << 16;
/// Rows summed sequentially into a vector accumulator before the pairwise tree (strided sums).
const ROW_BLOCK: usize = 8;
/// Columns per task of a strided sum.
const TILE: usize = 1024;

pub(crate) trait SumElem: Copy + Send + Sync {
    type Acc: Copy + Send + Sync + Default + std::fmt::Debug;
    fn widen(self) -> Self::Acc;
    fn add(a: Self::Acc, b: Self::Acc) -> Self::Acc;
    fn storage(v: Vec<Self::Acc>) -> CpuStorage;
    /// `out[i] = sum_block(x[i * BLOCK..][..BLOCK])`; element types with a vector kernel
    /// override it.
    fn block_sums(x: &[Self], out: &mut [Self::Acc]) {
        for (o, b) in out.iter_mut().zip(x.chunks_exact(BLOCK)) {
            *o = sum_block(b);
        }
    }
    /// The whole row at once, for types whose sum does not depend on the order (integers).
    #[inline(always)]
    fn row_sum(_x: &[Self]) -> Option<Self::Acc> {
        None
    }
}

macro_rules! sum_elem {
    ($t:ty, $acc:ty, $variant:ident, |$x:ident| $widen:expr, |$a:ident, $b:ident| $add:expr
     $(, $extra:item)*) => {
        impl SumElem for $t {
            type Acc = $acc;
            #[inline(always)]
            fn widen(self) -> $acc {
                let $x = self;
                $widen
            }
            #[inline(always)]
            fn add($a: $acc, $b: $acc) -> $acc {
                $add
            }
            fn storage(v: Vec<$acc>) -> CpuStorage {
                CpuStorage::$variant(v)
            }
            $($extra)*
        }
    };
}

sum_elem!(bool, i64, I64, |x| x as i64, |a, b| a.wrapping_add(b));
sum_elem!(i8, i64, I64, |x| x as i64, |a, b| a.wrapping_add(b));
sum_elem!(i16, i64, I64, |x| x as i64, |a, b| a.wrapping_add(b));
sum_elem!(
    i32,
    i64,
    I64,
    |x| x as i64,
    |a, b| a.wrapping_add(b),
    #[inline(always)]
    fn row_sum(x: &[i32]) -> Option<i64> {
        Some(simd::sum_i32(x).unwrap_or_else(|| sum_split_i32(x)))
    }
);
sum_elem!(i64, i64, I64, |x| x, |a, b| a.wrapping_add(b));
sum_elem!(u8, u64, U64, |x| x as u64, |a, b| a.wrapping_add(b));
sum_elem!(u16, u64, U64, |x| x as u64, |a, b| a.wrapping_add(b));
sum_elem!(
    u32,
    u64,
    U64,
    |x| x as u64,
    |a, b| a.wrapping_add(b),
    #[inline(always)]
    fn row_sum(x: &[u32]) -> Option<u64> {
        Some(simd::avx2_or(|| sum_split_u32(x)))
    }
);
sum_elem!(u64, u64, U64, |x| x, |a, b| a.wrapping_add(b));
sum_elem!(f16, f32, F32, |x| x.to_f32(), |a, b| a + b);
sum_elem!(bf16, f32, F32, |x| x.to_f32(), |a, b| a + b);
sum_elem!(
    f32,
    f32,
    F32,
    |x| x,
    |a, b| a + b,
    fn block_sums(x: &[f32], out: &mut [f32]) {
        if !simd::block_sums_f32(x, out) {
            for (o, b) in out.iter_mut().zip(x.chunks_exact(BLOCK)) {
                *o = sum_block(b);
            }
        }
    }
);
sum_elem!(
    f64,
    f64,
    F64,
    |x| x,
    |a, b| a + b,
    fn block_sums(x: &[f64], out: &mut [f64]) {
        if !simd::block_sums_f64(x, out) {
            for (o, b) in out.iter_mut().zip(x.chunks_exact(BLOCK)) {
                *o = sum_block(b);
            }
        }
    }
);

/// Lanes of the split integer sums; each lane adds at most `SPLIT_CHUNK / SPLIT_LANES` = 4096
/// 16-bit halves, which cannot overflow 32 bits.
const SPLIT_LANES: usize = 16;
const SPLIT_CHUNK: usize = 1 << 16;

/// Σx for i32 without widening every element: x = hi·2^16 + lo with lo in 0..2^16 and hi
/// signed, each summed in 32-bit lanes (no overflow within a chunk), then combined in i64 with
/// wrapping, which is the wrapping i64 sum whatever the order.
#[inline(always)]
fn sum_split_i32(x: &[i32]) -> i64 {
    let mut total = 0i64;
    for chunk in x.chunks(SPLIT_CHUNK) {
        let (mut lo, mut hi) = ([0u32; SPLIT_LANES], [0i32; SPLIT_LANES]);
        let mut it = chunk.chunks_exact(SPLIT_LANES);
        for c in &mut it {
            for j in 0..SPLIT_LANES {
                lo[j] += (c[j] as u32) & 0xffff;
                hi[j] += c[j] >> 16;
            }
        }
        let lo: u64 = lo.iter().map(|&v| u64::from(v)).sum();
        let hi: i64 = hi.iter().map(|&v| i64::from(v)).sum();
        let rest: i64 = it.remainder().iter().map(|&v| i64::from(v)).sum();
        total = total
            .wrapping_add(hi.wrapping_mul(1 << 16))
            .wrapping_add(lo as i64)
            .wrapping_add(rest);
    }
    total
}

/// As [`sum_split_i32`] for u32 (both halves unsigned).
#[inline(always)]
fn sum_split_u32(x: &[u32]) -> u64 {
    let mut total = 0u64;
    for chunk in x.chunks(SPLIT_CHUNK) {
        let (mut lo, mut hi) = ([0u32; SPLIT_LANES], [0u32; SPLIT_LANES]);
        let mut it = chunk.chunks_exact(SPLIT_LANES);
        for c in &mut it {
            for j in 0..SPLIT_LANES {
                lo[j] += c[j] & 0xffff;
                hi[j] += c[j] >> 16;
            }
        }
        let lo: u64 = lo.iter().map(|&v| u64::from(v)).sum();
        let hi: u64 = hi.iter().map(|&v| u64::from(v)).sum();
        let rest: u64 = it.remainder().iter().map(|&v| u64::from(v)).sum();
        total = total
            .wrapping_add(hi.wrapping_mul(1 << 16))
            .wrapping_add(lo)
            .wrapping_add(rest);
    }
    total
}
sum_elem!(Complex<f32>, Complex<f32>, C64, |x| x, |a, b| a + b);

/// Sums `x` viewed as `[outer, len, inner]` over the middle axis.
pub(crate) fn sum(x: &CpuStorage, r: Reduce3) -> CpuStorage {
    with_storage!(x, v => sum_into_storage(v, r))
}

fn sum_into_storage<T: SumElem>(x: &[T], r: Reduce3) -> CpuStorage {
    T::storage(sum_typed(x, r))
}

pub(crate) fn sum_typed<T: SumElem>(x: &[T], r: Reduce3) -> Vec<T::Acc> {
    debug_assert_eq!(x.len(), r.input_len());
    if r.inner == 1 {
        if r.len >= 2 * TASK {
            x.chunks_exact(r.len).map(sum_long_row).collect()
        } else {
            let rows_per_task = (TASK / r.len.max(1)).max(1);
            x.par_chunks_exact(r.len)
                .with_min_len(rows_per_task)
                .map(sum_row)
                .collect()
        }
    } else {
        let mut out = vec![T::Acc::default(); r.output_len()];
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
                simd::avx2_or(|| sum_columns(slab, r.inner, t * TILE, dst));
            });
        out
    }
}

/// Combines partial sums as a binary counter does: equal-level neighbours merge, so the result
/// is the pairwise tree over the pushed values whatever the count.
struct Pairwise<A> {
    stack: Vec<(u32, A)>,
}

impl<A: Copy> Pairwise<A> {
    fn new() -> Self {
        Pairwise { stack: Vec::new() }
    }

    fn push(&mut self, v: A, add: impl Fn(A, A) -> A) {
        self.push_at(v, 0, add);
    }

    /// Pushes the root of a complete subtree of `2^level` values; every value pushed before
    /// must have come in such subtrees of at least that size, aligned to it.
    fn push_at(&mut self, mut v: A, mut level: u32, add: impl Fn(A, A) -> A) {
        while let Some(&(l, top)) = self.stack.last() {
            if l != level {
                break;
            }
            self.stack.pop();
            v = add(top, v);
            level += 1;
        }
        self.stack.push((level, v));
    }

    fn finish(self, zero: A, add: impl Fn(A, A) -> A) -> A {
        self.stack
            .into_iter()
            .rev()
            .map(|(_, v)| v)
            .reduce(|acc, lower| add(lower, acc))
            .unwrap_or(zero)
    }
}

fn sum_block<T: SumElem>(x: &[T]) -> T::Acc {
    let mut lanes = [T::Acc::default(); LANES];
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l = T::add(*l, v.widen());
        }
    }
    for (l, &v) in lanes.iter_mut().zip(chunks.remainder()) {
        *l = T::add(*l, v.widen());
    }
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            lanes[i] = T::add(lanes[i], lanes[i + width]);
        }
    }
    lanes[0]
}

/// Blocks whose sums are computed in one batch before entering the pairwise tree.
const BATCH: usize = 64;

fn sum_row<T: SumElem>(x: &[T]) -> T::Acc {
    if let Some(s) = T::row_sum(x) {
        return s;
    }
    let mut tree = Pairwise::new();
    let whole = x.len() / BLOCK * BLOCK;
    let mut sums = [T::Acc::default(); BATCH];
    for batch in x[..whole].chunks(BATCH * BLOCK) {
        let sums = &mut sums[..batch.len() / BLOCK];
        T::block_sums(batch, sums);
        if sums.len() == BATCH {
            // A whole batch is a complete subtree: fold it level by level and push the root
            // at its level, as the counter would after BATCH single pushes.
            let mut width = BATCH;
            while width > 1 {
                width /= 2;
                for i in 0..width {
                    sums[i] = T::add(sums[2 * i], sums[2 * i + 1]);
                }
            }
            tree.push_at(sums[0], BATCH.trailing_zeros(), T::add);
        } else {
            for &s in sums.iter() {
                tree.push(s, T::add);
            }
        }
    }
    if whole < x.len() {
        tree.push(sum_block(&x[whole..]), T::add);
    }
    tree.finish(T::Acc::default(), T::add)
}

fn sum_long_row<T: SumElem>(x: &[T]) -> T::Acc {
    if T::row_sum(&[]).is_some() {
        // Order-free sums: any split gives the same value.
        let parts: Vec<T::Acc> = x.par_chunks(TASK).map(sum_row).collect();
        return parts.into_iter().fold(T::Acc::default(), T::add);
    }
    let parts: Vec<T::Acc> = x.par_chunks(TASK).map(sum_row).collect();
    let mut tree = Pairwise::new();
    for p in parts {
        tree.push(p, T::add);
    }
    tree.finish(T::Acc::default(), T::add)
}

/// Sums the columns `start..start + dst.len()` of a `[len, inner]` slab into `dst`: rows are
/// added sequentially in groups of `ROW_BLOCK`, and the group sums combine pairwise.
#[inline(always)]
fn sum_columns<T: SumElem>(slab: &[T], inner: usize, start: usize, dst: &mut [T::Acc]) {
    let w = dst.len();
    let len = slab.len() / inner;
    let mut tree: Vec<(u32, Vec<T::Acc>)> = Vec::new();
    let mut spare: Vec<Vec<T::Acc>> = Vec::new();
    let mut r = 0;
    while r < len {
        let mut acc = spare.pop().unwrap_or_else(|| vec![T::Acc::default(); w]);
        let row = |k: usize| &slab[(r + k) * inner + start..][..w];
        if r + ROW_BLOCK <= len {
            // The same sequential adds, all eight rows per column in registers.
            let (x0, x1, x2, x3) = (row(0), row(1), row(2), row(3));
            let (x4, x5, x6, x7) = (row(4), row(5), row(6), row(7));
            for (c, a) in acc.iter_mut().enumerate() {
                let mut s = T::add(T::Acc::default(), x0[c].widen());
                s = T::add(s, x1[c].widen());
                s = T::add(s, x2[c].widen());
                s = T::add(s, x3[c].widen());
                s = T::add(s, x4[c].widen());
                s = T::add(s, x5[c].widen());
                s = T::add(s, x6[c].widen());
                *a = T::add(s, x7[c].widen());
            }
        } else {
            acc.iter_mut().for_each(|a| *a = T::Acc::default());
            for k in 0..len - r {
                for (a, &v) in acc.iter_mut().zip(row(k)) {
                    *a = T::add(*a, v.widen());
                }
            }
        }
        r += ROW_BLOCK;
        let mut level = 0;
        while let Some((l, _)) = tree.last() {
            if *l != level {
                break;
            }
            let (_, top) = tree.pop().expect("checked above");
            for (a, &t) in acc.iter_mut().zip(&top) {
                *a = T::add(t, *a);
            }
            spare.push(top);
            level += 1;
        }
        tree.push((level, acc));
    }
    let mut levels = tree.into_iter().rev().map(|(_, v)| v);
    match levels.next() {
        None => dst.iter_mut().for_each(|d| *d = T::Acc::default()),
        Some(first) => {
            dst.copy_from_slice(&first);
            for lower in levels {
                for (d, &l) in dst.iter_mut().zip(&lower) {
                    *d = T::add(l, *d);
                }
            }
        }
    }
}
