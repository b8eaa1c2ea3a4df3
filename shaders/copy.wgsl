// copy: UNITS words per invocation, laid out as in cast.wgsl; the bandwidth baseline of the
// bench report.
//!import grid

struct Params {
    n: u32,
    invocations: u32,
    nx: u32,
    ny: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
{{BINDINGS}}

const UNITS: u32 = {{UNITS}};

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
