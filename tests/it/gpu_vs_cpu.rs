//! The GPU device against the CPU device: the same bytes for argmax, cast and integer sums;
//! float sums within eps·log2(n)·Σ|x| of an exact reference. Every op x dtype x ranks 0-5 x
//! random axes, with and without edge values; float64 sums on both the native and the
//! emulated path.

use crate::common;

use common::data::{random_bytes, tensor};
use common::{Rng, bytes};
use half::{bf16, f16};
use ndgpu::{Axes, DType, Device, Tensor};

fn gpu() -> Device {
    common::gpu().expect("no GPU adapter: these tests need one (lavapipe in CI)")
}

/// A random shape of `rank` with small extents (sometimes 1, rarely 0).
fn shape(rng: &mut Rng, rank: usize, allow_empty: bool) -> Vec<usize> {
    (0..rank)
        .map(|_| match rng.below(12) {
            0 if allow_empty => 0,
            1 | 2 => 1,
            3 => 1 + rng.below(300) as usize,
            _ => 1 + rng.below(7) as usize,
        })
        .collect()
}

fn random_axes(rng: &mut Rng, rank: usize) -> Axes {
    if rank == 0 || rng.below(5) == 0 {
        return Axes::All;
    }
    let mut v: Vec<isize> = Vec::new();
    for a in 0..rank as isize {
        if rng.below(2) == 0 {
            v.push(if rng.below(2) == 0 {
                a - rank as isize
            } else {
                a
            });
        }
    }
    if v.is_empty() {
        v.push(rng.below(rank as u64) as isize);
    }
    Axes::List(v)
}

/// Cases: (dtype, shape, data bytes) for every dtype and rank, with and without edge values.
fn cases(seed: u64, per_rank: usize, allow_empty: bool) -> Vec<(DType, Vec<usize>, Vec<u8>, bool)> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for d in DType::ALL {
        for rank in 0..=5 {
            for k in 0..per_rank {
                let s = shape(&mut rng, rank, allow_empty);
                let mut n: usize = s.iter().product();
                while n > 20_000 {
                    n /= 2;
                }
                let s = if s.iter().product::<usize>() != n {
                    vec![n]
                } else {
                    s
                };
                let edges = k % 2 == 1;
                out.push((d, s, random_bytes(&mut rng, d, n, edges), edges));
            }
        }
    }
    out
}

#[test]
fn cast_every_pair_every_rank_same_bytes() {
    let (g, c) = (gpu(), Device::cpu());
    for (d, s, b, _) in cases(11, 2, true) {
        let (tc, tg) = (tensor(&c, &s, d, &b), tensor(&g, &s, d, &b));
        assert_eq!(bytes(&tc), bytes(&tg), "round trip {d} {s:?}");
        for to in DType::ALL {
            let xc = tc.cast(to).unwrap();
            let xg = tg.cast(to).unwrap();
            assert_eq!(xg.shape(), xc.shape());
            assert_eq!(bytes(&xc), bytes(&xg), "cast {d} -> {to}, shape {s:?}");
        }
    }
}

#[test]
fn cast_all_pairs_odd_lengths_and_edges() {
    let (g, c) = (gpu(), Device::cpu());
    let mut rng = Rng::new(5);
    for d in DType::ALL {
        for n in [1usize, 3, 5, 7, 4099] {
            let b = random_bytes(&mut rng, d, n, true);
            let (tc, tg) = (tensor(&c, &[n], d, &b), tensor(&g, &[n], d, &b));
            for to in DType::ALL {
                assert_eq!(
                    bytes(&tc.cast(to).unwrap()),
                    bytes(&tg.cast(to).unwrap()),
                    "cast {d} -> {to}, n {n}"
                );
            }
        }
    }
}

#[test]
fn argmax_every_dtype_rank_axis_same_bytes() {
    let (g, c) = (gpu(), Device::cpu());
    let mut rng = Rng::new(7);
    for (d, s, b, _) in cases(13, 3, false) {
        let (tc, tg) = (tensor(&c, &s, d, &b), tensor(&g, &s, d, &b));
        let axis = if s.is_empty() || rng.below(4) == 0 {
            None
        } else {
            let a = rng.below(s.len() as u64) as isize;
            Some(if rng.below(2) == 0 {
                a
            } else {
                a - s.len() as isize
            })
        };
        let keep = rng.below(2) == 0;
        let (ac, ag) = (tc.argmax(axis, keep), tg.argmax(axis, keep));
        match (ac, ag) {
            (Ok(ac), Ok(ag)) => {
                assert_eq!(ac.shape(), ag.shape());
                assert_eq!(bytes(&ac), bytes(&ag), "argmax {d} {s:?} axis {axis:?}");
            }
            (Err(_), Err(_)) => {}
            (a, b) => panic!("argmax {d} {s:?} {axis:?}: cpu {a:?} gpu {b:?}"),
        }
    }
}

