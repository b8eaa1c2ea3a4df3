//! Bulk exact sums that read each value once.
//!
//! The idea: inside one block, values whose exponents lie within a few dozen binades of each
//! other are all multiples of the smallest one's ulp and bounded by the largest, so plain f64
//! additions of them are exact as long as every partial sum stays below 2^53 of those ulps.
//! Each block is summed in f64 lanes while tracking the largest and smallest non-zero
//! magnitude; afterwards those decide whether the lane sums are exact. If so, the lanes are
//! turned into one integer and added to the accumulator once per block; if not (a block with
//! too wide a range, an infinity or a NaN: rare in real data), the block is added again,
//! exactly (float32 and bfloat16: its values within the window in lanes, the others singly;
//! see each kernel). Either way the accumulator gets the exact sum, so the
//! result never depends on which path ran, nor on vector width or CPU features.
//!
//! - float32 / bfloat16: each value converts exactly to f64; see [`sum_narrow`]. bfloat16
//!   first tries a narrower window whose values add exactly in float32 lanes, 8 to a lane
//!   (see [`sum_bf16_kernel`]).
//! - float16: every finite value is a multiple of 2^-24 below 2^16, so 2^13 of them always sum
//!   exactly in f64: only infinities and NaNs need the exact path (they leave a lane
//!   infinite or NaN, which is the block's only check).
//! - float64: each value is split into a high part on a block-wide grid and the exact rest
//!   (`h = (x + C) - C`, `l = x - h`), two lane sums; the grid is speculated from the previous
//!   block and verified with the same loads (see [`sum_f64_into`]).

use half::{bf16, f16};
#[cfg(test)]
use rayon::prelude::*;

use super::{Acc32, Acc64};
use crate::platform::{self, BlockWindow};

/// f64 lanes of the float32 / bfloat16 / float16 kernels (four AVX2 registers).
pub(super) const LANES: usize = 16;
/// Values per lane per float32 block: block = 4096 values (the per-block check, conversion
/// and accumulator add were a sixth of a float32 sum's time at 1024). A block may then span
/// 21 binades (bfloat16 37); a wider one takes `redo_narrow`, whose cost depends on how few
/// values lie outside the window, not on the block's length.
pub(super) const K32: usize = 256;
/// The widest exponent span (in binades) of a float32 block on the fast path.
#[cfg(test)]
pub(super) const F32_MAX_SPAN: i32 = 52 - 23 - K32.trailing_zeros() as i32;
/// Values per lane per float16 block (at most 2^13, see the module comment).
pub(super) const K16: usize = 256;
/// f64 lanes of the float64 kernel (two AVX2 registers per running sum, eight in all with the
/// max / min trackers, so nothing spills).
pub(super) const LANES64: usize = 8;
/// Values per lane per float64 block (2^LOG_K64): block = 1024 values. Each block ends in two
/// lane conversions and accumulator adds, 17 % of a float64 sum at 512 values a block; 1024
/// (a window two binades narrower) ran 36 -> 40 GB/s from cache (1448x1448 float64).
pub(super) const LOG_K64: i32 = 7;
/// The widest exponent span of a float64 block on the fast path (see [`sum_f64_into`]).
#[cfg(test)]
pub(super) const F64_MAX_SPAN: i32 = 54 - 2 * LOG_K64;
pub(super) const K64: usize = 1 << LOG_K64;
/// Elements per parallel task in [`par_sum_f32`]: fixed, so the split never depends on the
/// number of threads (though for exact sums any split gives the same bits anyway).
#[cfg(test)]
const TASK: usize = 1 << 16;

// Blocks taken by the fast and the exact per-value paths on this thread (tests only: they
// check that the random inputs exercise both).
#[cfg(test)]
thread_local! {
    pub(super) static BLOCKS: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
}

#[inline(always)]
pub(super) fn tally(_fast: bool) {
    #[cfg(test)]
    BLOCKS.with(|b| {
        let (f, s) = b.get();
        b.set(if _fast { (f + 1, s) } else { (f, s + 1) });
    });
}

