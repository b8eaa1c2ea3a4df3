// finish_keys: the finishes of the extrema on the device (`cpu::finish_host`, bits only):
// Finish::Keys turns the order keys of fold max/min/nanmax/nanmin back into elements (the
// CPU's `keys_to_values`), Finish::Ptp subtracts the elements of the min keys (the `cnt`
// bindings) from those of the max keys (`src`) in the dtype, as `np.subtract` does. Keys are
// u32, or u32 pairs (KEY64: items of 8 bytes); the outputs are packed into words
// (common/packed_out).
//!import common/convert
//!import common/grid
//!import common/elementwise
//!import common/packed_out
//!if PTP
//!import common/cnt
//!endif
//!import finish/{{VALUE}}

const KEY64: bool = {{KEY64}};
// Keys: the fold's keys are reversed (min, nanmin), and a key of 0 is an all-NaN slice's
// (every fold but max).
const REVERSED: bool = {{REVERSED}};
const ZERO_NAN: bool = {{ZERO_NAN}};

fn src_key(i: u32) -> vec2<u32> {
    if (KEY64) {
        return vec2<u32>(src_ld(2u * i), src_ld(2u * i + 1u));
    }
    return vec2<u32>(src_ld(i), 0u);
}

//!if PTP
fn cnt_key(i: u32) -> vec2<u32> {
    if (KEY64) {
        return vec2<u32>(cnt_ld(2u * i), cnt_ld(2u * i + 1u));
    }
    return vec2<u32>(cnt_ld(i), 0u);
}
//!endif

// The element of key k (`keys_to_values`): NaN's key (all ones) and, where `zero_nan`, the
// key 0 give the canonical NaN for floats; other keys are un-reversed and decoded.
fn value(k: vec2<u32>, reversed: bool, zero_nan: bool) -> vec2<u32> {
    let top = k.x == 0xffffffffu && (!KEY64 || k.y == 0xffffffffu);
    let zero = k.x == 0u && (!KEY64 || k.y == 0u);
    if (HAS_NAN && (top || (zero_nan && zero))) {
        return NAN_VALUE;
    }
    return key_value(select(k, ~k, reversed));
}

fn result(e: u32) -> vec2<u32> {
//!if PTP
    // max (keys of fold max) - min (reversed keys of fold min).
    return sub(value(src_key(e), false, false), value(cnt_key(e), true, true));
//!else
    return value(src_key(e), REVERSED, ZERO_NAN);
//!endif
}

// The packed output's unit loop (common/packed_out) asks for element e's output bits.
fn out_bits(e: u32) -> vec2<u32> {
    return result(e);
}
