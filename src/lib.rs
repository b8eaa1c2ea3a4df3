//! ndgpu: n-dimensional arrays on any GPU through wgpu compute shaders, in and out as
//! `ndarray` arrays, with a CPU backend that gives the same results.
//!
//! | TensorFlow / NumPy | ndgpu |
//! |---|---|
//! | `tf.convert_to_tensor(a)` | [`Tensor::from_ndarray`]`(&device, a)` (an owned C-order array moves in without a copy) |
//! | `t.numpy()` | [`Tensor::to_ndarray`]`::<T>()` (copies) / [`Tensor::into_ndarray`] (moves where it can) / [`Tensor::view`] (borrows CPU memory) |
//! | `tf.reduce_sum(t, axis)`, `np.sum(a, axis, keepdims=...)` | [`Tensor::sum`]`(axes, keepdims)`, or [`Device::sum`]`(a, axes, keepdims)` on an ndarray; likewise `prod mean min max any all count_nonzero nansum nanprod nanmean nanmin nanmax ptp` ([`ReduceOp`]) |
//! | `tf.argmax(t, axis)`, `np.argmax(a, axis)` | [`Tensor::argmax`]`(Some(axis), keepdims)` (`None`: the flattened array); likewise `argmin nanargmax nanargmin` |
//! | `tf.cast(t, tf.float16)`, `a.astype(np.float16)` | [`Tensor::cast`]`(DType::Float16)` |
//! | `da.sum(x)` over blocks (Dask, another machine) | [`Tensor::partial`]`(op, axes)` per block, [`Partial::merge`], [`Partial::finish`]: the whole array's result (bit for bit for float sums and means); [`Partial::to_words`] / [`Partial::from_words`] move partials between processes |
//! | `np.load(path)` / `np.save(path, a)` | [`npy::read`] / [`npy::write`] |
//! | `np.load(path, mmap_mode="r").sum(axis)` | [`npy::stream::reduce`]: chunks of a memory mapping, bounded memory |
//! | `tf.device("/GPU:0")` | [`Device::gpu`], [`Device::cpu`], [`Device::auto`] (a hardware GPU, else the CPU) |
//!
//! ```
//! use ndgpu::{Axes, DType, Device, Tensor};
//!
//! let device = Device::cpu(); // or Device::auto(): a hardware GPU if one exists, else the CPU
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
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

mod backend;
pub mod bench;
#[allow(dead_code)] // the int -> float routines serve the GPU backend
pub(crate) mod bits;
mod convert;
mod cpu;
mod device;
mod dtype;
mod element;
mod error;
mod exact;
mod gpu;
mod host;
pub mod npy;
mod ops;
mod partial;
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
pub use gpu::{AdapterSummary, GpuInfo, TransferGuard, TransferStats, gpu_info};
pub use partial::Partial;
pub use plan::{Axes, Reduce3};
pub use reduce::ReduceOp;
pub use tensor::Tensor;
