//! Bit-exact conversions between f16/bf16/f32/f64 and integers, plus order-preserving argmax
//! keys, written with integer operations only so that `shaders/common/convert.wgsl` can mirror
//! them line for line and the CPU and GPU produce the same bytes. Change both files together.
//!
//! Floats are passed as their bit patterns. Rounding is to nearest, ties to even, done once.
//! NaNs keep their sign and top payload bits and are quieted (as x86 and the `half` crate do).
//! Float to integer follows Rust `as`: truncate, saturate to the bounds given, NaN to 0.

/// Rounds `sig * 2^(e - 31)` to the format with `m` mantissa bits and exponent bias `bias`.
/// `sig` must have bit 31 set; its bit 0 may be a sticky bit standing for dropped lower bits.
/// `sgn` is the sign bit already in place.
#[inline]
fn cvt_round_pack(sgn: u32, e: i32, sig_in: u32, m: u32, bias: i32) -> u32 {
    let inf_bits = ((2 * bias + 1) as u32) << m;
    let mut be = e + bias;
    if be > 2 * bias {
        return sgn | inf_bits;
    }
    let mut sig = sig_in;
    if be < 1 {
        // Subnormal: shift to the fixed exponent 1, keeping what falls off as a sticky bit.
        let dist = (1 - be) as u32;
        if dist < 31 {
            sig = (sig >> dist) | u32::from((sig << (32 - dist)) != 0);
        } else {
            sig = u32::from(sig != 0);
        }
        be = 1;
    }
    let shift = 31 - m;
    // The implicit bit of `sig >> shift` lands on the exponent field, hence `be - 1`; a carry
    // from rounding then bumps the exponent (or makes a subnormal normal, or reaches inf).
    let mut packed = (((be - 1) as u32) << m) + (sig >> shift);
    let rem = sig & ((1 << shift) - 1);
    let halfway = 1 << (shift - 1);
    packed += u32::from(rem > halfway || (rem == halfway && (packed & 1) == 1));
    sgn | packed
}

/// f64 bits to a narrower format (`m` mantissa bits, `bias`, sign bit at `sbit`).
#[inline]
fn cvt_f64_narrow(b: u64, m: u32, bias: i32, sbit: u32) -> u32 {
    let inf_bits = ((2 * bias + 1) as u32) << m;
    let sgn = ((b >> 63) as u32) << sbit;
    let ex = ((b >> 52) & 0x7ff) as u32;
    let man = b & 0x000f_ffff_ffff_ffff;
    if ex == 0x7ff {
        if man != 0 {
            return sgn | inf_bits | (1 << (m - 1)) | ((man >> (52 - m)) as u32);
        }
        return sgn | inf_bits;
    }
    let mant = man | (u64::from(ex != 0) << 52);
    if mant == 0 {
        return sgn;
    }
    let lz = mant.leading_zeros();
    let x = mant << lz;
    let sig = ((x >> 32) as u32) | u32::from((x as u32) != 0);
    let e = ex.max(1) as i32 - 1012 - lz as i32;
    cvt_round_pack(sgn, e, sig, m, bias)
}

/// Unsigned integer magnitude `v` to the format (`m`, `bias`), with sign bit `sgn` in place.
#[inline]
fn cvt_u64_round(sgn: u32, v: u64, m: u32, bias: i32) -> u32 {
    if v == 0 {
        return 0;
    }
    let lz = v.leading_zeros();
    let x = v << lz;
    let sig = ((x >> 32) as u32) | u32::from((x as u32) != 0);
    cvt_round_pack(sgn, 63 - lz as i32, sig, m, bias)
}

/// Integer magnitude `v` to f64 bits with sign bit `sgn` (bit 63) in place.
#[inline]
fn cvt_u64_to_f64(sgn: u64, v: u64) -> u64 {
    if v == 0 {
        return 0;
    }
    let lz = v.leading_zeros();
    let x = v << lz;
    let mut packed = (u64::from(1085 - lz) << 52) + (x >> 11);
    let rem = x & 0x7ff;
    packed += u64::from(rem > 0x400 || (rem == 0x400 && (packed & 1) == 1));
    sgn | packed
}

#[inline]
pub(crate) fn f32_to_f16(b: u32) -> u16 {
    let sgn = (b >> 16) & 0x8000;
    let ex = (b >> 23) & 0xff;
    let man = b & 0x007f_ffff;
    if ex == 0xff {
        if man != 0 {
            return (sgn | 0x7e00 | (man >> 13)) as u16;
        }
        return (sgn | 0x7c00) as u16;
    }
    let mant = man | (u32::from(ex != 0) << 23);
    if mant == 0 {
        return sgn as u16;
    }
    let lz = mant.leading_zeros();
    let e = ex.max(1) as i32 - 119 - lz as i32;
    cvt_round_pack(sgn, e, mant << lz, 10, 15) as u16
}

