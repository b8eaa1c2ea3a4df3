//! Kernel variants: the placeholder values each kernel is composed with, for every dtype and
//! capability profile the crate can ask for.

use crate::cpu::FoldKind;
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

/// The body of `elem(e)`: raw bits of element `e` of a dtype of `itemsize` bytes.
pub(crate) fn elem_body(itemsize: usize) -> String {
    elem_body_with(itemsize, "src_ld")
}

fn elem_body_with(itemsize: usize, ld: &str) -> String {
    let s = elem_body_src(itemsize);
    if ld == "src_ld" {
        s
    } else {
        s.replace("src_ld(", &format!("{ld}("))
    }
}

fn elem_body_src(itemsize: usize) -> String {
    match itemsize {
        1 => "    let w = src_ld(e >> 2u);\n    return vec2<u32>((w >> ((e & 3u) * 8u)) & 0xffu, 0u);".into(),
        2 => "    let w = src_ld(e >> 1u);\n    return vec2<u32>((w >> ((e & 1u) * 16u)) & 0xffffu, 0u);".into(),
        4 => "    return vec2<u32>(src_ld(e), 0u);".into(),
        _ => "    return vec2<u32>(src_ld(2u * e), src_ld(2u * e + 1u));".into(),
    }
}

fn pair(v: u64) -> String {
    format!("vec2<u32>({}u, {}u)", v as u32, (v >> 32) as u32)
}

/// The value of an integer source as a 64-bit pair (sign-extended when signed).
fn int_wide(from: DType) -> &'static str {
    match from {
        DType::Bool => "vec2<u32>(select(0u, 1u, v.x != 0u), 0u)",
        DType::Int8 => "sext(v.x, 8u)",
        DType::Int16 => "sext(v.x, 16u)",
        DType::Int32 => "sext(v.x, 32u)",
        _ => "v",
    }
}

fn signed(d: DType) -> bool {
    matches!(d, DType::Int8 | DType::Int16 | DType::Int32 | DType::Int64)
}

