//! The `ndgpu` binary's tests, as one test binary (one link instead of two: CI's disk and
//! time). cli_memory stays a binary of its own: it measures children's peak memory, which
//! counts this process's own peak at exec.

#[path = "../../../tests/common/mod.rs"]
mod common;

mod npy;
mod robust;

use std::path::PathBuf;
use std::process::{Command, Output};

/// The binary under test: this build's, or `NDGPU_TEST_BIN` (to show that a test fails on an
/// older build).
fn bin() -> Command {
    let exe = std::env::var_os("NDGPU_TEST_BIN").unwrap_or(env!("CARGO_BIN_EXE_ndgpu").into());
    let mut c = Command::new(exe);
    c.env_remove("NDGPU_CHUNK_BYTES")
        .env_remove("NDGPU_NO_MMAP");
    c
}

fn ndgpu(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut c = bin();
    c.args(args);
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().expect("run ndgpu")
}

fn tempdir() -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "ndgpu-cli-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}
