//! The family section of the bench report: every reduction of the engine on 1e8 float32
//! (flat, and both axes of 10000x10000), each rep timed beside the read kernel on the same
//! buffer (the honest baseline: compiled for AVX2 like the ops), with NumPy's figure for the
//! same call measured in the same run (python3 + numpy, when installed), a 1 Ki-element
//! call's latency on each device, and the submits per op on the GPU.

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use ndgpu::{Axes, DType, Device, ReduceOp, Tensor};

use super::cpu::{median, read_kernel};

/// The targets, as a fraction of the read kernel.
fn target(op: ReduceOp) -> f64 {
    match op {
        ReduceOp::Prod | ReduceOp::NanProd => 0.80,
        // Two folds (max, then min), each one read of the input.
        ReduceOp::Ptp => 0.45,
        ReduceOp::ArgMax | ReduceOp::ArgMin | ReduceOp::NanArgMax | ReduceOp::NanArgMin => 0.85,
        _ => 0.90,
    }
}

/// NumPy's GB/s for `op` over the three shapes, timed by python3 in this run.
fn numpy(op: ReduceOp, side: usize) -> Option<[f64; 3]> {
    numpy_dtype(op, side, "float32")
}

/// [`numpy`] over an array of `dtype` (a NumPy dtype name).
fn numpy_dtype(op: ReduceOp, side: usize, dtype: &str) -> Option<[f64; 3]> {
    let script = format!(
        "import numpy as np, time, statistics\n\
         a = (np.random.default_rng(0).random({n}) * 2 - 1).astype(np.{dtype})\n\
         m = a.reshape({side}, {side})\n\
         f = np.{op}\n\
         def t(g):\n    g(); ts = []\n    for _ in range(5):\n        s = time.perf_counter(); g(); ts.append(time.perf_counter() - s)\n    return a.nbytes / statistics.median(ts) / 1e9\n\
         print(t(lambda: f(a)), t(lambda: f(m, axis=0)), t(lambda: f(m, axis=1)))\n",
        n = side * side
    );
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let v: Vec<f64> = text
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect();
    (v.len() == 3).then(|| [v[0], v[1], v[2]])
}

pub fn report(opts: &super::Opts) {
    let (side, reps) = if opts.quick { (1000, 5) } else { (10_000, 7) };
    let n = side * side;
    let cpu = Device::cpu();
    let v: Vec<f32> = (0..n)
        .map(|i| ((i * 7919) % 1_000_003) as f32 * 2e-6 - 1.0)
        .collect();
    let flat = Tensor::from_vec(&cpu, &[n], v.clone()).expect("flat");
    let square = Tensor::from_vec(&cpu, &[side, side], v).expect("square");
    println!(
        "== family (cpu, float32, n = {n}): GB/s of input, ratio = median per-rep op / read \
         kernel on the same buffer; NumPy measured now"
    );
    let mut plain = std::collections::HashMap::new();
    for op in ReduceOp::ALL {
        if !wanted(op) {
            continue;
        }
        let np = numpy(op, side);
        for (k, (name, t, axes)) in [
            ("full", &flat, Axes::All),
            ("axis 0", &square, Axes::List(vec![0])),
            ("axis 1", &square, Axes::List(vec![1])),
        ]
        .into_iter()
        .enumerate()
        {
            let run = || black_box(t.reduce(op, axes.clone(), false).expect("reduce"));
            run();
            // The read kernel over the op's own buffer: two buffers of the same size can
            // read at different speeds (their pages differ), which would skew the ratio.
            let input = own_bytes(t);
            let (mut gbs, mut ratios) = (Vec::new(), Vec::new());
            for _ in 0..reps {
                let s = Instant::now();
                black_box(read_kernel(black_box(input)));
                let read = input.len() as f64 / s.elapsed().as_secs_f64() / 1e9;
                let s = Instant::now();
                run();
                let g = input.len() as f64 / s.elapsed().as_secs_f64() / 1e9;
                gbs.push(g);
                ratios.push(g / read);
            }
            let (g, r) = (median(gbs), median(ratios));
            plain.insert((op.name(), k), r);
            let verdict = if op.skips_nan() {
                let base = op.name().trim_start_matches("nan");
                match plain.get(&(base, k)) {
                    Some(p) => format!(
                        "{:.2} of {base} (target >= 0.90): {}",
                        r / p,
                        if r / p >= 0.9 { "met" } else { "NOT met" }
                    ),
                    None => String::new(),
                }
            } else {
                let t = target(op);
                format!(
                    "target >= {t:.2}: {}",
                    if r >= t { "met" } else { "NOT met" }
                )
            };
            let np = np.map_or("numpy n/a".to_string(), |v| {
                format!("numpy {:.2} GB/s ({:.2}x)", v[k], g / v[k])
            });
            println!(
                "{:<14} {name:<7} {g:>6.2} GB/s {r:>5.2} x read   {np:<26} {verdict}",
                op.name()
            );
        }
    }
    drop((flat, square));
    exact_sums(side, reps);
    latency();
}

