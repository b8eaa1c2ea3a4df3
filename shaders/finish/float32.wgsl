// Finish values float32 (finish_keys.wgsl): `OrderKey::from_key`, and `f32_sub`.
//!import finish/fsub

const HAS_NAN: bool = true;
const NAN_VALUE: vec2<u32> = vec2<u32>(0x7fc00000u, 0u);

fn key_value(k: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(f32_from_key(k.x), 0u);
}

fn sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(f32_sub(a.x, b.x), 0u);
}
