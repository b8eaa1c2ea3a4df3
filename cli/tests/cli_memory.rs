//! Memory is bounded by the chunk size for outputs too (issue 9): a reduction whose result is
//! as large as its input, and a flat arg-reduction of a Fortran-order file, run with a small
//! chunk and a peak resident set far below the size of the result; the results equal the
//! in-memory ones.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use ndgpu::{Axes, ReduceOp};

const MIB: u64 = 1 << 20;

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("ndgpu-memory-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Writes a .npy of `descr` and `shape` whose data `body` writes, in pieces: this process
/// must stay small (see `peak_rss`).
fn write_npy(
    path: &Path,
    descr: &str,
    shape: &[usize],
    fortran: bool,
    body: impl FnOnce(&mut dyn Write),
) {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let dict = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': ({},), }}",
        if fortran { "True" } else { "False" },
        dims.join(", ")
    );
    let mut header = dict.into_bytes();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(b' ');
    }
    header.push(b'\n');
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).expect("create input"));
    w.write_all(b"\x93NUMPY\x01\x00").unwrap();
    w.write_all(&(header.len() as u16).to_le_bytes()).unwrap();
    w.write_all(&header).unwrap();
    body(&mut w);
    w.flush().expect("write input");
}

/// A float32 .npy of `shape` (C or Fortran order) whose elements are a scrambled sequence.
fn write_f32(path: &Path, shape: &[usize], fortran: bool) {
    let n: usize = shape.iter().product();
    write_npy(path, "<f4", shape, fortran, |w| {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            w.write_all(&(((x >> 40) as f32) - 8e6).to_le_bytes())
                .unwrap();
        }
    });
}

/// Runs the binary; returns its peak resident set in bytes (from wait4's rusage of that one
/// child). The child starts as a copy of this process, whose own peak Linux counts into the
/// child's at exec: so every measurement runs before this process reads any large array, and
/// this binary holds one test.
fn peak_rss(args: &[&str]) -> u64 {
    peak_rss_chunked(args, MIB)
}

/// [`peak_rss`] with `chunk` bytes per chunk.
#[allow(clippy::zombie_processes)] // reaped by wait4, which also gives its rusage
fn peak_rss_chunked(args: &[&str], chunk: u64) -> u64 {
    let child = Command::new(env!("CARGO_BIN_EXE_ndgpu"))
        .args(args)
        .env("NDGPU_CHUNK_BYTES", chunk.to_string())
        .spawn()
        .expect("run ndgpu");
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, writing into the two locals above.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{args:?}: {status}"
    );
    usage.ru_maxrss as u64 * 1024
}

/// The output file holds what the in-memory operation gives (exact ops: the same values).
fn same_as_in_memory(input: &Path, output: &Path, op: ReduceOp, axes: Axes) {
    let want = ndgpu::npy::read(input)
        .and_then(|x| x.reduce(op, axes, false))
        .expect("in memory");
    let got = ndgpu::npy::read(output).expect("read output");
    assert_eq!(
        (got.shape(), got.dtype()),
        (want.shape(), want.dtype()),
        "{op}"
    );
    if op.is_arg() {
        assert_eq!(
            got.to_ndarray::<i64>().unwrap(),
            want.to_ndarray::<i64>().unwrap(),
            "{op}"
        );
    } else {
        assert_eq!(
            got.to_ndarray::<f32>().unwrap(),
            want.to_ndarray::<f32>().unwrap(),
            "{op}"
        );
    }
}

