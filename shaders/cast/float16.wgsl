// Cast target float16, rounded to nearest even on bits (the low half of the result).
//!import common/convert

fn cvt_int(a: vec2<u32>, signed: bool) -> vec2<u32> {
    if (signed) {
        return vec2<u32>(i64_to_f16(a), 0u);
    }
    return vec2<u32>(u64_to_f16(a), 0u);
}

fn cvt_f32(b: u32) -> vec2<u32> {
    return vec2<u32>(f32_to_f16(b), 0u);
}

fn cvt_f64(v: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(f64_to_f16(v), 0u);
}
