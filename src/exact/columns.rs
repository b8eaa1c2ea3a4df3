//! Exact per-column sums of strided (axis-0-like) reductions: the columns of a `[len, inner]`
//! slab summed down its rows, one accumulator per column.
//!
//! The idea of `block.rs` across columns: each column is one f64 lane, a block is
//! `Narrow::COLUMN_BLOCK` (`KC16`, `KC64`) rows of a tile of columns, and each column's block
//! is checked on its own; a column whose block fails the check is added again value by value,
//! down that column. Either way the accumulator gets the exact sum, so the result does not
//! depend on the tile width, the grouping of rows or the path taken.
//!
//! Memory order is what makes this fast. Rows are read in contiguous runs as wide as the
//! caller's tile (several KiB, which the hardware prefetcher streams; runs of 1 KiB at a
//! 40 KB stride ran at a quarter of the read bandwidth), and `G` rows are taken at a time, so
//! that a column's running state (lane sums and extremes, in L1) is loaded and stored once per
//! `G` rows instead of once per row: one load-add-store per element was the other half of the
//! slowdown.

use half::{bf16, f16};

use super::block::{
    GRID_MAX, Narrow, field64, first_grid, grid_constant, grid_for_k, lanes_int, tally,
};
use super::{Acc32, Acc64};
use crate::platform;

/// Rows taken per pass over a tile's column state (a block's row count is a multiple of it,
/// except at the end of the caller's rows).
const G: usize = 8;
/// Columns per step of the float32-range kernels: one AVX2 register of u32, two of f64.
const V32: usize = 8;
/// Columns per step of the float64 kernel: one AVX2 register per state array.
const V64: usize = 4;

type Rows = std::ops::Range<usize>;

/// Rows per block of the float64 column kernel (2^LOG_KC64), longer than the row kernel's
/// `K64` for the same reason as `Narrow::COLUMN_BLOCK` (a window of 34 binades, against 40 at
/// 128 rows; axis 0 of 10000x10000 float64: 0.62 of the read kernel at 256 rows, 0.65-0.70
/// at 1024).
const LOG_KC64: i32 = 10;
const KC64: usize = 1 << LOG_KC64;
/// Rows per block of the float16 column kernel: the most finite float16 values that always
/// sum exactly in f64 (see `block.rs`), so that a column's block check and accumulator add
/// are rare (in tests 2^9, so that the property tests' tall shapes span several blocks).
#[cfg(not(test))]
const KC16: usize = 1 << 13;
#[cfg(test)]
const KC16: usize = 1 << 9;

/// A tile's running column state over one block, fed `R` rows at a time.
trait ColumnState<T> {
    fn add_rows<const R: usize>(&mut self, rows: &[&[T]; R]);
    /// Before a block's first `add_rows` and after its last: the state's form in between is
    /// the kernel's own.
    fn begin_block(&mut self) {}
    fn end_block(&mut self) {}
}

/// Feeds the rows `block` of `row(r)` (each as wide as the state) to `state`, `G` at a time.
#[inline(always)]
fn add_block<'a, T: 'a, S: ColumnState<T>>(
    state: &mut S,
    row: impl Fn(usize) -> &'a [T],
    block: Rows,
) {
    state.begin_block();
    let mut r = block.start;
    while r + G <= block.end {
        state.add_rows::<G>(&std::array::from_fn(|g| row(r + g)));
        r += G;
    }
    for r in r..block.end {
        state.add_rows::<1>(&[row(r)]);
    }
    state.end_block();
}

/// Per-column exact sums of the columns `start..start + accs.len()` over `rows` of a
/// `[len, inner]` slab (one accumulator per column). For the nan-variants (`skip_nan`) NaNs
/// are left out.
pub(crate) fn columns_f32(
    accs: &mut [Acc32],
    slab: &[f32],
    inner: usize,
    start: usize,
    rows: Rows,
    skip_nan: bool,
) {
    platform::avx2_or(
        #[inline(always)]
        || columns_narrow::<f32, false>(accs, slab, inner, start, rows, skip_nan),
    );
}

