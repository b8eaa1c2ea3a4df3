//! `Device::auto` takes a software adapter when the user names it with `NDGPU_ADAPTER` (its
//! own test binary: it sets the variable for the whole process).

mod common;

use ndgpu::Device;

#[test]
fn a_named_adapter_is_used_by_auto_even_when_software() {
    let Some(_) = common::gpu() else { return };
    let info = ndgpu::gpu_info();
    let name = info.adapters[info.chosen.expect("an adapter")].name.clone();
    // SAFETY: the binary's only test, on its only thread that touches the environment.
    unsafe { std::env::set_var("NDGPU_ADAPTER", &name) };
    let (d, why) = Device::auto_with_reason();
    assert!(
        !d.is_cpu() && why.is_none(),
        "NDGPU_ADAPTER={name}: {why:?}"
    );
    assert!(d.name().contains(&name));
}
