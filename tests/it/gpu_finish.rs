//! The extrema's finish on the GPU (`finish_keys.wgsl`): min, max, nanmin, nanmax and ptp of
//! every pair (and triple) of edge values of every dtype (NaN, -0.0, ±inf, subnormals, the
//! integer bounds) give the CPU's bytes; every value reduction costs one submit.

use crate::common;

use common::bytes;
use ndgpu::{Axes, DType, Device, ReduceOp, Tensor};

const OPS: [ReduceOp; 5] = [
    ReduceOp::Min,
    ReduceOp::Max,
    ReduceOp::NanMin,
    ReduceOp::NanMax,
    ReduceOp::Ptp,
];

/// Edge values of `dtype` as little-endian bytes, one `Vec` per element.
fn edges(dtype: DType) -> Vec<Vec<u8>> {
    fn le<T: bytemuck::Pod>(v: &[T]) -> Vec<Vec<u8>> {
        v.iter().map(|x| bytemuck::bytes_of(x).to_vec()).collect()
    }
    let f32s: Vec<u32> = vec![
        0,
        0x8000_0000,
        0x3f80_0000,
        0xbf80_0000,
        1,
        2,
        0x8000_0001,
        0x007f_ffff,
        0x807f_ffff,
        0x0080_0000,
        0x8080_0000,
        0x0080_0001,
        0x7f7f_ffff,
        0xff7f_ffff,
        0x7f80_0000,
        0xff80_0000,
        0x7fc0_0000,
        0x3fc0_0000,
        0x4b80_0001,
        0x3380_0001,
    ];
    let halves: Vec<u16> = vec![
        0, 0x8000, 0x3c00, 0xbc00, 1, 2, 0x8001, 0x03ff, 0x83ff, 0x0400, 0x8400, 0x7bff, 0xfbff,
        0x7c00, 0xfc00, 0x7e00, 0x3e00, 0x6400, 0x1001, 0x7bfe,
    ];
    let bhalves: Vec<u16> = vec![
        0, 0x8000, 0x3f80, 0xbf80, 1, 2, 0x8001, 0x007f, 0x807f, 0x0080, 0x8080, 0x7f7f, 0xff7f,
        0x7f80, 0xff80, 0x7fc0, 0x3fc0, 0x4b80, 0x3381, 0x7f7e,
    ];
    match dtype {
        DType::Bool => le(&[0u8, 1]),
        DType::Int8 => le(&[i8::MIN, i8::MAX, 0, -1, 1, -100]),
        DType::UInt8 => le(&[0u8, 1, 127, 128, 255]),
        DType::Int16 => le(&[i16::MIN, i16::MAX, 0, -1, 1, 12345]),
        DType::UInt16 => le(&[0u16, 1, 0x7fff, 0x8000, 0xffff]),
        DType::Int32 => le(&[i32::MIN, i32::MAX, 0, -1, 1, -7]),
        DType::UInt32 => le(&[0u32, 1, 0x7fff_ffff, 0x8000_0000, u32::MAX]),
        DType::Int64 => le(&[i64::MIN, i64::MAX, 0, -1, 1, 1 << 40, -(1 << 33)]),
        DType::UInt64 => le(&[0u64, 1, u64::MAX, 1 << 63, (1 << 63) - 1, 1 << 32]),
        DType::Float16 => le(&halves),
        DType::BFloat16 => le(&bhalves),
        DType::Float32 => le(&f32s),
        DType::Float64 => le(&[
            0u64,
            1 << 63,
            0x3ff0_0000_0000_0000,
            0xbff0_0000_0000_0000,
            1,
            2,
            (1 << 63) | 1,
            0x000f_ffff_ffff_ffff,
            0x800f_ffff_ffff_ffff,
            0x0010_0000_0000_0000,
            0x8010_0000_0000_0000,
            0x0010_0000_0000_0001,
            0x7fef_ffff_ffff_ffff,
            0xffef_ffff_ffff_ffff,
            0x7ff0_0000_0000_0000,
            0xfff0_0000_0000_0000,
            0x7ff8_0000_0000_0000,
            0x4340_0000_0000_0001,
            0x3ca0_0000_0000_0001,
        ]),
        DType::Complex64 => {
            let parts = [
                0u32,
                0x8000_0000,
                1,
                0x8000_0001,
                0x3f80_0000,
                0x7f80_0000,
                0xff80_0000,
                0x7fc0_0000,
                0x7f7f_ffff,
            ];
            let mut v = Vec::new();
            for &re in &parts {
                for &im in &parts {
                    v.push(le(&[re, im]).concat());
                }
            }
            v
        }
    }
}

