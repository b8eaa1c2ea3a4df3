//! The `ndgpu` binary's failure paths (issue 9): a file truncated while it is read, closed or
//! full stdout and stderr, absurd ranks, signals during a write, long and special output paths,
//! and the argument parser's dtype spellings. Each case: the contract's exit status, one line
//! on stderr, no temporary file left, OUT created only by a complete write.

use crate::common;

use std::io::Write;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::{bin, ndgpu, tempdir};

/// Temporary files of ndgpu left in `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".ndgpu") || n.contains("ndgpu-tmp"))
        .collect()
}

/// A .npy header for `descr` and a shape written out as Python would (`dims` as text).
fn header(descr: &str, dims: &str) -> Vec<u8> {
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}");
    let total = (10 + dict.len() + 1).div_ceil(64) * 64;
    let mut h = b"\x93NUMPY\x01\x00".to_vec();
    h.extend_from_slice(&((total - 10) as u16).to_le_bytes());
    h.extend_from_slice(dict.as_bytes());
    h.resize(total - 1, b' ');
    h.push(b'\n');
    h
}

/// A little-endian float32 .npy of `n` elements (`0, 1, 2, ...` modulo 1000); returns the
/// length of its header.
fn write_f32(path: &Path, n: usize) -> usize {
    let h = header("<f4", &format!("{n},"));
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    f.write_all(&h).unwrap();
    let block: Vec<u8> = (0..1000u32)
        .flat_map(|i| (i as f32).to_le_bytes())
        .collect();
    let mut left = n * 4;
    while left > 0 {
        let k = left.min(block.len());
        f.write_all(&block[..k]).unwrap();
        left -= k;
    }
    f.flush().unwrap();
    h.len()
}

fn stderr_line(o: &Output, what: &str) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(
        err.lines().count(),
        1,
        "{what}: stderr not one line: {err:?}"
    );
    assert!(err.starts_with("ndgpu: "), "{what}: {err}");
    assert!(
        !err.contains("panick") && !err.contains("internal error"),
        "{what}: {err}"
    );
    err
}

