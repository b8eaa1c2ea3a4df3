//! The main job: build an array, run the three operations on the default device (the GPU if
//! an adapter exists, else the CPU), read the results back and print them with the time taken.
//!
//! `cargo run --release --example quickstart`

use std::time::Instant;

use ndarray::Array2;
use ndgpu::{Axes, DType, Device, Tensor};

fn main() -> Result<(), ndgpu::Error> {
    let (device, why_not_gpu) = Device::auto_with_reason();
    println!("device: {device}");
    if let Some(reason) = why_not_gpu {
        println!("  (CPU fallback: {reason})");
    }

    let (rows, cols) = (2048, 4096);
    let a = Array2::from_shape_fn((rows, cols), |(i, j)| {
        ((i * 7 + j * 13) % 1000) as f32 / 10.0
    });
    println!("input: float32 {rows}x{cols} ({} MiB)", (a.len() * 4) >> 20);

    let start = Instant::now();
    let x = Tensor::from_ndarray(&device, a)?;
    let total = x.sum(Axes::All, false)?.to_ndarray::<f32>()?;
    let col_sums = x.sum(0, false)?.to_ndarray::<f32>()?;
    let best = x.argmax(None, false)?.to_ndarray::<i64>()?;
    let row_best = x.argmax(Some(-1), false)?.to_ndarray::<i64>()?;
    let as_f16 = x.cast(DType::Float16)?.to_ndarray::<half::f16>()?;
    let mean = x.mean(Axes::All, false)?.to_ndarray::<f32>()?;
    let row_max = x.max(-1, false)?.to_ndarray::<f32>()?;
    let col_min_at = x.argmin(Some(0), false)?.to_ndarray::<i64>()?;
    let elapsed = start.elapsed();

    println!(
        "sum             = {}",
        total.first().copied().unwrap_or_default()
    );
    println!(
        "sum(axis=0)[..4] = {:?}",
        &col_sums.as_slice().unwrap_or(&[])[..4]
    );
    println!(
        "argmax          = {}",
        best.first().copied().unwrap_or_default()
    );
    println!(
        "argmax(axis=-1)[..4] = {:?}",
        &row_best.as_slice().unwrap_or(&[])[..4]
    );
    println!("cast float16 [0, 1] = {}", as_f16[[0, 1]]);
    println!(
        "mean            = {}",
        mean.first().copied().unwrap_or_default()
    );
    println!(
        "max(axis=-1)[..4] = {:?}",
        &row_max.as_slice().unwrap_or(&[])[..4]
    );
    println!(
        "argmin(axis=0)[..4] = {:?}",
        &col_min_at.as_slice().unwrap_or(&[])[..4]
    );
    println!(
        "time (upload, 8 ops, readbacks): {:.1} ms on {device}",
        elapsed.as_secs_f64() * 1e3
    );
    Ok(())
}
