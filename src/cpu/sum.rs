//! Sums: wrapping for integers, blocked pairwise for floats along any axis, deterministic for
//! any thread count (work is split at fixed power-of-two boundaries, never by thread).

use half::{bf16, f16};
use num_complex::Complex;
use rayon::prelude::*;

use super::{with_storage, CpuStorage};
use crate::backend::Reduce3;
use crate::platform;

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
        Some(platform::sum_i32(x).unwrap_or_else(|| sum_split_i32(x)))
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
        Some(platform::avx2_or(|| sum_split_u32(x)))
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
        if !platform::block_sums_f32(x, out) {
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
        if !platform::block_sums_f64(x, out) {
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
    } else if r.outer == 1 && r.len > 2 * GROUPS_PER_TASK * ROW_BLOCK {
        let mut out = vec![T::Acc::default(); r.output_len()];
        sum_tall(x, r.len, r.inner, &mut out);
        out
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
                platform::avx2_or(|| sum_columns(slab, r.inner, t * TILE, dst));
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

/// Pending complete subtrees of column sums, largest (leftmost) first, with their levels.
type VecStack<A> = Vec<(u32, Vec<A>)>;

/// Pushes the column sums of a complete, aligned subtree of `2^level` row groups (the vector
/// form of [`Pairwise::push_at`]).
#[inline(always)]
fn push_vec<T: SumElem>(
    tree: &mut VecStack<T::Acc>,
    spare: &mut Vec<Vec<T::Acc>>,
    mut level: u32,
    mut acc: Vec<T::Acc>,
) {
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

/// Folds a stack of subtrees right to left into `dst` (the vector form of [`Pairwise::finish`]).
fn finish_vec<T: SumElem>(tree: VecStack<T::Acc>, dst: &mut [T::Acc]) {
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

/// Sums the columns `start..start + dst.len()` of a `[len, inner]` slab into `dst`: rows are
/// added sequentially in groups of `ROW_BLOCK`, and the group sums combine pairwise.
#[inline(always)]
fn sum_columns<T: SumElem>(slab: &[T], inner: usize, start: usize, dst: &mut [T::Acc]) {
    let len = slab.len() / inner;
    finish_vec::<T>(column_stack(slab, inner, start, dst.len(), 0..len), dst);
}

/// The pairwise stack of the row groups of `rows` (which starts on a group boundary) for the
/// `w` columns from `start`.
#[inline(always)]
fn column_stack<T: SumElem>(
    slab: &[T],
    inner: usize,
    start: usize,
    w: usize,
    rows: std::ops::Range<usize>,
) -> VecStack<T::Acc> {
    let len = rows.end;
    let mut tree: VecStack<T::Acc> = Vec::new();
    let mut spare: Vec<Vec<T::Acc>> = Vec::new();
    let mut r = rows.start;
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
        push_vec::<T>(&mut tree, &mut spare, 0, acc);
    }
    tree
}

/// Row groups per task when a tall strided sum is split by rows: a power of two, so every
/// task but the last is one complete subtree and the tasks' stacks, pushed in order, rebuild
/// exactly the serial tree.
const GROUPS_PER_TASK: usize = 64;
/// Columns per task of a tall strided sum: long contiguous runs per row for the prefetchers.
const WIDE_TILE: usize = 4096;

/// `[1, len, inner]` with many rows: tasks are (column tile, run of row groups).
fn sum_tall<T: SumElem>(x: &[T], len: usize, inner: usize, out: &mut [T::Acc]) {
    let rows_per_task = GROUPS_PER_TASK * ROW_BLOCK;
    let row_tasks = len.div_ceil(rows_per_task);
    let tiles = inner.div_ceil(WIDE_TILE);
    let stacks: Vec<VecStack<T::Acc>> = (0..tiles * row_tasks)
        .into_par_iter()
        .map(|t| {
            let (tile, rt) = (t / row_tasks, t % row_tasks);
            let start = tile * WIDE_TILE;
            let w = WIDE_TILE.min(inner - start);
            let rows = rt * rows_per_task..((rt + 1) * rows_per_task).min(len);
            platform::avx2_or(|| column_stack(x, inner, start, w, rows))
        })
        .collect();
    out.par_chunks_mut(WIDE_TILE)
        .zip(stacks.par_chunks(row_tasks))
        .for_each(|(dst, parts)| {
            let mut tree = Vec::new();
            let mut spare = Vec::new();
            for part in parts {
                for (level, v) in part {
                    push_vec::<T>(&mut tree, &mut spare, *level, v.clone());
                }
            }
            finish_vec::<T>(tree, dst);
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    /// The plain serial algorithm the fast paths must reproduce bit for bit.
    fn ref_row<T: SumElem>(x: &[T]) -> T::Acc {
        let mut tree = Pairwise::new();
        for b in x.chunks(BLOCK) {
            tree.push(sum_block(b), T::add);
        }
        tree.finish(T::Acc::default(), T::add)
    }

    fn ref_sum<T: SumElem>(x: &[T], r: Reduce3) -> Vec<T::Acc> {
        let mut out = Vec::new();
        for o in 0..r.outer {
            for i in 0..r.inner {
                let col: Vec<T> = (0..r.len)
                    .map(|k| x[(o * r.len + k) * r.inner + i])
                    .collect();
                let mut tree = Pairwise::new();
                if r.inner > 1 {
                    for g in col.chunks(ROW_BLOCK) {
                        let s = g
                            .iter()
                            .fold(T::Acc::default(), |a, &v| T::add(a, v.widen()));
                        tree.push(s, T::add);
                    }
                } else if r.len >= 2 * TASK {
                    for c in col.chunks(TASK) {
                        tree.push(ref_row(c), T::add);
                    }
                } else {
                    tree.push(ref_row(&col), T::add);
                }
                out.push(tree.finish(T::Acc::default(), T::add));
            }
        }
        out
    }

    fn reference(x: &CpuStorage, r: Reduce3) -> CpuStorage {
        fn typed<T: SumElem>(x: &[T], r: Reduce3) -> CpuStorage {
            T::storage(ref_sum(x, r))
        }
        with_storage!(x, v => typed(v, r))
    }

    use crate::cpu::TestRng as Rng;

    /// Finite values of every dtype (floats from [-1000, 1000)), plus `-0.0` and a spike at the
    /// 256- and 65536-element boundaries.
    fn sample(dtype: DType, n: usize, seed: u64) -> CpuStorage {
        let mut rng = Rng(seed | 1);
        if dtype.is_float() || dtype == DType::Complex64 {
            let mut v: Vec<f64> = (0..n)
                .map(|_| (rng.next() >> 11) as f64 / (1u64 << 53) as f64 * 2000.0 - 1000.0)
                .collect();
            for (i, x) in v.iter_mut().enumerate() {
                if i % 97 == 5 {
                    *x = -0.0;
                }
                if i % BLOCK == BLOCK - 1 || i % TASK == 0 {
                    *x = 3.0e4;
                }
            }
            return crate::cpu::cast::cast(&CpuStorage::F64(v), dtype);
        }
        CpuStorage::from_fn(dtype, n, |b| {
            b.iter_mut().for_each(|x| *x = rng.next() as u8)
        })
    }

    fn in_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(f)
    }

    const SHAPES: [(usize, usize, usize); 12] = [
        (1, 1037, 5),
        (1, 2 * 512 + 8, 9),
        (1, 1, 1),
        (1, 31, 1),
        (3, 257, 1),
        (1, 64 * 256 * 2 + 255, 1),
        (1, 2 * TASK + 4099, 1),
        (2, 17, 5),
        (1, 9, 1031),
        (2, 21, 2050),
        (1, 1000, 3),
        (5, 8, 16),
    ];

    #[test]
    fn fast_paths_match_the_serial_reference_for_every_dtype_and_thread_count() {
        for (k, &dtype) in DType::ALL.iter().enumerate() {
            for (s, &(outer, len, inner)) in SHAPES.iter().enumerate() {
                let r = Reduce3 { outer, len, inner };
                let x = sample(dtype, r.input_len(), (k * 31 + s) as u64 + 7);
                let want = reference(&x, r);
                for threads in [1, 2] {
                    let got = in_pool(threads, || sum(&x, r));
                    assert_eq!(got.dtype(), want.dtype());
                    assert!(
                        got.as_bytes() == want.as_bytes(),
                        "{dtype} {r:?} with {threads} threads"
                    );
                }
            }
        }
    }

    #[test]
    fn tall_sums_split_by_rows_and_wide_tiles_match_the_reference() {
        for (len, inner) in [(3 * 512 + 17, WIDE_TILE + 3), (4 * 512, 2 * WIDE_TILE + 1)] {
            let r = Reduce3 {
                outer: 1,
                len,
                inner,
            };
            let x = sample(DType::Float32, r.input_len(), 77);
            let want = reference(&x, r);
            for threads in [1, 2] {
                assert!(in_pool(threads, || sum(&x, r)).as_bytes() == want.as_bytes());
            }
        }
    }

    #[test]
    fn nan_inf_and_negative_zero_at_block_boundaries() {
        for n in [256, 257, 64 * 256, 2 * TASK + 3] {
            for at in [0, 255, 256, n - 1] {
                if at >= n {
                    continue;
                }
                for special in [f32::NAN, f32::INFINITY, -f32::INFINITY] {
                    let mut v = vec![1.5f32; n];
                    v[at] = special;
                    let x = CpuStorage::F32(v.clone());
                    let r = Reduce3 {
                        outer: 1,
                        len: n,
                        inner: 1,
                    };
                    let got = in_pool(2, || sum(&x, r));
                    assert_eq!(got.as_bytes(), reference(&x, r).as_bytes());
                    let CpuStorage::F32(g) = got else { panic!() };
                    assert_eq!(
                        g[0].to_bits(),
                        special.to_bits() | (special.is_nan() as u32) << 22
                    );
                    let x = CpuStorage::F64(v.iter().map(|&f| f64::from(f)).collect());
                    assert_eq!(sum(&x, r).as_bytes(), reference(&x, r).as_bytes());
                }
            }
            let x = CpuStorage::F32(vec![-0.0; n]);
            let r = Reduce3 {
                outer: 1,
                len: n,
                inner: 1,
            };
            assert_eq!(sum(&x, r).as_bytes(), 0f32.to_le_bytes());
        }
    }

    #[test]
    fn float_error_stays_within_the_pairwise_bound_along_every_axis() {
        let (rows, cols) = (1500, 700);
        let mut rng = Rng(99);
        let v: Vec<f32> = (0..rows * cols)
            .map(|_| ((rng.next() >> 40) as f32 / (1 << 24) as f32) * 10.0 - 3.0)
            .collect();
        let x = CpuStorage::F32(v.clone());
        let check = |r: Reduce3, exact: &dyn Fn(usize) -> (f64, f64)| {
            let CpuStorage::F32(got) = sum(&x, r) else {
                panic!()
            };
            for (i, &g) in got.iter().enumerate() {
                let (s, abs) = exact(i);
                let bound = f64::from(f32::EPSILON) * (r.len as f64).log2() * abs;
                assert!((f64::from(g) - s).abs() <= bound, "{r:?} #{i}");
            }
        };
        let all = Reduce3 {
            outer: 1,
            len: rows * cols,
            inner: 1,
        };
        check(all, &|_| {
            (
                v.iter().map(|&a| f64::from(a)).sum(),
                v.iter().map(|&a| f64::from(a).abs()).sum(),
            )
        });
        let ax0 = Reduce3 {
            outer: 1,
            len: rows,
            inner: cols,
        };
        check(ax0, &|c| {
            let it = (0..rows).map(|r| f64::from(v[r * cols + c]));
            (it.clone().sum(), it.map(f64::abs).sum())
        });
        let ax1 = Reduce3 {
            outer: rows,
            len: cols,
            inner: 1,
        };
        check(ax1, &|r| {
            let it = v[r * cols..(r + 1) * cols].iter().map(|&a| f64::from(a));
            (it.clone().sum(), it.map(f64::abs).sum())
        });
    }

    #[test]
    fn split_integer_sums_wrap_like_i64() {
        let mut rng = Rng(5);
        for n in [
            0,
            1,
            15,
            16,
            17,
            33,
            SPLIT_CHUNK - 1,
            SPLIT_CHUNK + 5,
            3 * SPLIT_CHUNK + 77,
        ] {
            let mut v: Vec<i32> = (0..n).map(|_| rng.next() as i32).collect();
            for (i, x) in v.iter_mut().enumerate() {
                if i % 5 == 0 {
                    *x = if i % 10 == 0 { i32::MIN } else { i32::MAX };
                }
            }
            let want = v.iter().fold(0i64, |a, &b| a.wrapping_add(i64::from(b)));
            assert_eq!(sum_split_i32(&v), want, "n = {n}");
            assert_eq!(<i32 as SumElem>::row_sum(&v), Some(want));
            let u: Vec<u32> = v.iter().map(|&a| a as u32).collect();
            let want = u.iter().fold(0u64, |a, &b| a.wrapping_add(u64::from(b)));
            assert_eq!(sum_split_u32(&u), want, "n = {n}");
            assert_eq!(<u32 as SumElem>::row_sum(&u), Some(want));
        }
    }
}
