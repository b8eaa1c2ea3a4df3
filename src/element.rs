//! The sealed trait that maps Rust element types to dtypes.

use half::{bf16, f16};
use num_complex::Complex;

use crate::DType;
use crate::host::{CpuSlice, CpuStorage};

mod sealed {
    pub trait Sealed {}
}

/// A Rust type that a tensor can hold: `bool`, `i8`..`u64`, `half::f16`, `half::bf16`,
/// `f32`, `f64` and `num_complex::Complex<f32>`.
pub trait Element:
    sealed::Sealed + Copy + Send + Sync + bytemuck::NoUninit + std::fmt::Debug + 'static
{
    /// The dtype of this element type.
    const DTYPE: DType;
    #[doc(hidden)]
    fn into_storage(v: Vec<Self>) -> CpuStorage;
    #[doc(hidden)]
    fn slice(s: &CpuStorage) -> Option<&[Self]>;
    #[doc(hidden)]
    fn slice_mut(s: &mut CpuStorage) -> Option<&mut [Self]>;
    #[doc(hidden)]
    fn into_vec(s: CpuStorage) -> Option<Vec<Self>>;
    #[doc(hidden)]
    fn borrow_slice(v: &[Self]) -> CpuSlice<'_>;
    /// The dtype of a slice of this type (`Self::DTYPE`, for generic code holding a slice).
    #[doc(hidden)]
    fn dtype_of(_: &[Self]) -> DType {
        Self::DTYPE
    }
}

macro_rules! element {
    ($t:ty, $dtype:ident, $variant:ident) => {
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$dtype;
            fn into_storage(v: Vec<Self>) -> CpuStorage {
                CpuStorage::$variant(v)
            }
            fn slice(s: &CpuStorage) -> Option<&[Self]> {
                match s {
                    CpuStorage::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn slice_mut(s: &mut CpuStorage) -> Option<&mut [Self]> {
                match s {
                    CpuStorage::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn into_vec(s: CpuStorage) -> Option<Vec<Self>> {
                match s {
                    CpuStorage::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn borrow_slice(v: &[Self]) -> CpuSlice<'_> {
                CpuSlice::$variant(v)
            }
        }
    };
}

element!(bool, Bool, Bool);
element!(i8, Int8, I8);
element!(u8, UInt8, U8);
element!(i16, Int16, I16);
element!(u16, UInt16, U16);
element!(i32, Int32, I32);
element!(u32, UInt32, U32);
element!(i64, Int64, I64);
element!(u64, UInt64, U64);
element!(f16, Float16, F16);
element!(bf16, BFloat16, BF16);
element!(f32, Float32, F32);
element!(f64, Float64, F64);
element!(Complex<f32>, Complex64, C64);

/// Runs `$body` with `$T` naming the element type of the runtime dtype `$dtype` (the one
/// place a dtype becomes a type parameter).
macro_rules! with_dtype {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::DType::Bool => {
                type $T = bool;
                $body
            }
            $crate::DType::Int8 => {
                type $T = i8;
                $body
            }
            $crate::DType::UInt8 => {
                type $T = u8;
                $body
            }
            $crate::DType::Int16 => {
                type $T = i16;
                $body
            }
            $crate::DType::UInt16 => {
                type $T = u16;
                $body
            }
            $crate::DType::Int32 => {
                type $T = i32;
                $body
            }
            $crate::DType::UInt32 => {
                type $T = u32;
                $body
            }
            $crate::DType::Int64 => {
                type $T = i64;
                $body
            }
            $crate::DType::UInt64 => {
                type $T = u64;
                $body
            }
            $crate::DType::Float16 => {
                type $T = half::f16;
                $body
            }
            $crate::DType::BFloat16 => {
                type $T = half::bf16;
                $body
            }
            $crate::DType::Float32 => {
                type $T = f32;
                $body
            }
            $crate::DType::Float64 => {
                type $T = f64;
                $body
            }
            $crate::DType::Complex64 => {
                type $T = num_complex::Complex<f32>;
                $body
            }
        }
    };
}
pub(crate) use with_dtype;
