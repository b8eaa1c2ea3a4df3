//! NumPy's reductions as data: each operation is a small description (how an element enters
//! the accumulator, how two accumulators merge, how the result is finished, its output dtype
//! and its rule for empty input), and every device runs the same few launch strategies over
//! it. The CPU instructions live in `cpu/fold.rs` and `cpu/arg.rs`, the GPU ones in
//! `shaders/reduce/`.

mod kind;

pub(crate) use kind::FoldKind;

use crate::plan::{
    Axes, Reduce3, arg_pass, axes_mask, normalize_axis, numel, reduced_count, reduced_shape,
};
use crate::{DType, Error, Result};

/// A value-reduction planned over a shape: NumPy's rules decided once, for in-memory tensors
/// and streamed files alike.
pub(crate) struct ValuePlan {
    /// The reduced axes.
    pub mask: Vec<bool>,
    pub out_shape: Vec<usize>,
    pub out_dtype: DType,
    /// Elements each output reduces.
    pub count: usize,
    /// Elements of the result. With `count` 0 or `n_out` 0 no element needs reading
    /// (`cpu::trivial_result`).
    pub n_out: usize,
}

/// Plans `op` (a value-reduction) over `axes` of an array of `shape` and `dtype`.
pub(crate) fn plan_values(
    op: ReduceOp,
    shape: &[usize],
    dtype: DType,
    axes: &Axes,
    keepdims: bool,
) -> Result<ValuePlan> {
    if let Some(reason) = op.refuses(dtype) {
        return Err(Error::DTypeRefused {
            op: op.name(),
            dtype,
            reason,
        });
    }
    let mask = axes_mask(axes, shape.len())?;
    let out_shape = reduced_shape(shape, &mask, keepdims);
    let out_dtype = op.out_dtype(dtype);
    let count = reduced_count(shape, &mask);
    if count == 0 && op.empty() == Empty::Error {
        return Err(Error::EmptyReduction(op.name()));
    }
    let n_out = numel(&out_shape, out_dtype.itemsize())?;
    Ok(ValuePlan {
        mask,
        out_shape,
        out_dtype,
        count,
        n_out,
    })
}

/// An arg-reduction planned over a shape.
pub(crate) struct ArgPlan {
    pub axis: Option<usize>,
    pub out_shape: Vec<usize>,
    pub pass: Reduce3,
    /// True when the result is empty (nothing to compute).
    pub empty: bool,
}

/// Plans `op` (an arg-reduction) along `axis` (or the flattened array) of `shape`.
pub(crate) fn plan_arg(
    op: ReduceOp,
    shape: &[usize],
    axis: Option<isize>,
    keepdims: bool,
) -> Result<ArgPlan> {
    let axis = axis.map(|a| normalize_axis(a, shape.len())).transpose()?;
    let mask: Vec<bool> = (0..shape.len())
        .map(|i| axis.is_none_or(|a| a == i))
        .collect();
    let out_shape = reduced_shape(shape, &mask, keepdims);
    let pass = arg_pass(shape, axis);
    if pass.len == 0 {
        return Err(Error::EmptyReduction(op.name()));
    }
    Ok(ArgPlan {
        axis,
        out_shape,
        pass,
        empty: pass.output_len() == 0,
    })
}

/// The nan-variants' verdict on int64 indices where a backend marked an all-NaN slice -1.
pub(crate) fn check_all_nan(op: ReduceOp, dtype: DType, idx: &[i64]) -> Result<()> {
    let float = dtype.is_float() || dtype == DType::Complex64;
    if op.skips_nan() && float && idx.contains(&-1) {
        return Err(Error::AllNan(op.name()));
    }
    Ok(())
}

/// How a value-reduction is finished from its accumulators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Finish {
    /// Convert the accumulator to the output dtype (float32 -> float16, nothing for int64).
    Cast,
    /// Divide the sum by the number of elements reduced.
    Mean,
    /// Divide the NaN-skipping sum by the second accumulator, the count of non-NaN elements.
    NanMean,
    /// u32 flags to bool.
    Flag,
    /// Order keys back to elements.
    Keys,
    /// The elements of the first keys (max) minus those of the second (min).
    Ptp,
}

