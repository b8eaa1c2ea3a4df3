//! Kernel variants: the placeholder values each kernel is composed with, for every dtype and
//! capability profile the crate can ask for.

use crate::DType;

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

/// The `src*` / `dst*` bindings and their chunk-selecting accessors `src_ld` / `dst_st`.
pub(crate) fn bindings(src: Side, dst: Side) -> String {
    let mut s = String::new();
    let mut binding = 1;
    for (name, side) in [("src", src), ("dst", dst)] {
        let ty = if side.f64 { "f64" } else { "u32" };
        let access = if name == "src" { "read" } else { "read_write" };
        for k in 0..side.n {
            s += &format!(
                "@group(0) @binding({binding}) var<storage, {access}> {name}{k}: array<{ty}>;\n"
            );
            binding += 1;
        }
        let access_k = |k: usize| {
            if name == "src" {
                format!("return src{k}[j];")
            } else {
                format!("dst{k}[j] = v;\n        return;")
            }
        };
        if name == "src" {
            s += &format!("fn src_ld(i: u32) -> {ty} {{\n");
        } else {
            s += &format!("fn dst_st(i: u32, v: {ty}) {{\n");
        }
        if side.n == 1 {
            s += "    let j = i;\n";
        } else {
            s += &format!(
                "    let c = i >> {}u;\n    let j = i & {}u;\n",
                side.shift,
                (1u64 << side.shift) - 1
            );
            for k in 0..side.n - 1 {
                s += &format!("    if (c == {k}u) {{\n        {}\n    }}\n", access_k(k));
            }
        }
        s += &format!(
            "    {}\n}}\n",
            access_k(side.n - 1).replace("\n        return;", "")
        );
    }
    s
}

/// `ld_cached(w)`: `src_ld` that keeps the last word loaded by this invocation.
fn cache_fn(src: Side) -> String {
    let (ty, zero) = if src.f64 {
        ("f64", "0.0lf")
    } else {
        ("u32", "0u")
    };
    format!(
        "var<private> cached_at: u32 = 0xffffffffu;\nvar<private> cached: {ty} = {zero};\n\
         fn ld_cached(w: u32) -> {ty} {{\n    if (w != cached_at) {{\n        cached_at = w;\n        \
         cached = src_ld(w);\n    }}\n    return cached;\n}}"
    )
}

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

/// How a sum accumulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Acc {
    /// Wrapping 64-bit integer pairs.
    Int,
    F32,
    /// Native f64 (`SHADER_F64`).
    F64,
    /// f64 as u32 pairs with the integer-emulated IEEE add.
    F64Emu,
    /// Two f32 sums.
    C64,
}

impl Acc {
    pub fn of(dtype: DType, native_f64: bool) -> Acc {
        match dtype.sum_accumulator() {
            DType::Float32 => Acc::F32,
            DType::Float64 if native_f64 => Acc::F64,
            DType::Float64 => Acc::F64Emu,
            DType::Complex64 => Acc::C64,
            _ => Acc::Int,
        }
    }

    /// Bytes per accumulator in memory.
    pub fn size(self) -> usize {
        if self == Acc::F32 {
            4
        } else {
            8
        }
    }
}

