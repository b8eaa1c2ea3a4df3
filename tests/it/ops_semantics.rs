//! NumPy's semantics, case by case, on every device.

use crate::common;

use half::{bf16, f16};
use ndarray::{ArrayD, IxDyn, array};
use ndgpu::{Axes, DType, Device, Error, Tensor};
use num_complex::Complex;

fn t<T: ndgpu::Element>(d: &Device, shape: &[usize], v: Vec<T>) -> Tensor {
    Tensor::from_vec(d, shape, v).unwrap()
}

#[test]
fn sum_dtypes_shapes_and_axes() {
    for d in common::devices() {
        let x = t(&d, &[2, 3], vec![1i8, 2, 3, 4, 5, 6]);
        let all = x.sum(Axes::All, false).unwrap();
        assert_eq!((all.dtype(), all.shape()), (DType::Int64, &[][..]));
        assert_eq!(all.to_ndarray::<i64>().unwrap().first(), Some(&21));
        let k = x.sum(Axes::All, true).unwrap();
        assert_eq!(k.shape(), &[1, 1]);
        let rows = x.sum(-1, false).unwrap().to_ndarray::<i64>().unwrap();
        assert_eq!(rows.as_slice().unwrap(), &[6, 15]);
        let cols = x.sum(0, true).unwrap();
        assert_eq!(cols.shape(), &[1, 3]);
        assert_eq!(
            cols.to_ndarray::<i64>().unwrap().as_slice().unwrap(),
            &[5, 7, 9]
        );
        let both = x.sum([0, -1], false).unwrap().to_ndarray::<i64>().unwrap();
        assert_eq!(both.first(), Some(&21));
        // An empty axis list reduces nothing but still takes NumPy's sum dtype.
        let none = x.sum(Axes::List(vec![]), false).unwrap();
        assert_eq!((none.dtype(), none.shape()), (DType::Int64, &[2, 3][..]));
        assert_eq!(none.to_ndarray::<i64>().unwrap()[[1, 2]], 6);

        let u = t(&d, &[2], vec![u32::MAX, 1])
            .sum(Axes::All, false)
            .unwrap();
        assert_eq!(u.dtype(), DType::UInt64);
        assert_eq!(u.to_ndarray::<u64>().unwrap().first(), Some(&(1u64 << 32)));
        let b = t(&d, &[3], vec![true, false, true])
            .sum(Axes::All, false)
            .unwrap();
        assert_eq!(b.to_ndarray::<i64>().unwrap().first(), Some(&2));
        let c = t(
            &d,
            &[2],
            vec![Complex::new(1.0f32, 2.0), Complex::new(3.0, -5.0)],
        );
        let c = c
            .sum(Axes::All, false)
            .unwrap()
            .to_ndarray::<Complex<f32>>()
            .unwrap();
        assert_eq!(c.first(), Some(&Complex::new(4.0, -3.0)));
    }
}

#[test]
fn sum_errors_and_empty_inputs() {
    for d in common::devices() {
        let x = t(&d, &[2, 3], vec![0.5f32; 6]);
        assert!(matches!(
            x.sum([0, -2], false),
            Err(Error::RepeatedAxis { axis: 0, .. })
        ));
        assert!(matches!(
            x.sum(2, false),
            Err(Error::AxisOutOfRange { axis: 2, ndim: 2 })
        ));
        assert!(matches!(
            x.sum(-3, false),
            Err(Error::AxisOutOfRange { .. })
        ));
        let e = t::<f32>(&d, &[0, 3], vec![]);
        let s = e.sum(0, false).unwrap();
        assert_eq!(s.shape(), &[3]);
        assert_eq!(
            s.to_ndarray::<f32>().unwrap().as_slice().unwrap(),
            &[0.0; 3]
        );
        assert_eq!(e.sum(1, false).unwrap().shape(), &[0]);
        let s = t::<i32>(&d, &[0], vec![]).sum(Axes::All, false).unwrap();
        assert_eq!(s.to_ndarray::<i64>().unwrap().first(), Some(&0));
        let scalar = t(&d, &[], vec![2.5f64]);
        assert_eq!(
            scalar
                .sum(Axes::All, false)
                .unwrap()
                .to_ndarray::<f64>()
                .unwrap()
                .first(),
            Some(&2.5)
        );
    }
}

