//! The gpu section: for each kernel, GB/s of input and the ratio to a plain copy kernel on the
//! same adapter in the same run; upload and readback GB/s beside raw wgpu transfers of the
//! same size.

use std::time::{Duration, Instant};

use ndgpu::{Axes, DType, Device, Reduce3, Tensor};

fn r3(outer: usize, len: usize, inner: usize) -> Reduce3 {
    Reduce3 { outer, len, inner }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(reps: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm-up: pipeline compilation, staging buffers
    median(
        (0..reps)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn gbs(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e9
}

pub fn report(opts: &super::Opts) {
    let dev = match Device::gpu() {
        Ok(d) => d,
        Err(e) => {
            println!("== gpu: not measured ({e})");
            return;
        }
    };
    let n: usize = if opts.quick { 1 << 22 } else { 1 << 25 };
    let reps = if opts.quick { 3 } else { 7 };
    println!(
        "== gpu: {} — {} MiB of float32 per op, median of {reps}",
        dev.name(),
        (n * 4) >> 20
    );
    let host: Vec<f32> = (0..n).map(|i| ((i * 7919) % 1000) as f32 * 0.01).collect();
    let x = Tensor::from_slice(&dev, &[n], &host).expect("upload");
    let sync = || ndgpu::bench::sync(&dev).expect("sync");
    let copy = ndgpu::bench::gpu_copy_kernel(&x, reps).expect("copy kernel");
    let copy_gbs = gbs(n * 4, copy);
    println!(
        "{:<34} {:>8.2} GB/s  (baseline)",
        "copy kernel (u32 words, reused output)", copy_gbs
    );
    let x2 = x.clone();
    let rows = Tensor::from_slice(&dev, &[n / 1024, 1024], &host).expect("upload");
    let xf64 = x.cast(DType::Float64).expect("cast");
    let xi32 = x.cast(DType::Int32).expect("cast");
    let xu8 = x.cast(DType::UInt8).expect("cast");
    let emu = Device::gpu().expect("gpu");
    emu.set_f64_emulation(true);
    let xf64e = xf64
        .to_device(&Device::cpu())
        .and_then(|t| t.to_device(&emu))
        .expect("copy");
    type Op<'a> = (&'a str, usize, Box<dyn Fn() + 'a>);
    let ops: Vec<Op> = vec![
        (
            "sum f32 (exact), all",
            n * 4,
            Box::new(|| drop(x2.sum(Axes::All, false).unwrap())),
        ),
        (
            "sum f32 (exact), axis 0 of [n/1024, 1024]",
            n * 4,
            Box::new(|| drop(rows.sum(0, false).unwrap())),
        ),
        (
            "sum f32 (exact), axis 1 of [n/1024, 1024]",
            n * 4,
            Box::new(|| drop(rows.sum(1, false).unwrap())),
        ),
        (
            "prod f32, all (pairwise float tree)",
            n * 4,
            Box::new(|| drop(x2.prod(Axes::All, false).unwrap())),
        ),
        (
            "exact sum f32, all, first pass",
            n * 4,
            Box::new(|| ndgpu::bench::gpu_exact_sum(&x2, r3(1, n, 1), false).unwrap()),
        ),
        (
            "sum int32 -> int64, all",
            n * 4,
            Box::new(|| drop(xi32.sum(Axes::All, false).unwrap())),
        ),
        (
            "sum uint8 -> uint64, all",
            n,
            Box::new(|| drop(xu8.sum(Axes::All, false).unwrap())),
        ),
        (
            "sum f64 (exact), all",
            n * 8,
            Box::new(|| drop(xf64.sum(Axes::All, false).unwrap())),
        ),
        (
            "sum f64 (exact), no-f64 handle",
            n * 8,
            Box::new(|| drop(xf64e.sum(Axes::All, false).unwrap())),
        ),
        (
            "argmax f32, all",
            n * 4,
            Box::new(|| drop(x2.argmax(None, false).unwrap())),
        ),
        (
            "argmax f32, axis 0 of [n/1024, 1024]",
            n * 4,
            Box::new(|| drop(rows.argmax(Some(0), false).unwrap())),
        ),
        (
            "cast f32 -> f16",
            n * 4,
            Box::new(|| drop(x2.cast(DType::Float16).unwrap())),
        ),
        (
            "cast f32 -> int32",
            n * 4,
            Box::new(|| drop(x2.cast(DType::Int32).unwrap())),
        ),
        (
            "cast f32 -> f64",
            n * 4,
            Box::new(|| drop(x2.cast(DType::Float64).unwrap())),
        ),
        (
            "cast f64 -> f32",
            n * 8,
            Box::new(|| drop(xf64.cast(DType::Float32).unwrap())),
        ),
        (
            "cast uint8 -> f32",
            n,
            Box::new(|| drop(xu8.cast(DType::Float32).unwrap())),
        ),
    ];
    for (name, bytes, f) in &ops {
        let d = time(reps, || {
            f();
            sync();
        });
        let r = gbs(*bytes, d);
        println!("{name:<34} {r:>8.2} GB/s  {:>5.2}x copy", r / copy_gbs);
    }
    let mut dst = vec![0u8; n * 4];
    let raw_rb = time(reps, || {
        ndgpu::bench::gpu_raw_readback(&x, &mut dst).expect("readback")
    });
    let rb = time(reps, || drop(x.to_ndarray::<f32>().expect("readback")));
    println!(
        "{:<34} {:>8.2} GB/s  {:>5.2}x raw copy_buffer_to_buffer + map ({:.2} GB/s)",
        "readback to_ndarray",
        gbs(n * 4, rb),
        raw_rb.as_secs_f64() / rb.as_secs_f64(),
        gbs(n * 4, raw_rb)
    );
    let raw_up =
        ndgpu::bench::gpu_raw_upload(&dev, bytemuck::cast_slice(&host), reps).expect("upload");
    let up = time(reps, || {
        drop(Tensor::from_slice(&dev, &[n], &host).expect("upload"));
        sync();
    });
    println!(
        "{:<34} {:>8.2} GB/s  {:>5.2}x raw write_buffer ({:.2} GB/s)",
        "upload from_slice",
        gbs(n * 4, up),
        raw_up.as_secs_f64() / up.as_secs_f64(),
        gbs(n * 4, raw_up)
    );
    let s = dev.stats();
    println!(
        "transfers: {} MB up, {} MB back, {} readbacks, {} dispatches, staging reused {}x / created {}",
        s.bytes_uploaded >> 20,
        s.bytes_read_back >> 20,
        s.readbacks,
        s.dispatches,
        s.staging_reuses,
        s.staging_allocs
    );
}
