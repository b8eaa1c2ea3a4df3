//! The .npy header: magic, version, and the Python-literal dict, parsed strictly into one-line
//! errors. The dict is parsed here (not by npyz) so that a hostile header can neither allocate
//! unbounded memory, recurse without limit, nor overflow a shape product; npyz parses the
//! `descr` type string.

use npyz::{Endianness, TypeChar, TypeStr};

use crate::DType;

/// The largest header accepted (NumPy's own default limit is 10 000 bytes).
pub(crate) const MAX_HEADER: usize = 1 << 16;
const MAGIC: &[u8; 6] = b"\x93NUMPY";
const MAX_DEPTH: usize = 16;

/// What a .npy header says about the data that follows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The element type.
    pub dtype: DType,
    /// True when elements are stored big-endian.
    pub big_endian: bool,
    /// True when the data is in Fortran (column-major) order.
    pub fortran_order: bool,
    /// The shape.
    pub shape: Vec<usize>,
    /// Byte offset of the data from the start of the file.
    pub data_offset: usize,
}

impl Header {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// True when the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of data the shape calls for.
    pub fn data_len(&self) -> usize {
        self.len() * self.dtype.itemsize()
    }
}

/// How many leading bytes hold the header, from the first 12 bytes of a file (or `Err`).
pub(crate) fn header_len(prefix: &[u8]) -> Result<usize, String> {
    if prefix.len() < 10 || &prefix[..6] != MAGIC {
        return Err("not a .npy file (bad magic string)".into());
    }
    let (major, minor) = (prefix[6], prefix[7]);
    let (size_bytes, len) = match (major, minor) {
        (1, 0) => (2, u16::from_le_bytes([prefix[8], prefix[9]]) as usize),
        (2, 0) | (3, 0) if prefix.len() >= 12 => (
            4,
            u32::from_le_bytes([prefix[8], prefix[9], prefix[10], prefix[11]]) as usize,
        ),
        (2, 0) | (3, 0) => return Err("truncated .npy header".into()),
        _ => return Err(format!("unsupported .npy format version {major}.{minor}")),
    };
    if len > MAX_HEADER {
        return Err(format!(
            "the .npy header claims {len} bytes (more than {MAX_HEADER}): the file is corrupt"
        ));
    }
    Ok(8 + size_bytes + len)
}

