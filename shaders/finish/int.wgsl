// Finish values bool and the integers up to 32 bits (finish_keys.wgsl): an element is its
// key with the sign bit flipped back (FLIP; the packing keeps the low BITS), bool's the low
// bit of its key (KEEP), and subtraction wraps in the dtype (the low bits of the u32
// difference).
const HAS_NAN: bool = false;
const NAN_VALUE: vec2<u32> = vec2<u32>(0u, 0u);
const FLIP: u32 = {{FLIP}}u;
const KEEP: u32 = {{KEEP}}u;

fn key_value(k: vec2<u32>) -> vec2<u32> {
    return vec2<u32>((k.x ^ FLIP) & KEEP, 0u);
}

fn sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(a.x - b.x, 0u);
}
