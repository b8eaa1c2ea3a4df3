//! The CPU's launch strategies for every value-reduction, written once over a [`Fold`]
//! instruction: contiguous rows (blocks of lanes, then a pairwise tree; one pass of lanes for
//! the order-free instructions, whose bits no grouping changes), long rows split into
//! tasks, strided columns in tiles, and tall columns split by rows. Work is split at fixed
//! power-of-two boundaries, never by thread, so results do not depend on the thread count;
//! float products and the float64 sums of integer means combine pairwise. (Float sums are
//! exact and have their own strategies, `exact_fold.rs`.)

use super::par;
use crate::Element;
use crate::plan::Reduce3;
use crate::platform;

/// Elements summed sequentially by one lane before the pairwise tree takes over.
pub(crate) const BLOCK: usize = 256;
/// Independent accumulators per block (lets the compiler keep several vector registers busy).
const LANES: usize = 32;
/// Elements per parallel task of a long contiguous row: a power-of-two number of blocks, so the
/// task tree is a subtree of the sequential pairwise tree.
const TASK: usize = 1 << 16;
/// Rows summed sequentially into a vector accumulator before the pairwise tree (strided sums).
const ROW_BLOCK: usize = 8;
/// Columns per task of a strided sum.
const TILE: usize = 1024;

/// An accumulate instruction over elements of `T` (cubecl's reduce instruction): the
/// launch strategies below are written once over it.
pub(crate) trait Fold<T: Copy + Send + Sync>: Copy + Send + Sync + 'static {
    /// The accumulator; its bytes are what the GPU's passes write for the same instruction.
    type Acc: Element + bytemuck::Pod + PartialEq;
    /// The instruction that merges accumulators in later passes and across chunks.
    type Merge: Fold<Self::Acc, Acc = Self::Acc>;
    /// True when any grouping and order of `combine` gives the same bits (integer arithmetic,
    /// maxima of keys, flags): then rows may be split anywhere.
    const ORDER_FREE: bool;
    /// The accumulator of nothing.
    fn identity() -> Self::Acc;
    /// One element as an accumulator (NaN -> identity for the nan-variants, `x != 0` for the
    /// counting ones, an order key for the extrema).
    fn map(x: T) -> Self::Acc;
    /// Associative merge of an earlier and a later accumulator.
    fn combine(a: Self::Acc, b: Self::Acc) -> Self::Acc;
    /// `out[i]` = the block fold of `x[i * BLOCK..][..BLOCK]`, bit-identical to
    /// [`fold_block`]; instructions with a vector kernel override it.
    #[inline(always)]
    fn blocks(x: &[T], out: &mut [Self::Acc]) {
        for (o, b) in out.iter_mut().zip(x.chunks_exact(BLOCK)) {
            *o = fold_block::<T, Self>(b);
        }
    }
    /// A whole row at once, for instructions with a faster order-free kernel.
    #[inline(always)]
    fn row(_x: &[T]) -> Option<Self::Acc> {
        None
    }
}

/// Folds `x` viewed as `[outer, len, inner]` over the middle axis.
pub(crate) fn fold_typed<T: Copy + Sync + Send, F: Fold<T>>(x: &[T], r: Reduce3) -> Vec<F::Acc> {
    debug_assert_eq!(x.len(), r.input_len());
    let mut out = vec![F::identity(); r.output_len()];
    if r.inner == 1 {
        if r.len >= 2 * TASK {
            for (o, row) in out.iter_mut().zip(x.chunks_exact(r.len)) {
                *o = fold_long_row::<T, F>(row);
            }
        } else {
            let rows_per_task = (TASK / r.len.max(1)).max(1);
            par::each_chunk(&mut out, rows_per_task, &|i, dst| {
                let rows = &x[i * rows_per_task * r.len..];
                for (o, row) in dst.iter_mut().zip(rows.chunks_exact(r.len)) {
                    *o = fold_row::<T, F>(row);
                }
            });
        }
    } else if r.outer == 1 && r.len > 2 * GROUPS_PER_TASK * ROW_BLOCK {
        fold_tall::<T, F>(x, r.len, r.inner, &mut out);
    } else {
        par::each_tile(&mut out, r.inner, TILE, &|o, t, dst| {
            let slab = &x[o * r.len * r.inner..(o + 1) * r.len * r.inner];
            platform::avx2_or(
                #[inline(always)]
                || fold_columns::<T, F>(slab, r.inner, t * TILE, dst),
            );
        });
    }
    out
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

#[inline(always)]
pub(crate) fn fold_block<T: Copy + Sync + Send, F: Fold<T>>(x: &[T]) -> F::Acc {
    let mut lanes = [F::identity(); LANES];
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        platform::prefetch_ahead(c);
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l = F::combine(*l, F::map(v));
        }
    }
    for (l, &v) in lanes.iter_mut().zip(chunks.remainder()) {
        *l = F::combine(*l, F::map(v));
    }
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            lanes[i] = F::combine(lanes[i], lanes[i + width]);
        }
    }
    lanes[0]
}

