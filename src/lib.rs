//! ndgpu: n-dimensional arrays on any GPU through wgpu compute shaders, in and out as
//! `ndarray` arrays, with a CPU backend that gives the same results.
//!
//! ```
//! use ndgpu::{Axes, DType, Device, Tensor};
//!
//! let device = Device::cpu(); // or Device::auto(): the GPU if an adapter exists
//! let x = Tensor::from_ndarray(&device, ndarray::array![[1.0f32, 5.0], [3.0, 2.0]])?;
//! let total = x.sum(Axes::All, false)?.to_ndarray::<f32>()?;
//! let best = x.argmax(Some(-1), false)?.to_ndarray::<i64>()?;
//! let ints = x.cast(DType::Int32)?.to_ndarray::<i32>()?;
//! assert_eq!(total.first(), Some(&11.0));
//! assert_eq!(best.into_raw_vec_and_offset().0, [1, 0]);
//! assert_eq!(ints[[1, 0]], 3);
//! # Ok::<(), ndgpu::Error>(())
//! ```

#![deny(unsafe_code)]

mod backend;
pub mod bench;
#[allow(dead_code)] // the int -> float routines serve the GPU backend
pub(crate) mod bits;
mod convert;
#[doc(hidden)]
pub mod cpu;
mod device;
mod dtype;
mod element;
mod error;
#[allow(dead_code)] // the exact-sum core, not yet wired into the ops (issue 8)
mod exact;
#[doc(hidden)]
pub mod gpu;
pub mod npy;
mod ops;
mod plan;
mod platform;
mod reduce;
mod tensor;
mod view;

pub use convert::IntoTensor;
pub use device::Device;
pub use dtype::DType;
pub use element::Element;
pub use error::{Error, Result};
pub use gpu::{gpu_info, AdapterSummary, GpuInfo, TransferGuard, TransferStats};
pub use plan::{Axes, Reduce3};
pub use reduce::ReduceOp;
pub use tensor::Tensor;
