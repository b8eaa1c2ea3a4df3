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
            $crate::host::CpuStorage::Bool($v) => $body,
            $crate::host::CpuStorage::I8($v) => $body,
            $crate::host::CpuStorage::U8($v) => $body,
            $crate::host::CpuStorage::I16($v) => $body,
            $crate::host::CpuStorage::U16($v) => $body,
            $crate::host::CpuStorage::I32($v) => $body,
            $crate::host::CpuStorage::U32($v) => $body,
            $crate::host::CpuStorage::I64($v) => $body,
            $crate::host::CpuStorage::U64($v) => $body,
            $crate::host::CpuStorage::F16($v) => $body,
            $crate::host::CpuStorage::BF16($v) => $body,
            $crate::host::CpuStorage::F32($v) => $body,
            $crate::host::CpuStorage::F64($v) => $body,
            $crate::host::CpuStorage::C64($v) => $body,
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
        Self::fresh(dtype, n)
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

    /// `n` elements of `dtype` whose bytes `fill` writes (bools are created as zeros first),
    /// in fresh memory (see [`CpuStorage::fresh`]).
    pub fn from_fn(dtype: DType, n: usize, fill: impl FnOnce(&mut [u8])) -> CpuStorage {
        if dtype == DType::Bool {
            let mut bytes: Vec<u8> = bytemuck::zeroed_vec(n);
            fill(&mut bytes);
            return CpuStorage::Bool(bytes.into_iter().map(|b| b != 0).collect());
        }
        let mut s = Self::fresh(dtype, n);
        fill(s.non_bool_bytes_mut());
        s
    }

    /// The bytes of a non-bool storage, writable (any bytes are valid elements).
    fn non_bool_bytes_mut(&mut self) -> &mut [u8] {
        use bytemuck::cast_slice_mut as b;
        match self {
            CpuStorage::Bool(_) => &mut [],
            CpuStorage::I8(v) => b(v),
            CpuStorage::U8(v) => v,
            CpuStorage::I16(v) => b(v),
            CpuStorage::U16(v) => b(v),
            CpuStorage::I32(v) => b(v),
            CpuStorage::U32(v) => b(v),
            CpuStorage::I64(v) => b(v),
            CpuStorage::U64(v) => b(v),
            CpuStorage::F16(v) => b(v),
            CpuStorage::BF16(v) => b(v),
            CpuStorage::F32(v) => b(v),
            CpuStorage::F64(v) => b(v),
            CpuStorage::C64(v) => b(v),
        }
    }

    /// `n` zeros of `dtype` in memory no one has touched yet: whoever fills it then faults the
    /// pages in, in huge pages where the kernel allows it (page faults, not the work, dominate
    /// writing fresh memory: readbacks and casts).
    pub(crate) fn fresh(dtype: DType, n: usize) -> CpuStorage {
        fn zeroed<T: bytemuck::Zeroable>(n: usize) -> Vec<T> {
            let v = bytemuck::zeroed_vec(n);
            crate::platform::advise_huge_pages(&v);
            v
        }
        match dtype {
            DType::Bool => CpuStorage::Bool(zeroed(n)),
            DType::Int8 => CpuStorage::I8(zeroed(n)),
            DType::UInt8 => CpuStorage::U8(zeroed(n)),
            DType::Int16 => CpuStorage::I16(zeroed(n)),
            DType::UInt16 => CpuStorage::U16(zeroed(n)),
            DType::Int32 => CpuStorage::I32(zeroed(n)),
            DType::UInt32 => CpuStorage::U32(zeroed(n)),
            DType::Int64 => CpuStorage::I64(zeroed(n)),
            DType::UInt64 => CpuStorage::U64(zeroed(n)),
            DType::Float16 => CpuStorage::F16(zeroed(n)),
            DType::BFloat16 => CpuStorage::BF16(zeroed(n)),
            DType::Float32 => CpuStorage::F32(zeroed(n)),
            DType::Float64 => CpuStorage::F64(zeroed(n)),
            DType::Complex64 => CpuStorage::C64(zeroed(n)),
        }
    }
}
