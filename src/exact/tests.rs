//! Exact sums against a big-integer reference with its own rounding (a binary search over the
//! format's bit patterns, nothing shared with `round.rs`), plus the hard cases by name.

use half::{bf16, f16};
use num_bigint::BigInt;
use proptest::prelude::*;

use super::round::Fmt;
use super::*;

/// The reference works in integer units of 2^-SCALE (below float64's smallest subnormal).
const SCALE: i32 = 1100;

/// The exact value of finite float bits `b` of `fmt`, in units of 2^-SCALE. The infinity
/// pattern gives 2^(bias + 1), the next step after the largest finite value, which makes
/// overflow fall out of the rounding search (its mantissa is even, as ties need).
fn value(b: u64, fmt: Fmt) -> BigInt {
    let sign = b >> fmt.sign != 0;
    let b = b & ((1u64 << fmt.sign) - 1);
    let field = (b >> fmt.mant) as i32;
    let frac = b & ((1 << fmt.mant) - 1);
    let m = if field == 0 {
        frac
    } else {
        frac | 1 << fmt.mant
    };
    let e = field.max(1) - fmt.bias - fmt.mant as i32;
    let v = BigInt::from(m) << (e + SCALE) as usize;
    if sign { -v } else { v }
}

/// Specials seen in an input, as the accumulator's flags.
#[derive(Default)]
pub(super) struct Specials {
    nan: bool,
    pos: bool,
    neg: bool,
}