/// As [`columns_f32`] for bfloat16.
pub(crate) fn columns_bf16(
    accs: &mut [Acc32],
    slab: &[bf16],
    inner: usize,
    start: usize,
    rows: Rows,
    skip_nan: bool,
) {
    if platform::avx2() {
        platform::avx2_or(
            #[inline(always)]
            || columns_bf16_window(accs, slab, inner, start, rows, skip_nan),
        );
    } else {
        columns_narrow::<bf16, false>(accs, slab, inner, start, rows, skip_nan);
    }
}

/// As [`columns_f32`] for complex64 seen as float32 pairs (`inner`, `start` in float32
/// units, `start` even, `accs` alternating real and imaginary): an element with a NaN part is
/// left out whole by the nan-variants.
pub(crate) fn columns_c64(
    accs: &mut [Acc32],
    slab: &[f32],
    inner: usize,
    start: usize,
    rows: Rows,
    skip_nan: bool,
) {
    platform::avx2_or(
        #[inline(always)]
        || columns_narrow::<f32, true>(accs, slab, inner, start, rows, skip_nan),
    );
}

/// Lane sums, each column's largest magnitude's bits and smallest non-zero magnitude's bits
/// minus one (zeros wrap to u32::MAX, which never wins the minimum).
pub(super) struct NarrowState {
    pub(super) sums: Vec<f64>,
    pub(super) max: Vec<u32>,
    pub(super) min: Vec<u32>,
}

impl NarrowState {
    pub(super) fn new(w: usize) -> Self {
        Self {
            sums: vec![0.0; w],
            max: vec![0; w],
            min: vec![u32::MAX; w],
        }
    }

    fn reset(&mut self) {
        self.sums.fill(0.0);
        self.max.fill(0);
        self.min.fill(u32::MAX);
    }
}

#[inline(always)]
fn narrow_step(b: u32, sum: &mut f64, max: &mut u32, min: &mut u32) {
    let a = b & 0x7fff_ffff;
    *max = (*max).max(a);
    *min = (*min).min(a.wrapping_sub(1));
    *sum += f64::from(f32::from_bits(b));
}

impl<T: Narrow> ColumnState<T> for NarrowState {
    #[inline(always)]
    fn add_rows<const R: usize>(&mut self, rows: &[&[T]; R]) {
        let done = T::kernel_columns(rows, &mut self.sums, &mut self.max, &mut self.min);
        self.add_rows_portable(rows, done);
    }
    fn begin_block(&mut self) {
        platform::narrow_columns_form::<T>(&mut self.max, &mut self.min, true);
    }
    fn end_block(&mut self) {
        platform::narrow_columns_form::<T>(&mut self.max, &mut self.min, false);
    }
}

impl NarrowState {
    /// The portable column pass (`Narrow::kernel_columns` is the platform's, with the same
    /// operations): the columns from `first` on.
    #[inline(always)]
    pub(super) fn add_rows_portable<T: Narrow>(&mut self, rows: &[&[T]], first: usize) {
        let w = self.sums.len();
        let steps = (self.sums[first..].chunks_exact_mut(V32)).zip(
            (self.max[first..].chunks_exact_mut(V32)).zip(self.min[first..].chunks_exact_mut(V32)),
        );
        for (c, (s, (mx, mn))) in (first..).step_by(V32).zip(steps) {
            // The state in registers for all rows (fixed-size copies, so this vectorises).
            let mut sv: [f64; V32] = (*s).try_into().expect("V32 columns");
            let mut xv: [u32; V32] = (*mx).try_into().expect("V32 columns");
            let mut nv: [u32; V32] = (*mn).try_into().expect("V32 columns");
            for row in rows {
                let x: &[T; V32] = row[c..c + V32].try_into().expect("V32 columns");
                for l in 0..V32 {
                    narrow_step(x[l].f32_bits(), &mut sv[l], &mut xv[l], &mut nv[l]);
                }
            }
            s.copy_from_slice(&sv);
            mx.copy_from_slice(&xv);
            mn.copy_from_slice(&nv);
        }
        for j in first + (w - first) / V32 * V32..w {
            for row in rows {
                let (s, mx, mn) = (&mut self.sums[j], &mut self.max[j], &mut self.min[j]);
                narrow_step(row[j].f32_bits(), s, mx, mn);
            }
        }
    }
}