/// Parses a complete header (`bytes` holds at least `header_len` bytes).
pub(crate) fn parse(bytes: &[u8]) -> Result<Header, String> {
    let total = header_len(bytes)?;
    if bytes.len() < total {
        return Err("truncated .npy header".into());
    }
    let text_start = if bytes[6] == 1 { 10 } else { 12 };
    let text = std::str::from_utf8(&bytes[text_start..total])
        .map_err(|_| "garbled .npy header (not UTF-8)".to_string())?;
    if bytes[6] != 3 && !text.is_ascii() {
        return Err("garbled .npy header (non-ASCII text in a version 1/2 header)".into());
    }
    let value = Parser::new(text).document()?;
    let Value::Dict(entries) = value else {
        return Err("garbled .npy header (not a dict)".into());
    };
    let get = |key: &str| {
        entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .ok_or_else(|| format!("garbled .npy header (no '{key}' key)"))
    };
    let fortran_order = match get("fortran_order")? {
        Value::Bool(b) => *b,
        _ => return Err("garbled .npy header ('fortran_order' is not True/False)".into()),
    };
    let shape = match get("shape")? {
        Value::Seq(items) => items
            .iter()
            .map(|v| match v {
                Value::Int(i) if *i < 0 => Err(format!("negative dimension {i} in the .npy shape")),
                Value::Int(i) => usize::try_from(*i)
                    .map_err(|_| format!("dimension {i} in the .npy shape is too large")),
                _ => Err("garbled .npy header (a shape entry is not an integer)".into()),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err("garbled .npy header ('shape' is not a tuple)".into()),
    };
    if shape.len() > crate::plan::MAX_DIMS {
        return Err(format!(
            "the .npy shape has {} dimensions, more than the {} NumPy allows: the file is corrupt",
            shape.len(),
            crate::plan::MAX_DIMS
        ));
    }
    let (dtype, big_endian) = match get("descr")? {
        Value::Str(s) => descr_dtype(s)?,
        Value::Seq(_) => {
            return Err(
                "structured (record) arrays are not supported: use a plain numeric dtype".into(),
            );
        }
        _ => return Err("garbled .npy header ('descr' is not a string)".into()),
    };
    let n = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    if n.and_then(|n| n.checked_mul(dtype.itemsize()))
        .is_none_or(|b| b > isize::MAX as usize)
    {
        return Err(format!("the .npy shape {shape:?} is too large"));
    }
    Ok(Header {
        dtype,
        big_endian,
        fortran_order,
        shape,
        data_offset: total,
    })
}

/// The dtype and byte order of a `descr` type string, or a one-line refusal naming it.
fn descr_dtype(descr: &str) -> Result<(DType, bool), String> {
    let refuse = |what: &str| {
        Err(format!(
            "{what} arrays (dtype '{descr}') are not supported: use a plain numeric dtype"
        ))
    };
    let ts: TypeStr = match descr.parse() {
        Ok(ts) => ts,
        Err(_) => {
            return Err(format!(
                "unknown .npy dtype '{descr}': use a plain numeric dtype"
            ));
        }
    };
    let size = ts.size_field();
    let dtype = match (ts.type_char(), size) {
        (TypeChar::Bool, 1) => DType::Bool,
        (TypeChar::Int, 1) => DType::Int8,
        (TypeChar::Int, 2) => DType::Int16,
        (TypeChar::Int, 4) => DType::Int32,
        (TypeChar::Int, 8) => DType::Int64,
        (TypeChar::Uint, 1) => DType::UInt8,
        (TypeChar::Uint, 2) => DType::UInt16,
        (TypeChar::Uint, 4) => DType::UInt32,
        (TypeChar::Uint, 8) => DType::UInt64,
        (TypeChar::Float, 2) => DType::Float16,
        (TypeChar::Float, 4) => DType::Float32,
        (TypeChar::Float, 8) => DType::Float64,
        (TypeChar::Complex, 8) => DType::Complex64,
        (TypeChar::Object, _) => return refuse("object (pickled)"),
        (TypeChar::UnicodeStr, _) => return refuse("unicode string"),
        (TypeChar::ByteStr, _) => return refuse("byte string"),
        (TypeChar::RawData, _) => return refuse("void (structured)"),
        (TypeChar::DateTime, _) => return refuse("datetime64"),
        (TypeChar::TimeDelta, _) => return refuse("timedelta64"),
        _ => {
            return Err(format!(
                "unsupported .npy dtype '{descr}': use bool, (u)int8..64, float16/32/64 or complex64"
            ));
        }
    };
    Ok((dtype, ts.endianness() == Endianness::Big))
}

/// The header NumPy would write for a C- or Fortran-order little-endian array: version 1.0
/// when it fits, else 2.0; padded with spaces so the data starts at a multiple of 64.
///
/// # Errors
/// bfloat16 has no .npy type code.
pub(crate) fn encode(
    dtype: DType,
    shape: &[usize],
    fortran_order: bool,
) -> Result<Vec<u8>, String> {
    let descr = match dtype {
        DType::Bool => "|b1",
        DType::Int8 => "|i1",
        DType::UInt8 => "|u1",
        DType::Int16 => "<i2",
        DType::UInt16 => "<u2",
        DType::Int32 => "<i4",
        DType::UInt32 => "<u4",
        DType::Int64 => "<i8",
        DType::UInt64 => "<u8",
        DType::Float16 => "<f2",
        DType::Float32 => "<f4",
        DType::Float64 => "<f8",
        DType::Complex64 => "<c8",
        DType::BFloat16 => {
            return Err(
                "bfloat16 has no .npy type code: cast() to float32 (or float16) before writing"
                    .into(),
            );
        }
    };
    if shape.len() > crate::plan::MAX_DIMS {
        return Err(format!(
            "{} dimensions is more than the {} NumPy allows: reshape to at most {}",
            shape.len(),
            crate::plan::MAX_DIMS,
            crate::plan::MAX_DIMS
        ));
    }
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_text = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let order = if fortran_order { "True" } else { "False" };
    let dict = format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape_text}, }}");
    let build = |major: u8, size_bytes: usize| {
        let unpadded = 8 + size_bytes + dict.len() + 1;
        let total = unpadded.div_ceil(64) * 64;
        let len = total - 8 - size_bytes;
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[major, 0]);
        if size_bytes == 2 {
            out.extend_from_slice(&(len as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(len as u32).to_le_bytes());
        }
        out.extend_from_slice(dict.as_bytes());
        out.resize(total - 1, b' ');
        out.push(b'\n');
        (out, len)
    };
    let (v1, len) = build(1, 2);
    Ok(if len <= u16::MAX as usize {
        v1
    } else {
        build(2, 4).0
    })
}

