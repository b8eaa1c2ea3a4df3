//! Casts between every pair of dtypes. Rules: NumPy's where NumPy defines the result, Rust's
//! `as` where NumPy leaves it platform-defined; every float rounding goes through `bits` so the
//! GPU (which mirrors `bits` in WGSL) produces the same bytes.

use half::{bf16, f16};
use num_complex::Complex;
use rayon::prelude::*;

use super::{CpuSlice, CpuStorage};
use crate::host::with_slice;
use crate::platform;
use crate::{DType, Error, Result, bits};

/// Elements per parallel task.
const TASK: usize = 1 << 16;

/// A value that can be converted to every dtype.
pub(crate) trait CastSrc: Copy + Send + Sync {
    fn to_bool(self) -> bool;
    /// The value as an integer of the given width: wrapping from integers, truncating and
    /// saturating at `[lo, hi]` from floats (NaN -> 0).
    fn to_i64(self, lo: i64, hi: i64) -> i64;
    fn to_u64(self, hi: u64) -> u64;
    fn to_f16(self) -> f16;
    fn to_bf16(self) -> bf16;
    fn to_f32(self) -> f32;
    fn to_f64(self) -> f64;
    fn to_c64(self) -> Complex<f32> {
        Complex::new(self.to_f32(), 0.0)
    }
}

