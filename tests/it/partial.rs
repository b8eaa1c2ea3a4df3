//! Mergeable partial results (`ndgpu::Partial`): an array split into blocks along its reduced
//! axes, each block's partial made on every device, merged in several orders and groupings
//! (and through the `u32` words another process would receive), finished once, gives the
//! bytes of the whole array's reduction. The float data spans 1e-8..1e8 with cancellation,
//! so sums of rounded block results differ from the whole sum (checked too): only exact
//! accumulators pass.

use crate::common;

use half::{bf16, f16};
use ndarray::{ArrayD, Axis, IxDyn, Slice};
use ndgpu::{Axes, DType, Device, Element, Partial, ReduceOp, Tensor};
use num_complex::Complex;

use common::values::{Rng, bytes};

/// An element made from a float64 real and imaginary part (the imaginary part only counts
/// for complex64).
trait Make: Element {
    fn make(re: f64, im: f64) -> Self;
}
impl Make for f16 {
    fn make(re: f64, _: f64) -> Self {
        f16::from_f64(re)
    }
}
impl Make for bf16 {
    fn make(re: f64, _: f64) -> Self {
        bf16::from_f64(re)
    }
}
impl Make for f32 {
    fn make(re: f64, _: f64) -> Self {
        re as f32
    }
}
impl Make for f64 {
    fn make(re: f64, _: f64) -> Self {
        re
    }
}
impl Make for Complex<f32> {
    fn make(re: f64, im: f64) -> Self {
        Complex::new(re as f32, im as f32)
    }
}
impl Make for i32 {
    fn make(re: f64, _: f64) -> Self {
        (re.signum() * re.abs().sqrt()) as i32
    }
}

/// A value of wide dynamic range (`10^lo .. 10^hi`, either sign), with a few NaNs when `nan`.
fn wide(rng: &mut Rng, lo: f64, hi: f64, nan: bool) -> f64 {
    if nan && rng.below(23) == 0 {
        return f64::NAN;
    }
    let mag = 10f64.powf(lo + (hi - lo) * rng.unit());
    if rng.below(2) == 0 { mag } else { -mag }
}

/// A `shape` array of wide-range values; the exponent range suits the dtype (float16 tops
/// out at 65504).
fn data<T: Make>(rng: &mut Rng, shape: &[usize], nan: bool) -> ArrayD<T> {
    let (lo, hi) = match T::DTYPE {
        DType::Float16 | DType::BFloat16 => (-4.0, 3.0),
        _ => (-8.0, 8.0),
    };
    let n = shape.iter().product();
    let v: Vec<T> = (0..n)
        .map(|_| {
            let re = wide(rng, lo, hi, nan);
            let im = wide(rng, lo, hi, nan);
            T::make(re, im)
        })
        .collect();
    ArrayD::from_shape_vec(IxDyn(shape), v).unwrap()
}

