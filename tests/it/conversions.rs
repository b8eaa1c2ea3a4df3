//! ndarray in and out: each zero-copy claim proved by pointer identity, each copy proved
//! independent of the tensor.

use crate::common;

use ndarray::{ArcArray, Array2, Array3, ShapeBuilder, array};
use ndgpu::{DType, Device, Error, Tensor};

#[test]
fn owned_standard_array_moves_in_without_a_copy() {
    let a = Array3::<f32>::from_shape_fn((2, 3, 4), |(i, j, k)| (i * 12 + j * 4 + k) as f32);
    let ptr = a.as_ptr();
    let t = Tensor::from_ndarray(&Device::cpu(), a).unwrap();
    assert_eq!(t.view::<f32>().unwrap().as_ptr(), ptr);
    assert_eq!(t.shape(), &[2, 3, 4]);
}

#[test]
fn unique_arcarray_moves_in_without_a_copy() {
    let a: ArcArray<i16, _> = array![[1i16, 2], [3, 4]].into_shared();
    let ptr = a.as_ptr();
    let t = Tensor::from_ndarray(&Device::cpu(), a).unwrap();
    assert_eq!(t.view::<i16>().unwrap().as_ptr(), ptr);

    let shared: ArcArray<i16, _> = array![[1i16, 2], [3, 4]].into_shared();
    let other = shared.clone();
    let t = Tensor::from_ndarray(&Device::cpu(), shared).unwrap();
    assert_ne!(t.view::<i16>().unwrap().as_ptr(), other.as_ptr());
    assert_eq!(t.view::<i16>().unwrap(), other.into_dyn());
}

#[test]
fn views_and_other_layouts_are_copied_into_c_order() {
    let base = Array2::<i32>::from_shape_fn((3, 4), |(i, j)| (10 * i + j) as i32);
    let cases = [
        base.view().reversed_axes().to_owned(), // owned, non-standard strides
        base.t().to_owned(),
    ];
    for a in cases {
        let t = Tensor::from_ndarray(&Device::cpu(), a.clone()).unwrap();
        assert_eq!(t.view::<i32>().unwrap(), a.view().into_dyn());
        assert!(t.view::<i32>().unwrap().is_standard_layout());
    }
    let t = Tensor::from_ndarray(&Device::cpu(), base.t()).unwrap();
    assert_eq!(t.shape(), &[4, 3]);
    assert_eq!(t.view::<i32>().unwrap()[[3, 2]], 23);
    let sliced = base.slice(ndarray::s![.., 1..;2]);
    let t = Tensor::from_ndarray(&Device::cpu(), sliced).unwrap();
    assert_eq!(t.view::<i32>().unwrap(), sliced.into_dyn());
    let fortran = Array2::<f64>::from_shape_vec((2, 3).f(), vec![1., 2., 3., 4., 5., 6.]).unwrap();
    let t = Tensor::from_ndarray(&Device::cpu(), fortran.clone()).unwrap();
    assert_eq!(
        t.view::<f64>().unwrap().as_slice().unwrap(),
        &[1., 3., 5., 2., 4., 6.]
    );
    // An owned array that is a window of a larger allocation keeps only the window.
    let mut window = Array2::<u8>::from_shape_fn((4, 4), |(i, j)| (4 * i + j) as u8);
    window.slice_collapse(ndarray::s![1..3, ..]);
    let t = Tensor::from_ndarray(&Device::cpu(), window.clone()).unwrap();
    assert_eq!(t.view::<u8>().unwrap(), window.into_dyn());
}

#[test]
fn into_ndarray_is_free_only_for_the_last_reference() {
    let a = array![1.5f64, 2.5, 3.5];
    let ptr = a.as_ptr();
    let t = Tensor::from_ndarray(&Device::cpu(), a).unwrap();
    let out = t.into_ndarray::<f64>().unwrap();
    assert_eq!(out.as_ptr(), ptr);

    let t = Tensor::from_vec(&Device::cpu(), &[3], vec![1u64, 2, 3]).unwrap();
    let keep = t.clone();
    let mut out = t.into_ndarray::<u64>().unwrap();
    assert_ne!(out.as_ptr(), keep.view::<u64>().unwrap().as_ptr());
    out[0] = 99;
    assert_eq!(
        keep.view::<u64>().unwrap()[0],
        1,
        "mutating the copy changed the tensor"
    );
}

#[test]
fn arrays_out_of_a_tensor_never_alias_it() {
    for device in common::devices() {
        let t = Tensor::from_vec(&device, &[2, 2], vec![1i8, 2, 3, 4]).unwrap();
        let mut a = t.to_ndarray::<i8>().unwrap();
        a[[0, 0]] = 100;
        assert_eq!(t.to_ndarray::<i8>().unwrap()[[0, 0]], 1, "{device}");
        let b = pollster::block_on(t.to_ndarray_async::<i8>()).unwrap();
        assert_eq!(b.as_slice().unwrap(), &[1, 2, 3, 4], "{device}");
    }
}

#[test]
fn a_wrong_element_type_is_an_error_naming_both() {
    let t = Tensor::from_vec(&Device::cpu(), &[1], vec![1.0f32]).unwrap();
    let e = t.view::<f64>().unwrap_err();
    assert!(matches!(
        e,
        Error::DTypeMismatch {
            tensor: DType::Float32,
            requested: DType::Float64
        }
    ));
    let msg = e.to_string();
    assert!(
        msg.contains("float32") && msg.contains("float64") && !msg.contains('\n'),
        "{msg}"
    );
    assert!(t.to_ndarray::<i32>().is_err());
    assert!(t.clone().into_ndarray::<u8>().is_err());
}

#[test]
fn shape_and_data_must_agree() {
    let e = Tensor::from_vec(&Device::cpu(), &[2, 3], vec![0u8; 5]).unwrap_err();
    assert!(matches!(
        e,
        Error::ShapeMismatch {
            expected: 6,
            actual: 5,
            ..
        }
    ));
    assert!(Tensor::zeros(&Device::cpu(), &[usize::MAX, 2], DType::Float32).is_err());
}

#[test]
fn tensors_move_between_devices_unchanged() {
    for device in common::devices() {
        let a = array![[1.0f32, -0.0], [f32::NAN, 4.0]];
        let t = Tensor::from_ndarray(&device, &a).unwrap();
        assert_eq!(t.device(), &device);
        let back = t.to_device(&Device::cpu()).unwrap();
        let v = back.view::<f32>().unwrap();
        assert_eq!(v[[0, 1]].to_bits(), (-0.0f32).to_bits());
        assert!(v[[1, 0]].is_nan());
        assert_eq!(
            back.to_device(&device)
                .unwrap()
                .to_ndarray::<f32>()
                .unwrap()[[1, 1]],
            4.0
        );
        // Operations accept ndarray arrays directly, converting on the device.
        let s = device.sum(a.view(), 0, false).unwrap();
        assert_eq!(s.device(), &device);
        assert_eq!(s.shape(), &[2]);
    }
}

#[test]
fn the_gpu_refuses_view_and_says_what_to_call() {
    if let Some(gpu) = common::gpu() {
        let t = Tensor::from_vec(&gpu, &[2], vec![1i32, 2]).unwrap();
        let msg = t.view::<i32>().unwrap_err().to_string();
        assert!(msg.contains("to_ndarray"), "{msg}");
    }
}
