// copy: UNITS words per invocation, laid out as in cast.wgsl; the bandwidth baseline of the
// bench report.
//!import common/grid
//!import common/elementwise

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let base = flat_group(wg, P.nx, P.ny) * (256u * UNITS) + li;
    for (var j = 0u; j < UNITS; j++) {
        let t = base + j * 256u;
        if (t < P.invocations) {
            dst_st(t, src_ld(t));
        }
    }
}
