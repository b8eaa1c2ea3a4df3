//! `NDGPU_FORCE_EMULATION=1` makes every new GPU handle use the integer-emulated float64 add.
//! Its own test binary: it sets the variable before any handle exists, with no other test
//! thread reading the environment.

mod common;

use ndgpu::{ReduceOp, Tensor};

#[test]
fn force_emulation_env_is_honoured() {
    let Some(native) = common::gpu() else {
        return;
    };
    // SAFETY: the device (and its Vulkan instance) is already open, so no C code reads the
    // environment now; ndgpu reads the variable through std, whose lock serialises it.
    unsafe { std::env::set_var("NDGPU_FORCE_EMULATION", "1") };
    let forced = ndgpu::Device::gpu().expect("a second handle");
    // SAFETY: as above.
    unsafe { std::env::remove_var("NDGPU_FORCE_EMULATION") };
    let emulated = |d: &ndgpu::Device| d.f64_emulation();
    assert!(
        emulated(&forced),
        "the variable was read when the handle was opened"
    );
    // The emulated add gives the native bytes (both round every add to nearest even), and
    // float64 products, which the emulation lacks, still work (on the host).
    let data: Vec<f64> = (0..5000).map(|i| 1.0 / (i as f64 + 3.0)).collect();
    for op in [
        ReduceOp::Sum,
        ReduceOp::Mean,
        ReduceOp::Prod,
        ReduceOp::NanSum,
    ] {
        let a = Tensor::from_vec(&forced, &[50, 100], data.clone()).unwrap();
        let b = Tensor::from_vec(&native, &[50, 100], data.clone()).unwrap();
        for axes in [ndgpu::Axes::All, ndgpu::Axes::List(vec![0])] {
            let x = a
                .reduce(op, axes.clone(), false)
                .unwrap()
                .to_ndarray::<f64>()
                .unwrap();
            let y = b
                .reduce(op, axes, false)
                .unwrap()
                .to_ndarray::<f64>()
                .unwrap();
            for (p, q) in x.iter().zip(&y) {
                assert!(
                    (p - q).abs() <= 1e-12 * q.abs().max(1e-300),
                    "{op}: {p} vs {q}"
                );
            }
        }
    }
    // Integer means: float64 sums (emulated or native adds, the same bits) divided exactly on
    // the device; the sums of these int64 values round, so the two adds are really compared.
    let ints: Vec<i64> = (0..5000i64)
        .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15_u64 as i64) >> 3)
        .collect();
    for op in [ReduceOp::Mean, ReduceOp::NanMean] {
        for axes in [ndgpu::Axes::All, ndgpu::Axes::List(vec![0])] {
            let on = |d: &ndgpu::Device| {
                let t = Tensor::from_vec(d, &[50, 100], ints.clone()).unwrap();
                let r = t.reduce(op, axes.clone(), false).unwrap();
                r.to_ndarray::<f64>()
                    .unwrap()
                    .iter()
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>()
            };
            assert_eq!(on(&forced), on(&native), "{op} of int64");
        }
    }
}

/// Exact float sums (issue 8) use integer operations only: the same bytes as the CPU on a
/// handle forced onto the no-f64 path (`set_f64_emulation`, what the variable sets).
#[test]
fn exact_sums_without_native_f64() {
    let Some(_native) = common::gpu() else {
        return;
    };
    // What the variable sets (the other test owns the environment of this binary).
    let forced = ndgpu::Device::gpu().expect("a second handle");
    forced.set_f64_emulation(true);
    let cpu = ndgpu::Device::cpu();
    let data: Vec<f64> = (0..6000)
        .map(|i| (1.0 / (i as f64 + 3.0)) * if i % 3 == 0 { 1e300 } else { -1e-300 })
        .collect();
    for op in [
        ReduceOp::Sum,
        ReduceOp::Mean,
        ReduceOp::NanSum,
        ReduceOp::NanMean,
    ] {
        let a = Tensor::from_vec(&forced, &[60, 100], data.clone()).unwrap();
        let b = Tensor::from_vec(&cpu, &[60, 100], data.clone()).unwrap();
        for axes in [ndgpu::Axes::All, ndgpu::Axes::List(vec![0])] {
            let x = a
                .reduce(op, axes.clone(), false)
                .unwrap()
                .to_ndarray::<f64>()
                .unwrap();
            let y = b
                .reduce(op, axes, false)
                .unwrap()
                .to_ndarray::<f64>()
                .unwrap();
            let bits = |v: &ndarray::ArrayD<f64>| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&x), bits(&y), "{op}");
        }
    }
}
