//! Random tensors with edge values, and a dtype-free view of their elements for references
//! written independently of the crate's kernels.

use half::{bf16, f16};
use ndgpu::{DType, Device, Tensor};
use num_complex::Complex;

/// One element, widened without loss.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Val {
    B(bool),
    I(i128),
    F(f64),
    C(f64, f64),
}

impl Val {
    pub fn is_nan(self) -> bool {
        match self {
            Val::F(x) => x.is_nan(),
            Val::C(a, b) => a.is_nan() || b.is_nan(),
            _ => false,
        }
    }
}

/// A small deterministic generator (xorshift64*), so a failing case is reproducible by seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// Uniform in [-1, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// What kind of values to draw.
#[derive(Clone, Copy, Debug)]
pub struct Mix {
    /// Per mille of elements that are edge values (NaN, ±inf, ±0, subnormals, bounds).
    pub special: u64,
    /// Keep magnitudes small enough that float sums cannot overflow.
    pub bounded: bool,
    /// Only values >= 0 (then rounding errors of a sum do not cancel: the hard case for the
    /// pairwise bound).
    pub positive: bool,
}

fn gen_f64(rng: &mut Rng, mix: Mix, max: f64, min_sub: f64) -> f64 {
    if rng.below(1000) < mix.special {
        let pool = [
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            min_sub,
            -min_sub,
            max,
            -max,
        ];
        let n = if mix.bounded { 8 } else { pool.len() };
        return pool[rng.below(n as u64) as usize];
    }
    let x = match rng.below(3) {
        0 => (rng.below(9) as f64) - 4.0, // small integers: many ties
        1 => rng.unit() * 8.0,
        _ => rng.unit() * 1e-3,
    };
    if mix.positive { x.abs() } else { x }
}

fn gen_int(rng: &mut Rng, mix: Mix, lo: i128, hi: i128) -> i128 {
    if rng.below(1000) < mix.special {
        return [lo, hi, 0, lo + 1, hi - 1][rng.below(5) as usize];
    }
    if rng.below(2) == 0 {
        (rng.below(9) as i128 - 4).clamp(lo, hi)
    } else {
        lo + (rng.next_u64() as i128).rem_euclid(hi - lo + 1)
    }
}

/// `n` random elements of `dtype` as a tensor of `shape` on `device`.
pub fn random_tensor(
    device: &Device,
    dtype: DType,
    shape: &[usize],
    seed: u64,
    mix: Mix,
) -> Tensor {
    let n: usize = shape.iter().product();
    let mut rng = Rng::new(seed);
    macro_rules! ints {
        ($t:ty) => {{
            let v: Vec<$t> = (0..n)
                .map(|_| gen_int(&mut rng, mix, <$t>::MIN as i128, <$t>::MAX as i128) as $t)
                .collect();
            Tensor::from_vec(device, shape, v)
        }};
    }
    let t = match dtype {
        DType::Bool => Tensor::from_vec(
            device,
            shape,
            (0..n).map(|_| rng.below(2) == 1).collect::<Vec<_>>(),
        ),
        DType::Int8 => ints!(i8),
        DType::UInt8 => ints!(u8),
        DType::Int16 => ints!(i16),
        DType::UInt16 => ints!(u16),
        DType::Int32 => ints!(i32),
        DType::UInt32 => ints!(u32),
        DType::Int64 => ints!(i64),
        DType::UInt64 => ints!(u64),
        DType::Float16 => Tensor::from_vec(
            device,
            shape,
            (0..n)
                .map(|_| {
                    f16::from_f64(gen_f64(
                        &mut rng,
                        mix,
                        65504.0,
                        f16::MIN_POSITIVE_SUBNORMAL.to_f64(),
                    ))
                })
                .collect::<Vec<_>>(),
        ),
        DType::BFloat16 => Tensor::from_vec(
            device,
            shape,
            (0..n)
                .map(|_| {
                    bf16::from_f64(gen_f64(
                        &mut rng,
                        mix,
                        bf16::MAX.to_f64(),
                        bf16::MIN_POSITIVE_SUBNORMAL.to_f64(),
                    ))
                })
                .collect::<Vec<_>>(),
        ),
        DType::Float32 => Tensor::from_vec(
            device,
            shape,
            (0..n)
                .map(|_| gen_f64(&mut rng, mix, f32::MAX as f64, f32::from_bits(1) as f64) as f32)
                .collect::<Vec<_>>(),
        ),
        DType::Float64 => Tensor::from_vec(
            device,
            shape,
            (0..n)
                .map(|_| gen_f64(&mut rng, mix, f64::MAX, f64::from_bits(1)))
                .collect::<Vec<_>>(),
        ),
        DType::Complex64 => Tensor::from_vec(
            device,
            shape,
            (0..n)
                .map(|_| {
                    let re =
                        gen_f64(&mut rng, mix, f32::MAX as f64, f32::from_bits(1) as f64) as f32;
                    // Equal real parts are common so the imaginary tie-break is exercised.
                    let im =
                        gen_f64(&mut rng, mix, f32::MAX as f64, f32::from_bits(1) as f64) as f32;
                    Complex::new(re, im)
                })
                .collect::<Vec<_>>(),
        ),
    };
    t.expect("random tensor")
}

