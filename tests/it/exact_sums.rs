//! Exact float sums (contract "exact sums"): sum, nansum, mean and nanmean of float16,
//! bfloat16, float32, float64 and complex64 are the exact sum (or exact sum / count) rounded
//! once, ties to even, with the specials rules; the same bytes for any thread count, on
//! every device, and for a streamed file with any chunk size. Known cases by hand, then a
//! property test against a big-integer reference (`common::exact`).

use crate::common;

use common::exact::{exact_bits, fmt_of};
use common::reference::output_index;
use common::values::{Rng, Val, bytes, decode};
use half::{bf16, f16};
use ndgpu::npy::stream::{self, StreamOptions};
use ndgpu::{Axes, DType, Device, Element, ReduceOp, Tensor};
use num_complex::Complex;
use proptest::prelude::*;

/// `op` over all of `v` on every device: the CPU's result bytes, checked equal on the others.
fn reduce_all<T: Element>(op: ReduceOp, v: Vec<T>) -> Vec<u8> {
    let n = v.len();
    let cpu = Tensor::from_vec(&Device::cpu(), &[n], v).unwrap();
    let want = bytes(&cpu.reduce(op, Axes::All, false).unwrap());
    for d in common::devices().iter().skip(1) {
        let got = cpu
            .to_device(d)
            .and_then(|t| t.reduce(op, Axes::All, false))
            .unwrap();
        assert_eq!(bytes(&got), want, "{op} on {d}");
    }
    want
}

fn f32_of(op: ReduceOp, v: &[f32]) -> u32 {
    u32::from_le_bytes(reduce_all(op, v.to_vec()).try_into().unwrap())
}
fn f64_of(op: ReduceOp, v: &[f64]) -> u64 {
    u64::from_le_bytes(reduce_all(op, v.to_vec()).try_into().unwrap())
}
fn f16_of(op: ReduceOp, v: &[f32]) -> u16 {
    let v: Vec<f16> = v.iter().map(|&x| f16::from_f32(x)).collect();
    u16::from_le_bytes(reduce_all(op, v).try_into().unwrap())
}
fn bf16_of(op: ReduceOp, v: &[f32]) -> u16 {
    let v: Vec<bf16> = v.iter().map(|&x| bf16::from_f32(x)).collect();
    u16::from_le_bytes(reduce_all(op, v).try_into().unwrap())
}
fn c64_of(op: ReduceOp, v: &[(f32, f32)]) -> (u32, u32) {
    let v: Vec<Complex<f32>> = v.iter().map(|&(a, b)| Complex::new(a, b)).collect();
    let b = reduce_all(op, v);
    (
        u32::from_le_bytes(b[..4].try_into().unwrap()),
        u32::from_le_bytes(b[4..].try_into().unwrap()),
    )
}

const SUM: ReduceOp = ReduceOp::Sum;
const MEAN: ReduceOp = ReduceOp::Mean;
const NANSUM: ReduceOp = ReduceOp::NanSum;
const NANMEAN: ReduceOp = ReduceOp::NanMean;
const QNAN32: u32 = 0x7fc0_0000;
const QNAN64: u64 = 0x7ff8_0000_0000_0000;

fn p2(e: i32) -> f32 {
    2f32.powi(e)
}

#[test]
fn rounding_happens_once_on_the_exact_sum() {
    // A pairwise or sequential float32 sum would lose both halves of the ulp.
    assert_eq!(
        f32_of(SUM, &[1.0, p2(-24), p2(-24)]),
        (1.0 + p2(-23)).to_bits()
    );
    assert_eq!(f32_of(SUM, &[p2(24), 1.0, 1.0]), (p2(24) + 2.0).to_bits());
    assert_eq!(f32_of(SUM, &[1e30, 1.0, -1e30]), 1f32.to_bits());
    assert_eq!(f64_of(SUM, &[1e300, 1.0, -1e300]), 1f64.to_bits());
    assert_eq!(
        f64_of(SUM, &[2f64.powi(53), 1.0, 1.0]),
        (2f64.powi(53) + 2.0).to_bits()
    );
    // Ties to even: exactly half an ulp goes to the even neighbour, a hair more goes up.
    assert_eq!(f32_of(SUM, &[1.0, p2(-24)]), 1f32.to_bits());
    assert_eq!(
        f32_of(SUM, &[1.0 + p2(-23), p2(-24)]),
        (1.0 + p2(-22)).to_bits()
    );
    assert_eq!(
        f32_of(SUM, &[1.0, p2(-24), p2(-100)]),
        (1.0 + p2(-23)).to_bits()
    );
    assert_eq!(f32_of(SUM, &[1.0, p2(-24), -p2(-100)]), 1f32.to_bits());
    // bfloat16: 8 significant bits, so 257 is a tie between 256 and 258.
    assert_eq!(bf16_of(SUM, &[256.0, 1.0]), bf16::from_f32(256.0).to_bits());
    assert_eq!(
        bf16_of(SUM, &[256.0, 1.0, p2(-20)]),
        bf16::from_f32(258.0).to_bits()
    );
    assert_eq!(
        bf16_of(SUM, &[1.0, p2(-8), p2(-8)]),
        bf16::from_f32(1.0 + p2(-7)).to_bits()
    );
}