#[inline]
pub(crate) fn f32_to_bf16(b: u32) -> u16 {
    if (b & 0x7fff_ffff) > 0x7f80_0000 {
        return ((b >> 16) | 0x0040) as u16;
    }
    // Same exponent range as f32, so rounding the low half away is the whole job; the carry
    // handles mantissa overflow and max-finite -> inf.
    ((b + 0x7fff + ((b >> 16) & 1)) >> 16) as u16
}

#[inline]
pub(crate) fn f64_to_f32(b: u64) -> u32 {
    cvt_f64_narrow(b, 23, 127, 31)
}

#[inline]
pub(crate) fn f64_to_f16(b: u64) -> u16 {
    cvt_f64_narrow(b, 10, 15, 15) as u16
}

#[inline]
pub(crate) fn f64_to_bf16(b: u64) -> u16 {
    cvt_f64_narrow(b, 7, 127, 15) as u16
}

#[inline]
pub(crate) fn f16_to_f32(h: u16) -> u32 {
    let h = u32::from(h);
    let sgn = (h & 0x8000) << 16;
    let ex = (h >> 10) & 0x1f;
    let man = h & 0x03ff;
    if ex == 0x1f {
        if man != 0 {
            return sgn | 0x7fc0_0000 | (man << 13);
        }
        return sgn | 0x7f80_0000;
    }
    if ex == 0 {
        if man == 0 {
            return sgn;
        }
        // Subnormal: move the leading 1 onto the implicit bit (bit 10).
        let s = man.leading_zeros() - 21;
        let f = (man << s) & 0x03ff;
        return sgn | ((113 - s) << 23) | (f << 13);
    }
    sgn | ((ex + 112) << 23) | (man << 13)
}

#[inline]
pub(crate) fn bf16_to_f32(h: u16) -> u32 {
    let h = u32::from(h);
    if (h & 0x7fff) > 0x7f80 {
        return (h | 0x0040) << 16;
    }
    h << 16
}

#[inline]
pub(crate) fn f32_to_f64(b: u32) -> u64 {
    let sgn = u64::from(b >> 31) << 63;
    let ex = (b >> 23) & 0xff;
    let man = b & 0x007f_ffff;
    if ex == 0xff {
        if man != 0 {
            return sgn | 0x7ff8_0000_0000_0000 | (u64::from(man) << 29);
        }
        return sgn | 0x7ff0_0000_0000_0000;
    }
    if ex == 0 {
        if man == 0 {
            return sgn;
        }
        // Subnormal: move the leading 1 onto the implicit bit (bit 23).
        let s = man.leading_zeros() - 8;
        let f = (man << s) & 0x007f_ffff;
        return sgn | (u64::from(897 - s) << 52) | (u64::from(f) << 29);
    }
    sgn | (u64::from(ex + 896) << 52) | (u64::from(man) << 29)
}

#[inline]
pub(crate) fn f16_to_f64(h: u16) -> u64 {
    // Both steps are exact and apply the same NaN rule, so composing them is exact too.
    f32_to_f64(f16_to_f32(h))
}

#[inline]
pub(crate) fn bf16_to_f64(h: u16) -> u64 {
    f32_to_f64(bf16_to_f32(h))
}

#[inline]
pub(crate) fn u64_to_f16(v: u64) -> u16 {
    cvt_u64_round(0, v, 10, 15) as u16
}

#[inline]
pub(crate) fn i64_to_f16(v: i64) -> u16 {
    cvt_u64_round(((v as u64) >> 63 << 15) as u32, v.unsigned_abs(), 10, 15) as u16
}

#[inline]
pub(crate) fn u64_to_bf16(v: u64) -> u16 {
    cvt_u64_round(0, v, 7, 127) as u16
}

#[inline]
pub(crate) fn i64_to_bf16(v: i64) -> u16 {
    cvt_u64_round(((v as u64) >> 63 << 15) as u32, v.unsigned_abs(), 7, 127) as u16
}

#[inline]
pub(crate) fn u64_to_f32(v: u64) -> u32 {
    cvt_u64_round(0, v, 23, 127)
}

#[inline]
pub(crate) fn i64_to_f32(v: i64) -> u32 {
    cvt_u64_round(((v as u64) >> 63 << 31) as u32, v.unsigned_abs(), 23, 127)
}

#[inline]
pub(crate) fn u64_to_f64(v: u64) -> u64 {
    cvt_u64_to_f64(0, v)
}

