//! The CPU's parallel loops, type-erased: every launch strategy of every instruction runs its
//! tasks through these few functions, generic only over the output element, so rayon's
//! machinery is compiled once per output type instead of once per (dtype, instruction) pair.

use rayon::prelude::*;

/// Calls `f(i, chunk)` for the `i`-th `chunk`-long piece of `out`, in parallel.
pub(crate) fn each_chunk<A: Send>(
    out: &mut [A],
    chunk: usize,
    f: &(dyn Fn(usize, &mut [A]) + Sync),
) {
    out.par_chunks_mut(chunk.max(1))
        .enumerate()
        .for_each(|(i, c)| f(i, c));
}

/// Calls `f(row, tile, dst)` for each `tile`-wide piece of each `row_len`-long row of `out`,
/// in parallel (tiles never cross rows).
pub(crate) fn each_tile<A: Send>(
    out: &mut [A],
    row_len: usize,
    tile: usize,
    f: &(dyn Fn(usize, usize, &mut [A]) + Sync),
) {
    out.par_chunks_mut(row_len.max(1))
        .enumerate()
        .flat_map_iter(|(o, row)| {
            row.chunks_mut(tile.max(1))
                .enumerate()
                .map(move |(t, dst)| (o, t, dst))
        })
        .for_each(|(o, t, dst)| f(o, t, dst));
}

/// `n` results of `f(i)`, computed in parallel, in order.
pub(crate) fn map_indices<R: Send + Default>(n: usize, f: &(dyn Fn(usize) -> R + Sync)) -> Vec<R> {
    let mut out: Vec<R> = (0..n).map(|_| R::default()).collect();
    each_chunk(&mut out, 1, &|i, c| c[0] = f(i));
    out
}