/// Cut points of `len` into `parts` blocks, one of them empty when `len` allows.
fn cuts(rng: &mut Rng, len: usize, parts: usize) -> Vec<(usize, usize)> {
    let mut at: Vec<usize> = (0..parts - 1)
        .map(|_| rng.below(len as u64 + 1) as usize)
        .collect();
    at.push(0);
    at.push(len);
    at.push(at[1]); // a repeated cut: an empty block
    at.sort_unstable();
    at.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Every block of `x` split along `axes_split` (each into random blocks).
fn blocks<T: Element>(rng: &mut Rng, x: &ArrayD<T>, split: &[usize]) -> Vec<ArrayD<T>> {
    let mut out = vec![x.clone()];
    for &a in split {
        let c = cuts(rng, x.shape()[a], 3);
        out = out
            .iter()
            .flat_map(|b| {
                c.iter()
                    .map(|&(lo, hi)| b.slice_axis(Axis(a), Slice::from(lo..hi)).to_owned())
                    .collect::<Vec<_>>()
            })
            .collect();
    }
    out
}

/// The partials of `parts` merged as a left fold in the given order.
fn fold_merge(parts: &[&Partial]) -> Partial {
    let mut acc = parts[0].clone();
    for p in &parts[1..] {
        acc.merge_in(p).unwrap();
    }
    acc
}

/// The partials merged as a balanced tree (another grouping).
fn tree_merge(parts: &[&Partial]) -> Partial {
    if parts.len() == 1 {
        return parts[0].clone();
    }
    let (a, b) = parts.split_at(parts.len() / 2);
    tree_merge(b).merge(&tree_merge(a)).unwrap()
}

struct Case {
    op: ReduceOp,
    axes: Vec<isize>,
    split: Vec<usize>,
}

/// Checks every way of merging the blocks' partials against the whole array's reduction, on
/// every device; returns how many outputs differ between the whole result and the sum of the
/// blocks' rounded results (the old, rounded-float partials).
fn check<T: Make>(rng: &mut Rng, x: &ArrayD<T>, case: &Case, devices: &[Device]) -> usize {
    let Case { op, axes, split } = case;
    let (op, axes) = (*op, Axes::List(axes.clone()));
    let cpu = Device::cpu();
    let whole = cpu.reduce(x, op, axes.clone(), false).unwrap();
    let whole_kept = cpu.reduce(x, op, axes.clone(), true).unwrap();
    let parts = blocks(rng, x, split);
    let ndim = x.ndim() as isize;
    let want_count: u64 = axes_list(&axes, ndim)
        .iter()
        .map(|&a| x.shape()[a] as u64)
        .product();
    let mut cpu_parts = Vec::new();
    for dev in devices {
        let ps: Vec<Partial> = parts
            .iter()
            .map(|b| dev.partial(b, op, axes.clone()).unwrap())
            .collect();
        let refs: Vec<&Partial> = ps.iter().collect();
        let mut shuffled = refs.clone();
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let what = format!(
            "{op} of {} over {axes:?} split {split:?} on {dev}",
            T::DTYPE
        );
        for merged in [
            fold_merge(&refs),
            fold_merge(&shuffled),
            tree_merge(&shuffled),
        ] {
            assert_eq!(merged.count(), want_count, "{what}: count");
            assert_eq!(
                bytes(&merged.finish(false).unwrap()),
                bytes(&whole),
                "{what}"
            );
            assert_eq!(
                merged.finish(false).unwrap().shape(),
                whole.shape(),
                "{what}"
            );
            assert_eq!(
                bytes(&merged.finish(true).unwrap()),
                bytes(&whole_kept),
                "{what}"
            );
            assert_eq!(
                merged.finish(true).unwrap().shape(),
                whole_kept.shape(),
                "{what}"
            );
            // Through words, one partial at a time.
            let back = Partial::from_words(op, T::DTYPE, axes.clone(), merged.to_words().view());
            assert_eq!(back.unwrap(), merged, "{what}: words round trip");
        }
        // The exact sums' words do not depend on the device.
        if dev.is_cpu() {
            cpu_parts = ps.iter().map(Partial::to_words).collect();
        } else {
            for (p, w) in ps.iter().zip(&cpu_parts) {
                assert_eq!(&p.to_words(), w, "{what}: device words");
            }
        }
    }
    // The blocks' words concatenated along the one split axis, as Dask's combine gets them.
    if split.len() == 1 {
        let ps: Vec<Partial> = parts
            .iter()
            .map(|b| cpu.partial(b, op, axes.clone()).unwrap())
            .collect();
        let words: Vec<ArrayD<u32>> = ps.iter().map(Partial::to_words).collect();
        let views: Vec<_> = words.iter().map(|w| w.view()).collect();
        let stacked = ndarray::concatenate(Axis(split[0]), &views).unwrap();
        let merged = Partial::from_words(op, T::DTYPE, axes.clone(), stacked.view()).unwrap();
        assert_eq!(
            bytes(&merged.finish(false).unwrap()),
            bytes(&whole),
            "{op} of {}: stacked words",
            T::DTYPE
        );
    }
    rounded_block_sums_differ(op, &axes_list(&axes, ndim), &parts, &whole)
}

/// The axes of `axes` as indices into `ndim` dimensions.
fn axes_list(axes: &Axes, ndim: isize) -> Vec<usize> {
    match axes {
        Axes::All => (0..ndim as usize).collect(),
        Axes::List(l) => l.iter().map(|&a| a.rem_euclid(ndim) as usize).collect(),
    }
}

/// Outputs where summing the blocks' rounded sums (in the result dtype) differs from the
/// whole sum: what the rounded-float partials gave.
fn rounded_block_sums_differ<T: Element>(
    op: ReduceOp,
    axes: &[usize],
    parts: &[ArrayD<T>],
    whole: &Tensor,
) -> usize {
    if op != ReduceOp::Sum || op.out_dtype(T::DTYPE) != T::DTYPE {
        return 0;
    }
    let cpu = Device::cpu();
    let rounded: Vec<ArrayD<T>> = parts
        .iter()
        .map(|b| {
            cpu.reduce(
                b,
                op,
                Axes::List(axes.iter().map(|&a| a as isize).collect()),
                true,
            )
            .unwrap()
            .to_ndarray::<T>()
            .unwrap()
        })
        .collect();
    let views: Vec<_> = rounded.iter().map(|r| r.view()).collect();
    // Every block's result has length 1 along the reduced axes: concatenated along one of
    // them, the rounded results are summed once more.
    let cat = ndarray::concatenate(Axis(axes[0]), &views).unwrap();
    let naive = cpu
        .reduce(
            &cat,
            op,
            Axes::List(axes.iter().map(|&a| a as isize).collect()),
            false,
        )
        .unwrap();
    bytes(&naive)
        .chunks(T::DTYPE.itemsize())
        .zip(bytes(whole).chunks(T::DTYPE.itemsize()))
        .filter(|(a, b)| a != b)
        .count()
}

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    for op in [
        ReduceOp::Sum,
        ReduceOp::NanSum,
        ReduceOp::Mean,
        ReduceOp::NanMean,
    ] {
        v.push(Case {
            op,
            axes: vec![0, 1, 2],
            split: vec![0, 2],
        });
        v.push(Case {
            op,
            axes: vec![1],
            split: vec![1],
        });
        v.push(Case {
            op,
            axes: vec![0, 2],
            split: vec![2],
        });
        v.push(Case {
            op,
            axes: vec![-1],
            split: vec![2],
        });
    }
    v
}

