//! Unit tests of the exact float sums on the GPU (issue 8): the accumulator words of `exact_fold.wgsl` equal the
//! CPU's (`src/exact`'s `SuperAcc`) on random data with NaN, infinities, subnormals, huge and
//! tiny values side by side and heavy cancellation, over several `[outer, len, inner]`
//! shapes and multi-pass plans; `exact_round.wgsl` rounds words to the CPU's bytes.

use std::sync::MutexGuard;

use super::exact::{exact_reference_round, exact_reference_words};
use crate::{Axes, DType, Device, Reduce3, ReduceOp};

/// The little-endian bytes of a tensor's elements, read back from any device.
fn bytes(t: &crate::Tensor) -> Vec<u8> {
    let t = t.to_device(&Device::cpu()).unwrap();
    match &*t.storage {
        crate::device::Storage::Cpu(s) => s.as_bytes().to_vec(),
        crate::device::Storage::Gpu(_) => unreachable!("moved to the CPU"),
    }
}

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const FLOATS: [DType; 5] = [
    DType::Float16,
    DType::BFloat16,
    DType::Float32,
    DType::Float64,
    DType::Complex64,
];

/// Explicit mantissa bits and exponent bits of `d`'s format (float32's for complex64 parts).
fn mant_ebits(d: DType) -> (u64, u64) {
    match d {
        DType::Float16 => (10, 5),
        DType::BFloat16 => (7, 8),
        DType::Float64 => (52, 11),
        _ => (23, 8),
    }
}

/// One random float of `d`'s format (float16 / bfloat16 / float32 bits for complex parts)
/// from a mix of kinds; `specials` allows NaN and infinities.
fn value_bits(rng: &mut Rng, d: DType, specials: bool) -> u64 {
    let (mant, ebits) = mant_ebits(d);
    let sign = rng.next() & 1;
    let emax = (1u64 << ebits) - 1;
    let m = rng.next() & ((1u64 << mant) - 1);
    let field = match rng.below(if specials { 12 } else { 10 }) {
        0 => 0,                               // subnormal or zero
        1 => emax - 1 - rng.below(3),         // near the largest finite
        2 => 1 + rng.below(3),                // near the smallest normal
        3..=6 => emax / 2 + rng.below(8) - 4, // ordinary, around 1
        7 => rng.below(emax),
        8 => (emax / 2 + 20 + rng.below(6)).min(emax - 1), // large beside small
        9 => (emax / 2).saturating_sub(20 + rng.below(6)).max(1),
        10 => {
            return (sign << (mant + ebits)) | (emax << mant) | (rng.below(2) * (m | 1));
        }
        _ => emax,
    };
    if field == emax {
        return (sign << (mant + ebits)) | (emax << mant) | (m | 1);
    }
    (sign << (mant + ebits)) | (field << mant) | m
}

/// `n` random elements of `d` as little-endian bytes; every element also appears negated
/// somewhere when `cancel` (the exact sum then has massive cancellation).
fn random_bytes(rng: &mut Rng, d: DType, n: usize, specials: bool, cancel: bool) -> Vec<u8> {
    let part = |rng: &mut Rng| -> u64 {
        if d == DType::Complex64 {
            value_bits(rng, DType::Float32, specials)
                | (value_bits(rng, DType::Float32, specials) << 32)
        } else {
            value_bits(rng, d, specials)
        }
    };
    let size = d.itemsize();
    let neg = match d {
        DType::Float16 | DType::BFloat16 => 0x8000,
        DType::Float32 => 0x8000_0000,
        DType::Float64 => 1 << 63,
        _ => 0x8000_0000_8000_0000,
    };
    let mut vals: Vec<u64> = Vec::with_capacity(n);
    while vals.len() < n {
        let v = part(rng);
        vals.push(v);
        if cancel && vals.len() < n {
            vals.push(v ^ neg);
        }
    }
    // Shuffle, so that cancelling pairs land in different blocks.
    for i in (1..vals.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        vals.swap(i, j);
    }
    vals.iter()
        .flat_map(|v| v.to_le_bytes()[..size].to_vec())
        .collect()
}

