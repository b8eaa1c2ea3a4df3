// Snippet: `elem(e)`, the raw bits of element e of an 8-byte dtype as a pair (x = low word),
// from the kernel's word loads `word(w)`.
fn elem(e: u32) -> vec2<u32> {
    return vec2<u32>(word(2u * e), word(2u * e + 1u));
}
