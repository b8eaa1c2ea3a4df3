//! The column kernels (`columns.rs`) against the value-by-value sum and the big-integer
//! reference of `tests.rs`, column by column: any tile width, row range, group remainder and
//! block boundary, values outside a block's window, specials, subnormals, -0.0 and
//! cancellation across blocks, with and without the nan-variants' skipping.

use std::ops::Range;

use half::{bf16, f16};
use proptest::prelude::*;

use super::columns::{F64State, NarrowState};
use super::tests::{
    bf16_from, blocks, check, drift, exact_f64, f32_from, f64_from, with_negations,
};
use super::*;
use crate::cpu::TestRng;

/// Sums the columns `cols` over `rows` of the `[_, inner]` slab with `kernel` and checks each
/// column's accumulator: the same words as adding its values one by one (leaving out those
/// `skipped(row, col)` says the nan-variant drops), and every rounding equal to the
/// reference's.
#[allow(clippy::too_many_arguments)]
fn check_columns<T: Copy, const N: usize, const LO: i32>(
    slab: &[T],
    inner: usize,
    cols: Range<usize>,
    rows: Range<usize>,
    kernel: impl Fn(&mut [SuperAcc<N, LO>], &[T], usize, usize, Range<usize>),
    skipped: impl Fn(usize, usize) -> bool,
    add_one: impl Fn(&mut SuperAcc<N, LO>, T),
    to_f64: impl Fn(T) -> f64,
) {
    let mut accs = vec![SuperAcc::new(); cols.len()];
    kernel(&mut accs, slab, inner, cols.start, rows.clone());
    for (j, acc) in cols.zip(&accs) {
        let vals: Vec<T> = (rows.clone())
            .filter(|&r| !skipped(r, j))
            .map(|r| slab[r * inner + j])
            .collect();
        let mut one = SuperAcc::new();
        vals.iter().for_each(|&v| add_one(&mut one, v));
        assert_eq!(acc.to_words(), one.to_words(), "column {j}");
        let (sum, sp) = exact_f64(&vals.iter().map(|&v| to_f64(v)).collect::<Vec<_>>());
        check(acc, &sum, &sp, vals.len() as u64 + 1);
    }
}

/// A random shape: `inner` columns, `len` rows, and a column range and row range inside.
fn shape(rng: &mut TestRng) -> (usize, usize, Range<usize>, Range<usize>) {
    // One shape in four is tall and narrow: several of the longest column blocks.
    let tall = rng.next().is_multiple_of(4);
    let inner = 1 + (rng.next() % if tall { 9 } else { 40 }) as usize;
    let len = 1 + (rng.next() % if tall { 2600 } else { 400 }) as usize;
    let c0 = (rng.next() as usize) % inner;
    let c1 = c0 + 1 + (rng.next() as usize) % (inner - c0);
    let r0 = (rng.next() as usize) % len;
    let r1 = r0 + (rng.next() as usize) % (len - r0 + 1);
    (inner, len, c0..c1, r0..r1)
}

/// Replaces about one value in 64 by NaN, +inf, -inf or -0.0 (`special` picks from the word).
fn sprinkle<T: Copy>(v: &mut [T], words: &[u64], special: impl Fn(u64) -> T) {
    for (x, &w) in v.iter_mut().zip(words) {
        if w % 64 == 1 {
            *x = special(w >> 8);
        }
    }
}

