// Snippet: `acc_of(v)`, complex64 element bits `v` as a c64 accumulator.

fn acc_of(v: vec2<u32>) -> Acc {
    return vec2<f32>(bitcast<f32>(v.x), bitcast<f32>(v.y));
}
