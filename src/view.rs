//! Operations on borrowed memory: an ndarray view in standard layout (a NumPy buffer, a memory
//! map) is reduced or cast on the CPU in place, with no copy of the input, and is uploaded to a
//! GPU straight from its buffer. Other layouts are copied once into C order.

use ndarray::{ArrayView, Dimension};

use crate::cpu::{arg_any_slice, cast_slice, finish_host, fold_slice, trivial_result};

use crate::device::Storage;
use crate::host::CpuStorage;
use crate::plan::{Axes, fold_passes};
use crate::reduce::{check_all_nan, plan_arg, plan_values};
use crate::{DType, Device, Element, Error, ReduceOp, Result, Tensor};

impl Device {
    /// [`Tensor::reduce`] of a borrowed array. On the CPU a standard-layout view is read where
    /// it lies (no copy in); on a GPU it is uploaded straight from its buffer; any other
    /// layout is copied once. The result is a new tensor on this device.
    ///
    /// # Errors
    /// As [`Tensor::reduce`].
    ///
    /// ```
    /// # use ndgpu::{Axes, Device, ReduceOp};
    /// let a = ndarray::array![[1.0f32, 5.0], [3.0, 2.0]];
    /// let s = Device::cpu().reduce_view(a.view(), ReduceOp::Sum, Axes::All, false)?;
    /// assert_eq!(s.view::<f32>()?.first(), Some(&11.0));
    /// # Ok::<(), ndgpu::Error>(())
    /// ```
    pub fn reduce_view<T: Element, D: Dimension>(
        &self,
        x: ArrayView<'_, T, D>,
        op: ReduceOp,
        axes: impl Into<Axes>,
        keepdims: bool,
    ) -> Result<Tensor> {
        let axes = axes.into();
        let slice = match x.as_slice() {
            Some(s) if self.is_cpu() => s,
            _ => return Tensor::from_ndarray(self, x)?.reduce(op, axes, keepdims),
        };
        let (shape, dtype, data) = (x.shape(), T::DTYPE, T::borrow_slice(slice));
        if op.is_arg() {
            let plan = plan_arg(op, shape, arg_axis(op, &axes)?, keepdims)?;
            if plan.empty {
                return Tensor::zeros(self, &plan.out_shape, DType::Int64);
            }
            let idx = arg_any_slice(data, op, plan.pass);
            if op.skips_nan() {
                check_all_nan(op, dtype, &idx)?;
            }
            return Ok(Tensor::from_storage(
                Storage::Cpu(CpuStorage::I64(idx)),
                plan.out_shape,
                DType::Int64,
                self,
            ));
        }
        let plan = plan_values(op, shape, dtype, &axes, keepdims)?;
        let host = match trivial_result(&plan, op, dtype)? {
            Some(host) => host,
            None => {
                let passes = fold_passes(shape, &plan.mask);
                let accs = op
                    .plan()
                    .0
                    .iter()
                    .map(|&kind| fold_slice(data, kind, &passes))
                    .collect();
                finish_host(accs, op, dtype, plan.count)?
            }
        };
        Ok(Tensor::from_storage(
            Storage::Cpu(host),
            plan.out_shape,
            plan.out_dtype,
            self,
        ))
    }

    /// [`Tensor::cast`] of a borrowed array, read in place on the CPU (standard layout) or
    /// uploaded straight from its buffer to a GPU. The result is always new memory (a cast
    /// to the same dtype is a copy, as NumPy's `astype`).
    ///
    /// # Errors
    /// As [`Tensor::cast`].
    ///
    /// ```
    /// # use ndgpu::{DType, Device};
    /// let a = ndarray::array![1.5f32, -2.5];
    /// let i = Device::cpu().cast_view(a.view(), DType::Int32)?;
    /// assert_eq!(i.view::<i32>()?.as_slice().unwrap(), &[1, -2]);
    /// # Ok::<(), ndgpu::Error>(())
    /// ```
    pub fn cast_view<T: Element, D: Dimension>(
        &self,
        x: ArrayView<'_, T, D>,
        dtype: DType,
    ) -> Result<Tensor> {
        let slice = match x.as_slice() {
            Some(s) if self.is_cpu() && dtype != T::DTYPE => s,
            _ => return Tensor::from_ndarray(self, x)?.cast(dtype),
        };
        let host = cast_slice(T::borrow_slice(slice), dtype);
        Ok(Tensor::from_storage(
            Storage::Cpu(host),
            x.shape().to_vec(),
            dtype,
            self,
        ))
    }
}

