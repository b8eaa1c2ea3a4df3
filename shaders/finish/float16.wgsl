// Finish values float16 (finish_keys.wgsl): keys as finish/half; NumPy subtracts in float32
// and rounds the difference to nearest even (`f32_sub`, then the cast's rounding).
//!import finish/half
//!import finish/fsub

const NAN_VALUE: vec2<u32> = vec2<u32>(0x7e00u, 0u);

fn sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(f32_to_f16(f32_sub(f16_to_f32(a.x), f16_to_f32(b.x))), 0u);
}
