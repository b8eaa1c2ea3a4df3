//! The `ndgpu` binary against NumPy's results (tests/fixtures, written by gen.py), on every
//! device, with the default chunk size and with tiny chunks (the streamed path); and every bad
//! input: exit status != 0, one line on stderr, no OUT created, an existing OUT untouched.

use crate::common;

use std::path::Path;

use super::{ndgpu, tempdir};

use common::npy::{check, fixtures};

fn device_names() -> Vec<&'static str> {
    common::devices()
        .iter()
        .map(|d| if d.is_cpu() { "cpu" } else { "gpu" })
        .collect()
}

fn run_cases(device: &str, chunk: Option<&str>) {
    let dir = tempdir();
    let fx = fixtures();
    let cases = std::fs::read_to_string(fx.join("cases.txt")).unwrap();
    let mut failures = Vec::new();
    let mut n = 0;
    // A software GPU adapter (lavapipe, CI) pays ~10 ms per kernel launch: with tiny chunks
    // the GPU runs every 7th case (the chunk logic is shared with the CPU, which runs all).
    let stride = if device == "gpu" && chunk.is_some() {
        7
    } else {
        1
    };
    for line in cases
        .lines()
        .filter(|l| !l.trim().is_empty())
        .step_by(stride)
    {
        let mut parts = line.split_whitespace();
        let (id, input) = (parts.next().unwrap(), parts.next().unwrap());
        let out = dir.join(format!("{id}.npy"));
        let input = fx.join(input);
        let mut args: Vec<&str> = vec![];
        let rest: Vec<&str> = parts.collect();
        args.push(rest[0]);
        args.push(input.to_str().unwrap());
        args.extend(["-o", out.to_str().unwrap(), "--device", device]);
        args.extend(&rest[1..]);
        let envs: Vec<(&str, &str)> = chunk
            .map(|c| ("NDGPU_CHUNK_BYTES", c))
            .into_iter()
            .collect();
        let o = ndgpu(&args, &envs);
        n += 1;
        if !o.status.success() {
            failures.push(format!(
                "{id}: exit {:?}: {}",
                o.status.code(),
                String::from_utf8_lossy(&o.stderr)
            ));
            continue;
        }
        let got = ndgpu::npy::read(&out).unwrap();
        let want = ndgpu::npy::read(fx.join(format!("expected/{id}.npy"))).unwrap();
        let tol_path = fx.join(format!("expected/{id}.tol.npy"));
        let tol = tol_path
            .exists()
            .then(|| ndgpu::npy::read(&tol_path).unwrap());
        if let Err(e) = check(&got, &want, tol.as_ref()) {
            failures.push(format!("{id}: {e}"));
        }
    }
    assert!(n * stride > 400, "only {n} cases");
    assert!(
        failures.is_empty(),
        "{} of {n} cases failed on {device} (chunk {chunk:?}):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn matches_numpy_in_memory() {
    for d in device_names() {
        run_cases(d, None);
    }
}

#[test]
fn matches_numpy_streamed_in_tiny_chunks() {
    for d in device_names() {
        run_cases(d, Some("24"));
    }
}

fn assert_refused(args: &[&str], out: &Path, what: &str) {
    let leftovers = |dir: &Path| {
        std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains("ndgpu-tmp")
            })
            .count()
    };
    let o = ndgpu(args, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{what}: succeeded");
    assert!(
        matches!(o.status.code(), Some(1 | 2)),
        "{what}: exit {:?}",
        o.status.code()
    );
    assert_eq!(err.lines().count(), 1, "{what}: stderr not one line: {err}");
    assert!(err.starts_with("ndgpu: "), "{what}: {err}");
    assert!(!err.contains("panick"), "{what}: {err}");
    assert_eq!(
        leftovers(out.parent().unwrap()),
        0,
        "{what}: temporary file left behind"
    );
}

