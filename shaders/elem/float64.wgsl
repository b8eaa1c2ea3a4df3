// Element kind float64: IEEE binary64 (x = low word).
// Functions of its raw bits `v` (as `elem` gives them): NaN and non-zero tests (NaN is
// non-zero), the total order key of fold max/min (the CPU's `OrderKey::key`: NaN largest), the
// arg key (`src/cpu/arg.rs`; argmin flips the sign first).
//!import load/bytes8
//!import common/convert
//!import common/fold

fn el_nan(v: vec2<u32>) -> bool {
    return f64_nan(v);
}

fn el_nonzero(v: vec2<u32>) -> bool {
    return ((v.y & 0x7fffffffu) | v.x) != 0u;
}

fn el_key(v: vec2<u32>) -> vec2<u32> {
    return f64_tkey(v);
}

fn el_arg_key(v: vec2<u32>, min: bool) -> vec2<u32> {
    return f64_key(vec2<u32>(v.x, v.y ^ select(0u, 0x80000000u, min)));
}