fn run<T: Make>(seed: u64, devices: &[Device]) -> usize {
    let mut rng = Rng::new(seed);
    let mut differ = 0;
    for case in cases() {
        let nan = matches!(case.op, ReduceOp::NanSum | ReduceOp::NanMean);
        let x = data::<T>(&mut rng, &[9, 13, 40], nan);
        differ += check(&mut rng, &x, &case, devices);
    }
    differ
}

#[test]
fn float_sums_and_means_of_merged_partials_are_the_whole_arrays_bytes() {
    let devices = common::devices();
    let differ = [
        ("float16", run::<f16>(1, &devices)),
        ("bfloat16", run::<bf16>(2, &devices)),
        ("float32", run::<f32>(3, &devices)),
        ("float64", run::<f64>(4, &devices)),
        ("complex64", run::<Complex<f32>>(5, &devices)),
    ];
    // The data rounds: summing rounded block sums gives other bytes somewhere, for every
    // dtype, so a partial that rounded would fail the checks above.
    for (dtype, n) in differ {
        assert!(n > 0, "{dtype}: no output where rounded block sums differ");
    }
}

#[test]
fn other_reductions_merge_to_the_whole_result() {
    let devices = common::devices();
    let mut rng = Rng::new(7);
    let x = data::<i32>(&mut rng, &[9, 13, 40], false);
    let xf = data::<f32>(&mut rng, &[9, 13, 40], true);
    for op in [
        ReduceOp::Sum,
        ReduceOp::Prod,
        ReduceOp::Mean,
        ReduceOp::Min,
        ReduceOp::Max,
        ReduceOp::Any,
        ReduceOp::All,
        ReduceOp::CountNonzero,
        ReduceOp::Ptp,
    ] {
        for (axes, split) in [(vec![0, 2], vec![0, 2]), (vec![1], vec![1])] {
            let case = Case { op, axes, split };
            check(&mut rng, &x, &case, &devices);
        }
    }
    for op in [
        ReduceOp::Min,
        ReduceOp::NanMax,
        ReduceOp::CountNonzero,
        ReduceOp::Ptp,
    ] {
        let case = Case {
            op,
            axes: vec![2],
            split: vec![2],
        };
        check(&mut rng, &xf, &case, &devices);
    }
}

