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
    std::env::set_var("NDGPU_FORCE_EMULATION", "1");
    let forced = ndgpu::Device::gpu().expect("a second handle");
    std::env::remove_var("NDGPU_FORCE_EMULATION");
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
}