/// The body of `cvt(v)`: the bits of `v` (an element of `from`) converted to `to`, with the
/// rules of the CPU backend (`src/cpu/cast.rs`), on bits only.
pub(crate) fn convert_body(from: DType, to: DType) -> String {
    use DType::*;
    if from == to {
        return "    return v;".into();
    }
    let r = |e: String| format!("    return {e};");
    let lo = |e: String| format!("    return vec2<u32>({e}, 0u);");
    if from == Bool || from.is_int() {
        let a = int_wide(from);
        let s = if signed(from) { "i64" } else { "u64" };
        return match to {
            Bool => lo(format!("select(0u, 1u, any({a} != vec2<u32>(0u, 0u)))")),
            Float16 => lo(format!("{s}_to_f16({a})")),
            BFloat16 => lo(format!("{s}_to_bf16({a})")),
            Float32 | Complex64 => lo(format!("{s}_to_f32({a})")),
            Float64 => r(format!("{s}_to_f64({a})")),
            _ => r(a.to_string()),
        };
    }
    // Float sources: `b` is the f32 bits the conversion goes through, except from float64.
    let b = match from {
        Float16 => "f16_to_f32(v.x)",
        BFloat16 => "bf16_to_f32(v.x)",
        _ => "v.x",
    };
    let f64src = from == Float64;
    match to {
        Bool => lo(match from {
            Float16 | BFloat16 => "select(0u, 1u, (v.x & 0x7fffu) != 0u)".into(),
            Float32 => "select(0u, 1u, (v.x & 0x7fffffffu) != 0u)".into(),
            Float64 => "select(0u, 1u, ((v.y & 0x7fffffffu) | v.x) != 0u)".into(),
            _ => "select(0u, 1u, ((v.x | v.y) & 0x7fffffffu) != 0u)".into(),
        }),
        Int8 | Int16 | Int32 | Int64 => {
            let (min, max) = match to {
                Int8 => (i8::MIN as i64, i8::MAX as i64),
                Int16 => (i16::MIN as i64, i16::MAX as i64),
                Int32 => (i32::MIN as i64, i32::MAX as i64),
                _ => (i64::MIN, i64::MAX),
            };
            let (lo_p, hi_p) = (pair(min as u64), pair(max as u64));
            if f64src {
                r(format!("f64_to_i64_sat(v, {lo_p}, {hi_p})"))
            } else {
                r(format!("f32_to_i64_sat({b}, {lo_p}, {hi_p})"))
            }
        }
        UInt8 | UInt16 | UInt32 | UInt64 => {
            let max = match to {
                UInt8 => u8::MAX as u64,
                UInt16 => u16::MAX as u64,
                UInt32 => u32::MAX as u64,
                _ => u64::MAX,
            };
            if f64src {
                r(format!("f64_to_u64_sat(v, {})", pair(max)))
            } else {
                r(format!("f32_to_u64_sat({b}, {})", pair(max)))
            }
        }
        Float16 => lo(if f64src {
            "f64_to_f16(v)".into()
        } else {
            format!("f32_to_f16({b})")
        }),
        BFloat16 => lo(if f64src {
            "f64_to_bf16(v)".into()
        } else {
            format!("f32_to_bf16({b})")
        }),
        Float32 | Complex64 => lo(if f64src {
            "f64_to_f32(v)".into()
        } else {
            b.to_string()
        }),
        Float64 => r(if from == Float16 {
            "f16_to_f64(v.x)".into()
        } else if from == BFloat16 {
            "bf16_to_f64(v.x)".into()
        } else {
            "f32_to_f64(v.x)".into()
        }),
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
    v.push(("UNITS", format!("{UNITS}u")));
    v
}

/// The cast kernel from `from` to `to`.
pub(crate) fn cast_vars(from: DType, to: DType, src: Side, dst: Side) -> Vars {
    let mut v = Vars::new();
    grid_vars(&mut v, src, dst);
    v.push(("UNITS", format!("{UNITS}u")));
    let bits = to.itemsize() as u32 * 8;
    v.push(("ELEM", elem_body(from.itemsize())));
    v.push(("CONVERT", convert_body(from, to)));
    v.push(("OUT64", (bits == 64).to_string()));
    v.push(("PER", format!("{}u", (32 / bits).max(1))));
    v.push(("BITS", format!("{}u", bits.min(32))));
    v.push((
        "MASK",
        format!(
            "{:#x}u",
            if bits >= 32 {
                u32::MAX
            } else {
                (1 << bits) - 1
            }
        ),
    ));
    v
}

/// What every reduction pass (fold or arg) is composed with: bindings, the grid, `W` slots
/// per workgroup, `K` rows per invocation, and whether packed rows use `ld_cached`.
fn reduction_vars(w: u32, packed: bool, src: Side, dst: Side) -> Vars {
    reduction_vars_k(w, K, packed, src, dst)
}

fn reduction_vars_k(w: u32, k: usize, packed: bool, src: Side, dst: Side) -> Vars {
    let mut v = Vars::new();
    v.push(("PACKED", packed.to_string()));
    grid_vars(&mut v, src, dst);
    v.push(("W", format!("{w}u")));
    v.push(("K", format!("{k}u")));
    v
}

/// The WGSL test "element `v` (raw bits of `d`) is NaN".
fn nan_test(d: DType) -> &'static str {
    match d {
        DType::Float16 => "f16_nan(v.x)",
        DType::BFloat16 => "bf16_nan(v.x)",
        DType::Float32 => "f32_nan(v.x)",
        DType::Float64 => "f64_nan(v)",
        DType::Complex64 => "c64_nan(v)",
        _ => "false",
    }
}

/// The WGSL test "element `v` (raw bits of `d`) is non-zero" (NaN is non-zero).
fn nonzero_test(d: DType) -> &'static str {
    match d {
        DType::Bool | DType::Int8 | DType::UInt8 | DType::Int16 | DType::UInt16 => "v.x != 0u",
        DType::Int32 | DType::UInt32 => "v.x != 0u",
        DType::Float16 | DType::BFloat16 => "(v.x & 0x7fffu) != 0u",
        DType::Float32 => "(v.x & 0x7fffffffu) != 0u",
        DType::Float64 => "((v.y & 0x7fffffffu) | v.x) != 0u",
        DType::Complex64 => "((v.x | v.y) & 0x7fffffffu) != 0u",
        DType::Int64 | DType::UInt64 => "(v.x | v.y) != 0u",
    }
}