/// Reference: `sum / n` rounded to nearest even in `fmt` (n == 0: NaN).
fn reference(sum: &BigInt, n: u64, sp: &Specials, fmt: Fmt) -> u64 {
    if n == 0 || sp.nan || (sp.pos && sp.neg) {
        return fmt.nan();
    }
    if sp.pos || sp.neg {
        return fmt.inf(sp.neg);
    }
    if *sum == BigInt::from(0) {
        return 0;
    }
    let neg = *sum < BigInt::from(0);
    let mag = if neg { -sum.clone() } else { sum.clone() };
    let n = BigInt::from(n);
    let inf = fmt.inf(false);
    // Largest pattern in [0, inf] whose value times n is <= mag.
    let (mut lo, mut hi) = (0u64, inf);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if value(mid, fmt) * &n <= mag {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let r = if lo == inf {
        inf
    } else {
        let below = &mag - value(lo, fmt) * &n;
        let above = value(lo + 1, fmt) * &n - &mag;
        if below < above || (below == above && lo & 1 == 0) {
            lo
        } else {
            lo + 1
        }
    };
    r | (u64::from(neg) << fmt.sign)
}

pub(super) fn exact_f64(xs: &[f64]) -> (BigInt, Specials) {
    let mut sp = Specials::default();
    let mut s = BigInt::from(0);
    for &x in xs {
        if x.is_nan() {
            sp.nan = true;
        } else if x.is_infinite() {
            if x > 0.0 {
                sp.pos = true;
            } else {
                sp.neg = true;
            }
        } else {
            s += value(x.to_bits(), Fmt::F64);
        }
    }
    (s, sp)
}

/// Every rounding of `acc` against the reference, for the sum and for the mean over `n`.
pub(super) fn check<const N: usize, const LO: i32>(
    acc: &SuperAcc<N, LO>,
    sum: &BigInt,
    sp: &Specials,
    n: u64,
) {
    let r = |fmt| reference(sum, 1, sp, fmt);
    assert_eq!(acc.round_f64().to_bits(), r(Fmt::F64), "f64");
    assert_eq!(u64::from(acc.round_f32().to_bits()), r(Fmt::F32), "f32");
    assert_eq!(u64::from(acc.round_f16_bits()), r(Fmt::F16), "f16");
    assert_eq!(u64::from(acc.round_bf16_bits()), r(Fmt::BF16), "bf16");
    let m = |fmt| reference(sum, n, sp, fmt);
    assert_eq!(acc.div_round_f64(n).to_bits(), m(Fmt::F64), "mean f64 /{n}");
    assert_eq!(
        u64::from(acc.div_round_f32(n).to_bits()),
        m(Fmt::F32),
        "mean f32 /{n}"
    );
    assert_eq!(
        u64::from(acc.div_round_f16_bits(n)),
        m(Fmt::F16),
        "mean f16 /{n}"
    );
    assert_eq!(
        u64::from(acc.div_round_bf16_bits(n)),
        m(Fmt::BF16),
        "mean bf16 /{n}"
    );
}

fn acc32(xs: &[f32]) -> Acc32 {
    let mut a = Acc32::new();
    sum_f32_into(&mut a, xs);
    a
}

fn acc64(xs: &[f64]) -> Acc64 {
    let mut a = Acc64::new();
    sum_f64_into(&mut a, xs);
    a
}

const P2_24: f32 = 1.0 / 16_777_216.0;

#[test]
fn exact_hard_cases_f32() {
    // Pairwise or serial f32 gives 1.0: the two halves of an ulp only count together.
    assert_eq!(acc32(&[1.0, P2_24, P2_24]).round_f32(), 1.0 + 2.0 * P2_24);
    assert_eq!(acc32(&[16_777_216.0, 1.0, 1.0]).round_f32(), 16_777_218.0);
    assert_eq!(acc32(&[1e30, 1.0, -1e30]).round_f32(), 1.0);
    assert_eq!(acc64(&[1e300, 1.0, -1e300]).round_f64(), 1.0);
    assert_eq!(
        acc64(&[1.0, 2f64.powi(-53), 2f64.powi(-53)]).round_f64(),
        1.0 + 2f64.powi(-52)
    );
}

#[test]
fn exact_ties_to_even() {
    // 1 + 2^-24 is halfway between 1 and 1 + 2^-23: even is 1. 1 + 3 * 2^-24 is halfway between
    // 1 + 2^-23 and 1 + 2^-22: even is the upper one.
    assert_eq!(acc32(&[1.0, P2_24]).round_f32(), 1.0);
    assert_eq!(
        acc32(&[1.0, P2_24, P2_24, P2_24]).round_f32(),
        1.0 + 4.0 * P2_24
    );
    // A hair above the tie rounds up, a hair below down (the sticky bits decide).
    let tiny = f32::from_bits(1);
    assert_eq!(acc32(&[1.0, P2_24, tiny]).round_f32(), 1.0 + 2.0 * P2_24);
    assert_eq!(acc32(&[1.0, P2_24, -tiny]).round_f32(), 1.0);
    assert_eq!(acc32(&[-1.0, -P2_24]).round_f32(), -1.0);
    // Means: 3 / 2 = 1.5 exactly; (1 + 2^-23) / 2 exact; 1 / 3 in f32.
    assert_eq!(acc32(&[1.0, 2.0]).div_round_f32(2), 1.5);
    assert_eq!(acc32(&[1.0, 2.0 * P2_24]).div_round_f32(2), 0.5 + P2_24);
    assert_eq!(acc32(&[1.0]).div_round_f32(3), 1.0 / 3.0);
    assert_eq!(acc64(&[1.0]).div_round_f64(3), 1.0 / 3.0);
    assert_eq!(acc64(&[2.0, 1.0]).div_round_f64(3), 1.0);
}

#[test]
fn exact_float16_edges() {
    let f16s = |v: &[f32]| {
        let mut a = Acc32::new();
        let h: Vec<f16> = v.iter().map(|&x| f16::from_f32(x)).collect();
        sum_f16_into(&mut a, &h);
        a
    };
    // 65504 is float16's largest; 65520 is the tie with the next step (65536 = inf): even
    // means inf. Just below the tie stays finite.
    assert_eq!(f16s(&[65504.0]).round_f16_bits(), 0x7bff);
    assert_eq!(f16s(&[65504.0, 16.0]).round_f16_bits(), 0x7c00);
    assert_eq!(f16s(&[-65504.0, -16.0]).round_f16_bits(), 0xfc00);
    let mut a = f16s(&[65504.0]);
    a.add_f32(15.999);
    assert_eq!(a.round_f16_bits(), 0x7bff);
    // Sums past the range of float16 still exact inside: 65504 * 2 - 65504 = 65504.
    assert_eq!(f16s(&[65504.0, 65504.0, -65504.0]).round_f16_bits(), 0x7bff);
    // Subnormal total: 2^-24 + 2^-24 = 2^-23, three halves of the smallest subnormal.
    assert_eq!(f16s(&[P2_24, P2_24]).round_f16_bits(), 2);
    let mut a = Acc32::new();
    a.add_f32(1.5 * P2_24); // 1.5 ulps: ties to even 2
    assert_eq!(a.round_f16_bits(), 2);
    a.add_f32(-P2_24); // 0.5 ulp: tie to even 0, keeping the sign of a non-zero value
    assert_eq!(a.round_f16_bits(), 0);
    // bfloat16: 1 + 2^-8 is the tie between 1 and 1 + 2^-7.
    assert_eq!(acc32(&[1.0, 1.0 / 256.0]).round_bf16_bits(), 0x3f80);
    assert_eq!(acc32(&[1.0, 3.0 / 256.0]).round_bf16_bits(), 0x3f82);
}

#[test]
fn exact_zeros_and_subnormals() {
    assert_eq!(acc32(&[-0.0, -0.0]).round_f32().to_bits(), 0);
    assert_eq!(acc64(&[-0.0, -0.0]).round_f64().to_bits(), 0);
    assert_eq!(acc32(&[]).round_f32().to_bits(), 0);
    assert_eq!(acc32(&[1.5, -1.0, -0.5]).round_f32().to_bits(), 0);
    assert_eq!(acc64(&[1e300, -1e300]).round_f64().to_bits(), 0);
    assert_eq!(acc64(&[-1e300, 1e300]).div_round_f64(2).to_bits(), 0);
    let t = f32::from_bits(1);
    assert_eq!(acc32(&[t, t, t]).round_f32().to_bits(), 3);
    assert_eq!(
        acc32(&[f32::MIN_POSITIVE, -t]).round_f32().to_bits(),
        0x007f_ffff
    );
    let d = f64::from_bits(1);
    assert_eq!(acc64(&[d, d, -d * 3.0]).round_f64(), -d);
    // A float32 subnormal sum rounded to float64 is exact; a float64 sum rounded to float32
    // underflows to the subnormal nearest.
    assert_eq!(acc32(&[t, t]).round_f64(), 2.0 * f64::from(t));
    assert_eq!(acc64(&[f64::from(t) * 0.75]).round_f32().to_bits(), 1);
    assert_eq!(acc64(&[f64::from(t) * 0.5]).round_f32().to_bits(), 0);
    assert_eq!(
        acc64(&[-f64::from(t) * 0.5]).round_f32().to_bits(),
        0x8000_0000
    );
}

#[test]
fn exact_specials() {
    let inf = f32::INFINITY;
    assert_eq!(acc32(&[inf, 1.0, -5.0]).round_f32(), inf);
    assert_eq!(acc32(&[1.0, -inf]).round_f32(), -inf);
    assert_eq!(acc32(&[inf, -inf]).round_f32().to_bits(), 0x7fc0_0000);
    assert_eq!(acc32(&[1.0, f32::NAN]).round_f32().to_bits(), 0x7fc0_0000);
    assert_eq!(
        acc32(&[-f32::NAN]).round_f64().to_bits(),
        0x7ff8_0000_0000_0000
    );
    assert_eq!(acc32(&[f32::NAN]).round_f16_bits(), 0x7e00);
    assert_eq!(acc32(&[f32::NAN]).round_bf16_bits(), 0x7fc0);
    assert_eq!(acc64(&[f64::INFINITY, f64::MAX]).round_f64(), f64::INFINITY);
    assert_eq!(acc64(&[f64::MAX, f64::MAX]).round_f64(), f64::INFINITY);
    assert_eq!(acc64(&[f64::MAX, f64::MAX]).div_round_f64(2), f64::MAX);
    assert_eq!(
        acc64(&[-f64::MAX, -f64::MAX]).round_f32(),
        f32::NEG_INFINITY
    );
    assert_eq!(
        acc32(&[f32::MAX, f32::MAX, -f32::MAX]).round_f32(),
        f32::MAX
    );
    assert!(acc32(&[]).div_round_f32(0).is_nan());
    assert_eq!(acc32(&[inf]).div_round_f32(3), inf);
    // Specials beside every fast path (a whole block with one NaN / inf in it).
    let mut v = vec![1.0f32; 1000];
    v[700] = -inf;
    assert_eq!(acc32(&v).round_f32(), -inf);
    let mut v = vec![1.0f64; 1000];
    v[300] = f64::NAN;
    assert!(acc64(&v).round_f64().is_nan());
    let mut h = vec![f16::ONE; 5000];
    h[4500] = f16::INFINITY;
    let mut a = Acc32::new();
    sum_f16_into(&mut a, &h);
    assert_eq!(a.round_f16_bits(), 0x7c00);
}

#[test]
fn exact_words_roundtrip_and_merge() {
    let a = acc64(&[1e300, -3.5, 1e-300, f64::INFINITY]);
    let w = a.to_words();
    assert_eq!(w.len(), WORDS64);
    assert_eq!(w[0], 2, "+inf flag");
    let back = Acc64::from_words(&w).unwrap();
    assert_eq!(back.to_words(), w);
    assert!(Acc32::from_words(&w).is_none());
    let mut bad = w.clone();
    bad[0] = 8; // an unknown flag
    assert!(Acc64::from_words(&bad).is_none());
    let mut huge = w.clone();
    huge[WORDS64 - 1] = 0x4000_0000; // a total no sum reaches
    assert!(Acc64::from_words(&huge).is_none());
    assert!(Acc32::new().is_zero() && !a.is_zero());
    // Two's complement: -1 ulp of 2^-149 is all ones above digit 0's bit 11.
    let m = acc32(&[-f32::from_bits(1)]).to_words();
    assert_eq!(m.len(), WORDS32);
    assert_eq!(m[1], 0xffff_f800);
    assert!(m[2..].iter().all(|&d| d == u32::MAX));
    // Word-level merges equal accumulator merges, whatever the grouping.
    let xs: Vec<f32> = (0..3000).map(|i| (i as f32 - 1500.5) * 1.37e-3).collect();
    let (p, q) = xs.split_at(1234);
    let mut wp = acc32(p).to_words();
    merge_words(&mut wp, &acc32(q).to_words());
    assert_eq!(wp, acc32(&xs).to_words());
    let mut nan = acc32(&[f32::NAN]).to_words();
    merge_words(&mut nan, &m);
    assert_eq!(nan[0], 1);
    assert_eq!(nan[1..], m[1..]);
    assert_eq!(
        round_words(&wp, Fmt::F32, 1),
        u64::from(acc32(&xs).round_f32().to_bits())
    );
    assert_eq!(
        round_words(&acc64(&[1.0, 2.0]).to_words(), Fmt::F64, 2),
        1.5f64.to_bits()
    );
}

/// A float32 from a random word. Mode 0: a mix of anything finite, subnormals, powers of two,
/// extremes, zeros, 1e-30 beside 1e30, and values within 6 binades of `base`. Mode 1: values
/// within 6 binades of `base` with one outlier from the mix in ~16384 (most blocks of 4096
/// take the fast path). Modes 2 and 3 stress the fast path's limit on the exponent span of a block:
/// positive values, 7 in 8 at the top binade and 1 in 8 at the bottom, spanning the most a
/// fast float32 block allows (F32_MAX_SPAN) and one more (such blocks must not take the fast path:
/// their f64 lane sums would round).
pub(super) fn f32_from(w: u64, base: i32, mode: u8) -> f32 {
    let sign = ((w >> 63) as u32 & u32::from(mode < 2)) << 31;
    let frac = (w as u32) & 0x007f_ffff;
    let pick = match mode {
        0 => (w >> 32) % 16,
        _ if (w >> 32).is_multiple_of(16384) => (w >> 44) % 6,
        1 => 6,
        _ => 7,
    };
    let field = match pick {
        0 => ((w >> 40) % 255) as u32, // anywhere finite
        1 => 0,                        // subnormal
        2 => return f32::from_bits(sign | (((w >> 40) % 255) as u32) << 23), // 2^k
        3 => 254 - ((w >> 40) % 3) as u32, // near the top
        4 => [27u32, 227][((w >> 40) % 2) as usize], // ~1e-30 and ~1e30
        5 => return 0.0,
        _ if mode < 2 => (base + ((w >> 40) % 12) as i32 - 6).clamp(1, 254) as u32,
        _ => (base + bimodal(w, block::F32_MAX_SPAN + mode as i32 - 2)).clamp(1, 254) as u32,
    };
    f32::from_bits(sign | field << 23 | frac)
}

/// 0 (1 in 8) or `span` (7 in 8), from bits of `w` the callers do not use otherwise.
fn bimodal(w: u64, span: i32) -> i32 {
    if (w >> 40).is_multiple_of(8) { 0 } else { span }
}

/// As [`f32_from`] for float64 (mode 1: within 15 binades of `base`), where modes 2 and 3 span F64_MAX_SPAN binades and one more with 7 in 8 values
/// at the bottom, most of them just below half a grid step above the grid (see
/// `sum_f64_into`), so that their low parts add up to the most the fast path allows. Mode 4:
/// positive values just below a power of two, whose high parts add up to the most allowed.
pub(super) fn f64_from(w: u64, v: u64, base: i32, mode: u8) -> f64 {
    let sign = w & (u64::from(mode < 2) << 63);
    let mut frac = v & 0x000f_ffff_ffff_ffff;
    let pick = match mode {
        0 => (w >> 32) % 16,
        _ if (w >> 32).is_multiple_of(4096) => (w >> 44) % 6,
        1 => 6,
        _ => 7,
    };
    let field = match pick {
        0 => (w >> 40) % 2047,
        1 => 0,
        2 => return f64::from_bits(sign | ((w >> 40) % 2047) << 52),
        3 => 2046 - (w >> 40) % 3,
        4 => [923u64, 1123][((w >> 40) % 2) as usize],
        5 => return 0.0,
        _ if mode < 2 => (base + ((w >> 40) % 30) as i32 - 15).clamp(1, 2046) as u64,
        _ if mode == 4 => {
            frac |= 0x000f_ff00_0000_0000;
            base.clamp(1, 2046) as u64
        }
        _ => {
            let span = block::F64_MAX_SPAN + mode as i32 - 2;
            let top = bimodal(w, span) == 0; // 1 in 8
            if !top && !v.is_multiple_of(4) {
                // The low span + 5 bits lie below the grid: 0111...1 is just under half.
                let low = (span + block::LOG_K64) as u32;
                frac = (frac >> low << low) | ((1 << (low - 1)) - 1);
            }
            (base + if top { span } else { 0 }).clamp(1, 2046) as u64
        }
    };
    f64::from_bits(sign | field << 52 | frac)
}

/// A slow shift of the typical exponent along a vector (a few binades every few blocks).
pub(super) fn drift(i: usize) -> i32 {
    [0, 3, -4, 9, 1, -2][i / 1500 % 6]
}

/// Cancellation: some values followed later by their negation.
pub(super) fn with_negations<T: Copy + std::ops::Neg<Output = T>>(v: &mut [T], words: &[u64]) {
    for (i, &w) in words.iter().enumerate() {
        if w % 4 == 0 && i > 0 {
            let j = (w >> 8) as usize % i;
            v[i] = -v[j];
        }
    }
}

/// Splits `n` at the positions the words pick (sorted, deduplicated).
fn cuts(n: usize, words: &[u64]) -> Vec<usize> {
    let mut c: Vec<usize> = words.iter().map(|&w| w as usize % (n + 1)).collect();
    c.extend([0, n]);
    c.sort_unstable();
    c.dedup();
    c
}

/// Sums the pieces into separate accumulators and merges them in reverse order.
fn split_sum<T, const N: usize, const LO: i32>(
    x: &[T],
    at: &[usize],
    f: impl Fn(&mut SuperAcc<N, LO>, &[T]),
) -> SuperAcc<N, LO> {
    let parts: Vec<SuperAcc<N, LO>> = at
        .windows(2)
        .map(|w| {
            let mut a = SuperAcc::new();
            f(&mut a, &x[w[0]..w[1]]);
            a
        })
        .collect();
    let mut total = SuperAcc::new();
    for p in parts.iter().rev() {
        total.merge(p);
    }
    total
}

fn words(max: usize) -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(any::<u64>(), 0..max)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn exact_f32_matches_reference(ws in words(2000), base in 1i32..254, cut in words(6),
                                   mode in 0u8..4) {
        let mut x: Vec<f32> = ws.iter().enumerate()
            .map(|(i, &w)| f32_from(w, base + drift(i), mode)).collect();
        with_negations(&mut x, &ws);
        let mut sum = BigInt::from(0);
        let mut sp = Specials::default();
        for &v in &x {
            let (s, p) = exact_f64(&[f64::from(v)]);
            sum += s;
            sp.nan |= p.nan; sp.pos |= p.pos; sp.neg |= p.neg;
        }
        let a = acc32(&x);
        check(&a, &sum, &sp, x.len() as u64 + 1);
        // Value by value, and split anywhere and merged, give the same bytes.
        let mut one = Acc32::new();
        x.iter().for_each(|&v| one.add_f32(v));
        prop_assert_eq!(one.to_words(), a.to_words());
        let split = split_sum(&x, &cuts(x.len(), &cut), sum_f32_into);
        prop_assert_eq!(split.to_words(), a.to_words());
        prop_assert_eq!(Acc32::from_words(&a.to_words()).unwrap().to_words(), a.to_words());
    }

    #[test]
    fn exact_f64_matches_reference(ws in words(2000), vs in words(2000), base in 1i32..2046,
                                   cut in words(6), mode in 0u8..5) {
        let mut x: Vec<f64> = ws.iter().zip(vs.iter().chain(std::iter::repeat(&7)))
            .enumerate()
            .map(|(i, (&w, &v))| f64_from(w, v, base + 3 * drift(i), mode)).collect();
        with_negations(&mut x, &ws);
        let (sum, sp) = exact_f64(&x);
        let a = acc64(&x);
        check(&a, &sum, &sp, x.len() as u64 + 1);
        let mut one = Acc64::new();
        x.iter().for_each(|&v| one.add_f64(v));
        prop_assert_eq!(one.to_words(), a.to_words());
        let split = split_sum(&x, &cuts(x.len(), &cut), sum_f64_into);
        prop_assert_eq!(split.to_words(), a.to_words());
    }

    #[test]
    fn exact_f16_bf16_match_reference(ws in words(9000), cut in words(4), wide in any::<bool>()) {
        // Random bits (specials included when `wide`), else finite values of all sizes.
        let bits: Vec<u16> = ws.iter().map(|&w| {
            let b = w as u16;
            if wide || b & 0x7c00 != 0x7c00 { b } else { b & 0xbfff }
        }).collect();
        let mut h: Vec<f16> = bits.iter().map(|&b| f16::from_bits(b)).collect();
        let mut g: Vec<bf16> = bits.iter().map(|&b| bf16::from_bits(b)).collect();
        with_negations(&mut h, &ws);
        with_negations(&mut g, &ws);
        let n = h.len() as u64;
        let hv: Vec<f64> = h.iter().map(|v| v.to_f64()).collect();
        let (sum, sp) = exact_f64(&hv);
        let mut a = Acc32::new();
        sum_f16_into(&mut a, &h);
        check(&a, &sum, &sp, n.max(1));
        let split = split_sum(&h, &cuts(h.len(), &cut), sum_f16_into);
        prop_assert_eq!(split.to_words(), a.to_words());
        let gv: Vec<f64> = g.iter().map(|v| v.to_f64()).collect();
        let (sum, sp) = exact_f64(&gv);
        let mut a = Acc32::new();
        sum_bf16_into(&mut a, &g);
        check(&a, &sum, &sp, n + 7);
        let mut one = Acc32::new();
        g.iter().for_each(|&v| one.add_bf16(v));
        prop_assert_eq!(one.to_words(), a.to_words());
    }
}

