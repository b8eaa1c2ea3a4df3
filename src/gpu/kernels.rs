//! Kernel variants: the values each kernel of `shaders/` is composed with, for every dtype and
//! capability profile the crate can ask for. Values choose snippets by name (an element kind,
//! an op, an accumulator) and size constants; every line of WGSL lives in `shaders/`.

use crate::reduce::FoldKind;
use crate::{DType, ReduceOp};

/// Storage chunk layout of one side of a kernel: how many bindings, of which element type, and
/// log2 of the elements per chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Side {
    pub n: usize,
    pub f64: bool,
    pub shift: u32,
}

impl Side {
    /// A side of `n` chunks of `2^chunk_shift` bytes holding u32 words.
    pub fn words(n: usize, chunk_shift: u32) -> Side {
        Side {
            n,
            f64: false,
            shift: chunk_shift - 2,
        }
    }

    fn f64s(n: usize, chunk_shift: u32) -> Side {
        Side {
            n,
            f64: true,
            shift: chunk_shift - 3,
        }
    }
}

/// The values of the storage sides `(names, side)` of a kernel, bound in order from binding 1
/// (binding 0 is the uniform): `common/src.wgsl`, `common/cnt.wgsl`, `common/dst.wgsl`.
fn side_vars(v: &mut Vars, sides: &[(SideNames, Side)]) {
    let mut at = 1;
    for &([ty, first, shift, chunks, last], side) in sides {
        v.push((ty, if side.f64 { "f64" } else { "u32" }.into()));
        v.push((first, at.to_string()));
        v.push((shift, side.shift.to_string()));
        v.push((chunks, side.n.to_string()));
        v.push((last, (side.n - 1).to_string()));
        at += side.n;
    }
}

/// The values `common/src.wgsl` (and its twins) name: element type, first binding, log2 of
/// the elements per chunk, chunks, last chunk.
type SideNames = [&'static str; 5];
const SRC: SideNames = ["SRC_T", "SRC_AT", "SRC_SHIFT", "SRC_CHUNKS", "SRC_LAST"];
const CNT: SideNames = ["CNT_T", "CNT_AT", "CNT_SHIFT", "CNT_CHUNKS", "CNT_LAST"];
const DST: SideNames = ["DST_T", "DST_AT", "DST_SHIFT", "DST_CHUNKS", "DST_LAST"];

/// Whether a reduction pass reads packed 8/16-bit elements of contiguous rows: then each
/// invocation takes consecutive rows, which share words.
pub(crate) fn packed(input: Option<DType>, inner: usize) -> bool {
    inner == 1 && input.is_some_and(|d| d.itemsize() < 4)
}

/// How a cast kernel reaches the target from an element of `from` (`cast.wgsl`): through its
/// 64-bit integer value, its exact float32 bits, or its float64 bits.
fn from_kind(from: DType) -> &'static str {
    match from {
        DType::Float64 => "f64",
        DType::Float16 | DType::BFloat16 | DType::Float32 | DType::Complex64 => "f32",
        _ => "int",
    }
}

/// Rows each invocation of a reduction pass reads (a fixed count: lavapipe cuts loops after
/// 65535 iterations). With 4, workgroup barriers, not loads, dominated on lavapipe (sum f32
/// 0.38 GB/s there; 64 gives 1.3-1.7 GB/s), and a real GPU still gets 4096 workgroups from
/// 2^26 elements.
pub(crate) const K: usize = 64;

/// Output units (words, or 64-bit elements) each invocation of a copy or cast writes.
pub(crate) const UNITS: usize = 16;

/// Output slots per workgroup of a reduction over rows of `len` with `inner` columns: enough
/// lanes per slot to cover a short row in one pass (so a workgroup never idles on a row of 2),
/// and at least `min(inner, 64)` slots so neighbouring invocations read neighbouring words.
pub(crate) fn width(inner: usize, len: usize) -> u32 {
    let lanes = len.div_ceil(K).next_power_of_two().clamp(1, 256);
    (256 / lanes).max(inner.next_power_of_two().min(64)) as u32
}

/// How a fold pass accumulates (its WGSL type and storage layout).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Acc {
    /// 64-bit integers as u32 pairs: wrapping sums and products, counts, 64-bit keys.
    Int,
    /// One u32 word: flags and the keys of items up to 4 bytes.
    U32,
    F32,
    /// Native f64 (`SHADER_F64`).
    F64,
    /// f64 as u32 pairs with the integer-emulated IEEE add.
    F64Emu,
    /// Two f32.
    C64,
}

