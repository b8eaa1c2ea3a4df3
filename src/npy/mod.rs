//! .npy files in and out: every little- or big-endian, C- or Fortran-order file NumPy writes
//! for the 13 dtypes that have a .npy code (bfloat16 has none), format versions 1.0 to 3.0.
//! Object, string, structured, datetime and timedelta arrays are refused with a one-line
//! error (nothing is ever unpickled). [`stream`] runs sum, argmax and cast over files larger
//! than memory.

mod decode;
mod header;
mod map;
mod read;
pub mod stream;
mod write;

pub use header::Header;
pub use read::{read, read_from, read_header, read_on};
pub use write::{write, write_to, AtomicFile};