/// The float32-range column kernel (see `block.rs`'s `sum_narrow` for the bound). `PAIR`:
/// columns come in (real, imaginary) pairs, which the nan-variants keep or drop together.
#[inline(always)]
fn columns_narrow<T: Narrow, const PAIR: bool>(
    accs: &mut [Acc32],
    slab: &[T],
    inner: usize,
    start: usize,
    rows: Rows,
    skip_nan: bool,
) {
    let mut st = NarrowState::new(accs.len());
    let mut r = rows.start;
    while r < rows.end {
        let block = r..(r + T::COLUMN_BLOCK).min(rows.end);
        narrow_column_block::<T, PAIR>(accs, &mut st, slab, inner, start, block.clone(), skip_nan);
        r = block.end;
    }
}

/// One block of [`columns_narrow`]: the rows `block`, with `st`'s state (left as the block's,
/// so its largest values can guide the next block), into the accumulators.
#[inline(always)]
fn narrow_column_block<T: Narrow, const PAIR: bool>(
    accs: &mut [Acc32],
    st: &mut NarrowState,
    slab: &[T],
    inner: usize,
    start: usize,
    block: Rows,
    skip_nan: bool,
) {
    let max_span = 52 - T::MANT - T::COLUMN_BLOCK.trailing_zeros() as i32;
    let w = accs.len();
    let row = |r: usize| &slab[r * inner + start..][..w];
    let at = |r: usize, j: usize| f32::from_bits(slab[r * inner + start + j].f32_bits());
    st.reset();
    add_block(st, row, block.clone());
    let fast = |j: usize| {
        let fmax = (st.max[j] >> 23).max(1) as i32;
        let fmin = (st.min[j].wrapping_add(1) >> 23).max(1) as i32;
        st.max[j] < 0x7f80_0000 && fmax - fmin <= max_span
    };
    for (j, acc) in accs.iter_mut().enumerate() {
        if st.min[j] == u32::MAX {
            continue; // all zeros
        }
        let pair_ok = !(PAIR && skip_nan) || fast(j ^ 1);
        if fast(j) && pair_ok {
            let u = ((st.min[j] + 1) >> 23).max(1) as i32 - 127 - T::MANT;
            acc.add_scaled(lanes_int([&st.sums[j]], u), u);
            tally(true);
            continue;
        }
        tally(false);
        for rr in block.clone() {
            let v = at(rr, j);
            let nan = v.is_nan() || (PAIR && at(rr, j ^ 1).is_nan());
            if skip_nan && nan {
                acc.skip();
            } else {
                acc.add_f32(v);
            }
        }
    }
}

/// Rows of the first block of [`columns_bf16_window`], on the wide path: enough to see each
/// column's typical largest value, few enough that the wide path's cost stays small.
const BF16_FIRST_ROWS: usize = 64;

/// A tile's state in [`columns_bf16_window`]: per column the f64 sums, the largest magnitude's
/// bits, the window's lowest magnitude bits (fixed for a block), and the smallest non-zero
/// magnitude's bits minus one among the values below the window (0xffff if none).
struct Bf16WindowState {
    sums: Vec<f64>,
    max: Vec<u16>,
    low: Vec<u16>,
    out_min: Vec<u16>,
}

impl ColumnState<bf16> for Bf16WindowState {
    #[inline(always)]
    fn add_rows<const R: usize>(&mut self, rows: &[&[bf16]; R]) {
        let bits = rows.map(bytemuck::cast_slice::<bf16, u16>);
        let done = platform::bf16_window_columns(
            &bits,
            &self.low,
            &mut self.sums,
            &mut self.max,
            &mut self.out_min,
        );
        // The other columns straight into f64 (exact under the same bound, see below).
        for j in done..self.sums.len() {
            for r in &bits {
                let (b, a) = (r[j], r[j] & 0x7fff);
                self.max[j] = self.max[j].max(a);
                if a < self.low[j] {
                    self.out_min[j] = self.out_min[j].min(a.wrapping_sub(1));
                }
                self.sums[j] += f64::from(f32::from_bits(u32::from(b) << 16));
            }
        }
    }
}