#[test]
fn float16_overflow_follows_the_exact_value() {
    // 65504 is the largest float16; 65520 is the midpoint to 65536 (the infinity step),
    // whose even neighbour is infinity.
    assert_eq!(f16_of(SUM, &[65504.0, 16.0]), 0x7c00);
    assert_eq!(f16_of(SUM, &[65504.0, 15.0]), f16::MAX.to_bits());
    assert_eq!(f16_of(SUM, &[-65504.0, -16.0]), 0xfc00);
    // Partial sums past the largest finite do not matter, only the exact total.
    assert_eq!(
        f16_of(SUM, &[65504.0, 65504.0, -65504.0]),
        f16::MAX.to_bits()
    );
    assert_eq!(f16_of(MEAN, &[65504.0, 65504.0]), f16::MAX.to_bits());
    assert_eq!(f32_of(SUM, &[f32::MAX, f32::MAX]), f32::INFINITY.to_bits());
    assert_eq!(
        f32_of(SUM, &[-f32::MAX, -f32::MAX]),
        f32::NEG_INFINITY.to_bits()
    );
    assert_eq!(
        f32_of(SUM, &[f32::MAX, f32::MAX, -f32::MAX]),
        f32::MAX.to_bits()
    );
    assert_eq!(f32_of(MEAN, &[f32::MAX, f32::MAX]), f32::MAX.to_bits());
    assert_eq!(f64_of(SUM, &[f64::MAX, f64::MAX]), f64::INFINITY.to_bits());
    assert_eq!(f64_of(MEAN, &[f64::MAX; 3]), f64::MAX.to_bits());
}

#[test]
fn zeros_and_subnormal_totals() {
    // Exact zeros are +0.0, whatever the signs that made them.
    assert_eq!(f32_of(SUM, &[-0.0, -0.0]), 0);
    assert_eq!(f32_of(SUM, &[1.5, -1.5]), 0);
    assert_eq!(f32_of(SUM, &[]), 0);
    assert_eq!(f64_of(SUM, &[-0.0]), 0);
    assert_eq!(f16_of(SUM, &[-0.0, 2.0, -2.0]), 0);
    assert_eq!(c64_of(SUM, &[(-0.0, -0.0)]), (0, 0));
    assert_eq!(f32_of(MEAN, &[-0.0, -0.0]), 0);
    // Subnormal totals are exact.
    let min = f32::MIN_POSITIVE;
    let below = f32::from_bits(0x007f_ffff);
    assert_eq!(f32_of(SUM, &[min, -below]), 1);
    assert_eq!(
        f64_of(
            SUM,
            &[f64::MIN_POSITIVE, -f64::from_bits(0x000f_ffff_ffff_ffff)]
        ),
        1
    );
    assert_eq!(
        u16::from_le_bytes(
            reduce_all(SUM, vec![f16::from_bits(1), f16::from_bits(1)])
                .try_into()
                .unwrap()
        ),
        2
    );
    // A mean below the smallest subnormal: a tie to the even zero, of the value's sign.
    let tiny = f32::from_bits(1);
    assert_eq!(f32_of(MEAN, &[tiny, 0.0]), 0);
    assert_eq!(f32_of(MEAN, &[-tiny, 0.0]), 0x8000_0000);
    assert_eq!(f32_of(MEAN, &[tiny, tiny, tiny, 0.0]), 1, "3/4 of the step");
}