/// `Σ lanes / 2^u` as an integer: each lane is a finite multiple of 2^u below 2^53 of them
/// (the caller's guarantee), so scaling by the power of two and converting are exact. 2^-u
/// is applied as two factors, since alone it may overflow f64 (u reaches -1074); neither
/// partial product overflows or underflows.
#[inline]
pub(super) fn lanes_int<'a>(lanes: impl IntoIterator<Item = &'a f64>, u: i32) -> i64 {
    let pow2 = |k: i32| f64::from_bits(((1023 + k) as u64) << 52);
    let (a, b) = (pow2(-u / 2), pow2(-u - -u / 2));
    lanes
        .into_iter()
        .map(|&v| {
            let y = v * a * b;
            debug_assert!(
                y.fract() == 0.0 && y.abs() <= (1u64 << 53) as f64,
                "lane {v}, 2^{u}"
            );
            y as i64
        })
        .sum()
}

/// A narrow float whose value is exactly the float32 with bits `f32_bits()`, with `MANT`
/// significant mantissa bits.
pub(super) trait Narrow: Copy {
    const MANT: i32;
    /// Rows per block of the column kernel (`exact::columns`; each column is one lane, so a
    /// block pays its check and accumulator add per column): long enough that those are
    /// rare, short enough that a block's window (52 - MANT - log2 of it binades) holds
    /// ordinary data.
    const COLUMN_BLOCK: usize;
    fn f32_bits(self) -> u32;
    /// The platform kernel's [`narrow_pass`] (the same lanes; it reads float32 and bfloat16
    /// bits alike): false when there is none.
    #[inline(always)]
    fn kernel_lanes(
        blk: &[Self],
        s: &mut [f64; LANES],
        mx: &mut [u32; LANES],
        mn: &mut [u32; LANES],
    ) -> bool {
        platform::narrow_lanes(blk, s, mx, mn)
    }
    /// The platform kernel's column pass (`exact::columns`, the same state; it reads float32
    /// and bfloat16 bits alike): the number of leading columns it did (0 without one).
    #[inline(always)]
    fn kernel_columns<const R: usize>(
        rows: &[&[Self]; R],
        sums: &mut [f64],
        max: &mut [u32],
        min: &mut [u32],
    ) -> usize {
        platform::narrow_columns(rows, sums, max, min)
    }
}

impl Narrow for f32 {
    const MANT: i32 = 23;
    /// A window of 19 binades (21 at 256 rows; the per-block check and add per column were
    /// 12 % of axis 0's time there, and 1024 rows were 9 % faster).
    const COLUMN_BLOCK: usize = 1024;
    #[inline(always)]
    fn f32_bits(self) -> u32 {
        self.to_bits()
    }
}

impl Narrow for bf16 {
    const MANT: i32 = 7;
    /// A window of 35 binades still: the per-block check and add were 14 % of axis 0's time
    /// at 256 rows.
    const COLUMN_BLOCK: usize = 1024;
    #[inline(always)]
    fn f32_bits(self) -> u32 {
        u32::from(self.to_bits()) << 16
    }
}

/// Exact Σx into `acc`.
pub(crate) fn sum_f32_into(acc: &mut Acc32, x: &[f32]) {
    platform::avx2_or(
        #[inline(always)]
        || sum_narrow(std::array::from_mut(acc), x),
    );
}

/// Exact Σx into `acc`.
pub(crate) fn sum_bf16_into(acc: &mut Acc32, x: &[bf16]) {
    platform::avx2_or(
        #[inline(always)]
        || sum_bf16_kernel(acc, x),
    );
}

/// Exact sums of the even (`re`) and odd (`im`) elements of `x`: the parts of interleaved
/// complex64 values. `LANES` is even, so each f64 lane of the kernel holds one part.
pub(crate) fn sum_c64_into(re: &mut Acc32, im: &mut Acc32, x: &[f32]) {
    let mut accs = [std::mem::take(re), std::mem::take(im)];
    platform::avx2_or(
        #[inline(always)]
        || sum_narrow(&mut accs, x),
    );
    let [a, b] = accs;
    (*re, *im) = (a, b);
}