#[inline]
pub(crate) fn i64_to_f64(v: i64) -> u64 {
    cvt_u64_to_f64((v as u64) >> 63 << 63, v.unsigned_abs())
}

/// Truncates f32 bits toward zero and clamps to `[lo, hi]` (`lo <= 0 <= hi`); NaN -> 0.
#[inline]
pub(crate) fn f32_to_i64_sat(b: u32, lo: i64, hi: i64) -> i64 {
    let ex = (b >> 23) & 0xff;
    if ex == 0xff && (b & 0x007f_ffff) != 0 {
        return 0;
    }
    let e = ex as i32 - 127;
    let mant = u64::from((b & 0x007f_ffff) | 0x0080_0000);
    let mut mag = 0u64;
    if e >= 63 {
        mag = 1 << 63;
    } else if e >= 23 {
        mag = mant << (e - 23);
    } else if e >= 0 {
        mag = mant >> (23 - e);
    }
    if (b >> 31) != 0 {
        // mag == 2^63 negates to i64::MIN, the right saturated value.
        return (mag.wrapping_neg() as i64).max(lo);
    }
    (mag.min(i64::MAX as u64) as i64).min(hi)
}

/// Truncates f32 bits toward zero and clamps to `[0, hi]`; NaN -> 0.
#[inline]
pub(crate) fn f32_to_u64_sat(b: u32, hi: u64) -> u64 {
    let ex = (b >> 23) & 0xff;
    if (ex == 0xff && (b & 0x007f_ffff) != 0) || (b >> 31) != 0 {
        return 0;
    }
    let e = ex as i32 - 127;
    let mant = u64::from((b & 0x007f_ffff) | 0x0080_0000);
    let mut mag = 0u64;
    if e >= 64 {
        mag = u64::MAX;
    } else if e >= 23 {
        mag = mant << (e - 23);
    } else if e >= 0 {
        mag = mant >> (23 - e);
    }
    mag.min(hi)
}

/// Truncates f64 bits toward zero and clamps to `[lo, hi]` (`lo <= 0 <= hi`); NaN -> 0.
#[inline]
pub(crate) fn f64_to_i64_sat(b: u64, lo: i64, hi: i64) -> i64 {
    let ex = ((b >> 52) & 0x7ff) as u32;
    if ex == 0x7ff && (b & 0x000f_ffff_ffff_ffff) != 0 {
        return 0;
    }
    let e = ex as i32 - 1023;
    let mant = (b & 0x000f_ffff_ffff_ffff) | 0x0010_0000_0000_0000;
    let mut mag = 0u64;
    if e >= 63 {
        mag = 1 << 63;
    } else if e >= 52 {
        mag = mant << (e - 52);
    } else if e >= 0 {
        mag = mant >> (52 - e);
    }
    if (b >> 63) != 0 {
        return (mag.wrapping_neg() as i64).max(lo);
    }
    (mag.min(i64::MAX as u64) as i64).min(hi)
}

/// Truncates f64 bits toward zero and clamps to `[0, hi]`; NaN -> 0.
#[inline]
pub(crate) fn f64_to_u64_sat(b: u64, hi: u64) -> u64 {
    let ex = ((b >> 52) & 0x7ff) as u32;
    if (ex == 0x7ff && (b & 0x000f_ffff_ffff_ffff) != 0) || (b >> 63) != 0 {
        return 0;
    }
    let e = ex as i32 - 1023;
    let mant = (b & 0x000f_ffff_ffff_ffff) | 0x0010_0000_0000_0000;
    let mut mag = 0u64;
    if e >= 64 {
        mag = u64::MAX;
    } else if e >= 52 {
        mag = mant << (e - 52);
    } else if e >= 0 {
        mag = mant >> (52 - e);
    }
    mag.min(hi)
}

// Argmax keys: unsigned, ordered like the numbers, -0 == +0, every NaN the single largest key.

#[inline]
pub(crate) fn f16_key(h: u16) -> u16 {
    if (h & 0x7fff) > 0x7c00 {
        return 0xffff;
    }
    let c = if h == 0x8000 { 0 } else { h };
    if (c >> 15) != 0 { !c } else { c | 0x8000 }
}

#[inline]
pub(crate) fn bf16_key(h: u16) -> u16 {
    if (h & 0x7fff) > 0x7f80 {
        return 0xffff;
    }
    let c = if h == 0x8000 { 0 } else { h };
    if (c >> 15) != 0 { !c } else { c | 0x8000 }
}

#[inline]
pub(crate) fn f32_key(b: u32) -> u32 {
    if (b & 0x7fff_ffff) > 0x7f80_0000 {
        return u32::MAX;
    }
    let c = if b == 0x8000_0000 { 0 } else { b };
    if (c >> 31) != 0 { !c } else { c | 0x8000_0000 }
}

