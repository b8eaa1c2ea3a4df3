//! The operations, with NumPy's semantics decided here once: backends receive only validated,
//! non-empty `[outer, len, inner]` passes.

use crate::convert::IntoTensor;
use crate::plan::{argmax_pass, axes_mask, normalize_axis, reduced_shape, sum_passes, Axes};
use crate::tensor::numel;
use crate::{DType, Device, Error, Result, Tensor};

impl Tensor {
    /// `np.sum(x, axis=axes, keepdims=keepdims)`: bool and signed ints sum to int64, unsigned
    /// to uint64, floats and complex keep their dtype (float16/bfloat16 accumulate in float32
    /// and round once). Integer sums wrap; float sums are pairwise along every axis.
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`], [`Error::RepeatedAxis`], or a device error.
    ///
    /// ```
    /// # use ndgpu::{Axes, Device, Tensor};
    /// let t = Tensor::from_ndarray(&Device::cpu(), ndarray::array![[1i32, 2], [3, 4]])?;
    /// assert_eq!(t.sum(Axes::All, false)?.to_ndarray::<i64>()?.into_raw_vec_and_offset().0, [10]);
    /// assert_eq!(t.sum(-1, false)?.view::<i64>()?.as_slice().unwrap(), &[3, 7]);
    /// # Ok::<(), ndgpu::Error>(())
    /// ```
    pub fn sum(&self, axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor> {
        let mask = axes_mask(&axes.into(), self.ndim())?;
        let out_shape = reduced_shape(&self.shape, &mask, keepdims);
        let out_dtype = self.dtype.sum_dtype();
        let n_out = numel(&out_shape, out_dtype.itemsize())?;
        if n_out == 0 || self.is_empty() {
            return Tensor::zeros(&self.device, &out_shape, out_dtype);
        }
        let mut storage = self.storage.clone();
        let mut dtype = self.dtype;
        for r in sum_passes(&self.shape, &mask) {
            storage = self.device.exec_sum(&storage, dtype, r)?.into();
            dtype = self.dtype.sum_accumulator();
        }
        if dtype != out_dtype {
            storage = self
                .device
                .exec_cast(&storage, dtype, out_dtype, n_out)?
                .into();
        }
        Ok(Tensor {
            storage,
            shape: out_shape,
            dtype: out_dtype,
            device: self.device.clone(),
        })
    }

    /// `np.argmax(x, axis=axis, keepdims=keepdims)` as int64: the index of the first maximum,
    /// into the flattened C-order array when `axis` is `None`. NaN is the maximum (the first NaN
    /// wins), -0.0 equals +0.0, complex values compare (real, imag).
    ///
    /// # Errors
    /// [`Error::EmptyReduction`] when the reduced length is 0, [`Error::AxisOutOfRange`], or a
    /// device error.
    ///
    /// ```
    /// # use ndgpu::{Device, Tensor};
    /// let t = Tensor::from_ndarray(&Device::cpu(), ndarray::array![[1.0f32, 9.0], [f32::NAN, 0.0]])?;
    /// assert_eq!(t.argmax(None, false)?.view::<i64>()?.first(), Some(&2));
    /// assert_eq!(t.argmax(Some(1), false)?.view::<i64>()?.as_slice().unwrap(), &[1, 0]);
    /// # Ok::<(), ndgpu::Error>(())
    /// ```
    pub fn argmax(&self, axis: Option<isize>, keepdims: bool) -> Result<Tensor> {
        let axis = axis.map(|a| normalize_axis(a, self.ndim())).transpose()?;
        let mask: Vec<bool> = (0..self.ndim())
            .map(|i| axis.is_none_or(|a| a == i))
            .collect();
        let out_shape = reduced_shape(&self.shape, &mask, keepdims);
        let r = argmax_pass(&self.shape, axis);
        if r.len == 0 {
            return Err(Error::EmptyReduction);
        }
        if r.output_len() == 0 {
            return Tensor::zeros(&self.device, &out_shape, DType::Int64);
        }
        let storage = self.device.exec_argmax(&self.storage, self.dtype, r)?;
        Ok(Tensor::from_storage(
            storage,
            out_shape,
            DType::Int64,
            &self.device,
        ))
    }

    /// `x.astype(dtype)`. NumPy's result where NumPy defines it; where it is platform-defined,
    /// Rust's `as`: float -> int truncates toward zero and saturates (NaN -> 0), int -> int
    /// wraps, anything -> bool is `!= 0` (NaN -> true), complex -> real takes the real part,
    /// and every rounding is to nearest even, once.
    ///
    /// # Errors
    /// A device error.
    ///
    /// ```
    /// # use ndgpu::{DType, Device, Tensor};
    /// let t = Tensor::from_vec(&Device::cpu(), &[3], vec![-1.5f32, f32::NAN, 3e9])?;
    /// let i = t.cast(DType::Int32)?;
    /// assert_eq!(i.view::<i32>()?.as_slice().unwrap(), &[-1, 0, i32::MAX]);
    /// # Ok::<(), ndgpu::Error>(())
    /// ```
    pub fn cast(&self, dtype: DType) -> Result<Tensor> {
        if dtype == self.dtype {
            return Ok(self.clone());
        }
        let storage = if self.is_empty() {
            return Tensor::zeros(&self.device, &self.shape, dtype);
        } else {
            self.device
                .exec_cast(&self.storage, self.dtype, dtype, self.len())?
        };
        Ok(Tensor::from_storage(
            storage,
            self.shape.clone(),
            dtype,
            &self.device,
        ))
    }
}

impl Device {
    /// [`Tensor::sum`] of anything convertible to a tensor on this device (an ndarray array is
    /// converted implicitly, as TensorFlow converts NumPy arrays).
    ///
    /// # Errors
    /// As [`Tensor::sum`], or a conversion error.
    pub fn sum(&self, x: impl IntoTensor, axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor> {
        x.into_tensor(self)?.sum(axes, keepdims)
    }

    /// [`Tensor::argmax`] of anything convertible to a tensor on this device.
    ///
    /// # Errors
    /// As [`Tensor::argmax`], or a conversion error.
    pub fn argmax(
        &self,
        x: impl IntoTensor,
        axis: Option<isize>,
        keepdims: bool,
    ) -> Result<Tensor> {
        x.into_tensor(self)?.argmax(axis, keepdims)
    }

    /// [`Tensor::cast`] of anything convertible to a tensor on this device.
    ///
    /// # Errors
    /// As [`Tensor::cast`], or a conversion error.
    pub fn cast(&self, x: impl IntoTensor, dtype: DType) -> Result<Tensor> {
        x.into_tensor(self)?.cast(dtype)
    }
}
