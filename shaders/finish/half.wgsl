// Snippet of the 16-bit float finish values (finish/float16, finish/bfloat16): the bits of a
// key's low half (`OrderKey::from_key`: positives have the sign bit set, negatives are
// complemented).
const HAS_NAN: bool = true;

fn key_value(k: vec2<u32>) -> vec2<u32> {
    let h = k.x & 0xffffu;
    return vec2<u32>(select((~h) & 0xffffu, h ^ 0x8000u, (h & 0x8000u) != 0u), 0u);
}
