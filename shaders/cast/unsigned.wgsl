// Snippet: conversions to an unsigned integer dtype whose largest value is TO_MAX (a 64-bit
// pair, declared by the including file), as 64-bit pairs the cast kernel truncates. From an
// integer `a`: a itself (wrapping); from float bits: saturating, NaN and negatives -> 0.
//!import common/convert

fn cvt_int(a: vec2<u32>, signed: bool) -> vec2<u32> {
    return a;
}

fn cvt_f32(b: u32) -> vec2<u32> {
    return f32_to_u64_sat(b, TO_MAX);
}

fn cvt_f64(v: vec2<u32>) -> vec2<u32> {
    return f64_to_u64_sat(v, TO_MAX);
}