/// The subset of Python literals a .npy header uses.
#[derive(Debug, PartialEq)]
enum Value {
    Str(String),
    Int(i128),
    Bool(bool),
    None,
    Seq(Vec<Value>),
    Dict(Vec<(String, Value)>),
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            s: text.as_bytes(),
            pos: 0,
            depth: 0,
        }
    }

    fn err(&self, what: &str) -> String {
        format!("garbled .npy header ({what} at byte {})", self.pos)
    }

    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.pos).copied()
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected '{}'", c as char)))
        }
    }

    fn document(&mut self) -> Result<Value, String> {
        let v = self.value()?;
        if self.peek().is_some() {
            return Err(self.err("unexpected text after the dict"));
        }
        Ok(v)
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.peek() {
            None => Err(self.err("unexpected end")),
            Some(b'{') => self.nested(|p| p.dict()),
            Some(b'(') => self.nested(|p| p.seq(b')')),
            Some(b'[') => self.nested(|p| p.seq(b']')),
            Some(b'\'' | b'"') => self.string().map(Value::Str),
            Some(c) if c == b'-' || c.is_ascii_digit() => self.int(),
            Some(c) if c.is_ascii_alphabetic() => self.word(),
            Some(_) => Err(self.err("unexpected character")),
        }
    }

    fn nested(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<Value, String>,
    ) -> Result<Value, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.pos += 1;
        let v = f(self);
        self.depth -= 1;
        v
    }

    fn dict(&mut self) -> Result<Value, String> {
        let mut entries = Vec::new();
        loop {
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(Value::Dict(entries));
            }
            let key = match self.value()? {
                Value::Str(k) => k,
                _ => return Err(self.err("a dict key is not a string")),
            };
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(self.err(&format!("key '{key}' repeated")));
            }
            self.expect(b':')?;
            let v = self.value()?;
            entries.push((key, v));
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
    }

    fn seq(&mut self, close: u8) -> Result<Value, String> {
        let mut items = Vec::new();
        loop {
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(Value::Seq(items));
            }
            items.push(self.value()?);
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(c) if c == close => {}
                _ => return Err(self.err(&format!("expected ',' or '{}'", close as char))),
            }
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = self.s[self.pos];
        self.pos += 1;
        let start = self.pos;
        while self.pos < self.s.len() && self.s[self.pos] != quote {
            if self.s[self.pos] == b'\\' {
                return Err(self.err("escapes in strings are not supported"));
            }
            self.pos += 1;
        }
        if self.pos >= self.s.len() {
            return Err(self.err("unterminated string"));
        }
        let text = std::str::from_utf8(&self.s[start..self.pos])
            .map_err(|_| self.err("invalid UTF-8"))?
            .to_string();
        self.pos += 1;
        Ok(text)
    }

    fn int(&mut self) -> Result<Value, String> {
        let start = self.pos;
        if self.s[self.pos] == b'-' {
            self.pos += 1;
        }
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        // Python 2 long suffix, still seen in old files.
        let end = self.pos;
        if self.pos < self.s.len() && self.s[self.pos] == b'L' {
            self.pos += 1;
        }
        std::str::from_utf8(&self.s[start..end])
            .ok()
            .and_then(|t| t.parse::<i128>().ok())
            .map(Value::Int)
            .ok_or_else(|| self.err("bad integer"))
    }

    fn word(&mut self) -> Result<Value, String> {
        let start = self.pos;
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_alphanumeric() {
            self.pos += 1;
        }
        match &self.s[start..self.pos] {
            b"True" => Ok(Value::Bool(true)),
            b"False" => Ok(Value::Bool(false)),
            b"None" => Ok(Value::None),
            _ => {
                self.pos = start;
                Err(self.err("unknown word"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_what_it_writes() {
        for (shape, f) in [(vec![], false), (vec![3], false), (vec![2, 0, 5], true)] {
            let bytes = encode(DType::Float32, &shape, f).unwrap();
            assert_eq!(bytes.len() % 64, 0);
            let h = parse(&bytes).unwrap();
            assert_eq!(
                (h.dtype, h.shape, h.fortran_order),
                (DType::Float32, shape, f)
            );
            assert_eq!(h.data_offset, bytes.len());
        }
        assert!(encode(DType::BFloat16, &[1], false).is_err());
    }

    #[test]
    fn refuses_with_one_line() {
        let mk = |dict: &str| {
            let mut b = b"\x93NUMPY\x01\x00".to_vec();
            b.extend_from_slice(&(dict.len() as u16).to_le_bytes());
            b.extend_from_slice(dict.as_bytes());
            parse(&b)
        };
        let ok = mk("{'descr': '>i2', 'fortran_order': False, 'shape': (2, 3), }").unwrap();
        assert!(ok.big_endian && ok.dtype == DType::Int16 && ok.shape == [2, 3]);
        for (dict, needle) in [
            (
                "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
                "object",
            ),
            (
                "{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }",
                "unicode",
            ),
            (
                "{'descr': '<M8[s]', 'fortran_order': False, 'shape': (2,), }",
                "datetime64",
            ),
            (
                "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (2,), }",
                "structured",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }",
                "negative",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2**3,), }",
                "garbled",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }",
                "too large",
            ),
            (
                "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }",
                "fortran_order",
            ),
            (
                "{'descr': '<q9', 'fortran_order': False, 'shape': (2,), }",
                "unknown",
            ),
            ("((((((((((((((((((((((((((", "deep"),
        ] {
            let e = mk(dict).unwrap_err();
            assert!(e.contains(needle), "{dict}: {e}");
            assert!(!e.contains('\n'));
        }
    }
}