impl Acc {
    /// The accumulator of `kind` over elements of `dtype`.
    pub fn of(kind: FoldKind, dtype: DType, native_f64: bool) -> Acc {
        // (The float sums are exact: `exact_fold.wgsl`, not this accumulator.)
        match kind.acc_dtype(dtype) {
            DType::Float32 => Acc::F32,
            DType::Float64 if native_f64 => Acc::F64,
            DType::Float64 => Acc::F64Emu,
            DType::Complex64 => Acc::C64,
            DType::UInt32 => Acc::U32,
            _ => Acc::Int,
        }
    }

    /// Its snippet, `shaders/acc/NAME.wgsl`.
    fn name(self) -> &'static str {
        match self {
            Acc::Int => "int",
            Acc::U32 => "u32",
            Acc::F32 => "f32",
            Acc::F64 => "f64",
            Acc::F64Emu => "f64emu",
            Acc::C64 => "c64",
        }
    }

    /// Bytes per accumulator in memory.
    pub fn size(self) -> usize {
        match self {
            Acc::F32 | Acc::U32 => 4,
            _ => 8,
        }
    }
}

type Vars = Vec<(&'static str, String)>;

fn grid_vars(v: &mut Vars, src: Side, dst: Side) {
    side_vars(v, &[(SRC, src), (DST, dst)]);
}

/// The copy kernel over words.
pub(crate) fn copy_vars(n_in: usize, n_out: usize, chunk_shift: u32) -> Vars {
    let mut v = Vars::new();
    grid_vars(
        &mut v,
        Side::words(n_in, chunk_shift),
        Side::words(n_out, chunk_shift),
    );
    v.push(("UNITS", UNITS.to_string()));
    v
}

/// The cast kernel from `from` to `to`.
pub(crate) fn cast_vars(from: DType, to: DType, src: Side, dst: Side) -> Vars {
    let mut v = Vars::new();
    grid_vars(&mut v, src, dst);
    v.push(("UNITS", UNITS.to_string()));
    let bits = to.itemsize() as u32 * 8;
    v.push(("FROM", from.name().into()));
    v.push(("TO", to.name().into()));
    v.push(("FROM_KIND", from_kind(from).into()));
    packed_out_vars(&mut v, bits);
    v
}

/// The values of `common/packed_out.wgsl` for outputs of `bits` bits: how many fit a word.
fn packed_out_vars(v: &mut Vars, bits: u32) {
    v.push(("OUT64", (bits == 64).to_string()));
    v.push(("PER", (32 / bits).max(1).to_string()));
    v.push(("BITS", bits.min(32).to_string()));
    let mask = if bits >= 32 {
        u32::MAX
    } else {
        (1 << bits) - 1
    };
    v.push(("MASK", mask.to_string()));
}

/// What `finish_keys.wgsl` computes: the elements of one fold's keys, or ptp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeysFinish {
    /// The elements of the keys of this fold (max, min, nanmax or nanmin).
    Keys(FoldKind),
    /// The elements of max's keys minus those of min's (the `cnt` bindings).
    Ptp,
}

/// The host CPU's default NaN (what `inf - inf` gives) as (float32 bits, float64 high word):
/// ptp on the device gives the CPU's bytes (x86 sets the sign bit, other CPUs may not).
fn default_nans() -> (u32, u32) {
    use std::hint::black_box;
    let (a32, b32) = (black_box(f32::INFINITY), black_box(f32::INFINITY));
    let (a64, b64) = (black_box(f64::INFINITY), black_box(f64::INFINITY));
    ((a32 - b32).to_bits(), ((a64 - b64).to_bits() >> 32) as u32)
}