type Vars = Vec<(&'static str, String)>;

fn grid_vars(v: &mut Vars, src: Side, dst: Side) {
    v.push(("BINDINGS", bindings(src, dst)));
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

/// What every reduction pass (sum or argmax) is composed with: bindings, the grid, `W` slots
/// per workgroup, `K` rows per invocation, and whether packed rows use `ld_cached`.
fn reduction_vars(w: u32, packed: bool, src: Side, dst: Side) -> Vars {
    let mut v = Vars::new();
    v.push(("CACHE", cache_fn(src)));
    v.push(("PACKED", packed.to_string()));
    grid_vars(&mut v, src, dst);
    v.push(("W", format!("{w}u")));
    v.push(("K", format!("{K}u")));
    v
}

/// A sum pass: from elements of `input` (the first pass) or from partials (`None`).
pub(crate) fn sum_vars(
    input: Option<DType>,
    acc: Acc,
    w: u32,
    packed: bool,
    src: Side,
    dst: Side,
) -> Vars {
    let mut v = reduction_vars(w, packed, src, dst);
    let itemsize = input.map_or(acc.size(), DType::itemsize);
    let (ty, zero, add, store) = match acc {
        Acc::Int => (
            "vec2<u32>",
            "vec2<u32>(0u, 0u)",
            "    return cvt_add64(a, b);",
            "    dst_st(2u * i, v.x);\n    dst_st(2u * i + 1u, v.y);",
        ),
        Acc::F32 => (
            "f32",
            "0.0",
            "    return a + b;",
            "    dst_st(i, bitcast<u32>(v));",
        ),
        Acc::F64 => ("f64", "0.0lf", "    return a + b;", "    dst_st(i, v);"),
        Acc::F64Emu => (
            "vec2<u32>",
            "vec2<u32>(0u, 0u)",
            "    return f64e_add(a, b);",
            "    dst_st(2u * i, v.x);\n    dst_st(2u * i + 1u, v.y);",
        ),
        Acc::C64 => (
            "vec2<f32>",
            "vec2<f32>(0.0, 0.0)",
            "    return a + b;",
            "    dst_st(2u * i, bitcast<u32>(v.x));\n    dst_st(2u * i + 1u, bitcast<u32>(v.y));",
        ),
    };
    let load = match (acc, input) {
        (Acc::Int, Some(d)) => format!("    let v = elem(i);\n    return {};", int_wide(d)),
        (Acc::Int | Acc::F64Emu, _) => "    return elem(i);".into(),
        (Acc::F32, Some(DType::Float16)) => {
            "    return bitcast<f32>(f16_to_f32(elem(i).x));".into()
        }
        (Acc::F32, Some(DType::BFloat16)) => {
            "    return bitcast<f32>(bf16_to_f32(elem(i).x));".into()
        }
        (Acc::F32, _) => "    return bitcast<f32>(elem(i).x);".into(),
        (Acc::F64, _) => "    return src_ld(i);".into(),
        (Acc::C64, _) => {
            "    let v = elem(i);\n    return vec2<f32>(bitcast<f32>(v.x), bitcast<f32>(v.y));"
                .into()
        }
    };
    let elem = if acc == Acc::F64 {
        "    return vec2<u32>(e, 0u);".into()
    } else {
        elem_body_with(itemsize, if packed { "ld_cached" } else { "src_ld" })
    };
    v.push(("ACC", ty.into()));
    v.push(("ELEM", elem));
    v.push(("ZERO", zero.into()));
    v.push(("ADD", add.into()));
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

/// An argmax pass: from elements of `input` (the first pass) or from partials (`None`);
/// `last` writes int64 indices instead of partials.
pub(crate) fn argmax_vars(
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
        Some(d) => (d.itemsize(), key_body(d), "    return r;"),
    };
    let ld = if packed { "ld_cached" } else { "src_ld" };
    v.push(("ELEM", elem_body_with(itemsize, ld)));
    v.push(("KEY", key));
    v.push(("INDEX", index.into()));
    v.push(("FINAL", last.to_string()));
    v
}

/// The body of `key(i)` for elements of `d`: the order-preserving keys of `src/cpu/argmax.rs`.
fn key_body(d: DType) -> String {
    use DType::*;
    let flip = "vec2<u32>(0u, 0x80000000u)";
    match d {
        Bool => "    return vec2<u32>(select(0u, 1u, elem(i).x != 0u), 0u);".into(),
        UInt8 | UInt16 | UInt32 | UInt64 => "    return elem(i);".into(),
        Int8 => format!("    return sext(elem(i).x, 8u) ^ {flip};"),
        Int16 => format!("    return sext(elem(i).x, 16u) ^ {flip};"),
        Int32 => format!("    return sext(elem(i).x, 32u) ^ {flip};"),
        Int64 => format!("    return elem(i) ^ {flip};"),
        Float16 => "    return vec2<u32>(f16_key(elem(i).x), 0u);".into(),
        BFloat16 => "    return vec2<u32>(bf16_key(elem(i).x), 0u);".into(),
        Float32 => "    return vec2<u32>(f32_key(elem(i).x), 0u);".into(),
        Float64 => "    return f64_key(elem(i));".into(),
        Complex64 => "    let v = elem(i);\n    let re = f32_key(v.x);\n    let im = f32_key(v.y);\n    if (re == 0xffffffffu || im == 0xffffffffu) {\n        return vec2<u32>(0xffffffffu, 0xffffffffu);\n    }\n    return vec2<u32>(im, re);".into(),
    }
}

/// Sides of a sum pass: f64 bindings for the native f64 accumulator.
pub(crate) fn sum_sides(
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
pub fn all_variants(native_f64: bool) -> Vec<(&'static str, Vars)> {
    let mut out = Vec::new();
    let shift = 27;
    let layouts = [(1, 1), (3, 2)];
    for (a, b) in layouts {
        out.push(("copy", copy_vars(a, b, shift)));
        for from in DType::ALL {
            for to in DType::ALL {
                if from != to {
                    let (s, d) = (Side::words(a, shift), Side::words(b, shift));
                    out.push(("cast", cast_vars(from, to, s, d)));
                }
            }
        }
        for w in [1, 2, 4, 8, 16, 32, 64, 128, 256] {
            for d in DType::ALL {
                let acc = Acc::of(d, native_f64);
                for input in [Some(d), None] {
                    for inner in [1, 3] {
                        let p = packed(input, inner);
                        let (s, dd) = sum_sides(input, acc, a, b, shift);
                        out.push(("sum", sum_vars(input, acc, w, p, s, dd)));
                        for last in [false, true] {
                            let (s, dd) = (Side::words(a, shift), Side::words(b, shift));
                            out.push(("argmax", argmax_vars(input, last, w, p, s, dd)));
                        }
                    }
                }
            }
        }
    }
    out
}
