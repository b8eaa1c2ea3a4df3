//! The integration tests' one support module: the devices every test runs on (here), one
//! random generator and one `bytes()` (`values`), random data of any dtype (`data`, `values`),
//! exact and naive references (`exact`, `reference`), the NumPy fixtures (`npy`).
#![allow(dead_code, unused_imports)]

pub mod data;
pub mod exact;
pub mod npy;
pub mod reference;
pub mod values;

pub use values::{Rng, bytes};

use ndgpu::Device;

/// The CPU, plus the GPU when an adapter exists. With `NDGPU_REQUIRE_GPU=1` (set by the
/// README's test command, and so in CI) a missing adapter fails the test instead of skipping.
pub fn devices() -> Vec<Device> {
    let mut v = vec![Device::cpu()];
    match Device::gpu() {
        Ok(g) => v.push(g),
        Err(e) => {
            if std::env::var("NDGPU_REQUIRE_GPU").is_ok_and(|s| s == "1") {
                panic!("NDGPU_REQUIRE_GPU=1 but no GPU adapter: {e}");
            }
            eprintln!("note: GPU tests skipped: {e}");
        }
    }
    v
}

/// The GPU device, or `None` (a failure under `NDGPU_REQUIRE_GPU=1`).
pub fn gpu() -> Option<Device> {
    devices().into_iter().find(|d| !d.is_cpu())
}
