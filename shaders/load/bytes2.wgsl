// Snippet: `elem(e)`, the raw bits of element e of a 2-byte dtype (zero-extended), from the
// kernel's word loads `word(w)`.
fn elem(e: u32) -> vec2<u32> {
    let w = word(e >> 1u);
    return vec2<u32>((w >> ((e & 1u) * 16u)) & 0xffffu, 0u);
}
