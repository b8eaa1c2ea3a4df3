//! The streamed operations (chunk sizes from one element up) give the same bytes as the
//! in-memory tensor operations, on every device.

use crate::common;

use std::path::{Path, PathBuf};

use common::bytes;
use common::exact::{exact_bits, fmt_of};
use ndgpu::npy::stream::{self, StreamOptions};
use ndgpu::{Axes, DType, Device, ReduceOp, Tensor};

fn opts(chunk_bytes: usize) -> StreamOptions {
    StreamOptions {
        chunk_bytes,
        progress: None,
    }
}

/// Deterministic pseudo-random values in [-125, 125] with ties (every 97th is 125) whose
/// float sums round (random fractions, not multiples of a power of two).
fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|i| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let v = (s >> 11) as f64 / (1u64 << 53) as f64 * 250.0 - 125.0;
            if i % 97 == 13 { 125.0 } else { v }
        })
        .collect()
}

fn file(dir: &Path, name: &str, t: &Tensor) -> PathBuf {
    let p = dir.join(format!("{name}.npy"));
    ndgpu::npy::write(&p, t).unwrap();
    p
}

fn tensors(shape: &[usize]) -> Vec<Tensor> {
    let cpu = Device::cpu();
    let n = shape.iter().product();
    let v = values(n, n as u64);
    let mut f32s: Vec<f32> = v.iter().map(|&x| x as f32).collect();
    if n > 40 {
        f32s[40] = f32::NAN;
        f32s[n - 1] = f32::NAN;
    }
    vec![
        Tensor::from_vec(&cpu, shape, f32s).unwrap(),
        Tensor::from_vec(
            &cpu,
            shape,
            v.iter().map(|&x| x * 1e3).collect::<Vec<f64>>(),
        )
        .unwrap(),
        Tensor::from_vec(
            &cpu,
            shape,
            v.iter().map(|&x| (x * 8.0) as i16).collect::<Vec<i16>>(),
        )
        .unwrap(),
        Tensor::from_vec(
            &cpu,
            shape,
            v.iter()
                .map(|&x| (x * 1e7) as i64 as u64)
                .collect::<Vec<u64>>(),
        )
        .unwrap(),
        Tensor::from_vec(
            &cpu,
            shape,
            v.iter()
                .map(|&x| half::f16::from_f64(x))
                .collect::<Vec<_>>(),
        )
        .unwrap(),
        Tensor::from_vec(
            &cpu,
            shape,
            v.iter().map(|&x| x > 0.0).collect::<Vec<bool>>(),
        )
        .unwrap(),
        Tensor::from_vec(
            &cpu,
            shape,
            v.iter()
                .map(|&x| num_complex::Complex::new(x as f32, (x * 3.0) as i32 as f32 % 2.0))
                .collect::<Vec<_>>(),
        )
        .unwrap(),
    ]
}

fn same(what: &str, got: &Tensor, want: &Tensor) {
    assert_eq!(
        (got.dtype(), got.shape()),
        (want.dtype(), want.shape()),
        "{what}"
    );
    assert!(bytes(got) == bytes(want), "{what}: bytes differ");
}

