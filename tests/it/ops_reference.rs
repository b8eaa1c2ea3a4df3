//! Property tests: every op x dtype x rank 0–5 x random axes against the naive references in
//! tests/common, on every device (the CPU, and the GPU where an adapter exists).

use crate::common;

use common::exact::exact_value;
use common::reference::{cast_value, greater, output_index, same};
use common::values::{Mix, Val, decode, random_tensor};
use ndgpu::{Axes, DType, Device};
use proptest::prelude::*;

fn shape_strategy() -> impl Strategy<Value = Vec<usize>> {
    // Mostly non-empty axes, sometimes an empty one.
    prop::collection::vec(prop_oneof![9 => 1usize..6, 1 => Just(0usize)], 0..=5)
}

fn dtype_strategy() -> impl Strategy<Value = DType> {
    (0..DType::ALL.len()).prop_map(|i| DType::ALL[i])
}

/// A random subset of the axes, each written as a positive or a negative index.
fn axes_for(ndim: usize, pick: u64) -> (Axes, Vec<bool>) {
    if pick.is_multiple_of(5) {
        return (Axes::All, vec![true; ndim]);
    }
    let mut list = Vec::new();
    let mut mask = vec![false; ndim];
    for (a, m) in mask.iter_mut().enumerate() {
        if pick >> (a + 3) & 1 == 1 {
            *m = true;
            let neg = pick >> (a + 11) & 1 == 1;
            list.push(if neg {
                a as isize - ndim as isize
            } else {
                a as isize
            });
        }
    }
    list.reverse(); // order of the list does not matter
    (Axes::List(list), mask)
}

fn reduced_shape(shape: &[usize], mask: &[bool], keepdims: bool) -> Vec<usize> {
    shape
        .iter()
        .zip(mask)
        .filter_map(|(&d, &m)| {
            if !m {
                Some(d)
            } else if keepdims {
                Some(1)
            } else {
                None
            }
        })
        .collect()
}

fn check_sum(device: &Device, dtype: DType, shape: &[usize], pick: u64, keepdims: bool, seed: u64) {
    check_sum_of(
        device,
        dtype,
        shape,
        pick,
        keepdims,
        seed,
        Mix {
            special: 20,
            bounded: true,
            positive: false,
        },
    );
}

fn check_sum_of(
    device: &Device,
    dtype: DType,
    shape: &[usize],
    pick: u64,
    keepdims: bool,
    seed: u64,
    mix: Mix,
) {
    let x = random_tensor(device, dtype, shape, seed, mix);
    let (axes, mask) = axes_for(shape.len(), pick);
    let got = x.sum(axes.clone(), keepdims).unwrap();
    let ctx = format!(
        "{device} sum {dtype} shape {shape:?} axes {axes:?} keepdims {keepdims} seed {seed}"
    );
    assert_eq!(got.dtype(), dtype.sum_dtype(), "{ctx}");
    assert_eq!(got.shape(), reduced_shape(shape, &mask, keepdims), "{ctx}");
    let got = decode(&got);
    let input = decode(&x);
    let map = output_index(shape, &mask);
    let n_out = got.len();
    match dtype.sum_dtype() {
        DType::Int64 | DType::UInt64 => {
            let mut acc = vec![0i128; n_out];
            for (v, &o) in input.iter().zip(&map) {
                acc[o] += match v {
                    Val::I(i) => *i,
                    Val::B(b) => *b as i128,
                    _ => unreachable!(),
                };
            }
            for (o, (g, a)) in got.iter().zip(acc).enumerate() {
                let want = if dtype.sum_dtype() == DType::Int64 {
                    a.rem_euclid(1 << 64) as u64 as i64 as i128
                } else {
                    a.rem_euclid(1 << 64)
                };
                assert_eq!(*g, Val::I(want), "{ctx}: output {o}");
            }
        }
        _ => {
            // Exact sums: the exact value rounded once, bit for bit.
            let mut re = vec![Vec::new(); n_out];
            let mut im = vec![Vec::new(); n_out];
            for (v, &o) in input.iter().zip(&map) {
                match *v {
                    Val::F(x) => re[o].push(x),
                    Val::C(a, b) => {
                        re[o].push(a);
                        im[o].push(b);
                    }
                    _ => unreachable!(),
                }
            }
            let same_bits =
                |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
            for (o, g) in got.iter().enumerate() {
                let ok = match *g {
                    Val::F(x) => same_bits(x, exact_value(&re[o], 1, dtype)),
                    Val::C(a, b) => {
                        same_bits(a, exact_value(&re[o], 1, dtype))
                            && same_bits(b, exact_value(&im[o], 1, dtype))
                    }
                    _ => unreachable!(),
                };
                assert!(ok, "{ctx}: output {o}: got {g:?}");
            }
        }
    }
}

