// Finish values bfloat16 (finish_keys.wgsl): keys as finish/half; subtraction in float32,
// rounded to nearest even (`f32_sub`, then the cast's rounding), as ml_dtypes does.
//!import finish/half
//!import finish/fsub

const NAN_VALUE: vec2<u32> = vec2<u32>(0x7fc0u, 0u);

fn sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(f32_to_bf16(f32_sub(bf16_to_f32(a.x), bf16_to_f32(b.x))), 0u);
}
