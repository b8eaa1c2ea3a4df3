// Snippet: `acc_of(v)`, element bits `v` as an f32 accumulator (exact: float16, bfloat16 and
// float32 values are all float32 values).

fn acc_of(v: vec2<u32>) -> Acc {
    return bitcast<f32>(el_f32(v));
}