fn special_f32(w: u64) -> f32 {
    [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0][w as usize % 4]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn columns_f32_c64_match_reference(seed in 1u64.., base in 1i32..254, mode in 0u8..4,
                                       specials in any::<bool>(), skip_nan in any::<bool>()) {
        let mut rng = TestRng(seed);
        let (inner, len, cols, rows) = shape(&mut rng);
        let ws: Vec<u64> = (0..inner * len).map(|_| rng.next()).collect();
        let mut x: Vec<f32> = ws.iter().enumerate()
            .map(|(i, &w)| f32_from(w, base + drift(i / inner * 8), mode)).collect();
        with_negations(&mut x, &ws);
        if specials {
            sprinkle(&mut x, &ws, special_f32);
        }
        let kernel = |a: &mut [Acc32], s: &[f32], i, c, r| columns_f32(a, s, i, c, r, skip_nan);
        check_columns(&x, inner, cols.clone(), rows.clone(), kernel,
            |r, c| skip_nan && x[r * inner + c].is_nan(), Acc32::add_f32, f64::from);
        let g: Vec<bf16> = x.iter().map(|&v| bf16::from_f32(v)).collect();
        let kernel = |a: &mut [Acc32], s: &[bf16], i, c, r| columns_bf16(a, s, i, c, r, skip_nan);
        check_columns(&g, inner, cols.clone(), rows.clone(), kernel,
            |r, c| skip_nan && g[r * inner + c].is_nan(), Acc32::add_bf16, f64::from);
        // The same floats as complex64: float32 columns in (real, imaginary) pairs, a pair
        // dropped whole by the nan-variants when either part is NaN.
        let pairs = inner.div_ceil(2);
        let mut z = x.clone();
        z.resize(2 * pairs * len, 0.5);
        let cols = 2 * (cols.start / 2)..2 * cols.end.div_ceil(2).min(pairs);
        let kernel = |a: &mut [Acc32], s: &[f32], i, c, r| columns_c64(a, s, i, c, r, skip_nan);
        let nan_pair = |r: usize, c: usize| {
            z[r * 2 * pairs + c].is_nan() || z[r * 2 * pairs + (c ^ 1)].is_nan()
        };
        check_columns(&z, 2 * pairs, cols, rows, kernel, |r, c| skip_nan && nan_pair(r, c),
            Acc32::add_f32, f64::from);
    }

    #[test]
    fn columns_f64_match_reference(seed in 1u64.., base in 1i32..2046, mode in 0u8..5,
                                   specials in any::<bool>(), skip_nan in any::<bool>()) {
        let mut rng = TestRng(seed);
        let (inner, len, cols, rows) = shape(&mut rng);
        let ws: Vec<u64> = (0..inner * len).map(|_| rng.next()).collect();
        let mut x: Vec<f64> = ws.iter().enumerate()
            .map(|(i, &w)| f64_from(w, w.rotate_left(23), base + 3 * drift(i / inner * 8), mode))
            .collect();
        with_negations(&mut x, &ws);
        if specials {
            sprinkle(&mut x, &ws, |w| f64::from(special_f32(w)));
        }
        let kernel = |a: &mut [Acc64], s: &[f64], i, c, r| columns_f64(a, s, i, c, r, skip_nan);
        check_columns(&x, inner, cols, rows, kernel,
            |r, c| skip_nan && x[r * inner + c].is_nan(), Acc64::add_f64, |v| v);
    }

    #[test]
    fn columns_f16_match_reference(seed in 1u64.., wide in any::<bool>(),
                                   skip_nan in any::<bool>()) {
        let mut rng = TestRng(seed);
        let (inner, len, cols, rows) = shape(&mut rng);
        let ws: Vec<u64> = (0..inner * len).map(|_| rng.next()).collect();
        // Random bits (specials included when `wide`), else finite values of all sizes.
        let mut h: Vec<f16> = ws.iter().map(|&w| {
            let b = w as u16;
            f16::from_bits(if wide || b & 0x7c00 != 0x7c00 { b } else { b & 0xbfff })
        }).collect();
        with_negations(&mut h, &ws);
        let kernel = |a: &mut [Acc32], s: &[f16], i, c, r| columns_f16(a, s, i, c, r, skip_nan);
        check_columns(&h, inner, cols, rows, kernel,
            |r, c| skip_nan && h[r * inner + c].is_nan(), Acc32::add_f16, f64::from);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The windowed bfloat16 column kernel (16 columns a step) over several blocks of up to
    /// 1024 rows after the first 64: windows from the block before, broken by the drift,
    /// values below a window (the geometric tail of mode 4), specials, nan-variants.
    #[test]
    fn columns_bf16_windows_match_reference(seed in 1u64.., base in 1i32..254, mode in 0u8..5,
                                            specials in any::<bool>(),
                                            skip_nan in any::<bool>()) {
        let mut rng = TestRng(seed);
        let inner = 16 + (rng.next() % 40) as usize;
        let len = 1 + (rng.next() % 2600) as usize;
        let c0 = (rng.next() as usize) % (inner - 15);
        let c1 = c0 + 16 + (rng.next() as usize) % (inner - c0 - 15);
        let r0 = (rng.next() as usize) % len;
        let ws: Vec<u64> = (0..inner * len).map(|_| rng.next()).collect();
        let mut g: Vec<bf16> = ws.iter().enumerate()
            .map(|(i, &w)| bf16_from(w, base + drift(i / inner * 8), mode)).collect();
        with_negations(&mut g, &ws);
        if specials {
            sprinkle(&mut g, &ws, |w| bf16::from_f32(special_f32(w)));
        }
        let kernel = |a: &mut [Acc32], s: &[bf16], i, c, r| columns_bf16(a, s, i, c, r, skip_nan);
        check_columns(&g, inner, c0..c1, r0..len, kernel,
            |r, c| skip_nan && g[r * inner + c].is_nan(), Acc32::add_bf16, f64::from);
    }
}

/// A bfloat16 column block whose largest value grows past its window's top (speculated from
/// the first block, of 1.0s) while its lanes hold a value with a bit at the window's lowest
/// unit: float32 lanes would round it away, so the block must go value by value (each of the
/// 16 columns, the kernel's step, and 3 more, the portable columns).
#[test]
fn columns_bf16_window_break_goes_exact() {
    let (inner, len) = (19, 64 + 16);
    let grown = bf16::from_f32(63.5); // 2^5 * 1.98: 17 binades above the window's lowest field
    let odd = bf16::from_bits(((127 + 1 - 13) << 7) | 1); // that field, its last bit set
    let mut g = vec![bf16::from_f32(1.0); inner * len];
    for c in 0..inner {
        g[64 * inner + c] = grown;
        g[66 * inner + c] = odd;
    }
    let (fast, slow) = blocks(|| {
        let kernel = |a: &mut [Acc32], s: &[bf16], i, c, r| columns_bf16(a, s, i, c, r, false);
        check_columns(
            &g,
            inner,
            0..inner,
            0..len,
            kernel,
            |_, _| false,
            Acc32::add_bf16,
            f64::from,
        );
    });
    assert!(
        fast >= inner as u64 && slow == inner as u64,
        "{fast} {slow}"
    );
}

/// Named cases, each in one column of a 9-wide, 300-row slab (past a group of 8 columns, over
/// several 64-row blocks): values far outside a block's window, cancellation across blocks,
/// -0.0 only, subnormals beside normals, infinities and NaN. Both the fast and the exact
/// per-value path must run, and every column must match the reference.
#[test]
fn columns_named_cases_take_both_paths() {
    let (inner, len) = (9, 300);
    let mut x = vec![0.0f32; inner * len];
    let mut set = |r: usize, c: usize, v: f32| x[r * inner + c] = v;
    for r in 0..len {
        let t = r as f32;
        set(r, 0, 1.0 + t / 1024.0); // ordinary: fast blocks
        set(r, 1, if r % 50 == 7 { 1e30 } else { 1.0 }); // outside the window
        set(r, 2, -0.0);
        set(
            r,
            3,
            f32::from_bits(1 + r as u32) * if r % 2 == 0 { 1.0 } else { 1e30 },
        );
        set(r, 4, if r == 10 { f32::INFINITY } else { t });
        set(r, 5, if r == 299 { f32::NAN } else { 0.1 });
        set(r, 6, if r < 64 { 1e20 + t } else { 0.0 }); // cancelled below
        set(
            r,
            7,
            if r == 0 {
                f32::INFINITY
            } else if r == 250 {
                f32::NEG_INFINITY
            } else {
                3.0
            },
        );
        set(r, 8, [2f32.powi(-24), 1.0, 2f32.powi(-24)][r % 3]);
    }
    for r in 0..64 {
        let v = -x[r * inner + 6];
        x[(r + 200) * inner + 6] = v;
    }
    for skip_nan in [false, true] {
        let kernel = |a: &mut [Acc32], s: &[f32], i, c, r| columns_f32(a, s, i, c, r, skip_nan);
        let (fast, slow) = blocks(|| {
            check_columns(
                &x,
                inner,
                0..inner,
                0..len,
                kernel,
                |r, c| skip_nan && x[r * inner + c].is_nan(),
                Acc32::add_f32,
                f64::from,
            );
        });
        assert!(fast > 0 && slow > 0, "{fast} {slow}");
        let y: Vec<f64> = x.iter().map(|&v| f64::from(v) * 1e200).collect();
        let kernel = |a: &mut [Acc64], s: &[f64], i, c, r| columns_f64(a, s, i, c, r, skip_nan);
        let (fast, slow) = blocks(|| {
            check_columns(
                &y,
                inner,
                0..inner,
                0..len,
                kernel,
                |r, c| skip_nan && y[r * inner + c].is_nan(),
                Acc64::add_f64,
                |v| v,
            );
        });
        assert!(fast > 0 && slow > 0, "{fast} {slow}");
    }
}

/// Where the CPU has F16C, its float16 kernels give the same lanes, bit for bit, as the
/// portable loops they replace (finite values of every size, subnormals included).
#[test]
fn f16c_kernels_equal_the_portable_loops() {
    let mut rng = TestRng(5);
    let bits: Vec<u16> = (0..16 * 300)
        .map(|_| rng.next() as u16)
        .map(|b| if b & 0x7c00 == 0x7c00 { b & 0xbfff } else { b })
        .collect();
    let (mut want, mut got) = ([0f64; 16], [0f64; 16]);
    super::block::f16_lanes(&bits, &mut want);
    if crate::platform::f16_lane_sums(&bits, &mut got) {
        assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits));
    }
    let (w, n) = (21, 37); // 37 rows: several float32 groups of 8 in the kernel
    let rows: Vec<&[u16]> = bits.chunks_exact(w).take(n).collect();
    let rows: [&[u16]; 37] = rows.try_into().expect("37 rows");
    let mut want = vec![0.5f64; w];
    super::columns::f16_columns_portable(&rows, &mut want, 0);
    let mut got = vec![0.5f64; w];
    let done = crate::platform::f16_columns(&rows, &mut got);
    super::columns::f16_columns_portable(&rows, &mut got[done..], done);
    let bits_of = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits_of(&got), bits_of(&want));
}

