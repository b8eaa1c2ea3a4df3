//! The runtime dtype enum and NumPy's rules that depend only on the dtype.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// The element type of a tensor, named as NumPy names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bool,
    Int8,
    UInt8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float16,
    BFloat16,
    Float32,
    Float64,
    Complex64,
}

impl DType {
    /// Every dtype, in the order NumPy lists them (bfloat16 after float16).
    pub const ALL: [DType; 14] = [
        DType::Bool,
        DType::Int8,
        DType::UInt8,
        DType::Int16,
        DType::UInt16,
        DType::Int32,
        DType::UInt32,
        DType::Int64,
        DType::UInt64,
        DType::Float16,
        DType::BFloat16,
        DType::Float32,
        DType::Float64,
        DType::Complex64,
    ];

    /// Bytes per element.
    pub const fn itemsize(self) -> usize {
        match self {
            DType::Bool | DType::Int8 | DType::UInt8 => 1,
            DType::Int16 | DType::UInt16 | DType::Float16 | DType::BFloat16 => 2,
            DType::Int32 | DType::UInt32 | DType::Float32 => 4,
            DType::Int64 | DType::UInt64 | DType::Float64 | DType::Complex64 => 8,
        }
    }

    /// NumPy's name (`Display` prints the same).
    pub const fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::Int8 => "int8",
            DType::UInt8 => "uint8",
            DType::Int16 => "int16",
            DType::UInt16 => "uint16",
            DType::Int32 => "int32",
            DType::UInt32 => "uint32",
            DType::Int64 => "int64",
            DType::UInt64 => "uint64",
            DType::Float16 => "float16",
            DType::BFloat16 => "bfloat16",
            DType::Float32 => "float32",
            DType::Float64 => "float64",
            DType::Complex64 => "complex64",
        }
    }

    /// The dtype of `np.sum` over this dtype: bool and signed ints give int64, unsigned ints
    /// give uint64, floats and complex keep theirs.
    pub const fn sum_dtype(self) -> DType {
        match self {
            DType::Bool | DType::Int8 | DType::Int16 | DType::Int32 | DType::Int64 => DType::Int64,
            DType::UInt8 | DType::UInt16 | DType::UInt32 | DType::UInt64 => DType::UInt64,
            other => other,
        }
    }

    /// The dtype a sum accumulates in: the sum dtype, except that float16 and bfloat16
    /// accumulate in float32 and are rounded once at the end.
    pub const fn sum_accumulator(self) -> DType {
        match self {
            DType::Float16 | DType::BFloat16 => DType::Float32,
            other => other.sum_dtype(),
        }
    }

    /// float16, bfloat16, float32 or float64.
    pub const fn is_float(self) -> bool {
        matches!(
            self,
            DType::Float16 | DType::BFloat16 | DType::Float32 | DType::Float64
        )
    }

    /// Any signed or unsigned integer type (not bool).
    pub const fn is_int(self) -> bool {
        matches!(
            self,
            DType::Int8
                | DType::UInt8
                | DType::Int16
                | DType::UInt16
                | DType::Int32
                | DType::UInt32
                | DType::Int64
                | DType::UInt64
        )
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DType {
    type Err = Error;

    /// Parses NumPy's names (`float32`, `int64`, ...).
    fn from_str(s: &str) -> Result<Self, Error> {
        DType::ALL
            .into_iter()
            .find(|d| d.name() == s)
            .ok_or_else(|| Error::UnknownDType(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in DType::ALL {
            assert_eq!(d.to_string().parse::<DType>().unwrap(), d);
        }
        assert!("float128".parse::<DType>().is_err());
    }

    #[test]
    fn sum_dtype_follows_numpy() {
        assert_eq!(DType::Bool.sum_dtype(), DType::Int64);
        assert_eq!(DType::Int8.sum_dtype(), DType::Int64);
        assert_eq!(DType::UInt16.sum_dtype(), DType::UInt64);
        assert_eq!(DType::Float16.sum_dtype(), DType::Float16);
        assert_eq!(DType::Float16.sum_accumulator(), DType::Float32);
        assert_eq!(DType::Complex64.sum_dtype(), DType::Complex64);
    }
}
