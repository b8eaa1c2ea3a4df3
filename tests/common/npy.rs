//! The .npy and CLI tests' fixtures and their comparison with NumPy's results.

use std::path::PathBuf;

use half::f16;
use ndgpu::{DType, Tensor};

use super::values::bytes;

/// The NumPy-written fixtures (`tests/fixtures` of the library crate; the CLI crate's tests
/// reach them from `cli/`).
pub fn fixtures() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let lib = if here.join("tests/fixtures").is_dir() {
        here
    } else {
        here.join("..")
    };
    lib.join("tests/fixtures")
}

/// Float elements as f64 (complex: re, im interleaved).
pub fn floats_of(t: &Tensor) -> Vec<f64> {
    let raw = bytes(t);
    match t.dtype() {
        DType::Float16 => bytemuck::pod_collect_to_vec::<u8, f16>(&raw)
            .iter()
            .map(|v| v.to_f64())
            .collect(),
        DType::Float32 => bytemuck::pod_collect_to_vec::<u8, f32>(&raw)
            .iter()
            .map(|&v| v as f64)
            .collect(),
        DType::Float64 => bytemuck::pod_collect_to_vec::<u8, f64>(&raw),
        DType::Complex64 => bytemuck::pod_collect_to_vec::<u8, f32>(&raw)
            .iter()
            .map(|&v| v as f64)
            .collect(),
        d => panic!("not a float dtype: {d}"),
    }
}

/// Checks `got` against NumPy's `want`: same dtype and shape; bytes equal, or for float sums
/// (when `tol` is given, float64 of want's shape) within the tolerance per element.
pub fn check(got: &Tensor, want: &Tensor, tol: Option<&Tensor>) -> Result<(), String> {
    if got.dtype() != want.dtype() || got.shape() != want.shape() {
        return Err(format!(
            "got {} {:?}, want {} {:?}",
            got.dtype(),
            got.shape(),
            want.dtype(),
            want.shape()
        ));
    }
    let Some(tol) = tol else {
        let (g, w) = (bytes(got), bytes(want));
        return if g == w {
            Ok(())
        } else {
            Err(format!("bytes differ: got {g:?}, want {w:?}"))
        };
    };
    let (g, w) = (floats_of(got), floats_of(want));
    let t = floats_of(tol);
    let per = if got.dtype() == DType::Complex64 {
        2
    } else {
        1
    };
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        let ok = (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= t[i / per];
        if !ok {
            return Err(format!(
                "element {i}: got {a}, want {b} (tolerance {})",
                t[i / per]
            ));
        }
    }
    Ok(())
}