/// Where the CPU has AVX2, the float64 lane kernel gives the same lanes, bit for bit, as the
/// portable loop it replaces: infinities, zeros and subnormals included (no NaN inputs: which
/// of two NaN payloads an addition keeps depends on operand order, and the callers discard
/// such lanes anyway).
#[test]
fn avx2_f64_lanes_equal_the_portable_loop() {
    let mut rng = TestRng(11);
    let x: Vec<f64> = (0..8 * 200)
        .map(|i| match i % 37 {
            3 => f64::INFINITY,
            5 => f64::NEG_INFINITY,
            7 => -0.0,
            11 => f64::from_bits(rng.next() >> 12),
            _ => f64::from_bits(rng.next() & !(0x7ff << 52) | (1000 + rng.next() % 40) << 52),
        })
        .collect();
    for big in [1.5, 1.5 * 2f64.powi(-30), 1.5 * 2f64.powi(900)] {
        let mut want = [[0f64; 8], [0.25; 8], [1.0; 8], [f64::INFINITY; 8]];
        let mut got = want;
        let [a, b, c, d] = &mut want;
        super::block::f64_lanes(&x, big, [a, b, c, d]);
        let [a, b, c, d] = &mut got;
        if crate::platform::f64_lanes(&x, big, [a, b, c, d]) {
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g.map(f64::to_bits), w.map(f64::to_bits), "2^{big}");
            }
        }
        // The column kernel: 37 rows of 43 columns (a remainder past the last 4), each
        // column with its own grid.
        let (w, n) = (43, 37);
        let rows: Vec<&[f64]> = x.chunks_exact(w).take(n).collect();
        let bigs: Vec<f64> = (0..w).map(|j| big * 2f64.powi(j as i32 % 5)).collect();
        let fresh = || F64State {
            big: bigs.clone(),
            hi: vec![0.0; w],
            lo: vec![0.25; w],
            max: vec![1.0; w],
            min: vec![f64::INFINITY; w],
        };
        let (mut want, mut got) = (fresh(), fresh());
        want.add_rows_portable(&rows, 0);
        let state = [
            &mut got.hi[..],
            &mut got.lo[..],
            &mut got.max[..],
            &mut got.min[..],
        ];
        let done = crate::platform::f64_columns(&rows, &bigs, state);
        got.add_rows_portable(&rows, done);
        let bits_of = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for (g, w) in [
            (&got.hi, &want.hi),
            (&got.lo, &want.lo),
            (&got.max, &want.max),
        ] {
            assert_eq!(bits_of(g), bits_of(w), "columns, 2^{big}");
        }
        assert_eq!(bits_of(&got.min), bits_of(&want.min), "columns, 2^{big}");
    }
}

