// cast: a unit is one whole output word (several 8/16-bit elements packed) or, for 64-bit
// outputs, one element (two words); an invocation converts UNITS units. Conversions work on
// bits only.
//!import common/convert
//!import common/int
//!import common/grid
//!import common/elementwise

//!import elem/{{FROM}}
//!if TO != bool
//!import cast/{{TO}}
//!endif

// The word loads of the element snippet.
fn word(w: u32) -> u32 {
    return src_ld(w);
}

// Element bits v of FROM converted to TO with the rules of the CPU backend
// (`src/cpu/cast.rs`), on bits only: through the element's 64-bit integer value (FROM_KIND
// int), its exact float32 bits (f32) or its float64 bits (f64).
fn cvt(v: vec2<u32>) -> vec2<u32> {
//!if TO == bool
    // Non-zero (NaN included; complex64: either part) is true.
    return vec2<u32>(select(0u, 1u, el_nonzero(v)), 0u);
//!else
//!if FROM_KIND == int
    return cvt_int(el_int(v), EL_SIGNED);
//!endif
//!if FROM_KIND == f32
    return cvt_f32(el_f32(v));
//!endif
//!if FROM_KIND == f64
    return cvt_f64(v);
//!endif
//!endif
}

const OUT64: bool = {{OUT64}};
const PER: u32 = {{PER}}u;
const BITS: u32 = {{BITS}}u;
const MASK: u32 = {{MASK}}u;

// Unit j of an invocation: units of a workgroup are consecutive, 256 apart per j, so that an
// invocation does UNITS of them (fewer workgroups: software adapters pay per workgroup).
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let base = flat_group(wg, P.nx, P.ny) * (256u * UNITS) + li;
    for (var j = 0u; j < UNITS; j++) {
        let t = base + j * 256u;
        if (t >= P.invocations) {
            return;
        }
        convert_unit(t);
    }
}

fn convert_unit(t: u32) {
    if (OUT64) {
        let v = cvt(elem(t));
        dst_st(2u * t, v.x);
        dst_st(2u * t + 1u, v.y);
        return;
    }
    var w = 0u;
    for (var k = 0u; k < PER; k++) {
        let e = t * PER + k;
        if (e < P.n) {
            w |= (cvt(elem(e)).x & MASK) << (k * BITS);
        }
    }
    dst_st(t, w);
}
