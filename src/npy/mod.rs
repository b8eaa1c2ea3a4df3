//! .npy files in and out: every little- or big-endian, C- or Fortran-order file NumPy writes
//! for the 13 dtypes that have a .npy code (bfloat16 has none), format versions 1.0 to 3.0.
//! Object, string, structured, datetime and timedelta arrays are refused with a one-line
//! error (nothing is ever unpickled). [`stream`] runs sum, argmax and cast over files larger
//! than memory.
//!
//! Memory of a streamed operation: one chunk (`NDGPU_CHUNK_BYTES`, default 32 MiB; a mapping
//! of just that chunk, or a reused buffer) plus a decode buffer for big-endian files, plus the
//! result of sum/argmax (held in memory, then written); cast writes its output chunk by chunk.
//! Two cases fall back to whole-array memory: a flat argmax (no axis) of a Fortran-order file
//! with more than one non-trivial axis, and an argmax along the leading axis whose single
//! slice is larger than a chunk holds the per-position best keys (output-sized).
//!
//! ```
//! use ndgpu::npy::stream::{self, StreamOptions};
//! use ndgpu::{Axes, Device, Tensor};
//!
//! let path = std::env::temp_dir().join(format!("ndgpu-doc-{}.npy", std::process::id()));
//! let t = Tensor::from_vec(&Device::cpu(), &[2, 2], vec![1.0f32, 2.0, 3.0, 4.0])?;
//! ndgpu::npy::write(&path, &t)?;
//! assert_eq!(ndgpu::npy::read(&path)?.shape(), &[2, 2]);
//! let s = stream::sum(&path, &Axes::from(0), false, &Device::cpu(), StreamOptions::default())?;
//! assert_eq!(s.view::<f32>()?.as_slice().unwrap(), &[4.0, 6.0]);
//! # std::fs::remove_file(&path).unwrap();
//! # Ok::<(), ndgpu::Error>(())
//! ```

mod decode;
mod header;
mod map;
mod read;
pub mod stream;
mod write;

pub use header::Header;
pub use read::{read, read_from, read_header, read_on};
pub use write::{AtomicFile, write, write_to};
