//! NumPy's reduce family on every device: each value-reduction and arg-reduction over every
//! dtype, several ranks and axis sets, checked against a naive reference written here (plain
//! loops over widened values), CPU against GPU byte for byte where the contract says the bytes
//! agree, and streamed files (tiny chunks) against in-memory results byte for byte.

use crate::common;

use common::exact::exact_value;
use common::reference::{cast_value, output_index};
use common::values::{Mix, Val, bytes, decode, random_tensor};
use half::{bf16, f16};
use ndgpu::npy::stream::{self, StreamOptions};
use ndgpu::{Axes, DType, Device, Error, ReduceOp, Tensor};

const MIX: Mix = Mix {
    special: 120,
    bounded: true,
    positive: false,
};

/// Shapes and axis sets: ranks 0-4, reduced runs at the front, middle and back, several runs.
fn cases() -> Vec<(Vec<usize>, Axes)> {
    let l = |v: &[isize]| Axes::List(v.to_vec());
    vec![
        (vec![], Axes::All),
        (vec![37], Axes::All),
        (vec![37], l(&[0])),
        (vec![5, 9], l(&[0])),
        (vec![5, 9], l(&[-1])),
        (vec![4, 3, 6], l(&[0, 2])),
        (vec![4, 3, 6], l(&[1])),
        (vec![2, 3, 2, 5], l(&[1, 2])),
        (vec![3, 1, 4], Axes::All),
        (vec![300], Axes::All),
    ]
}

fn mask_of(shape: &[usize], axes: &Axes) -> Vec<bool> {
    match axes {
        Axes::All => vec![true; shape.len()],
        Axes::List(l) => (0..shape.len())
            .map(|i| {
                l.iter()
                    .any(|&a| (a + shape.len() as isize) as usize % shape.len().max(1) == i)
            })
            .collect(),
    }
}