#[test]
fn specials() {
    let (inf, nan) = (f32::INFINITY, f32::from_bits(0x7fa0_0001));
    assert_eq!(f32_of(SUM, &[inf, 1.0, 1e38]), inf.to_bits());
    assert_eq!(f32_of(SUM, &[-inf, 1e38, 1e38, 1e38]), (-inf).to_bits());
    assert_eq!(f32_of(SUM, &[inf, -inf]), QNAN32);
    assert_eq!(f32_of(SUM, &[nan, 1.0]), QNAN32, "the canonical quiet NaN");
    assert_eq!(f32_of(SUM, &[-f32::NAN, inf]), QNAN32);
    assert_eq!(f32_of(MEAN, &[inf, 1.0]), inf.to_bits());
    assert_eq!(f32_of(NANSUM, &[nan, 1.0, 2.0]), 3f32.to_bits());
    assert_eq!(f32_of(NANSUM, &[nan, inf]), inf.to_bits());
    assert_eq!(f32_of(NANSUM, &[nan, nan]), 0);
    assert_eq!(f32_of(NANMEAN, &[nan, 1.0, 2.0]), 1.5f32.to_bits());
    assert_eq!(f32_of(NANMEAN, &[nan, nan]), QNAN32);
    assert_eq!(f32_of(MEAN, &[]), QNAN32);
    assert_eq!(f64_of(SUM, &[f64::INFINITY, f64::NEG_INFINITY]), QNAN64);
    assert_eq!(f64_of(NANMEAN, &[f64::NAN, 3.0]), 3f64.to_bits());
    assert_eq!(f16_of(SUM, &[f32::INFINITY, f32::NEG_INFINITY]), 0x7e00);
    assert_eq!(bf16_of(SUM, &[f32::NAN]), 0x7fc0);
    // Complex: parts separately; a NaN in either part makes the element NaN (nan-variants
    // leave it out whole).
    let c = c64_of(SUM, &[(1.0, inf), (2.0, 3.0)]);
    assert_eq!(c, (3f32.to_bits(), inf.to_bits()));
    let c = c64_of(NANSUM, &[(f32::NAN, 1.0), (2.0, 3.0)]);
    assert_eq!(c, (2f32.to_bits(), 3f32.to_bits()));
    let c = c64_of(NANMEAN, &[(1.0, f32::NAN), (2.0, 3.0), (4.0, -1.0)]);
    assert_eq!(c, (3f32.to_bits(), 1f32.to_bits()));
    let c = c64_of(SUM, &[(f32::NAN, 1.0), (2.0, 3.0)]);
    assert_eq!(c, (QNAN32, 4f32.to_bits()));
    assert_eq!(c64_of(MEAN, &[]), (QNAN32, QNAN32));
}

#[test]
fn means_round_once_from_the_exact_quotient() {
    // (1 + 3 * 2^-24) / 4 = 0.25 + 1.5 ulp(0.25): a tie, to the even 0.25 + 2 ulp. Rounding
    // the sum first (to 1 + 2^-22) and then dividing gives 0.25 + 4 ulp.
    let e = p2(-24);
    assert_eq!(
        f32_of(MEAN, &[1.0, e, e, e]),
        (0.25 + 2.0 * p2(-25)).to_bits()
    );
    assert_eq!(f32_of(MEAN, &[1.0, 1.0, 2.0]), (4.0f32 / 3.0).to_bits());
    assert_eq!(f64_of(MEAN, &[1.0, 1.0, 2.0]), (4.0f64 / 3.0).to_bits());
    assert_eq!(f64_of(MEAN, &[1e308, 1e308, 1e308]), 1e308f64.to_bits());
    // The exact quotient beside what the float64 division of a float32 sum gives.
    let v: Vec<f32> = (0..1000).map(|i| 1.0 + i as f32 * p2(-20)).collect();
    let want = exact_bits(
        &v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>(),
        1000,
        fmt_of(DType::Float32),
    );
    assert_eq!(u64::from(f32_of(MEAN, &v)), want);
    let h: Vec<f32> = (0..7).map(|i| 1.0 + i as f32 / 1024.0).collect();
    let want = exact_bits(
        &h.iter().map(|&x| f64::from(x)).collect::<Vec<_>>(),
        7,
        fmt_of(DType::Float16),
    );
    assert_eq!(u64::from(f16_of(MEAN, &h)), want);
}

// ---- property test ------------------------------------------------------------------------

const FLOATS: [DType; 5] = [
    DType::Float16,
    DType::BFloat16,
    DType::Float32,
    DType::Float64,
    DType::Complex64,
];
const OPS: [ReduceOp; 4] = [SUM, NANSUM, MEAN, NANMEAN];