/// The WGSL expression of the total order key of element `v` of `d` (the CPU's
/// `OrderKey::key`), as a u32 for items up to 4 bytes and a pair otherwise.
fn key_expr(d: DType) -> &'static str {
    match d {
        DType::Bool => "select(0u, 1u, v.x != 0u)",
        DType::UInt8 | DType::UInt16 | DType::UInt32 => "v.x",
        DType::Int8 => "v.x ^ 0x80u",
        DType::Int16 => "v.x ^ 0x8000u",
        DType::Int32 => "v.x ^ 0x80000000u",
        DType::UInt64 => "v",
        DType::Int64 => "vec2<u32>(v.x, v.y ^ 0x80000000u)",
        DType::Float16 => "f16_tkey(v.x)",
        DType::BFloat16 => "bf16_tkey(v.x)",
        DType::Float32 => "f32_tkey(v.x)",
        DType::Float64 => "f64_tkey(v)",
        DType::Complex64 => "c64_tkey(v)",
    }
}

/// The body of `load(i)` for the first pass of `kind` over elements of `d` into `acc`.
fn fold_load(kind: FoldKind, d: DType, acc: Acc) -> String {
    use FoldKind as K;
    let nan = nan_test(d);
    let wide = match (acc, d) {
        (Acc::Int, _) => int_wide(d).to_string(),
        (Acc::F32, DType::Float16) => "bitcast<f32>(f16_to_f32(v.x))".into(),
        (Acc::F32, DType::BFloat16) => "bitcast<f32>(bf16_to_f32(v.x))".into(),
        (Acc::F32, _) => "bitcast<f32>(v.x)".into(),
        (Acc::C64, _) => "vec2<f32>(bitcast<f32>(v.x), bitcast<f32>(v.y))".into(),
        (Acc::F64Emu, DType::Float64) => "v".into(),
        (Acc::F64Emu, _) if signed(d) || d == DType::Bool => {
            format!("i64_to_f64({})", int_wide(d))
        }
        (Acc::F64Emu, _) => "u64_to_f64(v)".into(),
        (Acc::F64, DType::Float64) => "src_ld(i)".into(),
        (Acc::F64, _) if signed(d) || d == DType::Bool => {
            let w = int_wide(d);
            format!("f64(bitcast<i32>(({w}).y)) * 4294967296.0lf + f64(({w}).x)")
        }
        (Acc::F64, _) => "f64(v.y) * 4294967296.0lf + f64(v.x)".into(),
        (Acc::U32, _) => String::new(),
    };
    let body = match kind {
        K::Sum | K::MeanSum | K::Prod => format!("return {wide};"),
        K::NanSum | K::NanMeanSum => {
            format!("if ({nan}) {{\n        return zero();\n    }}\n    return {wide};")
        }
        K::NanProd => format!("if ({nan}) {{\n        return one();\n    }}\n    return {wide};"),
        K::CountNonzero => format!("return vec2<u32>(select(0u, 1u, {}), 0u);", nonzero_test(d)),
        K::CountNotNan => format!("return vec2<u32>(select(1u, 0u, {nan}), 0u);"),
        K::Any | K::All => format!("return select(0u, 1u, {});", nonzero_test(d)),
        K::Max => format!("return {};", key_expr(d)),
        K::Min => format!(
            "if ({nan}) {{\n        return ~zero();\n    }}\n    return ~({});",
            key_expr(d)
        ),
        K::NanMax => format!(
            "if ({nan}) {{\n        return zero();\n    }}\n    return {};",
            key_expr(d)
        ),
        K::NanMin => format!(
            "if ({nan}) {{\n        return zero();\n    }}\n    return ~({});",
            key_expr(d)
        ),
    };
    let v = if acc == Acc::F64 && d == DType::Float64 {
        ""
    } else {
        "let v = elem(i);\n    "
    };
    format!("    {v}{body}")
}