#[inline]
pub(crate) fn f64_key(b: u64) -> u64 {
    if (b & 0x7fff_ffff_ffff_ffff) > 0x7ff0_0000_0000_0000 {
        return u64::MAX;
    }
    let c = if b == 0x8000_0000_0000_0000 { 0 } else { b };
    if (c >> 63) != 0 {
        !c
    } else {
        c | 0x8000_0000_0000_0000
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use half::{bf16, f16};
    use std::cmp::Ordering;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            // splitmix64
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn next32(&mut self) -> u32 {
            (self.next() >> 32) as u32
        }
        /// Random integer with a random bit length, so all magnitudes get exercised.
        fn wide(&mut self) -> u64 {
            let r = self.next();
            r >> (self.next() % 64)
        }
        /// Random f64 bits with the unbiased exponent in [lo, hi].
        fn f64_in(&mut self, lo: i32, hi: i32) -> u64 {
            let e = lo + (self.next() % (hi - lo + 1) as u64) as i32;
            let be = (e + 1023).clamp(0, 2046) as u64;
            (self.next() & 0x800f_ffff_ffff_ffff) | (be << 52)
        }
        /// Random f32 bits with the unbiased exponent in [lo, hi].
        fn f32_in(&mut self, lo: i32, hi: i32) -> u32 {
            let e = lo + (self.next() % (hi - lo + 1) as u64) as i32;
            let be = (e + 127).clamp(0, 254) as u32;
            (self.next32() & 0x807f_ffff) | (be << 23)
        }
    }

    fn is_nan16(h: u16) -> bool {
        (h & 0x7fff) > 0x7c00
    }
    fn is_nan_bf16(h: u16) -> bool {
        (h & 0x7fff) > 0x7f80
    }
    fn is_nan32(b: u32) -> bool {
        (b & 0x7fff_ffff) > 0x7f80_0000
    }

    /// Documented NaN rule: keep sign, set quiet bit, keep the top payload bits that fit.
    fn nan_f32_to_f16(b: u32) -> u16 {
        (((b >> 16) & 0x8000) | 0x7c00 | 0x0200 | ((b & 0x007f_ffff) >> 13)) as u16
    }
    fn nan_f64_to_f32(b: u64) -> u32 {
        (((b >> 32) as u32) & 0x8000_0000)
            | 0x7fc0_0000
            | ((b & 0x000f_ffff_ffff_ffff) >> 29) as u32
    }
    fn nan_f64_to_f16(b: u64) -> u16 {
        (((b >> 48) as u16) & 0x8000) | 0x7e00 | ((b & 0x000f_ffff_ffff_ffff) >> 42) as u16
    }
    fn nan_f64_to_bf16(b: u64) -> u16 {
        (((b >> 48) as u16) & 0x8000) | 0x7fc0 | ((b & 0x000f_ffff_ffff_ffff) >> 45) as u16
    }
    fn nan_f16_to_f32(h: u16) -> u32 {
        let h = u32::from(h);
        ((h & 0x8000) << 16) | 0x7fc0_0000 | ((h & 0x3ff) << 13)
    }
    fn nan_f32_to_f64(b: u32) -> u64 {
        (u64::from(b & 0x8000_0000) << 32)
            | 0x7ff8_0000_0000_0000
            | (u64::from(b & 0x007f_ffff) << 29)
    }

    /// Finite non-negative values of a 16-bit format indexed by bits, plus at index `inf_bits`
    /// the value the next binade would start at (2^(emax+1)): rounding to it means inf.
    fn table16(inf_bits: u16, val: impl Fn(u16) -> f64, sentinel: f64) -> Vec<f64> {
        let mut t: Vec<f64> = (0..inf_bits).map(val).collect();
        t.push(sentinel);
        t
    }
    fn f16_table() -> Vec<f64> {
        table16(0x7c00, |b| f16::from_bits(b).to_f64(), 65536.0)
    }
    fn bf16_table() -> Vec<f64> {
        table16(0x7f80, |b| bf16::from_bits(b).to_f64(), 2f64.powi(128))
    }

    /// Exact reference rounding of a non-NaN f64 into a 16-bit format via its value table:
    /// find the neighbours and compare with their midpoint, which is exact in f64.
    fn ref_narrow(x: f64, t: &[f64]) -> u16 {
        let sgn = if x.is_sign_negative() { 0x8000 } else { 0 };
        let a = x.abs();
        let inf_bits = t.len() - 1;
        if a >= t[inf_bits] {
            return sgn | inf_bits as u16;
        }
        let i = t.partition_point(|&v| v <= a) - 1;
        let mid = (t[i] + t[i + 1]) / 2.0;
        let r = if a < mid {
            i
        } else if a > mid {
            i + 1
        } else {
            i + (i & 1)
        };
        sgn | r as u16
    }

    /// Exact reference rounding of an integer magnitude into a 16-bit format.
    fn ref_int16(neg: bool, v: u64, t: &[f64]) -> u16 {
        let sgn = if neg { 0x8000 } else { 0 };
        if v < (1 << 53) {
            return sgn | ref_narrow(v as f64, t);
        }
        let inf_bits = t.len() - 1;
        if (v as f64) >= t[inf_bits] {
            // The sentinel is a power of two and v rounds (in `as f64`) to at most the next
            // power of two, so the compare is decided on exact grounds when it is far; the
            // only sentinels are 2^16 and 2^128, both far from 2^53..2^64.
            return sgn | inf_bits as u16;
        }
        let v = u128::from(v);
        // Values >= 2^53 are integers in every table; smaller ones truncate to <= v anyway.
        let i = t.partition_point(|&x| (x as u128) <= v) - 1;
        let (lo, hi) = (t[i] as u128, t[i + 1] as u128);
        let r = match (2 * v).cmp(&(lo + hi)) {
            Ordering::Less => i,
            Ordering::Greater => i + 1,
            Ordering::Equal => i + (i & 1),
        };
        sgn | r as u16
    }

    fn near64(b: u64, out: &mut Vec<u64>) {
        for d in 0..=3u64 {
            out.push(b.wrapping_add(d));
            out.push(b.wrapping_sub(d));
            out.push((b ^ (1 << 63)).wrapping_add(d));
            out.push((b ^ (1 << 63)).wrapping_sub(d));
        }
    }
    fn near32(b: u32, out: &mut Vec<u32>) {
        for d in 0..=3u32 {
            out.push(b.wrapping_add(d));
            out.push(b.wrapping_sub(d));
            out.push((b ^ (1 << 31)).wrapping_add(d));
            out.push((b ^ (1 << 31)).wrapping_sub(d));
        }
    }

    fn special32() -> Vec<u32> {
        let mut v = Vec::new();
        for b in [
            0u32,
            1,
            0x007f_ffff,
            0x0080_0000,
            0x7f7f_ffff,
            0x7f80_0000,
            0x7f80_0001,
            0x7fc0_0000,
            0x7fff_ffff,
            0x7fa0_1234,
            0x3f80_0000,
            0x3f00_0000,
            0x3fc0_0000,
            // f16 boundaries: 65504, 65520, 2^-14, 2^-24, 2^-25, 1.5 * 2^-25
            0x477f_e000,
            0x477f_f000,
            0x3880_0000,
            0x3380_0000,
            0x3300_0000,
            0x3340_0000,
            0x3000_0000,
            // bf16: largest finite and its halfway point to inf
            0x7f7f_0000,
            0x7f7f_8000,
            0x4f00_0000,
            0x5f00_0000,
            0x5f80_0000,
        ] {
            near32(b, &mut v);
        }
        v
    }

    fn special64() -> Vec<u64> {
        let mut v = Vec::new();
        for b in [
            0u64,
            1,
            0x000f_ffff_ffff_ffff,
            0x0010_0000_0000_0000,
            0x7fef_ffff_ffff_ffff,
            0x7ff0_0000_0000_0000,
            0x7ff0_0000_0000_0001,
            0x7ff8_0000_0000_0000,
            0x7fff_ffff_ffff_ffff,
            0x7ff4_5678_9abc_def0,
            0x3ff0_0000_0000_0000,
            0x3fe0_0000_0000_0000,
            0x43e0_0000_0000_0000,
            0x43f0_0000_0000_0000,
            0x4340_0000_0000_0000,
        ] {
            near64(b, &mut v);
        }
        // Every f32 boundary, exactly and one f64 ulp around it.
        for b in special32() {
            if !is_nan32(b) {
                near64((f32::from_bits(b) as f64).to_bits(), &mut v);
            }
        }
        v
    }

    #[test]
    fn f16_widen_exhaustive() {
        for b in 0..=u16::MAX {
            let h = f16::from_bits(b);
            let w32 = f16_to_f32(b);
            let w64 = f16_to_f64(b);
            if is_nan16(b) {
                assert_eq!(w32, nan_f16_to_f32(b), "{b:#06x}");
                assert_eq!(w64, nan_f32_to_f64(nan_f16_to_f32(b)), "{b:#06x}");
                assert_eq!(f32_to_f16(w32), b | 0x0200, "{b:#06x}");
                assert_eq!(f64_to_f16(w64), b | 0x0200, "{b:#06x}");
            } else {
                assert_eq!(w32, h.to_f32().to_bits(), "{b:#06x}");
                assert_eq!(w64, h.to_f64().to_bits(), "{b:#06x}");
                assert_eq!(f32_to_f16(w32), b, "{b:#06x}");
                assert_eq!(f64_to_f16(w64), b, "{b:#06x}");
            }
        }
    }

    #[test]
    fn bf16_widen_exhaustive() {
        for b in 0..=u16::MAX {
            let h = bf16::from_bits(b);
            let w32 = bf16_to_f32(b);
            let w64 = bf16_to_f64(b);
            if is_nan_bf16(b) {
                assert_eq!(w32, (u32::from(b) | 0x40) << 16, "{b:#06x}");
                assert_eq!(w64, nan_f32_to_f64(w32), "{b:#06x}");
                assert_eq!(f32_to_bf16(w32), b | 0x0040, "{b:#06x}");
                assert_eq!(f64_to_bf16(w64), b | 0x0040, "{b:#06x}");
            } else {
                assert_eq!(w32, h.to_f32().to_bits(), "{b:#06x}");
                assert_eq!(w64, h.to_f64().to_bits(), "{b:#06x}");
                assert_eq!(f32_to_bf16(w32), b, "{b:#06x}");
                assert_eq!(f64_to_bf16(w64), b, "{b:#06x}");
            }
        }
    }

    fn check_f32_narrow(b: u32) {
        let h = f32_to_f16(b);
        let g = f32_to_bf16(b);
        if is_nan32(b) {
            assert_eq!(h, nan_f32_to_f16(b), "{b:#010x}");
            assert_eq!(g, ((b >> 16) | 0x40) as u16, "{b:#010x}");
        } else {
            let x = f32::from_bits(b);
            assert_eq!(h, f16::from_f32(x).to_bits(), "f16 {b:#010x}");
            assert_eq!(g, bf16::from_f32(x).to_bits(), "bf16 {b:#010x}");
            // Widening to f64 is exact and must not change the result.
            let d = f32_to_f64(b);
            assert_eq!(d, (x as f64).to_bits(), "{b:#010x}");
            assert_eq!(f64_to_f16(d), h, "{b:#010x}");
            assert_eq!(f64_to_bf16(d), g, "{b:#010x}");
            assert_eq!(f64_to_f32(d), b, "{b:#010x}");
        }
    }

    #[test]
    fn f32_narrow_random_and_boundaries() {
        let mut rng = Rng(1);
        for _ in 0..2_000_000 {
            check_f32_narrow(rng.next32());
        }
        for _ in 0..1_000_000 {
            check_f32_narrow(rng.f32_in(-30, 17));
        }
        for b in special32() {
            check_f32_narrow(b);
        }
        // Every f16 value's tie point with its successor, and one f32 ulp either side.
        for b in 0..0x7c00u16 {
            let lo = f16::from_bits(b).to_f32();
            let hi = if b == 0x7bff {
                65536.0
            } else {
                f16::from_bits(b + 1).to_f32()
            };
            let mid = ((lo + hi) / 2.0).to_bits();
            for m in [
                mid - 1,
                mid,
                mid + 1,
                mid | 0x8000_0000,
                (mid + 1) | 0x8000_0000,
            ] {
                check_f32_narrow(m);
            }
        }
    }

    #[test]
    fn f32_narrow_sweep() {
        // All high bits with the low bits at the f16 rounding cases (13 dropped bits) and at
        // the bf16 ones (16 dropped bits): exact, just below/above half, ties.
        for hi in 0..(1u32 << 19) {
            for lo in [0u32, 1, 0x0fff, 0x1000, 0x1001, 0x1fff] {
                check_f32_narrow((hi << 13) | lo);
            }
        }
        for hi in 0..(1u32 << 16) {
            for lo in [1u32, 0x7fff, 0x8000, 0x8001, 0xffff] {
                check_f32_narrow((hi << 16) | lo);
            }
        }
    }

    fn check_f64_narrow(b: u64, t16: &[f64], tb16: &[f64]) {
        let x = f64::from_bits(b);
        if x.is_nan() {
            assert_eq!(f64_to_f32(b), nan_f64_to_f32(b), "{b:#018x}");
            assert_eq!(f64_to_f16(b), nan_f64_to_f16(b), "{b:#018x}");
            assert_eq!(f64_to_bf16(b), nan_f64_to_bf16(b), "{b:#018x}");
            return;
        }
        assert_eq!(f64_to_f32(b), (x as f32).to_bits(), "f32 {b:#018x}");
        assert_eq!(f64_to_f16(b), ref_narrow(x, t16), "f16 {b:#018x} {x:e}");
        assert_eq!(f64_to_bf16(b), ref_narrow(x, tb16), "bf16 {b:#018x} {x:e}");
    }

    #[test]
    fn f64_narrow_random_and_boundaries() {
        let (t16, tb16) = (f16_table(), bf16_table());
        let mut rng = Rng(2);
        for _ in 0..500_000 {
            check_f64_narrow(rng.next(), &t16, &tb16);
        }
        for _ in 0..500_000 {
            check_f64_narrow(rng.f64_in(-30, 17), &t16, &tb16);
            check_f64_narrow(rng.f64_in(-140, 129), &t16, &tb16);
            check_f64_narrow(rng.f64_in(-160, 129), &t16, &tb16);
        }
        for b in special64() {
            check_f64_narrow(b, &t16, &tb16);
        }
    }

    #[test]
    fn f64_narrow_ties_and_double_rounding() {
        let (t16, tb16) = (f16_table(), bf16_table());
        let mut rng = Rng(3);
        // Around every tie point of f16 and bf16: exact tie, a few f64 ulps either side (where
        // f64 -> f32 -> f16 rounds to the tie and then to even: the double-rounding trap), and
        // offsets just under half an f32 ulp.
        let mut naive_wrong = 0;
        for t in [&t16, &tb16] {
            for i in 0..t.len() - 1 {
                let mid = ((t[i] + t[i + 1]) / 2.0).to_bits();
                let f32_half_ulp = 1u64 << 28;
                for m in [
                    mid,
                    mid + 1,
                    mid - 1,
                    mid + 2,
                    mid - 2,
                    mid + f32_half_ulp - 1,
                    mid - f32_half_ulp + 1,
                    mid + (rng.next() % f32_half_ulp),
                    mid - (rng.next() % f32_half_ulp),
                ] {
                    check_f64_narrow(m, &t16, &tb16);
                    check_f64_narrow(m | (1 << 63), &t16, &tb16);
                    let x = f64::from_bits(m);
                    if f16::from_f32(x as f32).to_bits() != f64_to_f16(m) {
                        naive_wrong += 1;
                    }
                }
            }
        }
        assert!(naive_wrong > 1000, "trap inputs missing: {naive_wrong}");
    }

    fn check_int(v: i64, u: u64, t16: &[f64], tb16: &[f64]) {
        assert_eq!(u64_to_f32(u), (u as f32).to_bits(), "{u}");
        assert_eq!(u64_to_f64(u), (u as f64).to_bits(), "{u}");
        assert_eq!(i64_to_f32(v), (v as f32).to_bits(), "{v}");
        assert_eq!(i64_to_f64(v), (v as f64).to_bits(), "{v}");
        assert_eq!(u64_to_f16(u), ref_int16(false, u, t16), "{u}");
        assert_eq!(u64_to_bf16(u), ref_int16(false, u, tb16), "{u}");
        let (neg, mag) = (v < 0, v.unsigned_abs());
        assert_eq!(i64_to_f16(v), ref_int16(neg, mag, t16), "{v}");
        assert_eq!(i64_to_bf16(v), ref_int16(neg, mag, tb16), "{v}");
    }

    #[test]
    fn int_to_float() {
        let (t16, tb16) = (f16_table(), bf16_table());
        let mut rng = Rng(4);
        for _ in 0..1_000_000 {
            let u = rng.wide();
            check_int(u as i64, u, &t16, &tb16);
            let u = rng.next();
            check_int(u as i64, u, &t16, &tb16);
        }
        let mut cases = vec![
            0u64,
            u64::MAX,
            1 << 63,
            (1 << 63) - 1,
            65504,
            65519,
            65520,
            65521,
        ];
        for k in 0..64 {
            cases.push(1 << k);
            cases.push((1u64 << k).wrapping_add(1));
            cases.push((1u64 << k).wrapping_sub(1));
        }
        // Exact ties, and one either side, for 8-, 11-, 24- and 53-bit significands.
        for p in [8u32, 11, 24, 53] {
            for _ in 0..20_000 {
                let len = p + 1 + (rng.next() % u64::from(64 - p)) as u32;
                let top = (rng.next() >> (64 - p)) | (1 << (p - 1));
                let tie = (top << (len - p)) | (1 << (len - p - 1));
                cases.extend([tie, tie - 1, tie + 1]);
            }
        }
        for u in cases {
            check_int(u as i64, u, &t16, &tb16);
            check_int((u as i64).wrapping_neg(), u, &t16, &tb16);
        }
    }

    macro_rules! check_to_ints {
        (@s $f:expr, $x:expr, $b:expr, $($t:ty),*) => {$(
            assert_eq!($f($b, <$t>::MIN as i64, <$t>::MAX as i64), ($x as $t) as i64,
                "{} {:?}", stringify!($t), $x);
        )*};
        (@u $f:expr, $x:expr, $b:expr, $($t:ty),*) => {$(
            assert_eq!($f($b, <$t>::MAX as u64), ($x as $t) as u64, "{} {:?}", stringify!($t), $x);
        )*};
        ($x:expr, $b:expr, $si:expr, $ui:expr) => {{
            let (x, b) = ($x, $b);
            check_to_ints!(@s $si, x, b, i8, i16, i32, i64);
            check_to_ints!(@u $ui, x, b, u8, u16, u32, u64);
        }};
    }

    fn check_f32_int(b: u32) {
        check_to_ints!(f32::from_bits(b), b, f32_to_i64_sat, f32_to_u64_sat);
    }
    fn check_f64_int(b: u64) {
        check_to_ints!(f64::from_bits(b), b, f64_to_i64_sat, f64_to_u64_sat);
    }

    #[test]
    fn float_to_int() {
        let mut rng = Rng(5);
        for _ in 0..500_000 {
            check_f32_int(rng.next32());
            check_f32_int(rng.f32_in(-2, 66));
            check_f64_int(rng.next());
            check_f64_int(rng.f64_in(-2, 66));
        }
        let mut s32 = special32();
        let mut s64 = special64();
        for k in 0..=64 {
            for v in [
                2f64.powi(k),
                2f64.powi(k) - 1.0,
                2f64.powi(k) + 1.0,
                0.5,
                1.5,
                2.5,
            ] {
                near32((v as f32).to_bits(), &mut s32);
                near64(v.to_bits(), &mut s64);
            }
        }
        for b in s32 {
            check_f32_int(b);
        }
        for b in s64 {
            check_f64_int(b);
        }
        // f16 and bf16 reach integers through the exact widening to f32.
        for b in 0..=u16::MAX {
            check_to_ints!(
                f16::from_bits(b).to_f32(),
                f16_to_f32(b),
                f32_to_i64_sat,
                f32_to_u64_sat
            );
            check_to_ints!(
                bf16::from_bits(b).to_f32(),
                bf16_to_f32(b),
                f32_to_i64_sat,
                f32_to_u64_sat
            );
        }
    }

    fn total_cmp_nan_max(a: f64, b: f64) -> Ordering {
        match (a.is_nan(), b.is_nan()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => a.partial_cmp(&b).unwrap(),
        }
    }

    /// Sorted by key, neighbours must compare numerically exactly as their keys do; with both
    /// orders total preorders, that makes the key order equal to the numeric one.
    fn check_keys<B: Copy, K: Ord + Copy>(
        mut xs: Vec<B>,
        key: impl Fn(B) -> K,
        val: impl Fn(B) -> f64,
    ) {
        xs.sort_by_key(|&b| key(b));
        for w in xs.windows(2) {
            let (a, b) = (w[0], w[1]);
            assert_eq!(
                key(a).cmp(&key(b)),
                total_cmp_nan_max(val(a), val(b)),
                "{} vs {}",
                val(a),
                val(b)
            );
        }
    }

    #[test]
    fn keys() {
        check_keys((0..=u16::MAX).collect(), f16_key, |b| {
            f16::from_bits(b).to_f64()
        });
        check_keys((0..=u16::MAX).collect(), bf16_key, |b| {
            bf16::from_bits(b).to_f64()
        });
        let mut rng = Rng(6);
        let mut x32 = special32();
        let mut x64 = special64();
        for _ in 0..200_000 {
            x32.push(rng.next32());
            x32.push(rng.f32_in(-3, 3));
            x64.push(rng.next());
            x64.push(rng.f64_in(-3, 3));
        }
        check_keys(x32, f32_key, |b| f64::from(f32::from_bits(b)));
        check_keys(x64, f64_key, f64::from_bits);
        assert_eq!(f16_key(0x8000), f16_key(0));
        assert_eq!(bf16_key(0x8000), bf16_key(0));
        assert_eq!(f32_key(0x8000_0000), f32_key(0));
        assert_eq!(f64_key(1 << 63), f64_key(0));
        assert_eq!(f16_key(0xfe00), u16::MAX);
        assert_eq!(f32_key(0xffff_ffff), u32::MAX);
        assert!(f32_key(0x7f80_0000) < u32::MAX);
        assert!(f64_key(0x7ff0_0000_0000_0000) < u64::MAX);
    }
}
