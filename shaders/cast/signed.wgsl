// Snippet: conversions to a signed integer dtype whose range is TO_MIN..=TO_MAX (64-bit pairs,
// declared by the including file), as 64-bit pairs the cast kernel truncates. From an integer
// `a`: a itself (wrapping); from float bits: saturating, NaN -> 0 (the CPU's `src/cpu/cast.rs`).
//!import common/convert

fn cvt_int(a: vec2<u32>, signed: bool) -> vec2<u32> {
    return a;
}

fn cvt_f32(b: u32) -> vec2<u32> {
    return f32_to_i64_sat(b, TO_MIN, TO_MAX);
}

fn cvt_f64(v: vec2<u32>) -> vec2<u32> {
    return f64_to_i64_sat(v, TO_MIN, TO_MAX);
}
