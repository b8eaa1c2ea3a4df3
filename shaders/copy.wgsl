// copy: one word per invocation; the bandwidth baseline of the bench report.
//!import grid

struct Params {
    n: u32,
    invocations: u32,
    nx: u32,
    ny: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
{{BINDINGS}}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let t = flat_group(wg, P.nx, P.ny) * 256u + li;
    if (t < P.invocations) {
        dst_st(t, src_ld(t));
    }
}
