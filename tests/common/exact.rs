//! The exact-sum reference of the integration tests: big integers in units of 2^-1100 and a
//! rounding by binary search over the output format's bit patterns (nothing shared with the
//! library's rounding).

use ndgpu::DType;
use num_bigint::BigInt;

/// A binary float format: explicit mantissa bits, bias, sign bit.
#[derive(Clone, Copy, Debug)]
pub struct Fmt {
    pub mant: u32,
    pub bias: i32,
    pub sign: u32,
}

/// The format of a float dtype's result (complex64: each float32 part).
pub fn fmt_of(d: DType) -> Fmt {
    match d {
        DType::Float16 => Fmt {
            mant: 10,
            bias: 15,
            sign: 15,
        },
        DType::BFloat16 => Fmt {
            mant: 7,
            bias: 127,
            sign: 15,
        },
        DType::Float64 => Fmt {
            mant: 52,
            bias: 1023,
            sign: 63,
        },
        _ => Fmt {
            mant: 23,
            bias: 127,
            sign: 31,
        },
    }
}

impl Fmt {
    pub fn inf(self, neg: bool) -> u64 {
        (((2 * self.bias + 1) as u64) << self.mant) | (u64::from(neg) << self.sign)
    }
    pub fn nan(self) -> u64 {
        self.inf(false) | (1 << (self.mant - 1))
    }
}

const SCALE: i32 = 1100;

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

/// The exact value of a finite float64 in units of 2^-SCALE.
fn value_f64(x: f64) -> BigInt {
    value(x.to_bits(), fmt_of(DType::Float64))
}

/// The exact sum of `xs` (any floats, widened exactly to f64) divided by `n`, rounded once to
/// `fmt` with the contract's specials: any NaN or both infinities -> the canonical NaN, one
/// infinity -> it, exact zero -> +0.0, n == 0 -> NaN. Returns the result's bits.
pub fn exact_bits(xs: &[f64], n: u64, fmt: Fmt) -> u64 {
    let (mut nan, mut pos, mut neg) = (false, false, false);
    let mut sum = BigInt::from(0);
    for &x in xs {
        if x.is_nan() {
            nan = true;
        } else if x == f64::INFINITY {
            pos = true;
        } else if x == f64::NEG_INFINITY {
            neg = true;
        } else {
            sum += value_f64(x);
        }
    }
    if n == 0 || nan || (pos && neg) {
        return fmt.nan();
    }
    if pos || neg {
        return fmt.inf(neg);
    }
    if sum == BigInt::from(0) {
        return 0;
    }
    let negative = sum < BigInt::from(0);
    let mag = if negative { -sum } else { sum };
    let n = BigInt::from(n);
    let inf = fmt.inf(false);
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
    r | (u64::from(negative) << fmt.sign)
}

/// [`exact_bits`] widened back to an f64 (the value the tests' `decode` gives for a result
/// of `dtype`).
pub fn exact_value(xs: &[f64], n: u64, dtype: DType) -> f64 {
    let b = exact_bits(xs, n, fmt_of(dtype));
    match dtype {
        DType::Float16 => half::f16::from_bits(b as u16).to_f64(),
        DType::BFloat16 => half::bf16::from_bits(b as u16).to_f64(),
        DType::Float64 => f64::from_bits(b),
        _ => f64::from(f32::from_bits(b as u32)),
    }
}