/// What single pushes of `v` into an empty [`Pairwise`] and its `finish` give: each
/// power-of-two run of `v`, largest first, is a complete subtree (folded level by level, in
/// place), and the subtrees combine right to left.
#[inline(always)]
fn counter_tree<A: Copy>(v: &mut [A], zero: A, add: impl Fn(A, A) -> A + Copy) -> A {
    let (mut acc, mut end, mut runs) = (None, v.len(), v.len());
    while runs != 0 {
        // The smallest run left, at the right end of what is left.
        let run = 1 << runs.trailing_zeros();
        runs &= runs - 1;
        let root = fold_pow2(&mut v[end - run..end], add);
        acc = Some(acc.map_or(root, |a| add(root, a)));
        end -= run;
    }
    acc.unwrap_or(zero)
}

/// The pairwise tree over `v` (a power of two long), level by level in place: the
/// combinations that many single pushes into a [`Pairwise`] make.
#[inline(always)]
fn fold_pow2<A: Copy>(v: &mut [A], add: impl Fn(A, A) -> A) -> A {
    let mut width = v.len();
    while width > 1 {
        width /= 2;
        for i in 0..width {
            v[i] = add(v[2 * i], v[2 * i + 1]);
        }
    }
    v[0]
}

/// Blocks whose sums are computed in one batch before entering the pairwise tree.
const BATCH: usize = 64;

/// [`fold_row_inline`] compiled for AVX2 where the processor has it (the instructions'
/// lanes are plain loops that vectorise).
fn fold_row<T: Copy + Sync + Send, F: Fold<T>>(x: &[T]) -> F::Acc {
    platform::avx2_or(
        #[inline(always)]
        || fold_row_inline::<T, F>(x),
    )
}

#[inline(always)]
fn fold_row_inline<T: Copy + Sync + Send, F: Fold<T>>(x: &[T]) -> F::Acc {
    if let Some(s) = F::row(x) {
        return s;
    }
    if F::ORDER_FREE {
        // Any grouping gives the same bits: one pass of lanes over the whole row, without
        // the blocks' horizontal folds and the tree (max, min, any, all, count_nonzero).
        return fold_block::<T, F>(x);
    }
    let whole = x.len() / BLOCK * BLOCK;
    if whole <= BATCH * BLOCK {
        // One batch at most (rows up to 16 Ki elements): the tree single pushes of the block
        // sums and the tail's would build, without the heap stack (an allocation and a free
        // per row, and a store-to-load chain per push: 10 % of float32 products of rows of
        // 2048, in cache).
        let mut sums = [F::identity(); BATCH + 1];
        let mut n = whole / BLOCK;
        F::blocks(&x[..whole], &mut sums[..n]);
        if whole < x.len() {
            sums[n] = fold_block::<T, F>(&x[whole..]);
            n += 1;
        }
        return counter_tree(&mut sums[..n], F::identity(), F::combine);
    }
    let mut tree = Pairwise::new();
    let mut sums = [F::identity(); BATCH];
    for batch in x[..whole].chunks(BATCH * BLOCK) {
        let sums = &mut sums[..batch.len() / BLOCK];
        F::blocks(batch, sums);
        if sums.len() == BATCH {
            // A whole batch is a complete subtree: fold it level by level and push the root
            // at its level, as the counter would after BATCH single pushes.
            let root = fold_pow2(sums, F::combine);
            tree.push_at(root, BATCH.trailing_zeros(), F::combine);
        } else {
            for &s in sums.iter() {
                tree.push(s, F::combine);
            }
        }
    }
    if whole < x.len() {
        tree.push(fold_block::<T, F>(&x[whole..]), F::combine);
    }
    tree.finish(F::identity(), F::combine)
}

