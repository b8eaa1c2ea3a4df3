//! Exact float sums (issue 8): the core every float sum and mean goes through (the CPU's
//! strategies are in `cpu/exact_fold.rs`).
//!
//! A [`SuperAcc`] holds the exact sum of any number (below 2^64) of floats as a fixed-point
//! two's-complement integer, plus NaN / +inf / -inf flags. Integer addition is associative and
//! commutative, so the accumulator's bits do not depend on how the work was split across
//! blocks, chunks, threads or devices ([`SuperAcc::merge`], [`SuperAcc::write_words`]); the result
//! is rounded once, to nearest, ties to even (`round.rs`).
//!
//! Layout: limb `i` weighs `2^(LO + 32 i)`. Limbs are `i64` holding 32-bit digits with 31 bits
//! of headroom, so an add touches at most three limbs and never propagates a carry: carries are
//! settled in bulk by `normalize` every `NORMALIZE_EVERY` adds (and before merging, rounding or
//! serialising). Normalised, limbs `0..N-1` lie in `[0, 2^32)` and the top limb carries the
//! sign, which makes the representation of a value unique.
//!
//! Two widths: [`Acc32`] (11 limbs, 96 bytes) for float16 / bfloat16 / float32, whose values
//! are multiples of 2^-149 below 2^128; [`Acc64`] (68 limbs, 552 bytes) for float64 (multiples
//! of 2^-1074 below 2^1024). Both leave at least 64 bits of count headroom above the largest
//! finite value. The bulk paths (`block.rs`) read each value once; on ordinary data they run at
//! 0.5-0.75 of a plain read loop's speed from memory (the ignored `exact_speed` test measures
//! it), the exact per-value path at about 3.5 ns per value.

mod block;
#[cfg(test)]
mod column_tests;
mod columns;
mod round;
#[cfg(test)]
mod tests;

#[cfg(test)]
pub(crate) use block::par_sum_f32;
pub(crate) use block::{sum_bf16_into, sum_c64_into, sum_f16_into, sum_f32_into, sum_f64_into};
pub(crate) use columns::{columns_bf16, columns_c64, columns_f16, columns_f32, columns_f64};
pub(crate) use round::Fmt;

// ---- the canonical accumulator words (the interface every device shares) -----------------
//
// One accumulator is `W = D + 1` u32 words: word 0 the flags (bit 0: a NaN was added, bit 1:
// +inf, bit 2: -inf; other bits 0), words 1..=D the exact total as a D-digit two's-complement
// integer, little-endian base-2^32 digits, digit 0 weighing 2^LO. The representation is
// unique; two accumulators merge by D-digit addition with carry (mod 2^(32 D)) and an OR of
// the flags ([`merge_words`]). Family 32 serves float16, bfloat16, float32 and each part of
// complex64 (real part first); family 64 serves float64.

/// Weight exponent of digit 0, family 32 (float16, bfloat16, float32, complex64 parts).
pub(crate) const LO32: i32 = -160;
/// Digits of the total, family 32.
pub(crate) const DIGITS32: usize = 12;
/// Words of one accumulator, family 32 (flags + digits).
pub(crate) const WORDS32: usize = DIGITS32 + 1;
/// Weight exponent of digit 0, family 64 (float64).
pub(crate) const LO64: i32 = -1088;
/// Digits of the total, family 64.
pub(crate) const DIGITS64: usize = 69;
/// Words of one accumulator, family 64.
pub(crate) const WORDS64: usize = DIGITS64 + 1;

/// Accumulator for float16, bfloat16 and float32 sums: bits 2^-160 .. 2^223.
pub(crate) type Acc32 = SuperAcc<{ DIGITS32 - 1 }, LO32>;
/// Accumulator for float64 sums: bits 2^-1088 .. 2^1119.
pub(crate) type Acc64 = SuperAcc<{ DIGITS64 - 1 }, LO64>;

/// `a += b` for two canonical accumulators of the same family (words 0..W): digit addition
/// with carry, mod 2^(32 D), and the flags OR-ed. Any grouping gives the same words.
pub(crate) fn merge_words(a: &mut [u32], b: &[u32]) {
    debug_assert_eq!(a.len(), b.len());
    a[0] |= b[0];
    let mut carry = 0u64;
    for (x, &y) in a[1..].iter_mut().zip(&b[1..]) {
        let s = u64::from(*x) + u64::from(y) + carry;
        *x = s as u32;
        carry = s >> 32;
    }
}

/// Rounds one canonical accumulator (`WORDS32` or `WORDS64` words), divided by `count`
/// (1 for a sum, the element count for a mean; 0 gives NaN), once to `fmt`: the result's
/// bits. Specials as the module comment says.
pub(crate) fn round_words(words: &[u32], fmt: Fmt, count: u64) -> u64 {
    let lo = match words.len() {
        WORDS32 => LO32,
        WORDS64 => LO64,
        n => panic!("an exact accumulator of {n} words"),
    };
    round::round_twos(&words[1..], lo, (words[0] & 7) as u8, count, fmt)
}