#[test]
fn integer_sums_wrap_and_half_sums_round_once() {
    for d in common::devices() {
        let s = t(&d, &[2], vec![i64::MAX, 2])
            .sum(Axes::All, false)
            .unwrap();
        assert_eq!(
            s.to_ndarray::<i64>().unwrap().first(),
            Some(&(i64::MIN + 1))
        );
        let s = t(&d, &[2], vec![u64::MAX, 2])
            .sum(Axes::All, false)
            .unwrap();
        assert_eq!(s.to_ndarray::<u64>().unwrap().first(), Some(&1));
        let h: Vec<f16> = [60000.0f32, 60000.0, -60000.0]
            .iter()
            .map(|&x| f16::from_f32(x))
            .collect();
        let s = t(&d, &[3], h).sum(Axes::All, false).unwrap();
        assert_eq!(s.dtype(), DType::Float16);
        assert_eq!(
            s.to_ndarray::<f16>().unwrap().first(),
            Some(&f16::from_f32(60000.0))
        );
        // 1 + 2048 * 2^-11 sums exactly in float32; a float16 accumulator would stall at 1.
        let mut v = vec![bf16::ONE];
        v.extend(std::iter::repeat_n(bf16::from_f32(2f32.powi(-8)), 256));
        let s = t(&d, &[257], v).sum(Axes::All, false).unwrap();
        assert_eq!(
            s.to_ndarray::<bf16>().unwrap().first(),
            Some(&bf16::from_f32(2.0))
        );
    }
}

#[test]
fn argmax_ties_nans_zeros_and_complex() {
    for d in common::devices() {
        let x = t(&d, &[6], vec![1.0f32, 3.0, f32::NAN, 3.0, f32::NAN, 0.0]);
        assert_eq!(
            x.argmax(None, false)
                .unwrap()
                .to_ndarray::<i64>()
                .unwrap()
                .first(),
            Some(&2)
        );
        let z = t(&d, &[3], vec![-0.0f64, 0.0, -1.0]);
        assert_eq!(
            z.argmax(None, false)
                .unwrap()
                .to_ndarray::<i64>()
                .unwrap()
                .first(),
            Some(&0)
        );
        let ties = t(&d, &[2, 3], vec![5i16, 5, 1, 2, 7, 7]);
        let a = ties
            .argmax(Some(1), false)
            .unwrap()
            .to_ndarray::<i64>()
            .unwrap();
        assert_eq!(a.as_slice().unwrap(), &[0, 1]);
        let a = ties.argmax(Some(-2), true).unwrap();
        assert_eq!(a.shape(), &[1, 3]);
        assert_eq!(
            a.to_ndarray::<i64>().unwrap().as_slice().unwrap(),
            &[0, 1, 1]
        );
        let flat = ties.argmax(None, true).unwrap();
        assert_eq!(flat.shape(), &[1, 1]);
        assert_eq!(flat.to_ndarray::<i64>().unwrap().first(), Some(&4));
        let c = t(
            &d,
            &[4],
            vec![
                Complex::new(1.0f32, 5.0),
                Complex::new(2.0, -1.0),
                Complex::new(2.0, 3.0),
                Complex::new(2.0, 3.0),
            ],
        );
        assert_eq!(
            c.argmax(None, false)
                .unwrap()
                .to_ndarray::<i64>()
                .unwrap()
                .first(),
            Some(&2)
        );
        let cn = t(
            &d,
            &[3],
            vec![
                Complex::new(9.0f32, 0.0),
                Complex::new(0.0, f32::NAN),
                Complex::new(f32::NAN, 0.0),
            ],
        );
        assert_eq!(
            cn.argmax(None, false)
                .unwrap()
                .to_ndarray::<i64>()
                .unwrap()
                .first(),
            Some(&1)
        );
        let h = t(
            &d,
            &[3],
            vec![f16::NEG_INFINITY, f16::MIN_POSITIVE_SUBNORMAL, f16::ZERO],
        );
        assert_eq!(
            h.argmax(None, false)
                .unwrap()
                .to_ndarray::<i64>()
                .unwrap()
                .first(),
            Some(&1)
        );
        let b = t(&d, &[3], vec![false, true, true]);
        assert_eq!(
            b.argmax(None, false)
                .unwrap()
                .to_ndarray::<i64>()
                .unwrap()
                .first(),
            Some(&1)
        );
        let s = t(&d, &[], vec![7u8]);
        assert_eq!(
            s.argmax(None, false)
                .unwrap()
                .to_ndarray::<i64>()
                .unwrap()
                .first(),
            Some(&0)
        );
        assert!(s.argmax(Some(0), false).is_err());
    }
}

#[test]
fn argmax_of_empty_inputs() {
    for d in common::devices() {
        assert!(matches!(
            t::<f32>(&d, &[0], vec![]).argmax(None, false),
            Err(Error::EmptyReduction(_))
        ));
        let x = t::<f32>(&d, &[3, 0, 2], vec![]);
        let a = x.argmax(Some(0), false).unwrap();
        assert_eq!((a.dtype(), a.shape()), (DType::Int64, &[0, 2][..]));
        assert!(matches!(
            x.argmax(Some(1), false),
            Err(Error::EmptyReduction(_))
        ));
        assert!(x.argmax(None, false).is_err());
    }
}