#[test]
fn argmax_long_rows_and_ties() {
    let (g, c) = (gpu(), Device::cpu());
    // Ties everywhere: the first index must win across lanes, blocks and passes.
    for (len, inner) in [(300_000usize, 1usize), (70_000, 3), (1025, 64)] {
        let mut v = vec![1.0f32; len * inner];
        for i in (0..v.len()).step_by(7919) {
            v[i] = 2.0;
        }
        let (tc, tg) = (
            Tensor::from_vec(&c, &[len, inner], v.clone()).unwrap(),
            Tensor::from_vec(&g, &[len, inner], v).unwrap(),
        );
        for axis in [Some(0), None] {
            assert_eq!(
                bytes(&tc.argmax(axis, false).unwrap()),
                bytes(&tg.argmax(axis, false).unwrap()),
                "{len}x{inner} {axis:?}"
            );
        }
    }
}

#[test]
fn integer_sums_same_bytes() {
    let (g, c) = (gpu(), Device::cpu());
    let mut rng = Rng::new(17);
    for (d, s, b, _) in cases(19, 3, true) {
        if d.is_float() || d == DType::Complex64 {
            continue;
        }
        let (tc, tg) = (tensor(&c, &s, d, &b), tensor(&g, &s, d, &b));
        let axes = random_axes(&mut rng, s.len());
        let keep = rng.below(2) == 0;
        let (sc, sg) = (
            tc.sum(axes.clone(), keep).unwrap(),
            tg.sum(axes.clone(), keep).unwrap(),
        );
        assert_eq!(sc.shape(), sg.shape());
        assert_eq!(bytes(&sc), bytes(&sg), "sum {d} {s:?} {axes:?}");
    }
}

/// Element `i` of float-like bytes as f64 (complex: `part` 0 real, 1 imaginary).
fn value(d: DType, b: &[u8], i: usize, part: usize) -> f64 {
    let at = |k: usize, n: usize| -> u64 {
        let mut w = [0u8; 8];
        w[..n].copy_from_slice(&b[k * n..k * n + n]);
        u64::from_le_bytes(w)
    };
    match d {
        DType::Float16 => f16::from_bits(at(i, 2) as u16).to_f64(),
        DType::BFloat16 => bf16::from_bits(at(i, 2) as u16).to_f64(),
        DType::Float32 => f32::from_bits(at(i, 4) as u32) as f64,
        DType::Float64 => f64::from_bits(at(i, 8)),
        _ => f32::from_bits(at(2 * i + part, 4) as u32) as f64,
    }
}

/// For each output element (C order of the kept axes): the reduced values.
fn buckets(shape: &[usize], axes: &Axes, vals: &[f64]) -> Vec<Vec<f64>> {
    let rank = shape.len();
    let red: Vec<bool> = match axes {
        Axes::All => vec![true; rank],
        Axes::List(v) => (0..rank)
            .map(|a| {
                v.iter()
                    .any(|&x| (x + rank as isize) as usize % rank.max(1) == a)
            })
            .collect(),
    };
    let out_n: usize = (0..rank).filter(|&a| !red[a]).map(|a| shape[a]).product();
    let mut out = vec![Vec::new(); out_n];
    let mut idx = vec![0usize; rank];
    for &v in vals {
        let mut o = 0;
        for a in 0..rank {
            if !red[a] {
                o = o * shape[a] + idx[a];
            }
        }
        out[o].push(v);
        for a in (0..rank).rev() {
            idx[a] += 1;
            if idx[a] < shape[a] {
                break;
            }
            idx[a] = 0;
        }
    }
    out
}

/// Neumaier's compensated sum: exact enough to judge an f64 sum of these sizes.
fn exact(v: &[f64]) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for &x in v {
        let t = s + x;
        c += if s.abs() >= x.abs() {
            (s - t) + x
        } else {
            (x - t) + s
        };
        s = t;
    }
    s + c
}