/// The GPU device, held alone (see `tests::ONE_AT_A_TIME`); these tests need one (lavapipe in
/// CI), so a missing adapter fails them unless NDGPU_REQUIRE_GPU is unset.
fn gpu() -> Option<(Device, MutexGuard<'static, ()>)> {
    let one = super::tests::ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    super::tests::gpu()?;
    Some((Device::gpu().ok()?, one))
}

fn r3(outer: usize, len: usize, inner: usize) -> Reduce3 {
    Reduce3 { outer, len, inner }
}

#[test]
fn words_equal_the_cpu_on_random_data() {
    let Some((dev, _one)) = gpu() else { return };
    let g = dev.gpu_device().unwrap();
    let mut rng = Rng(0x5eed);
    let shapes = [
        r3(1, 1, 1),
        r3(1, 3, 1),
        r3(1, 20_000, 1),
        r3(1, 1000, 7),
        r3(1, 5, 300),
        r3(300, 70, 1),
        r3(6, 900, 5),
        r3(130, 3, 2),
    ];
    for d in FLOATS {
        for (k, &r) in shapes.iter().enumerate() {
            let specials = k % 2 == 1;
            let b = random_bytes(&mut rng, d, r.input_len(), specials, k % 3 != 1);
            for nan in [false, true] {
                let want = exact_reference_words(d, &b, nan, r);
                let got = g.exact_sum_words(d, &b, nan, &[r]).unwrap();
                assert_eq!(got.len(), want.len(), "{d} {r:?}");
                if got != want {
                    let i = got.iter().zip(&want).position(|(a, b)| a != b).unwrap();
                    panic!(
                        "{d} {r:?} nan={nan}: word {i}: {:#x} vs {:#x}",
                        got[i], want[i]
                    );
                }
            }
        }
    }
}

/// Values packed around a window's edges: every block's first value (which places the window)
/// and the rest all have exponent fields within 20 of `center` (so their offsets in the window
/// cover below it, both edges and above it), with the largest and smallest mantissas of
/// either sign, zeros of either sign and subnormals mixed in; centres near the smallest and
/// largest fields reach the clamps of the window's start. float16 and bfloat16 come to the
/// GPU as float32 bits, so this also runs their conversions at the edges.
#[test]
fn window_edges_equal_the_cpu() {
    let Some((dev, _one)) = gpu() else { return };
    let g = dev.gpu_device().unwrap();
    let mut rng = Rng(31);
    for d in FLOATS {
        let (mant, ebits) = mant_ebits(d);
        let emax = (1i64 << ebits) - 1;
        let one = |rng: &mut Rng, center: i64| -> u64 {
            let sign = rng.next() & 1;
            let field = match rng.below(16) {
                0 => 0,
                _ => (center + rng.below(41) as i64 - 20).clamp(0, emax - 1),
            } as u64;
            let top = (1u64 << mant) - 1;
            let m = match rng.below(4) {
                0 => top,
                1 => 0,
                2 => 1,
                _ => rng.next() & top,
            };
            (sign << (mant + ebits)) | (field << mant) | m
        };
        for center in [1, 12, emax / 2, emax - 12, emax - 1] {
            let n = 33_001;
            let mut b = Vec::with_capacity(n * d.itemsize());
            for _ in 0..n {
                let v = if d == DType::Complex64 {
                    one(&mut rng, center) | (one(&mut rng, center) << 32)
                } else {
                    one(&mut rng, center)
                };
                b.extend_from_slice(&v.to_le_bytes()[..d.itemsize()]);
            }
            for r in [r3(1, n, 1), r3(1, 3, 11_000), r3(11_000, 3, 1)] {
                let x = &b[..r.input_len() * d.itemsize()];
                let want = exact_reference_words(d, x, false, r);
                let got = g.exact_sum_words(d, x, false, &[r]).unwrap();
                assert_eq!(got, want, "{d} centre {center} {r:?}");
            }
        }
    }
}