#[test]
fn casts_follow_numpy_and_rust_as() {
    for d in common::devices() {
        let f = t(
            &d,
            &[7],
            vec![-1.9f32, 2.9, f32::NAN, 1e20, -1e20, -0.0, 255.5],
        );
        let i8s = f.cast(DType::Int8).unwrap().to_ndarray::<i8>().unwrap();
        assert_eq!(i8s.as_slice().unwrap(), &[-1, 2, 0, 127, -128, 0, 127]);
        let u8s = f.cast(DType::UInt8).unwrap().to_ndarray::<u8>().unwrap();
        assert_eq!(u8s.as_slice().unwrap(), &[0, 2, 0, 255, 0, 0, 255]);
        let i64s = f.cast(DType::Int64).unwrap().to_ndarray::<i64>().unwrap();
        assert_eq!(
            i64s.as_slice().unwrap(),
            &[-1, 2, 0, i64::MAX, i64::MIN, 0, 255]
        );
        let bools = f.cast(DType::Bool).unwrap().to_ndarray::<bool>().unwrap();
        assert_eq!(
            bools.as_slice().unwrap(),
            &[true, true, true, true, true, false, true]
        );
        let w = t(&d, &[3], vec![300i32, -1, 65536 + 7])
            .cast(DType::UInt16)
            .unwrap();
        assert_eq!(
            w.to_ndarray::<u16>().unwrap().as_slice().unwrap(),
            &[300, 65535, 7]
        );
        let w = t(&d, &[2], vec![200u8, 255]).cast(DType::Int8).unwrap();
        assert_eq!(
            w.to_ndarray::<i8>().unwrap().as_slice().unwrap(),
            &[-56, -1]
        );
        // 2^24 + 1 rounds to even in float32; 2049 ties to even (2048) in float16.
        let r = t(&d, &[2], vec![16_777_217i64, 2049]);
        assert_eq!(
            r.cast(DType::Float32)
                .unwrap()
                .to_ndarray::<f32>()
                .unwrap()
                .as_slice()
                .unwrap(),
            &[16_777_216.0, 2049.0]
        );
        let h = r.cast(DType::Float16).unwrap().to_ndarray::<f16>().unwrap();
        assert_eq!(
            h.as_slice().unwrap(),
            &[f16::INFINITY, f16::from_f32(2048.0)]
        );
        // Just above a float16 tie in float64, but exactly the tie after rounding to float32:
        // rounding twice would give 1.0, rounding once gives the next float16 up.
        let above_tie = 1.0 + 2f64.powi(-11) + 2f64.powi(-40);
        let h = t(&d, &[1], vec![above_tie]).cast(DType::Float16).unwrap();
        assert_eq!(
            h.to_ndarray::<f16>().unwrap().first(),
            Some(&f16::from_bits(0x3c01))
        );
        let c = t(
            &d,
            &[2],
            vec![Complex::new(2.7f32, 9.0), Complex::new(0.0, 1.0)],
        );
        assert_eq!(
            c.cast(DType::Int32)
                .unwrap()
                .to_ndarray::<i32>()
                .unwrap()
                .as_slice()
                .unwrap(),
            &[2, 0]
        );
        assert_eq!(
            c.cast(DType::Bool)
                .unwrap()
                .to_ndarray::<bool>()
                .unwrap()
                .as_slice()
                .unwrap(),
            &[true, true]
        );
        let back = t(&d, &[2], vec![1.5f64, -2.0])
            .cast(DType::Complex64)
            .unwrap();
        assert_eq!(
            back.to_ndarray::<Complex<f32>>().unwrap()[1],
            Complex::new(-2.0, 0.0)
        );
        // Identity casts and empty casts.
        let e = t::<u8>(&d, &[0, 2], vec![]).cast(DType::Float64).unwrap();
        assert_eq!((e.dtype(), e.shape()), (DType::Float64, &[0, 2][..]));
    }
}

#[test]
fn device_helpers_convert_ndarray_inputs() {
    for d in common::devices() {
        let a = array![[3u16, 9], [4, 1]];
        let m = d
            .argmax(&a, Some(1), false)
            .unwrap()
            .to_ndarray::<i64>()
            .unwrap();
        assert_eq!(m, ArrayD::from_shape_vec(IxDyn(&[2]), vec![1, 0]).unwrap());
        let c = d.cast(a.view(), DType::Float32).unwrap();
        assert_eq!(c.to_ndarray::<f32>().unwrap()[[0, 1]], 9.0);
    }
}
