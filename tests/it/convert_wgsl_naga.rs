//! `shaders/common/convert.wgsl` is a snippet composed into kernels; it must be a valid WGSL
//! module on its own (given an entry point) so it can be prepended to any kernel.

use naga::valid::{Capabilities, ValidationFlags, Validator};

const CONVERT_WGSL: &str = include_str!("../../shaders/common/convert.wgsl");

#[test]
fn convert_wgsl_parses_and_validates() {
    let src = format!("{CONVERT_WGSL}\n@compute @workgroup_size(1)\nfn main() {{}}\n");
    let module = naga::front::wgsl::parse_str(&src).unwrap_or_else(|e| {
        panic!("{}", e.emit_to_string(&src));
    });
    Validator::new(ValidationFlags::all(), Capabilities::empty())
        .validate(&module)
        .unwrap_or_else(|e| panic!("{}", e.emit_to_string(&src)));
}

#[test]
fn convert_wgsl_is_integer_only_and_has_every_function() {
    for line in CONVERT_WGSL.lines() {
        let code = line.split("//").next().unwrap();
        for word in code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            assert!(
                !["f16", "f32", "f64", "bitcast", "enable"].contains(&word),
                "float type, bitcast or enable in: {line}"
            );
        }
        let b = code.as_bytes();
        let float_literal = (1..b.len()).any(|i| b[i] == b'.' && b[i - 1].is_ascii_digit());
        assert!(!float_literal, "float literal in: {line}");
    }
    for name in [
        "f32_to_f16",
        "f32_to_bf16",
        "f64_to_f32",
        "f64_to_f16",
        "f64_to_bf16",
        "f16_to_f32",
        "bf16_to_f32",
        "f16_to_f64",
        "bf16_to_f64",
        "f32_to_f64",
        "u64_to_f16",
        "i64_to_f16",
        "u64_to_bf16",
        "i64_to_bf16",
        "u64_to_f32",
        "i64_to_f32",
        "u64_to_f64",
        "i64_to_f64",
        "f32_to_i64_sat",
        "f32_to_u64_sat",
        "f64_to_i64_sat",
        "f64_to_u64_sat",
        "f16_key",
        "bf16_key",
        "f32_key",
        "f64_key",
    ] {
        assert!(
            CONVERT_WGSL.contains(&format!("\nfn {name}(")),
            "missing {name}"
        );
    }
}
