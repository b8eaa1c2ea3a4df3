// Finish values int64 and uint64 (finish_keys.wgsl): an element is its key with the sign bit
// of the high word flipped back (FLIP), and subtraction wraps (u32 pairs).
const HAS_NAN: bool = false;
const NAN_VALUE: vec2<u32> = vec2<u32>(0u, 0u);
const FLIP: u32 = {{FLIP}}u;

fn key_value(k: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(k.x, k.y ^ FLIP);
}

fn sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return cvt_add64(a, cvt_neg64(b));
}
