//! `cargo test` composes every kernel variant the crate can ask for and validates it with
//! naga, under both capability profiles (with native f64, and without it: the emulated f64
//! add), and checks that the composer is strict and that every shader file is embedded and
//! used. No GPU needed.

use std::collections::HashSet;

use naga::valid::{Capabilities, ValidationFlags, Validator};

use super::compose::{KERNELS, SNIPPETS, compose, compose_with_imports};
use super::kernels::all_variants;

/// Validates every variant.
fn validate_all(native_f64: bool) {
    let caps = if native_f64 {
        Capabilities::FLOAT64
    } else {
        Capabilities::empty()
    };
    let variants = all_variants(native_f64);
    assert!(variants.len() > 900, "only {} variants", variants.len());
    let mut seen = HashSet::new();
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

/// No snippet file is dead: some variant of some profile imports each.
#[test]
fn every_snippet_is_imported() {
    let mut imported = HashSet::new();
    for (kernel, vars) in all_variants(false).into_iter().chain(all_variants(true)) {
        imported.extend(compose_with_imports(kernel, &vars).unwrap().1);
    }
    for (name, _) in SNIPPETS {
        assert!(imported.contains(name), "no variant imports {name}");
    }
}

#[test]
fn composer_is_strict() {
    let vars = all_variants(false);
    let (kernel, v) = &vars[0];
    assert!(compose(kernel, v).is_ok());
    assert!(compose(kernel, &v[1..]).is_err(), "missing value");
    let mut extra = v.clone();
    extra.push(("NOT_A_PLACEHOLDER", "1".into()));
    assert!(compose(kernel, &extra).is_err(), "unused value");
    assert!(compose("no_such_kernel", v).is_err());
    let mut twice = v.clone();
    twice.push(v[0].clone());
    assert!(compose(kernel, &twice).is_err(), "two values");
}

/// Kernels are the files in `shaders/`, snippets those in its folders.
#[test]
fn every_shader_file_is_embedded() {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders"));
    let mut files = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().into_string().unwrap();
        if e.file_type().unwrap().is_dir() {
            for f in std::fs::read_dir(e.path()).unwrap() {
                let f = f.unwrap().file_name().into_string().unwrap();
                let stem = f.strip_suffix(".wgsl").unwrap();
                let path = format!("{name}/{stem}");
                assert!(SNIPPETS.iter().any(|(n, _)| *n == path), "{path}");
                files += 1;
            }
        } else {
            let stem = name.strip_suffix(".wgsl").unwrap();
            assert!(KERNELS.iter().any(|(n, _)| *n == stem), "{name}");
            files += 1;
        }
    }
    assert_eq!(
        files,
        KERNELS.len() + SNIPPETS.len(),
        "a file is embedded twice"
    );
}
