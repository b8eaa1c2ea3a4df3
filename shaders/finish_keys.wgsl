// finish_keys: the finishes of the extrema on the device (`cpu::finish_host`, bits only):
// Finish::Keys turns the order keys of fold max/min/nanmax/nanmin back into elements (the
// CPU's `keys_to_values`), Finish::Ptp subtracts the elements of the min keys (the `cnt`
// bindings) from those of the max keys (`src`) in the dtype, as `np.subtract` does. Keys are
// u32, or u32 pairs (KEY64: items of 8 bytes). A unit is one output word (several 8/16-bit
// elements packed) or, for 64-bit outputs, one element; an invocation does UNITS units.
//!import common/convert
//!import common/grid
//!import common/elementwise
//!if PTP
//!import common/cnt
//!endif
//!import finish/{{VALUE}}

const OUT64: bool = {{OUT64}};
const PER: u32 = {{PER}}u;
const BITS: u32 = {{BITS}}u;
const MASK: u32 = {{MASK}}u;
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

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let base = flat_group(wg, P.nx, P.ny) * (256u * UNITS) + li;
    for (var j = 0u; j < UNITS; j++) {
        let t = base + j * 256u;
        if (t >= P.invocations) {
            return;
        }
        finish_unit(t);
    }
}

fn finish_unit(t: u32) {
    if (OUT64) {
        let v = result(t);
        dst_st(2u * t, v.x);
        dst_st(2u * t + 1u, v.y);
        return;
    }
    var w = 0u;
    for (var k = 0u; k < PER; k++) {
        let e = t * PER + k;
        if (e < P.n) {
            w |= (result(e).x & MASK) << (k * BITS);
        }
    }
    dst_st(t, w);
}