/// A NumPy reduction. The value-reductions (`Sum` .. `Ptp`) reduce any set of axes; the
/// arg-reductions (`ArgMax` .. `NanArgMin`) one axis or the flattened array.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    /// `np.sum`: integers wrap (int64 / uint64), floats keep their dtype.
    Sum,
    /// `np.prod`: as `Sum`, with products; empty is 1.
    Prod,
    /// `np.mean`: float64 for integers, the input dtype for floats; empty is NaN.
    Mean,
    /// `np.min`: the smallest element (NaN propagates); empty is an error.
    Min,
    /// `np.max`: the largest element (NaN propagates); empty is an error.
    Max,
    /// `np.any`: is some element != 0 (NaN is true).
    Any,
    /// `np.all`: is every element != 0.
    All,
    /// `np.count_nonzero`: how many elements are != 0, as int64.
    CountNonzero,
    /// `np.nansum`: NaN counts as 0.
    NanSum,
    /// `np.nanprod`: NaN counts as 1.
    NanProd,
    /// `np.nanmean`: NaN is left out of the sum and the count.
    NanMean,
    /// `np.nanmin`: NaN is ignored; an all-NaN slice gives NaN.
    NanMin,
    /// `np.nanmax`: NaN is ignored; an all-NaN slice gives NaN.
    NanMax,
    /// `np.ptp`: max - min in the input dtype (NaN propagates); empty is an error, bool is
    /// refused.
    Ptp,
    /// `np.argmax`: the first index of the maximum (NaN is the maximum), int64.
    ArgMax,
    /// `np.argmin`: the first index of the minimum (NaN is the minimum), int64.
    ArgMin,
    /// `np.nanargmax`: NaN is ignored; an all-NaN slice is an error.
    NanArgMax,
    /// `np.nanargmin`: NaN is ignored; an all-NaN slice is an error.
    NanArgMin,
}

/// The value-reductions' public methods, one row each: `method => ReduceOp variant, NumPy's
/// name, what it gives;`. `ops.rs` makes each row `Tensor::method` and `Device::method`.
macro_rules! value_reductions {
    ($methods:ident) => {
        $methods! {
            sum => Sum, "np.sum", "bool and signed ints sum to int64 (wrapping), unsigned to uint64, floats keep their dtype; a float sum is the exact sum rounded once (the same bytes on every device).";
            prod => Prod, "np.prod", "the dtypes of `sum`; integer products wrap; the product of nothing is 1.";
            mean => Mean, "np.mean", "float64 for integers and bool, the input dtype for floats; an empty slice gives NaN.";
            min => Min, "np.min", "the smallest element, bit for bit (NaN propagates: the first NaN wins).";
            max => Max, "np.max", "the largest element, bit for bit (NaN propagates).";
            any => Any, "np.any", "bool: some element is non-zero (NaN counts as non-zero).";
            all => All, "np.all", "bool: every element is non-zero (NaN counts as non-zero).";
            count_nonzero => CountNonzero, "np.count_nonzero", "int64: how many elements are non-zero (NaN counts).";
            nansum => NanSum, "np.nansum", "as `sum`, with NaN counted as 0.";
            nanprod => NanProd, "np.nanprod", "as `prod`, with NaN counted as 1.";
            nanmean => NanMean, "np.nanmean", "as `mean` over the elements that are not NaN; an all-NaN slice gives NaN.";
            nanmin => NanMin, "np.nanmin", "as `min`, ignoring NaN; an all-NaN slice gives NaN.";
            nanmax => NanMax, "np.nanmax", "as `max`, ignoring NaN; an all-NaN slice gives NaN.";
            ptp => Ptp, "np.ptp", "`max - min` in the input dtype, as `np.subtract` computes it (integers wrap; NaN propagates); bool is refused, as NumPy refuses it.";
        }
    };
}
pub(crate) use value_reductions;

