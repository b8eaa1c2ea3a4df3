// Snippet: `elem(e)`, the raw bits of element e of a 4-byte dtype, from the kernel's word
// loads `word(w)`.
fn elem(e: u32) -> vec2<u32> {
    return vec2<u32>(word(e), 0u);
}
