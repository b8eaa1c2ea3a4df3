// Finish values float64 (finish_keys.wgsl): `OrderKey::from_key` on u32 pairs, and
// `f64_sub`.
//!import finish/fsub

const HAS_NAN: bool = true;
const NAN_VALUE: vec2<u32> = vec2<u32>(0u, 0x7ff80000u);

fn key_value(k: vec2<u32>) -> vec2<u32> {
    if ((k.y & 0x80000000u) != 0u) {
        return vec2<u32>(k.x, k.y ^ 0x80000000u);
    }
    return ~k;
}

fn sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return f64_sub(a, b);
}