/// bfloat16 from the float32 generator's modes (0-3), or (mode 4) with exponent fields
/// below `base` in a geometric tail (2^-k of them k or more binades down): windowed blocks
/// then leave a few values out now and then, and sometimes more than they collect.
pub(super) fn bf16_from(w: u64, base: i32, mode: u8) -> bf16 {
    if mode < 4 {
        return bf16::from_f32(f32_from(w, base, mode));
    }
    let field = (base - (w >> 40).trailing_zeros() as i32).clamp(0, 254) as u16;
    bf16::from_bits(((w >> 63) as u16) << 15 | field << 7 | (w as u16 & 0x7f))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// The windowed bfloat16 kernel over several blocks: windows speculated from the block
    /// before and broken by the drift, values below the window, near overflow, specials.
    #[test]
    fn exact_bf16_windows_match_reference(ws in words(16000), base in 1i32..254,
                                          mode in 0u8..5, cut in words(4)) {
        let mut g: Vec<bf16> = ws.iter().enumerate()
            .map(|(i, &w)| bf16_from(w, base + drift(i), mode)).collect();
        with_negations(&mut g, &ws);
        let gv: Vec<f64> = g.iter().map(|v| v.to_f64()).collect();
        let (sum, sp) = exact_f64(&gv);
        let mut a = Acc32::new();
        sum_bf16_into(&mut a, &g);
        check(&a, &sum, &sp, g.len() as u64 + 1);
        let mut one = Acc32::new();
        g.iter().for_each(|&v| one.add_bf16(v));
        prop_assert_eq!(one.to_words(), a.to_words());
        let split = split_sum(&g, &cuts(g.len(), &cut), sum_bf16_into);
        prop_assert_eq!(split.to_words(), a.to_words());
    }
}

