//! Criterion benches of the CPU backend's hot operations (`cargo bench --bench ops`), with the
//! plain read kernel as the in-run baseline: compare an op's throughput with `read`, not with
//! another day's figures (the machines are shared). `cargo run --release --example
//! bench_report` prints the same comparison as ratios in one table.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndgpu::bench::cast_into;
use ndgpu::{Axes, DType, Device, Tensor};
use rayon::prelude::*;

/// Elements per array: large enough to stream from memory, small enough for criterion's
/// repetitions (override with NDGPU_BENCH_N).
fn n() -> usize {
    std::env::var("NDGPU_BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1 << 24)
}

fn read_lanes(x: &[f32]) -> f32 {
    let mut acc = [0f32; 32];
    let chunks = x.chunks_exact(32);
    let rem = chunks.remainder();
    for c in chunks {
        for j in 0..32 {
            acc[j] += c[j];
        }
    }
    acc.iter().sum::<f32>() + rem.iter().sum::<f32>()
}

fn ops(c: &mut Criterion) {
    let n = n();
    let side = (n as f64).sqrt() as usize;
    let dev = Device::cpu();
    let v: Vec<f32> = (0..n)
        .map(|i| ((i * 7919) % 1_000_003) as f32 * 1e-3)
        .collect();
    let flat = Tensor::from_vec(&dev, &[n], v.clone()).expect("shape");
    let square = Tensor::from_vec(&dev, &[side, side], v[..side * side].to_vec()).expect("shape");
    let ints: Vec<i32> = (0..n).map(|i| (i % 2001) as i32 - 1000).collect();
    let ints = Tensor::from_vec(&dev, &[n], ints).expect("shape");
    let longs = Tensor::from_vec(&dev, &[n], (0..n as i64).map(|i| i * 1_000_003).collect())
        .expect("shape");
    let src = flat.clone();

    let mut g = c.benchmark_group("cpu");
    g.sample_size(20);
    g.throughput(Throughput::Bytes((n * 4) as u64));
    g.bench_function("read (baseline)", |b| {
        b.iter(|| black_box(v.par_chunks(1 << 16).map(read_lanes).sum::<f32>()))
    });
    g.bench_function("sum f32 full", |b| {
        b.iter(|| black_box(flat.sum(Axes::All, false).expect("sum")))
    });
    g.bench_function("sum i32->i64 full", |b| {
        b.iter(|| black_box(ints.sum(Axes::All, false).expect("sum")))
    });
    g.bench_function("argmax f32 full", |b| {
        b.iter(|| black_box(flat.argmax(None, false).expect("argmax")))
    });
    let mut f16_out: Vec<half::f16> = Vec::new();
    g.bench_function("cast f32->f16 reused", |b| {
        b.iter(|| cast_into(&src, &mut f16_out).expect("length"))
    });
    let mut i32_out: Vec<i32> = Vec::new();
    g.bench_function("cast f32->i32 reused", |b| {
        b.iter(|| cast_into(&src, &mut i32_out).expect("length"))
    });
    g.bench_function("cast f32->i32 fresh", |b| {
        b.iter(|| black_box(flat.cast(DType::Int32).expect("cast")))
    });
    g.throughput(Throughput::Bytes((side * side * 4) as u64));
    for axis in [0, 1] {
        g.bench_function(format!("sum f32 axis {axis} (square)"), |b| {
            b.iter(|| black_box(square.sum(axis, false).expect("sum")))
        });
        g.bench_function(format!("argmax f32 axis {axis} (square)"), |b| {
            b.iter(|| black_box(square.argmax(Some(axis as isize), false).expect("argmax")))
        });
    }
    g.throughput(Throughput::Bytes((n * 8) as u64));
    let mut f32_out: Vec<f32> = Vec::new();
    g.bench_function("cast i64->f32 reused", |b| {
        b.iter(|| cast_into(&longs, &mut f32_out).expect("length"))
    });
    g.finish();
}

criterion_group!(benches, ops);
criterion_main!(benches);
