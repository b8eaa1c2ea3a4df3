// Snippet: the second input `cnt`, laid out as `src` (common/src.wgsl) with elements of CNT_T,
// and `cnt_ld(i)`.
alias CntT = {{CNT_T}};
const CNT_AT: u32 = {{CNT_AT}}u;
const CNT_SHIFT: u32 = {{CNT_SHIFT}}u;

//!for C in CNT_CHUNKS
@group(0) @binding(CNT_AT + {{C}}u) var<storage, read> cnt{{C}}: array<CntT>;
//!endfor

fn cnt_ld(i: u32) -> CntT {
//!if CNT_CHUNKS == 1
    return cnt0[i];
//!else
    let c = i >> CNT_SHIFT;
    let j = i & ((1u << CNT_SHIFT) - 1u);
//!for C in CNT_LAST
    if (c == {{C}}u) {
        return cnt{{C}}[j];
    }
//!endfor
    return cnt{{CNT_LAST}}[j];
//!endif
}