/// A fold pass of `kind`: from elements of `input` (the first pass) or from accumulators
/// (`None`).
pub(crate) fn fold_vars(
    kind: FoldKind,
    input: Option<DType>,
    acc: Acc,
    w: u32,
    packed: bool,
    src: Side,
    dst: Side,
) -> Vars {
    use FoldKind as K;
    let mut v = reduction_vars(w, packed, src, dst);
    let itemsize = input.map_or(acc.size(), DType::itemsize);
    let product = matches!(kind, K::Prod | K::NanProd);
    let keys = matches!(kind, K::Max | K::Min | K::NanMax | K::NanMin);
    let (ty, zero, one) = match acc {
        Acc::Int | Acc::F64Emu => ("vec2<u32>", "vec2<u32>(0u, 0u)", "vec2<u32>(1u, 0u)"),
        Acc::U32 => ("u32", "0u", "1u"),
        Acc::F32 => ("f32", "0.0", "1.0"),
        Acc::F64 => ("f64", "0.0lf", "1.0lf"),
        Acc::C64 => ("vec2<f32>", "vec2<f32>(0.0, 0.0)", "vec2<f32>(1.0, 0.0)"),
    };
    let identity = if product || kind == K::All { one } else { zero };
    let add = match (acc, kind) {
        (Acc::Int, _) if product => "mul64(a, b)",
        (Acc::Int, _) if keys => "umax64(a, b)",
        (Acc::Int, _) => "cvt_add64(a, b)",
        (Acc::U32, K::Any) => "a | b",
        (Acc::U32, K::All) => "a & b",
        (Acc::U32, _) => "max(a, b)",
        (Acc::C64, _) if product => "vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x)",
        (Acc::F64Emu, _) => "f64e_add(a, b)",
        (_, _) if product => "a * b",
        _ => "a + b",
    };
    let load = match input {
        Some(d) => fold_load(kind, d, acc),
        None => match acc {
            Acc::Int | Acc::F64Emu => "    return elem(i);".into(),
            Acc::U32 => "    return elem(i).x;".into(),
            Acc::F32 => "    return bitcast<f32>(elem(i).x);".into(),
            Acc::F64 => "    return src_ld(i);".into(),
            Acc::C64 => {
                "    let v = elem(i);\n    return vec2<f32>(bitcast<f32>(v.x), bitcast<f32>(v.y));"
                    .into()
            }
        },
    };
    let store = match acc {
        Acc::Int | Acc::F64Emu => "    dst_st(2u * i, v.x);\n    dst_st(2u * i + 1u, v.y);",
        Acc::U32 => "    dst_st(i, v);",
        Acc::F32 => "    dst_st(i, bitcast<u32>(v));",
        Acc::F64 => "    dst_st(i, v);",
        Acc::C64 => {
            "    dst_st(2u * i, bitcast<u32>(v.x));\n    dst_st(2u * i + 1u, bitcast<u32>(v.y));"
        }
    };
    let f64_elems = acc == Acc::F64 && input.is_none_or(|d| d == DType::Float64);
    let elem = if f64_elems {
        "    return vec2<u32>(e, 0u);".into()
    } else {
        elem_body_with(itemsize, if packed { "ld_cached" } else { "src_ld" })
    };
    v.push(("ACC", ty.into()));
    v.push(("ELEM", elem));
    v.push(("ZERO", zero.into()));
    v.push(("IDENTITY", identity.into()));
    v.push(("ONE", one.into()));
    v.push(("ADD", format!("    return {add};")));
    v.push(("LOAD", load));
    v.push(("STORE", store.into()));
    v.push(("GROUP", format!("{GROUP}u")));
    v.push(("TREE", pairwise(0, GROUP)));
    v
}

/// Rows an invocation sums unrolled, as a pairwise tree; a loop over `K / GROUP` of those
/// combines them pairwise too (a binary counter in the shader), so a float sum's error grows
/// with log2 of the row count, not with `K`, while the shader inlines `add` only a few times
/// (the integer-emulated f64 add is large, and adapters compile every inlined copy).
const GROUP: usize = 8;
const _: () = assert!(K / GROUP == 8, "sum.wgsl's binary counter has three levels");