#[test]
fn several_passes_merge_accumulators() {
    let Some((dev, _one)) = gpu() else { return };
    let g = dev.gpu_device().unwrap();
    let mut rng = Rng(77);
    for d in FLOATS {
        // [a, b, c] reduced over axes 0 and 2: inner axis first, then axis 0 of [a, b].
        let (a, b, c) = (9, 4, 600);
        let x = random_bytes(&mut rng, d, a * b * c, false, true);
        let got = g
            .exact_sum_words(d, &x, false, &[r3(a * b, c, 1), r3(1, a, b)])
            .unwrap();
        // The reference sums the same elements in another order: [a, b, c] -> [b, a * c].
        let isz = d.itemsize();
        let mut t = Vec::with_capacity(x.len());
        for j in 0..b {
            for i in 0..a {
                let at = (i * b + j) * c * isz;
                t.extend_from_slice(&x[at..at + c * isz]);
            }
        }
        let want = exact_reference_words(d, &t, false, r3(b, a * c, 1));
        assert_eq!(got, want, "{d}");
    }
}

/// Rows far longer than one block (32768 rows) and than lavapipe's 65535-iteration loop cap:
/// blocks merged over two passes.
#[test]
fn long_rows_merge_over_passes() {
    let Some((dev, _one)) = gpu() else { return };
    let g = dev.gpu_device().unwrap();
    let mut rng = Rng(5);
    for d in FLOATS {
        for r in [r3(1, 300_001, 1), r3(2, 70_000, 3)] {
            let b = random_bytes(&mut rng, d, r.input_len(), false, true);
            let want = exact_reference_words(d, &b, true, r);
            assert_eq!(
                g.exact_sum_words(d, &b, true, &[r]).unwrap(),
                want,
                "{d} {r:?}"
            );
        }
    }
}

#[test]
fn rounding_equals_the_cpu() {
    let Some((dev, _one)) = gpu() else { return };
    let g = dev.gpu_device().unwrap();
    let mut rng = Rng(99);
    for d in FLOATS {
        // Accumulators of short random rows (few values: results near ties, subnormals and
        // the largest finite occur), of long ones, of all-cancelling ones.
        let mut words = Vec::new();
        let mut n = 0;
        for (len, specials, cancel) in [
            (1, true, false),
            (2, true, false),
            (3, false, false),
            (50, false, true),
            (2, false, true),
        ] {
            let rows = 300;
            let x = random_bytes(&mut rng, d, rows * len, specials, cancel);
            words.extend(exact_reference_words(d, &x, false, r3(rows, len, 1)));
            n += rows;
        }
        for count in [1usize, 0, 3, 7, 10, 1000, 65_537, (1 << 31) - 1] {
            let want = exact_reference_round(d, &words, count, None);
            let got = g.exact_round_bytes(d, &words, count, None).unwrap();
            assert_bytes(d, &got, &want, &format!("count {count}"));
        }
        let counts: Vec<i64> = (0..n).map(|_| rng.below(2000) as i64).collect();
        let want = exact_reference_round(d, &words, 0, Some(&counts));
        let got = g.exact_round_bytes(d, &words, 0, Some(&counts)).unwrap();
        assert_bytes(d, &got, &want, "counts");
    }
}

fn assert_bytes(d: DType, got: &[u8], want: &[u8], what: &str) {
    assert_eq!(got.len(), want.len(), "{d} {what}");
    let s = d.itemsize().min(4);
    for (i, (a, b)) in got.chunks(s).zip(want.chunks(s)).enumerate() {
        assert_eq!(a, b, "{d} {what}: value {i}");
    }
}