fn check_float_sum(d: DType, s: &[usize], b: &[u8], axes: &Axes, cpu: &Tensor, got: &Tensor) {
    let n: usize = s.iter().product();
    let parts = if d == DType::Complex64 { 2 } else { 1 };
    let out = bytes(got);
    let cpu_out = bytes(cpu);
    let out_d = d;
    let eps = if d == DType::Float64 {
        f64::EPSILON
    } else {
        f32::EPSILON as f64
    };
    for part in 0..parts {
        let vals: Vec<f64> = (0..n).map(|i| value(d, b, i, part)).collect();
        for (o, bucket) in buckets(s, axes, &vals).iter().enumerate() {
            let g = value(out_d, &out, o, part);
            let cv = value(out_d, &cpu_out, o, part);
            if !cv.is_finite() || bucket.iter().any(|x| !x.is_finite()) {
                // Non-finite results: the same class as the CPU's.
                let same = (g.is_nan() && cv.is_nan()) || g == cv;
                assert!(same, "{d} {s:?} {axes:?} out {o}: gpu {g} cpu {cv}");
                continue;
            }
            let r = exact(bucket);
            let abs: f64 = bucket.iter().map(|x| x.abs()).sum();
            let levels = (bucket.len().max(2) as f64).log2().ceil() + 2.0;
            let mut bound = eps * levels * abs;
            bound += match d {
                DType::Float16 => r.abs() * 2f64.powi(-11) + 2f64.powi(-25),
                DType::BFloat16 => r.abs() * 2f64.powi(-8) + 2f64.powi(-134),
                _ => 0.0,
            };
            if !g.is_finite() && !cv.is_finite() {
                continue; // a finite exact sum that overflows the output type on both devices
            }
            assert!(
                (g - r).abs() <= bound,
                "{d} {s:?} {axes:?} out {o}: gpu {g} exact {r} bound {bound} cpu {cv}"
            );
        }
    }
}

#[test]
fn float_sums_within_bound() {
    let (g, c) = (gpu(), Device::cpu());
    let emu = gpu();
    emu.set_f64_emulation(true);
    let mut rng = Rng::new(23);
    for (d, s, b, _) in cases(29, 3, true) {
        if !(d.is_float() || d == DType::Complex64) {
            continue;
        }
        let axes = random_axes(&mut rng, s.len());
        let keep = rng.below(2) == 0;
        let cpu = tensor(&c, &s, d, &b).sum(axes.clone(), keep).unwrap();
        let got = tensor(&g, &s, d, &b).sum(axes.clone(), keep).unwrap();
        assert_eq!(cpu.shape(), got.shape());
        check_float_sum(d, &s, &b, &axes, &cpu, &got);
        // Exact sums: the same bytes on every device.
        assert_eq!(bytes(&cpu), bytes(&got), "{d} {s:?} {axes:?}");
        if d == DType::Float64 {
            // Same tree, correctly rounded adds: the emulated path gives the native bytes
            // (NaN payloads aside).
            let e = tensor(&emu, &s, d, &b).sum(axes.clone(), keep).unwrap();
            let (nb, eb) = (bytes(&got), bytes(&e));
            for (x, y) in nb.chunks(8).zip(eb.chunks(8)) {
                let (x, y) = (
                    f64::from_le_bytes(x.try_into().unwrap()),
                    f64::from_le_bytes(y.try_into().unwrap()),
                );
                assert!(
                    x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                    "{s:?} {axes:?}: native {x} emulated {y}"
                );
            }
        }
    }
}

#[test]
fn f64_emulated_add_edge_cases() {
    let g = gpu();
    g.set_f64_emulation(true);
    let n = gpu();
    n.set_f64_emulation(false);
    let mut rng = Rng::new(31);
    let specials = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        5e-324,
        -5e-324,
        1e-310,
        f64::MAX,
        -f64::MAX,
        1e308,
        0.1,
        1.0 + f64::EPSILON,
        3.0,
        2f64.powi(53),
        1e16,
        -1e16,
    ];
    // Pairs: a [2, k] tensor summed over axis 0 adds exactly one pair per column.
    let mut a = Vec::new();
    let mut b = Vec::new();
    for &x in &specials {
        for &y in &specials {
            a.push(x);
            b.push(y);
        }
    }
    for _ in 0..5000 {
        let e = |r: u64| f64::from_bits((r & 0x800f_ffff_ffff_ffff) | ((r >> 52) % 2047) << 52);
        let x = e(rng.next_u64());
        let y = if rng.below(2) == 0 {
            -x * (1.0 + rng.below(1000) as f64 * 1e-12)
        } else {
            e(rng.next_u64())
        };
        a.push(x);
        b.push(y);
    }
    let k = a.len();
    let mut data = a.clone();
    data.extend(&b);
    let want: Vec<u64> = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (0.0 + x + y).to_bits())
        .collect();
    for (dev, emulated) in [(&g, true), (&n, false)] {
        let t = Tensor::from_vec(dev, &[2, k], data.clone()).unwrap();
        let got = t.sum(0, false).unwrap().to_ndarray::<f64>().unwrap();
        for (i, v) in got.iter().enumerate() {
            // The sign of a zero sum is not specified (native compilers may drop `0.0 +`).
            let w = f64::from_bits(want[i]);
            assert!(
                *v == w || (v.is_nan() && w.is_nan()),
                "{} + {}: got {v}, want {w}, emulated {emulated}",
                a[i],
                b[i]
            );
        }
    }
}