/// (fast, exact-path) blocks that `f` ran on this thread.
pub(super) fn blocks(f: impl FnOnce()) -> (u64, u64) {
    block::BLOCKS.with(|b| b.set((0, 0)));
    f();
    block::BLOCKS.with(|b| b.get())
}

/// The random inputs of the property tests reach both paths of every kernel (else they would
/// only test the per-value path against itself).
#[test]
fn exact_fast_paths_taken() {
    let mut rng = crate::cpu::TestRng(77);
    let ws: Vec<u64> = (0..100_000).map(|_| rng.next()).collect();
    for (mode, base) in [(1, 127), (2, 127), (1, 3), (1, 240)] {
        let x: Vec<f32> = ws.iter().map(|&w| f32_from(w, base, mode)).collect();
        let (fast, slow) = blocks(|| {
            acc32(&x);
        });
        assert!(
            fast > 2 * slow && slow > 0,
            "f32 {mode} {base}: {fast} {slow}"
        );
        let g: Vec<bf16> = x.iter().map(|&v| bf16::from_f32(v)).collect();
        let (fast, slow) = blocks(|| sum_bf16_into(&mut Acc32::new(), &g));
        assert!(
            fast > 2 * slow && slow > 0,
            "bf16 {mode} {base}: {fast} {slow}"
        );
    }
    // The windowed bfloat16 blocks that collect values below the window count as exact-path
    // blocks: a steady geometric tail reaches them (about one value in 2^13 lies below the
    // window) while other blocks collect none.
    for base in [20, 127, 240] {
        let g: Vec<bf16> = ws.iter().map(|&w| bf16_from(w, base, 4)).collect();
        let (fast, slow) = blocks(|| sum_bf16_into(&mut Acc32::new(), &g));
        assert!(fast > 0 && slow > 0, "bf16 tail {base}: {fast} {slow}");
    }
    for (mode, base) in [(1, 1023), (2, 1023), (1, 30), (1, 2000)] {
        // Mode 2 spans the most a block allows, so a block holding a drift step takes the
        // exact path: steps here come every 3000 values, about three float64 blocks.
        let y: Vec<f64> = (ws.iter().enumerate())
            .map(|(i, &w)| f64_from(w, w.rotate_left(9), base + 3 * drift(i / 2), mode))
            .collect();
        let (fast, slow) = blocks(|| {
            acc64(&y);
        });
        assert!(fast > slow && slow > 0, "f64 {mode} {base}: {fast} {slow}");
    }
    let h: Vec<f16> = ws
        .iter()
        .map(|&w| f16::from_bits(w as u16 & 0xbfff))
        .collect();
    let (fast, slow) = blocks(|| sum_f16_into(&mut Acc32::new(), &h));
    assert!(fast > 0 && slow == 0, "f16: {fast} {slow}");
}