/// One block's f64 lane sums, each lane's largest magnitude's bits and smallest non-zero
/// magnitude's bits minus one (zeros wrap to u32::MAX, which never wins the minimum).
#[inline(always)]
pub(super) fn narrow_pass<T: Narrow>(blk: &[T]) -> ([f64; LANES], [u32; LANES], [u32; LANES]) {
    let (mut s, mut mx, mut mn) = ([0f64; LANES], [0u32; LANES], [u32::MAX; LANES]);
    if T::kernel_lanes(blk, &mut s, &mut mx, &mut mn) {
        return (s, mx, mn);
    }
    narrow_pass_portable(blk)
}

/// [`narrow_pass`] without the platform's kernels.
#[inline(always)]
pub(super) fn narrow_pass_portable<T: Narrow>(
    blk: &[T],
) -> ([f64; LANES], [u32; LANES], [u32; LANES]) {
    let (mut s, mut mx, mut mn) = ([0f64; LANES], [0u32; LANES], [u32::MAX; LANES]);
    for c in blk.chunks_exact(LANES) {
        platform::prefetch_ahead(c);
        for j in 0..LANES {
            let b = c[j].f32_bits();
            let a = b & 0x7fff_ffff;
            mx[j] = mx[j].max(a);
            mn[j] = mn[j].min(a.wrapping_sub(1));
            s[j] += f64::from(f32::from_bits(b));
        }
    }
    (s, mx, mn)
}

/// The float32-range kernel. With `F = max(exponent field, 1)`, a finite value is a multiple
/// of 2^(F - 127 - MANT) below 2^(F - 126); so when the block's fields span `F_max - F_min`,
/// each value is below 2^(span + MANT + 1) units of the smallest ulp, and `K32` of them in one
/// lane stay below 2^53 units (exact) when `span <= 52 - MANT - log2(K32)`: 21 binades for
/// float32, 37 for bfloat16. Element `i` goes to `accs[i % P]` (P = 2: complex parts), each
/// part checked on its own lanes.
#[inline(always)]
fn sum_narrow<T: Narrow, const P: usize>(accs: &mut [Acc32; P], x: &[T]) {
    const BLOCK: usize = LANES * K32;
    let max_span = 52 - T::MANT - K32.trailing_zeros() as i32;
    // The last block may be short: whole lane rows on the fast path (fewer values per lane
    // keep the bound), the rest (under LANES values, an even count of them before it, so the
    // parts stay on their lanes) value by value.
    for blk in x.chunks(BLOCK) {
        let (blk, tail) = blk.split_at(blk.len() / LANES * LANES);
        for (i, &v) in tail.iter().enumerate() {
            accs[i % P].add_f32(f32::from_bits(v.f32_bits()));
        }
        narrow_block(accs, blk, max_span);
    }
}

/// One block of [`sum_narrow`] (whole lane rows): its largest magnitude's float32 bits.
#[inline(always)]
fn narrow_block<T: Narrow, const P: usize>(accs: &mut [Acc32; P], blk: &[T], max_span: i32) -> u32 {
    let (s, mx, mn) = narrow_pass(blk);
    for (p, acc) in accs.iter_mut().enumerate() {
        // Part p's lanes as indices k * P + p (step_by's fold was not inlined: 5 % of a
        // float32 sum).
        let part = (0..LANES / P).map(|k| k * P + p);
        let mx = part.clone().map(|j| mx[j]).fold(0, u32::max);
        let mn = part.clone().map(|j| mn[j]).fold(u32::MAX, u32::min);
        if mn == u32::MAX {
            continue; // all zeros
        }
        let fmax = (mx >> 23).max(1) as i32;
        let fmin = ((mn + 1) >> 23).max(1) as i32;
        if mx < 0x7f80_0000 && fmax - fmin <= max_span {
            let u = fmin - 127 - T::MANT;
            let total = lanes_int(part.map(|j| &s[j]), u);
            acc.add_scaled(total, u);
            tally(true);
        } else {
            redo_narrow(acc, blk.iter().skip(p).step_by(P), max_span);
            tally(false);
        }
    }
    mx.into_iter().fold(0, u32::max)
}

