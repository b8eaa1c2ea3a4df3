//! Raw test data: tensors from the little-endian bytes of any dtype, random bytes with the
//! formats' edge values.

use half::{bf16, f16};
use ndgpu::{DType, Device, Tensor};

use super::values::Rng;
use num_complex::Complex;

/// Runs `$body` with `$t` the Rust element type of `$d`.
#[macro_export]
macro_rules! with_type {
    ($d:expr, $t:ident => $body:expr) => {
        match $d {
            DType::Bool => {
                type $t = bool;
                $body
            }
            DType::Int8 => {
                type $t = i8;
                $body
            }
            DType::UInt8 => {
                type $t = u8;
                $body
            }
            DType::Int16 => {
                type $t = i16;
                $body
            }
            DType::UInt16 => {
                type $t = u16;
                $body
            }
            DType::Int32 => {
                type $t = i32;
                $body
            }
            DType::UInt32 => {
                type $t = u32;
                $body
            }
            DType::Int64 => {
                type $t = i64;
                $body
            }
            DType::UInt64 => {
                type $t = u64;
                $body
            }
            DType::Float16 => {
                type $t = half::f16;
                $body
            }
            DType::BFloat16 => {
                type $t = half::bf16;
                $body
            }
            DType::Float32 => {
                type $t = f32;
                $body
            }
            DType::Float64 => {
                type $t = f64;
                $body
            }
            DType::Complex64 => {
                type $t = num_complex::Complex<f32>;
                $body
            }
        }
    };
}

/// A tensor of `dtype` from little-endian bytes (bools: byte != 0).
pub fn tensor(dev: &Device, shape: &[usize], dtype: DType, bytes: &[u8]) -> Tensor {
    Tensor::from_bytes(dev, shape, dtype, bytes).unwrap()
}

/// Edge values of a float format, as bits.
fn float_edges(d: DType) -> Vec<u64> {
    match d {
        DType::Float16 => vec![
            0x7e00, 0xfe00, 0x7c01, 0x7c00, 0xfc00, 0x8000, 0, 1, 0x8001, 0x3ff, 0x7bff, 0xfbff,
            0x3c00, 0x3c01, 0x4000, 0x0400,
        ],
        DType::BFloat16 => vec![
            0x7fc0, 0xffc0, 0x7f81, 0x7f80, 0xff80, 0x8000, 0, 1, 0x8001, 0x7f, 0x7f7f, 0x3f80,
            0x3f81,
        ],
        DType::Float32 | DType::Complex64 => {
            let mut v = vec![
                0x7fc0_0000u64,
                0xffc0_0000,
                0x7f80_0001,
                0x7f80_0000,
                0xff80_0000,
                0x8000_0000,
                0,
                1,
                0x8000_0001,
                0x007f_ffff,
                0x7f7f_ffff,
                0xff7f_ffff,
                0x4f00_0000, // 2^31
                0xcf00_0000,
                0x5f00_0000, // 2^63
                0x5f80_0000, // 2^64
                0x477f_f000, // f16 max + half ulp: tie
                0x477f_efff,
                0x3380_0000, // f16 min subnormal / 2: tie to 0
                0x3f80_1000, // f16 tie at 1 + 2^-11
                0x3f80_3000,
                0x4b00_0001,
                0x3f00_0000,
                0xbf00_0000,
                0x3fc0_0000,
                0xc020_0000,
            ];
            v.extend((0..20u64).map(|k| 0x4000_0000 + k * 0x0010_0000));
            v
        }
        DType::Float64 => vec![
            0x7ff8_0000_0000_0000,
            0xfff8_0000_0000_0000,
            0x7ff0_0000_0000_0001,
            0x7ff0_0000_0000_0000,
            0xfff0_0000_0000_0000,
            0x8000_0000_0000_0000,
            0,
            1,
            0x8000_0000_0000_0001,
            0x000f_ffff_ffff_ffff,
            0x7fef_ffff_ffff_ffff,
            0x43e0_0000_0000_0000,
            0xc3e0_0000_0000_0000,
            0x41e0_0000_0000_0000,
            0x3ff0_0000_1000_0000, // f32 tie
            0x3ff0_0000_3000_0000,
            0x36a0_0000_0000_0000, // below f32 subnormals
            0x3fe0_0000_0000_0000,
            0xbff8_0000_0000_0000,
            0x3ff0_0000_0000_0001,
        ],
        _ => vec![],
    }
}

fn int_edges(d: DType) -> Vec<u64> {
    let bits = d.itemsize() * 8;
    let m = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let h = 1u64 << (bits - 1);
    vec![0, 1, m, h, h - 1, h + 1, m - 1, 2, 3]
}

/// `n` random elements of `d` as bytes. `edges`: mix in the format's edge values (NaN, inf,
/// -0.0, subnormals, ties, integer bounds); otherwise floats are small finite values.
pub fn random_bytes(rng: &mut Rng, d: DType, n: usize, edges: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * d.itemsize());
    let ed = if d.is_float() || d == DType::Complex64 {
        float_edges(d)
    } else {
        int_edges(d)
    };
    for _ in 0..n {
        let parts = if d == DType::Complex64 { 2 } else { 1 };
        for _ in 0..parts {
            let r = rng.next_u64();
            let pick_edge = edges && rng.below(3) == 0;
            let v: u64 = if pick_edge && !ed.is_empty() {
                ed[rng.below(ed.len() as u64) as usize]
            } else {
                match d {
                    DType::Bool => r & 1,
                    DType::Float16 => f16::from_f32(small(r)).to_bits() as u64,
                    DType::BFloat16 => bf16::from_f32(small(r)).to_bits() as u64,
                    DType::Float32 | DType::Complex64 => small(r).to_bits() as u64,
                    DType::Float64 => (small(r) as f64 * (1.0 + (r >> 40) as f64 * 1e-9)).to_bits(),
                    _ => {
                        // Small values often (ties in argmax), full range otherwise.
                        if r & 3 == 0 { r >> 60 } else { r >> 8 }
                    }
                }
            };
            let size = if d == DType::Complex64 {
                4
            } else {
                d.itemsize()
            };
            out.extend_from_slice(&v.to_le_bytes()[..size]);
        }
    }
    let _ = Complex::<f32>::new(0.0, 0.0);
    out
}

/// A finite f32 in about [-64, 64], often with ties.
fn small(r: u64) -> f32 {
    let k = (r >> 16) as u32;
    if r & 7 == 0 {
        ((k % 9) as f32) - 4.0
    } else {
        (k as f32 / u32::MAX as f32 - 0.5) * 128.0 * if r & 8 == 0 { 1.0 } else { 1e-3 }
    }
}