/// Speed on this adapter: the exact float32 sum beside the float32 pairwise sum, in one run
/// (`cargo test --lib exact_speed -- --ignored --nocapture`).
#[test]
#[ignore]
fn exact_speed() {
    use crate::Tensor;
    let Some((dev, _one)) = gpu() else { return };
    let g = dev.gpu_device().unwrap();
    let n = 1 << 23;
    let host: Vec<f32> = (0..n).map(|i| ((i * 7919) % 1000) as f32 * 0.01).collect();
    let x = Tensor::from_slice(&dev, &[n], &host).unwrap();
    let rows = Tensor::from_slice(&dev, &[n / 1024, 1024], &host).unwrap();
    let time = |f: &dyn Fn()| {
        f();
        g.sync().unwrap();
        let mut v: Vec<f64> = (0..5)
            .map(|_| {
                let t = std::time::Instant::now();
                f();
                g.sync().unwrap();
                t.elapsed().as_secs_f64()
            })
            .collect();
        v.sort_by(f64::total_cmp);
        v[2]
    };
    let gbs = |bytes: usize, s: f64| bytes as f64 / s / 1e9;
    // The pairwise float kernel: a float product runs the tree of the former float sums
    // (fold.wgsl, `a * b` for `a + b`), so it stands in for them.
    let x64 = x.cast(DType::Float64).unwrap();
    let rows_of: [(&str, usize, &dyn Fn()); 9] = [
        ("pairwise f32 kernel (prod), all", n * 4, &|| {
            drop(x.prod(Axes::All, false).unwrap())
        }),
        ("exact sum f32, all", n * 4, &|| {
            drop(x.sum(Axes::All, false).unwrap())
        }),
        ("exact sum f32, all, first pass only", n * 4, &|| {
            g.bench_exact_sum(&x, r3(1, n, 1), false).unwrap()
        }),
        ("pairwise f32 kernel (prod), axis 0", n * 4, &|| {
            drop(rows.prod(0, false).unwrap())
        }),
        ("exact sum f32, axis 0", n * 4, &|| {
            drop(rows.sum(0, false).unwrap())
        }),
        ("pairwise f32 kernel (prod), axis 1", n * 4, &|| {
            drop(rows.prod(1, false).unwrap())
        }),
        ("exact sum f32, axis 1", n * 4, &|| {
            drop(rows.sum(1, false).unwrap())
        }),
        ("pairwise f64 kernel (prod), all", n * 8, &|| {
            drop(x64.prod(Axes::All, false).unwrap())
        }),
        ("exact sum f64, all", n * 8, &|| {
            drop(x64.sum(Axes::All, false).unwrap())
        }),
    ];
    for (name, bytes, f) in rows_of {
        println!("{name:<40} {:>7.3} GB/s", gbs(bytes, time(f)));
    }
}

/// Tensor-level: sum, nansum, mean and nanmean of every float dtype give the CPU's bytes on
/// the GPU, over every axis, several axes at once (several passes) and all axes.
#[test]
fn ops_equal_the_cpu_bytes() {
    let Some((g, _one)) = gpu() else { return };
    let c = Device::cpu();
    let mut rng = Rng(2024);
    let shape = [7, 33, 50];
    let n: usize = shape.iter().product();
    let axes = [
        Axes::All,
        Axes::List(vec![0]),
        Axes::List(vec![1]),
        Axes::List(vec![2]),
        Axes::List(vec![0, 2]),
        Axes::List(vec![1, 2]),
    ];
    for d in FLOATS {
        for (k, specials) in [(0, false), (1, true)] {
            let b = random_bytes(&mut rng, d, n, specials, k == 0);
            let tc = crate::Tensor::from_bytes(&c, &shape, d, &b).unwrap();
            let tg = crate::Tensor::from_bytes(&g, &shape, d, &b).unwrap();
            for op in [
                ReduceOp::Sum,
                ReduceOp::NanSum,
                ReduceOp::Mean,
                ReduceOp::NanMean,
            ] {
                for a in &axes {
                    let want = bytes(&tc.reduce(op, a.clone(), false).unwrap());
                    let got = bytes(&tg.reduce(op, a.clone(), false).unwrap());
                    assert_bytes(d, &got, &want, &format!("{op} {a:?} specials={specials}"));
                }
            }
        }
    }
}
