//! Naive references for the three operations, written without the crate's kernels, keys or
//! bit routines: nested loops over multi-indices and plain Rust arithmetic.

use half::{bf16, f16};
use ndgpu::DType;

use super::values::Val;

/// For every input element (C order), the flat index of the output element it reduces into.
pub fn output_index(shape: &[usize], mask: &[bool]) -> Vec<usize> {
    let n: usize = shape.iter().product();
    let mut idx = vec![0usize; shape.len()];
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let mut o = 0;
        for (a, (&i, &d)) in idx.iter().zip(shape).enumerate() {
            if !mask[a] {
                o = o * d + i;
            }
        }
        out.push(o);
        for a in (0..shape.len()).rev() {
            idx[a] += 1;
            if idx[a] < shape[a] {
                break;
            }
            idx[a] = 0;
        }
    }
    out
}

/// Neumaier-compensated sums plus the facts needed to predict IEEE specials.
#[derive(Clone, Copy, Default, Debug)]
pub struct FloatAcc {
    sum: f64,
    comp: f64,
    pub abs: f64,
    nan: bool,
    pos_inf: bool,
    neg_inf: bool,
    pub n: usize,
}

impl FloatAcc {
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        if x.is_nan() {
            self.nan = true;
        } else if x == f64::INFINITY {
            self.pos_inf = true;
        } else if x == f64::NEG_INFINITY {
            self.neg_inf = true;
        } else {
            let t = self.sum + x;
            self.comp += if self.sum.abs() >= x.abs() {
                (self.sum - t) + x
            } else {
                (x - t) + self.sum
            };
            self.sum = t;
            self.abs += x.abs();
        }
    }

    /// Checks a computed sum against the exact one: specials exactly, finite values within
    /// `eps_acc·log2(n)·Σ|x|` plus one rounding to the output format (`eps_out`).
    pub fn check(&self, got: f64, eps_acc: f64, eps_out: f64, tiny_out: f64) -> Result<(), String> {
        if self.nan || (self.pos_inf && self.neg_inf) {
            return if got.is_nan() {
                Ok(())
            } else {
                Err(format!("expected NaN, got {got}"))
            };
        }
        if self.pos_inf || self.neg_inf {
            let want = if self.pos_inf {
                f64::INFINITY
            } else {
                f64::NEG_INFINITY
            };
            return if got == want {
                Ok(())
            } else {
                Err(format!("expected {want}, got {got}"))
            };
        }
        let exact = self.sum + self.comp;
        let levels = (self.n.max(2) as f64).log2().ceil();
        let tol = eps_acc * levels * self.abs + eps_out * exact.abs() + tiny_out;
        if (got - exact).abs() <= tol {
            Ok(())
        } else {
            Err(format!(
                "sum {got} vs exact {exact}: error {} > bound {tol}",
                (got - exact).abs()
            ))
        }
    }
}

/// (accumulation eps, output rounding eps, half the smallest subnormal) of a float sum dtype.
pub fn sum_tolerances(dtype: DType) -> (f64, f64, f64) {
    match dtype {
        DType::Float16 => (f32::EPSILON as f64, 2f64.powi(-11), 2f64.powi(-25)),
        DType::BFloat16 => (f32::EPSILON as f64, 2f64.powi(-8), 2f64.powi(-134)),
        DType::Float32 | DType::Complex64 => (f32::EPSILON as f64, 0.0, 0.0),
        _ => (f64::EPSILON, 0.0, 0.0),
    }
}

/// `a > b` in argmax's order: NaN is the largest, NaNs are equal, -0.0 == +0.0, complex is
/// (real, imag) lexicographic with a NaN in either part counting as NaN.
pub fn greater(a: Val, b: Val) -> bool {
    match (a, b) {
        _ if a.is_nan() => !b.is_nan(),
        _ if b.is_nan() => false,
        (Val::F(x), Val::F(y)) => x > y,
        (Val::C(ar, ai), Val::C(br, bi)) => ar > br || (ar == br && ai > bi),
        (Val::I(x), Val::I(y)) => x > y,
        (Val::B(x), Val::B(y)) => x & !y,
        _ => panic!("mixed kinds {a:?} {b:?}"),
    }
}

/// The expected result of casting `v` to `to`, or `None` where only an exact rounding
/// reference could tell (f64 or wide ints to float16/bfloat16: covered by the bit-level
/// tests, and by the CPU/GPU byte comparison).
pub fn cast_value(v: Val, to: DType) -> Option<Val> {
    let real = match v {
        Val::C(re, _) => Val::F(re),
        other => other,
    };
    Some(match to {
        DType::Bool => Val::B(match v {
            Val::B(b) => b,
            Val::I(i) => i != 0,
            Val::F(x) => x != 0.0 || x.is_nan(),
            Val::C(re, im) => re != 0.0 || re.is_nan() || im != 0.0 || im.is_nan(),
        }),
        DType::Int8 => Val::I(to_int(real, 8, true)),
        DType::UInt8 => Val::I(to_int(real, 8, false)),
        DType::Int16 => Val::I(to_int(real, 16, true)),
        DType::UInt16 => Val::I(to_int(real, 16, false)),
        DType::Int32 => Val::I(to_int(real, 32, true)),
        DType::UInt32 => Val::I(to_int(real, 32, false)),
        DType::Int64 => Val::I(to_int(real, 64, true)),
        DType::UInt64 => Val::I(to_int(real, 64, false)),
        DType::Float32 => Val::F(match real {
            Val::B(b) => b as u8 as f64,
            Val::I(i) => i as f32 as f64,
            Val::F(x) => x as f32 as f64,
            Val::C(..) => unreachable!(),
        }),
        DType::Float64 => Val::F(match real {
            Val::B(b) => b as u8 as f64,
            Val::I(i) => i as f64,
            Val::F(x) => x,
            Val::C(..) => unreachable!(),
        }),
        DType::Float16 | DType::BFloat16 => {
            let x = match real {
                Val::B(b) => b as u8 as f32,
                Val::I(i) if i.abs() < 1 << 24 => i as f32,
                Val::F(x) if x.is_nan() || x as f32 as f64 == x => x as f32,
                _ => return None,
            };
            Val::F(if to == DType::Float16 {
                f16::from_f32(x).to_f64()
            } else {
                bf16::from_f32(x).to_f64()
            })
        }
        DType::Complex64 => match v {
            Val::C(re, im) => Val::C(re, im),
            other => match cast_value(other, DType::Float32)? {
                Val::F(x) => Val::C(x, 0.0),
                _ => unreachable!(),
            },
        },
    })
}

/// Rust's `as` from the widened value: integers wrap, floats truncate and saturate, NaN -> 0.
fn to_int(v: Val, bits: u32, signed: bool) -> i128 {
    let (lo, hi) = if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    match v {
        Val::B(b) => b as i128,
        Val::I(i) => {
            let m = i.rem_euclid(1i128 << bits);
            if signed && m > hi {
                m - (1i128 << bits)
            } else {
                m
            }
        }
        Val::F(x) if x.is_nan() => 0,
        Val::F(x) => (x.trunc().clamp(lo as f64, hi as f64) as i128).clamp(lo, hi),
        Val::C(..) => unreachable!(),
    }
}

/// Equal as values, with NaN equal to NaN and -0.0 distinct from +0.0.
pub fn same(a: Val, b: Val) -> bool {
    match (a, b) {
        (Val::F(x), Val::F(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        (Val::C(a, b), Val::C(c, d)) => same(Val::F(a), Val::F(c)) && same(Val::F(b), Val::F(d)),
        _ => a == b,
    }
}
