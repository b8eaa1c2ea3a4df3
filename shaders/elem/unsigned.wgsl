// The element functions of the unsigned integers up to 32 bits (uint8, uint16, uint32; their
// files import the load): NaN and non-zero tests, the total order key of fold max/min (the
// CPU's `OrderKey::key`), the arg key (`src/cpu/arg.rs`; argmin reverses it) and the value
// as a 64-bit integer pair.

const EL_SIGNED: bool = false;

fn el_nan(v: vec2<u32>) -> bool {
    return false;
}

fn el_nonzero(v: vec2<u32>) -> bool {
    return v.x != 0u;
}

fn el_key(v: vec2<u32>) -> u32 {
    return v.x;
}

fn el_int(v: vec2<u32>) -> vec2<u32> {
    return v;
}

// Integer keys reverse by flipping every bit.
fn el_arg_key(v: vec2<u32>, min: bool) -> vec2<u32> {
    let k = v;
    return select(k, ~k, min);
}
