//! The CPU's fold instructions, one small block per operation: identity, per-element map,
//! combine, and the whole-row or block kernels of the few that have one. Element types are
//! the leaves: each instruction is implemented for every dtype by a macro line.

use half::{bf16, f16};
use num_complex::Complex;

use super::exact_fold::{fold_exact, fold_exact_counted, merge_words};
use super::fold::{Fold, fold_typed};
use super::{CpuStorage, with_storage};
use crate::Element;
use crate::plan::Reduce3;
use crate::platform::{self, Largest};
pub(crate) use crate::reduce::FoldKind;

/// Zero-sized instruction types, one per [`FoldKind`] but the nan-sums (integers have no NaN,
/// float sums are exact, `exact_fold`), plus `KeyMax`, the merge of keys.
macro_rules! instructions {
    ($($name:ident),*) => {$(
        #[derive(Clone, Copy, Debug, Default)]
        pub(crate) struct $name;
    )*};
}
instructions!(
    Sum,
    MeanSum,
    Prod,
    NanProd,
    CountNonzero,
    CountNotNan,
    Any,
    All,
    Max,
    Min,
    NanMax,
    NanMin,
    KeyMax
);

/// Runs `$body` with `$F` naming the instruction type of `$kind`, for integers and bool, which have no NaN: the nan-variants are the plain
/// instructions, so they are not compiled twice.
macro_rules! with_fold_int {
    ($kind:expr, $F:ident => $body:expr) => {
        match $kind {
            FoldKind::Sum => {
                type $F = Sum;
                $body
            }
            FoldKind::NanSum => {
                type $F = Sum;
                $body
            }
            FoldKind::MeanSum => {
                type $F = MeanSum;
                $body
            }
            FoldKind::NanMeanSum => {
                type $F = MeanSum;
                $body
            }
            FoldKind::Prod => {
                type $F = Prod;
                $body
            }
            FoldKind::NanProd => {
                type $F = Prod;
                $body
            }
            FoldKind::CountNonzero => {
                type $F = CountNonzero;
                $body
            }
            FoldKind::CountNotNan => {
                type $F = CountNotNan;
                $body
            }
            FoldKind::Any => {
                type $F = Any;
                $body
            }
            FoldKind::All => {
                type $F = All;
                $body
            }
            FoldKind::Max => {
                type $F = Max;
                $body
            }
            FoldKind::Min => {
                type $F = Min;
                $body
            }
            FoldKind::NanMax => {
                type $F = Max;
                $body
            }
            FoldKind::NanMin => {
                type $F = Min;
                $body
            }
        }
    };
}

/// Runs every pass of `kind` over `x`: the first pass folds elements, later ones merge
/// accumulators. The result holds accumulators (finish them with `reduce::finish_host`).
pub(crate) fn fold(x: &CpuStorage, kind: FoldKind, passes: &[Reduce3]) -> CpuStorage {
    with_storage!(x, v => FoldElem::fold(kind, v, passes))
}

/// The accumulators of every fold of a plan (`kinds`) over `x`. nanmean's exact sum and
/// non-NaN count come from one pass over memory (the count from the NaNs the sum left out).
pub(crate) fn fold_all(x: &CpuStorage, kinds: &[FoldKind], passes: &[Reduce3]) -> Vec<CpuStorage> {
    with_storage!(x, v => FoldElem::fold_all(kinds, v, passes))
}

/// An element type every fold instruction takes (the 14 dtypes): the per-dtype match written
/// once, for callers that hold typed slices (the stream's file chunks).
pub(crate) trait FoldElem: Element {
    /// [`fold`] of a slice.
    fn fold(kind: FoldKind, x: &[Self], passes: &[Reduce3]) -> CpuStorage;
    /// [`fold_all`] of a slice.
    fn fold_all(kinds: &[FoldKind], x: &[Self], passes: &[Reduce3]) -> Vec<CpuStorage> {
        if kinds == [FoldKind::NanMeanSum, FoldKind::CountNotNan]
            && let Some(both) = Self::nansum_and_count(x, passes)
        {
            return both.into();
        }
        kinds.iter().map(|&k| Self::fold(k, x, passes)).collect()
    }
    /// The accumulators of `NanMeanSum` and `CountNotNan` in one pass, where the sum is exact
    /// (floats); `None` elsewhere.
    fn nansum_and_count(_x: &[Self], _passes: &[Reduce3]) -> Option<[CpuStorage; 2]> {
        None
    }
    /// The plain serial algorithm the fast paths of one pass must match bit for bit.
    #[cfg(test)]
    fn reference(kind: FoldKind, x: &[Self], r: Reduce3) -> CpuStorage;
}

macro_rules! fold_elem {
    ($with:ident: $($t:ty),*) => {$(
        impl FoldElem for $t {
            fn fold(kind: FoldKind, x: &[$t], passes: &[Reduce3]) -> CpuStorage {
                $with!(kind, F => fold_passes::<$t, F>(x, passes))
            }
            #[cfg(test)]
            fn reference(kind: FoldKind, x: &[$t], r: Reduce3) -> CpuStorage {
                $with!(kind, F => {
                    <F as Fold<$t>>::Acc::into_storage(super::fold::tests::ref_sum::<$t, F>(x, r))
                })
            }
        }
    )*};
}
fold_elem!(with_fold_int: bool, i8, u8, i16, u16, i32, u32, i64, u64);

