//! The one rounding routine: a normalised accumulator (optionally divided by a count) to a
//! binary float format, to nearest, ties to even, rounded once.
//!
//! Specials first: a NaN, or both infinities, give the canonical quiet NaN; one infinity gives
//! itself; a count of zero (the mean of nothing) gives NaN. An exact zero gives +0.0; a
//! non-zero value too small for the format rounds to a zero of its own sign (IEEE). Past the
//! largest finite value the carry of the rounding lands on the infinity pattern by itself.

use super::{NAN, NEG_INF, POS_INF};

/// A binary interchange format: explicit mantissa bits, exponent bias, sign bit position.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fmt {
    pub mant: u32,
    pub bias: i32,
    pub sign: u32,
}

impl Fmt {
    pub const F64: Fmt = Fmt {
        mant: 52,
        bias: 1023,
        sign: 63,
    };
    pub const F32: Fmt = Fmt {
        mant: 23,
        bias: 127,
        sign: 31,
    };
    pub const F16: Fmt = Fmt {
        mant: 10,
        bias: 15,
        sign: 15,
    };
    pub const BF16: Fmt = Fmt {
        mant: 7,
        bias: 127,
        sign: 15,
    };

    /// The format of a float dtype (complex64: its float32 parts); None for the others.
    pub fn of(dtype: crate::DType) -> Option<Fmt> {
        use crate::DType as D;
        match dtype {
            D::Float16 => Some(Fmt::F16),
            D::BFloat16 => Some(Fmt::BF16),
            D::Float32 | D::Complex64 => Some(Fmt::F32),
            D::Float64 => Some(Fmt::F64),
            _ => None,
        }
    }

    pub fn inf(self, neg: bool) -> u64 {
        (((2 * self.bias + 1) as u64) << self.mant) | (u64::from(neg) << self.sign)
    }

    /// The canonical quiet NaN: positive, top mantissa bit only.
    pub fn nan(self) -> u64 {
        self.inf(false) | (1 << (self.mant - 1))
    }
}

/// Digits of the widest accumulator (68 limbs), one more for the split top limb, and four for
/// the quotient bits a division appends below the lowest limb.
const MAX_DIGITS: usize = 68 + 1 + 4;
/// Zero digits appended below the value before dividing: at least 2^128 / 2^64 = 2^64 > 2^54
/// quotient bits for any non-zero value and 64-bit count, more than any format keeps.
const DIV_EXTRA: usize = 4;

/// Rounds `Σ twos[i] * 2^(lo + 32 i) / count` to `fmt`, as bits: `twos` are the
/// two's-complement base-2^32 digits of the canonical words (see `SuperAcc::write_words`),
/// `flags` their special-value flags.
pub(super) fn round_twos(twos: &[u32], lo: i32, flags: u8, count: u64, fmt: Fmt) -> u64 {
    if count == 0 || flags & NAN != 0 || flags & (POS_INF | NEG_INF) == POS_INF | NEG_INF {
        return fmt.nan();
    }
    if flags != 0 {
        return fmt.inf(flags == NEG_INF);
    }
    // The digits with DIV_EXTRA zero digits first (used only when dividing).
    let mut d = [0u32; MAX_DIGITS];
    let digits = &mut d[..twos.len() + DIV_EXTRA];
    digits[DIV_EXTRA..].copy_from_slice(twos);
    let neg = twos.last().is_some_and(|&t| t >> 31 != 0);
    if neg {
        // Two's-complement negation: invert, add one.
        let mut carry = true;
        for x in digits.iter_mut() {
            let (v, c) = (!*x).overflowing_add(u32::from(carry));
            *x = v;
            carry = c;
        }
    }
    let mut sticky = false;
    let (digits, lo) = if count == 1 {
        (&digits[DIV_EXTRA..], lo)
    } else {
        // Schoolbook long division by a 64-bit count, top digit first; the remainder only
        // matters as non-zero (the sticky bit).
        let mut rem = 0u128;
        for x in digits.iter_mut().rev() {
            let cur = (rem << 32) | u128::from(*x);
            *x = (cur / u128::from(count)) as u32;
            rem = cur % u128::from(count);
        }
        sticky = rem != 0;
        (&digits[..], lo - 32 * DIV_EXTRA as i32)
    };
    round_digits(neg, digits, lo, sticky, fmt)
}

/// Rounds the magnitude `Σ digits[i] * 2^(lo + 32 i)`, plus some positive amount below the
/// lowest digit's weight when `sticky`, to `fmt`, with sign `neg`.
fn round_digits(neg: bool, digits: &[u32], lo: i32, mut sticky: bool, fmt: Fmt) -> u64 {
    let Some(t) = digits.iter().rposition(|&x| x != 0) else {
        // Exact zero is +0.0 (a division of zero leaves no remainder, so no sticky here).
        debug_assert!(!sticky);
        return 0;
    };
    // The top four digits as a 128-bit integer with its top bit set; everything below goes
    // into the sticky bit 0, which lies far below the rounding position (>= 75 bits down).
    let digit = |k: isize| if k >= 0 { digits[k as usize] } else { 0 };
    let t = t as isize;
    let mut m = 0u128;
    for k in 0..4 {
        m = (m << 32) | u128::from(digit(t - k));
    }
    sticky |= digits[..(t - 3).max(0) as usize].iter().any(|&x| x != 0);
    let lz = digits[t as usize].leading_zeros();
    m = (m << lz) | u128::from(sticky);
    // value ~= m * 2^em, m in [2^127, 2^128): its binary exponent is em + 127.
    let em = lo + 32 * (t as i32 - 3) - lz as i32;
    let exp = em + 127;
    if exp > fmt.bias {
        return fmt.inf(neg);
    }
    let (mant, emin) = (fmt.mant as i32, 1 - fmt.bias);
    // The weight of the result's last bit (fixed at the subnormal spacing below emin).
    let q = (exp - mant).max(emin - mant);
    let drop = q - em; // >= 127 - 52
    let r = match drop {
        129.. => 0,
        // m * 2^em lies in [half an ulp, an ulp): ties (m == 2^127) go to the even zero.
        128 => u64::from(m > 1 << 127),
        _ => {
            let r = (m >> drop) as u64;
            let rem = m & ((1u128 << drop) - 1);
            let half = 1u128 << (drop - 1);
            r + u64::from(rem > half || (rem == half && r & 1 == 1))
        }
    };
    // Normal: the implicit bit of r lands on the exponent field, hence (biased exponent - 1);
    // subnormal: q == emin - mant gives field 0. A rounding carry bumps the exponent, up to
    // the infinity pattern past the largest finite value.
    let field = (q - (emin - mant)) as u64;
    ((field << fmt.mant) + r) | (u64::from(neg) << fmt.sign)
}