/// Binades between the largest and the smallest value that a block of
/// [`platform::bf16_window_lanes`] adds in float32: its values are multiples of the unit
/// `2^(low - 134)` (`low` the window's lowest exponent field) below `2^(fmax - 126)`, so
/// below `2^(fmax - low + 8)` units, and 8 of them in a float32 lane stay below 2^24 units
/// (exact) when `fmax - low <= 13`.
pub(super) const BF16_WINDOW: i32 = 13;

/// The lowest field of the next block's window, from this block's largest field `fmax`: one
/// binade of room above it (a block whose largest value grows more is redone on the wide
/// path), the rest below.
#[inline(always)]
pub(super) fn bf16_window_low(fmax: i32) -> i32 {
    (fmax + 1 - BF16_WINDOW).max(1)
}

/// Exact Σx of bfloat16 in float32 lanes where the block allows it: each block's window is
/// speculated from the block before (no extra pass over memory). A value below the window is
/// left out of the lanes, collected by the kernel and added on its own afterwards; a block
/// that leaves out more than `BF16_SMALL` values, whose largest value breaks the window's
/// top, or which holds an infinity or NaN or values near overflow, is redone on the wide
/// path of [`sum_narrow`] (f64 lanes, 37 binades), which also gives the next block's window. A float32 lane add takes 8 values
/// where the wide path's f64 lanes took two conversions and two adds for 8: from cache
/// (2896x2896, 2 threads, alternating binaries) 20-24 -> 34-38 GB/s; 10000x10000 from
/// memory 24 -> 31-32 (the read kernel 32-50), along axis 1 23 -> 26-29.
#[inline(always)]
fn sum_bf16_kernel(acc: &mut Acc32, x: &[bf16]) {
    const BLOCK: usize = LANES * K32;
    let max_span = 52 - bf16::MANT - K32.trailing_zeros() as i32;
    let accs = std::array::from_mut(acc);
    let mut low: Option<i32> = None;
    for blk in x.chunks(BLOCK) {
        let (blk, tail) = blk.split_at(blk.len() / LANES * LANES);
        for &v in tail {
            accs[0].add_bf16(v);
        }
        let bits: &[u16] = bytemuck::cast_slice(blk);
        // The first block's window from the largest of its first group's values (the wide
        // path cost two windowed passes; a scan of the whole block, its first touch of
        // memory, was a sixth of a bfloat16 sum along rows of 10000).
        let lo = low.unwrap_or_else(|| {
            let head = &bits[..bits.len().min(platform::BF16_GROUP)];
            let max = head.iter().fold(0, |m, &b| m.max(b & 0x7fff));
            bf16_window_low(i32::from(max >> 7).max(1))
        });
        let (mut s, mut small) = ([0f64; LANES], [0u16; platform::BF16_SMALL]);
        let w = platform::bf16_window_lanes(bits, (lo << 7) as u16, &mut s, &mut small);
        if let Some(BlockWindow {
            max,
            small: Some(n),
        }) = w
        {
            let fmax = i32::from(max >> 7).max(1);
            // Below 2^(fmax - 126 + 3) < 2^128, 8 values of a lane stay finite.
            if fmax - lo <= BF16_WINDOW && fmax <= 250 {
                let u = lo - 134;
                accs[0].add_scaled(lanes_int(&s, u), u);
                for &b in &small[..n] {
                    accs[0].add_bf16(bf16::from_bits(b));
                }
                low = Some(bf16_window_low(fmax));
                tally(n == 0);
                continue;
            }
        }
        let mx = narrow_block(accs, blk, max_span);
        low = Some(bf16_window_low(((mx >> 23) as i32).max(1)));
    }
}