/// The exact float sums (issue 8) of every float dtype: sum and mean over the same three
/// shapes, against the read kernel over the same bytes and NumPy's np.sum / np.mean of the
/// same array, both measured now. Targets (fraction of the read kernel): float32 0.90,
/// float64 0.75, float16 / bfloat16 0.60, complex64 0.75.
pub fn exact_sums(side: usize, reps: usize) {
    let n = side * side;
    let cpu = Device::cpu();
    let base: Vec<f64> = (0..n)
        .map(|i| ((i * 7919) % 1_000_003) as f64 * 2e-6 - 1.0)
        .collect();
    println!("== exact float sums (cpu, n = {n}): GB/s of input, ratio = op / read kernel");
    for (dtype, np_dtype, t) in [
        (DType::Float32, "float32", 0.90),
        (DType::Float64, "float64", 0.75),
        (DType::Float16, "float16", 0.60),
        (DType::BFloat16, "", 0.60),
        (DType::Complex64, "complex64", 0.75),
    ] {
        let flat = Tensor::from_vec(&cpu, &[n], base.clone())
            .and_then(|x| x.cast(dtype))
            .expect("input");
        let bytes = n * dtype.itemsize();
        let square = Tensor::from_vec(&cpu, &[side, side], base.clone())
            .and_then(|x| x.cast(dtype))
            .expect("square");
        for op in [ReduceOp::Sum, ReduceOp::Mean] {
            if !wanted(op) {
                continue;
            }
            let np = (!np_dtype.is_empty())
                .then(|| numpy_dtype(op, side, np_dtype))
                .flatten();
            for (k, (name, x, axes)) in [
                ("full", &flat, Axes::All),
                ("axis 0", &square, Axes::List(vec![0])),
                ("axis 1", &square, Axes::List(vec![1])),
            ]
            .into_iter()
            .enumerate()
            {
                let run = || black_box(x.reduce(op, axes.clone(), false).expect("reduce"));
                run();
                let input = own_bytes(x);
                let (mut gbs, mut ratios) = (Vec::new(), Vec::new());
                for _ in 0..reps {
                    let s = Instant::now();
                    black_box(read_kernel(black_box(input)));
                    let read = bytes as f64 / s.elapsed().as_secs_f64() / 1e9;
                    let s = Instant::now();
                    run();
                    let g = bytes as f64 / s.elapsed().as_secs_f64() / 1e9;
                    gbs.push(g);
                    ratios.push(g / read);
                }
                let (g, r) = (median(gbs), median(ratios));
                let np = np.map_or("numpy n/a".to_string(), |v| {
                    format!("numpy {:.2} GB/s ({:.2}x)", v[k], g / v[k])
                });
                println!(
                    "{:<5} {:<9} {name:<7} {g:>6.2} GB/s {r:>5.2} x read   {np:<26} target >= {t:.2}: {}",
                    op.name(),
                    dtype.to_string(),
                    if r >= t { "met" } else { "NOT met" }
                );
            }
        }
    }
}

/// False for an operation that `NDGPU_BENCH_OPS=min,max,...` leaves out.
fn wanted(op: ReduceOp) -> bool {
    std::env::var("NDGPU_BENCH_OPS").map_or(true, |w| w.split(',').any(|o| o == op.name()))
}

/// The bytes of a CPU tensor's own buffer (what the read kernel reads for its baseline).
fn own_bytes(t: &Tensor) -> &[u8] {
    fn of<T: ndgpu::Element + bytemuck::Pod>(t: &Tensor) -> &[u8] {
        let v = t.view::<T>().expect("a CPU tensor");
        bytemuck::cast_slice(v.to_slice().expect("contiguous"))
    }
    match t.dtype() {
        DType::Float64 => of::<f64>(t),
        DType::Float16 => of::<half::f16>(t),
        DType::BFloat16 => of::<half::bf16>(t),
        DType::Complex64 => of::<num_complex::Complex<f32>>(t),
        _ => of::<f32>(t),
    }
}

/// A 1 Ki-element reduction's latency on each device (upload excluded, readback included)
/// and the submits it costs on the GPU.
fn latency() {
    let v: Vec<f32> = (0..1024).map(|i| i as f32).collect();
    let mut devices = vec![Device::cpu()];
    if let Ok(g) = Device::gpu() {
        devices.push(g);
    }
    for d in devices {
        let t = Tensor::from_vec(&d, &[32, 32], v.clone()).expect("upload");
        for op in [
            ReduceOp::Sum,
            ReduceOp::Max,
            ReduceOp::Mean,
            ReduceOp::ArgMin,
        ] {
            // Warm-up: the pipelines are composed and cached on first use.
            let _ = t
                .reduce(op, 1, false)
                .and_then(|r| r.to_device(&Device::cpu()));
            let before = d.stats();
            let mut ts = Vec::new();
            for _ in 0..20 {
                let s = Instant::now();
                let r = t.reduce(op, 1, false).expect("reduce");
                black_box(r.to_device(&Device::cpu()).expect("readback"));
                ts.push(s.elapsed().as_secs_f64() * 1e6);
            }
            let after = d.stats();
            let dispatches = (after.dispatches - before.dispatches) as f64 / 20.0;
            let submits = (after.submits - before.submits) as f64 / 20.0;
            println!(
                "latency 1 Ki {:<8} on {:<32} {:>9.1} us (median of 20), {dispatches:.1} dispatches, {submits:.1} submits per op (readback included)",
                op.name(),
                d.name(),
                median(ts)
            );
        }
    }
}
