//! Any bytes given to the .npy reader: an error or a tensor, never a panic, and every error is
//! one line. Run: `cargo +nightly fuzz run npy_read -- -max_total_time=600` (from the repo
//! root; seeds: `fuzz/seed.sh` copies tests/fixtures/**/*.npy into the corpus).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cpu = ndgpu::Device::cpu();
    match ndgpu::npy::read_from(data, &cpu) {
        Ok(t) => {
            // What was read can be written back.
            if t.dtype() != ndgpu::DType::BFloat16 {
                let mut out = Vec::new();
                ndgpu::npy::write_to(&mut out, &t).expect("write back");
            }
        }
        Err(e) => assert_eq!(e.to_string().lines().count(), 1),
    }
});