fn check_argmax(
    device: &Device,
    dtype: DType,
    shape: &[usize],
    pick: u64,
    keepdims: bool,
    seed: u64,
) {
    let mix = Mix {
        special: 60,
        bounded: false,
        positive: false,
    };
    let x = random_tensor(device, dtype, shape, seed, mix);
    let axis = if pick.is_multiple_of(4) || shape.is_empty() {
        None
    } else {
        let a = (pick / 4) as usize % shape.len();
        Some(if pick & 64 != 0 {
            a as isize - shape.len() as isize
        } else {
            a as isize
        })
    };
    let ctx = format!("{device} argmax {dtype} shape {shape:?} axis {axis:?} seed {seed}");
    let mask: Vec<bool> = (0..shape.len())
        .map(|i| axis.is_none_or(|a| a.rem_euclid(shape.len() as isize) as usize == i))
        .collect();
    let reduced: usize = shape
        .iter()
        .zip(&mask)
        .filter(|(_, m)| **m)
        .map(|(&d, _)| d)
        .product();
    let got = x.argmax(axis, keepdims);
    if reduced == 0 {
        assert!(
            got.is_err(),
            "{ctx}: expected an error for an empty reduction"
        );
        return;
    }
    let got = got.unwrap();
    assert_eq!(got.dtype(), DType::Int64, "{ctx}");
    assert_eq!(got.shape(), reduced_shape(shape, &mask, keepdims), "{ctx}");
    let got = decode(&got);
    let input = decode(&x);
    let map = output_index(shape, &mask);
    // Position of each input element along the reduced axes (flat for axis=None).
    let along: Vec<usize> = match axis {
        None => (0..input.len()).collect(),
        Some(_) => {
            let a = mask.iter().position(|&m| m).unwrap();
            let inner: usize = shape[a + 1..].iter().product();
            (0..input.len()).map(|i| (i / inner) % shape[a]).collect()
        }
    };
    let mut best: Vec<Option<(Val, usize)>> = vec![None; got.len()];
    for ((&v, &o), &k) in input.iter().zip(&map).zip(&along) {
        match best[o] {
            Some((b, _)) if !greater(v, b) => {}
            _ => best[o] = Some((v, k)),
        }
    }
    for (o, (g, b)) in got.iter().zip(best).enumerate() {
        assert_eq!(*g, Val::I(b.unwrap().1 as i128), "{ctx}: output {o}");
    }
}

fn check_cast(device: &Device, from: DType, to: DType, shape: &[usize], seed: u64) {
    let mix = Mix {
        special: 100,
        bounded: false,
        positive: false,
    };
    let x = random_tensor(device, from, shape, seed, mix);
    let ctx = format!("{device} cast {from} -> {to} shape {shape:?} seed {seed}");
    let got = x.cast(to).unwrap();
    assert_eq!((got.dtype(), got.shape()), (to, shape), "{ctx}");
    for (i, (v, g)) in decode(&x).into_iter().zip(decode(&got)).enumerate() {
        if let Some(want) = cast_value(v, to) {
            assert!(
                same(g, want),
                "{ctx}: element {i}: {v:?} gave {g:?}, expected {want:?}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn sum_matches_reference(dtype in dtype_strategy(), shape in shape_strategy(), pick: u64, keepdims: bool, seed: u64) {
        for device in common::devices() {
            check_sum(&device, dtype, &shape, pick, keepdims, seed);
        }
    }

    #[test]
    fn argmax_matches_reference(dtype in dtype_strategy(), shape in shape_strategy(), pick: u64, keepdims: bool, seed: u64) {
        for device in common::devices() {
            check_argmax(&device, dtype, &shape, pick, keepdims, seed);
        }
    }

    #[test]
    fn cast_matches_reference(from in dtype_strategy(), to in dtype_strategy(), shape in shape_strategy(), seed: u64) {
        for device in common::devices() {
            check_cast(&device, from, to, &shape, seed);
        }
    }
}

/// Longer rows than the kernels' blocks and tasks, on every axis of a 3-D array, so the
/// blocked kernels and parallel splits are checked against the exact reference too.
#[test]
fn large_sums_are_exact() {
    for device in common::devices() {
        for dtype in [
            DType::Float32,
            DType::Float16,
            DType::Float64,
            DType::Complex64,
            DType::Int32,
        ] {
            let shape = [3, 1000, 70];
            let hard = Mix {
                special: 0,
                bounded: true,
                positive: true,
            };
            // float16 holds sums up to 65504 only: keep its all-positive inputs shorter.
            let (slab, row) = if dtype == DType::Float16 {
                ([2, 1000, 7], 10_001)
            } else {
                ([30, 1000, 7], 300_001)
            };
            for pick in [0u64, 0b1000, 0b10000, 0b100000, 0b101000] {
                check_sum(&device, dtype, &shape, pick, false, 7 + pick);
                check_sum_of(&device, dtype, &slab, pick, false, 9 + pick, hard);
            }
            check_sum(&device, dtype, &[300_001], 0, false, 11);
            check_sum_of(&device, dtype, &[row], 0, false, 13, hard);
        }
    }
}

#[test]
fn every_cast_pair_on_every_edge_value() {
    for device in common::devices() {
        for from in DType::ALL {
            for to in DType::ALL {
                check_cast(&device, from, to, &[257], 3);
            }
        }
    }
}

#[test]
fn long_argmax_rows_keep_the_first_maximum() {
    for device in common::devices() {
        for dtype in [
            DType::Float32,
            DType::Float64,
            DType::Float16,
            DType::Int64,
            DType::UInt8,
            DType::Complex64,
        ] {
            check_argmax(&device, dtype, &[200_003], 0, false, 5);
            check_argmax(&device, dtype, &[7, 3001, 5], 4, false, 6);
            check_argmax(&device, dtype, &[3001, 33], 4 * 2, true, 8);
        }
    }
}