/// A random finite-or-special float64 exactly representable in `dtype` (a float32 part for
/// complex64). Modes: 0 wide range (1e-30 beside 1e30, subnormals, extremes), 1 one binade
/// region, 2 cancelling pairs are made by the caller, 3 near overflow.
fn draw(rng: &mut Rng, dtype: DType, mode: u64) -> f64 {
    let (mant, emin, emax) = match dtype {
        DType::Float16 => (10, -24, 15),
        DType::BFloat16 => (7, -133, 127),
        DType::Float64 => (52, -1074, 1023),
        _ => (23, -149, 127),
    };
    let r = rng.below(1000);
    if r < 8 {
        return [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0][r as usize % 4];
    }
    let e = match mode {
        0 => emin + rng.below((emax - emin + 1) as u64) as i32,
        1 => rng.below(12) as i32 - 6,
        _ => emax - rng.below(3) as i32,
    };
    let e = e.clamp(emin + mant, emax);
    let m = (rng.next_u64() >> (64 - mant - 1)) | 1 << mant;
    let v = m as f64 * 2f64.powi(e - mant);
    let v = if v.is_finite() { v } else { f64::MAX };
    if rng.below(2) == 0 { -v } else { v }
}

/// A tensor of `dtype` and `shape` from drawn values, with cancelling pairs (x and -x).
fn tensor(dtype: DType, shape: &[usize], seed: u64, mode: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut rng = Rng::new(seed);
    let parts = if dtype == DType::Complex64 { 2 } else { 1 };
    let mut v: Vec<f64> = (0..n * parts)
        .map(|_| draw(&mut rng, dtype, mode))
        .collect();
    // Heavy cancellation: a third of the values are negations of earlier ones.
    for i in 0..v.len() {
        if i > 0 && rng.below(3) == 0 {
            let j = rng.below(i as u64) as usize;
            v[i] = -v[j];
        }
    }
    let cpu = Device::cpu();
    let t = match dtype {
        DType::Float16 => Tensor::from_vec(
            &cpu,
            shape,
            v.iter().map(|&x| f16::from_f64(x)).collect::<Vec<_>>(),
        ),
        DType::BFloat16 => Tensor::from_vec(
            &cpu,
            shape,
            v.iter().map(|&x| bf16::from_f64(x)).collect::<Vec<_>>(),
        ),
        DType::Float32 => {
            Tensor::from_vec(&cpu, shape, v.iter().map(|&x| x as f32).collect::<Vec<_>>())
        }
        DType::Float64 => Tensor::from_vec(&cpu, shape, v),
        _ => Tensor::from_vec(
            &cpu,
            shape,
            v.chunks_exact(2)
                .map(|c| Complex::new(c[0] as f32, c[1] as f32))
                .collect::<Vec<_>>(),
        ),
    };
    t.unwrap()
}

/// The reference bytes of `op` over the masked axes of `x`.
fn reference(x: &Tensor, op: ReduceOp, mask: &[bool]) -> Vec<u8> {
    let dtype = x.dtype();
    let vals = decode(x);
    let out = output_index(x.shape(), mask);
    let n_out = if vals.is_empty() {
        x.shape()
            .iter()
            .zip(mask)
            .filter(|(_, m)| !**m)
            .map(|(d, _)| d)
            .product()
    } else {
        out.iter().max().map_or(1, |m| m + 1)
    };
    let mut slices = vec![Vec::new(); n_out];
    for (v, o) in vals.into_iter().zip(out) {
        if !(op.skips_nan() && v.is_nan()) {
            slices[o].push(v);
        }
    }
    let fmt = fmt_of(dtype);
    let mut b = Vec::new();
    for s in slices {
        let count = if matches!(op, MEAN | NANMEAN) {
            s.len() as u64
        } else {
            1
        };
        let (re, im): (Vec<f64>, Vec<f64>) = s
            .iter()
            .map(|v| match *v {
                Val::F(f) => (f, 0.0),
                Val::C(a, c) => (a, c),
                _ => unreachable!(),
            })
            .unzip();
        let bits = exact_bits(&re, count, fmt);
        match dtype {
            DType::Float16 | DType::BFloat16 => b.extend_from_slice(&(bits as u16).to_le_bytes()),
            DType::Float64 => b.extend_from_slice(&bits.to_le_bytes()),
            DType::Float32 => b.extend_from_slice(&(bits as u32).to_le_bytes()),
            _ => {
                b.extend_from_slice(&(bits as u32).to_le_bytes());
                let i = exact_bits(&im, count, fmt);
                b.extend_from_slice(&(i as u32).to_le_bytes());
            }
        }
    }
    b
}