/// Where the CPU has AVX2, the float32-range column pass gives the same state, bit for bit, as
/// the portable loop, for float32 and bfloat16 rows (random bits but NaNs: infinities, zeros
/// and subnormals included; see `avx2_f64_lanes_equal_the_portable_loop` on NaN payloads).
#[test]
fn avx2_narrow_columns_equal_the_portable_loop() {
    fn check<T: super::block::Narrow>(x: &[T]) {
        let w = 43;
        let rows: [&[T]; 8] = std::array::from_fn(|r| &x[r * w..][..w]);
        let fresh = || {
            let mut s = NarrowState::new(w);
            s.sums
                .iter_mut()
                .enumerate()
                .for_each(|(j, v)| *v = j as f64 * 0.25);
            s.max
                .iter_mut()
                .enumerate()
                .for_each(|(j, v)| *v = j as u32 * 0x0100_0000);
            // Some smallest-so-far values (as the kernels keep them: bits minus one).
            s.min
                .iter_mut()
                .enumerate()
                .filter(|(j, _)| j % 3 == 1)
                .for_each(|(j, v)| *v = (j as u32 * 0x0080_0000) - 1);
            s
        };
        let (mut want, mut got) = (fresh(), fresh());
        // Two passes, so that the second reads the state in the kernel's own form.
        want.add_rows_portable(&rows, 0);
        want.add_rows_portable(&rows[3..], 0);
        crate::platform::narrow_columns_form::<T>(&mut got.max, &mut got.min, true);
        let done = T::kernel_columns(&rows, &mut got.sums, &mut got.max, &mut got.min);
        let tail: &[&[T]; 5] = rows[3..].try_into().expect("5 rows");
        assert_eq!(
            T::kernel_columns(tail, &mut got.sums, &mut got.max, &mut got.min),
            done
        );
        crate::platform::narrow_columns_form::<T>(&mut got.max, &mut got.min, false);
        got.add_rows_portable(&rows, done);
        got.add_rows_portable(&rows[3..], done);
        let bits_of = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits_of(&got.sums), bits_of(&want.sums));
        assert_eq!((got.max, got.min), (want.max, want.min));
    }
    let mut rng = TestRng(17);
    let no_nan = |b: u32| {
        if b & 0x7f80_0000 == 0x7f80_0000 {
            b & 0xff80_0000
        } else {
            b
        }
    };
    // Zeros of both signs too (a zero's smallest wraps to the top).
    let f: Vec<f32> = (0..43 * 8)
        .map(|i| match i % 9 {
            0 => 0.0,
            1 => -0.0,
            _ => f32::from_bits(no_nan(rng.next() as u32)),
        })
        .collect();
    check(&f);
    let h: Vec<bf16> = f
        .iter()
        .map(|v| bf16::from_bits((v.to_bits() >> 16) as u16))
        .collect();
    check(&h);
}