/// The finish of the extrema over elements of `dtype` (`finish_keys.wgsl`): keys from the
/// `src` side, min's keys from `cnt` (ptp), elements of `dtype` to `dst`.
pub(crate) fn finish_keys_vars(
    dtype: DType,
    what: KeysFinish,
    src: Side,
    cnt: Option<Side>,
    dst: Side,
) -> Vars {
    let mut v = Vars::new();
    let mut sides = vec![(SRC, src)];
    sides.extend(cnt.map(|c| (CNT, c)));
    sides.push((DST, dst));
    side_vars(&mut v, &sides);
    v.push(("UNITS", UNITS.to_string()));
    let bits = dtype.itemsize() as u32 * 8;
    packed_out_vars(&mut v, bits);
    v.push(("KEY64", (dtype.itemsize() > 4).to_string()));
    let (reversed, zero_nan) = match what {
        KeysFinish::Keys(kind) => (
            matches!(kind, FoldKind::Min | FoldKind::NanMin),
            kind != FoldKind::Max,
        ),
        KeysFinish::Ptp => (false, false),
    };
    v.push(("REVERSED", reversed.to_string()));
    v.push(("ZERO_NAN", zero_nan.to_string()));
    v.push(("PTP", (what == KeysFinish::Ptp).to_string()));
    let (value, flip) = match dtype {
        DType::Int8 => ("int", 0x80),
        DType::Int16 => ("int", 0x8000),
        DType::Int32 | DType::Int64 => (if bits == 64 { "int64" } else { "int" }, 0x8000_0000u32),
        DType::UInt64 => ("int64", 0),
        d if d.is_float() || d == DType::Complex64 => (d.name(), 0),
        _ => ("int", 0), // bool, uint8, uint16, uint32
    };
    v.push(("VALUE", value.into()));
    match value {
        "int" | "int64" => {
            v.push(("FLIP", flip.to_string()));
            if value == "int" {
                let keep = if dtype == DType::Bool { 1 } else { u32::MAX };
                v.push(("KEEP", keep.to_string()));
            }
        }
        _ => {
            let (nan32, nan64_hi) = default_nans();
            v.push(("NAN32", nan32.to_string()));
            v.push(("NAN64_HI", nan64_hi.to_string()));
        }
    }
    v
}

/// What every reduction pass (fold or arg) is composed with: bindings, `W` slots per
/// workgroup, `K` rows per invocation, and whether packed rows use `ld_cached`.
fn reduction_vars(w: u32, packed: bool, src: Side, dst: Side) -> Vars {
    reduction_vars_k(w, K, packed, src, dst)
}

fn reduction_vars_k(w: u32, k: usize, packed: bool, src: Side, dst: Side) -> Vars {
    let mut v = Vars::new();
    v.push(("PACKED", packed.to_string()));
    grid_vars(&mut v, src, dst);
    v.push(("W", w.to_string()));
    v.push(("K", k.to_string()));
    v
}

/// A fold pass of `kind` into `acc`: from elements of `input` (the first pass) or from
/// accumulators (`None`). float64 elements are already native f64 accumulators: they load as
/// such.
pub(crate) fn fold_vars(
    kind: FoldKind,
    input: Option<DType>,
    acc: Acc,
    w: u32,
    packed: bool,
    src: Side,
    dst: Side,
) -> Vars {
    let mut v = reduction_vars(w, packed, src, dst);
    let elements = input.filter(|&d| !(acc == Acc::F64 && d == DType::Float64));
    v.push(("ACC", acc.name().into()));
    v.push(("OP", kind.name().into()));
    v.push(("ELEMENTS", elements.is_some().to_string()));
    if let Some(d) = elements {
        v.push(("DTYPE", d.name().into()));
    }
    v
}

// `fold.wgsl` folds K rows per invocation as K / 8 trees of 8 under a three-level counter.
const _: () = assert!(K / 8 == 8, "fold.wgsl's binary counter has three levels");

/// A pass of the arg-reduction `op`: from elements of `input` (the first pass) or from
/// partials (`None`); `last` writes int64 indices instead of partials.
pub(crate) fn arg_vars(
    op: ReduceOp,
    input: Option<DType>,
    last: bool,
    w: u32,
    packed: bool,
    src: Side,
    dst: Side,
) -> Vars {
    let mut v = reduction_vars(w, packed, src, dst);
    v.push(("ELEMENTS", input.is_some().to_string()));
    if let Some(d) = input {
        v.push(("DTYPE", d.name().into()));
        let min = matches!(op, ReduceOp::ArgMin | ReduceOp::NanArgMin);
        v.push(("ARG_MIN", min.to_string()));
    }
    v.push(("FINAL", last.to_string()));
    let float = input.is_none_or(|d| d.is_float() || d == DType::Complex64);
    v.push(("SKIP_NAN", (op.skips_nan() && float).to_string()));
    v
}

/// Sides of a fold pass: f64 bindings for the native f64 accumulator.
pub(crate) fn fold_sides(
    input: Option<DType>,
    acc: Acc,
    n_in: usize,
    n_out: usize,
    chunk_shift: u32,
) -> (Side, Side) {
    let native = acc == Acc::F64;
    let src_f64 = native && (input.is_none() || input == Some(DType::Float64));
    let src = if src_f64 {
        Side::f64s(n_in, chunk_shift)
    } else {
        Side::words(n_in, chunk_shift)
    };
    let dst = if native {
        Side::f64s(n_out, chunk_shift)
    } else {
        Side::words(n_out, chunk_shift)
    };
    (src, dst)
}