fn in_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

fn shape_and_mask() -> impl Strategy<Value = (Vec<usize>, Vec<bool>, bool)> {
    (0usize..=5)
        .prop_flat_map(|rank| {
            (
                prop::collection::vec(0usize..=6, rank),
                prop::collection::vec(any::<bool>(), rank),
                any::<bool>(),
            )
        })
        .prop_map(|(mut shape, mask, all)| {
            // Keep the element count small enough for the reference.
            while shape.iter().product::<usize>() > 600 {
                let i = shape.iter().position(|&d| d > 1).unwrap();
                shape[i] -= 1;
            }
            (shape, mask, all)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn exact_sums_match_the_reference_for_any_split(
        (shape, mask, all) in shape_and_mask(),
        d in 0usize..5,
        mode in 0u64..3,
        seed in any::<u64>(),
        chunk in 1usize..40,
    ) {
        let dtype = FLOATS[d];
        let x = tensor(dtype, &shape, seed, mode);
        let (axes, mask) = if all || shape.is_empty() {
            (Axes::All, vec![true; shape.len()])
        } else {
            let axes: Vec<isize> = (0..shape.len()).filter(|&i| mask[i]).map(|i| i as isize).collect();
            (Axes::List(axes), mask)
        };
        let dir = std::env::temp_dir().join(format!("ndgpu-exact-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("x{seed}.npy"));
        if dtype != DType::BFloat16 {
            ndgpu::npy::write(&path, &x).unwrap();
        }
        for op in OPS {
            let want = reference(&x, op, &mask);
            let one = in_pool(1, || x.reduce(op, axes.clone(), false)).unwrap();
            prop_assert_eq!(bytes(&one), want.clone(), "{} {} {:?} {:?}", op, dtype, shape, axes);
            let two = in_pool(2, || x.reduce(op, axes.clone(), false)).unwrap();
            prop_assert_eq!(bytes(&two), want.clone(), "2 threads");
            if dtype != DType::BFloat16 {
                // (.npy has no bfloat16.)
                let opts = StreamOptions { chunk_bytes: chunk * dtype.itemsize(), progress: None };
                let s = stream::reduce(&path, op, &axes, false, &Device::cpu(), opts).unwrap();
                prop_assert_eq!(bytes(&s), want.clone(), "streamed, chunk {}", chunk);
            }
            for dev in common::devices().iter().skip(1) {
                let g = x.to_device(dev).and_then(|t| t.reduce(op, axes.clone(), false)).unwrap();
                prop_assert_eq!(bytes(&g), want.clone(), "on {}", dev);
            }
        }
        std::fs::remove_file(&path).ok();
    }
}

/// Large inputs take the bulk and blocked kernels (fast paths, long rows split in tasks,
/// strided column tiles, tall slabs split by rows): every axis against the reference.
#[test]
fn large_inputs_on_every_strategy_match_the_reference() {
    for (k, dtype) in FLOATS.into_iter().enumerate() {
        for (s, shape) in [
            vec![140_000],
            vec![2_600, 3],
            vec![300, 300],
            vec![20, 2, 300],
        ]
        .into_iter()
        .enumerate()
        {
            let x = tensor(dtype, &shape, (k * 10 + s) as u64, (s % 2) as u64);
            for axes in [
                vec![0],
                vec![shape.len() - 1],
                (0..shape.len()).collect::<Vec<_>>(),
            ] {
                let mask: Vec<bool> = (0..shape.len()).map(|i| axes.contains(&i)).collect();
                let axes: Vec<isize> = axes.iter().map(|&a| a as isize).collect();
                for op in [SUM, NANMEAN] {
                    let want = reference(&x, op, &mask);
                    let got = x.reduce(op, axes.clone(), false).unwrap();
                    assert!(bytes(&got) == want, "{op} {dtype} {shape:?} {axes:?}");
                    let one = in_pool(1, || x.reduce(op, axes.clone(), false)).unwrap();
                    assert!(
                        bytes(&one) == want,
                        "{op} {dtype} {shape:?} {axes:?}, 1 thread"
                    );
                }
            }
        }
    }
}
