// cast: a unit is one whole output word (several 8/16-bit elements packed) or, for 64-bit
// outputs, one element (two words); an invocation converts UNITS units. Conversions work on
// bits only.
//!import common/convert
//!import common/int
//!import common/grid
//!import common/elementwise

// Raw bits of element e, zero-extended (64-bit elements as a pair).
fn elem(e: u32) -> vec2<u32> {
{{ELEM}}
}

fn cvt(v: vec2<u32>) -> vec2<u32> {
{{CONVERT}}
}

const OUT64: bool = {{OUT64}};
const PER: u32 = {{PER}};
const BITS: u32 = {{BITS}};
const MASK: u32 = {{MASK}};

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
