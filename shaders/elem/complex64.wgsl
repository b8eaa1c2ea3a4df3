// Element kind complex64: two float32 (x real, y imaginary), ordered lexicographically.
// Functions of its raw bits `v` (as `elem` gives them): NaN and non-zero tests (NaN is
// non-zero), the total order key of fold max/min (the CPU's `OrderKey::key`: NaN largest), the
// arg key (`src/cpu/arg.rs`; argmin flips the sign first) and the exact float32 bits of the value.
//!import load/bytes8
//!import common/convert
//!import common/fold

fn el_nan(v: vec2<u32>) -> bool {
    return c64_nan(v);
}

fn el_nonzero(v: vec2<u32>) -> bool {
    return ((v.x | v.y) & 0x7fffffffu) != 0u;
}

fn el_key(v: vec2<u32>) -> vec2<u32> {
    return c64_tkey(v);
}

fn el_arg_key(v: vec2<u32>, min: bool) -> vec2<u32> {
    let s = select(0u, 0x80000000u, min);
    let re = f32_key(v.x ^ s);
    let im = f32_key(v.y ^ s);
    if (re == 0xffffffffu || im == 0xffffffffu) {
        return vec2<u32>(0xffffffffu, 0xffffffffu);
    }
    return vec2<u32>(im, re);
}

// The exact float32 bits of the value (the real part: what a cast to a real dtype keeps).
fn el_f32(v: vec2<u32>) -> u32 {
    return v.x;
}
