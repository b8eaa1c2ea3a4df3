//! Host memory of a tensor: one typed `Vec` per dtype, so an owned ndarray moves in and out
//! without a copy.

use half::{bf16, f16};
use num_complex::Complex;

use crate::DType;

/// The elements of a CPU tensor in C order.
#[derive(Clone, Debug, PartialEq)]
pub enum CpuStorage {
    Bool(Vec<bool>),
    I8(Vec<i8>),
    U8(Vec<u8>),
    I16(Vec<i16>),
    U16(Vec<u16>),
    I32(Vec<i32>),
    U32(Vec<u32>),
    I64(Vec<i64>),
    U64(Vec<u64>),
    F16(Vec<f16>),
    BF16(Vec<bf16>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    C64(Vec<Complex<f32>>),
}

/// Runs `$body` with `$v` bound to the typed vector inside a `CpuStorage` (generic at the leaf).
macro_rules! with_storage {
    ($s:expr, $v:ident => $body:expr) => {
        match $s {
            $crate::cpu::CpuStorage::Bool($v) => $body,
            $crate::cpu::CpuStorage::I8($v) => $body,
            $crate::cpu::CpuStorage::U8($v) => $body,
            $crate::cpu::CpuStorage::I16($v) => $body,
            $crate::cpu::CpuStorage::U16($v) => $body,
            $crate::cpu::CpuStorage::I32($v) => $body,
            $crate::cpu::CpuStorage::U32($v) => $body,
            $crate::cpu::CpuStorage::I64($v) => $body,
            $crate::cpu::CpuStorage::U64($v) => $body,
            $crate::cpu::CpuStorage::F16($v) => $body,
            $crate::cpu::CpuStorage::BF16($v) => $body,
            $crate::cpu::CpuStorage::F32($v) => $body,
            $crate::cpu::CpuStorage::F64($v) => $body,
            $crate::cpu::CpuStorage::C64($v) => $body,
        }
    };
}
pub(crate) use with_storage;

impl CpuStorage {
    /// The dtype of the elements.
    pub fn dtype(&self) -> DType {
        match self {
            CpuStorage::Bool(_) => DType::Bool,
            CpuStorage::I8(_) => DType::Int8,
            CpuStorage::U8(_) => DType::UInt8,
            CpuStorage::I16(_) => DType::Int16,
            CpuStorage::U16(_) => DType::UInt16,
            CpuStorage::I32(_) => DType::Int32,
            CpuStorage::U32(_) => DType::UInt32,
            CpuStorage::I64(_) => DType::Int64,
            CpuStorage::U64(_) => DType::UInt64,
            CpuStorage::F16(_) => DType::Float16,
            CpuStorage::BF16(_) => DType::BFloat16,
            CpuStorage::F32(_) => DType::Float32,
            CpuStorage::F64(_) => DType::Float64,
            CpuStorage::C64(_) => DType::Complex64,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        with_storage!(self, v => v.len())
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The little-endian bytes of the elements (the layout a GPU buffer and a .npy file use).
    pub fn as_bytes(&self) -> &[u8] {
        with_storage!(self, v => bytemuck::cast_slice(v.as_slice()))
    }

    /// `n` zeros of `dtype`.
    pub fn zeros(dtype: DType, n: usize) -> CpuStorage {
        Self::from_fn(dtype, n, |bytes| bytes.fill(0))
    }

    /// Elements of `dtype` decoded from little-endian bytes; `bytes.len()` must be a multiple of
    /// the item size. Bools are read as `byte != 0`.
    pub fn from_bytes(dtype: DType, bytes: &[u8]) -> CpuStorage {
        let n = bytes.len() / dtype.itemsize();
        if dtype == DType::Bool {
            return CpuStorage::Bool(bytes.iter().map(|&b| b != 0).collect());
        }
        Self::from_fn(dtype, n, |dst| dst.copy_from_slice(&bytes[..dst.len()]))
    }

    /// `n` elements of `dtype` whose bytes `fill` writes (bools are created as zeros first).
    pub fn from_fn(dtype: DType, n: usize, fill: impl FnOnce(&mut [u8])) -> CpuStorage {
        fn make<T: bytemuck::Pod + Default>(n: usize, fill: impl FnOnce(&mut [u8])) -> Vec<T> {
            let mut v = vec![T::default(); n];
            fill(bytemuck::cast_slice_mut(&mut v));
            v
        }
        match dtype {
            DType::Bool => {
                let bytes: Vec<u8> = make(n, fill);
                CpuStorage::Bool(bytes.into_iter().map(|b| b != 0).collect())
            }
            DType::Int8 => CpuStorage::I8(make(n, fill)),
            DType::UInt8 => CpuStorage::U8(make(n, fill)),
            DType::Int16 => CpuStorage::I16(make(n, fill)),
            DType::UInt16 => CpuStorage::U16(make(n, fill)),
            DType::Int32 => CpuStorage::I32(make(n, fill)),
            DType::UInt32 => CpuStorage::U32(make(n, fill)),
            DType::Int64 => CpuStorage::I64(make(n, fill)),
            DType::UInt64 => CpuStorage::U64(make(n, fill)),
            DType::Float16 => CpuStorage::F16(make(n, fill)),
            DType::BFloat16 => CpuStorage::BF16(make(n, fill)),
            DType::Float32 => CpuStorage::F32(make(n, fill)),
            DType::Float64 => CpuStorage::F64(make(n, fill)),
            DType::Complex64 => CpuStorage::C64(make(n, fill)),
        }
    }
}
