// Cast target float64 (x = low word): exact from floats, rounded to nearest even from 64-bit
// integers.
//!import common/convert

fn cvt_int(a: vec2<u32>, signed: bool) -> vec2<u32> {
    if (signed) {
        return i64_to_f64(a);
    }
    return u64_to_f64(a);
}

fn cvt_f32(b: u32) -> vec2<u32> {
    return f32_to_f64(b);
}

fn cvt_f64(v: vec2<u32>) -> vec2<u32> {
    return v;
}