const NAN: u8 = 1;
const POS_INF: u8 = 2;
const NEG_INF: u8 = 4;

/// Adds between carry settlements. Each add puts less than 2^32 into a limb, so limbs stay
/// below 2^32 + 2^29 * 2^32 < 2^62 and the sum of two accumulators' limbs (in `merge`) still
/// fits an i64.
const NORMALIZE_EVERY: u32 = 1 << 29;

/// An exact float sum: `Σ limbs[i] * 2^(LO + 32 i)` plus special-value flags.
#[derive(Clone, Debug)]
pub(crate) struct SuperAcc<const N: usize, const LO: i32> {
    limbs: [i64; N],
    /// Adds since the last normalisation.
    pending: u32,
    /// NAN | POS_INF | NEG_INF, merged by OR.
    flags: u8,
    /// NaNs left out by a nan-variant (not part of the words: nanmean's non-NaN count on
    /// the CPU comes from it, so the sum and the count take one pass over memory).
    skipped: u64,
}

impl<const N: usize, const LO: i32> Default for SuperAcc<N, LO> {
    fn default() -> Self {
        Self::new()
    }
}

// Some conversions and roundings serve only the tests and the GPU's host-side finish.
#[cfg_attr(not(test), allow(dead_code))]
impl<const N: usize, const LO: i32> SuperAcc<N, LO> {
    pub(crate) fn new() -> Self {
        Self {
            limbs: [0; N],
            pending: 0,
            flags: 0,
            skipped: 0,
        }
    }

    /// Counts a NaN that a nan-variant leaves out.
    #[inline]
    pub(crate) fn skip(&mut self) {
        self.skipped += 1;
    }