#[test]
fn bad_inputs_fail_cleanly_and_leave_out_alone() {
    let dir = tempdir();
    let fx = fixtures();
    let mut inputs: Vec<_> = std::fs::read_dir(fx.join("refused"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 15);
    inputs.push(dir.join("does-not-exist.npy"));
    inputs.push(dir.clone());
    for input in &inputs {
        let inp = input.to_str().unwrap();
        for sub in [&["sum"][..], &["argmax"], &["cast", "--to", "float32"]] {
            let what = format!("{} {inp}", sub[0]);
            let out = dir.join("fresh.npy");
            let mut args = vec![sub[0], inp, "-o", out.to_str().unwrap()];
            args.extend(&sub[1..]);
            assert_refused(&args, &out, &what);
            assert!(!out.exists(), "{what}: OUT created");
            let existing = dir.join("existing.npy");
            std::fs::write(&existing, b"precious").unwrap();
            args[3] = existing.to_str().unwrap();
            assert_refused(&args, &existing, &what);
            assert_eq!(
                std::fs::read(&existing).unwrap(),
                b"precious",
                "{what}: OUT touched"
            );
        }
    }
}

#[test]
fn runtime_and_usage_errors_have_the_contract_exit_codes() {
    let dir = tempdir();
    let fx = fixtures();
    let a = fx.join("arrays/int32_le_C.npy");
    let a = a.to_str().unwrap();
    let out = dir.join("o.npy");
    let o = out.to_str().unwrap();
    let existing = dir.join("existing.npy");
    std::fs::write(&existing, b"keep").unwrap();
    let e = existing.to_str().unwrap();
    // Runtime errors: exit 1.
    for args in [
        vec!["sum", a, "-o", e, "--axis", "3"],
        vec!["sum", a, "-o", e, "--axis", "0", "--axis", "-3"],
        vec!["argmax", a, "-o", e, "--axis", "-4"],
        vec![
            "argmax",
            fx.join("arrays/float64_empty.npy").to_str().unwrap(),
            "-o",
            e,
        ],
        vec![
            "sum",
            a,
            "-o",
            dir.join("no/such/dir.npy").to_str().unwrap(),
        ],
    ] {
        let r = ndgpu(&args, &[]);
        assert_eq!(
            r.status.code(),
            Some(1),
            "{args:?}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        assert_refused(&args, &existing, &format!("{args:?}"));
        assert_eq!(std::fs::read(&existing).unwrap(), b"keep");
    }
    // Usage errors: exit 2, one line.
    for args in [
        vec!["sum", a],
        vec!["sum", a, "-o", o, "--axis", "x"],
        vec!["cast", a, "-o", o, "--to", "float128"],
        vec!["cast", a, "-o", o, "--to", "bfloat16"],
        vec!["argmax", a, "-o", o, "--axis", "0", "--axis", "1"],
        vec!["sum", a, "-o", o, "--device", "tpu"],
        vec!["frobnicate"],
        vec![],
    ] {
        let r = ndgpu(&args, &[]);
        assert_eq!(
            r.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&r.stderr).lines().count(),
            1,
            "{args:?}"
        );
        assert!(!out.exists());
    }
    // Negative axes parse as two tokens; --help works on every subcommand.
    let r = ndgpu(&["sum", a, "-o", o, "--axis", "-1", "--device", "cpu"], &[]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    for sub in ["info", "sum", "argmax", "cast"] {
        let r = ndgpu(&[sub, "--help"], &[]);
        assert!(r.status.success() && !r.stdout.is_empty(), "{sub} --help");
    }
    let r = ndgpu(&["info"], &[]);
    assert!(r.status.success() && String::from_utf8_lossy(&r.stdout).contains("auto"));
}

/// `info` names the device `auto` uses and why; on a machine whose only adapter is software
/// (CI's lavapipe) that is the CPU.
#[test]
fn info_says_auto_uses_the_cpu_when_the_only_adapter_is_software() {
    let Some(_) = common::gpu() else { return };
    let info = ndgpu::gpu_info();
    let chosen = &info.adapters[info.chosen.expect("an adapter")];
    let r = ndgpu(&["info"], &[]);
    let out = String::from_utf8_lossy(&r.stdout);
    let line = out
        .lines()
        .find(|l| l.starts_with("--device auto uses:"))
        .unwrap_or_else(|| panic!("{out}"));
    if matches!(chosen.device_type.as_str(), "Cpu" | "Other") {
        assert!(
            line.starts_with("--device auto uses: cpu (no GPU adapter: only a software one"),
            "{line}"
        );
    } else {
        assert!(line.contains(&chosen.name), "{line}");
    }
}
