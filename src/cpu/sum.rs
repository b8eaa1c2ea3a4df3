//! Sums: wrapping for integers, blocked pairwise for floats along any axis, deterministic for
//! any thread count (work is split at fixed power-of-two boundaries, never by thread).

use half::{bf16, f16};
use num_complex::Complex;
use rayon::prelude::*;

use super::{with_storage, CpuStorage};
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
const TILE: usize = 2048;

pub(crate) trait SumElem: Copy + Send + Sync {
    type Acc: Copy + Send + Sync + Default + std::fmt::Debug;
    fn widen(self) -> Self::Acc;
    fn add(a: Self::Acc, b: Self::Acc) -> Self::Acc;
    fn storage(v: Vec<Self::Acc>) -> CpuStorage;
}

macro_rules! sum_elem {
    ($t:ty, $acc:ty, $variant:ident, |$x:ident| $widen:expr, |$a:ident, $b:ident| $add:expr) => {
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
        }
    };
}

sum_elem!(bool, i64, I64, |x| x as i64, |a, b| a.wrapping_add(b));
sum_elem!(i8, i64, I64, |x| x as i64, |a, b| a.wrapping_add(b));
sum_elem!(i16, i64, I64, |x| x as i64, |a, b| a.wrapping_add(b));
sum_elem!(i32, i64, I64, |x| x as i64, |a, b| a.wrapping_add(b));
sum_elem!(i64, i64, I64, |x| x, |a, b| a.wrapping_add(b));
sum_elem!(u8, u64, U64, |x| x as u64, |a, b| a.wrapping_add(b));
sum_elem!(u16, u64, U64, |x| x as u64, |a, b| a.wrapping_add(b));
sum_elem!(u32, u64, U64, |x| x as u64, |a, b| a.wrapping_add(b));
sum_elem!(u64, u64, U64, |x| x, |a, b| a.wrapping_add(b));
sum_elem!(f16, f32, F32, |x| x.to_f32(), |a, b| a + b);
sum_elem!(bf16, f32, F32, |x| x.to_f32(), |a, b| a + b);
sum_elem!(f32, f32, F32, |x| x, |a, b| a + b);
sum_elem!(f64, f64, F64, |x| x, |a, b| a + b);
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
                sum_columns(slab, r.inner, t * TILE, dst);
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

    fn push(&mut self, mut v: A, add: impl Fn(A, A) -> A) {
        let mut level = 0;
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

fn sum_row<T: SumElem>(x: &[T]) -> T::Acc {
    let mut tree = Pairwise::new();
    for block in x.chunks(BLOCK) {
        tree.push(sum_block(block), T::add);
    }
    tree.finish(T::Acc::default(), T::add)
}

fn sum_long_row<T: SumElem>(x: &[T]) -> T::Acc {
    let parts: Vec<T::Acc> = x.par_chunks(TASK).map(sum_row).collect();
    let mut tree = Pairwise::new();
    for p in parts {
        tree.push(p, T::add);
    }
    tree.finish(T::Acc::default(), T::add)
}

/// Sums the columns `start..start + dst.len()` of a `[len, inner]` slab into `dst`: rows are
/// added sequentially in groups of `ROW_BLOCK`, and the group sums combine pairwise.
fn sum_columns<T: SumElem>(slab: &[T], inner: usize, start: usize, dst: &mut [T::Acc]) {
    let w = dst.len();
    let len = slab.len() / inner;
    let mut tree: Vec<(u32, Vec<T::Acc>)> = Vec::new();
    let mut spare: Vec<Vec<T::Acc>> = Vec::new();
    let mut r = 0;
    while r < len {
        let mut acc = spare.pop().unwrap_or_else(|| vec![T::Acc::default(); w]);
        acc.iter_mut().for_each(|a| *a = T::Acc::default());
        for row in r..(r + ROW_BLOCK).min(len) {
            let src = &slab[row * inner + start..row * inner + start + w];
            for (a, &v) in acc.iter_mut().zip(src) {
                *a = T::add(*a, v.widen());
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