fn kill(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args(["-s", sig, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -s {sig} {pid}");
}

// ---- 1. a file that shrinks while it is read ----

/// Runs `args` on a fresh 64 MiB file and truncates the file while it runs (at several points
/// of the run): every run either succeeds (the truncation came too late), or fails with exit
/// 1 and one line that names the file and says it changed (or, truncated before ndgpu opened
/// it, that its data is short); never a signal, never a temporary file or OUT left by a
/// failed run. At least one run must have seen the change.
fn truncate_during(sub: &[&str], envs: &[(&str, &str)]) {
    let dir = tempdir();
    let input = dir.join("big.npy");
    let out = dir.join("out.npy");
    let n = 16 << 20;
    let run = |input: &Path| {
        let mut c = bin();
        c.arg(sub[0])
            .arg(input)
            .arg("-o")
            .arg(&out)
            .args(&sub[1..])
            .args(["--device", "cpu", "--chunk-bytes", "1048576"])
            .stderr(Stdio::piped());
        for (k, v) in envs {
            c.env(k, v);
        }
        c.spawn().unwrap()
    };
    let hlen = write_f32(&input, n);
    let t0 = Instant::now();
    let o = run(&input).wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let full = t0.elapsed();
    let mut seen = 0;
    let mut tries = 0;
    // Runs vary in length on a loaded machine: a run that ended before the truncation makes
    // the next ones truncate sooner, one refused as short makes them truncate later.
    let mut scale = 1.0;
    for frac in [
        0.5, 0.3, 0.7, 0.4, 0.6, 0.8, 0.5, 0.3, 0.45, 0.55, 0.65, 0.75, 0.35, 0.9, 0.5, 0.4, 0.6,
        0.5, 0.3, 0.7, 0.5, 0.4, 0.6, 0.5, 0.5,
    ] {
        tries += 1;
        let frac = frac * scale;
        let _ = std::fs::remove_file(&out);
        write_f32(&input, n);
        let child = run(&input);
        std::thread::sleep(full.mul_f64(frac));
        std::fs::OpenOptions::new()
            .write(true)
            .open(&input)
            .unwrap()
            .set_len((hlen + 4096 * 3 + 100) as u64)
            .unwrap();
        let o = child.wait_with_output().unwrap();
        let what = format!("{sub:?} {envs:?} truncated at {frac} of {full:?}");
        assert_eq!(o.status.signal(), None, "{what}: killed by a signal");
        assert!(leftovers(&dir).is_empty(), "{what}: {:?}", leftovers(&dir));
        if o.status.success() {
            scale *= 0.6;
            continue;
        }
        assert_eq!(o.status.code(), Some(1), "{what}");
        let err = stderr_line(&o, &what);
        assert!(
            err.contains(input.to_str().unwrap()),
            "{what}: names the file: {err}"
        );
        assert!(!out.exists(), "{what}: OUT created");
        if err.contains("truncated data") {
            scale *= 1.4;
            continue; // truncated before ndgpu opened it: refused as any short file
        }
        assert!(err.contains("changed while being read"), "{what}: {err}");
        seen += 1;
        if seen >= 3 {
            break;
        }
    }
    assert!(
        seen > 0,
        "{sub:?} {envs:?}: no run of {tries} saw the truncation"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_file_truncated_while_mapped_is_an_error_not_sigbus() {
    truncate_during(&["cast", "--to", "float64"], &[]);
    truncate_during(&["sum"], &[]);
}

#[test]
fn a_file_truncated_while_read_without_mmap_names_the_file_and_cause() {
    truncate_during(&["cast", "--to", "float64"], &[("NDGPU_NO_MMAP", "1")]);
    truncate_during(&["argmax"], &[("NDGPU_NO_MMAP", "1")]);
}

// ---- 2. closed and full stdout / stderr ----

#[test]
fn info_into_a_closed_pipe_ends_quietly() {
    let mut child = bin()
        .arg("info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // `| head -0`: the reader is gone before ndgpu writes
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn dev_full() -> Option<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .ok()
}

#[test]
fn info_onto_a_full_disk_is_a_one_line_error() {
    let Some(full) = dev_full() else {
        eprintln!("note: no /dev/full, skipped");
        return;
    };
    let o = bin()
        .arg("info")
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr_line(&o, "info > /dev/full");
    assert!(err.contains("stdout"), "{err}");
}

#[test]
fn a_runtime_error_with_stderr_full_still_exits_1() {
    let Some(full) = dev_full() else {
        eprintln!("note: no /dev/full, skipped");
        return;
    };
    let dir = tempdir();
    let o = bin()
        .args(["sum", "/no/such/file.npy", "-o"])
        .arg(dir.join("o.npy"))
        .stderr(full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let Some(full) = dev_full() else { return };
    let o = bin()
        .args(["sum", "--axis", "x"])
        .stderr(full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

// ---- 3. more dimensions than NumPy allows ----

#[test]
fn more_than_64_dimensions_are_refused() {
    let dir = tempdir();
    let out = dir.join("o.npy");
    for (ndim, ok) in [(26_000, false), (65, false), (64, true)] {
        let input = dir.join(format!("rank{ndim}.npy"));
        let mut bytes = header("<f4", &"1,".repeat(ndim));
        bytes.extend_from_slice(&2.5f32.to_le_bytes());
        std::fs::write(&input, bytes).unwrap();
        for sub in [&["sum"][..], &["argmax"], &["cast", "--to", "float64"]] {
            let mut args = vec![sub[0], input.to_str().unwrap(), "-o", out.to_str().unwrap()];
            args.extend(&sub[1..]);
            args.extend(["--device", "cpu"]);
            let o = ndgpu(&args, &[]);
            let what = format!("{} of rank {ndim}", sub[0]);
            if ok {
                assert!(
                    o.status.success(),
                    "{what}: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
                std::fs::remove_file(&out).unwrap();
                continue;
            }
            assert_eq!(o.status.code(), Some(1), "{what}");
            let err = stderr_line(&o, &what);
            assert!(err.contains("64"), "{what}: {err}");
            assert!(!out.exists(), "{what}");
            assert!(leftovers(&dir).is_empty(), "{what}");
        }
    }
}

#[test]
fn the_library_builds_no_tensor_numpy_cannot_hold() {
    use ndgpu::{DType, Device, Tensor};
    let cpu = Device::cpu();
    let e = Tensor::zeros(&cpu, &[1; 65], DType::Float32).unwrap_err();
    assert!(e.to_string().contains("64"), "{e}");
    assert!(Tensor::from_vec(&cpu, &[1; 65], vec![1.0f32]).is_err());
    let t = Tensor::from_vec(&cpu, &[1; 64], vec![1.0f32]).unwrap();
    let path = tempdir().join("rank64.npy");
    ndgpu::npy::write(&path, &t).unwrap();
    assert_eq!(ndgpu::npy::read(&path).unwrap().ndim(), 64);
}

// ---- 4. signals during a write ----

#[test]
fn a_signal_during_a_write_removes_the_temporary_file() {
    let dir = tempdir();
    let input = dir.join("in.npy");
    write_f32(&input, 4 << 20);
    let mut devices = vec!["cpu"];
    if common::gpu().is_some() {
        devices.push("gpu");
    }
    for device in devices {
        for (sig, num) in [("INT", 2), ("TERM", 15), ("HUP", 1)] {
            let out = dir.join("out.npy");
            let existing = dir.join("existing.npy");
            std::fs::write(&existing, b"precious").unwrap();
            for target in [&out, &existing] {
                let what = format!("SIG{sig} on {device} -o {}", target.display());
                let mut child = bin()
                    .arg("cast")
                    .arg(&input)
                    .arg("-o")
                    .arg(target)
                    .args([
                        "--to",
                        "float64",
                        "--device",
                        device,
                        "--chunk-bytes",
                        "256",
                    ])
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                let start = Instant::now();
                while leftovers(&dir).is_empty() {
                    assert!(
                        start.elapsed() < Duration::from_secs(60),
                        "{what}: no temporary file appeared"
                    );
                    if let Some(s) = child.try_wait().unwrap() {
                        panic!("{what}: ended before the signal: {s:?}");
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                std::thread::sleep(Duration::from_millis(50));
                kill(child.id(), sig);
                let o = child.wait_with_output().unwrap();
                assert_eq!(
                    o.status.code(),
                    Some(128 + num),
                    "{what}: {:?} {}",
                    o.status,
                    String::from_utf8_lossy(&o.stderr)
                );
                assert!(leftovers(&dir).is_empty(), "{what}: {:?}", leftovers(&dir));
                assert!(!out.exists(), "{what}: OUT created");
                assert_eq!(std::fs::read(&existing).unwrap(), b"precious", "{what}");
            }
        }
    }
}

// ---- 6. long output names ----

#[test]
fn output_names_up_to_255_bytes_work() {
    let dir = tempdir();
    let input = dir.join("in.npy");
    write_f32(&input, 10);
    for len in [236, 237, 250, 255] {
        let out = dir.join(format!("{}.npy", "a".repeat(len - 4)));
        let o = ndgpu(
            &[
                "cast",
                input.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
                "--to",
                "float64",
            ],
            &[],
        );
        assert!(
            o.status.success(),
            "{len}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(ndgpu::npy::read_header(&out).unwrap().shape, [10]);
        let o = ndgpu(
            &["sum", input.to_str().unwrap(), "-o", out.to_str().unwrap()],
            &[],
        );
        assert!(
            o.status.success(),
            "{len}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert!(leftovers(&dir).is_empty());
}

// ---- 7. special, linked and protected outputs ----

#[test]
fn an_output_that_is_not_a_regular_file_is_refused() {
    let dir = tempdir();
    let input = dir.join("in.npy");
    write_f32(&input, 10);
    let fifo = dir.join("fifo.npy");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let mut outs = vec![fifo.clone()];
    if Path::new("/dev/null").exists() {
        outs.push("/dev/null".into());
    }
    outs.push(dir.clone());
    for out in &outs {
        for sub in [&["sum"][..], &["argmax"], &["cast", "--to", "int8"]] {
            let mut args = vec![sub[0], input.to_str().unwrap(), "-o", out.to_str().unwrap()];
            args.extend(&sub[1..]);
            let o = ndgpu(&args, &[]);
            let what = format!("{} -o {}", sub[0], out.display());
            assert_eq!(o.status.code(), Some(1), "{what}");
            let err = stderr_line(&o, &what);
            assert!(err.contains("not a regular file"), "{what}: {err}");
        }
    }
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(leftovers(&dir).is_empty());
}

#[test]
fn a_symlinked_output_keeps_its_link_and_a_replaced_one_its_mode() {
    let dir = tempdir();
    let input = dir.join("in.npy");
    write_f32(&input, 10);
    let sub = dir.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    let target = sub.join("target.npy");
    std::fs::write(&target, b"old").unwrap();
    let link = dir.join("link.npy");
    std::os::unix::fs::symlink("sub/target.npy", &link).unwrap();
    let o = ndgpu(
        &["sum", input.to_str().unwrap(), "-o", link.to_str().unwrap()],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        ndgpu::npy::read_header(&target).unwrap().shape,
        [] as [usize; 0]
    );
    // A link to a file that does not exist yet: the file is created, the link stays.
    let dangling = dir.join("dangling.npy");
    std::os::unix::fs::symlink(sub.join("new.npy"), &dangling).unwrap();
    let o = ndgpu(
        &[
            "cast",
            input.to_str().unwrap(),
            "-o",
            dangling.to_str().unwrap(),
            "--to",
            "u1",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        std::fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        ndgpu::npy::read_header(sub.join("new.npy")).unwrap().shape,
        [10]
    );
    assert!(leftovers(&dir).is_empty() && leftovers(&sub).is_empty());
    // Permission bits survive the replacement.
    for mode in [0o600, 0o640, 0o444] {
        let out = dir.join(format!("mode{mode:o}.npy"));
        std::fs::write(&out, b"x").unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(mode)).unwrap();
        for sub in [&["sum"][..], &["cast", "--to", "float16"]] {
            let mut args = vec![sub[0], input.to_str().unwrap(), "-o", out.to_str().unwrap()];
            args.extend(&sub[1..]);
            let o = ndgpu(&args, &[]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let m = std::fs::metadata(&out).unwrap().permissions().mode() & 0o7777;
            assert_eq!(m, mode, "{mode:o} became {m:o}");
        }
    }
}

// ---- also: dtype spellings, usage, messages ----

#[test]
fn to_accepts_numpys_dtype_spellings() {
    let dir = tempdir();
    let input = dir.join("in.npy");
    write_f32(&input, 10);
    let out = dir.join("o.npy");
    for (spelling, descr) in [
        ("float", "float64"),
        ("double", "float64"),
        ("f4", "float32"),
        ("<f4", "float32"),
        ("single", "float32"),
        ("half", "float16"),
        ("int", "int64"),
        ("i8", "int64"),
        ("u1", "uint8"),
        ("?", "bool"),
        ("c8", "complex64"),
        ("complex64", "complex64"),
        ("int32", "int32"),
    ] {
        let o = ndgpu(
            &[
                "cast",
                input.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
                "--to",
                spelling,
            ],
            &[],
        );
        assert!(
            o.status.success(),
            "{spelling}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(
            ndgpu::npy::read_header(&out).unwrap().dtype.to_string(),
            descr,
            "{spelling}"
        );
    }
    for bad in ["bfloat16", "complex128", "f16", "floaty"] {
        let o = ndgpu(
            &[
                "cast",
                input.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
                "--to",
                bad,
            ],
            &[],
        );
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let err = stderr_line(&o, bad);
        if bad == "bfloat16" {
            assert!(err.contains(".npy") && err.contains("no bfloat16"), "{err}");
        }
    }
}

#[test]
fn bare_ndgpu_prints_usage() {
    let o = ndgpu(&[], &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr_line(&o, "bare ndgpu");
    assert!(err.contains("usage") && err.contains("sum"), "{err}");
}

#[test]
fn an_axis_of_a_0d_array_says_it_has_no_axes() {
    let dir = tempdir();
    let input = dir.join("scalar.npy");
    let mut bytes = header("<f4", "");
    bytes.extend_from_slice(&1.0f32.to_le_bytes());
    std::fs::write(&input, bytes).unwrap();
    let out = dir.join("o.npy");
    for sub in ["sum", "argmax"] {
        let o = ndgpu(
            &[
                sub,
                input.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
                "--axis",
                "0",
            ],
            &[],
        );
        assert_eq!(o.status.code(), Some(1), "{sub}");
        let err = stderr_line(&o, sub);
        assert!(err.contains("no axes") && !err.contains("0..0"), "{err}");
    }
}

#[test]
fn no_gpu_adapter_is_said_once() {
    let dir = tempdir();
    let input = dir.join("in.npy");
    write_f32(&input, 10);
    let out = dir.join("o.npy");
    let o = ndgpu(
        &[
            "sum",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--device",
            "gpu",
        ],
        &[("NDGPU_BACKEND", "bogus")],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr_line(&o, "bogus backend");
    assert_eq!(err.matches("no GPU adapter").count(), 1, "{err}");
}

#[test]
fn a_fifo_input_is_refused_without_waiting_for_a_writer() {
    let dir = tempdir();
    let fifo = dir.join("in.npy");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let out = dir.join("o.npy");
    let mut child = bin()
        .args(["sum", fifo.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("ndgpu waited on the FIFO");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr_line(&o, "FIFO input");
    assert!(err.contains("not a regular file"), "{err}");
    assert!(!out.exists());
}
