//! The folds: what one pass of a value-reduction accumulates. Every device implements each
//! (the CPU's instructions in `cpu/fold_ops.rs`, the GPU's in `shaders/fold/NAME.wgsl`), and every
//! device's accumulators have the same dtype and bytes, so the stream and the finish can merge
//! any of them.

use super::exact_words;
use crate::DType;

/// What a pass accumulates; every value-reduction is one or two of these plus a finish
/// (`ReduceOp::plan` picks them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum FoldKind {
    /// Wrapping integer sums (int64 / uint64); float sums are exact (`exact_fold`: canonical
    /// accumulator words, see `FoldKind::is_exact`).
    Sum,
    /// As `Sum` with NaN -> 0.
    NanSum,
    /// Sums of a mean: integers as float64 (pairwise), floats as `Sum`.
    MeanSum,
    /// As `MeanSum` with NaN -> 0.
    NanMeanSum,
    /// Products, with the accumulators of `Sum`.
    Prod,
    /// As `Prod` with NaN -> 1.
    NanProd,
    /// int64 count of elements != 0 (NaN counts).
    CountNonzero,
    /// int64 count of elements that are not NaN.
    CountNotNan,
    /// u32 flag: some element != 0.
    Any,
    /// u32 flag: every element != 0.
    All,
    /// Largest order key (u32 for items up to 4 bytes, else u64); NaN is the largest.
    Max,
    /// Largest reversed key; NaN is the largest.
    Min,
    /// Largest key, NaN -> 0 (below every other key).
    NanMax,
    /// Largest reversed key, NaN -> 0.
    NanMin,
}

impl FoldKind {
    /// Every fold (the engine's unit test runs each).
    #[cfg(test)]
    pub(crate) const ALL: [FoldKind; 14] = [
        FoldKind::Sum,
        FoldKind::NanSum,
        FoldKind::MeanSum,
        FoldKind::NanMeanSum,
        FoldKind::Prod,
        FoldKind::NanProd,
        FoldKind::CountNonzero,
        FoldKind::CountNotNan,
        FoldKind::Any,
        FoldKind::All,
        FoldKind::Max,
        FoldKind::Min,
        FoldKind::NanMax,
        FoldKind::NanMin,
    ];
}

impl FoldKind {
    /// The fold's name: its GPU snippet is `shaders/fold/NAME.wgsl`.
    pub(crate) const fn name(self) -> &'static str {
        use FoldKind as K;
        match self {
            K::Sum => "sum",
            K::NanSum => "nansum",
            K::MeanSum => "meansum",
            K::NanMeanSum => "nanmeansum",
            K::Prod => "prod",
            K::NanProd => "nanprod",
            K::CountNonzero => "count_nonzero",
            K::CountNotNan => "count_not_nan",
            K::Any => "any",
            K::All => "all",
            K::Max => "max",
            K::Min => "min",
            K::NanMax => "nanmax",
            K::NanMin => "nanmin",
        }
    }

    /// True for the float sums that are exact (issue 8): `Sum`, `NanSum`, `MeanSum` and
    /// `NanMeanSum` over float16, bfloat16, float32, float64 and complex64. Their
    /// accumulators are canonical exact-accumulator words (`exact::WORDS32` /
    /// `exact::WORDS64` u32 words each, two per complex64 output: real part first).
    pub(crate) const fn is_exact(self, dtype: DType) -> bool {
        matches!(
            self,
            FoldKind::Sum | FoldKind::NanSum | FoldKind::MeanSum | FoldKind::NanMeanSum
        ) && exact_words(dtype) > 0
    }

    /// The dtype of this fold's accumulators over elements of `dtype` (the bytes the CPU and
    /// the GPU both produce, and the stream merges).
    pub(crate) const fn acc_dtype(self, dtype: DType) -> DType {
        use FoldKind as K;
        if self.is_exact(dtype) {
            return DType::UInt32;
        }
        match self {
            K::Sum | K::NanSum | K::Prod | K::NanProd => dtype.sum_accumulator(),
            K::MeanSum | K::NanMeanSum => DType::Float64,
            K::CountNonzero | K::CountNotNan => DType::Int64,
            K::Any | K::All => DType::UInt32,
            K::Max | K::Min | K::NanMax | K::NanMin => {
                if dtype.itemsize() <= 4 {
                    DType::UInt32
                } else {
                    DType::UInt64
                }
            }
        }
    }

    /// Elements of [`Self::acc_dtype`] per output element: the words of the exact sums'
    /// accumulators, 1 for every other fold.
    pub(crate) const fn acc_len(self, dtype: DType) -> usize {
        if self.is_exact(dtype) {
            exact_words(dtype)
        } else {
            1
        }
    }
}
