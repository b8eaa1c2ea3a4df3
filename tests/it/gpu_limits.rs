//! Cases that cross the adapter's limits: a tensor above max_storage_buffer_binding_size
//! (128 MiB on lavapipe), more than 65535 x 256 output slots (a folded dispatch), and reduction rows
//! far longer than lavapipe's 65535-iteration loop cap (which silently truncates loops).

use crate::common;

use common::bytes;
use ndgpu::{Axes, DType, Device, Tensor};

fn gpu() -> Device {
    common::gpu().expect("no GPU adapter: these tests need one (lavapipe in CI)")
}

#[test]
fn tensor_above_128_mib() {
    let (g, c) = (gpu(), Device::cpu());
    let n = 36 << 20; // 144 MiB of f32
    let v: Vec<f32> = (0..n).map(|i| ((i * 7919) % 1001) as f32 - 500.0).collect();
    let mut w = v.clone();
    w[n - 3] = 1e6; // the maximum sits in the last chunk
    let tg = Tensor::from_slice(&g, &[n], &w).unwrap();
    let tc = Tensor::from_vec(&c, &[n], w).unwrap();
    assert_eq!(
        bytes(&tg.argmax(None, false).unwrap()),
        bytes(&tc.argmax(None, false).unwrap())
    );
    let sg = tg
        .sum(Axes::All, false)
        .unwrap()
        .to_ndarray::<f32>()
        .unwrap()[[]];
    let exact: f64 = tc.view::<f32>().unwrap().iter().map(|&x| x as f64).sum();
    assert!(
        (sg as f64 - exact).abs() <= 1e-7 * 30.0 * 36e6 * 500.0,
        "{sg} vs {exact}"
    );
    // 288 MiB out of 144 MiB in: chunked on both sides.
    for to in [DType::Float64, DType::Int32, DType::Float16] {
        assert_eq!(
            bytes(&tg.cast(to).unwrap()),
            bytes(&tc.cast(to).unwrap()),
            "{to}"
        );
    }
    // Strided reduction over the chunked tensor.
    let tg2 = Tensor::from_slice(
        &g,
        &[n / 1024, 1024],
        tc.view::<f32>().unwrap().as_slice().unwrap(),
    )
    .unwrap();
    let tc2 = Tensor::from_slice(
        &c,
        &[n / 1024, 1024],
        tc.view::<f32>().unwrap().as_slice().unwrap(),
    )
    .unwrap();
    assert_eq!(
        bytes(&tg2.argmax(Some(0), false).unwrap()),
        bytes(&tc2.argmax(Some(0), false).unwrap())
    );
}

#[test]
fn more_than_65535_x_256_elements() {
    let (g, c) = (gpu(), Device::cpu());
    let n = 65535 * 256 * 2 + 77;
    let v: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
    let tg = Tensor::from_slice(&g, &[n], &v).unwrap();
    let tc = Tensor::from_vec(&c, &[n], v).unwrap();
    // Casts fold only past 65535 x 256 x 16 output words (too big for CI): tests/gpu_chunks.rs
    // folds every kernel at a lowered limit instead.
    assert_eq!(
        bytes(&tg.cast(DType::UInt16).unwrap()),
        bytes(&tc.cast(DType::UInt16).unwrap())
    );
    assert_eq!(
        bytes(&tg.sum(Axes::All, false).unwrap()),
        bytes(&tc.sum(Axes::All, false).unwrap())
    );
    // Many short rows: 256 rows of 2 per workgroup, (n - 1) / 2 / 256 = 65536 workgroups in the
    // first reduction pass, one more than a dimension takes.
    let tg = tg.cast(DType::Int32).unwrap();
    let m = n - 1;
    let rows = Tensor::from_vec(
        &g,
        &[m / 2, 2],
        tg.to_ndarray::<i32>().unwrap().as_slice().unwrap()[..m].to_vec(),
    )
    .unwrap();
    let rows_c = rows.to_device(&c).unwrap();
    assert_eq!(
        bytes(&rows.sum(1, false).unwrap()),
        bytes(&rows_c.sum(1, false).unwrap())
    );
    assert_eq!(
        bytes(&rows.argmax(Some(1), false).unwrap()),
        bytes(&rows_c.argmax(Some(1), false).unwrap())
    );
}

#[test]
fn rows_longer_than_the_loop_cap() {
    let (g, c) = (gpu(), Device::cpu());
    // One invocation per row would loop 3M times; lavapipe would stop it at 65535.
    let len = 3_000_000;
    let v: Vec<i64> = (0..len as i64).map(|i| i * 3 - 7).collect();
    let tg = Tensor::from_slice(&g, &[len], &v).unwrap();
    let tc = Tensor::from_vec(&c, &[len], v).unwrap();
    assert_eq!(
        bytes(&tg.sum(0, false).unwrap()),
        bytes(&tc.sum(0, false).unwrap())
    );
    assert_eq!(
        bytes(&tg.argmax(Some(0), false).unwrap()),
        bytes(&tc.argmax(Some(0), false).unwrap())
    );
    let f: Vec<f64> = (0..len).map(|i| (i % 1000) as f64 * 0.001).collect();
    let exact: f64 = (0..len).map(|i| (i % 1000) as f64).sum::<f64>() * 0.001;
    for emulate in [false, true] {
        g.set_f64_emulation(emulate);
        let s = Tensor::from_slice(&g, &[len], &f)
            .unwrap()
            .sum(0, false)
            .unwrap();
        let s = s.to_ndarray::<f64>().unwrap()[[]];
        assert!(
            (s - exact).abs() <= f64::EPSILON * 24.0 * exact,
            "{s} vs {exact}, emulated {emulate}"
        );
    }
    // A long strided axis.
    let (len, inner) = (200_003, 3);
    let v: Vec<u16> = (0..len * inner).map(|i| (i % 65521) as u16).collect();
    let tg = Tensor::from_slice(&g, &[len, inner], &v).unwrap();
    let tc = Tensor::from_vec(&c, &[len, inner], v).unwrap();
    assert_eq!(
        bytes(&tg.sum(0, false).unwrap()),
        bytes(&tc.sum(0, false).unwrap())
    );
    assert_eq!(
        bytes(&tg.argmax(Some(0), false).unwrap()),
        bytes(&tc.argmax(Some(0), false).unwrap())
    );
}
