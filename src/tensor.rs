//! The immutable, cheaply cloned n-d array that lives on a device.

use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD, IxDyn};

use crate::device::Storage;
use crate::host::CpuStorage;
use crate::plan::{check_ndim, numel};
use crate::{DType, Device, Element, Error, Result};

/// An n-dimensional array in C order on a [`Device`]. Clones share the elements.
#[derive(Clone, Debug)]
pub struct Tensor {
    pub(crate) storage: Arc<Storage>,
    pub(crate) shape: Vec<usize>,
    pub(crate) dtype: DType,
    pub(crate) device: Device,
}

/// Checks that `len` elements fill `shape`.
fn check_len(shape: &[usize], dtype: DType, len: usize) -> Result<()> {
    let n = numel(shape, dtype.itemsize())?;
    if n != len {
        return Err(Error::ShapeMismatch {
            shape: shape.to_vec(),
            expected: n,
            actual: len,
        });
    }
    Ok(())
}

impl Tensor {
    pub(crate) fn from_storage(
        storage: Storage,
        shape: Vec<usize>,
        dtype: DType,
        device: &Device,
    ) -> Tensor {
        debug_assert_eq!(
            (storage.dtype(), storage.len()),
            (dtype, shape.iter().product::<usize>()),
            "a tensor's storage disagrees with its dtype or shape"
        );
        Tensor {
            storage: Arc::new(storage),
            shape,
            dtype,
            device: device.clone(),
        }
    }

    /// A tensor of `shape` holding `data` (C order), on `device`. On the CPU the vector is moved
    /// in without a copy.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `data.len()` is not the product of `shape`.
    ///
    /// ```
    /// # use ndgpu::{Device, Tensor};
    /// let t = Tensor::from_vec(&Device::cpu(), &[2, 2], vec![1.0f32, 2.0, 3.0, 4.0])?;
    /// assert_eq!(t.shape(), &[2, 2]);
    /// # Ok::<(), ndgpu::Error>(())
    /// ```
    pub fn from_vec<T: Element>(device: &Device, shape: &[usize], data: Vec<T>) -> Result<Tensor> {
        check_len(shape, T::DTYPE, data.len())?;
        let storage = if device.is_cpu() {
            Storage::Cpu(T::into_storage(data))
        } else {
            device.upload(T::DTYPE, bytemuck::cast_slice(&data))?
        };
        Ok(Tensor::from_storage(
            storage,
            shape.to_vec(),
            T::DTYPE,
            device,
        ))
    }

    /// A tensor copied from a C-order slice.
    ///
    /// # Errors
    /// As [`Tensor::from_vec`].
    pub fn from_slice<T: Element>(device: &Device, shape: &[usize], data: &[T]) -> Result<Tensor> {
        if device.is_cpu() {
            return Tensor::from_vec(device, shape, data.to_vec());
        }
        check_len(shape, T::DTYPE, data.len())?;
        let storage = device.upload(T::DTYPE, bytemuck::cast_slice(data))?;
        Ok(Tensor::from_storage(
            storage,
            shape.to_vec(),
            T::DTYPE,
            device,
        ))
    }

    /// A tensor from the little-endian bytes of C-order elements of `dtype` (`np.frombuffer`;
    /// a bool byte is true when it is not 0).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `bytes` does not hold exactly the elements of `shape`.
    ///
    /// ```
    /// # use ndgpu::{DType, Device, Tensor};
    /// let t = Tensor::from_bytes(&Device::cpu(), &[2], DType::Int16, &[1, 0, 255, 255])?;
    /// assert_eq!(t.to_ndarray::<i16>()?.into_raw_vec_and_offset().0, [1, -1]);
    /// # Ok::<(), ndgpu::Error>(())
    /// ```
    pub fn from_bytes(
        device: &Device,
        shape: &[usize],
        dtype: DType,
        bytes: &[u8],
    ) -> Result<Tensor> {
        let n = numel(shape, dtype.itemsize())?;
        if bytes.len() != n * dtype.itemsize() {
            return Err(Error::ShapeMismatch {
                shape: shape.to_vec(),
                expected: n,
                actual: bytes.len() / dtype.itemsize(),
            });
        }
        let storage = device.upload(dtype, bytes)?;
        Ok(Tensor::from_storage(storage, shape.to_vec(), dtype, device))
    }

    /// A tensor of zeros.
    ///
    /// # Errors
    /// [`Error::ShapeTooLarge`], or a device error.
    pub fn zeros(device: &Device, shape: &[usize], dtype: DType) -> Result<Tensor> {
        let n = numel(shape, dtype.itemsize())?;
        Tensor::from_host(device, CpuStorage::zeros(dtype, n), shape.to_vec())
    }