/// The arg-reductions' public methods, as [`value_reductions`].
macro_rules! arg_reductions {
    ($methods:ident) => {
        $methods! {
            argmax => ArgMax, "np.argmax", "the first maximum; NaN is the maximum (the first NaN wins), -0.0 equals +0.0, complex values compare (real, imag).";
            argmin => ArgMin, "np.argmin", "the first minimum; NaN is the minimum (the first NaN wins).";
            nanargmax => NanArgMax, "np.nanargmax", "as `argmax`, ignoring NaN.";
            nanargmin => NanArgMin, "np.nanargmin", "as `argmin`, ignoring NaN.";
        }
    };
}
pub(crate) use arg_reductions;

/// What a reduction over nothing gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Empty {
    /// The identity of the operation (0, 1, false, true), through the normal finish.
    Identity,
    /// NaN (means).
    Nan,
    /// An error: the operation has no identity.
    Error,
}

impl ReduceOp {
    /// Every operation, value-reductions first.
    pub const ALL: [ReduceOp; 18] = [
        ReduceOp::Sum,
        ReduceOp::Prod,
        ReduceOp::Mean,
        ReduceOp::Min,
        ReduceOp::Max,
        ReduceOp::Any,
        ReduceOp::All,
        ReduceOp::CountNonzero,
        ReduceOp::NanSum,
        ReduceOp::NanProd,
        ReduceOp::NanMean,
        ReduceOp::NanMin,
        ReduceOp::NanMax,
        ReduceOp::Ptp,
        ReduceOp::ArgMax,
        ReduceOp::ArgMin,
        ReduceOp::NanArgMax,
        ReduceOp::NanArgMin,
    ];

    /// NumPy's function name.
    pub const fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Prod => "prod",
            ReduceOp::Mean => "mean",
            ReduceOp::Min => "min",
            ReduceOp::Max => "max",
            ReduceOp::Any => "any",
            ReduceOp::All => "all",
            ReduceOp::CountNonzero => "count_nonzero",
            ReduceOp::NanSum => "nansum",
            ReduceOp::NanProd => "nanprod",
            ReduceOp::NanMean => "nanmean",
            ReduceOp::NanMin => "nanmin",
            ReduceOp::NanMax => "nanmax",
            ReduceOp::Ptp => "ptp",
            ReduceOp::ArgMax => "argmax",
            ReduceOp::ArgMin => "argmin",
            ReduceOp::NanArgMax => "nanargmax",
            ReduceOp::NanArgMin => "nanargmin",
        }
    }

    /// The operation NumPy names `name`.
    pub fn from_name(name: &str) -> Option<ReduceOp> {
        ReduceOp::ALL.into_iter().find(|op| op.name() == name)
    }

    /// True for the arg-reductions (one axis or flat, int64 indices).
    pub const fn is_arg(self) -> bool {
        matches!(
            self,
            ReduceOp::ArgMax | ReduceOp::ArgMin | ReduceOp::NanArgMax | ReduceOp::NanArgMin
        )
    }

    /// True when NaN elements are left out.
    pub const fn skips_nan(self) -> bool {
        matches!(
            self,
            ReduceOp::NanSum
                | ReduceOp::NanProd
                | ReduceOp::NanMean
                | ReduceOp::NanMin
                | ReduceOp::NanMax
                | ReduceOp::NanArgMax
                | ReduceOp::NanArgMin
        )
    }

    /// The dtype of the result for an input of `dtype` (NumPy's rules).
    pub const fn out_dtype(self, dtype: DType) -> DType {
        match self {
            ReduceOp::Sum | ReduceOp::Prod | ReduceOp::NanSum | ReduceOp::NanProd => {
                dtype.sum_dtype()
            }
            ReduceOp::Mean | ReduceOp::NanMean => {
                if dtype.is_float() || matches!(dtype, DType::Complex64) {
                    dtype
                } else {
                    DType::Float64
                }
            }
            ReduceOp::Min | ReduceOp::Max | ReduceOp::NanMin | ReduceOp::NanMax | ReduceOp::Ptp => {
                dtype
            }
            ReduceOp::Any | ReduceOp::All => DType::Bool,
            ReduceOp::CountNonzero
            | ReduceOp::ArgMax
            | ReduceOp::ArgMin
            | ReduceOp::NanArgMax
            | ReduceOp::NanArgMin => DType::Int64,
        }
    }

    /// Why NumPy refuses this operation on `dtype`, if it does.
    pub(crate) const fn refuses(self, dtype: DType) -> Option<&'static str> {
        match (self, dtype) {
            (ReduceOp::Ptp, DType::Bool) => Some("NumPy has no boolean subtract"),
            _ => None,
        }
    }

    /// What a reduction over nothing gives.
    pub(crate) const fn empty(self) -> Empty {
        match self {
            ReduceOp::Mean | ReduceOp::NanMean => Empty::Nan,
            ReduceOp::Min
            | ReduceOp::Max
            | ReduceOp::NanMin
            | ReduceOp::NanMax
            | ReduceOp::Ptp
            | ReduceOp::ArgMax
            | ReduceOp::ArgMin
            | ReduceOp::NanArgMax
            | ReduceOp::NanArgMin => Empty::Error,
            _ => Empty::Identity,
        }
    }
}

