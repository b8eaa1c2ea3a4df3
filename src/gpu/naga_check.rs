//! `cargo test` composes every kernel variant the crate can ask for and validates it with
//! naga, under both capability profiles (with native f64, and without it: the emulated f64
//! add), and checks that the composer is strict. No GPU needed.

use naga::valid::{Capabilities, ValidationFlags, Validator};

use super::compose::{KERNELS, SNIPPETS, compose};
use super::kernels::all_variants;

fn validate_all(native_f64: bool) {
    let caps = if native_f64 {
        Capabilities::FLOAT64
    } else {
        Capabilities::empty()
    };
    let variants = all_variants(native_f64);
    assert!(variants.len() > 900, "only {} variants", variants.len());
    let mut seen = std::collections::HashSet::new();
    for (kernel, vars) in variants {
        let src = compose(kernel, &vars).unwrap_or_else(|e| panic!("{e}"));
        if !seen.insert(src.clone()) {
            continue;
        }
        let module = naga::front::wgsl::parse_str(&src)
            .unwrap_or_else(|e| panic!("{kernel}: {}", e.emit_to_string(&src)));
        Validator::new(ValidationFlags::all(), caps)
            .validate(&module)
            .unwrap_or_else(|e| panic!("{kernel}: {}\n{src}", e.emit_to_string(&src)));
    }
}

#[test]
fn every_variant_validates_with_native_f64() {
    validate_all(true);
}

#[test]
fn every_variant_validates_without_native_f64() {
    validate_all(false);
}

#[test]
fn composer_is_strict() {
    let vars = all_variants(false);
    let (kernel, v) = &vars[0];
    assert!(compose(kernel, v).is_ok());
    assert!(compose(kernel, &v[1..]).is_err(), "missing value");
    let mut extra = v.clone();
    extra.push(("NOT_A_PLACEHOLDER", String::new()));
    assert!(compose(kernel, &extra).is_err(), "unused value");
    assert!(compose("no_such_kernel", v).is_err());
    let mut leftover = v.clone();
    leftover[0].1.push_str("{{LEFT}}");
    assert!(compose(kernel, &leftover).is_err(), "leftover placeholder");
}

#[test]
fn every_kernel_file_is_embedded() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/shaders");
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        if let Some(stem) = name.strip_suffix(".wgsl") {
            assert!(KERNELS.iter().any(|(n, _)| *n == stem), "{name}");
        }
    }
    for e in std::fs::read_dir(format!("{dir}/common")).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        let stem = name.strip_suffix(".wgsl").unwrap();
        assert!(SNIPPETS.iter().any(|(n, _)| *n == stem), "{name}");
    }
}