    pub(crate) fn from_host(
        device: &Device,
        host: CpuStorage,
        shape: Vec<usize>,
    ) -> Result<Tensor> {
        check_ndim(&shape)?;
        let dtype = host.dtype();
        let storage = if device.is_cpu() {
            Storage::Cpu(host)
        } else {
            device.upload(dtype, host.as_bytes())?
        };
        Ok(Tensor::from_storage(storage, shape, dtype, device))
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The rank (number of axes).
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// True when the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The device holding the elements.
    pub fn device(&self) -> &Device {
        &self.device
    }

    fn check<T: Element>(&self) -> Result<()> {
        if T::DTYPE != self.dtype {
            return Err(Error::DTypeMismatch {
                tensor: self.dtype,
                requested: T::DTYPE,
            });
        }
        Ok(())
    }

    /// Borrows the elements of a CPU tensor as an ndarray view, without a copy.
    ///
    /// # Errors
    /// [`Error::DTypeMismatch`] when `T` is not the dtype; [`Error::NotOnHost`] for a GPU tensor
    /// (use [`Tensor::to_ndarray`]).
    ///
    /// ```
    /// # use ndgpu::{Device, Tensor};
    /// let t = Tensor::from_vec(&Device::cpu(), &[3], vec![1i32, 2, 3])?;
    /// assert_eq!(t.view::<i32>()?.sum(), 6);
    /// # Ok::<(), ndgpu::Error>(())
    /// ```
    pub fn view<T: Element>(&self) -> Result<ArrayViewD<'_, T>> {
        self.check::<T>()?;
        match &*self.storage {
            Storage::Cpu(s) => {
                let data = T::slice(s).ok_or_else(storage_mismatch)?;
                ArrayViewD::from_shape(IxDyn(&self.shape), data).map_err(|_| storage_mismatch())
            }
            Storage::Gpu(_) => Err(Error::NotOnHost(self.device.name())),
        }
    }

    /// An owned ndarray of the elements: a copy on the CPU, a readback from a GPU.
    ///
    /// # Errors
    /// [`Error::DTypeMismatch`], or a device error during readback.
    pub fn to_ndarray<T: Element>(&self) -> Result<ArrayD<T>> {
        self.check::<T>()?;
        let host = match &*self.storage {
            Storage::Cpu(s) => s.clone(),
            Storage::Gpu(_) => self.device.download(&self.storage)?,
        };
        host_to_array(host, &self.shape)
    }

    /// Like [`Tensor::to_ndarray`], as a future: a GPU readback is awaited instead of blocked on.
    ///
    /// # Errors
    /// As [`Tensor::to_ndarray`].
    pub async fn to_ndarray_async<T: Element>(&self) -> Result<ArrayD<T>> {
        self.check::<T>()?;
        let host = match &*self.storage {
            Storage::Cpu(s) => s.clone(),
            Storage::Gpu(_) => self.device.download_async(&self.storage).await?,
        };
        host_to_array(host, &self.shape)
    }

    /// The elements as an owned ndarray, consuming the tensor: no copy when this CPU tensor
    /// holds the only reference to its elements.
    ///
    /// # Errors
    /// As [`Tensor::to_ndarray`].
    pub fn into_ndarray<T: Element>(self) -> Result<ArrayD<T>> {
        self.check::<T>()?;
        match Arc::try_unwrap(self.storage) {
            Ok(Storage::Cpu(s)) => host_to_array(s, &self.shape),
            Ok(storage) => {
                Tensor::from_storage(storage, self.shape, self.dtype, &self.device).to_ndarray()
            }
            Err(shared) => Tensor {
                storage: shared,
                ..self
            }
            .to_ndarray(),
        }
    }

    /// The same elements on `device` (this tensor, shared, if it is already there).
    ///
    /// # Errors
    /// A device error during the copy.
    pub fn to_device(&self, device: &Device) -> Result<Tensor> {
        if *device == self.device {
            return Ok(self.clone());
        }
        let host = match &*self.storage {
            Storage::Cpu(s) => {
                return Ok(Tensor::from_storage(
                    device.upload(self.dtype, s.as_bytes())?,
                    self.shape.clone(),
                    self.dtype,
                    device,
                ));
            }
            Storage::Gpu(_) => self.device.download_implicit(&self.storage)?,
        };
        Tensor::from_host(device, host, self.shape.clone())
    }
}

fn storage_mismatch() -> Error {
    Error::Gpu("internal: a tensor's elements do not match its dtype or shape".into())
}

fn host_to_array<T: Element>(host: CpuStorage, shape: &[usize]) -> Result<ArrayD<T>> {
    let v = T::into_vec(host).ok_or_else(storage_mismatch)?;
    ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|_| storage_mismatch())
}
