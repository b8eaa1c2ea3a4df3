//! argmax through order-preserving integer keys: NaN is the largest key, -0.0 and +0.0 share a
//! key, and the first index of the largest key wins.

use half::{bf16, f16};
use num_complex::Complex;
use rayon::prelude::*;

use super::{with_storage, CpuStorage};
use crate::backend::Reduce3;
use crate::bits;

/// Elements per parallel task of a long contiguous row.
const TASK: usize = 1 << 16;
/// Columns per task of a strided argmax.
const TILE: usize = 1024;

pub(crate) trait ArgKey: Copy + Send + Sync {
    type Key: Ord + Copy + Send + Sync;
    fn key(self) -> Self::Key;
}

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

impl ArgKey for f32 {
    type Key = u32;
    #[inline(always)]
    fn key(self) -> u32 {
        bits::f32_key(self.to_bits())
    }
}

impl ArgKey for f64 {
    type Key = u64;
    #[inline(always)]
    fn key(self) -> u64 {
        bits::f64_key(self.to_bits())
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
                argmax_columns(slab, r.inner, t * TILE, dst);
            });
        out
    }
}

/// (largest key, index of its first occurrence) of a non-empty row.
fn argmax_row<T: ArgKey>(x: &[T]) -> (T::Key, usize) {
    let mut best = x[0].key();
    let mut at = 0;
    for (i, v) in x.iter().enumerate().skip(1) {
        let k = v.key();
        if k > best {
            best = k;
            at = i;
        }
    }
    (best, at)
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
    let w = dst.len();
    let len = slab.len() / inner;
    let mut best: Vec<T::Key> = slab[start..start + w].iter().map(|v| v.key()).collect();
    let mut at = vec![0usize; w];
    for row in 1..len {
        let src = &slab[row * inner + start..row * inner + start + w];
        for ((b, a), v) in best.iter_mut().zip(at.iter_mut()).zip(src) {
            let k = v.key();
            if k > *b {
                *b = k;
                *a = row;
            }
        }
    }
    for (d, a) in dst.iter_mut().zip(at) {
        *d = a as i64;
    }
}