/// [`columns_bf16`] with AVX2: the row kernel's window (`block.rs`, `sum_bf16_kernel`) per
/// column. A block of `COLUMN_BLOCK` rows adds each column's values within 13 binades below
/// its window's top in float32, 8 rows at a time (exact, as in the row kernel), then in the
/// column's f64 lane, where the values below the window go directly (each column's window
/// comes from its largest value in the block before; the first block, of
/// `BF16_FIRST_ROWS` rows, takes the wide path). The f64 lane holds multiples of the ulp of
/// the smallest field `fmin` among the window's lowest and the values below it, under
/// `2^(fmax - 126 + 10)`: exact when `fmax - fmin <= 35`, as the wide path's bound. A column
/// whose block breaks either bound goes value by value. Against the wide path's two
/// conversions and two f64 adds per 8 values: 10000x10000 along axis 0 from memory (best of
/// 12, alternating binaries) 20.5-21.4 -> 27-27.6 GB/s; 2048x2048 on one thread from L3
/// 7.0-7.4 -> 8.4-8.8. (Passes of 16 rows, to halve the loads and stores of the column
/// state, ran slower: more rows in flight than the prefetchers follow.)
#[inline(always)]
fn columns_bf16_window(
    accs: &mut [Acc32],
    slab: &[bf16],
    inner: usize,
    start: usize,
    rows: Rows,
    skip_nan: bool,
) {
    let w = accs.len();
    let first = rows.start..(rows.start + BF16_FIRST_ROWS).min(rows.end);
    let mut wide = NarrowState::new(w);
    narrow_column_block::<bf16, false>(
        accs,
        &mut wide,
        slab,
        inner,
        start,
        first.clone(),
        skip_nan,
    );
    let window_low = |fmax: i32| (super::block::bf16_window_low(fmax) << 7) as u16;
    let mut st = Bf16WindowState {
        sums: vec![0.0; w],
        max: vec![0; w],
        low: (wide.max.iter())
            .map(|&m| window_low(((m >> 23) as i32).max(1)))
            .collect(),
        out_min: vec![u16::MAX; w],
    };
    drop(wide);
    let max_span = 52 - bf16::MANT - bf16::COLUMN_BLOCK.trailing_zeros() as i32;
    let row = |r: usize| &slab[r * inner + start..][..w];
    let mut r = first.end;
    while r < rows.end {
        let block = r..(r + bf16::COLUMN_BLOCK).min(rows.end);
        st.sums.fill(0.0);
        st.max.fill(0);
        st.out_min.fill(u16::MAX);
        add_block(&mut st, row, block.clone());
        for (j, acc) in accs.iter_mut().enumerate() {
            let max = st.max[j];
            if max == 0 {
                continue; // all zeros
            }
            let fmax = i32::from(max >> 7).max(1);
            let lo = i32::from(st.low[j] >> 7);
            let fmin = match st.out_min[j] {
                u16::MAX => lo,
                m => i32::from((m + 1) >> 7).max(1).min(lo),
            };
            st.low[j] = window_low(fmax);
            if fmax - lo <= super::block::BF16_WINDOW && fmax <= 250 && fmax - fmin <= max_span {
                let u = fmin - 134;
                acc.add_scaled(lanes_int([&st.sums[j]], u), u);
                tally(true);
                continue;
            }
            tally(false);
            for rr in block.clone() {
                let v = slab[rr * inner + start + j];
                if skip_nan && v.is_nan() {
                    acc.skip();
                } else {
                    acc.add_bf16(v);
                }
            }
        }
        r = block.end;
    }
}

/// As [`columns_f32`] for float16: `KC16` rows of finite float16 always sum exactly in f64
/// (multiples of 2^-24 below 2^16), so only blocks with an infinity or NaN go value by value.
pub(crate) fn columns_f16(
    accs: &mut [Acc32],
    slab: &[f16],
    inner: usize,
    start: usize,
    rows: Rows,
    skip_nan: bool,
) {
    platform::avx2_or(
        #[inline(always)]
        || columns_f16_kernel(accs, slab, inner, start, rows, skip_nan),
    );
}

/// Lane sums: exact for finite values (see `KC16`), not finite when an infinity or NaN was
/// added.
struct F16State {
    sums: Vec<f64>,
}

impl ColumnState<f16> for F16State {
    #[inline(always)]
    fn add_rows<const R: usize>(&mut self, rows: &[&[f16]; R]) {
        let bits = rows.map(bytemuck::cast_slice::<f16, u16>);
        let done = platform::f16_columns(&bits, &mut self.sums);
        f16_columns_portable(&bits, &mut self.sums[done..], done);
    }
}