/// Rows `lo..hi` of group `j` as a fixed pairwise tree of `at` calls. WGSL evaluates arguments
/// left to right, so the loads stay in row order (what `ld_cached` relies on).
fn pairwise(lo: usize, hi: usize) -> String {
    if hi - lo == 1 {
        return format!("at(b, lane, o, col, j * {GROUP}u + {lo}u)");
    }
    let mid = lo + (hi - lo) / 2;
    format!("add({}, {})", pairwise(lo, mid), pairwise(mid, hi))
}

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
    let (itemsize, key, index) = match input {
        None => (
            8,
            "    return vec2<u32>(src_ld(4u * i), src_ld(4u * i + 1u));".to_string(),
            "    return src_ld(4u * i + 2u);",
        ),
        Some(d) => (d.itemsize(), key_body(op, d), "    return r;"),
    };
    let ld = if packed { "ld_cached" } else { "src_ld" };
    v.push(("ELEM", elem_body_with(itemsize, ld)));
    v.push(("KEY", key));
    v.push(("INDEX", index.into()));
    v.push(("FINAL", last.to_string()));
    let float = input.is_none_or(|d| d.is_float() || d == DType::Complex64);
    v.push(("SKIP_NAN", (op.skips_nan() && float).to_string()));
    v
}

/// The body of `key(i)` for elements of `d` under the arg-reduction `op`: the keys of
/// `src/cpu/arg.rs` (argmin flips the sign of floats and every bit of integer keys; the
/// nan-variants give NaN the key 0).
fn key_body(op: ReduceOp, d: DType) -> String {
    use DType::*;
    let min = matches!(op, ReduceOp::ArgMin | ReduceOp::NanArgMin);
    let flip = "vec2<u32>(0u, 0x80000000u)";
    let (prep, key) = match d {
        Bool => ("", "vec2<u32>(select(0u, 1u, v.x != 0u), 0u)".to_string()),
        UInt8 | UInt16 | UInt32 | UInt64 => ("", "v".into()),
        Int8 => ("", format!("sext(v.x, 8u) ^ {flip}")),
        Int16 => ("", format!("sext(v.x, 16u) ^ {flip}")),
        Int32 => ("", format!("sext(v.x, 32u) ^ {flip}")),
        Int64 => ("", format!("v ^ {flip}")),
        Float16 => (
            "    let b = v.x ^ SIGN16;\n",
            "vec2<u32>(f16_key(b), 0u)".into(),
        ),
        BFloat16 => (
            "    let b = v.x ^ SIGN16;\n",
            "vec2<u32>(bf16_key(b), 0u)".into(),
        ),
        Float32 => (
            "    let b = v.x ^ SIGN32;\n",
            "vec2<u32>(f32_key(b), 0u)".into(),
        ),
        Float64 => ("", "f64_key(vec2<u32>(v.x, v.y ^ SIGN32))".into()),
        Complex64 => (
            "    let re = f32_key(v.x ^ SIGN32);\n    let im = f32_key(v.y ^ SIGN32);\n    if (re == 0xffffffffu || im == 0xffffffffu) {\n        return vec2<u32>(0xffffffffu, 0xffffffffu);\n    }\n",
            "vec2<u32>(im, re)".into(),
        ),
    };
    let float = d.is_float() || d == Complex64;
    // Integer keys reverse by flipping every bit; float keys by flipping the sign first.
    let key = if min && !float {
        format!("~({key})")
    } else {
        key
    };
    let sign = if min && float {
        ("0x8000u", "0x80000000u")
    } else {
        ("0u", "0u")
    };
    let nan = if op.skips_nan() && float {
        format!(
            "    if ({}) {{\n        return vec2<u32>(0u, 0u);\n    }}\n",
            nan_test(d)
        )
    } else {
        String::new()
    };
    format!("    let v = elem(i);\n{nan}{prep}    return {key};")
        .replace("SIGN16", sign.0)
        .replace("SIGN32", sign.1)
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
                            if native_f64 && kind == FoldKind::NanProd && d == DType::Float64 {
                                continue; // runs on the host (GpuDevice::fold_on_host)
                            }
                            let acc = Acc::of(kind, d, native_f64);
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
    // As `width` with EXACT_K rows per lane, and at least 16 neighbouring slots (not 64):
    // every slot costs its own flush, carry settlement and merge, so more lanes per slot and
    // fewer blocks pay off.
    let lanes = len.div_ceil(EXACT_K).next_power_of_two().clamp(1, 256);
    ((256 / lanes).max(inner.next_power_of_two().min(16)) as u32).min(cap)
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
    let ld = if packed { "ld_cached" } else { "src_ld" };
    let itemsize = if elements { dtype.itemsize() } else { 4 };
    v.push(("ELEM", elem_body_with(itemsize, ld)));
    let skip = |test: &str| {
        if nan {
            format!("    if ({test}) {{\n        return;\n    }}\n")
        } else {
            String::new()
        }
    };
    let f32_nan = |b: &str| format!("({b} & 0x7fffffffu) > 0x7f800000u");
    let body = if !elements {
        "    if (slow) {\n        return;\n    }\n    for (var p = 0u; p < PARTS; p++) {\n        add_acc(a + p, i * PARTS + p);\n    }"
            .to_string()
    } else {
        match dtype {
            DType::Float64 => {
                let test = "(v.y & 0x7fffffffu) > 0x7ff00000u || ((v.y & 0x7fffffffu) == 0x7ff00000u && v.x != 0u)";
                format!(
                    "    let v = elem(i);\n{}    add_f64(a, v, slow);",
                    skip(test)
                )
            }
            DType::Complex64 => format!(
                "    let v = elem(i);\n{}    add_f32(a, v.x, slow);\n    add_f32(a + 1u, v.y, slow);",
                skip(&format!("{} || {}", f32_nan("v.x"), f32_nan("v.y")))
            ),
            d => {
                let b = match d {
                    DType::Float16 => "f16_to_f32(elem(i).x)",
                    DType::BFloat16 => "bf16_to_f32(elem(i).x)",
                    _ => "elem(i).x",
                };
                format!(
                    "    let b = {b};\n{}    add_f32(a, b, slow);",
                    skip(&f32_nan("b"))
                )
            }
        }
    };
    v.push(("ADD_ITEM", body));
    let window = match (elements, dtype) {
        (false, _) => "    return vec2<u32>(0u, 0u);",
        (true, DType::Float64) => "    return vec2<u32>(wpos_f64(elem(i)), 0u);",
        (true, DType::Complex64) => {
            "    let v = elem(i);\n    return vec2<u32>(wpos_f32(v.x), wpos_f32(v.y));"
        }
        (true, DType::Float16) => "    return vec2<u32>(wpos_f32(f16_to_f32(elem(i).x)), 0u);",
        (true, DType::BFloat16) => "    return vec2<u32>(wpos_f32(bf16_to_f32(elem(i).x)), 0u);",
        (true, _) => "    return vec2<u32>(wpos_f32(elem(i).x), 0u);",
    };
    v.push(("WINDOW", window.into()));
    let span = if dtype == DType::Float64 { 32 } else { 64 };
    v.push(("SPAN", format!("{span}u")));
    v
}

fn exact_family_vars(v: &mut Vars, dtype: DType) {
    let (digits, lo) = exact_family(dtype);
    v.push(("DIGITS", format!("{digits}u")));
    v.push(("LO", lo.to_string()));
    v.push(("PARTS", format!("{}u", exact_parts(dtype))));
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
    v.push(("MANT", format!("{mant}u")));
    v.push(("BIAS", bias.to_string()));
    v.push(("SIGN", format!("{sign}u")));
    v.push(("OUT64", (bits == 64).to_string()));
    v.push(("PER", format!("{}u", (32 / bits).max(1))));
    v.push(("BITS", format!("{}u", bits.min(32))));
    v.push(("COUNTS", cnt.is_some().to_string()));
    v.push((
        "COUNT",
        if cnt.is_some() {
            "    return cnt_ld(2u * e);".into()
        } else {
            "    return P.count;".into()
        },
    ));
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
