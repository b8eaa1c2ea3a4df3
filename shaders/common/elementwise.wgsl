// Snippet: what every elementwise kernel (copy.wgsl, cast.wgsl) declares: `invocations` units
// over a folded grid (grid.wgsl), UNITS consecutive-by-256 units per invocation.
struct Params {
    n: u32,
    invocations: u32,
    nx: u32,
    ny: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
//!import common/src
//!import common/dst

const UNITS: u32 = {{UNITS}}u;