macro_rules! int_src {
    ($($t:ty),*) => {$(
        impl CastSrc for $t {
            #[inline(always)]
            fn to_bool(self) -> bool {
                self != 0
            }
            #[inline(always)]
            fn to_i64(self, _lo: i64, _hi: i64) -> i64 {
                self as i64
            }
            #[inline(always)]
            fn to_u64(self, _hi: u64) -> u64 {
                self as u64
            }
            #[inline(always)]
            fn to_f16(self) -> f16 {
                #[allow(unused_comparisons)]
                let v = if self < 0 {
                    bits::i64_to_f16(self as i64)
                } else {
                    bits::u64_to_f16(self as u64)
                };
                f16::from_bits(v)
            }
            #[inline(always)]
            fn to_bf16(self) -> bf16 {
                #[allow(unused_comparisons)]
                let v = if self < 0 {
                    bits::i64_to_bf16(self as i64)
                } else {
                    bits::u64_to_bf16(self as u64)
                };
                bf16::from_bits(v)
            }
            #[inline(always)]
            fn to_f32(self) -> f32 {
                self as f32
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
int_src!(i8, u8, i16, u16, i32, u32, i64, u64);

impl CastSrc for bool {
    fn to_bool(self) -> bool {
        self
    }
    fn to_i64(self, _lo: i64, _hi: i64) -> i64 {
        self as i64
    }
    fn to_u64(self, _hi: u64) -> u64 {
        self as u64
    }
    fn to_f16(self) -> f16 {
        if self { f16::ONE } else { f16::ZERO }
    }
    fn to_bf16(self) -> bf16 {
        if self { bf16::ONE } else { bf16::ZERO }
    }
    fn to_f32(self) -> f32 {
        f32::from(u8::from(self))
    }
    fn to_f64(self) -> f64 {
        f64::from(u8::from(self))
    }
}

impl CastSrc for f32 {
    #[inline(always)]
    fn to_bool(self) -> bool {
        self != 0.0 || self.is_nan()
    }
    #[inline(always)]
    fn to_i64(self, lo: i64, hi: i64) -> i64 {
        bits::f32_to_i64_sat(self.to_bits(), lo, hi)
    }
    #[inline(always)]
    fn to_u64(self, hi: u64) -> u64 {
        bits::f32_to_u64_sat(self.to_bits(), hi)
    }
    #[inline(always)]
    fn to_f16(self) -> f16 {
        f16::from_bits(bits::f32_to_f16(self.to_bits()))
    }
    #[inline(always)]
    fn to_bf16(self) -> bf16 {
        bf16::from_bits(bits::f32_to_bf16(self.to_bits()))
    }
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        f64::from_bits(bits::f32_to_f64(self.to_bits()))
    }
}

impl CastSrc for f64 {
    #[inline(always)]
    fn to_bool(self) -> bool {
        self != 0.0 || self.is_nan()
    }
    #[inline(always)]
    fn to_i64(self, lo: i64, hi: i64) -> i64 {
        bits::f64_to_i64_sat(self.to_bits(), lo, hi)
    }
    #[inline(always)]
    fn to_u64(self, hi: u64) -> u64 {
        bits::f64_to_u64_sat(self.to_bits(), hi)
    }
    #[inline(always)]
    fn to_f16(self) -> f16 {
        f16::from_bits(bits::f64_to_f16(self.to_bits()))
    }
    #[inline(always)]
    fn to_bf16(self) -> bf16 {
        bf16::from_bits(bits::f64_to_bf16(self.to_bits()))
    }
    #[inline(always)]
    fn to_f32(self) -> f32 {
        f32::from_bits(bits::f64_to_f32(self.to_bits()))
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
}

/// float16 and bfloat16 widen exactly to float32, so every conversion goes through it except
/// the ones to their own format.
macro_rules! half_src {
    ($t:ty, $to_f32:path, $to_f64:path, $own:ident) => {
        impl CastSrc for $t {
            #[inline(always)]
            fn to_bool(self) -> bool {
                self.to_bits() & 0x7fff != 0
            }
            #[inline(always)]
            fn to_i64(self, lo: i64, hi: i64) -> i64 {
                CastSrc::to_i64(self.widen(), lo, hi)
            }
            #[inline(always)]
            fn to_u64(self, hi: u64) -> u64 {
                CastSrc::to_u64(self.widen(), hi)
            }
            #[inline(always)]
            fn to_f16(self) -> f16 {
                half_src!(@to_f16 $own, self)
            }
            #[inline(always)]
            fn to_bf16(self) -> bf16 {
                half_src!(@to_bf16 $own, self)
            }
            #[inline(always)]
            fn to_f32(self) -> f32 {
                self.widen()
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                f64::from_bits($to_f64(self.to_bits()))
            }
        }
        impl Widen for $t {
            #[inline(always)]
            fn widen(self) -> f32 {
                f32::from_bits($to_f32(self.to_bits()))
            }
        }
    };
    (@to_f16 f16, $x:expr) => { $x };
    (@to_f16 bf16, $x:expr) => { CastSrc::to_f16($x.widen()) };
    (@to_bf16 bf16, $x:expr) => { $x };
    (@to_bf16 f16, $x:expr) => { CastSrc::to_bf16($x.widen()) };
}

trait Widen {
    fn widen(self) -> f32;
}

half_src!(f16, bits::f16_to_f32, bits::f16_to_f64, f16);
half_src!(bf16, bits::bf16_to_f32, bits::bf16_to_f64, bf16);

impl CastSrc for Complex<f32> {
    fn to_bool(self) -> bool {
        self.re.to_bool() || self.im.to_bool()
    }
    fn to_i64(self, lo: i64, hi: i64) -> i64 {
        CastSrc::to_i64(self.re, lo, hi)
    }
    fn to_u64(self, hi: u64) -> u64 {
        CastSrc::to_u64(self.re, hi)
    }
    fn to_f16(self) -> f16 {
        CastSrc::to_f16(self.re)
    }
    fn to_bf16(self) -> bf16 {
        CastSrc::to_bf16(self.re)
    }
    fn to_f32(self) -> f32 {
        self.re
    }
    fn to_f64(self) -> f64 {
        CastSrc::to_f64(self.re)
    }
    fn to_c64(self) -> Complex<f32> {
        self
    }
}

/// Converts every element of `x` to `to`.
pub(crate) fn cast(x: &CpuStorage, to: DType) -> CpuStorage {
    if x.dtype() == to {
        return x.clone();
    }
    cast_borrowed(x.as_slice(), to)
}

/// [`cast`] of borrowed elements.
pub(crate) fn cast_borrowed(x: CpuSlice<'_>, to: DType) -> CpuStorage {
    let mut out = CpuStorage::fresh(to, x.len());
    convert(x, &mut out, false);
    out
}

/// Converts `x` into `out`'s dtype, writing `out` in place (no allocation; benchmarks use it).
///
/// # Errors
/// [`Error::ShapeMismatch`] when `out` and `x` differ in length.
pub fn cast_into(x: &CpuStorage, out: &mut CpuStorage) -> Result<()> {
    if x.len() != out.len() {
        return Err(Error::ShapeMismatch {
            shape: vec![out.len()],
            expected: out.len(),
            actual: x.len(),
        });
    }
    convert(x.as_slice(), out, true);
    Ok(())
}

/// [`cast_into`] of borrowed elements (the streamed cast reuses one output buffer per chunk).
pub(crate) fn cast_slice_into(x: CpuSlice<'_>, out: &mut CpuStorage) {
    convert(x, out, true);
}

/// `out` (same length as `x`) receives `x` converted to its dtype. `stream`: large outputs may
/// be written with streaming stores; not for fresh memory, whose pages the kernel zeroes into
/// the cache on first touch (there ordinary stores measured faster).
fn convert(x: CpuSlice<'_>, out: &mut CpuStorage, stream: bool) {
    if !fast_cast(x, out, stream) {
        with_slice!(x, v => cast_from_into(v, out));
    }
}

/// Vector kernels for the pairs that have one; false when the pair or the CPU has none.
fn fast_cast(x: CpuSlice<'_>, out: &mut CpuStorage, stream: bool) -> bool {
    match (x, out) {
        (CpuSlice::F32(s), CpuStorage::F16(d)) if platform::f16c() => {
            let stream = stream && d.len() * 2 >= platform::STREAM_BYTES;
            let d: &mut [u16] = bytemuck::cast_slice_mut(d.as_mut_slice());
            par_zip(s, d, |s, d| {
                platform::f32_to_f16(s, d, stream);
            });
            true
        }
        (CpuSlice::F32(s), CpuStorage::I32(d)) if platform::avx2() => {
            let stream = stream && d.len() * 4 >= platform::STREAM_BYTES;
            par_zip(s, d, |s, d| {
                platform::f32_to_i32(s, d, stream);
            });
            true
        }
        (CpuSlice::I64(s), CpuStorage::F32(d))
            if stream && platform::avx2() && d.len() * 4 >= platform::STREAM_BYTES =>
        {
            par_zip(s, d, |s, d| {
                platform::i64_to_f32_stream(s, d);
            });
            true
        }
        _ => false,
    }
}

/// Runs `f` on matching `TASK`-sized pieces of `x` and `out` on every core.
fn par_zip<S: Sync, D: Send>(x: &[S], out: &mut [D], f: impl Fn(&[S], &mut [D]) + Sync) {
    out.par_chunks_mut(TASK)
        .zip(x.par_chunks(TASK))
        .for_each(|(d, s)| f(s, d));
}

fn cast_from_into<S: CastSrc>(x: &[S], out: &mut CpuStorage) {
    match out {
        CpuStorage::Bool(o) => map_into(x, o, |v| v.to_bool()),
        CpuStorage::I8(o) => map_into(x, o, |v| v.to_i64(i8::MIN.into(), i8::MAX.into()) as i8),
        CpuStorage::U8(o) => map_into(x, o, |v| v.to_u64(u8::MAX.into()) as u8),
        CpuStorage::I16(o) => map_into(x, o, |v| v.to_i64(i16::MIN.into(), i16::MAX.into()) as i16),
        CpuStorage::U16(o) => map_into(x, o, |v| v.to_u64(u16::MAX.into()) as u16),
        CpuStorage::I32(o) => map_into(x, o, |v| v.to_i64(i32::MIN.into(), i32::MAX.into()) as i32),
        CpuStorage::U32(o) => map_into(x, o, |v| v.to_u64(u32::MAX.into()) as u32),
        CpuStorage::I64(o) => map_into(x, o, |v| v.to_i64(i64::MIN, i64::MAX)),
        CpuStorage::U64(o) => map_into(x, o, |v| v.to_u64(u64::MAX)),
        CpuStorage::F16(o) => map_into(x, o, CastSrc::to_f16),
        CpuStorage::BF16(o) => map_into(x, o, CastSrc::to_bf16),
        CpuStorage::F32(o) => map_into(x, o, CastSrc::to_f32),
        CpuStorage::F64(o) => map_into(x, o, CastSrc::to_f64),
        CpuStorage::C64(o) => map_into(x, o, CastSrc::to_c64),
    }
}

fn map_into<S: Copy + Sync, D: Send + Copy>(x: &[S], out: &mut [D], f: impl Fn(S) -> D + Sync) {
    par_zip(x, out, |s, d| {
        for (d, &s) in d.iter_mut().zip(s) {
            *d = f(s);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::cpu::TestRng as Rng;

    /// Every exponent with mantissas around the f16 rounding point (ties, just below, just
    /// above, odd and even), signs, and the integer-conversion edges.
    fn f32_cases() -> Vec<f32> {
        let mut bits = Vec::new();
        for e in 0..256u32 {
            for hi in [0u32, 1, 2, 3, 0x155, 0x3fe, 0x3ff] {
                for lo in [0u32, 1, 0xfff, 0x1000, 0x1001, 0x1fff] {
                    let m = (hi << 13) | lo;
                    bits.push((e << 23) | m);
                    bits.push(0x8000_0000 | (e << 23) | m);
                }
            }
        }
        let mut rng = Rng(17);
        bits.extend((0..100_000).map(|_| rng.next() as u32));
        let mut v: Vec<f32> = bits.into_iter().map(f32::from_bits).collect();
        v.extend([
            2_147_483_648.0,
            2_147_483_520.0,
            -2_147_483_648.0,
            -2_147_483_904.0,
            0.5,
            -0.5,
            -1.5,
            1e10,
            -1e10,
            f32::MAX,
            f32::MIN,
            65504.0,
            65520.0,
            65519.99,
        ]);
        v
    }

    fn in_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(f)
    }

    #[test]
    fn f32_to_f16_and_i32_kernels_match_bits_for_every_tail() {
        let cases = f32_cases();
        // The last length streams its output (non-temporal stores, aligned head).
        let big = platform::STREAM_BYTES / 2 + 13;
        for len in (0..40).chain([TASK + 7, cases.len(), big]) {
            let src: Vec<f32> = cases
                .iter()
                .cycle()
                .skip(len % 13)
                .take(len)
                .copied()
                .collect();
            let x = CpuStorage::F32(src.clone());
            for threads in [1, 2] {
                // Fresh outputs (cast) and reused ones (cast_into, streaming when large).
                let into = |to: DType| {
                    let mut out = CpuStorage::zeros(to, len);
                    in_pool(threads, || cast_into(&x, &mut out)).expect("same length");
                    let fresh = in_pool(threads, || cast(&x, to));
                    assert!(
                        out.as_bytes() == fresh.as_bytes(),
                        "fresh and reused differ"
                    );
                    out
                };
                let CpuStorage::F16(h) = into(DType::Float16) else {
                    panic!("dtype")
                };
                let CpuStorage::I32(i) = into(DType::Int32) else {
                    panic!("dtype")
                };
                for ((s, h), i) in src.iter().zip(&h).zip(&i) {
                    let b = s.to_bits();
                    assert_eq!(h.to_bits(), bits::f32_to_f16(b), "{b:#x} -> f16");
                    let want = bits::f32_to_i64_sat(b, i32::MIN.into(), i32::MAX.into());
                    assert_eq!(i64::from(*i), want, "{b:#x} -> i32");
                }
            }
        }
    }

    #[test]
    fn i64_to_f32_rounds_like_bits() {
        let mut rng = Rng(23);
        let mut v: Vec<i64> = (0..50_000)
            .map(|k| (rng.next() as i64) >> (k % 64))
            .collect();
        v.extend([
            i64::MIN,
            i64::MAX,
            0,
            -1,
            (1 << 24) + 1,
            (1 << 25) + 3,
            -(1 << 53) - 1,
        ]);
        let CpuStorage::F32(f) = cast(&CpuStorage::I64(v.clone()), DType::Float32) else {
            panic!("dtype")
        };
        for (a, f) in v.iter().zip(&f) {
            assert_eq!(f.to_bits(), bits::i64_to_f32(*a), "{a}");
        }
    }

    #[test]
    fn fresh_and_reused_outputs_agree_for_every_pair() {
        let mut rng = Rng(29);
        let bytes: Vec<u8> = (0..8 * 1000).map(|_| rng.next() as u8).collect();
        for from in DType::ALL {
            let x = CpuStorage::from_bytes(from, &bytes[..1000 * from.itemsize()]);
            for to in DType::ALL {
                let fresh = cast(&x, to);
                let mut reused = CpuStorage::zeros(to, 1000);
                cast_into(&x, &mut reused).expect("same length");
                assert_eq!(fresh.dtype(), to);
                assert_eq!(fresh.as_bytes(), reused.as_bytes(), "{from} -> {to}");
            }
        }
        let mut short = CpuStorage::zeros(DType::Int32, 3);
        assert!(cast_into(&CpuStorage::F32(vec![1.0; 4]), &mut short).is_err());
    }

    /// All 2^32 inputs; slow in debug builds, so run on demand:
    /// `cargo test --release --lib f32_to_f16_exhaustive -- --ignored`.
    #[test]
    #[ignore]
    fn f32_to_f16_exhaustive() {
        let step = 1u64 << 24;
        let mut out = CpuStorage::zeros(DType::Float16, step as usize);
        for base in (0..1u64 << 32).step_by(step as usize) {
            let src: Vec<f32> = (base..base + step)
                .map(|b| f32::from_bits(b as u32))
                .collect();
            cast_into(&CpuStorage::F32(src.clone()), &mut out).expect("same length");
            let CpuStorage::F16(h) = &out else {
                panic!("dtype")
            };
            for (s, h) in src.iter().zip(h) {
                assert_eq!(
                    h.to_bits(),
                    bits::f32_to_f16(s.to_bits()),
                    "{:#x}",
                    s.to_bits()
                );
            }
        }
    }
}
