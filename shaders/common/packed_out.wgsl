// Snippet: the entry point of the elementwise kernels whose elements leave packed in words
// (cast.wgsl, finish_keys.wgsl). A unit is one output word (several 8/16-bit elements) or, for
// 64-bit outputs, one element (two words); an invocation does UNITS units, 256 apart within its
// workgroup (fewer workgroups: software adapters pay per workgroup). The kernel defines
// `out_bits(e)`: element e's output bits (low word first).
//!import common/grid
//!import common/elementwise

const OUT64: bool = {{OUT64}};
const PER: u32 = {{PER}}u;
const BITS: u32 = {{BITS}}u;
const MASK: u32 = {{MASK}}u;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let base = flat_group(wg, P.nx, P.ny) * (256u * UNITS) + li;
    for (var j = 0u; j < UNITS; j++) {
        let t = base + j * 256u;
        if (t >= P.invocations) {
            return;
        }
        pack_unit(t);
    }
}

fn pack_unit(t: u32) {
    if (OUT64) {
        let v = out_bits(t);
        dst_st(2u * t, v.x);
        dst_st(2u * t + 1u, v.y);
        return;
    }
    var w = 0u;
    for (var k = 0u; k < PER; k++) {
        let e = t * PER + k;
        if (e < P.n) {
            w |= (out_bits(e).x & MASK) << (k * BITS);
        }
    }
    dst_st(t, w);
}