/// A block (at most `LANES * K32` values) that spans more than `max_span` binades or holds an
/// infinity or NaN: the values within `max_span` binades of its largest finite one are summed
/// in f64 lanes as on the fast path (the same bound holds), the others (small outliers,
/// specials) go to the accumulator one by one. Two passes over a block in L1 and a few
/// single adds, where adding every value singly cost some 25 fast blocks: a rare outlier
/// (a value near zero in normally distributed data) no longer dominates the time.
#[inline(never)]
fn redo_narrow<'a, T: Narrow + 'a>(
    acc: &mut Acc32,
    x: impl Iterator<Item = &'a T> + Clone,
    max_span: i32,
) {
    let field = |b: u32| ((b >> 23) & 0xff) as i32;
    // With only infinities and NaNs, every value goes singly and the lanes stay zero.
    let top = (x.clone().map(|v| field(v.f32_bits())))
        .filter(|&f| f != 0xff)
        .max()
        .unwrap_or(1);
    // Fields (zero and subnormals count as 1, with the same ulp) from `low` up are summed in
    // the lanes, in units of 2^u.
    let low = (top.max(1) - max_span).max(1);
    let mut lanes = [0f64; LANES];
    for (k, v) in x.enumerate() {
        let b = v.f32_bits();
        let (f, value) = (field(b), f32::from_bits(b));
        if f != 0xff && f.max(1) >= low {
            lanes[k % LANES] += f64::from(value);
        } else {
            acc.add_f32(value);
        }
    }
    let u = low - 127 - T::MANT;
    acc.add_scaled(lanes_int(&lanes, u), u);
}

/// Exact Σx into `acc`.
pub(crate) fn sum_f16_into(acc: &mut Acc32, x: &[f16]) {
    platform::avx2_or(
        #[inline(always)]
        || sum_f16_kernel(acc, x),
    );
}

/// f16 bits to its exact f64 value, finite values only (an infinity or NaN gives some finite
/// value: the caller checks the exponent field). The fields shifted into float32 place are the
/// value times 2^-112, exactly (a float16 subnormal lands on a float32 subnormal, which costs
/// a slow microcode assist on some x86 CPUs but is still exact); 2^112 restores it.
#[inline(always)]
pub(super) fn f16_value(h: u16) -> f64 {
    let b = u32::from(h);
    let scaled = f32::from_bits(((b & 0x7fff) << 13) | ((b & 0x8000) << 16));
    f64::from(scaled * f32::from_bits((127 + 112) << 23))
}

/// The portable float16 lane pass (`platform::f16_lane_sums` is the F16C one, with the same
/// lanes): adds `blk` (whole lane rows) to the lanes `s`, element `k` to lane `k % LANES`.
#[inline(always)]
pub(super) fn f16_lanes(blk: &[u16], s: &mut [f64; LANES]) {
    for c in blk.chunks_exact(LANES) {
        platform::prefetch_ahead(c);
        for j in 0..LANES {
            s[j] += f16_value(c[j]);
        }
    }
}

#[inline(always)]
fn sum_f16_kernel(acc: &mut Acc32, x: &[f16]) {
    const BLOCK: usize = LANES * K16;
    for blk in x.chunks(BLOCK) {
        let (blk, tail) = blk.split_at(blk.len() / LANES * LANES);
        for &v in tail {
            acc.add_f16(v);
        }
        let bits: &[u16] = bytemuck::cast_slice(blk);
        let mut s = [0f64; LANES];
        if !platform::f16_lane_sums(bits, &mut s) {
            f16_lanes(bits, &mut s);
        }
        // Finite lanes: no infinity or NaN was added (finite values sum far below overflow).
        if s.iter().all(|v| v.is_finite()) {
            let total = lanes_int(&s, -24);
            acc.add_scaled(total, -24);
            tally(true);
        } else {
            tally(false);
            for &v in blk {
                acc.add_f16(v);
            }
        }
    }
}

