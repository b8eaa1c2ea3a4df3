// Snippet: the input `src`: SRC_LAST + 1 storage bindings from binding SRC_AT, each a chunk of
// 2^SRC_SHIFT elements of SRC_T (one binding holds at most 128 MiB on some adapters), and
// `src_ld(i)`, element i of them all.
alias SrcT = {{SRC_T}};
const SRC_AT: u32 = {{SRC_AT}}u;
const SRC_SHIFT: u32 = {{SRC_SHIFT}}u;

//!for C in SRC_CHUNKS
@group(0) @binding(SRC_AT + {{C}}u) var<storage, read> src{{C}}: array<SrcT>;
//!endfor

fn src_ld(i: u32) -> SrcT {
//!if SRC_CHUNKS == 1
    return src0[i];
//!else
    let c = i >> SRC_SHIFT;
    let j = i & ((1u << SRC_SHIFT) - 1u);
//!for C in SRC_LAST
    if (c == {{C}}u) {
        return src{{C}}[j];
    }
//!endfor
    return src{{SRC_LAST}}[j];
//!endif
}
