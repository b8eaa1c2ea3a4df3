//! The finish of a value-reduction on host accumulators: casts, means, flags and order keys.
//! The GPU finishes on the device but for exact sums of 2^31 elements or more (only a stream
//! merged on the host reaches them), which it sends here.

use half::{bf16, f16};
use num_complex::Complex;
use rayon::prelude::*;

use crate::backend::Backend;
use crate::cpu::{CpuBackend, fold_identity, keys_to_values};
use crate::exact::{self, Fmt};
use crate::host::CpuStorage;
use crate::reduce::FoldKind;
use crate::reduce::{Finish, ValuePlan};
use crate::{DType, Element, Error, ReduceOp, Result};

/// The result of `op` over elements of `dtype` from the accumulators of its folds
/// (`ReduceOp::plan`); `count` is the number of elements each output reduced.
pub(crate) fn finish_host(
    accs: Vec<CpuStorage>,
    op: ReduceOp,
    dtype: DType,
    count: usize,
) -> Result<CpuStorage> {
    let (kinds, finish) = op.plan();
    let out = op.out_dtype(dtype);
    let mut accs = accs.into_iter();
    let acc = accs
        .next()
        .ok_or_else(|| Error::Internal(format!("{op}: no accumulator to finish")))?;
    if kinds[0].is_exact(dtype) {
        let counts = match finish {
            Finish::NanMean => match accs.next() {
                Some(CpuStorage::I64(c)) => Some(c),
                _ => return Err(Error::Internal("nanmean: no int64 counts".into())),
            },
            _ => None,
        };
        return finish_exact(&acc, finish, dtype, count, counts.as_deref());
    }
    let cast = |s: &CpuStorage| CpuBackend.cast(s, out);
    match finish {
        Finish::Cast if acc.dtype() == out => Ok(acc),
        Finish::Cast => cast(&acc),
        Finish::Flag => cast(&acc),
        Finish::Keys => Ok(keys_to_values(&acc, kinds[0], dtype)),
        Finish::Ptp => {
            let min = accs
                .next()
                .ok_or_else(|| Error::Internal("ptp: no minimum".into()))?;
            let max = keys_to_values(&acc, kinds[0], dtype);
            Ok(difference(
                &max,
                &keys_to_values(&min, kinds[1], dtype),
                dtype,
            ))
        }
        Finish::Mean => divide(&acc, |_| count as f64, out),
        Finish::NanMean => {
            let counts = accs
                .next()
                .ok_or_else(|| Error::Internal("nanmean: no count to divide by".into()))?;
            let CpuStorage::I64(c) = counts else {
                return Err(Error::Internal("nanmean: counts are not int64".into()));
            };
            divide(&acc, |i| c[i] as f64, out)
        }
    }
}

/// The exact sums' finish: each accumulator (canonical words) rounded once to the output
/// dtype (`dtype` itself; complex64 parts to float32), divided exactly by the count for the
/// means (nanmean: the non-NaN counts), a count of 0 giving NaN.
fn finish_exact(
    acc: &CpuStorage,
    finish: Finish,
    dtype: DType,
    count: usize,
    counts: Option<&[i64]>,
) -> Result<CpuStorage> {
    let CpuStorage::U32(words) = acc else {
        return Err(Error::Internal(
            "exact sums: accumulators are not words".into(),
        ));
    };
    let fmt = Fmt::of(dtype).ok_or_else(|| Error::Internal(format!("exact sums of {dtype}")))?;
    let w = if dtype == DType::Float64 {
        exact::WORDS64
    } else {
        exact::WORDS32
    };
    let div = |i: usize| match (finish, counts) {
        (Finish::Mean, _) => count as u64,
        (Finish::NanMean, Some(c)) => c[i].max(0) as u64,
        _ => 1,
    };
    let per = if dtype == DType::Complex64 { 2 * w } else { w };
    let bits =
        |i: usize, part: usize| exact::round_words(&words[i * per + part * w..][..w], fmt, div(i));
    let n = words.len() / per;
    Ok(match dtype {
        DType::Float16 => CpuStorage::F16(outputs(n, |i| f16::from_bits(bits(i, 0) as u16))),
        DType::BFloat16 => CpuStorage::BF16(outputs(n, |i| bf16::from_bits(bits(i, 0) as u16))),
        DType::Float32 => CpuStorage::F32(outputs(n, |i| f32::from_bits(bits(i, 0) as u32))),
        DType::Float64 => CpuStorage::F64(outputs(n, |i| f64::from_bits(bits(i, 0)))),
        DType::Complex64 => CpuStorage::C64(outputs(n, |i| {
            Complex::new(
                f32::from_bits(bits(i, 0) as u32),
                f32::from_bits(bits(i, 1) as u32),
            )
        })),
        other => return Err(Error::Internal(format!("exact sums of {other}"))),
    })
}