/// The same for floats, whose sums are exact (`exact_fold`, not a [`Fold`]
/// instruction): `$sums` runs for `Sum`, `NanSum`, `MeanSum` and `NanMeanSum`.
macro_rules! with_fold_float {
    ($kind:expr, $F:ident => $body:expr, sums => $sums:expr) => {
        match $kind {
            FoldKind::Sum | FoldKind::NanSum | FoldKind::MeanSum | FoldKind::NanMeanSum => $sums,
            FoldKind::Prod => {
                type $F = Prod;
                $body
            }
            FoldKind::NanProd => {
                type $F = NanProd;
                $body
            }
            FoldKind::CountNonzero => {
                type $F = CountNonzero;
                $body
            }
            FoldKind::CountNotNan => {
                type $F = CountNotNan;
                $body
            }
            FoldKind::Any => {
                type $F = Any;
                $body
            }
            FoldKind::All => {
                type $F = All;
                $body
            }
            FoldKind::Max => {
                type $F = Max;
                $body
            }
            FoldKind::Min => {
                type $F = Min;
                $body
            }
            FoldKind::NanMax => {
                type $F = NanMax;
                $body
            }
            FoldKind::NanMin => {
                type $F = NanMin;
                $body
            }
        }
    };
}

/// Floats: the sums are exact (`exact_fold`), the other folds as for every type.
macro_rules! fold_elem_float {
    ($($t:ty),*) => {$(
        impl FoldElem for $t {
            fn fold(kind: FoldKind, x: &[$t], passes: &[Reduce3]) -> CpuStorage {
                with_fold_float!(kind, F => fold_passes::<$t, F>(x, passes),
                    sums => fold_exact(x, passes, exact_skips_nan(kind)))
            }
            fn nansum_and_count(x: &[$t], passes: &[Reduce3]) -> Option<[CpuStorage; 2]> {
                let (sums, counts) = fold_exact_counted(x, passes, true);
                Some([sums, counts])
            }
            #[cfg(test)]
            fn reference(kind: FoldKind, x: &[$t], r: Reduce3) -> CpuStorage {
                with_fold_float!(kind, F => {
                    <F as Fold<$t>>::Acc::into_storage(super::fold::tests::ref_sum::<$t, F>(x, r))
                }, sums => super::exact_fold::reference(x, r, exact_skips_nan(kind)))
            }
        }
    )*};
}
fold_elem_float!(f16, bf16, f32, f64, Complex<f32>);

/// True for the exact sums that leave NaN elements out.
fn exact_skips_nan(kind: FoldKind) -> bool {
    matches!(kind, FoldKind::NanSum | FoldKind::NanMeanSum)
}

/// The accumulators of `kind` over a slice, for the stream (the same passes as [`fold`]).
pub(crate) fn fold_passes<T: Copy + Send + Sync, F: Fold<T>>(
    x: &[T],
    passes: &[Reduce3],
) -> CpuStorage {
    let Some((first, rest)) = passes.split_first() else {
        return F::Acc::into_storage(x.iter().map(|&v| F::map(v)).collect());
    };
    let mut acc = fold_typed::<T, F>(x, *first);
    for r in rest {
        acc = fold_typed::<F::Acc, F::Merge>(&acc, *r);
    }
    F::Acc::into_storage(acc)
}

/// `n` accumulators of `kind` over nothing (its identity) for elements of `dtype`: 0 (and
/// the exact sums' zero words, the extrema's below-everything key 0), 1 for products and
/// `all`.
pub(crate) fn fold_identity(kind: FoldKind, dtype: crate::DType, n: usize) -> CpuStorage {
    let acc = kind.acc_dtype(dtype);
    let n = n * kind.acc_len(dtype);
    match (kind, acc) {
        (FoldKind::All, _) => CpuStorage::U32(vec![1; n]),
        (FoldKind::Prod | FoldKind::NanProd, _) => match acc {
            crate::DType::Int64 => CpuStorage::I64(vec![1; n]),
            crate::DType::UInt64 => CpuStorage::U64(vec![1; n]),
            crate::DType::Float32 => CpuStorage::F32(vec![1.0; n]),
            crate::DType::Float64 => CpuStorage::F64(vec![1.0; n]),
            _ => CpuStorage::C64(vec![Complex::new(1.0, 0.0); n]),
        },
        _ => CpuStorage::zeros(acc, n),
    }
}