    /// The NaNs left out so far (merged accumulators included).
    pub(crate) fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Adds `v * 2^e`. `e - LO` must be non-negative and leave room for three limbs (every
    /// caller stays within the format's range, checked by debug assertions).
    ///
    /// Cost: one 128-bit shift, three limb adds and a counter test, no loop (a normalisation,
    /// O(N), every 2^29 calls): a few nanoseconds, cheap enough for one call per element of a
    /// strided (column) reduction.
    #[inline]
    pub(crate) fn add_scaled(&mut self, v: i64, e: i32) {
        let p = e - LO;
        debug_assert!(
            p >= 0 && (p as usize) / 32 + 2 < N,
            "exponent {e} out of range"
        );
        let (i, s) = ((p as u32 / 32) as usize, p as u32 % 32);
        // v << s as 96-bit two's complement: two unsigned 32-bit digits and a signed top part
        // below 2^31, so each limb moves by less than 2^32.
        let w = (v as i128) << s;
        self.limbs[i] += (w as u64 & 0xffff_ffff) as i64;
        self.limbs[i + 1] += ((w >> 32) as u64 & 0xffff_ffff) as i64;
        self.limbs[i + 2] += (w >> 64) as i64;
        self.pending += 1;
        if self.pending >= NORMALIZE_EVERY {
            self.normalize();
        }
    }

    /// Adds a float32 (exactly; specials set flags). Fits both widths.
    #[inline]
    pub(crate) fn add_f32(&mut self, x: f32) {
        let b = x.to_bits();
        let field = (b >> 23) & 0xff;
        if field == 0xff {
            self.flags |= special_flag(b & 0x007f_ffff != 0, b >> 31 != 0);
            return;
        }
        let m = (b & 0x007f_ffff) | (u32::from(field != 0) << 23);
        if m != 0 {
            let v = if b >> 31 != 0 { -(m as i64) } else { m as i64 };
            self.add_scaled(v, field.max(1) as i32 - 150);
        }
    }

    /// Adds a float16 (through its exact float32 value).
    #[inline]
    pub(crate) fn add_f16(&mut self, x: half::f16) {
        self.add_f32(x.to_f32());
    }

    /// Adds a bfloat16 (through its exact float32 value).
    #[inline]
    pub(crate) fn add_bf16(&mut self, x: half::bf16) {
        self.add_f32(x.to_f32());
    }

    /// Settles all carries: limbs `0..N-1` end in `[0, 2^32)`, the top limb holds the sign.
    pub(crate) fn normalize(&mut self) {
        let mut carry = 0i64;
        for l in &mut self.limbs[..N - 1] {
            let v = *l + carry;
            carry = v >> 32;
            *l = v & 0xffff_ffff;
        }
        self.limbs[N - 1] += carry;
        self.pending = 0;
    }

    /// Adds `other` into `self`: integer addition, so any grouping of partial sums gives the
    /// same bits.
    pub(crate) fn merge(&mut self, other: &Self) {
        // Both sides hold limbs below 2^62 (see NORMALIZE_EVERY), so the sums fit.
        for (a, b) in self.limbs.iter_mut().zip(&other.limbs) {
            *a += b;
        }
        self.flags |= other.flags;
        self.skipped += other.skipped;
        self.normalize();
    }

    /// Writes the canonical exact-accumulator words (`Self::WORDS` of them, see
    /// [`WORDS32`]): word 0 the flags, then the normalised total as `N + 1` little-endian
    /// base-2^32 two's-complement digits, digit 0 weighing 2^LO. Equal sums give equal words.
    pub(crate) fn write_words(&self, out: &mut [u32]) {
        // `normalize` on the way out (no copy of the accumulator).
        out[0] = u32::from(self.flags);
        let mut carry = 0i64;
        for (o, &l) in out[1..N].iter_mut().zip(&self.limbs[..N - 1]) {
            let v = l + carry;
            *o = v as u32;
            carry = v >> 32;
        }
        let top = self.limbs[N - 1] + carry;
        out[N] = top as u32;
        out[N + 1] = (top >> 32) as u32;
    }

    /// [`Self::write_words`] into a new vector.
    pub(crate) fn to_words(&self) -> Vec<u32> {
        let mut out = vec![0; N + 2];
        self.write_words(&mut out);
        out
    }

    /// Reads words back (the inverse of [`Self::write_words`]); None when `w` is not `N + 2`
    /// words with only the three flag bits, or holds a total no real sum reaches (below 2^64
    /// values of at most the format's largest finite), which keeps merges from overflowing.
    pub(crate) fn from_words(w: &[u32]) -> Option<Self> {
        if w.len() != N + 2 || w[0] > u32::from(NAN | POS_INF | NEG_INF) {
            return None;
        }
        let mut acc = Self::new();
        acc.add_words(w);
        (acc.limbs[N - 1].unsigned_abs() < 1 << 40).then_some(acc)
    }

    /// Adds the accumulator `w` (canonical words) into `self`, without settling carries: the
    /// merge of a later pass or of another thread's partial sum.
    #[inline]
    pub(crate) fn add_words(&mut self, w: &[u32]) {
        debug_assert_eq!(w.len(), N + 2);
        self.flags |= (w[0] & 7) as u8;
        for (l, &d) in self.limbs[..N - 1].iter_mut().zip(&w[1..N]) {
            *l += i64::from(d);
        }
        let top = (i64::from(w[N + 1] as i32) << 32) | i64::from(w[N]);
        self.limbs[N - 1] = self.limbs[N - 1].wrapping_add(top);
        self.pending += 1;
        if self.pending >= NORMALIZE_EVERY {
            self.normalize();
        }
    }

    /// True when a NaN was added.
    pub(crate) fn has_nan(&self) -> bool {
        self.flags & NAN != 0
    }

    /// True when no value (not even a special) was added, or all cancelled to zero.
    pub(crate) fn is_zero(&self) -> bool {
        self.flags == 0 && {
            let mut t = self.clone();
            t.normalize();
            t.limbs.iter().all(|&l| l == 0)
        }
    }

    pub(crate) fn round(&self, fmt: Fmt, count: u64) -> u64 {
        let mut words = [0u32; WORDS64];
        let words = &mut words[..N + 2];
        self.write_words(words);
        round_words(words, fmt, count)
    }

    /// The exact sum rounded once to float64 (nearest, ties to even; see `round.rs`).
    pub(crate) fn round_f64(&self) -> f64 {
        f64::from_bits(self.round(Fmt::F64, 1))
    }
    pub(crate) fn round_f32(&self) -> f32 {
        f32::from_bits(self.round(Fmt::F32, 1) as u32)
    }
    pub(crate) fn round_f16_bits(&self) -> u16 {
        self.round(Fmt::F16, 1) as u16
    }
    pub(crate) fn round_bf16_bits(&self) -> u16 {
        self.round(Fmt::BF16, 1) as u16
    }

    /// The exact sum divided by `count`, rounded once (a mean). `count == 0` gives NaN.
    pub(crate) fn div_round_f64(&self, count: u64) -> f64 {
        f64::from_bits(self.round(Fmt::F64, count))
    }
    pub(crate) fn div_round_f32(&self, count: u64) -> f32 {
        f32::from_bits(self.round(Fmt::F32, count) as u32)
    }
    pub(crate) fn div_round_f16_bits(&self, count: u64) -> u16 {
        self.round(Fmt::F16, count) as u16
    }
    pub(crate) fn div_round_bf16_bits(&self, count: u64) -> u16 {
        self.round(Fmt::BF16, count) as u16
    }
}

impl Acc64 {
    /// Adds a float64 (exactly; specials set flags).
    #[inline]
    pub(crate) fn add_f64(&mut self, x: f64) {
        let b = x.to_bits();
        let field = ((b >> 52) & 0x7ff) as u32;
        if field == 0x7ff {
            self.flags |= special_flag(b & 0x000f_ffff_ffff_ffff != 0, b >> 63 != 0);
            return;
        }
        let m = (b & 0x000f_ffff_ffff_ffff) | (u64::from(field != 0) << 52);
        if m != 0 {
            let v = if b >> 63 != 0 { -(m as i64) } else { m as i64 };
            self.add_scaled(v, field.max(1) as i32 - 1075);
        }
    }
}

#[inline]
fn special_flag(nan: bool, neg: bool) -> u8 {
    match (nan, neg) {
        (true, _) => NAN,
        (false, false) => POS_INF,
        (false, true) => NEG_INF,
    }
}
