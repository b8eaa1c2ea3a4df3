// Snippet: integer helpers on top of convert.wgsl's 64-bit pair arithmetic.

// Sign-extends the low `bits` bits of v (1..=32) to a 64-bit pair.
fn sext(v: u32, bits: u32) -> vec2<u32> {
    let s = 32u - bits;
    let x = bitcast<u32>(bitcast<i32>(v << s) >> s);
    return vec2<u32>(x, select(0u, 0xffffffffu, (x >> 31u) != 0u));
}