/// Every element of `t`, read back to the host and widened.
pub fn decode(t: &Tensor) -> Vec<Val> {
    macro_rules! read {
        ($t:ty, |$x:ident| $e:expr) => {
            t.to_ndarray::<$t>()
                .expect("read back")
                .iter()
                .map(|&$x| $e)
                .collect()
        };
    }
    match t.dtype() {
        DType::Bool => read!(bool, |x| Val::B(x)),
        DType::Int8 => read!(i8, |x| Val::I(x as i128)),
        DType::UInt8 => read!(u8, |x| Val::I(x as i128)),
        DType::Int16 => read!(i16, |x| Val::I(x as i128)),
        DType::UInt16 => read!(u16, |x| Val::I(x as i128)),
        DType::Int32 => read!(i32, |x| Val::I(x as i128)),
        DType::UInt32 => read!(u32, |x| Val::I(x as i128)),
        DType::Int64 => read!(i64, |x| Val::I(x as i128)),
        DType::UInt64 => read!(u64, |x| Val::I(x as i128)),
        DType::Float16 => read!(f16, |x| Val::F(x.to_f64())),
        DType::BFloat16 => read!(bf16, |x| Val::F(x.to_f64())),
        DType::Float32 => read!(f32, |x| Val::F(x as f64)),
        DType::Float64 => read!(f64, |x| Val::F(x)),
        DType::Complex64 => read!(Complex<f32>, |x| Val::C(x.re as f64, x.im as f64)),
    }
}

/// The raw little-endian bytes of `t`'s elements (for byte-for-byte device comparisons).
pub fn bytes(t: &Tensor) -> Vec<u8> {
    macro_rules! raw {
        ($t:ty) => {{
            let a = t.to_ndarray::<$t>().expect("read back");
            a.iter()
                .flat_map(|x| bytemuck::bytes_of(x).to_vec())
                .collect()
        }};
    }
    match t.dtype() {
        DType::Bool => t
            .to_ndarray::<bool>()
            .expect("read back")
            .iter()
            .map(|&b| b as u8)
            .collect(),
        DType::Int8 => raw!(i8),
        DType::UInt8 => raw!(u8),
        DType::Int16 => raw!(i16),
        DType::UInt16 => raw!(u16),
        DType::Int32 => raw!(i32),
        DType::UInt32 => raw!(u32),
        DType::Int64 => raw!(i64),
        DType::UInt64 => raw!(u64),
        DType::Float16 => raw!(f16),
        DType::BFloat16 => raw!(bf16),
        DType::Float32 => raw!(f32),
        DType::Float64 => raw!(f64),
        DType::Complex64 => raw!(Complex<f32>),
    }
}
