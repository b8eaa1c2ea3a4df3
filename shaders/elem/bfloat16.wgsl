// Element kind bfloat16: the upper half of a float32.
// Functions of its raw bits `v` (as `elem` gives them): NaN and non-zero tests (NaN is
// non-zero), the total order key of fold max/min (the CPU's `OrderKey::key`: NaN largest), the
// arg key (`src/cpu/arg.rs`; argmin flips the sign first) and the exact float32 bits of the value.
//!import load/bytes2
//!import common/convert
//!import common/fold

fn el_nan(v: vec2<u32>) -> bool {
    return bf16_nan(v.x);
}

fn el_nonzero(v: vec2<u32>) -> bool {
    return (v.x & 0x7fffu) != 0u;
}

fn el_key(v: vec2<u32>) -> u32 {
    return bf16_tkey(v.x);
}

fn el_arg_key(v: vec2<u32>, min: bool) -> vec2<u32> {
    return vec2<u32>(bf16_key(v.x ^ select(0u, 0x8000u, min)), 0u);
}

// The exact float32 bits of the value.
fn el_f32(v: vec2<u32>) -> u32 {
    return bf16_to_f32(v.x);
}