/// Outputs fewer than this are rounded on the calling thread (a parallel loop's start costs
/// more than rounding them).
const PAR_OUTPUTS: usize = 1024;

/// `f(0..n)` in order; in parallel for many outputs (rounding an accumulator, a division for
/// the means, was a tenth of float64's mean along an axis of 10000x10000 on one thread).
fn outputs<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    if n < PAR_OUTPUTS {
        (0..n).map(f).collect()
    } else {
        (0..n).into_par_iter().map(f).collect()
    }
}

/// `sum / count` in float64 (the integer means: float sums are exact, [`finish_exact`]),
/// rounded once to `out`; a count of 0 gives the canonical NaN.
fn divide(sum: &CpuStorage, count: impl Fn(usize) -> f64, out: DType) -> Result<CpuStorage> {
    let nan = f64::from_bits(0x7ff8_0000_0000_0000);
    let q = |s: f64, i: usize| {
        let c = count(i);
        if c == 0.0 { nan } else { s / c }
    };
    let CpuStorage::F64(v) = sum else {
        return Err(Error::Internal(format!(
            "a mean of {} accumulators",
            sum.dtype()
        )));
    };
    let wide = CpuStorage::F64(v.iter().enumerate().map(|(i, &s)| q(s, i)).collect());
    if out == DType::Float64 {
        return Ok(wide);
    }
    CpuBackend.cast(&wide, out)
}

/// `max - min` element by element, as NumPy's `np.subtract` computes it in `dtype`.
fn difference(max: &CpuStorage, min: &CpuStorage, dtype: DType) -> CpuStorage {
    fn typed<T: Element + Subtract>(max: &CpuStorage, min: &CpuStorage) -> CpuStorage {
        let (a, b) = (T::slice(max).unwrap_or(&[]), T::slice(min).unwrap_or(&[]));
        T::into_storage(a.iter().zip(b).map(|(&x, &y)| x.subtract(y)).collect())
    }
    crate::element::with_dtype!(dtype, T => typed::<T>(max, min))
}

/// NumPy's subtraction in an element's own dtype.
trait Subtract: Copy {
    fn subtract(self, other: Self) -> Self;
}

macro_rules! wrapping_subtract {
    ($($t:ty),*) => {$(
        impl Subtract for $t {
            fn subtract(self, other: Self) -> Self {
                self.wrapping_sub(other)
            }
        }
    )*};
}
wrapping_subtract!(i8, u8, i16, u16, i32, u32, i64, u64);

/// Never reached: `plan_values` refuses ptp of bool, as NumPy has no boolean subtract.
impl Subtract for bool {
    fn subtract(self, other: Self) -> Self {
        self != other
    }
}

/// The dtype's own subtraction.
macro_rules! native_subtract {
    ($($t:ty),*) => {$(
        impl Subtract for $t {
            fn subtract(self, other: Self) -> Self {
                self - other
            }
        }
    )*};
}
native_subtract!(f32, f64, Complex<f32>);

/// NumPy subtracts halves in float32 and rounds the difference (ml_dtypes does the same for
/// bfloat16); float32 holds 24 bits, so the result is the correctly rounded difference.
macro_rules! float32_subtract {
    ($($t:ty),*) => {$(
        impl Subtract for $t {
            fn subtract(self, other: Self) -> Self {
                <$t>::from_f32(self.to_f32() - other.to_f32())
            }
        }
    )*};
}
float32_subtract!(f16, bf16);

/// The accumulators of `op` over nothing, `n` of each (what an empty reduction finishes).
pub(crate) fn identity_accumulators(op: ReduceOp, dtype: DType, n: usize) -> Vec<CpuStorage> {
    op.plan()
        .0
        .iter()
        .map(|&k: &FoldKind| fold_identity(k, dtype, n))
        .collect()
}

/// The result of a plan with no element to read (an empty input or output), or `None` for
/// a plan that has elements to reduce.
pub(crate) fn trivial_result(
    plan: &ValuePlan,
    op: ReduceOp,
    dtype: DType,
) -> Result<Option<CpuStorage>> {
    if plan.n_out == 0 {
        return Ok(Some(CpuStorage::zeros(plan.out_dtype, 0)));
    }
    if plan.count == 0 {
        let accs = identity_accumulators(op, dtype, plan.n_out);
        return Ok(Some(finish_host(accs, op, dtype, 0)?));
    }
    Ok(None)
}