/// Exact Σx into `acc`.
///
/// Per block, with the grid exponent `c` (C = 1.5 * 2^c): every |x| <= 2^(c - 2 - (LOG_K64 -
/// 3)) keeps `x + C` in C's binade, so `h = (x + C) - C` is x rounded to the grid g =
/// 2^(c - 52), exactly, |h| <= 2^(50 - (LOG_K64 - 3)) g, and K64 of them sum below 2^53 g;
/// `l = x - h` is exact, |l| <= g / 2, a multiple of the smallest value's ulp 2^u, and K64 of
/// them stay below 2^53 * 2^u when `c - u <= 106 - LOG_K64`. `c` comes from the previous block
/// (no extra pass over the data); when this block's largest value breaks the first bound, or
/// the second fails, the block is redone with `c` from its own maximum, and only if that
/// still fails (a range of over F64_MAX_SPAN = 40 binades in one block, values near
/// overflow, infinities, NaNs) value by value.
pub(crate) fn sum_f64_into(acc: &mut Acc64, x: &[f64]) {
    platform::avx2_or(
        #[inline(always)]
        || sum_f64_kernel(acc, x),
    );
}

/// Lane sums of the high and low parts, largest magnitude, smallest non-zero magnitude (as
/// bits minus one, reinterpreted: a float no larger, with an exponent at most one lower; zeros
/// become a NaN, which the `<` comparison never picks).
#[inline(always)]
fn f64_pass(blk: &[f64], big: f64) -> ([f64; LANES64], [f64; LANES64], f64, f64) {
    let (mut hs, mut ls) = ([0f64; LANES64], [0f64; LANES64]);
    let (mut mx, mut mn) = ([0f64; LANES64], [f64::INFINITY; LANES64]);
    // The AVX2 kernel computes the same lanes (LLVM vectorises the portable loop poorly:
    // it pairs each lane's high and low sums instead of adjacent lanes).
    if !platform::f64_lanes(blk, big, [&mut hs, &mut ls, &mut mx, &mut mn]) {
        f64_lanes(blk, big, [&mut hs, &mut ls, &mut mx, &mut mn]);
    }
    let mx = mx.into_iter().fold(0.0, |a, b| if b > a { b } else { a });
    let mn = mn
        .into_iter()
        .fold(f64::INFINITY, |a, b| if b < a { b } else { a });
    (hs, ls, mx, mn)
}

/// The portable float64 lane pass: element `k` of `blk` (whole lane rows) into lane
/// `k % LANES64` of the high sums, low sums, largest and smallest magnitudes `[hs, ls, mx,
/// mn]`.
#[inline(always)]
pub(super) fn f64_lanes(blk: &[f64], big: f64, [hs, ls, mx, mn]: [&mut [f64; LANES64]; 4]) {
    for c in blk.chunks_exact(LANES64) {
        platform::prefetch_ahead(c);
        for j in 0..LANES64 {
            let x = c[j];
            let a = f64::from_bits(x.to_bits() & !(1 << 63));
            // `if` rather than f64::max: one maxpd / minpd each, no NaN fix-ups (a NaN
            // shows up in the lane sums instead).
            mx[j] = if a > mx[j] { a } else { mx[j] };
            let a1 = f64::from_bits(a.to_bits().wrapping_sub(1));
            mn[j] = if a1 < mn[j] { a1 } else { mn[j] };
            let h = (x + big) - big;
            hs[j] += h;
            ls[j] += x - h;
        }
    }
}

/// The grid exponent `c` for a float64 block whose largest exponent field is `f` (see
/// [`sum_f64_into`]): c = f - 1023 + 1 + 2 + (LOG_K64 - 3).
#[inline(always)]
pub(super) fn grid_for(f: i32) -> i32 {
    grid_for_k(f, LOG_K64)
}

