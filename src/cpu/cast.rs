//! Casts between every pair of dtypes. Rules: NumPy's where NumPy defines the result, Rust's
//! `as` where NumPy leaves it platform-defined; every float rounding goes through `bits` so the
//! GPU (which mirrors `bits` in WGSL) produces the same bytes.

use half::{bf16, f16};
use num_complex::Complex;
use rayon::prelude::*;

use super::{with_storage, CpuStorage};
use crate::{bits, DType};

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
        if self {
            f16::ONE
        } else {
            f16::ZERO
        }
    }
    fn to_bf16(self) -> bf16 {
        if self {
            bf16::ONE
        } else {
            bf16::ZERO
        }
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
    with_storage!(x, v => cast_from(v, to))
}

fn cast_from<S: CastSrc>(x: &[S], to: DType) -> CpuStorage {
    match to {
        DType::Bool => CpuStorage::Bool(map(x, |v| v.to_bool())),
        DType::Int8 => CpuStorage::I8(map(x, |v| v.to_i64(i8::MIN.into(), i8::MAX.into()) as i8)),
        DType::UInt8 => CpuStorage::U8(map(x, |v| v.to_u64(u8::MAX.into()) as u8)),
        DType::Int16 => CpuStorage::I16(map(x, |v| {
            v.to_i64(i16::MIN.into(), i16::MAX.into()) as i16
        })),
        DType::UInt16 => CpuStorage::U16(map(x, |v| v.to_u64(u16::MAX.into()) as u16)),
        DType::Int32 => CpuStorage::I32(map(x, |v| {
            v.to_i64(i32::MIN.into(), i32::MAX.into()) as i32
        })),
        DType::UInt32 => CpuStorage::U32(map(x, |v| v.to_u64(u32::MAX.into()) as u32)),
        DType::Int64 => CpuStorage::I64(map(x, |v| v.to_i64(i64::MIN, i64::MAX))),
        DType::UInt64 => CpuStorage::U64(map(x, |v| v.to_u64(u64::MAX))),
        DType::Float16 => CpuStorage::F16(map(x, CastSrc::to_f16)),
        DType::BFloat16 => CpuStorage::BF16(map(x, CastSrc::to_bf16)),
        DType::Float32 => CpuStorage::F32(map(x, CastSrc::to_f32)),
        DType::Float64 => CpuStorage::F64(map(x, CastSrc::to_f64)),
        DType::Complex64 => CpuStorage::C64(map(x, CastSrc::to_c64)),
    }
}

fn map<S: Copy + Sync, D: Send + Copy + Default>(x: &[S], f: impl Fn(S) -> D + Sync) -> Vec<D> {
    let mut out = vec![D::default(); x.len()];
    out.par_chunks_mut(TASK)
        .zip(x.par_chunks(TASK))
        .for_each(|(d, s)| {
            for (d, &s) in d.iter_mut().zip(s) {
                *d = f(s);
            }
        });
    out
}
