// Snippet: `acc_of(v)`, integer element bits `v` as a native f64 accumulator: high word times
// 2^32 plus low word (the high word signed for signed kinds), rounded once.

fn acc_of(v: vec2<u32>) -> Acc {
    let w = el_int(v);
    if (EL_SIGNED) {
        return f64(bitcast<i32>(w.y)) * 4294967296.0lf + f64(w.x);
    }
    return f64(w.y) * 4294967296.0lf + f64(w.x);
}