/// [`grid_for`] for blocks of `2^log_k` values per lane (the column kernels' are longer).
#[inline(always)]
pub(super) fn grid_for_k(f: i32, log_k: i32) -> i32 {
    f - 1023 + log_k
}

/// Binades above a row's or a column's first value that its first float64 grid allows.
const GRID_ROOM: i32 = 16;

/// The first grid of a float64 row or column (blocks of `2^log_k` values per lane),
/// speculated from its first value `x`, with room for values 2^GRID_ROOM times larger (later
/// blocks' grids come from the block before). A block that needs more is redone with its
/// own; the smallest grid instead made every first block a second pass.
#[inline(always)]
pub(super) fn first_grid(x: f64, log_k: i32) -> i32 {
    grid_for_k(field64(x.abs()) + GRID_ROOM, log_k).min(GRID_MAX)
}

/// The largest grid exponent: C = 1.5 * 2^c must stay finite and normal.
pub(super) const GRID_MAX: i32 = 1023;

/// C = 1.5 * 2^c, whose additions round a value to the grid 2^(c - 52).
#[inline(always)]
pub(super) fn grid_constant(c: i32) -> f64 {
    f64::from_bits(((c + 1023) as u64) << 52) * 1.5
}

/// `max(exponent field, 1)` of a non-negative finite f64.
#[inline(always)]
pub(super) fn field64(a: f64) -> i32 {
    ((a.to_bits() >> 52) as i32).max(1)
}

#[inline(always)]
fn sum_f64_kernel(acc: &mut Acc64, x: &[f64]) {
    const BLOCK: usize = LANES64 * K64;
    let mut c = x.first().map_or(grid_for(1), |&v| first_grid(v, LOG_K64));
    'blocks: for blk in x.chunks(BLOCK) {
        // A short last block: whole lane rows as a block, the rest value by value.
        let (blk, tail) = blk.split_at(blk.len() / LANES64 * LANES64);
        slow_f64(acc, tail);
        for attempt in 0..2 {
            let (hs, ls, mx, mn) = f64_pass(blk, grid_constant(c));
            let finite = hs.iter().chain(&ls).all(|v| v.is_finite());
            if finite && mx == 0.0 {
                continue 'blocks; // zeros only
            }
            let fmax = field64(mx);
            let u = field64(mn) - 1075;
            if finite && grid_for(fmax) <= c && c - u <= 106 - LOG_K64 {
                let hi = lanes_int(&hs, c - 52);
                let lo = lanes_int(&ls, u);
                acc.add_scaled(hi, c - 52);
                acc.add_scaled(lo, u);
                tally(true);
                continue 'blocks;
            }
            // Retry once with the grid this block needs (if a finite one exists).
            if attempt == 1 || !mx.is_finite() || grid_for(fmax) > GRID_MAX {
                break;
            }
            c = grid_for(fmax);
        }
        slow_f64(acc, blk);
        tally(false);
    }
}

#[inline(never)]
fn slow_f64(acc: &mut Acc64, x: &[f64]) {
    for &v in x {
        acc.add_f64(v);
    }
}

/// Exact Σx on the rayon pool: fixed `TASK`-element chunks, one accumulator each, merged.
/// The bytes equal a serial [`sum_f32_into`]'s for any thread count.
#[cfg(test)]
pub(crate) fn par_sum_f32(x: &[f32]) -> Acc32 {
    x.par_chunks(TASK)
        .map(|c| {
            let mut a = Acc32::new();
            sum_f32_into(&mut a, c);
            a
        })
        .reduce(Acc32::new, |mut a, b| {
            a.merge(&b);
            a
        })
}

/// As [`par_sum_f32`] for float64.
#[cfg(test)]
pub(crate) fn par_sum_f64(x: &[f64]) -> Acc64 {
    x.par_chunks(TASK)
        .map(|c| {
            let mut a = Acc64::new();
            sum_f64_into(&mut a, c);
            a
        })
        .reduce(Acc64::new, |mut a, b| {
            a.merge(&b);
            a
        })
}
