//! Storage split into many small chunks (NDGPU_BUFFER_BYTES, set before the device opens): every
//! kernel reads and writes across chunk boundaries exactly as with one buffer, and an
//! operation needing more bindings than the adapter has is an error, not an abort. Dispatches
//! are folded at 5 workgroups per dimension (NDGPU_MAX_WORKGROUPS), so every kernel also runs
//! on 2-D and 3-D grids, as tensors of more than 65535 workgroups do.

mod common;

use common::data::{random_bytes, tensor};
use common::{Rng, bytes};
use ndgpu::{Axes, DType, Device, Error, Tensor};

fn gpu() -> Device {
    static SET: std::sync::Once = std::sync::Once::new();
    // SAFETY: every test of this binary calls `gpu()` before anything else, and `call_once`
    // holds the others until the variables are set: no thread reads the environment (nor
    // opens Vulkan, whose loader reads it from C) while they are written.
    SET.call_once(|| unsafe {
        std::env::set_var("NDGPU_BUFFER_BYTES", "65536");
        std::env::set_var("NDGPU_MAX_WORKGROUPS", "5");
    });
    common::gpu().expect("no GPU adapter: these tests need one (lavapipe in CI)")
}

#[test]
fn ops_across_chunk_boundaries() {
    let (g, c) = (gpu(), Device::cpu());
    let mut rng = Rng::new(3);
    for d in DType::ALL {
        // 100_003 elements: 1.5 to 12 chunks of 64 KiB, ending mid-word.
        let n = 40_003;
        let b = random_bytes(&mut rng, d, n, true);
        let (tc, tg) = (tensor(&c, &[n], d, &b), tensor(&g, &[n], d, &b));
        assert_eq!(bytes(&tc), bytes(&tg), "round trip {d}");
        for to in DType::ALL {
            match tg.cast(to) {
                Ok(x) => assert_eq!(bytes(&tc.cast(to).unwrap()), bytes(&x), "{d} -> {to}"),
                Err(Error::Unsupported(_)) => {} // more bindings than the adapter allows
                Err(e) => panic!("{d} -> {to}: {e}"),
            }
        }
        let s = [n / 7, 7];
        let (tc2, tg2) = (
            tensor(&c, &s[..], d, &b[..n / 7 * 7 * d.itemsize()]),
            tensor(&g, &s[..], d, &b[..n / 7 * 7 * d.itemsize()]),
        );
        for ax in [0isize, 1] {
            assert_eq!(
                bytes(&tc2.argmax(Some(ax), false).unwrap()),
                bytes(&tg2.argmax(Some(ax), false).unwrap()),
                "argmax {d} {ax}"
            );
            if !d.is_float() && d != DType::Complex64 {
                assert_eq!(
                    bytes(&tc2.sum(ax, false).unwrap()),
                    bytes(&tg2.sum(ax, false).unwrap()),
                    "sum {d} {ax}"
                );
            }
        }
        let _ = Axes::All;
    }
}

#[test]
fn too_many_bindings_is_an_error() {
    let g = gpu();
    let n = 16 << 20; // 256 chunks of 64 KiB
    let t = Tensor::from_vec(&g, &[n / 4], vec![1.0f32; n / 4]).unwrap();
    match t.cast(DType::Float64) {
        Err(Error::Unsupported(m)) => assert!(m.contains("bindings"), "{m}"),
        other => panic!("expected Unsupported, got {:?}", other.map(|_| ())),
    }
    // The device still works afterwards.
    let s = Tensor::from_vec(&g, &[3], vec![1i8, 2, 3])
        .unwrap()
        .sum(0, false)
        .unwrap();
    assert_eq!(s.to_ndarray::<i64>().unwrap()[[]], 6);
}

/// Exact float sums (issue 8) with accumulators and elements across many 64 KiB chunks and on
/// 3-D grids: the CPU's bytes.
#[test]
fn exact_sums_across_chunks_and_folded_grids() {
    let (g, c) = (gpu(), Device::cpu());
    let mut rng = Rng::new(11);
    for d in [
        DType::Float16,
        DType::Float32,
        DType::Float64,
        DType::Complex64,
    ] {
        let n = 30_000;
        let b = random_bytes(&mut rng, d, n, true);
        for (shape, axes) in [
            (vec![n], Axes::All),
            (vec![n / 60, 60], Axes::List(vec![1])),
            (vec![n / 60, 60], Axes::List(vec![0])),
        ] {
            let (tc, tg) = (tensor(&c, &shape, d, &b), tensor(&g, &shape, d, &b));
            for op in [ndgpu::ReduceOp::Sum, ndgpu::ReduceOp::NanMean] {
                match tg.reduce(op, axes.clone(), false) {
                    Ok(x) => assert_eq!(
                        bytes(&tc.reduce(op, axes.clone(), false).unwrap()),
                        bytes(&x),
                        "{op} {d} {shape:?} {axes:?}"
                    ),
                    Err(Error::Unsupported(_)) => {} // more bindings than the adapter allows
                    Err(e) => panic!("{op} {d}: {e}"),
                }
            }
        }
    }
}
