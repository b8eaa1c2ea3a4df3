//! Adapter selection by environment: an NDGPU_ADAPTER that matches nothing makes
//! `Device::gpu()` an error naming the variable, and `Device::auto()` falls back to the CPU
//! and says why. (Its own test binary: the device is opened once per process.)

use ndgpu::Device;

#[test]
fn unmatched_adapter_name_falls_back_to_cpu_with_a_reason() {
    // SAFETY: the binary's only test, before any device opens.
    unsafe { std::env::set_var("NDGPU_ADAPTER", "zz-no-such-adapter-zz") };
    let err = Device::gpu().expect_err("no adapter has that name");
    assert!(err.to_string().contains("NDGPU_ADAPTER"), "{err}");
    let (d, why) = Device::auto_with_reason();
    assert!(d.is_cpu());
    assert!(why.is_some_and(|e| e.to_string().contains("NDGPU_ADAPTER")));
    let info = ndgpu::gpu_info();
    assert!(info.chosen.is_none());
    assert!(
        info.to_string().contains("CPU device is used instead"),
        "{info}"
    );
}
