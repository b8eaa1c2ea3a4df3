// Finish values complex64 (finish_keys.wgsl): the key holds the real part's float32 key in
// the high word and the imaginary part's in the low one; subtraction is per part.
//!import finish/fsub

const HAS_NAN: bool = true;
const NAN_VALUE: vec2<u32> = vec2<u32>(0x7fc00000u, 0x7fc00000u);

fn key_value(k: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(f32_from_key(k.y), f32_from_key(k.x));
}

fn sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(f32_sub(a.x, b.x), f32_sub(a.y, b.y));
}