/// The portable float16 column pass (`platform::f16_columns` is the F16C one): the columns
/// `first..first + sums.len()` of `rows` added into `sums`.
#[inline(always)]
pub(super) fn f16_columns_portable(rows: &[&[u16]], sums: &mut [f64], first: usize) {
    for (j, s) in sums.iter_mut().enumerate() {
        for row in rows {
            *s += f64::from(f16::from_bits(row[first + j]));
        }
    }
}

#[inline(always)]
fn columns_f16_kernel(
    accs: &mut [Acc32],
    slab: &[f16],
    inner: usize,
    start: usize,
    rows: Rows,
    skip_nan: bool,
) {
    let w = accs.len();
    let row = |r: usize| &slab[r * inner + start..][..w];
    let mut st = F16State { sums: vec![0.0; w] };
    let mut r = rows.start;
    while r < rows.end {
        let block = r..(r + KC16).min(rows.end);
        st.sums.fill(0.0);
        add_block(&mut st, row, block.clone());
        for (j, acc) in accs.iter_mut().enumerate() {
            if st.sums[j].is_finite() {
                acc.add_scaled(lanes_int([&st.sums[j]], -24), -24);
                continue;
            }
            for rr in block.clone() {
                let v = slab[rr * inner + start + j];
                if skip_nan && v.is_nan() {
                    acc.skip();
                } else {
                    acc.add_f16(v);
                }
            }
        }
        r = block.end;
    }
}

/// As [`columns_f32`] for float64: per column, the high / low split of `sum_f64_into` with
/// the grid speculated from the column's previous block; a column whose block fails the
/// check is redone with its own grid, and if that fails too, value by value.
pub(crate) fn columns_f64(
    accs: &mut [Acc64],
    slab: &[f64],
    inner: usize,
    start: usize,
    rows: Rows,
    skip_nan: bool,
) {
    platform::avx2_or(
        #[inline(always)]
        || columns_f64_kernel(accs, slab, inner, start, rows, skip_nan),
    );
}

/// Per column: the grid constant C of its block, the lane sums of the high and low parts, the
/// largest magnitude and the smallest non-zero magnitude (as bits minus one, reinterpreted,
/// see `block.rs`'s `f64_pass`).
pub(super) struct F64State {
    pub(super) big: Vec<f64>,
    pub(super) hi: Vec<f64>,
    pub(super) lo: Vec<f64>,
    pub(super) max: Vec<f64>,
    pub(super) min: Vec<f64>,
}

/// One value into a column's float64 state (`big`: the column's grid constant).
#[inline(always)]
fn f64_step(x: f64, big: f64, hi: &mut f64, lo: &mut f64, max: &mut f64, min: &mut f64) {
    let a = f64::from_bits(x.to_bits() & !(1 << 63));
    // `if` rather than f64::max: one maxpd / minpd each, no NaN fix-ups.
    *max = if a > *max { a } else { *max };
    let a1 = f64::from_bits(a.to_bits().wrapping_sub(1));
    *min = if a1 < *min { a1 } else { *min };
    let h = (x + big) - big;
    *hi += h;
    *lo += x - h;
}

impl ColumnState<f64> for F64State {
    #[inline(always)]
    fn add_rows<const R: usize>(&mut self, rows: &[&[f64]; R]) {
        let state = [
            &mut self.hi[..],
            &mut self.lo[..],
            &mut self.max[..],
            &mut self.min[..],
        ];
        let done = platform::f64_columns(rows, &self.big, state);
        self.add_rows_portable(rows, done);
    }
}

