//! The runtime dtype enum and NumPy's rules that depend only on the dtype.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// The element type of a tensor, named as NumPy names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `bool`: one byte, 0 or 1.
    Bool,
    /// `int8`.
    Int8,
    /// `uint8`.
    UInt8,
    /// `int16`.
    Int16,
    /// `uint16`.
    UInt16,
    /// `int32`.
    Int32,
    /// `uint32`.
    UInt32,
    /// `int64`.
    Int64,
    /// `uint64`.
    UInt64,
    /// `float16` (IEEE binary16).
    Float16,
    /// `bfloat16` (the top half of a float32; not storable in .npy).
    BFloat16,
    /// `float32`.
    Float32,
    /// `float64`.
    Float64,
    /// `complex64`: two float32, real then imaginary.
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

impl DType {
    /// Parses a dtype as `np.dtype(s)` does, for the types ndgpu has: NumPy's names
    /// (`float32`), its C-type aliases (`float` and `double` are float64, `single` float32,
    /// `half` float16, `int` and `long` int64, `uint` uint64, `intc` int32, `short` int16,
    /// `byte` int8, `ubyte` uint8, `csingle` complex64, ...), type codes with or without a
    /// byte order (`f4`, `<f4`, `=i8`, `|u1`, `?`, `b1`, `c8`, `e`, `f`, `d`, `F`, `l`, `q`, ...)
    /// and `bfloat16` (ml_dtypes' name). `int`, `long` and `uint` follow NumPy 2 on 64-bit
    /// Linux and macOS (int64 / uint64). A big-endian code (`>f4`) names the same values, so
    /// it is accepted (ndgpu writes little-endian files).
    ///
    /// # Errors
    /// [`Error::UnknownDType`] for anything else (complex128, float128, strings, ...).
    pub fn from_numpy_str(s: &str) -> Result<DType, Error> {
        let unknown = || Error::UnknownDType(s.to_string());
        if let Ok(d) = s.parse::<DType>() {
            return Ok(d);
        }
        let named = match s {
            "bool_" => Some(DType::Bool),
            "byte" => Some(DType::Int8),
            "ubyte" => Some(DType::UInt8),
            "short" => Some(DType::Int16),
            "ushort" => Some(DType::UInt16),
            "intc" => Some(DType::Int32),
            "uintc" => Some(DType::UInt32),
            "int" | "int_" | "intp" | "long" | "longlong" => Some(DType::Int64),
            "uint" | "uintp" | "ulong" | "ulonglong" => Some(DType::UInt64),
            "half" => Some(DType::Float16),
            "single" => Some(DType::Float32),
            "float" | "double" => Some(DType::Float64),
            "csingle" => Some(DType::Complex64),
            _ => None,
        };
        if let Some(d) = named {
            return Ok(d);
        }
        // A type code, after an optional byte-order character.
        let code = s.strip_prefix(['<', '>', '=', '|']).unwrap_or(s);
        Ok(match code {
            "?" | "b1" => DType::Bool,
            "b" | "i1" => DType::Int8,
            "B" | "u1" => DType::UInt8,
            "h" | "i2" => DType::Int16,
            "H" | "u2" => DType::UInt16,
            "i" | "i4" => DType::Int32,
            "I" | "u4" => DType::UInt32,
            "l" | "q" | "p" | "i8" => DType::Int64,
            "L" | "Q" | "P" | "u8" => DType::UInt64,
            "e" | "f2" => DType::Float16,
            "f" | "f4" => DType::Float32,
            "d" | "f8" => DType::Float64,
            "F" | "c8" => DType::Complex64,
            _ => return Err(unknown()),
        })
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
    fn numpy_spellings() {
        let cases = [
            ("float", DType::Float64),
            ("double", DType::Float64),
            ("d", DType::Float64),
            ("<f8", DType::Float64),
            ("f4", DType::Float32),
            ("<f4", DType::Float32),
            ("=f4", DType::Float32),
            (">f4", DType::Float32),
            ("single", DType::Float32),
            ("f", DType::Float32),
            ("half", DType::Float16),
            ("e", DType::Float16),
            ("f2", DType::Float16),
            ("int", DType::Int64),
            ("i8", DType::Int64),
            ("long", DType::Int64),
            ("intp", DType::Int64),
            ("uint", DType::UInt64),
            ("u8", DType::UInt64),
            ("intc", DType::Int32),
            ("i", DType::Int32),
            ("short", DType::Int16),
            ("byte", DType::Int8),
            ("b", DType::Int8),
            ("i1", DType::Int8),
            ("ubyte", DType::UInt8),
            ("B", DType::UInt8),
            ("u1", DType::UInt8),
            ("|u1", DType::UInt8),
            ("?", DType::Bool),
            ("b1", DType::Bool),
            ("bool_", DType::Bool),
            ("c8", DType::Complex64),
            ("<c8", DType::Complex64),
            ("F", DType::Complex64),
            ("csingle", DType::Complex64),
            ("complex64", DType::Complex64),
            ("bfloat16", DType::BFloat16),
        ];
        for (s, d) in cases {
            assert_eq!(DType::from_numpy_str(s).unwrap(), d, "{s}");
        }
        for s in [
            "complex", "c16", "D", "f16", "g", "float128", "U", "O", "<", "", "Float32", "i3",
        ] {
            assert!(DType::from_numpy_str(s).is_err(), "{s}");
        }
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