fn fold_long_row<T: Copy + Sync + Send, F: Fold<T>>(x: &[T]) -> F::Acc {
    let mut parts = vec![F::identity(); x.len().div_ceil(TASK)];
    par::each_chunk(&mut parts, 1, &|i, p| {
        p[0] = fold_row::<T, F>(&x[i * TASK..][..TASK.min(x.len() - i * TASK)])
    });
    if F::ORDER_FREE {
        // Order-free folds: any split gives the same value.
        return parts.into_iter().fold(F::identity(), F::combine);
    }
    let mut tree = Pairwise::new();
    for p in parts {
        tree.push(p, F::combine);
    }
    tree.finish(F::identity(), F::combine)
}

/// Pending complete subtrees of column sums, largest (leftmost) first, with their levels.
type VecStack<A> = Vec<(u32, Vec<A>)>;

/// Pushes the column sums of a complete, aligned subtree of `2^level` row groups (the vector
/// form of [`Pairwise::push_at`]).
#[inline(always)]
fn push_vec<T: Copy + Sync + Send, F: Fold<T>>(
    tree: &mut VecStack<F::Acc>,
    spare: &mut Vec<Vec<F::Acc>>,
    mut level: u32,
    mut acc: Vec<F::Acc>,
) {
    while let Some((l, _)) = tree.last() {
        if *l != level {
            break;
        }
        let (_, top) = tree.pop().expect("checked above");
        for (a, &t) in acc.iter_mut().zip(&top) {
            *a = F::combine(t, *a);
        }
        spare.push(top);
        level += 1;
    }
    tree.push((level, acc));
}

/// Folds a stack of subtrees right to left into `dst` (the vector form of [`Pairwise::finish`]).
fn finish_vec<T: Copy + Sync + Send, F: Fold<T>>(tree: VecStack<F::Acc>, dst: &mut [F::Acc]) {
    let mut levels = tree.into_iter().rev().map(|(_, v)| v);
    match levels.next() {
        None => dst.iter_mut().for_each(|d| *d = F::identity()),
        Some(first) => {
            dst.copy_from_slice(&first);
            for lower in levels {
                for (d, &l) in dst.iter_mut().zip(&lower) {
                    *d = F::combine(l, *d);
                }
            }
        }
    }
}

/// Sums the columns `start..start + dst.len()` of a `[len, inner]` slab into `dst`: rows are
/// added sequentially in groups of `ROW_BLOCK`, and the group sums combine pairwise.
#[inline(always)]
fn fold_columns<T: Copy + Sync + Send, F: Fold<T>>(
    slab: &[T],
    inner: usize,
    start: usize,
    dst: &mut [F::Acc],
) {
    let len = slab.len() / inner;
    finish_vec::<T, F>(
        column_stack::<T, F>(slab, inner, start, dst.len(), 0..len),
        dst,
    );
}

/// The pairwise stack of the row groups of `rows` (which starts on a group boundary) for the
/// `w` columns from `start`.
#[inline(always)]
fn column_stack<T: Copy + Sync + Send, F: Fold<T>>(
    slab: &[T],
    inner: usize,
    start: usize,
    w: usize,
    rows: std::ops::Range<usize>,
) -> VecStack<F::Acc> {
    let len = rows.end;
    if F::ORDER_FREE {
        return vec![(0, order_free_columns::<T, F>(slab, inner, start, w, rows))];
    }
    let mut tree: VecStack<F::Acc> = Vec::new();
    let mut spare: Vec<Vec<F::Acc>> = Vec::new();
    let mut r = rows.start;
    while r < len {
        let mut acc = spare.pop().unwrap_or_else(|| vec![F::identity(); w]);
        let row = |k: usize| &slab[(r + k) * inner + start..][..w];
        if r + ROW_BLOCK <= len {
            // The same sequential adds, all eight rows per column in registers.
            let (x0, x1, x2, x3) = (row(0), row(1), row(2), row(3));
            let (x4, x5, x6, x7) = (row(4), row(5), row(6), row(7));
            for (c, a) in acc.iter_mut().enumerate() {
                let mut s = F::combine(F::identity(), F::map(x0[c]));
                s = F::combine(s, F::map(x1[c]));
                s = F::combine(s, F::map(x2[c]));
                s = F::combine(s, F::map(x3[c]));
                s = F::combine(s, F::map(x4[c]));
                s = F::combine(s, F::map(x5[c]));
                s = F::combine(s, F::map(x6[c]));
                *a = F::combine(s, F::map(x7[c]));
            }
        } else {
            acc.iter_mut().for_each(|a| *a = F::identity());
            for k in 0..len - r {
                for (a, &v) in acc.iter_mut().zip(row(k)) {
                    *a = F::combine(*a, F::map(v));
                }
            }
        }
        r += ROW_BLOCK;
        push_vec::<T, F>(&mut tree, &mut spare, 0, acc);
    }
    tree
}

