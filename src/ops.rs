//! The operations on tensors, with NumPy's semantics decided here once: backends receive only
//! validated, non-empty `[outer, len, inner]` passes of a reduction the engine planned
//! (`reduce`).

use crate::convert::IntoTensor;
use crate::cpu::trivial_result;
use crate::plan::{Axes, fold_passes};
use crate::reduce::{check_all_nan, plan_arg, plan_values};
use crate::{DType, Device, Error, ReduceOp, Result, Tensor};

/// `Tensor::$name(axes, keepdims)` and `Device::$name(x, axes, keepdims)` for each row of
/// the value-reductions' table (`reduce::value_reductions`).
macro_rules! value_methods {
    ($($name:ident => $op:ident, $numpy:literal, $doc:literal;)*) => {
        impl Tensor {$(
            #[doc = concat!("`", $numpy, "(x, axis=axes, keepdims=keepdims)`: ", $doc)]
            ///
            /// # Errors
            /// [`Error::AxisOutOfRange`], [`Error::RepeatedAxis`], [`Error::EmptyReduction`]
            /// for min/max over nothing, or a device error.
            pub fn $name(&self, axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor> {
                self.reduce(ReduceOp::$op, axes, keepdims)
            }
        )*}

        impl Device {$(
            #[doc = concat!("[`Tensor::", stringify!($name), "`] of anything convertible to a tensor on this device (an ndarray array is converted implicitly, as TensorFlow converts NumPy arrays).")]
            ///
            /// # Errors
            #[doc = concat!("As [`Tensor::", stringify!($name), "`], or a conversion error.")]
            pub fn $name(
                &self,
                x: impl IntoTensor,
                axes: impl Into<Axes>,
                keepdims: bool,
            ) -> Result<Tensor> {
                x.into_tensor(self)?.$name(axes, keepdims)
            }
        )*}
    };
}

crate::reduce::value_reductions!(value_methods);

/// `Tensor::$name(axis, keepdims)` and `Device::$name(x, axis, keepdims)` for each row of
/// the arg-reductions' table (`reduce::arg_reductions`).
macro_rules! arg_methods {
    ($($name:ident => $op:ident, $numpy:literal, $doc:literal;)*) => {
        impl Tensor {$(
            #[doc = concat!("`", $numpy, "(x, axis=axis, keepdims=keepdims)` as int64: ", $doc)]
            /// Indices are into the flattened C-order array when `axis` is `None`.
            ///
            /// # Errors
            /// [`Error::EmptyReduction`] when the reduced length is 0, [`Error::AllNan`] (the
            /// nan-variants), [`Error::AxisOutOfRange`], or a device error.
            pub fn $name(&self, axis: Option<isize>, keepdims: bool) -> Result<Tensor> {
                self.arg_reduce(ReduceOp::$op, axis, keepdims)
            }
        )*}

        impl Device {$(
            #[doc = concat!("[`Tensor::", stringify!($name), "`] of anything convertible to a tensor on this device.")]
            ///
            /// # Errors
            #[doc = concat!("As [`Tensor::", stringify!($name), "`], or a conversion error.")]
            pub fn $name(
                &self,
                x: impl IntoTensor,
                axis: Option<isize>,
                keepdims: bool,
            ) -> Result<Tensor> {
                x.into_tensor(self)?.$name(axis, keepdims)
            }
        )*}
    };
}

crate::reduce::arg_reductions!(arg_methods);

impl Tensor {
    /// Any reduction by its [`ReduceOp`] over `axes` (an arg-reduction takes one axis or
    /// [`Axes::All`], its flattened array).
    ///
    /// # Errors
    /// As the named methods ([`Tensor::sum`], [`Tensor::argmax`], ...).
    ///
    /// ```
    /// # use ndgpu::{Axes, Device, ReduceOp, Tensor};
    /// let t = Tensor::from_ndarray(&Device::cpu(), ndarray::array![[1i32, 2], [3, 4]])?;
    /// assert_eq!(t.reduce(ReduceOp::Sum, Axes::All, false)?.view::<i64>()?.first(), Some(&10));
    /// assert_eq!(t.reduce(ReduceOp::Max, -1, false)?.view::<i32>()?.as_slice().unwrap(), &[2, 4]);
    /// assert_eq!(t.mean(0, false)?.view::<f64>()?.as_slice().unwrap(), &[2.0, 3.0]);
    /// # Ok::<(), ndgpu::Error>(())
    /// ```
    pub fn reduce(&self, op: ReduceOp, axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor> {
        let axes = axes.into();
        if op.is_arg() {
            let axis = match &axes {
                Axes::All => None,
                Axes::List(l) if l.len() == 1 => Some(l[0]),
                Axes::List(_) => {
                    return Err(Error::Unsupported(format!(
                        "{op} takes one axis or none (the flattened array)"
                    )));
                }
            };
            return self.arg_reduce(op, axis, keepdims);
        }
        let plan = plan_values(op, &self.shape, self.dtype, &axes, keepdims)?;
        let dev = &self.device;
        let storage = match trivial_result(&plan, op, self.dtype)? {
            Some(host) => dev.upload(plan.out_dtype, host.as_bytes())?,
            None => dev.recorded(|| {
                let passes = fold_passes(&self.shape, &plan.mask);
                let n_out = passes.last().map_or(0, |r| r.output_len());
                let accs = dev.exec_fold_all(&self.storage, op.plan().0, &passes)?;
                dev.exec_finish(accs, op, self.dtype, plan.count, n_out)
            })?,
        };
        Ok(Tensor::from_storage(
            storage,
            plan.out_shape,
            plan.out_dtype,
            dev,
        ))
    }

    /// An arg-reduction along `axis`, or over the flattened array when `None`.
    fn arg_reduce(&self, op: ReduceOp, axis: Option<isize>, keepdims: bool) -> Result<Tensor> {
        let plan = plan_arg(op, &self.shape, axis, keepdims)?;
        if plan.empty {
            return Tensor::zeros(&self.device, &plan.out_shape, DType::Int64);
        }
        let r = plan.pass;
        let storage = self.device.exec_arg(&self.storage, op, r)?;
        if op.skips_nan() {
            let idx = self.device.download(&storage)?;
            check_all_nan(op, self.dtype, bytemuck::cast_slice(idx.as_bytes()))?;
        }
        Ok(Tensor::from_storage(
            storage,
            plan.out_shape,
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
            self.device.exec_cast(&self.storage, dtype)?
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
    /// [`Tensor::reduce`] of anything convertible to a tensor on this device.
    ///
    /// # Errors
    /// As [`Tensor::reduce`], or a conversion error.
    pub fn reduce(
        &self,
        x: impl IntoTensor,
        op: ReduceOp,
        axes: impl Into<Axes>,
        keepdims: bool,
    ) -> Result<Tensor> {
        x.into_tensor(self)?.reduce(op, axes, keepdims)
    }

    /// [`Tensor::cast`] of anything convertible to a tensor on this device.
    ///
    /// # Errors
    /// As [`Tensor::cast`], or a conversion error.
    pub fn cast(&self, x: impl IntoTensor, dtype: DType) -> Result<Tensor> {
        x.into_tensor(self)?.cast(dtype)
    }
}
