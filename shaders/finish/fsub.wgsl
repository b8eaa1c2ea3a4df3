// Snippet: IEEE float32 and float64 subtraction on bits with the host CPU's results (the
// finish of ptp), so no float unit's flushing of subnormals or fast-math can change a byte.
// A NaN operand gives itself quieted (the first one); inf - inf of one sign gives the CPU's
// default NaN (NAN32, or NAN64_HI over a zero low word: x86 sets its sign bit). Everything
// else is the integer-emulated float64 add (common/f64emu) of a and -b, correctly rounded;
// float32 goes through float64 exactly, and rounding the float64 sum to float32 again is the
// correctly rounded float32 difference (53 >= 2 * 24 + 2: double rounding is innocuous).
//!import common/f64emu

fn f32_from_key(k: u32) -> u32 {
    if (k == 0xffffffffu) {
        return 0x7fc00000u;
    }
    return select(~k, k ^ 0x80000000u, (k & 0x80000000u) != 0u);
}

fn f32_sub(a: u32, b: u32) -> u32 {
    if ((a & 0x7fffffffu) > 0x7f800000u) {
        return a | 0x00400000u;
    }
    if ((b & 0x7fffffffu) > 0x7f800000u) {
        return b | 0x00400000u;
    }
    if ((a & 0x7fffffffu) == 0x7f800000u && a == b) {
        return {{NAN32}}u;
    }
    return f64_to_f32(f64e_add(f32_to_f64(a), f32_to_f64(b ^ 0x80000000u)));
}

fn f64_is_nan(v: vec2<u32>) -> bool {
    let hi = v.y & 0x7fffffffu;
    return hi > 0x7ff00000u || (hi == 0x7ff00000u && v.x != 0u);
}

fn f64_sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    if (f64_is_nan(a)) {
        return vec2<u32>(a.x, a.y | 0x00080000u);
    }
    if (f64_is_nan(b)) {
        return vec2<u32>(b.x, b.y | 0x00080000u);
    }
    if ((a.y & 0x7fffffffu) == 0x7ff00000u && a.x == 0u && all(a == b)) {
        return vec2<u32>(0u, {{NAN64_HI}}u);
    }
    return f64e_add(a, vec2<u32>(b.x, b.y ^ 0x80000000u));
}