/// `a[i] = combine(a[i], b[i])` for accumulators of `kind` over elements of `elem` (`a`
/// earlier than `b`): how the stream merges the partial results of two chunks.
pub(crate) fn merge(kind: FoldKind, elem: crate::DType, a: &mut CpuStorage, b: &CpuStorage) {
    fn typed<A: Element, M: Fold<A, Acc = A>>(a: &mut CpuStorage, b: &CpuStorage) {
        if let (Some(a), Some(b)) = (A::slice_mut(a), A::slice(b)) {
            for (x, &y) in a.iter_mut().zip(b) {
                *x = M::combine(*x, y);
            }
        }
    }
    use crate::DType as D;
    use FoldKind as K;
    if kind.is_exact(elem) {
        if let (CpuStorage::U32(a), CpuStorage::U32(b)) = (a, b) {
            merge_words(elem, a, b);
        }
        return;
    }
    match (kind, a.dtype()) {
        (K::Sum | K::NanSum | K::MeanSum | K::NanMeanSum | K::CountNonzero | K::CountNotNan, d) => {
            match d {
                D::Int64 => typed::<i64, Sum>(a, b),
                D::UInt64 => typed::<u64, Sum>(a, b),
                _ => typed::<f64, Sum>(a, b),
            }
        }
        (K::Prod | K::NanProd, d) => match d {
            D::Int64 => typed::<i64, Prod>(a, b),
            D::UInt64 => typed::<u64, Prod>(a, b),
            D::Float32 => typed::<f32, Prod>(a, b),
            D::Float64 => typed::<f64, Prod>(a, b),
            _ => typed::<Complex<f32>, Prod>(a, b),
        },
        (K::Any, _) => typed::<u32, Any>(a, b),
        (K::All, _) => typed::<u32, All>(a, b),
        (K::Max | K::Min | K::NanMax | K::NanMin, D::UInt32) => typed::<u32, KeyMax>(a, b),
        (K::Max | K::Min | K::NanMax | K::NanMin, _) => typed::<u64, KeyMax>(a, b),
    }
}

// ---- sums and products ------------------------------------------------------------------

/// `impl Fold<$t> for $op` with accumulator `$acc`, identity `$id`, map `|x| ...` and combine
/// `|a, b| ...`; `$merge` merges accumulators.
macro_rules! fold {
    ($op:ty, $t:ty, $acc:ty, $merge:ty, free = $free:expr, id = $id:expr,
     |$x:ident| $map:expr, |$a:ident, $b:ident| $combine:expr $(, $extra:item)*) => {
        impl Fold<$t> for $op {
            type Acc = $acc;
            type Merge = $merge;
            const ORDER_FREE: bool = $free;
            #[inline(always)]
            fn identity() -> $acc {
                $id
            }
            #[inline(always)]
            fn map($x: $t) -> $acc {
                $map
            }
            #[inline(always)]
            fn combine($a: $acc, $b: $acc) -> $acc {
                $combine
            }
            $($extra)*
        }
    };
}