#[test]
fn partials_say_what_they_are_and_refuse_what_does_not_merge() {
    let cpu = Device::cpu();
    let x = ndarray::array![[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let p = cpu.partial(&x, ReduceOp::Mean, 1).unwrap();
    assert_eq!(
        (p.op(), p.dtype(), p.shape(), p.axes(), p.count()),
        (ReduceOp::Mean, DType::Float32, &[2, 1][..], vec![1], 3)
    );
    assert!(p.is_order_free());
    assert!(!cpu.partial(&x, ReduceOp::Prod, 1).unwrap().is_order_free());
    let w = p.to_words();
    assert_eq!(w.shape(), &[2, 1, 13 + 2]);
    assert_eq!(
        Partial::record_len(ReduceOp::NanMean, DType::Float64).unwrap(),
        70 + 2 + 2
    );
    // Other axes, other ops, other dtypes do not merge.
    let q = cpu.partial(&x, ReduceOp::Mean, 0).unwrap();
    assert!(p.merge(&q).is_err());
    assert!(
        p.merge(&cpu.partial(&x, ReduceOp::Sum, 1).unwrap())
            .is_err()
    );
    // Arg-reductions have no partial; words of the wrong length or impossible totals fail.
    assert!(cpu.partial(&x, ReduceOp::ArgMax, 1).is_err());
    assert!(Partial::from_words(ReduceOp::Sum, DType::Float64, 1, w.view()).is_err());
    let mut bad = w.clone();
    bad[[0, 0, 12]] = 0x4000_0000; // a top digit no sum of 2^64 float32 reaches
    assert!(Partial::from_words(ReduceOp::Mean, DType::Float32, 1, bad.view()).is_err());
    // Counts: records that disagree are refused; empty blocks count nothing.
    let mut odd = w.clone();
    odd[[1, 0, 13]] = 4;
    assert!(Partial::from_words(ReduceOp::Mean, DType::Float32, 1, odd.view()).is_err());
    let empty = ndarray::Array2::<f32>::zeros((2, 0));
    let e = cpu.partial(&empty, ReduceOp::Max, 1).unwrap();
    assert_eq!(e.count(), 0);
    assert!(e.finish(false).is_err(), "max of nothing");
    let m = cpu.partial(&empty, ReduceOp::Mean, 1).unwrap();
    assert!(
        m.finish(false)
            .unwrap()
            .view::<f32>()
            .unwrap()
            .iter()
            .all(|v| v.is_nan())
    );
    assert_eq!(
        bytes(
            &e.merge(&cpu.partial(&x, ReduceOp::Max, 1).unwrap())
                .unwrap()
                .finish(false)
                .unwrap()
        ),
        bytes(&cpu.max(&x, 1, false).unwrap())
    );
}