impl ReduceOp {
    /// The fold passes of a value-reduction (one, or two for `NanMean`) and its finish.
    pub(crate) fn plan(self) -> (&'static [FoldKind], Finish) {
        use FoldKind as K;
        match self {
            ReduceOp::Sum => (&[K::Sum], Finish::Cast),
            ReduceOp::NanSum => (&[K::NanSum], Finish::Cast),
            ReduceOp::Prod => (&[K::Prod], Finish::Cast),
            ReduceOp::NanProd => (&[K::NanProd], Finish::Cast),
            ReduceOp::Mean => (&[K::MeanSum], Finish::Mean),
            ReduceOp::NanMean => (&[K::NanMeanSum, K::CountNotNan], Finish::NanMean),
            ReduceOp::CountNonzero => (&[K::CountNonzero], Finish::Cast),
            ReduceOp::Any => (&[K::Any], Finish::Flag),
            ReduceOp::All => (&[K::All], Finish::Flag),
            ReduceOp::Max | ReduceOp::ArgMax => (&[K::Max], Finish::Keys),
            ReduceOp::Min | ReduceOp::ArgMin => (&[K::Min], Finish::Keys),
            ReduceOp::NanMax | ReduceOp::NanArgMax => (&[K::NanMax], Finish::Keys),
            ReduceOp::NanMin | ReduceOp::NanArgMin => (&[K::NanMin], Finish::Keys),
            ReduceOp::Ptp => (&[K::Max, K::Min], Finish::Ptp),
        }
    }
}

/// Words of the exact accumulator(s) of one output over `dtype`; 0 where sums are not exact.
pub(crate) const fn exact_words(dtype: DType) -> usize {
    match dtype {
        DType::Float16 | DType::BFloat16 | DType::Float32 => crate::exact::WORDS32,
        DType::Complex64 => 2 * crate::exact::WORDS32,
        DType::Float64 => crate::exact::WORDS64,
        _ => 0,
    }
}

impl std::fmt::Display for ReduceOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_dtypes_follow_numpy() {
        for op in ReduceOp::ALL {
            assert_eq!(ReduceOp::from_name(op.name()), Some(op));
        }
        assert_eq!(ReduceOp::Mean.out_dtype(DType::Int8), DType::Float64);
        assert_eq!(ReduceOp::Mean.out_dtype(DType::Float16), DType::Float16);
        assert_eq!(ReduceOp::Prod.out_dtype(DType::UInt8), DType::UInt64);
        assert_eq!(ReduceOp::Max.out_dtype(DType::UInt8), DType::UInt8);
        assert_eq!(ReduceOp::All.out_dtype(DType::Float32), DType::Bool);
        assert_eq!(ReduceOp::CountNonzero.out_dtype(DType::Bool), DType::Int64);
    }
}
