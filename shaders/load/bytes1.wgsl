// Snippet: `elem(e)`, the raw bits of element e of a 1-byte dtype (zero-extended), from the
// kernel's word loads `word(w)`.
fn elem(e: u32) -> vec2<u32> {
    let w = word(e >> 2u);
    return vec2<u32>((w >> ((e & 3u) * 8u)) & 0xffu, 0u);
}