/// The one axis (or none: the flattened array) of an arg-reduction.
fn arg_axis(op: ReduceOp, axes: &Axes) -> Result<Option<isize>> {
    match axes {
        Axes::All => Ok(None),
        Axes::List(l) if l.len() == 1 => Ok(Some(l[0])),
        Axes::List(_) => Err(Error::Unsupported(format!(
            "{op} takes one axis or none (the flattened array)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{ArrayD, IxDyn, ShapeBuilder};

    use super::*;

    /// Every operation on a borrowed view gives the bytes of the same operation on a tensor,
    /// for C-order, transposed and empty inputs; the C-order input is not copied.
    #[test]
    fn views_match_tensors() -> Result<()> {
        let cpu = Device::cpu();
        let data: Vec<f32> = (0..24)
            .map(|i| {
                if i == 7 {
                    f32::NAN
                } else {
                    ((i * 37) % 11) as f32 - 4.5
                }
            })
            .collect();
        let c = ArrayD::from_shape_vec(IxDyn(&[2, 3, 4]), data.clone()).unwrap();
        let f = ArrayD::from_shape_vec(IxDyn(&[2, 3, 4]).f(), data).unwrap();
        let empty = ArrayD::<f32>::zeros(IxDyn(&[3, 0]));
        for a in [&c, &f, &empty] {
            let t = Tensor::from_ndarray(&cpu, a)?;
            for op in ReduceOp::ALL {
                for axes in [Axes::All, Axes::from(0), Axes::from(-1)] {
                    for keepdims in [false, true] {
                        let want = t.reduce(op, axes.clone(), keepdims);
                        let got = cpu.reduce_view(a.view(), op, axes.clone(), keepdims);
                        match (want, got) {
                            (Ok(w), Ok(g)) => {
                                assert_eq!(w.shape(), g.shape(), "{op} {axes:?}");
                                assert_eq!(w.dtype(), g.dtype(), "{op} {axes:?}");
                                let (w, g) = (w.to_device(&cpu)?, g.to_device(&cpu)?);
                                assert_eq!(bytes(&w), bytes(&g), "{op} {axes:?}");
                            }
                            (Err(w), Err(g)) => assert_eq!(w.to_string(), g.to_string()),
                            (w, g) => panic!("{op} {axes:?}: {w:?} vs {g:?}"),
                        }
                    }
                }
            }
            for to in [
                DType::Int32,
                DType::Float16,
                DType::Float64,
                DType::Bool,
                DType::Float32,
            ] {
                let want = t.cast(to)?;
                let got = cpu.cast_view(a.view(), to)?;
                assert_eq!(want.shape(), got.shape());
                assert_eq!(bytes(&want), bytes(&got), "cast to {to}");
            }
        }
        // The slice entry point reads the caller's buffer: the same pointer, no copy.
        let v = c.view();
        assert_eq!(v.as_slice().map(|s| s.as_ptr()), Some(c.as_ptr()));
        Ok(())
    }

    fn bytes(t: &Tensor) -> Vec<u8> {
        match &*t.storage {
            Storage::Cpu(s) => s.as_bytes().to_vec(),
            Storage::Gpu(_) => unreachable!(),
        }
    }

    #[test]
    fn views_on_the_gpu_match_the_cpu() {
        let Ok(gpu) = Device::gpu() else {
            assert!(
                std::env::var_os("NDGPU_REQUIRE_GPU").is_none(),
                "NDGPU_REQUIRE_GPU is set but no GPU adapter exists"
            );
            return;
        };
        let a = ndarray::Array2::from_shape_fn((5, 7), |(i, j)| (i * 7 + j) as i32 - 9);
        let cpu = Device::cpu();
        for op in [ReduceOp::Sum, ReduceOp::Max, ReduceOp::ArgMin] {
            let want = cpu.reduce_view(a.view(), op, 1, false).unwrap();
            let got = gpu.reduce_view(a.view(), op, 1, false).unwrap();
            assert_eq!(bytes(&want), bytes(&got.to_device(&cpu).unwrap()), "{op}");
        }
    }
}
