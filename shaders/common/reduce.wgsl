// Snippet: what every reduction pass (sum.wgsl, argmax.wgsl) declares. A pass reduces the
// middle axis of [outer, len, inner]: a workgroup covers W output slots and R * K rows, over
// `nblocks` blocks of rows per slot; dispatches are folded into nx x ny x z (grid.wgsl).
struct Params {
    slots: u32,
    len: u32,
    inner: u32,
    nblocks: u32,
    tiles: u32,
    groups: u32,
    nx: u32,
    ny: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
//!import common/src
//!import common/dst

const W: u32 = {{W}}u;
const R: u32 = 256u / W;
const K: u32 = {{K}}u;
const PACKED: bool = {{PACKED}};

// src_ld with the last word kept: packed elements of one word cost one load.
var<private> cached_at: u32 = 0xffffffffu;
var<private> cached: SrcT;

fn ld_cached(w: u32) -> SrcT {
    if (w != cached_at) {
        cached_at = w;
        cached = src_ld(w);
    }
    return cached;
}

// The word loads of element snippets (load/*.wgsl): packed rows keep the last word.
fn word(w: u32) -> SrcT {
//!if PACKED
    return ld_cached(w);
//!else
    return src_ld(w);
//!endif
}