/// [`column_stack`] for order-free folds: every group of rows combines straight into one
/// accumulator row (any grouping gives the same bits), which saves the tree's extra rows and
/// their merges.
#[inline(always)]
fn order_free_columns<T: Copy + Sync + Send, F: Fold<T>>(
    slab: &[T],
    inner: usize,
    start: usize,
    w: usize,
    rows: std::ops::Range<usize>,
) -> Vec<F::Acc> {
    let mut acc = vec![F::identity(); w];
    let row = |k: usize| &slab[k * inner + start..][..w];
    let mut r = rows.start;
    while r + ROW_BLOCK <= rows.end {
        let (x0, x1, x2, x3) = (row(r), row(r + 1), row(r + 2), row(r + 3));
        let (x4, x5, x6, x7) = (row(r + 4), row(r + 5), row(r + 6), row(r + 7));
        for (c, a) in acc.iter_mut().enumerate() {
            // Two chains of four, for instruction-level parallelism.
            let s = F::combine(F::combine(*a, F::map(x0[c])), F::map(x1[c]));
            let t = F::combine(F::combine(F::map(x2[c]), F::map(x3[c])), F::map(x4[c]));
            let s = F::combine(F::combine(s, F::map(x5[c])), F::map(x6[c]));
            *a = F::combine(s, F::combine(t, F::map(x7[c])));
        }
        r += ROW_BLOCK;
    }
    for k in r..rows.end {
        for (a, &v) in acc.iter_mut().zip(row(k)) {
            *a = F::combine(*a, F::map(v));
        }
    }
    acc
}

/// Row groups per task when a tall strided sum is split by rows: a power of two, so every
/// task but the last is one complete subtree and the tasks' stacks, pushed in order, rebuild
/// exactly the serial tree.
const GROUPS_PER_TASK: usize = 64;
/// Input bytes per row of a tall strided fold's column tile (at most): whole rows up to this
/// width, since long contiguous runs are what the prefetchers stream (max of float32 along
/// axis 0 of 10000x10000: 24 GB/s in 16 KiB runs, 30-33 in whole rows of 40 KB, the read
/// kernel's speed), and the accumulator row still fits the L2 cache.
pub(super) const WIDE_TILE_BYTES: usize = if cfg!(test) { 4 << 10 } else { 64 << 10 };

/// Columns per tile of a tall strided fold (or arg-reduction) over `inner` columns of `T`:
/// equal tiles of at most `WIDE_TILE_BYTES` of a row.
pub(super) fn wide_tile<T>(inner: usize) -> usize {
    let max = (WIDE_TILE_BYTES / size_of::<T>()).max(1);
    inner.div_ceil(inner.div_ceil(max))
}

