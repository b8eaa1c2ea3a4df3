//! ndarray in: owned standard-layout arrays move onto the CPU device without a copy; views and
//! other layouts are copied once into C order.

use ndarray::{ArcArray, Array, ArrayBase, ArrayView, Data, Dimension};

use crate::{Device, Element, Result, Tensor};

/// Something that can become a tensor on a device: ndarray arrays (owned, views, `ArcArray`)
/// and tensors (moved to the device if they live elsewhere).
pub trait IntoTensor {
    /// Converts `self` into a tensor on `device`.
    ///
    /// # Errors
    /// A device error while copying.
    fn into_tensor(self, device: &Device) -> Result<Tensor>;
}

impl Tensor {
    /// The seeds' `convert_to_tensor`: an ndarray (owned, view or `ArcArray`) as a tensor on
    /// `device`. An owned standard-layout array moves onto the CPU with no copy; anything else
    /// is copied once.
    ///
    /// # Errors
    /// A device error while copying.
    ///
    /// ```
    /// # use ndgpu::{Device, Tensor};
    /// let a = ndarray::array![[1.0f32, 2.0], [3.0, 4.0]];
    /// let ptr = a.as_ptr();
    /// let t = Tensor::from_ndarray(&Device::cpu(), a)?;
    /// assert_eq!(t.view::<f32>()?.as_ptr(), ptr);
    /// # Ok::<(), ndgpu::Error>(())
    /// ```
    pub fn from_ndarray(device: &Device, array: impl IntoTensor) -> Result<Tensor> {
        array.into_tensor(device)
    }
}

/// Copies any array into a tensor, writing a contiguous one's slice directly.
fn copy_in<T: Element, S: Data<Elem = T>, D: Dimension>(
    device: &Device,
    a: &ArrayBase<S, D>,
) -> Result<Tensor> {
    let shape = a.shape().to_vec();
    match a.as_slice() {
        Some(s) => Tensor::from_slice(device, &shape, s),
        None => Tensor::from_vec(device, &shape, a.iter().copied().collect()),
    }
}

impl<T: Element, D: Dimension> IntoTensor for Array<T, D> {
    fn into_tensor(self, device: &Device) -> Result<Tensor> {
        if !device.is_cpu() || !self.is_standard_layout() {
            return copy_in(device, &self);
        }
        let shape = self.shape().to_vec();
        let n = self.len();
        let (mut v, offset) = self.into_raw_vec_and_offset();
        let offset = offset.unwrap_or(0);
        if offset != 0 || v.len() != n {
            // The array is a window into a larger allocation: keep only the window.
            v = v[offset..offset + n].to_vec();
        }
        Tensor::from_vec(device, &shape, v)
    }
}

impl<T: Element, D: Dimension> IntoTensor for &Array<T, D> {
    fn into_tensor(self, device: &Device) -> Result<Tensor> {
        copy_in(device, self)
    }
}

impl<T: Element, D: Dimension> IntoTensor for ArrayView<'_, T, D> {
    fn into_tensor(self, device: &Device) -> Result<Tensor> {
        copy_in(device, &self)
    }
}

impl<T: Element, D: Dimension> IntoTensor for &ArrayView<'_, T, D> {
    fn into_tensor(self, device: &Device) -> Result<Tensor> {
        copy_in(device, self)
    }
}

impl<T: Element, D: Dimension> IntoTensor for ArcArray<T, D> {
    /// Moves without a copy when this is the only handle to the elements.
    fn into_tensor(self, device: &Device) -> Result<Tensor> {
        match self.try_into_owned_nocopy() {
            Ok(owned) => owned.into_tensor(device),
            Err(shared) => copy_in(device, &shared),
        }
    }
}

impl<T: Element, D: Dimension> IntoTensor for &ArcArray<T, D> {
    fn into_tensor(self, device: &Device) -> Result<Tensor> {
        copy_in(device, self)
    }
}

impl IntoTensor for Tensor {
    fn into_tensor(self, device: &Device) -> Result<Tensor> {
        self.to_device(device)
    }
}

impl IntoTensor for &Tensor {
    fn into_tensor(self, device: &Device) -> Result<Tensor> {
        self.to_device(device)
    }
}
