//! The cpu section of the bench report: every op's GB/s of input read beside a plain read
//! kernel (32 accumulators, rayon 64 K chunks) timed on the same buffer in the same run, rep by
//! rep, so the ratio survives a noisy shared machine. Casts are also timed into a reused output
//! ("kernel") because NumPy's figures are `astype` into preallocated memory.

use std::hint::black_box;
use std::time::Instant;

use ndgpu::bench::cast_into;
use ndgpu::{Axes, DType, Device, Tensor};
use rayon::prelude::*;

/// NumPy `astype` into preallocated memory on the reference machine (/work/shared/README.md).
const NUMPY_F32_I32: f64 = 11.5;
const NUMPY_I64_F32: f64 = 13.0;
/// That machine's 2-thread read bandwidth when idle; an absolute target divided by it is the
/// fraction of read bandwidth the target stands for, which still means something when other
/// jobs share the cores ("load-adjusted" below).
const REFERENCE_READ: f64 = 32.5;

/// The baseline: reads every byte once with both cores, 32 accumulators per core, compiled
/// for AVX2 where the processor has it (the same dispatch as the ops: a baseline compiled for
/// plain SSE2 ran at half the machine's read bandwidth and flattered every ratio).
pub fn read_kernel(bytes: &[u8]) -> f32 {
    let x: &[f32] = bytemuck::cast_slice(&bytes[..bytes.len() / 4 * 4]);
    x.par_chunks(1 << 16).map(ndgpu::bench::read_f32).sum()
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// What one line compares against.
enum Target {
    /// A fraction of the read bandwidth.
    Read(f64),
    /// Absolute GB/s, with the ratio printed against it (NumPy's figure or a fixed floor).
    Gbs(f64, &'static str),
    None,
}

struct Bench<'a> {
    reps: usize,
    input: &'a [u8],
}

impl Bench<'_> {
    /// Times `op` and the read kernel alternately and prints one line.
    fn line(&self, op: &str, size: &str, target: Target, mut f: impl FnMut()) {
        f(); // warm-up: first touch of outputs, rayon threads
        let (mut ts, mut gbs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        let n = self.input.len() as f64;
        for _ in 0..self.reps {
            let t = Instant::now();
            black_box(read_kernel(black_box(self.input)));
            let read = n / t.elapsed().as_secs_f64() / 1e9;
            let t = Instant::now();
            f();
            let dt = t.elapsed().as_secs_f64();
            ts.push(dt * 1e3);
            gbs.push(n / dt / 1e9);
            ratios.push(n / dt / 1e9 / read);
        }
        let (ms, g, read_ratio) = (median(ts), median(gbs), median(ratios));
        // Absolute targets also get the read ratio: on a loaded machine it is the figure that
        // says whether the kernel or the machine is slow.
        let (ratio, what, met) = match target {
            Target::Read(t) => (read_ratio, "read".to_string(), Some(read_ratio >= t)),
            Target::Gbs(t, name) => {
                let need = t / REFERENCE_READ;
                let adjusted = if read_ratio >= need { "yes" } else { "no" };
                (
                    g / t,
                    format!(
                        "{name} {t} GB/s; {read_ratio:.2} x read vs {need:.2} needed, \
                         load-adjusted {adjusted}"
                    ),
                    Some(g >= t),
                )
            }
            Target::None => (read_ratio, "read".to_string(), None),
        };
        let target = match (met, &target) {
            (Some(m), Target::Read(t)) => format!("{} (>= {:.0} % of read)", yes(m), t * 100.0),
            (Some(m), _) => yes(m).to_string(),
            _ => "- (no target)".to_string(),
        };
        println!(
            "{op:<31} {size:<12} {ms:>8.2} ms {g:>6.2} GB/s {ratio:>5.2} x {what:<18} target met: {target}"
        );
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "NO" }
}

fn tensor<T: ndgpu::Element>(dev: &Device, shape: &[usize], v: Vec<T>) -> Tensor {
    Tensor::from_vec(dev, shape, v).expect("shape matches the data")
}

pub fn report(opts: &super::Opts) {
    let (side, reps) = if opts.quick { (1000, 5) } else { (10_000, 9) };
    let n = side * side;
    let dev = Device::cpu();
    println!(
        "== cpu: {} threads, n = {n}; GB/s of input read, median of {reps}; ratio = median of \
         per-rep (op GB/s / read-kernel GB/s on the same buffer)",
        rayon::current_num_threads()
    );
    let read1 = {
        let x: Vec<f32> = (0..n).map(|i| (i % 1000) as f32).collect();
        let b = Bench {
            reps,
            input: bytemuck::cast_slice(&x),
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        let mut v = Vec::new();
        for _ in 0..reps {
            let t = Instant::now();
            black_box(pool.install(|| read_kernel(black_box(b.input))));
            v.push(b.input.len() as f64 / t.elapsed().as_secs_f64() / 1e9);
        }
        median(v)
    };
    println!("read kernel, 1 thread: {read1:.2} GB/s");

    let flat = format!("{n}");
    let sq = format!("{side}x{side}");
    {
        let v: Vec<f32> = (0..n)
            .map(|i| ((i * 7919) % 1_000_003) as f32 * 1e-3)
            .collect();
        let t1 = tensor(&dev, &[n], v.clone());
        let t2 = tensor(&dev, &[side, side], v);
        let view = t1.view::<f32>().expect("host");
        let b = Bench {
            reps,
            input: bytemuck::cast_slice(view.as_slice().expect("contiguous")),
        };
        b.line("sum f32 full", &flat, Target::Read(0.90), || {
            black_box(t1.sum(Axes::All, false).expect("sum"));
        });
        b.line("sum f32 axis 0", &sq, Target::Read(0.90), || {
            black_box(t2.sum(0, false).expect("sum"));
        });
        b.line("sum f32 axis 1", &sq, Target::Read(0.90), || {
            black_box(t2.sum(1, false).expect("sum"));
        });
        b.line("argmax f32 full", &flat, Target::Read(0.85), || {
            black_box(t1.argmax(None, false).expect("argmax"));
        });
        b.line("argmax f32 axis 0", &sq, Target::Read(0.45), || {
            black_box(t2.argmax(Some(0), false).expect("argmax"));
        });
        b.line("argmax f32 axis 1", &sq, Target::None, || {
            black_box(t2.argmax(Some(1), false).expect("argmax"));
        });
        let src = t1.clone();
        let mut f16_out: Vec<half::f16> = Vec::new();
        b.line(
            "cast f32->f16 (reused output)",
            &flat,
            Target::Gbs(12.0, "floor"),
            || {
                cast_into(&src, &mut f16_out).expect("same length");
            },
        );
        b.line("cast f32->f16 (fresh output)", &flat, Target::None, || {
            black_box(t1.cast(DType::Float16).expect("cast"));
        });
        let mut i32_out: Vec<i32> = Vec::new();
        b.line(
            "cast f32->i32 (reused output)",
            &flat,
            Target::Gbs(NUMPY_F32_I32, "NumPy"),
            || {
                cast_into(&src, &mut i32_out).expect("same length");
            },
        );
        b.line("cast f32->i32 (fresh output)", &flat, Target::None, || {
            black_box(t1.cast(DType::Int32).expect("cast"));
        });
    }
    {
        let v: Vec<i32> = (0..n).map(|i| ((i * 7919) % 2001) as i32 - 1000).collect();
        let t = tensor(&dev, &[n], v);
        let view = t.view::<i32>().expect("host");
        let b = Bench {
            reps,
            input: bytemuck::cast_slice(view.as_slice().expect("contiguous")),
        };
        b.line("sum i32->i64 full", &flat, Target::Read(0.85), || {
            black_box(t.sum(Axes::All, false).expect("sum"));
        });
    }
    {
        let v: Vec<i64> = (0..n).map(|i| ((i as i64) * 1_000_003) << 8).collect();
        let t = tensor(&dev, &[n], v);
        let view = t.view::<i64>().expect("host");
        let src = t.clone();
        let b = Bench {
            reps,
            input: bytemuck::cast_slice(view.as_slice().expect("contiguous")),
        };
        let mut out: Vec<f32> = Vec::new();
        b.line(
            "cast i64->f32 (reused output)",
            &flat,
            Target::Gbs(NUMPY_I64_F32, "NumPy"),
            || {
                cast_into(&src, &mut out).expect("same length");
            },
        );
        b.line("cast i64->f32 (fresh output)", &flat, Target::None, || {
            black_box(t.cast(DType::Float32).expect("cast"));
        });
    }
    {
        let v: Vec<f64> = (0..n)
            .map(|i| ((i * 7919) % 1_000_003) as f64 * 1e-3)
            .collect();
        let t = tensor(&dev, &[n], v);
        let view = t.view::<f64>().expect("host");
        let b = Bench {
            reps,
            input: bytemuck::cast_slice(view.as_slice().expect("contiguous")),
        };
        b.line("sum f64 full", &flat, Target::None, || {
            black_box(t.sum(Axes::All, false).expect("sum"));
        });
        b.line("argmax f64 full", &flat, Target::None, || {
            black_box(t.argmax(None, false).expect("argmax"));
        });
    }
}