/// Every (kernel, placeholder values) the crate can ask for under a capability profile (with
/// or without native f64), with single- and multi-chunk bindings: the naga test composes and
/// validates each.
#[cfg(test)]
pub(crate) fn all_variants(native_f64: bool) -> Vec<(&'static str, Vars)> {
    let mut out = Vec::new();
    let shift = 27;
    let layouts = [(1, 1), (3, 2)];
    for (a, b) in layouts {
        out.push(("copy", copy_vars(a, b, shift)));
        exact_variants(&mut out, a, b, shift);
        finish_keys_variants(&mut out, a, b, shift);
        for from in DType::ALL {
            for to in DType::ALL {
                if from != to {
                    let (s, d) = (Side::words(a, shift), Side::words(b, shift));
                    out.push(("cast", cast_vars(from, to, s, d)));
                }
            }
        }
        // W only sizes constants: the narrowest and widest grids cover the code.
        for w in [1, 256] {
            for d in DType::ALL {
                for input in [Some(d), None] {
                    for inner in [1, 3] {
                        let p = packed(input, inner);
                        for kind in FoldKind::ALL {
                            if kind.is_exact(d) {
                                continue; // exact_fold.wgsl (exact_variants)
                            }
                            let acc = Acc::of(kind, d, native_f64);
                            let product = matches!(kind, FoldKind::Prod | FoldKind::NanProd);
                            let on_host = product && acc == Acc::F64Emu
                                || native_f64 && kind == FoldKind::NanProd && d == DType::Float64;
                            if on_host {
                                continue; // GpuDevice::fold_on_host
                            }
                            let (s, dd) = fold_sides(input, acc, a, b, shift);
                            out.push(("fold", fold_vars(kind, input, acc, w, p, s, dd)));
                        }
                        for op in ReduceOp::ALL.into_iter().filter(|op| op.is_arg()) {
                            for last in [false, true] {
                                let (s, dd) = (Side::words(a, shift), Side::words(b, shift));
                                out.push(("arg", arg_vars(op, input, last, w, p, s, dd)));
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// Rows each invocation of an exact-sum pass adds. A workgroup adds at most 256 * EXACT_K
/// items, each at most one 16-bit chunk per i32 limb (a window's flush stands for at least
/// one of its items), so limbs stay below 2^15 * 2^16 = 2^31 (`exact_fold.wgsl`).
pub(crate) const EXACT_K: usize = 128;
const _: () = assert!(
    256 * EXACT_K <= 1 << 15,
    "exact_fold.wgsl's limbs would overflow"
);

/// Exact float sums (issue 8): the accumulator family of float `dtype`, as (digits, LO):
/// float64 (69 digits from 2^-1088), everything else (60 bits of count headroom above
/// float32's range: 12 digits from 2^-160).
pub(crate) fn exact_family(dtype: DType) -> (u32, i32) {
    use crate::exact::{DIGITS32, DIGITS64, LO32, LO64};
    if dtype == DType::Float64 {
        (DIGITS64 as u32, LO64)
    } else {
        (DIGITS32 as u32, LO32)
    }
}

/// Accumulators per element of `dtype` (complex64: real, imaginary).
pub(crate) fn exact_parts(dtype: DType) -> usize {
    if dtype == DType::Complex64 { 2 } else { 1 }
}

/// u32 words of the accumulators of one element of `dtype`.
pub(crate) fn exact_words(dtype: DType) -> usize {
    exact_parts(dtype) * (exact_family(dtype).0 as usize + 1)
}

/// Output slots per workgroup of an exact-sum pass, capped so the workgroup's
/// windows and accumulators (2 D i32 limbs and a flags word each) fit the 16 KiB of
/// workgroup memory every adapter has.
pub(crate) fn exact_width(dtype: DType, inner: usize, len: usize) -> u32 {
    // 256 windows of four words per part, then the limbs and flags.
    let parts = exact_parts(dtype) as u32;
    let per = parts * (2 * exact_family(dtype).0 + 1);
    let cap = 1u32 << ((4096 - 1024 * parts) / per).ilog2();
    // As `width` with EXACT_K rows per lane, and as many neighbouring slots as the cap allows
    // (64 for the float32 family, 32 complex64, 16 float64): lanes of a column pass then read
    // whole 256-byte runs of a row, and the accumulator passes fold their digits in private
    // sums, so the extra slots cost little (lavapipe, axis 0 of [2^15, 1024] float32: 97 ->
    // 67 ms going from 16 to 64).
    let lanes = len.div_ceil(EXACT_K).next_power_of_two().clamp(1, 256);
    ((256 / lanes).max(inner.next_power_of_two().min(64)) as u32).min(cap)
}

/// A pass of an exact sum over elements of float `dtype` (`elements`: the first pass) or over
/// the accumulators of a previous pass; `nan` skips NaN elements (nansum, nanmean).
pub(crate) fn exact_fold_vars(
    dtype: DType,
    nan: bool,
    elements: bool,
    w: u32,
    packed: bool,
    src: Side,
    dst: Side,
) -> Vars {
    let mut v = reduction_vars_k(w, EXACT_K, packed, src, dst);
    exact_family_vars(&mut v, dtype);
    v.push(("ELEMENTS", elements.to_string()));
    let item = if elements {
        v.push(("DTYPE", dtype.name().into()));
        v.push(("SKIP_NAN", nan.to_string()));
        match dtype {
            DType::Float64 => "f64",
            DType::Complex64 => "c64",
            _ => "f32",
        }
    } else {
        "acc"
    };
    v.push(("ITEM", item.into()));
    v
}

fn exact_family_vars(v: &mut Vars, dtype: DType) {
    let (digits, lo) = exact_family(dtype);
    v.push(("DIGITS", digits.to_string()));
    v.push(("LO", lo.to_string()));
    v.push(("PARTS", exact_parts(dtype).to_string()));
}

/// The rounding of exact-sum accumulators of float `dtype` to its own format; `counts`:
/// divide each element by an int64 of the `cnt` bindings (nanmean), else by a uniform count.
pub(crate) fn exact_round_vars(dtype: DType, src: Side, cnt: Option<Side>, dst: Side) -> Vars {
    let mut v = Vars::new();
    let mut sides = vec![(SRC, src)];
    sides.extend(cnt.map(|c| (CNT, c)));
    sides.push((DST, dst));
    side_vars(&mut v, &sides);
    exact_family_vars(&mut v, dtype);
    let (mant, bias, sign) = match dtype {
        DType::Float64 => (52, 1023, 63),
        DType::Float16 => (10, 15, 15),
        DType::BFloat16 => (7, 127, 15),
        _ => (23, 127, 31),
    };
    let bits = if dtype == DType::Complex64 {
        32
    } else {
        dtype.itemsize() as u32 * 8
    };
    v.push(("MANT", mant.to_string()));
    v.push(("BIAS", bias.to_string()));
    v.push(("SIGN", sign.to_string()));
    v.push(("OUT64", (bits == 64).to_string()));
    v.push(("PER", (32 / bits).max(1).to_string()));
    v.push(("BITS", bits.min(32).to_string()));
    v.push(("COUNTS", cnt.is_some().to_string()));
    v
}

/// Every exact-sum variant, for the naga test.
#[cfg(test)]
fn exact_variants(out: &mut Vec<(&'static str, Vars)>, a: usize, b: usize, shift: u32) {
    let exact = [
        DType::Float16,
        DType::BFloat16,
        DType::Float32,
        DType::Float64,
        DType::Complex64,
    ];
    for d in exact {
        for w in [1, 256] {
            for elements in [true, false] {
                for inner in [1, 3] {
                    let p = packed(elements.then_some(d), inner);
                    for nan in [false, true] {
                        let w = w.min(exact_width(d, 1, 1 << 20));
                        let (s, dd) = (Side::words(a, shift), Side::words(b, shift));
                        out.push(("exact_fold", exact_fold_vars(d, nan, elements, w, p, s, dd)));
                    }
                }
            }
        }
        for cnt in [None, Some(Side::words(a, shift))] {
            let (s, dd) = (Side::words(a, shift), Side::words(b, shift));
            out.push(("exact_round", exact_round_vars(d, s, cnt, dd)));
        }
    }
}

/// Every finish of the extrema, for the naga test: ptp of every dtype but bool (which
/// NumPy refuses), the keys of every extremum fold of every dtype.
#[cfg(test)]
fn finish_keys_variants(out: &mut Vec<(&'static str, Vars)>, a: usize, b: usize, shift: u32) {
    for d in DType::ALL {
        let kinds = [
            FoldKind::Max,
            FoldKind::Min,
            FoldKind::NanMax,
            FoldKind::NanMin,
        ];
        let mut whats: Vec<KeysFinish> = kinds.into_iter().map(KeysFinish::Keys).collect();
        if d != DType::Bool {
            whats.push(KeysFinish::Ptp);
        }
        for what in whats {
            let (s, dd) = (Side::words(a, shift), Side::words(b, shift));
            let cnt = (what == KeysFinish::Ptp).then(|| Side::words(a, shift));
            out.push(("finish_keys", finish_keys_vars(d, what, s, cnt, dd)));
        }
    }
}
