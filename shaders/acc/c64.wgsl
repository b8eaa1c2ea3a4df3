// Accumulator c64: complex64 as two f32 (x real, y imaginary): complex products. `acc_load`
// reads a previous pass's partials, `store` writes this pass's.

alias Acc = vec2<f32>;

fn zero() -> Acc {
    return vec2<f32>(0.0, 0.0);
}

fn one() -> Acc {
    return vec2<f32>(1.0, 0.0);
}

fn acc_add(a: Acc, b: Acc) -> Acc {
    return a + b;
}

fn acc_mul(a: Acc, b: Acc) -> Acc {
    return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

fn acc_load(i: u32) -> Acc {
    return vec2<f32>(bitcast<f32>(src_ld(2u * i)), bitcast<f32>(src_ld(2u * i + 1u)));
}

fn store(i: u32, v: Acc) {
    dst_st(2u * i, bitcast<u32>(v.x));
    dst_st(2u * i + 1u, bitcast<u32>(v.y));
}