/// Every ordered pair of edge values as rows of 2, and every ordered triple of a few of them
/// as rows of 3 (the nan-variants' all-NaN and partly NaN rows).
fn rows(dtype: DType) -> Vec<(usize, Vec<u8>)> {
    let e = edges(dtype);
    let mut pairs = Vec::new();
    for a in &e {
        for b in &e {
            pairs.extend_from_slice(a);
            pairs.extend_from_slice(b);
        }
    }
    let few = &e[..e.len().min(9)];
    let mut triples = Vec::new();
    for a in few {
        for b in few {
            for c in few {
                triples.extend([a, b, c].into_iter().flatten());
            }
        }
    }
    vec![(2, pairs), (3, triples)]
}

#[test]
fn extrema_and_ptp_of_edge_values_match_the_cpu_bytes() {
    let Some(gpu) = common::gpu() else { return };
    let cpu = Device::cpu();
    for dtype in DType::ALL {
        for (width, data) in rows(dtype) {
            let n = data.len() / dtype.itemsize() / width;
            let shape = [n, width];
            for op in OPS {
                if op == ReduceOp::Ptp && dtype == DType::Bool {
                    continue;
                }
                for axes in [Axes::from(1), Axes::from(0), Axes::All] {
                    let on = |d: &Device| {
                        Tensor::from_bytes(d, &shape, dtype, &data)
                            .and_then(|t| t.reduce(op, axes.clone(), false))
                            .unwrap_or_else(|e| panic!("{op} {dtype} {shape:?} on {d}: {e}"))
                    };
                    let (want, got) = (on(&cpu), on(&gpu));
                    assert_eq!(got.dtype(), want.dtype());
                    let (w, g) = (bytes(&want), bytes(&got));
                    if w != g {
                        let k = dtype.itemsize();
                        let i = (0..w.len() / k).find(|&i| w[i * k..][..k] != g[i * k..][..k]);
                        let i = i.unwrap_or(0);
                        panic!(
                            "{op} {dtype} {shape:?} {axes:?}: element {i}: cpu {:02x?}, gpu {:02x?}, row {:02x?}",
                            &w[i * k..][..k],
                            &g[i * k..][..k],
                            &data[i * width * k..][..width * k]
                        );
                    }
                }
            }
        }
    }
}

/// Every value reduction's passes, its finish included, are recorded together: one submit
/// per reduction and no readback (a host finish cost a readback, an upload and a second
/// submit). The extrema finish in `finish_keys.wgsl`, the integer means by exact division
/// (`exact_round.wgsl`). Float64 products may fold on the host (the f64 emulation has no
/// multiply), so they are left out. The submit counter belongs to the shared wgpu device,
/// which concurrent tests also use: the fewest submits seen over up to 50 tries is this
/// reduction's (a try that no other test's submit overlaps sees its own count).
#[test]
fn every_value_reduction_on_the_gpu_costs_one_submit_and_no_readback() {
    let Some(gpu) = common::gpu() else { return };
    for dtype in [
        DType::Float32,
        DType::Int64,
        DType::Float16,
        DType::Complex64,
        DType::UInt8,
        DType::Int32,
        DType::Float64,
    ] {
        let data: Vec<u8> = (0..1024 * dtype.itemsize())
            .map(|i| (i * 37 % 251) as u8)
            .collect();
        let t = Tensor::from_bytes(&gpu, &[32, 1024 / 32], dtype, &data).unwrap();
        for op in ReduceOp::ALL.into_iter().filter(|op| !op.is_arg()) {
            let host_fold =
                matches!(op, ReduceOp::Prod | ReduceOp::NanProd) && dtype == DType::Float64;
            if host_fold {
                continue;
            }
            for axes in [Axes::All, Axes::from(0)] {
                let mut fewest = u64::MAX;
                for _ in 0..50 {
                    if fewest == 1 {
                        break;
                    }
                    let before = gpu.stats();
                    let r = t.reduce(op, axes.clone(), false).unwrap();
                    let after = gpu.stats();
                    drop(r);
                    assert_eq!(
                        after.readbacks, before.readbacks,
                        "{op} {dtype}: a readback"
                    );
                    assert_eq!(
                        after.bytes_uploaded, before.bytes_uploaded,
                        "{op} {dtype}: an upload"
                    );
                    fewest = fewest.min(after.submits - before.submits);
                }
                assert_eq!(fewest, 1, "{op} {dtype} {axes:?}: submits");
            }
        }
    }
}