/// Thread count independence: 1 and 2 rayon threads and the serial sum give the same bytes
/// (and the same as the reference), on data with wide range and cancellation.
#[test]
fn exact_parallel_thread_independent() {
    let mut rng = crate::cpu::TestRng(0x9e37_79b9_7f4a_7c15);
    let n = 300_000;
    let ws: Vec<u64> = (0..n).map(|_| rng.next()).collect();
    let mut x: Vec<f32> = ws.iter().map(|&w| f32_from(w, 120, 1)).collect();
    x[12345] = 1e30;
    x[200_000] = -1e30;
    x[54321] = f32::from_bits(3);
    let y: Vec<f64> = ws
        .iter()
        .map(|&w| f64_from(w, w.rotate_left(17), 1000, 2))
        .collect();
    let serial = acc32(&x).to_words();
    let serial64 = acc64(&y).to_words();
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let (a, b) = pool.install(|| (par_sum_f32(&x), block::par_sum_f64(&y)));
        assert_eq!(a.to_words(), serial, "{threads} threads");
        assert_eq!(b.to_words(), serial64, "{threads} threads");
    }
    let xv: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let (sum, sp) = exact_f64(&xv);
    check(&acc32(&x), &sum, &sp, n as u64);
}

/// Speed probe: `cargo test --release --lib exact_speed -- --ignored --nocapture`.
#[test]
#[ignore]
fn exact_speed() {
    use std::hint::black_box;
    use std::time::Instant;
    let n = 100_000_000usize;
    let mut rng = crate::cpu::TestRng(12345);
    let x: Vec<f32> = (0..n)
        .map(|_| (rng.next() >> 40) as f32 / 16_777_216.0 - 0.5)
        .collect();
    let y: Vec<f64> = x.iter().map(|&v| f64::from(v) * 1.000_000_1).collect();
    let h: Vec<f16> = x.iter().map(|&v| f16::from_f32(v * 100.0)).collect();
    let g: Vec<bf16> = x.iter().map(|&v| bf16::from_f32(v)).collect();
    fn best(bytes: usize, mut f: impl FnMut()) -> f64 {
        (0..5)
            .map(|_| {
                let t = Instant::now();
                f();
                bytes as f64 / t.elapsed().as_secs_f64() / 1e9
            })
            .fold(0.0, f64::max)
    }
    // membw.rs's read kernel: 32 independent f32 lanes.
    let read = |x: &[f32]| {
        let mut acc = [0f32; 32];
        let mut it = x.chunks_exact(32);
        for c in &mut it {
            for j in 0..32 {
                acc[j] += c[j];
            }
        }
        acc.iter().sum::<f32>() + it.remainder().iter().sum::<f32>()
    };
    let read_gb = best(4 * n, || {
        black_box(crate::platform::avx2_or(|| read(black_box(&x))));
    });
    println!("plain f32 read: {read_gb:.2} GB/s");
    let report =
        |name: &str, gb: f64| println!("{name}: {gb:.2} GB/s, {:.2} of read", gb / read_gb);
    report(
        "exact f32",
        best(4 * n, || {
            black_box(acc32(black_box(&x)).round_f32());
        }),
    );
    report(
        "exact f64",
        best(8 * n, || {
            black_box(acc64(black_box(&y)).round_f64());
        }),
    );
    report(
        "exact f16",
        best(2 * n, || {
            let mut a = Acc32::new();
            sum_f16_into(&mut a, black_box(&h));
            black_box(a.round_f16_bits());
        }),
    );
    report(
        "exact bf16",
        best(2 * n, || {
            let mut a = Acc32::new();
            sum_bf16_into(&mut a, black_box(&g));
            black_box(a.round_bf16_bits());
        }),
    );
    report("exact f32, 1e30 every 1000", {
        let mut w = x.clone();
        w.iter_mut().step_by(1000).for_each(|v| *v = 1e30);
        best(4 * n, || {
            black_box(acc32(black_box(&w)).round_f32());
        })
    });
    // In cache: the kernels' own speed, without the memory bound.
    let small = &x[..1 << 16];
    let read_l2 = best(4 << 16, || {
        black_box(crate::platform::avx2_or(|| read(black_box(small))));
    });
    let exact_l2 = best(4 << 16, || {
        black_box(acc32(black_box(small)).round_f32());
    });
    println!("in L2 (256 KiB): plain read {read_l2:.2} GB/s, exact f32 {exact_l2:.2} GB/s");
    let mut a = Acc32::new();
    let t = Instant::now();
    for &v in &x[..10_000_000] {
        a.add_f32(black_box(v));
    }
    println!(
        "add_f32: {:.2} ns per call",
        t.elapsed().as_secs_f64() * 1e9 / 1e7
    );
    black_box(a.round_f32());
}