/// Integer (and bool) sums and products, wrapping in 64 bits, and the float64 sums of their
/// means; `$row` is the type's whole-row sum kernel, if it has one. Integers have no NaN:
/// the nan-variants run the plain folds (`with_fold_int`).
macro_rules! int_folds {
    ($t:ty => $acc:ty, |$m:ident| $mean:expr $(, $row:path)?) => {
        fold!(Sum, $t, $acc, Sum, free = true, id = 0, |x| x as $acc, |a, b| a.wrapping_add(b)
              $(, #[inline(always)] fn row(x: &[$t]) -> Option<$acc> { Some($row(x)) })?);
        fold!(Prod, $t, $acc, Prod, free = true, id = 1, |x| x as $acc, |a, b| a.wrapping_mul(b));
        fold!(MeanSum, $t, f64, Sum, free = false, id = 0.0, |$m| $mean, |a, b| a + b);
    };
}
int_folds!(bool => i64, |x| f64::from(u8::from(x)));
int_folds!(i8 => i64, |x| f64::from(x));
int_folds!(i16 => i64, |x| f64::from(x));
int_folds!(i32 => i64, |x| f64::from(x), sum_row_i32);
int_folds!(i64 => i64, |x| x as f64);
int_folds!(u8 => u64, |x| f64::from(x));
int_folds!(u16 => u64, |x| f64::from(x));
int_folds!(u32 => u64, |x| f64::from(x), sum_row_u32);
int_folds!(u64 => u64, |x| x as f64);

/// The wrapping i64 sum of a whole i32 row (AVX2 kernel, else the split sum).
#[inline(always)]
fn sum_row_i32(x: &[i32]) -> i64 {
    platform::sum_i32(x).unwrap_or_else(|| sum_split_i32(x))
}

/// The wrapping u64 sum of a whole u32 row.
#[inline(always)]
fn sum_row_u32(x: &[u32]) -> u64 {
    platform::avx2_or(
        #[inline(always)]
        || sum_split_u32(x),
    )
}

/// Float products (the sums are exact, `exact_fold`): `$widen` takes an element to the
/// accumulator, `$nan` tests it.
macro_rules! float_folds {
    ($t:ty, $acc:ty, |$x:ident| $widen:expr, $one:expr, |$y:ident| $nan:expr) => {
        fold!(
            Prod,
            $t,
            $acc,
            Prod,
            free = false,
            id = $one,
            |$x| $widen,
            |a, b| a * b
        );
        fold!(
            NanProd,
            $t,
            $acc,
            Prod,
            free = false,
            id = $one,
            |$y| if $nan {
                $one
            } else {
                let $x = $y;
                $widen
            },
            |a, b| a * b
        );
    };
}
float_folds!(f16, f32, |x| x.to_f32(), 1.0, |y| y.is_nan());
float_folds!(bf16, f32, |x| x.to_f32(), 1.0, |y| y.is_nan());
// float32 prod and nanprod: the generic instructions with the vector block kernel.
macro_rules! f32_prod_fold {
    ($op:ty, |$x:ident| $map:expr, skip_nan = $skip:expr) => {
        fold!(
            $op,
            f32,
            f32,
            Prod,
            free = false,
            id = 1.0,
            |$x| $map,
            |a, b| a * b,
            fn blocks(x: &[f32], out: &mut [f32]) {
                if !platform::block_prods_f32(x, out, $skip) {
                    for (o, b) in out.iter_mut().zip(x.chunks_exact(super::fold::BLOCK)) {
                        *o = super::fold::fold_block::<f32, Self>(b);
                    }
                }
            }
        );
    };
}
f32_prod_fold!(Prod, |x| x, skip_nan = false);
f32_prod_fold!(
    NanProd,
    |x| if x.is_nan() { 1.0 } else { x },
    skip_nan = true
);
float_folds!(f64, f64, |x| x, 1.0, |y| y.is_nan());
float_folds!(
    Complex<f32>,
    Complex<f32>,
    |x| x,
    Complex::new(1.0, 0.0),
    |y| y.re.is_nan() || y.im.is_nan()
);

// The float64 sums of integer means (and their merges in later passes and across chunks),
// pairwise with the vector block kernel.
fold!(
    Sum,
    f64,
    f64,
    Sum,
    free = false,
    id = 0.0,
    |x| x,
    |a, b| a + b,
    fn blocks(x: &[f64], out: &mut [f64]) {
        if !platform::block_sums_f64(x, out) {
            for (o, b) in out.iter_mut().zip(x.chunks_exact(super::fold::BLOCK)) {
                *o = super::fold::fold_block::<f64, Sum>(b);
            }
        }
    }
);

// ---- counts and flags ---------------------------------------------------------------------

/// `x != 0` and `x is NaN` for every element type (NaN != 0; complex: either part).
pub(crate) trait Truth: Copy {
    fn nonzero(self) -> bool;
    fn nan(self) -> bool;
}

macro_rules! int_truth {
    ($($t:ty),*) => {$(
        impl Truth for $t {
            #[inline(always)]
            fn nonzero(self) -> bool {
                self != 0
            }
            #[inline(always)]
            fn nan(self) -> bool {
                false
            }
        }
    )*};
}
int_truth!(i8, u8, i16, u16, i32, u32, i64, u64);

impl Truth for bool {
    #[inline(always)]
    fn nonzero(self) -> bool {
        self
    }
    #[inline(always)]
    fn nan(self) -> bool {
        false
    }
}

macro_rules! float_truth {
    ($($t:ty => $bits:ty, $abs:expr, $inf:expr);*) => {$(
        impl Truth for $t {
            #[inline(always)]
            fn nonzero(self) -> bool {
                self.to_bits() & $abs != 0
            }
            #[inline(always)]
            fn nan(self) -> bool {
                self.to_bits() & $abs > $inf
            }
        }
    )*};
}
float_truth!(
    f16 => u16, 0x7fff, 0x7c00;
    bf16 => u16, 0x7fff, 0x7f80;
    f32 => u32, 0x7fff_ffff, 0x7f80_0000;
    f64 => u64, 0x7fff_ffff_ffff_ffff, 0x7ff0_0000_0000_0000
);

impl Truth for Complex<f32> {
    #[inline(always)]
    fn nonzero(self) -> bool {
        self.re.nonzero() || self.im.nonzero()
    }
    #[inline(always)]
    fn nan(self) -> bool {
        self.re.nan() || self.im.nan()
    }
}

/// The elements of a row that pass `test`, counted in u32 lanes (twice as many per vector
/// register as the accumulator's i64, and no widening per element) over chunks short enough
/// that no lane overflows.
#[inline(always)]
fn count_where<T: Copy>(x: &[T], test: impl Fn(T) -> bool) -> i64 {
    const LANES: usize = 32;
    let mut total = 0i64;
    for chunk in x.chunks(1 << 30) {
        let mut lanes = [0u32; LANES];
        let mut rows = chunk.chunks_exact(LANES);
        for c in &mut rows {
            platform::prefetch_ahead(c);
            for (l, &v) in lanes.iter_mut().zip(c) {
                *l += u32::from(test(v));
            }
        }
        let rest = rows.remainder().iter().filter(|&&v| test(v)).count();
        total += lanes.iter().map(|&l| i64::from(l)).sum::<i64>() + rest as i64;
    }
    total
}

macro_rules! truth_folds {
    ($($t:ty),*) => {$(
        fold!(CountNonzero, $t, i64, Sum, free = true, id = 0,
              |x| i64::from(x.nonzero()), |a, b| a.wrapping_add(b),
              #[inline(always)]
              fn row(x: &[$t]) -> Option<i64> {
                  Some(count_where(x, Truth::nonzero))
              });
        fold!(CountNotNan, $t, i64, Sum, free = true, id = 0,
              |x| i64::from(!x.nan()), |a, b| a.wrapping_add(b),
              #[inline(always)]
              fn row(x: &[$t]) -> Option<i64> {
                  Some(count_where(x, |v: $t| !v.nan()))
              });
    )*};
}
/// `$m!` over every element type but float32, which some folds give their own row kernels
/// (the others add it with `$m!(f32)`).
macro_rules! all_but_f32 {
    ($m:ident) => {
        $m!(
            bool,
            i8,
            u8,
            i16,
            u16,
            i32,
            u32,
            i64,
            u64,
            f16,
            bf16,
            f64,
            Complex<f32>
        );
    };
}

/// `any` / `all` of the types without a row kernel.
macro_rules! any_all_folds {
    ($($t:ty),*) => {$(
        fold!(Any, $t, u32, Any, free = true, id = 0, |x| u32::from(x.nonzero()), |a, b| a | b);
        fold!(All, $t, u32, All, free = true, id = 1, |x| u32::from(x.nonzero()), |a, b| a & b);
    )*};
}
all_but_f32!(any_all_folds);
fold!(
    Any,
    f32,
    u32,
    Any,
    free = true,
    id = 0,
    |x| u32::from(x.nonzero()),
    |a, b| a | b,
    #[inline(always)]
    fn row(x: &[f32]) -> Option<u32> {
        truth_row_f32::<Self>(x, |or, _| or != 0)
    }
);
fold!(
    All,
    f32,
    u32,
    All,
    free = true,
    id = 1,
    |x| u32::from(x.nonzero()),
    |a, b| a & b,
    #[inline(always)]
    fn row(x: &[f32]) -> Option<u32> {
        truth_row_f32::<Self>(x, |_, min| min != 0)
    }
);

/// A float32 `any` / `all` row on the truth kernel (`platform::truth_f32`), the tail past the
/// last 32 elements folded element by element; None (the generic loop) without AVX2.
#[inline(always)]
fn truth_row_f32<F: Fold<f32, Acc = u32>>(
    x: &[f32],
    head: impl Fn(u32, u32) -> bool,
) -> Option<u32> {
    let n = x.len() / 32 * 32;
    let (or, min) = platform::truth_f32(&x[..n])?;
    let head = u32::from(head(or, min));
    Some(x[n..].iter().fold(head, |a, &v| F::combine(a, F::map(v))))
}
all_but_f32!(truth_folds);
truth_folds!(f32);

// ---- extrema through order keys ------------------------------------------------------------

/// An element's order key: an unsigned integer whose order is the element's, injective on
/// everything but NaN (so -0.0 < +0.0 and the maximum is an element, bit for bit), with every
/// NaN at the top (`Key::MAX`) and 0 never the key of a non-NaN float. The GPU's
/// `shaders/common/keys.wgsl` computes the same keys.
pub(crate) trait OrderKey: Copy {
    type Key: Element + bytemuck::Pod + Ord + std::ops::Not<Output = Self::Key>;
    /// True for floats: their key `MAX` is NaN's, and 0 is no element's.
    const HAS_NAN: bool;
    const MAX: Self::Key;
    const ZERO: Self::Key;
    fn key(self) -> Self::Key;
    fn is_nan_key(self) -> bool;
    /// The element of a key (NaN keys give the canonical quiet NaN).
    fn from_key(k: Self::Key) -> Self;
}

macro_rules! int_order_key {
    ($($t:ty => $u:ty, $w:ty, $flip:expr);*) => {$(
        impl OrderKey for $t {
            type Key = $u;
            const HAS_NAN: bool = false;
            const MAX: $u = <$u>::MAX;
            const ZERO: $u = 0;
            #[inline(always)]
            fn key(self) -> $u {
                (self as $w as $u) ^ $flip
            }
            #[inline(always)]
            fn is_nan_key(self) -> bool {
                false
            }
            #[inline(always)]
            fn from_key(k: $u) -> $t {
                ((k ^ $flip) as $w) as $t
            }
        }
    )*};
}
int_order_key!(
    i8 => u32, u8, 0x80; u8 => u32, u8, 0; i16 => u32, u16, 0x8000; u16 => u32, u16, 0;
    i32 => u32, u32, 0x8000_0000; u32 => u32, u32, 0; i64 => u64, u64, 1 << 63;
    u64 => u64, u64, 0
);

impl OrderKey for bool {
    type Key = u32;
    const HAS_NAN: bool = false;
    const MAX: u32 = u32::MAX;
    const ZERO: u32 = 0;
    #[inline(always)]
    fn key(self) -> u32 {
        u32::from(self)
    }
    #[inline(always)]
    fn is_nan_key(self) -> bool {
        false
    }
    #[inline(always)]
    fn from_key(k: u32) -> bool {
        k & 1 != 0
    }
}

/// The total order key of IEEE bits of `$bits` width: positives set the sign bit, negatives
/// flip every bit; NaN -> all ones.
macro_rules! float_order_key {
    ($($t:ty => $u:ty, $bits:ty, $sign:expr, $abs:expr, $inf:expr, $qnan:expr,
       |$b:ident| $to_bits:expr, |$k:ident| $from_bits:expr);*) => {$(
        impl OrderKey for $t {
            type Key = $u;
            const HAS_NAN: bool = true;
            const MAX: $u = <$u>::MAX;
            const ZERO: $u = 0;
            #[inline(always)]
            fn key(self) -> $u {
                let $b = self;
                let b: $bits = $to_bits;
                let k = if b & $sign != 0 { !b } else { b | $sign };
                if b & $abs > $inf { <$u>::MAX } else { k as $u }
            }
            #[inline(always)]
            fn is_nan_key(self) -> bool {
                let $b = self;
                let b: $bits = $to_bits;
                b & $abs > $inf
            }
            #[inline(always)]
            fn from_key(key: $u) -> $t {
                let $k: $bits = if key == <$u>::MAX {
                    $qnan
                } else {
                    let k = key as $bits;
                    if k & $sign != 0 { k ^ $sign } else { !k }
                };
                $from_bits
            }
        }
    )*};
}
float_order_key!(
    f16 => u32, u16, 0x8000, 0x7fff, 0x7c00, 0x7e00, |b| b.to_bits(), |k| f16::from_bits(k);
    bf16 => u32, u16, 0x8000, 0x7fff, 0x7f80, 0x7fc0, |b| b.to_bits(), |k| bf16::from_bits(k);
    f32 => u32, u32, 0x8000_0000, 0x7fff_ffff, 0x7f80_0000, 0x7fc0_0000,
        |b| b.to_bits(), |k| f32::from_bits(k);
    f64 => u64, u64, 1 << 63, 0x7fff_ffff_ffff_ffff, 0x7ff0_0000_0000_0000,
        0x7ff8_0000_0000_0000, |b| b.to_bits(), |k| f64::from_bits(k)
);

impl OrderKey for Complex<f32> {
    type Key = u64;
    const HAS_NAN: bool = true;
    const MAX: u64 = u64::MAX;
    const ZERO: u64 = 0;
    /// (real, imag) lexicographic; a NaN in either part is NaN.
    #[inline(always)]
    fn key(self) -> u64 {
        let (re, im) = (self.re.key(), self.im.key());
        if re == u32::MAX || im == u32::MAX {
            u64::MAX
        } else {
            (u64::from(re) << 32) | u64::from(im)
        }
    }
    #[inline(always)]
    fn is_nan_key(self) -> bool {
        self.re.is_nan_key() || self.im.is_nan_key()
    }
    #[inline(always)]
    fn from_key(k: u64) -> Complex<f32> {
        if k == u64::MAX {
            let nan = f32::from_bits(0x7fc0_0000);
            return Complex::new(nan, nan);
        }
        Complex::new(f32::from_key((k >> 32) as u32), f32::from_key(k as u32))
    }
}

fold!(
    KeyMax,
    u32,
    u32,
    KeyMax,
    free = true,
    id = 0,
    |x| x,
    |a, b| a.max(b)
);
fold!(
    KeyMax,
    u64,
    u64,
    KeyMax,
    free = true,
    id = 0,
    |x| x,
    |a, b| a.max(b)
);

macro_rules! key_folds {
    ($($t:ty),*) => {$(
        fold!(Max, $t, <$t as OrderKey>::Key, KeyMax, free = true, id = <$t as OrderKey>::ZERO,
              |x| x.key(), |a, b| a.max(b));
        fold!(Min, $t, <$t as OrderKey>::Key, KeyMax, free = true, id = <$t as OrderKey>::ZERO,
              |x| if x.is_nan_key() { <$t as OrderKey>::MAX } else { !x.key() },
              |a, b| a.max(b));
        fold!(NanMax, $t, <$t as OrderKey>::Key, KeyMax, free = true,
              id = <$t as OrderKey>::ZERO,
              |x| if x.is_nan_key() { <$t as OrderKey>::ZERO } else { x.key() },
              |a, b| a.max(b));
        fold!(NanMin, $t, <$t as OrderKey>::Key, KeyMax, free = true,
              id = <$t as OrderKey>::ZERO,
              |x| if x.is_nan_key() { <$t as OrderKey>::ZERO } else { !x.key() },
              |a, b| a.max(b));
    )*};
}
all_but_f32!(key_folds);

/// The float32 extrema, whose rows take the vector extremes kernel (`platform::largest_f32`:
/// three instructions per eight elements, against the keys' ten): the same maps as
/// `key_folds!`'s.
macro_rules! f32_key_fold {
    ($op:ty, |$x:ident| $map:expr, min = $min:expr, skip_nan = $skip:expr) => {
        fold!(
            $op,
            f32,
            u32,
            KeyMax,
            free = true,
            id = 0,
            |$x| $map,
            |a, b| a.max(b),
            #[inline(always)]
            fn row(x: &[f32]) -> Option<u32> {
                row_key_f32::<Self>(x, $min, $skip)
            }
        );
    };
}
f32_key_fold!(Max, |x| x.key(), min = false, skip_nan = false);
f32_key_fold!(
    Min,
    |x| if x.is_nan_key() { u32::MAX } else { !x.key() },
    min = true,
    skip_nan = false
);
f32_key_fold!(
    NanMax,
    |x| if x.is_nan_key() { 0 } else { x.key() },
    min = false,
    skip_nan = true
);
f32_key_fold!(
    NanMin,
    |x| if x.is_nan_key() { 0 } else { !x.key() },
    min = true,
    skip_nan = true
);

/// The fold of `F` (one of the float32 extrema) over a row, by the extremes of its bits:
/// minima as the maxima of the negated elements (the sign bit flipped, which keeps NaN a NaN
/// and -0.0 below +0.0). The tail past the last 32 elements, and CPUs without AVX2, fold
/// element by element (None: the generic loop).
#[inline(always)]
fn row_key_f32<F: Fold<f32, Acc = u32>>(x: &[f32], min: bool, skip_nan: bool) -> Option<u32> {
    let n = x.len() / 32 * 32;
    if n == 0 {
        return None;
    }
    let flip = if min { 0x8000_0000 } else { 0 };
    let head = match platform::largest_f32(&x[..n], flip, skip_nan)? {
        Largest::Nan => u32::MAX, // the plain extrema's NaN key
        Largest::AllNan => 0,     // the nan-variants' key of nothing
        Largest::Bits(b) if min => !f32::from_bits(b ^ flip).key(),
        Largest::Bits(b) => f32::from_bits(b).key(),
    };
    Some(x[n..].iter().fold(head, |a, &v| a.max(F::map(v))))
}

/// The elements of `dtype` whose keys a `Max`/`Min`/`NanMax`/`NanMin` pass left in `acc`
/// (a NaN key gives the canonical quiet NaN; for the nan-variants the key 0 of an all-NaN
/// slice gives NaN too).
pub(crate) fn keys_to_values(acc: &CpuStorage, kind: FoldKind, dtype: crate::DType) -> CpuStorage {
    fn typed<T: OrderKey + Element>(acc: &CpuStorage, kind: FoldKind) -> CpuStorage {
        let keys = <T::Key as Element>::slice(acc).unwrap_or(&[]);
        let v: Vec<T> = keys
            .iter()
            .map(|&k| {
                if T::HAS_NAN && (k == T::MAX || (k == T::ZERO && kind != FoldKind::Max)) {
                    // NaN's key (or, for the nan-variants, an all-NaN slice's 0).
                    return T::from_key(T::MAX);
                }
                match kind {
                    FoldKind::Min | FoldKind::NanMin => T::from_key(!k),
                    _ => T::from_key(k),
                }
            })
            .collect();
        T::into_storage(v)
    }
    crate::element::with_dtype!(dtype, T => typed::<T>(acc, kind))
}

// ---- the split integer sums ----------------------------------------------------------------

/// Lanes of the split integer sums; each lane adds at most `SPLIT_CHUNK / SPLIT_LANES` = 4096
/// 16-bit halves, which cannot overflow 32 bits.
const SPLIT_LANES: usize = 16;
const SPLIT_CHUNK: usize = 1 << 16;

/// Σx for i32 without widening every element: x = hi·2^16 + lo with lo in 0..2^16 and hi
/// signed, each summed in 32-bit lanes (no overflow within a chunk), then combined in i64 with
/// wrapping, which is the wrapping i64 sum whatever the order.
#[inline(always)]
fn sum_split_i32(x: &[i32]) -> i64 {
    let mut total = 0i64;
    for chunk in x.chunks(SPLIT_CHUNK) {
        let (mut lo, mut hi) = ([0u32; SPLIT_LANES], [0i32; SPLIT_LANES]);
        let mut it = chunk.chunks_exact(SPLIT_LANES);
        for c in &mut it {
            for j in 0..SPLIT_LANES {
                lo[j] += (c[j] as u32) & 0xffff;
                hi[j] += c[j] >> 16;
            }
        }
        let lo: u64 = lo.iter().map(|&v| u64::from(v)).sum();
        let hi: i64 = hi.iter().map(|&v| i64::from(v)).sum();
        let rest: i64 = it.remainder().iter().map(|&v| i64::from(v)).sum();
        total = total
            .wrapping_add(hi.wrapping_mul(1 << 16))
            .wrapping_add(lo as i64)
            .wrapping_add(rest);
    }
    total
}

/// As [`sum_split_i32`] for u32 (both halves unsigned).
#[inline(always)]
fn sum_split_u32(x: &[u32]) -> u64 {
    let mut total = 0u64;
    for chunk in x.chunks(SPLIT_CHUNK) {
        let (mut lo, mut hi) = ([0u32; SPLIT_LANES], [0u32; SPLIT_LANES]);
        let mut it = chunk.chunks_exact(SPLIT_LANES);
        for c in &mut it {
            for j in 0..SPLIT_LANES {
                lo[j] += c[j] & 0xffff;
                hi[j] += c[j] >> 16;
            }
        }
        let lo: u64 = lo.iter().map(|&v| u64::from(v)).sum();
        let hi: u64 = hi.iter().map(|&v| u64::from(v)).sum();
        let rest: u64 = it.remainder().iter().map(|&v| u64::from(v)).sum();
        total = total
            .wrapping_add(hi.wrapping_mul(1 << 16))
            .wrapping_add(lo)
            .wrapping_add(rest);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::DType;
    use crate::cpu::TestRng as Rng;

    #[test]
    fn split_integer_sums_wrap_like_i64() {
        let mut rng = Rng(5);
        for n in [
            0,
            1,
            15,
            16,
            17,
            33,
            SPLIT_CHUNK - 1,
            SPLIT_CHUNK + 5,
            3 * SPLIT_CHUNK + 77,
        ] {
            let mut v: Vec<i32> = (0..n).map(|_| rng.next() as i32).collect();
            for (i, x) in v.iter_mut().enumerate() {
                if i % 5 == 0 {
                    *x = if i % 10 == 0 { i32::MIN } else { i32::MAX };
                }
            }
            let want = v.iter().fold(0i64, |a, &b| a.wrapping_add(i64::from(b)));
            assert_eq!(sum_split_i32(&v), want, "n = {n}");
            assert_eq!(<Sum as Fold<i32>>::row(&v), Some(want));
            let u: Vec<u32> = v.iter().map(|&a| a as u32).collect();
            let want = u.iter().fold(0u64, |a, &b| a.wrapping_add(u64::from(b)));
            assert_eq!(sum_split_u32(&u), want, "n = {n}");
            assert_eq!(<Sum as Fold<u32>>::row(&u), Some(want));
        }
    }

    #[test]
    fn keys_order_elements_and_invert() {
        let vals = [
            f32::NEG_INFINITY,
            -3.5,
            -1e-45,
            -0.0,
            0.0,
            1e-45,
            2.0,
            f32::INFINITY,
        ];
        for w in vals.windows(2) {
            assert!(w[0].key() < w[1].key(), "{} < {}", w[0], w[1]);
        }
        for v in vals {
            assert_eq!(f32::from_key(v.key()).to_bits(), v.to_bits());
            assert!(v.key() != 0 && v.key() != u32::MAX);
        }
        assert_eq!(f32::NAN.key(), u32::MAX);
        assert_eq!((-f32::NAN).key(), u32::MAX);
        for v in [i8::MIN, -1, 0, 1, i8::MAX] {
            assert_eq!(i8::from_key(v.key()), v);
        }
        assert!((-1i8).key() < 0i8.key());
        assert!(f16::from_f32(-0.0).key() < f16::from_f32(0.0).key());
    }

    /// nanmean's fused fold (the count from the NaNs the exact sum left out) gives the bytes
    /// of the two separate folds, on every strategy: short and long rows, strided columns
    /// (tall ones split by rows), several passes; NaNs rare, in runs, everywhere, none.
    #[test]
    fn nanmean_fused_fold_equals_the_sum_and_count_folds() {
        let r3 = |outer, len, inner| Reduce3 { outer, len, inner };
        let shapes: [&[Reduce3]; 7] = [
            &[r3(7, 333, 1)],
            &[r3(1, 3 << 16, 1)],
            &[r3(2, 300, 37)],
            &[r3(1, 5000, 3)],
            &[r3(1, 3, 20), r3(5, 4, 1)],
            &[r3(15, 4, 1), r3(3, 5, 1)],
            &[],
        ];
        let mut rng = Rng(17);
        for passes in shapes {
            let n = passes.first().map_or(31, Reduce3::input_len);
            for every in [0u64, 1, 3, 1000] {
                let v: Vec<f64> = (0..n)
                    .map(|_| {
                        let r = rng.next();
                        if every > 0 && r.is_multiple_of(every) {
                            f64::NAN
                        } else {
                            (r >> 11) as f64 / (1u64 << 53) as f64 - 0.5
                        }
                    })
                    .collect();
                // complex64: a NaN in either part leaves the element out.
                let c = (0..n).map(|i| Complex::new(v[i] as f32, v[(i * 7) % n] as f32));
                let c = CpuStorage::C64(c.collect());
                for dtype in [
                    DType::Float16,
                    DType::BFloat16,
                    DType::Float32,
                    DType::Float64,
                    DType::Complex64,
                ] {
                    let x = match dtype {
                        DType::Complex64 => c.clone(),
                        d => crate::cpu::cast::cast(&CpuStorage::F64(v.clone()), d),
                    };
                    let kinds = [FoldKind::NanMeanSum, FoldKind::CountNotNan];
                    let fused = fold_all(&x, &kinds, passes);
                    for (k, got) in kinds.iter().zip(&fused) {
                        let want = fold(&x, *k, passes);
                        assert!(
                            got.as_bytes() == want.as_bytes(),
                            "{k:?} {dtype} {passes:?} 1/{every}"
                        );
                    }
                }
            }
        }
    }
}