/// Where the CPU has AVX2, the bfloat16 and float32 lane kernels give the same lanes, bit for
/// bit, as the portable loop (random bits: infinities, zeros and subnormals included; NaN
/// inputs become infinities, since which of two NaN payloads an addition keeps depends on
/// operand order, and the callers discard such lanes anyway).
#[test]
fn avx2_narrow_lanes_equal_the_portable_loop() {
    let mut rng = TestRng(13);
    let bits: Vec<u16> = (0..16 * 64)
        .map(|i| {
            if i % 5 == 0 {
                0x3f80
            } else if i % 7 == 0 {
                [0, 0x8000][i % 2] // zeros of both signs
            } else {
                rng.next() as u16
            }
        })
        .map(|b| if b & 0x7f80 == 0x7f80 { b & 0xff80 } else { b })
        .collect();
    let as_f32: Vec<f32> = bits
        .iter()
        .map(|&b| f32::from_bits(u32::from(b) << 16))
        .collect();
    let want = super::block::narrow_pass_portable(&as_f32);
    let (mut s, mut mx, mut mn) = ([0f64; 16], [0u32; 16], [u32::MAX; 16]);
    if crate::platform::narrow_lanes(&bits, &mut s, &mut mx, &mut mn) {
        assert_eq!(s.map(f64::to_bits), want.0.map(f64::to_bits));
        assert_eq!((mx, mn), (want.1, want.2));
    }
    // The float32 lane kernel over the same values and over random float32 bits (no NaN).
    let mut rng = TestRng(14);
    let f: Vec<f32> = (0..16 * 64)
        .map(|i| match i % 7 {
            0 => as_f32[i],
            1 => [0.0, -0.0][i % 2],
            _ => {
                let b = rng.next() as u32;
                f32::from_bits(if b & 0x7f80_0000 == 0x7f80_0000 {
                    b & 0xff80_0000
                } else {
                    b
                })
            }
        })
        .collect();
    for x in [&as_f32, &f] {
        let want = super::block::narrow_pass_portable(x);
        let (mut s, mut mx, mut mn) = ([0f64; 16], [0u32; 16], [u32::MAX; 16]);
        if crate::platform::narrow_lanes(x, &mut s, &mut mx, &mut mn) {
            assert_eq!(s.map(f64::to_bits), want.0.map(f64::to_bits));
            assert_eq!((mx, mn), (want.1, want.2));
        }
    }
}