impl F64State {
    /// The portable float64 column pass (`platform::f64_columns` is the AVX2 one, with the
    /// same operations): the columns from `first` on.
    #[inline(always)]
    pub(super) fn add_rows_portable(&mut self, rows: &[&[f64]], first: usize) {
        let w = self.hi.len();
        let sums =
            (self.hi[first..].chunks_exact_mut(V64)).zip(self.lo[first..].chunks_exact_mut(V64));
        let ext =
            (self.max[first..].chunks_exact_mut(V64)).zip(self.min[first..].chunks_exact_mut(V64));
        let steps = self.big[first..].chunks_exact(V64).zip(sums.zip(ext));
        for (c, (b, ((hs, ls), (mx, mn)))) in (first..).step_by(V64).zip(steps) {
            let bv: [f64; V64] = b.try_into().expect("V64 columns");
            let mut hv: [f64; V64] = (*hs).try_into().expect("V64 columns");
            let mut lv: [f64; V64] = (*ls).try_into().expect("V64 columns");
            let mut xv: [f64; V64] = (*mx).try_into().expect("V64 columns");
            let mut nv: [f64; V64] = (*mn).try_into().expect("V64 columns");
            for row in rows {
                let x: &[f64; V64] = row[c..c + V64].try_into().expect("V64 columns");
                for l in 0..V64 {
                    f64_step(x[l], bv[l], &mut hv[l], &mut lv[l], &mut xv[l], &mut nv[l]);
                }
            }
            hs.copy_from_slice(&hv);
            ls.copy_from_slice(&lv);
            mx.copy_from_slice(&xv);
            mn.copy_from_slice(&nv);
        }
        for j in first + (w - first) / V64 * V64..w {
            for row in rows {
                let (h, l) = (&mut self.hi[j], &mut self.lo[j]);
                f64_step(
                    row[j],
                    self.big[j],
                    h,
                    l,
                    &mut self.max[j],
                    &mut self.min[j],
                );
            }
        }
    }
}

#[inline(always)]
fn columns_f64_kernel(
    accs: &mut [Acc64],
    slab: &[f64],
    inner: usize,
    start: usize,
    rows: Rows,
    skip_nan: bool,
) {
    let w = accs.len();
    let row = |r: usize| &slab[r * inner + start..][..w];
    let at = |r: usize, j: usize| slab[r * inner + start + j];
    let mut grid: Vec<i32> = if rows.is_empty() {
        Vec::new()
    } else {
        (row(rows.start).iter())
            .map(|&x| first_grid(x, LOG_KC64))
            .collect()
    };
    let mut st = F64State {
        big: vec![0.0; w],
        hi: vec![0.0; w],
        lo: vec![0.0; w],
        max: vec![0.0; w],
        min: vec![0.0; w],
    };
    let mut r = rows.start;
    while r < rows.end {
        let block = r..(r + KC64).min(rows.end);
        for (b, &c) in st.big.iter_mut().zip(&grid) {
            *b = grid_constant(c);
        }
        st.hi.fill(0.0);
        st.lo.fill(0.0);
        st.max.fill(0.0);
        st.min.fill(f64::INFINITY);
        add_block(&mut st, row, block.clone());
        for (j, acc) in accs.iter_mut().enumerate() {
            let (mut h, mut l, mut m, mut n) = (st.hi[j], st.lo[j], st.max[j], st.min[j]);
            let mut done = false;
            for attempt in 0..2 {
                let finite = h.is_finite() && l.is_finite();
                if finite && m == 0.0 {
                    done = true; // zeros only
                    break;
                }
                let c = grid[j];
                let fmax = field64(m);
                let u = field64(n) - 1075;
                if finite && grid_for_k(fmax, LOG_KC64) <= c && c - u <= 106 - LOG_KC64 {
                    acc.add_scaled(lanes_int([&h], c - 52), c - 52);
                    acc.add_scaled(lanes_int([&l], u), u);
                    done = true;
                    break;
                }
                if attempt == 1 || !m.is_finite() || grid_for_k(fmax, LOG_KC64) > GRID_MAX {
                    break;
                }
                // Redo this column's block on the grid its largest value needs.
                grid[j] = grid_for_k(fmax, LOG_KC64);
                let big = grid_constant(grid[j]);
                (h, l, m, n) = (0.0, 0.0, 0.0, f64::INFINITY);
                for rr in block.clone() {
                    f64_step(at(rr, j), big, &mut h, &mut l, &mut m, &mut n);
                }
            }
            tally(done);
            if !done {
                for rr in block.clone() {
                    let v = at(rr, j);
                    if skip_nan && v.is_nan() {
                        acc.skip();
                    } else {
                        acc.add_f64(v);
                    }
                }
            }
        }
        r = block.end;
    }
}