/// `[1, len, inner]` with many rows: tasks are (column tile, run of row groups).
fn fold_tall<T: Copy + Sync + Send, F: Fold<T>>(
    x: &[T],
    len: usize,
    inner: usize,
    out: &mut [F::Acc],
) {
    let rows_per_task = GROUPS_PER_TASK * ROW_BLOCK;
    let row_tasks = len.div_ceil(rows_per_task);
    let wt = wide_tile::<T>(inner);
    let tiles = inner.div_ceil(wt);
    let stacks: Vec<VecStack<F::Acc>> = par::map_indices(tiles * row_tasks, &|t| {
        let (tile, rt) = (t / row_tasks, t % row_tasks);
        let start = tile * wt;
        let w = wt.min(inner - start);
        let rows = rt * rows_per_task..((rt + 1) * rows_per_task).min(len);
        platform::avx2_or(
            #[inline(always)]
            || column_stack::<T, F>(x, inner, start, w, rows),
        )
    });
    par::each_chunk(out, wt, &|i, dst| {
        let mut tree = Vec::new();
        let mut spare = Vec::new();
        for part in &stacks[i * row_tasks..(i + 1) * row_tasks] {
            for (level, v) in part {
                push_vec::<T, F>(&mut tree, &mut spare, *level, v.clone());
            }
        }
        finish_vec::<T, F>(tree, dst);
    });
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::DType;
    use crate::cpu::FoldElem;
    use crate::host::{CpuStorage, with_storage};
    use crate::reduce::FoldKind;

    /// The plain serial algorithm the fast paths must reproduce bit for bit.
    fn ref_row<T: Copy + Sync + Send, F: Fold<T>>(x: &[T]) -> F::Acc {
        let mut tree = Pairwise::new();
        for b in x.chunks(BLOCK) {
            tree.push(fold_block::<T, F>(b), F::combine);
        }
        tree.finish(F::identity(), F::combine)
    }

    pub(crate) fn ref_sum<T: Copy + Sync + Send, F: Fold<T>>(x: &[T], r: Reduce3) -> Vec<F::Acc> {
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
                            .fold(F::identity(), |a, &v| F::combine(a, F::map(v)));
                        tree.push(s, F::combine);
                    }
                } else if r.len >= 2 * TASK {
                    for c in col.chunks(TASK) {
                        tree.push(ref_row::<T, F>(c), F::combine);
                    }
                } else {
                    tree.push(ref_row::<T, F>(&col), F::combine);
                }
                out.push(tree.finish(F::identity(), F::combine));
            }
        }
        out
    }

    fn reference_of(kind: FoldKind, x: &CpuStorage, r: Reduce3) -> CpuStorage {
        with_storage!(x, v => FoldElem::reference(kind, v, r))
    }

    fn reference(x: &CpuStorage, r: Reduce3) -> CpuStorage {
        reference_of(FoldKind::Sum, x, r)
    }

    fn sum(x: &CpuStorage, r: Reduce3) -> CpuStorage {
        crate::cpu::fold(x, FoldKind::Sum, &[r])
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

    const SHAPES: [(usize, usize, usize); 14] = [
        // Rows of one batch or less: 39 blocks and a tail (runs of 32 and 8), and a whole
        // batch and a tail.
        (2, 10_000, 1),
        (1, 64 * 256 + 7, 1),
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
    fn fast_paths_match_the_serial_reference_for_every_fold_dtype_and_thread_count() {
        for kind in FoldKind::ALL {
            for (k, &dtype) in DType::ALL.iter().enumerate() {
                for (s, &(outer, len, inner)) in SHAPES.iter().enumerate() {
                    let r = Reduce3 { outer, len, inner };
                    let x = sample(dtype, r.input_len(), (k * 31 + s) as u64 + 7);
                    let want = reference_of(kind, &x, r);
                    for threads in [1, 2] {
                        let got = in_pool(threads, || crate::cpu::fold(&x, kind, &[r]));
                        assert_eq!(got.dtype(), want.dtype());
                        assert!(
                            got.as_bytes() == want.as_bytes(),
                            "{kind:?} {dtype} {r:?} with {threads} threads"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn float32_extrema_rows_match_the_reference_with_every_special() {
        // Rows long enough for the vector extremes kernel and several of its NaN blocks, with
        // NaNs of both signs in some blocks only, both zeros, infinities and subnormals.
        let specials = [
            0u32,
            0x8000_0000,
            1,
            0x8000_0001,
            0x3f80_0000,
            0xbf80_0000,
            0x7f80_0000,
            0xff80_0000,
            0x7fc0_0000,
            0xffc0_0000,
            0xffff_ffff,
            0x7f80_0001,
        ];
        let mut rng = Rng(23);
        for len in [32, 33, 69, 3 * 1024 + 7, 5000] {
            for pick in 0..6u64 {
                let v: Vec<f32> = (0..2 * len)
                    .map(|i| {
                        let w = rng.next();
                        // pick 0: no NaN; 1: NaN only in the second 1024; else any special.
                        let k = match pick {
                            0 => w % 8,
                            1 if !(1024..2048).contains(&i) => w % 8,
                            _ => w % specials.len() as u64,
                        };
                        let b = specials[k as usize];
                        // Mostly ordinary values, so that the specials decide only sometimes.
                        f32::from_bits(if w % 7 < pick {
                            b
                        } else {
                            (w >> 32) as u32 & 0xbfff_ffff
                        })
                    })
                    .collect();
                let x = CpuStorage::F32(v);
                let r = Reduce3 {
                    outer: 2,
                    len,
                    inner: 1,
                };
                for kind in [
                    FoldKind::Max,
                    FoldKind::Min,
                    FoldKind::NanMax,
                    FoldKind::NanMin,
                ] {
                    let got = crate::cpu::fold(&x, kind, &[r]);
                    let want = reference_of(kind, &x, r);
                    assert!(got.as_bytes() == want.as_bytes(), "{kind:?} {len} {pick}");
                }
            }
        }
        // An all-NaN row: the nan-variants' key 0.
        let x = CpuStorage::F32(vec![f32::NAN; 64]);
        let r = Reduce3 {
            outer: 1,
            len: 64,
            inner: 1,
        };
        for kind in [FoldKind::NanMax, FoldKind::NanMin] {
            let got = crate::cpu::fold(&x, kind, &[r]);
            assert!(
                got.as_bytes() == reference_of(kind, &x, r).as_bytes(),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn float32_product_blocks_equal_the_generic_block_fold() {
        // Blocks of ordinary values near 1 (so that products stay finite for a while), with
        // zeros, infinities, subnormals and NaNs in some blocks only: the vector kernel's
        // products against fold_block's, for prod and nanprod (NaN results compared as NaN:
        // which payload a product of two NaNs keeps depends on operand order).
        use crate::cpu::fold_ops::{NanProd, Prod};
        let specials = [0.0f32, -0.0, f32::INFINITY, -f32::INFINITY, 1e-40, f32::NAN];
        let mut rng = Rng(41);
        let x: Vec<f32> = (0..64 * BLOCK)
            .map(|i| {
                let w = rng.next();
                if (i / BLOCK).is_multiple_of(3) && w.is_multiple_of(50) {
                    specials[(w >> 8) as usize % specials.len()]
                } else {
                    1.0 + ((w >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.01
                }
            })
            .collect();
        let same = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .all(|(p, q)| p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()))
        };
        let mut nans = [0; 2];
        for skip_nan in [false, true] {
            let mut got = vec![0f32; 64];
            if !crate::platform::block_prods_f32(&x, &mut got, skip_nan) {
                return; // no AVX2 here
            }
            let want: Vec<f32> = x
                .chunks_exact(BLOCK)
                .map(|b| {
                    if skip_nan {
                        fold_block::<f32, NanProd>(b)
                    } else {
                        fold_block::<f32, Prod>(b)
                    }
                })
                .collect();
            assert!(same(&got, &want), "skip_nan {skip_nan}");
            nans[usize::from(skip_nan)] = want.iter().filter(|v| v.is_nan()).count();
        }
        // The data has NaN blocks, fewer for nanprod (inf * 0 is NaN for both).
        assert!(nans[1] < nans[0], "{nans:?} NaN blocks");
    }

    #[test]
    fn float32_any_all_rows_match_the_reference() {
        // Rows of zeros of both signs with one true element (every non-zero special), and rows
        // of true elements with one zero, the odd element at every place: in the truth
        // kernel's part, at its 32-element steps' edges and in the tail past it.
        let truthy = [
            1u32,
            0x8000_0001,
            0x3f80_0000,
            0xff80_0000,
            0x7fc0_0000,
            0xffff_ffff,
        ];
        for len in [32, 33, 70, 1000] {
            for at in (0..len).step_by(7).chain([len - 1]) {
                for (k, &t) in truthy.iter().enumerate() {
                    let zero = [0u32, 0x8000_0000][k % 2];
                    let one_true = (0..len).map(|i| {
                        if i == at {
                            t
                        } else {
                            zero ^ ((i as u32 & 1) << 31)
                        }
                    });
                    let one_zero = (0..len).map(|i| {
                        if i == at {
                            zero
                        } else {
                            truthy[i % truthy.len()]
                        }
                    });
                    let v: Vec<f32> = one_true.chain(one_zero).map(f32::from_bits).collect();
                    let x = CpuStorage::F32(v);
                    let r = Reduce3 {
                        outer: 2,
                        len,
                        inner: 1,
                    };
                    for kind in [FoldKind::Any, FoldKind::All] {
                        let got = crate::cpu::fold(&x, kind, &[r]);
                        let want = reference_of(kind, &x, r);
                        assert!(
                            got.as_bytes() == want.as_bytes(),
                            "{kind:?} {len} {at} {t:x}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn tall_folds_split_by_rows_and_wide_tiles_match_the_reference() {
        let kinds = [
            FoldKind::Sum,
            FoldKind::Prod,
            FoldKind::Max,
            FoldKind::NanMin,
            FoldKind::CountNonzero,
            FoldKind::All,
        ];
        for dtype in [DType::Float32, DType::Int64, DType::Float16] {
            let cols = WIDE_TILE_BYTES / dtype.itemsize();
            for (len, inner) in [(3 * 512 + 17, cols + 3), (4 * 512, 2 * cols + 1)] {
                let r = Reduce3 {
                    outer: 1,
                    len,
                    inner,
                };
                let x = sample(dtype, r.input_len(), 77);
                for kind in kinds {
                    let want = reference_of(kind, &x, r);
                    for threads in [1, 2] {
                        let got = in_pool(threads, || crate::cpu::fold(&x, kind, &[r]));
                        assert!(got.as_bytes() == want.as_bytes(), "{kind:?} {dtype} {r:?}");
                    }
                }
            }
        }
    }

    /// The float32 result of an exact sum's words.
    fn round_f32(words: &CpuStorage) -> Vec<u32> {
        let CpuStorage::U32(w) = words else {
            panic!("words")
        };
        w.chunks_exact(crate::exact::WORDS32)
            .map(|a| crate::exact::round_words(a, crate::exact::Fmt::F32, 1) as u32)
            .collect()
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
                    assert_eq!(
                        round_f32(&got)[0],
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
            assert_eq!(round_f32(&sum(&x, r)), [0]);
        }
    }

    #[test]
    fn float32_sums_are_exact_along_every_axis() {
        let (rows, cols) = (1500, 700);
        let mut rng = Rng(99);
        let v: Vec<f32> = (0..rows * cols)
            .map(|_| ((rng.next() >> 40) as f32 / (1 << 24) as f32) * 10.0 - 3.0)
            .collect();
        let x = CpuStorage::F32(v.clone());
        // Values are multiples of 2^-24 below 2^4: an i128 in units of 2^-24 is exact.
        let exact = |it: &mut dyn Iterator<Item = f32>| -> f32 {
            let s: i128 = it
                .map(|a| (f64::from(a) * (1u64 << 24) as f64) as i128)
                .sum();
            let mut a = crate::exact::Acc32::new();
            a.add_scaled(s as i64, -24);
            a.round_f32()
        };
        let check = |r: Reduce3, want: &dyn Fn(usize) -> f32| {
            for (i, &g) in round_f32(&sum(&x, r)).iter().enumerate() {
                assert_eq!(g, want(i).to_bits(), "{r:?} #{i}");
            }
        };
        let all = Reduce3 {
            outer: 1,
            len: rows * cols,
            inner: 1,
        };
        check(all, &|_| exact(&mut v.iter().copied()));
        let ax0 = Reduce3 {
            outer: 1,
            len: rows,
            inner: cols,
        };
        check(ax0, &|c| exact(&mut (0..rows).map(|r| v[r * cols + c])));
        let ax1 = Reduce3 {
            outer: rows,
            len: cols,
            inner: 1,
        };
        check(ax1, &|r| {
            exact(&mut v[r * cols..(r + 1) * cols].iter().copied())
        });
    }
}