/// The naive result of a value-reduction over one slice, as a widened value; `None` when the
/// result is a float sum or product to be checked with a tolerance instead.
fn reference(op: ReduceOp, dtype: DType, xs: &[Val]) -> Val {
    let nonzero = |v: &Val| match *v {
        Val::B(b) => b,
        Val::I(i) => i != 0,
        Val::F(f) => f != 0.0,
        Val::C(a, b) => a != 0.0 || b != 0.0,
    };
    let skip = op.skips_nan();
    let kept: Vec<Val> = xs
        .iter()
        .copied()
        .filter(|v| !(skip && v.is_nan()))
        .collect();
    let wrap = |x: i128| {
        if matches!(op.out_dtype(dtype), DType::UInt64) {
            Val::I(x.rem_euclid(1 << 64))
        } else {
            Val::I(x.rem_euclid(1 << 64) as u64 as i64 as i128)
        }
    };
    let as_int = |v: &Val| match *v {
        Val::B(b) => b as i128,
        Val::I(i) => i,
        _ => unreachable!(),
    };
    let float = dtype.is_float() || dtype == DType::Complex64;
    match op {
        ReduceOp::Any => Val::B(xs.iter().any(nonzero)),
        ReduceOp::All => Val::B(xs.iter().all(nonzero)),
        ReduceOp::CountNonzero => Val::I(xs.iter().filter(|v| nonzero(v)).count() as i128),
        ReduceOp::Sum | ReduceOp::NanSum if !float => {
            wrap(kept.iter().map(as_int).fold(0, |a, b| a.wrapping_add(b)))
        }
        ReduceOp::Prod | ReduceOp::NanProd if !float => wrap(
            kept.iter()
                .map(as_int)
                .fold(1i128, |a, b| (a.wrapping_mul(b)).rem_euclid(1 << 64)),
        ),
        ReduceOp::Ptp => {
            // max - min rounded once to the dtype: a difference of two float16 or bfloat16
            // values is exact in f64, and rounding float32's through f64 first is harmless
            // (53 >= 2 * 24 + 2 bits).
            let round = |x: f64| match dtype {
                DType::Float16 => f16::from_f64(x).to_f64(),
                DType::BFloat16 => bf16::from_f64(x).to_f64(),
                DType::Float32 | DType::Complex64 => x as f32 as f64,
                _ => x,
            };
            let hi = reference(ReduceOp::Max, dtype, xs);
            match (hi, reference(ReduceOp::Min, dtype, xs)) {
                (Val::I(a), Val::I(b)) => cast_value(Val::I(a - b), dtype).expect("an integer"),
                (Val::F(a), Val::F(b)) => Val::F(round(a - b)),
                (Val::C(a, b), Val::C(c, d)) => Val::C(round(a - c), round(b - d)),
                (hi, lo) => unreachable!("ptp of {hi:?} and {lo:?}"),
            }
        }
        ReduceOp::Max | ReduceOp::Min | ReduceOp::NanMax | ReduceOp::NanMin => {
            let max = matches!(op, ReduceOp::Max | ReduceOp::NanMax);
            if let Some(nan) = kept.iter().find(|v| v.is_nan()) {
                return *nan;
            }
            if kept.is_empty() {
                return Val::F(f64::NAN);
            }
            let better = |a: &Val, b: &Val| match (a, b) {
                (Val::F(x), Val::F(y)) => (max && x > y) || (!max && x < y),
                (Val::C(a, b), Val::C(c, d)) => {
                    let gt = a > c || (a == c && b > d);
                    let lt = a < c || (a == c && b < d);
                    (max && gt) || (!max && lt)
                }
                (Val::B(x), Val::B(y)) => (max && x > y) || (!max && x < y),
                (Val::I(x), Val::I(y)) => (max && x > y) || (!max && x < y),
                _ => false,
            };
            let mut best = kept[0];
            for v in &kept[1..] {
                if better(v, &best) {
                    best = *v;
                }
            }
            best
        }
        _ => {
            // Float sums and means: the exact value rounded once; products: in f64 (checked
            // with a bound).
            let (re, im): (Vec<f64>, Vec<f64>) = kept
                .iter()
                .map(|v| match *v {
                    Val::B(b) => (b as u8 as f64, 0.0),
                    Val::I(i) => (i as f64, 0.0),
                    Val::F(f) => (f, 0.0),
                    Val::C(a, b) => (a, b),
                })
                .unzip();
            let n = kept.len() as u64;
            // Exact sums: the exact value rounded once to the output dtype.
            let exact = |count: u64| {
                let (s, t) = if float {
                    (
                        exact_value(&re, count, dtype),
                        exact_value(&im, count, dtype),
                    )
                } else {
                    // Integer means: a float64 sum (checked with a bound).
                    let n = count as f64;
                    (re.iter().sum::<f64>() / n, im.iter().sum::<f64>() / n)
                };
                if dtype == DType::Complex64 {
                    Val::C(s, t)
                } else {
                    Val::F(s)
                }
            };
            match op {
                ReduceOp::Mean | ReduceOp::NanMean => exact(n),
                ReduceOp::Sum | ReduceOp::NanSum => exact(1),
                ReduceOp::Prod | ReduceOp::NanProd if dtype != DType::Complex64 => {
                    Val::F(re.iter().product())
                }
                ReduceOp::Prod | ReduceOp::NanProd => {
                    let mut p = (1.0f64, 0.0f64);
                    for (a, b) in re.iter().zip(&im) {
                        p = (p.0 * a - p.1 * b, p.0 * b + p.1 * a);
                    }
                    if dtype == DType::Complex64 {
                        Val::C(p.0, p.1)
                    } else {
                        Val::F(p.0)
                    }
                }
                _ => unreachable!("{op}"),
            }
        }
    }
}

fn close(got: f64, want: f64, eps: f64, scale: f64) -> bool {
    if !got.is_finite() || !want.is_finite() || eps == 0.0 {
        return got == want || (got.is_nan() && want.is_nan());
    }
    (got - want).abs() <= eps * scale.max(want.abs()) + 1e-300
}