#[test]
fn streamed_equals_in_memory() {
    let dir = std::env::temp_dir().join(format!("ndgpu-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let shapes: [&[usize]; 4] = [&[5000], &[64, 9, 5], &[3, 700], &[2, 3, 1, 129]];
    for device in common::devices() {
        for shape in shapes {
            for (k, t) in tensors(shape).into_iter().enumerate() {
                let p = file(&dir, &format!("t{k}"), &t);
                let t = t.to_device(&device).unwrap();
                let isz = t.dtype().itemsize();
                // From one element per chunk (not for the 5000 elements of the 1-D shape:
                // that alone was a third of this test's time) to the whole file. A GPU launch
                // costs milliseconds on a software adapter: big chunks only there (the
                // chunking logic is the same code on every device).
                let all = [1, 7 * isz, 256 * isz, 4096 * isz, 1 << 30];
                let chunks = match (device.is_cpu(), shape.len()) {
                    (false, _) => &all[3..],
                    (true, 1) => &all[1..],
                    _ => &all[..],
                };
                for &chunk in chunks {
                    let tag = format!("{} {shape:?} {chunk}B on {device}", t.dtype());
                    let nd = shape.len() as isize;
                    let mut axes_list = vec![Axes::All];
                    for a in -nd..nd {
                        axes_list.push(Axes::from(a));
                    }
                    if nd >= 3 {
                        axes_list.push(Axes::from([0, 2]));
                        axes_list.push(Axes::from([1, -1]));
                    }
                    for axes in &axes_list {
                        for keep in [false, true] {
                            let got = stream::sum(&p, axes, keep, &device, opts(chunk)).unwrap();
                            let want = t.sum(axes.clone(), keep).unwrap();
                            // Exact float sums: bit-identical for any chunking too.
                            same(&format!("sum {axes:?} {tag}"), &got, &want);
                        }
                    }
                    for axis in std::iter::once(None).chain((-nd..nd).map(Some)) {
                        let got = stream::argmax(&p, axis, false, &device, opts(chunk)).unwrap();
                        same(
                            &format!("argmax {axis:?} {tag}"),
                            &got,
                            &t.argmax(axis, false).unwrap(),
                        );
                    }
                    for to in [
                        DType::Int32,
                        DType::Float16,
                        DType::UInt8,
                        DType::Complex64,
                        DType::Bool,
                    ] {
                        let out = dir.join("cast.npy");
                        stream::cast(&p, &out, to, &device, opts(chunk)).unwrap();
                        same(
                            &format!("cast {to} {tag}"),
                            &ndgpu::npy::read(&out).unwrap(),
                            &t.cast(to).unwrap(),
                        );
                    }
                }
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn float_sums_of_any_chunking_are_exact() {
    let dir = std::env::temp_dir().join(format!("ndgpu-stream-b-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cpu = Device::cpu();
    let shape = [37usize, 11, 13];
    let n: usize = shape.iter().product();
    let v: Vec<f32> = values(n, 3).iter().map(|&x| x as f32).collect();
    let t = Tensor::from_vec(&cpu, &shape, v.clone()).unwrap();
    let xs: Vec<f64> = v.iter().map(|&x| f64::from(x)).collect();
    let total = exact_bits(&xs, 1, fmt_of(DType::Float32)) as u32;
    let mean = exact_bits(&xs, n as u64, fmt_of(DType::Float32)) as u32;
    let p = file(&dir, "f", &t);
    for chunk in [4, 100, 4000, 1 << 20] {
        for axes in [Axes::All, Axes::from(0), Axes::from([0, 2]), Axes::from(-1)] {
            for op in [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::NanMean] {
                let got = stream::reduce(&p, op, &axes, false, &cpu, opts(chunk)).unwrap();
                let want = t.reduce(op, axes.clone(), false).unwrap();
                assert_eq!(bytes(&got), bytes(&want), "{op} {axes:?} chunk {chunk}");
                if axes == Axes::All {
                    let g = got.to_ndarray::<f32>().unwrap()[[]].to_bits();
                    assert_eq!(g, if op == ReduceOp::Sum { total } else { mean }, "{op}");
                }
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A float32 .npy in Fortran order holding the C-order array `c` of `shape`.
fn fortran_file(path: &Path, shape: &[usize], c: &[f32]) {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': True, 'shape': ({},), }}",
        dims.join(", ")
    )
    .into_bytes();
    while (11 + header.len()) % 64 != 0 {
        header.push(b' ');
    }
    header.push(b'\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(&header);
    // Fortran order: the first index varies fastest.
    let n = c.len();
    for p in 0..n {
        let (mut rest, mut ci, mut weight) = (p, 0, 1);
        let strides: Vec<usize> = (0..shape.len())
            .map(|k| shape[k + 1..].iter().product())
            .collect();
        for (k, &d) in shape.iter().enumerate() {
            ci += (rest % d) * strides[k];
            rest /= d;
            weight *= d;
        }
        assert!(weight == n);
        bytes.extend_from_slice(&c[ci].to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn flat_arg_reductions_of_a_fortran_file_take_the_first_c_order_index() {
    let dir = std::env::temp_dir().join(format!("ndgpu-stream-f-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("f.npy");
    // The first maximum in C order is flat index 1; the file's own order meets (1, 0) first.
    fortran_file(&p, &[2, 3], &[0.0, 5.0, 1.0, 5.0, 2.0, 5.0]);
    for chunk in [4, 8, 12, 1 << 20] {
        let got = stream::argmax(&p, None, false, &Device::cpu(), opts(chunk)).unwrap();
        assert_eq!(got.to_ndarray::<i64>().unwrap()[[]], 1, "{chunk} B chunks");
    }
    // Random ties and NaN in 3-D, every flat arg-reduction, against the in-memory result.
    let shape = [5, 4, 6];
    let v: Vec<f32> = values(120, 7)
        .iter()
        .map(|&x| (x / 40.0).round() as f32)
        .collect();
    let mut with_nan = v.clone();
    with_nan[77] = f32::NAN;
    for (k, data) in [v, with_nan].into_iter().enumerate() {
        fortran_file(&p, &shape, &data);
        let t = Tensor::from_vec(&Device::cpu(), &shape, data).unwrap();
        for op in ["argmax", "argmin", "nanargmax", "nanargmin"] {
            let op = ndgpu::ReduceOp::from_name(op).unwrap();
            let want = t.reduce(op, Axes::All, false).unwrap();
            for device in common::devices() {
                for chunk in [4, 28, 1 << 20] {
                    let got = stream::reduce(&p, op, &Axes::All, false, &device, opts(chunk));
                    same(&format!("{op} {k} {chunk}B {device}"), &got.unwrap(), &want);
                }
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