#[test]
fn large_results_stream_to_the_output_in_bounded_memory() {
    let dir = tempdir();
    let (bytes, cast) = measure_casts(&dir);
    // 64 MiB in; axis 0 of (2, 8 Mi) leaves a 32 MiB float32 result, 64 MiB of int64 indices.
    let wide = dir.join("wide.npy");
    write_f32(&wide, &[2, 8 << 20], false);
    // A flat argmax of a Fortran-order file must not load the array (64 MiB).
    let fortran = dir.join("fortran.npy");
    write_f32(&fortran, &[4096, 4096], true);
    let cases = [
        (&wide, "max", Axes::List(vec![0]), 32 * MIB),
        (&wide, "argmin", Axes::List(vec![0]), 64 * MIB),
        (&fortran, "argmax", Axes::All, 64 * MIB),
    ];
    let outs: Vec<PathBuf> = (0..cases.len())
        .map(|i| dir.join(format!("out{i}.npy")))
        .collect();
    for ((input, op, axes, big), out) in cases.iter().zip(&outs) {
        let mut args = vec![*op, input.to_str().unwrap(), "-o", out.to_str().unwrap()];
        args.extend(["--device", "cpu"]);
        if let Axes::List(_) = axes {
            args.extend(["--axis", "0"]);
        }
        let rss = peak_rss(&args);
        assert!(
            rss < big / 2,
            "{op}: peak RSS {} MiB beside {} MiB",
            rss / MIB,
            big / MIB
        );
    }
    for ((input, op, axes, _), out) in cases.into_iter().zip(&outs) {
        same_as_in_memory(input, out, ReduceOp::from_name(op).unwrap(), axes);
    }
    let got = ndgpu::npy::read(cast).expect("read output");
    let want = ndgpu::npy::read(&bytes)
        .and_then(|x| x.cast(ndgpu::DType::Float64))
        .expect("in memory");
    assert_eq!(
        got.to_ndarray::<f64>().unwrap(),
        want.to_ndarray::<f64>().unwrap()
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A uint8 .npy of `n` elements (a repeating ramp).
fn write_u8(path: &Path, n: usize) {
    write_npy(path, "|u1", &[n], false, |w| {
        let ramp: Vec<u8> = (0..=255).collect();
        for _ in 0..n / 256 {
            w.write_all(&ramp).unwrap();
        }
    });
}

/// Whether `--device gpu` runs here (a failure under `NDGPU_REQUIRE_GPU=1`). Asked of the
/// binary: opening an adapter in this process would count into every child's peak.
fn gpu_runs(tiny: &Path, out: &Path) -> bool {
    let o = Command::new(env!("CARGO_BIN_EXE_ndgpu"))
        .args(["cast", tiny.to_str().unwrap(), "--to", "float64", "-o"])
        .arg(out)
        .args(["--device", "gpu"])
        .output()
        .expect("run ndgpu");
    if !o.status.success() {
        let why = String::from_utf8_lossy(&o.stderr);
        let required = std::env::var("NDGPU_REQUIRE_GPU").is_ok_and(|s| s == "1");
        assert!(
            !required,
            "NDGPU_REQUIRE_GPU=1 but --device gpu fails: {why}"
        );
        eprintln!("note: GPU memory case skipped: {why}");
    }
    o.status.success()
}

/// Widening casts and the GPU path stay within a few chunks; measured only (this process
/// must not read a large array before every child has run): returns (input, output) of the
/// CPU cast for checking.
fn measure_casts(dir: &Path) -> (PathBuf, PathBuf) {
    // uint8 -> float64 makes 8 bytes of output per byte of input: 32 MiB in, 256 MiB out.
    let bytes = dir.join("bytes.npy");
    write_u8(&bytes, 32 << 20);
    let wide = dir.join("wide.npy");
    write_f32(&wide, &[16, 1 << 20], false);
    let tiny = dir.join("tiny.npy");
    write_f32(&tiny, &[2, 4], false);
    let out = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let chunk = 8 * MIB;
    // The CPU: one chunk of input and at most one chunk of output (each chunk's output used
    // to be 8 chunks here).
    let cpu = peak_rss_chunked(
        &[
            "cast",
            bytes.to_str().unwrap(),
            "--to",
            "float64",
            "-o",
            &out("b.npy"),
            "--device",
            "cpu",
        ],
        chunk,
    );
    assert!(
        cpu < 6 * chunk,
        "uint8 -> float64 on the CPU: peak RSS {} MiB",
        cpu / MIB
    );
    // A GPU: peak memory grows with the chunk by at most 2 bytes per byte, for a widening
    // cast and a reduction (a software adapter's device buffers are host memory; it used to
    // grow by 11). Measured as a slope between two chunk sizes, so that what the adapter and
    // its shader compiler take, whatever the input, cancels.
    if gpu_runs(&tiny, &dir.join("t.npy")) {
        for (input, args) in [
            (&bytes, ["cast", "--to", "float64"]),
            (&wide, ["cast", "--to", "float64"]),
            (&wide, ["sum", "--axis", "1"]),
        ] {
            let o = out("g.npy");
            let mut a = vec![args[0], input.to_str().unwrap(), args[1], args[2]];
            a.extend(["-o", &o, "--device", "gpu"]);
            let (small, big) = (4 * MIB, 16 * MIB);
            let (low, high) = (peak_rss_chunked(&a, small), peak_rss_chunked(&a, big));
            assert!(
                high < low + 2 * (big - small),
                "{args:?}: peak RSS {} MiB with {} MiB chunks, {} MiB with {} MiB chunks",
                low / MIB,
                small / MIB,
                high / MIB,
                big / MIB
            );
        }
    }
    (bytes, dir.join("b.npy"))
}