/// Same value, bit for bit (a widened result: any NaN matches any NaN, the zeros differ).
fn same_bits(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn agrees(op: ReduceOp, dtype: DType, got: Val, want: Val, scale: f64) -> bool {
    if exact_float_sum(op, dtype) {
        return match (got, want) {
            (Val::F(a), Val::F(b)) => same_bits(a, b),
            (Val::C(a, b), Val::C(c, d)) => same_bits(a, c) && same_bits(b, d),
            _ => false,
        };
    }
    // Only float products round: everything else is exact.
    let exact = !bytes_may_differ(op, dtype);
    let eps = match op.out_dtype(dtype) {
        _ if exact => 0.0,
        DType::Float16 => 4e-3,
        DType::BFloat16 => 3e-2,
        DType::Float64 => 1e-12,
        _ => 1e-5,
    };
    let product = matches!(op, ReduceOp::Prod | ReduceOp::NanProd);
    match (got, want) {
        // A product through an infinity and a partial product that underflows to 0 is NaN in
        // one grouping and inf in another (inf * 0): only that pair may differ so.
        (Val::F(a), Val::F(b)) if product && a.is_nan() != b.is_nan() => {
            a.is_infinite() || b.is_infinite()
        }
        (Val::F(a), Val::F(b)) => close(a, b, eps, scale),
        // A complex with a NaN part is NaN (NumPy's isnan), whatever its other part.
        (Val::C(..), Val::C(..)) if got.is_nan() && want.is_nan() => true,
        (Val::C(a, b), Val::C(c, d)) => {
            // A complex product through an infinity has no one IEEE answer (inf * 0 terms):
            // its parts depend on the grouping, so only finite products are compared.
            let finite = [a, b, c, d].iter().all(|x| x.is_finite());
            (product && !finite) || (close(a, c, eps, scale) && close(b, d, eps, scale))
        }
        (Val::I(a), Val::I(b)) => a == b,
        (Val::B(a), Val::B(b)) => a == b,
        (Val::F(a), Val::I(b)) => close(a, b as f64, eps, scale),
        (Val::F(a), Val::B(b)) => a == b as u8 as f64,
        _ => false,
    }
}

/// False for a float product some partial product of which may leave the accumulator's
/// range (the contract bounds a product only when none overflows or underflows).
fn product_in_range(op: ReduceOp, dtype: DType, xs: &[Val]) -> bool {
    if !matches!(op, ReduceOp::Prod | ReduceOp::NanProd) {
        return true;
    }
    let (lo, hi) = match dtype {
        DType::Float64 => (f64::MIN_POSITIVE, f64::MAX),
        DType::Float16 | DType::BFloat16 | DType::Float32 | DType::Complex64 => {
            (f32::MIN_POSITIVE as f64, f32::MAX as f64)
        }
        _ => return true,
    };
    let mags: Vec<f64> = xs
        .iter()
        .filter_map(|v| match *v {
            Val::F(f) if f.is_finite() && f != 0.0 => Some(f.abs().ln()),
            Val::C(a, b) if a.is_finite() && b.is_finite() && (a != 0.0 || b != 0.0) => {
                Some(a.hypot(b).ln())
            }
            _ => None,
        })
        .collect();
    // Any partial product lies between the sums of the negative and of the positive logs.
    let down: f64 = mags.iter().filter(|&&m| m < 0.0).sum();
    let up: f64 = mags.iter().filter(|&&m| m > 0.0).sum();
    down > lo.ln() + 10.0 && up < hi.ln() - 10.0
}

/// The slices each output reduces, as widened input values.
fn slices(x: &Tensor, mask: &[bool]) -> Vec<Vec<Val>> {
    let vals = decode(x);
    let out = output_index(x.shape(), mask);
    let n_out = out.iter().max().map_or(1, |m| m + 1);
    let mut s = vec![Vec::new(); n_out];
    for (v, o) in vals.into_iter().zip(out) {
        s[o].push(v);
    }
    s
}

fn value_ops() -> Vec<ReduceOp> {
    ReduceOp::ALL
        .into_iter()
        .filter(|op| !op.is_arg())
        .collect()
}

fn float_out(op: ReduceOp, dtype: DType) -> bool {
    matches!(
        op.out_dtype(dtype),
        DType::Float16 | DType::BFloat16 | DType::Float32 | DType::Float64 | DType::Complex64
    )
}

/// True when the contract lets the devices differ in the last bits (float products, and the
/// float64 sums of integer means).
fn bytes_may_differ(op: ReduceOp, dtype: DType) -> bool {
    float_out(op, dtype)
        && (matches!(op, ReduceOp::Prod | ReduceOp::NanProd)
            || (!exact_float_sum(op, dtype) && matches!(op, ReduceOp::Mean | ReduceOp::NanMean)))
}

/// True for the exact float sums and means (of float inputs: integer means stay float64
/// sums): the exact result rounded once, the same bytes everywhere.
fn exact_float_sum(op: ReduceOp, dtype: DType) -> bool {
    (dtype.is_float() || dtype == DType::Complex64)
        && matches!(
            op,
            ReduceOp::Sum | ReduceOp::NanSum | ReduceOp::Mean | ReduceOp::NanMean
        )
}

#[test]
fn every_value_reduction_matches_the_reference_and_the_devices_agree() {
    let devices = common::devices();
    for (k, dtype) in DType::ALL.into_iter().enumerate() {
        for (c, (shape, axes)) in cases().into_iter().enumerate() {
            let x = random_tensor(&Device::cpu(), dtype, &shape, (k * 100 + c) as u64, MIX);
            let mask = mask_of(&shape, &axes);
            let parts = slices(&x, &mask);
            for op in value_ops() {
                if op == ReduceOp::Ptp && dtype == DType::Bool {
                    // NumPy has no boolean subtract: every device refuses, as np.ptp does.
                    for d in &devices {
                        let r = x
                            .to_device(d)
                            .and_then(|t| t.reduce(op, axes.clone(), false));
                        assert!(matches!(r, Err(Error::DTypeRefused { .. })), "{r:?} on {d}");
                    }
                    continue;
                }
                let got: Vec<Tensor> = devices
                    .iter()
                    .map(|d| {
                        x.to_device(d)
                            .and_then(|t| t.reduce(op, axes.clone(), false))
                            .unwrap_or_else(|e| panic!("{op} {dtype} {shape:?} on {d}: {e}"))
                    })
                    .collect();
                let cpu = &got[0];
                assert_eq!(cpu.dtype(), op.out_dtype(dtype), "{op} {dtype}");
                let vals = decode(cpu);
                assert_eq!(vals.len(), parts.len(), "{op} {dtype} {shape:?}");
                for (i, (g, p)) in vals.iter().zip(&parts).enumerate() {
                    let want = reference(op, dtype, p);
                    let scale: f64 = p
                        .iter()
                        .map(|v| match *v {
                            Val::F(f) if f.is_finite() => f.abs(),
                            Val::C(a, b) if a.is_finite() && b.is_finite() => a.abs().max(b.abs()),
                            _ => 0.0,
                        })
                        .sum();
                    if !product_in_range(op, dtype, p) {
                        continue;
                    }
                    assert!(
                        agrees(op, dtype, *g, want, scale),
                        "{op} {dtype} {shape:?} {axes:?} #{i}: got {g:?}, want {want:?} from {p:?}"
                    );
                }
                for (d, t) in devices.iter().zip(&got).skip(1) {
                    if bytes_may_differ(op, dtype) {
                        let (a, b) = (decode(cpu), decode(t));
                        for (x, y) in a.iter().zip(&b) {
                            assert!(
                                agrees(op, dtype, *y, *x, 1.0),
                                "{op} {dtype} {shape:?} on {d}"
                            );
                        }
                    } else {
                        assert_eq!(
                            bytes(t),
                            bytes(cpu),
                            "{op} {dtype} {shape:?} {axes:?} on {d}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn every_arg_reduction_finds_the_first_extreme_on_every_device() {
    let devices = common::devices();
    for (k, dtype) in DType::ALL.into_iter().enumerate() {
        for (shape, axis) in [
            (vec![41], None),
            (vec![6, 7], Some(0)),
            (vec![6, 7], Some(-1)),
            (vec![3, 4, 5], Some(1)),
            (vec![3, 4, 5], None),
        ] {
            let x = random_tensor(&Device::cpu(), dtype, &shape, 7 + k as u64, MIX);
            let vals = decode(&x);
            for op in [
                ReduceOp::ArgMax,
                ReduceOp::ArgMin,
                ReduceOp::NanArgMax,
                ReduceOp::NanArgMin,
            ] {
                let axes = axis.map_or(Axes::All, |a| Axes::List(vec![a]));
                let mut results = Vec::new();
                for d in &devices {
                    let t = x.to_device(d).expect("upload");
                    results.push(t.reduce(op, axes.clone(), false).map(|r| bytes(&r)));
                }
                // The index's element is the value-reduction's result (bit for bit but for
                // the sign of zero and NaN payloads), and every device gives the same bytes.
                let value_op = match op {
                    ReduceOp::ArgMax => ReduceOp::Max,
                    ReduceOp::ArgMin => ReduceOp::Min,
                    ReduceOp::NanArgMax => ReduceOp::NanMax,
                    _ => ReduceOp::NanMin,
                };
                let mask = mask_of(&shape, &axes);
                let parts = slices(&x, &mask);
                match &results[0] {
                    Ok(idx) => {
                        let idx: &[i64] = bytemuck::cast_slice(idx);
                        for (i, (&at, p)) in idx.iter().zip(&parts).enumerate() {
                            let want = reference(value_op, dtype, p);
                            let got = p[at as usize];
                            let same = agrees(value_op, dtype, got, want, 0.0)
                                && p[..at as usize]
                                    .iter()
                                    .all(|v| !agrees(value_op, dtype, *v, want, 0.0));
                            assert!(same, "{op} {dtype} {shape:?} {axis:?} #{i}: {at} in {p:?}");
                        }
                    }
                    Err(Error::AllNan(_)) => {
                        assert!(op == ReduceOp::NanArgMax || op == ReduceOp::NanArgMin);
                        assert!(parts.iter().any(|p| p.iter().all(|v| v.is_nan())));
                    }
                    Err(e) => panic!("{op} {dtype}: {e}"),
                }
                for r in &results[1..] {
                    match (r, &results[0]) {
                        (Ok(a), Ok(b)) => assert_eq!(a, b, "{op} {dtype} {shape:?} {axis:?}"),
                        (Err(_), Err(_)) => {}
                        _ => panic!("{op} {dtype}: the devices disagree on the error"),
                    }
                }
                let _ = &vals;
            }
        }
    }
}

#[test]
fn empty_and_all_nan_rules_follow_numpy() {
    for d in common::devices() {
        let e = Tensor::from_vec(&d, &[0, 3], Vec::<f32>::new()).unwrap();
        for op in [ReduceOp::Max, ReduceOp::NanMin, ReduceOp::ArgMax] {
            let r = e.reduce(op, Axes::List(vec![0]), false);
            assert!(matches!(r, Err(Error::EmptyReduction(_))), "{op} on {d}");
            assert_eq!(
                e.reduce(op, Axes::List(vec![1]), false).unwrap().shape(),
                &[0]
            );
        }
        let mean = e.mean(0, false).unwrap().to_ndarray::<f32>().unwrap();
        assert!(mean.iter().all(|m| m.is_nan()) && mean.len() == 3);
        assert_eq!(
            e.prod(0, false)
                .unwrap()
                .to_ndarray::<f32>()
                .unwrap()
                .into_raw_vec_and_offset()
                .0,
            [1.0; 3]
        );
        assert_eq!(
            e.all(0, false)
                .unwrap()
                .to_ndarray::<bool>()
                .unwrap()
                .into_raw_vec_and_offset()
                .0,
            [true; 3]
        );
        assert_eq!(
            e.any(0, false)
                .unwrap()
                .to_ndarray::<bool>()
                .unwrap()
                .into_raw_vec_and_offset()
                .0,
            [false; 3]
        );
        let nan = Tensor::from_vec(&d, &[2, 2], vec![f32::NAN, f32::NAN, 1.0, f32::NAN]).unwrap();
        assert!(
            matches!(nan.nanargmax(Some(1), false), Err(Error::AllNan(_))),
            "{d}"
        );
        assert!(
            matches!(nan.nanargmin(Some(0), false), Err(Error::AllNan(_))),
            "{d}"
        );
        let flat = nan
            .nanargmax(None, false)
            .unwrap()
            .to_ndarray::<i64>()
            .unwrap();
        assert_eq!(flat[[]], 2, "{d}");
        let m = nan.nanmax(1, false).unwrap().to_ndarray::<f32>().unwrap();
        assert!(m[0].is_nan() && m[1] == 1.0, "{d}");
        let mean = nan
            .nanmean(Axes::All, false)
            .unwrap()
            .to_ndarray::<f32>()
            .unwrap();
        assert_eq!(mean.first(), Some(&1.0));
        let ints = Tensor::from_vec(&d, &[3], vec![i64::MAX, i64::MAX, 2]).unwrap();
        let m = ints
            .mean(Axes::All, false)
            .unwrap()
            .to_ndarray::<f64>()
            .unwrap();
        assert!(
            (m[[]] - (2.0 * i64::MAX as f64 + 2.0) / 3.0).abs() < 1e4,
            "{d}: {m:?}"
        );
        let z = Tensor::from_vec(&d, &[2], vec![-0.0f32, 0.0]).unwrap();
        let max = z
            .max(Axes::All, false)
            .unwrap()
            .to_ndarray::<f32>()
            .unwrap();
        assert_eq!(max[[]], 0.0);
        let one = Tensor::from_vec(&d, &[1], vec![-0.0f32]).unwrap();
        let m = one
            .max(Axes::All, false)
            .unwrap()
            .to_ndarray::<f32>()
            .unwrap();
        assert_eq!(
            m[[]].to_bits(),
            (-0.0f32).to_bits(),
            "a max is an element, bit for bit"
        );
    }
}

#[test]
fn streamed_files_equal_in_memory_results_for_every_op() {
    let dir = std::env::temp_dir().join(format!("ndgpu-family-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (k, dtype) in [
        DType::Float32,
        DType::Int16,
        DType::Float64,
        DType::UInt8,
        DType::Complex64,
    ]
    .into_iter()
    .enumerate()
    {
        let shape = [37, 6, 5];
        let x = random_tensor(&Device::cpu(), dtype, &shape, 90 + k as u64, MIX);
        let path = dir.join(format!("x{k}.npy"));
        ndgpu::npy::write(&path, &x).unwrap();
        for d in common::devices() {
            let xd = x.to_device(&d).unwrap();
            for op in ReduceOp::ALL {
                let axes_list: Vec<Axes> = if op.is_arg() {
                    vec![Axes::All, Axes::List(vec![0]), Axes::List(vec![2])]
                } else {
                    vec![Axes::All, Axes::List(vec![0]), Axes::List(vec![1, 2])]
                };
                for axes in axes_list {
                    let want = xd.reduce(op, axes.clone(), false);
                    // Chunks of 7 rows of 5 (21 on the GPU, where a launch costs milliseconds
                    // on a software adapter; the chunking and merging code is the same on
                    // every device): both split the 30-element slabs of axes (1, 2).
                    let rows = if d.is_cpu() { 7 } else { 21 };
                    let opts = StreamOptions {
                        chunk_bytes: rows * dtype.itemsize() * 5,
                        progress: None,
                    };
                    let got = stream::reduce(&path, op, &axes, false, &d, opts);
                    match (got, want) {
                        (Ok(g), Ok(w)) => {
                            if bytes_may_differ(op, dtype) {
                                // Float products group by chunk.
                                assert_eq!(g.shape(), w.shape());
                                // Values up to 8 in magnitude, 37 * 6 * 5 of them.
                                for (a, b) in decode(&g).iter().zip(&decode(&w)) {
                                    assert!(
                                        agrees(op, dtype, *a, *b, 1e4),
                                        "{op} {dtype} {axes:?} on {d}: {a:?} vs {b:?}"
                                    );
                                }
                            } else {
                                assert_eq!(bytes(&g), bytes(&w), "{op} {dtype} {axes:?} on {d}")
                            }
                        }
                        (Err(_), Err(_)) => {}
                        (g, w) => panic!("{op} {dtype} {axes:?} on {d}: {g:?} vs {w:?}"),
                    }
                }
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
