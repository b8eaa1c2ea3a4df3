// Snippet: the output `dst`, laid out as `src` (common/src.wgsl) with elements of DST_T, and
// `dst_st(i, v)`, which writes element i of them all.
alias DstT = {{DST_T}};
const DST_AT: u32 = {{DST_AT}}u;
const DST_SHIFT: u32 = {{DST_SHIFT}}u;

//!for C in DST_CHUNKS
@group(0) @binding(DST_AT + {{C}}u) var<storage, read_write> dst{{C}}: array<DstT>;
//!endfor

fn dst_st(i: u32, v: DstT) {
//!if DST_CHUNKS == 1
    dst0[i] = v;
//!else
    let c = i >> DST_SHIFT;
    let j = i & ((1u << DST_SHIFT) - 1u);
//!for C in DST_LAST
    if (c == {{C}}u) {
        dst{{C}}[j] = v;
        return;
    }
//!endfor
    dst{{DST_LAST}}[j] = v;
//!endif
}
