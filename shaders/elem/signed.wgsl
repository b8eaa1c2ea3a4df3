// The element functions of the signed integers up to 32 bits (int8, int16, int32; their
// files import the load and give `EL_BITS`): NaN and non-zero tests, the total order key of
// fold max/min (the CPU's `OrderKey::key`: the sign bit flipped), the arg key
// (`src/cpu/arg.rs`; argmin reverses it) and the value as a 64-bit integer pair.
//!import common/int

const EL_SIGNED: bool = true;

fn el_nan(v: vec2<u32>) -> bool {
    return false;
}

fn el_nonzero(v: vec2<u32>) -> bool {
    return v.x != 0u;
}

fn el_key(v: vec2<u32>) -> u32 {
    return v.x ^ (1u << (EL_BITS - 1u));
}

fn el_int(v: vec2<u32>) -> vec2<u32> {
    return sext(v.x, EL_BITS);
}

// Integer keys reverse by flipping every bit.
fn el_arg_key(v: vec2<u32>, min: bool) -> vec2<u32> {
    let k = sext(v.x, EL_BITS) ^ vec2<u32>(0u, 0x80000000u);
    return select(k, ~k, min);
}
