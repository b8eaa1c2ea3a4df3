//! The finish of a value-reduction on host accumulators (output-sized, so the GPU sends its
//! finishes that need more than a cast here too): casts, means, flags and order keys.

use num_complex::Complex;

use super::Finish;
use crate::backend::Backend;
use crate::cpu::{fold_identity, keys_to_values, CpuBackend, CpuStorage, FoldKind};
use crate::{DType, Error, ReduceOp, Result};

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
    let n = acc.len();
    let cast = |s: &CpuStorage| CpuBackend.cast(s, s.dtype(), out, n);
    match finish {
        Finish::Cast if acc.dtype() == out => Ok(acc),
        Finish::Cast => cast(&acc),
        Finish::Flag => cast(&acc),
        Finish::Keys => Ok(keys_to_values(&acc, kinds[0], dtype)),
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

/// `sum / count` in float64, rounded once to `out`; a count of 0 gives the canonical NaN.
fn divide(sum: &CpuStorage, count: impl Fn(usize) -> f64, out: DType) -> Result<CpuStorage> {
    let nan = f64::from_bits(0x7ff8_0000_0000_0000);
    let q = |s: f64, i: usize| {
        let c = count(i);
        if c == 0.0 {
            nan
        } else {
            s / c
        }
    };
    let wide: CpuStorage = match sum {
        CpuStorage::F32(v) => CpuStorage::F64(
            v.iter()
                .enumerate()
                .map(|(i, &s)| q(f64::from(s), i))
                .collect(),
        ),
        CpuStorage::F64(v) => {
            CpuStorage::F64(v.iter().enumerate().map(|(i, &s)| q(s, i)).collect())
        }
        CpuStorage::C64(v) => {
            let nan32 = f32::from_bits(0x7fc0_0000);
            return Ok(CpuStorage::C64(
                v.iter()
                    .enumerate()
                    .map(|(i, s)| {
                        if count(i) == 0.0 {
                            Complex::new(nan32, nan32)
                        } else {
                            Complex::new(q(f64::from(s.re), i) as f32, q(f64::from(s.im), i) as f32)
                        }
                    })
                    .collect(),
            ));
        }
        other => {
            return Err(Error::Internal(format!(
                "a mean of {} accumulators",
                other.dtype()
            )))
        }
    };
    if out == DType::Float64 {
        return Ok(wide);
    }
    CpuBackend.cast(&wide, DType::Float64, out, wide.len())
}

/// The accumulators of `op` over nothing, `n` of each (what an empty reduction finishes).
pub(crate) fn identity_accumulators(op: ReduceOp, dtype: DType, n: usize) -> Vec<CpuStorage> {
    op.plan()
        .0
        .iter()
        .map(|&k: &FoldKind| fold_identity(k, dtype, n))
        .collect()
}
